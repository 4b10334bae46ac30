"""The report's HTML page: every figure and table with its caption, and a reproducibility
statement. One self-contained file with relative links: it opens offline, from any folder."""

from __future__ import annotations

from html import escape
from pathlib import Path

from sim.report import data as D
from sim.report.attribution import NOT_BUILT
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
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.table-wrap { overflow-x: auto; margin-bottom: 2em; }
dl.repro { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; font-size: 0.9em; }
dl.repro dt { font-weight: bold; } dl.repro dd { margin: 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.note { background: #f5f5f5; padding: 0.6em 1em; font-size: 0.9em; }
nav ol { columns: 3; font-size: 0.9em; margin: 0.5em 0; }
.lead { font-size: 0.95em; } .scenario h3 { margin-bottom: 0.2em; } .scenario ul { font-size: 0.9em; }
details { font-size: 0.9em; margin: -0.4em 0 0.6em 0; } summary { cursor: pointer; color: #333; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; }
"""


def _aligns(t: Table) -> list[str]:
    from sim.report.tables import _aligns as aligns

    return aligns(t)


def table_html(t: Table, links: str) -> str:
    aligns = _aligns(t)
    cls = lambda i: ' class="r"' if i < len(aligns) and aligns[i] == "r" else ""  # noqa: E731
    cell = lambda c: escape(c).replace("\n", "<br>")  # noqa: E731
    head = "".join(f"<th{cls(i)}>{cell(h)}</th>" for i, h in enumerate(t.headers))
    body = "\n".join("<tr>" + "".join(f"<td{cls(i)}>{cell(c)}</td>" for i, c in enumerate(row)) + "</tr>"
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


# ---- the sections that open the page -----------------------------------------------------------


def question_html(res: D.Results) -> str:
    """The question the results answer: the experiment's title and description (a sweep), or
    the scenario run (a 'run' folder), and what every comparison is against."""
    exp = res.experiment or {}
    resolved = exp.get("resolved") if isinstance(exp.get("resolved"), dict) else {}
    parts = []
    if exp.get("title") or resolved.get("description"):
        parts.append(f"<p><b>{escape(str(exp.get('title') or exp.get('name') or ''))}.</b> "
                     f"{escape(str(resolved.get('description') or '').strip())}</p>")
        reps = resolved.get("replications")
        if reps:
            parts.append(f"<p>This report: {int(reps):,} replications per scenario "
                         f"(runs paired across scenarios by seed).</p>")
    else:
        parts.append("<p>What happens, month by month over the horizon, in "
                     + ", ".join(escape(D.display(s)) for s in res.scenarios)
                     + ": deals with Washington, cohesion, the credibility of the US guarantee, Russian probing "
                       "and deterrence failure, defence spending and the capability gap.</p>")
    if res.reference is not None and len(res.groups) > 1:
        parts.append(f"<p>Every future is read against <b>{escape(D.display(res.reference))}</b>, a "
                     "counterfactual: the world without the May 2026 decision. Its differences from it are the "
                     "findings.</p>")
    return "\n".join(parts)


def scenarios_html(res: D.Results, signposts_table: str) -> str:
    """Each scenario: its full title, narrative, what it assumes apart from the status quo, what it
    scripts and what it leaves to chance; then the signposts and how each can happen."""
    from sim.report.figures import group_colours
    from sim.report.scenarios import describe

    colours = group_colours(res) if res.group_by == "scenario" else {}
    blocks = []
    for s in describe(res):
        swatch = (f'<span class="swatch" style="background:{colours[s.name]}"></span>' if s.name in colours else "")
        items = []
        if s.name == res.reference:
            items.append("<li><b>Reference:</b> the others are compared with it, run by run.</li>")
        for head, lines in (("Assumes, apart from the status quo", s.assumes), ("Scripted (fixed dates)", s.scripted),
                            ("By chance (monthly probability)", s.chance)):
            if lines:
                items.append(f"<li><b>{head}:</b><ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul></li>")
        if not (s.scripted or s.chance):
            items.append("<li><b>Scripted:</b> no event.</li>")
        notes = "".join(f'<p class="note">{escape(n)}</p>' for n in s.notes)
        # The details fold away (no script: a plain HTML element), so that the findings come soon.
        what = ("what it assumes, scripts and leaves to chance" if s.name != res.reference
                else "its role: the reference, with no scripted event")
        blocks.append(f'<div class="scenario" id="scenario-{escape(s.name)}"><h3>{swatch}{escape(s.title)}</h3>'
                      f"<p>{escape(s.narrative)}</p><details><summary>{what}</summary><ul>{''.join(items)}</ul>"
                      f"</details>{notes}</div>")
    return "\n".join(blocks) + "\n" + signposts_table


def findings_html(res: D.Results, limit: int = 4) -> str:
    """The differences from the reference that stay clear after the false-discovery-rate
    adjustment, the largest (by p value) first, a few per scenario."""
    from sim.report.figures import axis_unit
    from sim.report.figures.forests import FDR, difference_family, family_phrase

    fam = difference_family(res)
    if not fam:
        return ""
    from sim.report.tables import interval, number

    def strength(v) -> float:  # |difference| in standard errors: the clearest first
        e = v["estimate"]
        half = (e.high - e.low) / 2
        return abs(e.value) / half if half > 0 else float("inf")

    items = []
    for g in res.groups:
        if g == res.reference:
            continue
        mine = sorted(((name, v) for (gg, name), v in fam.items() if gg == g and v["q"] < FDR),
                      key=lambda nv: -strength(nv[1]))
        if not mine:
            items.append(f"<li><b>{escape(D.display(g))}:</b> no difference from {escape(D.display(res.reference))} "
                         "is clear after the adjustment.</li>")
            continue
        parts = []
        for name, v in mine[:limit]:
            e = v["estimate"]
            u = "percentage points" if D.is_probability(name) else axis_unit(D.unit(name))
            sign = "+" if e.value > 0 else ""
            parts.append(f"{D.label(name, res).removeprefix('Signpost: ')}: {sign}{number(e.value)} "
                         f"{interval(e)} ({D.unit_label(name, u)})")
        more = f" (and {len(mine) - limit} more)" if len(mine) > limit else ""
        items.append(f"<li><b>{escape(D.display(g))}:</b> " + escape("; ".join(parts)) + escape(more) + ".</li>")
    return (f"<p>Differences from {escape(D.display(res.reference))} whose 95% interval excludes zero after the "
            f"false-discovery-rate adjustment, the clearest first (values with their 95% intervals):</p>"
            f"<ul>{''.join(items)}</ul><p>{escape(family_phrase(res))}</p>"
            f'<p class="note">{escape(D.INDEX_NOTE)}</p>')


def _figure_html(i: int, f: Figure) -> str:
    stem = f"figures/{f.name}"
    shown = next((p for p in f.files if p.suffix == ".svg"), None)
    src = f"{stem}.svg" if shown is not None else f"{stem}.png"
    links = " · ".join(f'<a href="{escape(stem)}{ext}">{ext[1:].upper()}</a>'
                       for ext in (".pdf", ".png", ".svg") if any(p.suffix == ext for p in f.files))
    return (f'<figure id="fig-{escape(f.name)}"><img src="{escape(src)}" alt="{escape(f.title)}">'
            f"<figcaption><b>Figure {i}. {escape(f.title)}.</b> {escape(f.caption)} {links}</figcaption></figure>")


def _table_html(t: Table) -> str:
    links = " ".join(f'<a href="tables/{escape(t.name)}.{ext}">{ext.upper()}</a>' for ext in ("csv", "md", "tex"))
    return table_html(t, links)


FINDINGS_FIGURES = ("differences_probabilities", "differences_means")
FINDINGS_TABLES = ("differences",)


def _is_findings_figure(f: Figure) -> bool:
    return any(f.name == n or f.name.startswith(n + "_") for n in FINDINGS_FIGURES)


def write_html(out: Path, res: D.Results, figures: list[Figure], tables: list[Table], notes: list[str],
               odds_notes: list[str], command: str, title: str,
               attributed: tuple[list[Figure], list[Table]] | None = None) -> Path:
    """The page: the question, the scenarios, the summary of findings (the differences from the
    status quo, figure and table, first; in an arms sweep the experiment's comparisons), the
    attribution, the other figures and tables, reproducibility, and what is not in the report."""
    runs = sum(res.n_runs(g) for g in res.groups)
    who = ", ".join(D.display(g) for g in res.groups)
    if res.group_by == "arm":  # name the arms and the scenarios once each, not every pair of them
        arms = list(dict.fromkeys(a for g in res.groups if (a := res.arm_of(g))))
        who = (f"{len(arms)} arms ({', '.join(map(D.display, arms))}) in {len(res.scenarios)} scenario"
               f"{'s' if len(res.scenarios) > 1 else ''} ({', '.join(map(D.display, res.scenarios))})")
    signposts = next((t for t in tables if t.name == "signposts"), None)
    tables = [t for t in tables if t.name != "signposts"]
    if res.reference is not None and (any(_is_findings_figure(f) for f in figures)
                                      or any(t.name in FINDINGS_TABLES for t in tables)):
        key_figures = [f for f in figures if _is_findings_figure(f)]
        key_tables = [t for t in tables if t.name in FINDINGS_TABLES]
    elif res.design_kind == "arms":
        key_figures = [f for f in figures if f.name == "comparisons" or f.name.startswith("comparisons_")]
        key_tables = [t for t in tables if t.name == "comparisons"]
    else:
        key_figures, key_tables = [], []
    other_figures = [f for f in figures if f not in key_figures]
    other_tables = [t for t in tables if t not in key_tables]
    att_figures, att_tables = attributed or ([], [])
    numbered = key_figures + att_figures + other_figures
    number = {id(f): i for i, f in enumerate(numbered, start=1)}
    fig_html = lambda fs: "\n".join(_figure_html(number[id(f)], f) for f in fs)  # noqa: E731
    tab_html = lambda ts: "\n".join(_table_html(t) for t in ts)  # noqa: E731

    sections = [("question", "The question", question_html(res)),
                ("scenarios", "The scenarios", scenarios_html(res, _table_html(signposts) if signposts else ""))]
    findings = findings_html(res) if res.reference is not None else ""
    if key_figures or key_tables or findings:
        sections.append(("findings", "Summary of findings", findings + fig_html(key_figures) + tab_html(key_tables)))
    sections.append(("attribution", "Attribution: what each difference comes from",
                     (fig_html(att_figures) + tab_html(att_tables)) if attributed else
                     f"<p>{escape(NOT_BUILT)}</p>"))
    odds_html = ""
    if odds_notes:
        odds_html = ("<h3>Where the simulation and the market disagree</h3><ul>"
                     + "".join(f"<li>{escape(n)}</li>" for n in odds_notes) + "</ul>")
    sections.append(("figures", "Figures", odds_html + fig_html(other_figures)))
    sections.append(("tables", "Tables", tab_html(other_tables)))
    sections.append(("reproducibility", "Reproducibility", reproducibility(res, command)))
    if notes:
        sections.append(("not-in-report", "Not in this report",
                         "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"))
    nav = "\n".join(f'<li><a href="#{sid}">{escape(head)}</a></li>' for sid, head, _ in sections)
    body = "\n".join(f'<h2 id="{sid}">{escape(head)}</h2>\n{html}' for sid, head, html in sections)
    formats = "SVG, PNG (300 dpi) and PDF" if any(p.suffix == ".svg" for f in figures for p in f.files) else \
        "PNG (300 dpi) and PDF"
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
<p class="lead">{runs:,} successful runs of {escape(who)}. Figures in {formats} in <code>figures/</code>,
tables in CSV, Markdown and LaTeX (booktabs, longtable) in <code>tables/</code>.
Over time: medians (means for counts) with 50% and 90% bands of the runs; probabilities with Wilson 95%
intervals; means and differences with t-based 95% intervals.</p>
<nav><ol>
{nav}
</ol></nav>
{body}
</body>
</html>
"""
    return write_atomic(out / "index.html", page)
