"""The report's HTML page: every figure and table with its caption, and a reproducibility
statement. One self-contained file with relative links: it opens offline, from any folder."""

from __future__ import annotations

from html import escape
from pathlib import Path

from sim.report import data as D
from sim.report.figures import Figure
from sim.report.files import write_atomic
from sim.report.tables import Table

CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; margin: 0 auto;
       max-width: 1000px; padding: 1.5em; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em;
     border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
figure { margin: 1.5em 0 2.5em 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; margin-top: 0.4em; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.5em 0 0.5em 0; }
caption { caption-side: top; text-align: left; font-size: 0.95em; padding-bottom: 0.4em; }
th { border-top: 2px solid #111; border-bottom: 1px solid #111; text-align: left; padding: 0.2em 0.6em; }
td { padding: 0.15em 0.6em; border-bottom: 1px solid #eee; vertical-align: top; }
tbody tr:last-child td { border-bottom: 2px solid #111; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; margin-bottom: 2em; }
dl.repro { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; font-size: 0.9em; }
dl.repro dt { font-weight: bold; } dl.repro dd { margin: 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.note { background: #f5f5f5; padding: 0.6em 1em; font-size: 0.9em; }
nav ol { columns: 2; font-size: 0.9em; }
"""


def _aligns(t: Table) -> list[str]:
    from sim.report.tables import _aligns as aligns

    return aligns(t)


def table_html(t: Table, links: str) -> str:
    aligns = _aligns(t)
    cls = lambda i: ' class="r"' if i < len(aligns) and aligns[i] == "r" else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(t.headers))
    body = "\n".join("<tr>" + "".join(f"<td{cls(i)}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                     for row in t.rows)
    return (f'<div class="table-wrap" id="table-{escape(t.name)}"><table>\n'
            f"<caption><b>{escape(t.title)}.</b> {escape(t.caption)} {links}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>")


def reproducibility(res: D.Results, command: str) -> str:
    """Version, commit, seed, runs, date and the hashes of the scenario files, from the manifests
    (never the clock: the page must come out the same when regenerated)."""
    from sim import __version__

    items = [("Report made by", f"deterrence {__version__}"), ("Command", command)]
    for label in sorted(res.manifests):
        m = res.manifests[label]
        scheme = m.get("seed_scheme", {}) if isinstance(m.get("seed_scheme"), dict) else {}
        counts = m.get("counts", {}) if isinstance(m.get("counts"), dict) else {}
        date = next((str(m[k]) for k in ("date", "created", "finished", "started") if m.get(k)), None)
        packages = m.get("packages") or {}
        items += [
            (f"Results: {label}", f"'deterrence {m.get('command', '?')}', format {m.get('format', 'not recorded')}"),
            ("Version, commit", f"deterrence {m.get('deterrence', 'not recorded')}, commit {m.get('commit') or 'not recorded'}"),
            ("Root seed", str(scheme.get("root_seed", m.get("seed", "not recorded")))),
            ("Runs", ", ".join(f"{k} {counts[k]}" for k in sorted(counts) if not isinstance(counts[k], dict))
             or "not recorded"),
            ("Date", date or "not recorded in the results (the report repeats only what the manifest holds)"),
            ("Python and packages", f"Python {m.get('python', '?')}; "
                                    + ", ".join(f"{k} {packages[k]}" for k in sorted(packages))),
        ]
        for name, info in sorted((m.get("files") or {}).items()):
            items.append((f"sha256 of {name}", str(info.get("sha256", "")) if isinstance(info, dict) else str(info)))
    rows = "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    sources = D.sha256_of_sources(res.manifests)
    src = "\n".join(f"<tr><td>{escape(label)}</td><td>{escape(Path(f).name)}</td><td><code>{escape(h)}</code></td></tr>"
                    for label, f, h in sources)
    src_table = ("<table><caption>Scenario and experiment files (sha256)</caption><thead><tr><th>Results</th>"
                 f"<th>File</th><th>sha256</th></tr></thead><tbody>{src}</tbody></table>" if sources
                 else "<p>No scenario file hashes recorded in the manifests.</p>")
    return f'<dl class="repro">\n{rows}\n</dl>\n{src_table}'


def write_html(out: Path, res: D.Results, figures: list[Figure], tables: list[Table], notes: list[str],
               odds_notes: list[str], command: str, title: str) -> Path:
    runs = sum(res.n_runs(g) for g in res.groups)
    who = ", ".join(D.display(g) for g in res.groups)
    if res.group_by == "arm":  # name the arms and the scenarios once each, not every pair of them
        arms = list(dict.fromkeys(a for g in res.groups if (a := res.arm_of(g))))
        who = (f"{len(arms)} arms ({', '.join(map(D.display, arms))}) in {len(res.scenarios)} scenario"
               f"{'s' if len(res.scenarios) > 1 else ''} ({', '.join(map(D.display, res.scenarios))})")
    nav = "\n".join(f'<li><a href="#fig-{escape(f.name)}">{escape(f.title)}</a></li>' for f in figures)
    nav += "\n" + "\n".join(f'<li><a href="#table-{escape(t.name)}">Table: {escape(t.title)}</a></li>' for t in tables)
    figs = []
    for i, f in enumerate(figures, start=1):
        png = f"figures/{f.name}.png"
        figs.append(f'<figure id="fig-{escape(f.name)}"><img src="{escape(png)}" alt="{escape(f.title)}">'
                    f"<figcaption><b>Figure {i}. {escape(f.title)}.</b> {escape(f.caption)} "
                    f'<a href="figures/{escape(f.name)}.pdf">PDF</a> · <a href="{escape(png)}">PNG</a></figcaption></figure>')
    tabs = []
    for t in tables:
        links = " ".join(f'<a href="tables/{escape(t.name)}.{ext}">{ext.upper()}</a>' for ext in ("csv", "md", "tex"))
        tabs.append(table_html(t, links))
    odds_html = ""
    if odds_notes:
        odds_html = ("<h3>Where the simulation and the market disagree</h3><ul>"
                     + "".join(f"<li>{escape(n)}</li>" for n in odds_notes) + "</ul>")
    notes_html = ("<div class=\"note\"><b>Not in this report:</b><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                  + "</ul></div>") if notes else ""
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>{runs} successful runs of {escape(who)}. Figures are in PNG (300 dpi) and PDF in <code>figures/</code>,
tables in CSV, Markdown and LaTeX (booktabs, longtable) in <code>tables/</code>.
Over time: medians with 50% and 90% bands of the runs; probabilities with Wilson 95% intervals;
means and differences with t-based 95% intervals.</p>
{notes_html}
<nav><h2>Contents</h2><ol>
{nav}
<li><a href="#reproducibility">Reproducibility</a></li>
</ol></nav>
<h2>Figures</h2>
{odds_html}
{chr(10).join(figs)}
<h2>Tables</h2>
{chr(10).join(tabs)}
<h2 id="reproducibility">Reproducibility</h2>
{reproducibility(res, command)}
</body>
</html>
"""
    return write_atomic(out / "index.html", page)
