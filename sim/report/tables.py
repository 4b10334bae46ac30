"""The report's tables, each written as CSV (numbers, for reuse), Markdown and LaTeX (booktabs,
escaped; for articles). Every table states its units and numbers of runs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.report import data as D
from sim.report.figures import (
    INTERVAL_MEAN,
    INTERVAL_PAIRED,
    INTERVAL_PROBABILITY,
    mean_outcomes,
    probability_outcomes,
)
from sim.report.files import write_atomic


@dataclass
class Table:
    name: str
    title: str
    caption: str
    data: pd.DataFrame            # what the CSV holds: plain numbers
    headers: list[str]            # what Markdown, LaTeX and HTML show
    rows: list[list[str]]
    spec: str                     # LaTeX column spec, e.g. "p{5cm}lrr"
    rule_on: int | None = 0       # a rule between rows whose value in this column changes
    keep: int = 1                 # LaTeX: columns repeated in every part when the table is split by columns
    unit: int = 1                 # LaTeX: columns that stay together (a value and its interval)


def number(v: float, like: float | None = None) -> str:
    """A fixed format by magnitude (of ``like`` when given, so an interval matches its estimate)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    m = abs(like if like is not None and not math.isnan(like) else v)
    if m >= 1000:
        return f"{v:,.0f}"
    if m >= 100:
        return f"{v:.0f}"
    if m >= 10:
        return f"{v:.1f}"
    if m >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def count(n: int) -> str:
    """A count with thousands separators: 10,000 runs."""
    return f"{int(n):,}"


def interval(e: D.Estimate) -> str:
    if math.isnan(e.low) or math.isnan(e.high):
        return "n/a"
    return f"[{number(e.low, e.value)}, {number(e.high, e.value)}]"


# ---- writers ----------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u2013": "--", "\u2014": "---", "\u2212": "$-$", "\u2265": r"$\geq$", "\u2264": r"$\leq$",
    "\u00d7": r"$\times$", "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''", "\u00a0": "~",
}


def latex_escape(text: str) -> str:
    """Text safe for LaTeX: special characters escaped, typographic ones spelt in ASCII."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _md_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def to_csv(t: Table) -> str:
    return t.data.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def to_markdown(t: Table) -> str:
    lines = [f"**{_md_escape(t.title)}.** {_md_escape(t.caption)}", "",
             "| " + " | ".join(_md_escape(h).replace("\n", " ") for h in t.headers) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in _aligns(t)) + "|"]
    lines += ["| " + " | ".join(_md_escape(c).replace("\n", " ") for c in row) + " |" for row in t.rows]
    return "\n".join(lines) + "\n"


def _columns(spec: str) -> list[str]:
    return re.findall(r"p\{[^}]*\}|[lrc]", spec)


def _aligns(t: Table) -> list[str]:
    return [c if c in "lrc" else "l" for c in _columns(t.spec)]


# LaTeX tables must fit the text width of an A4 page and of a US letter page with the margins
# journals use (A4 with 2.5 cm margins: 16 cm; letter with 1 inch: 16.5 cm). Widths are
# estimated at \footnotesize (8 pt: a digit is 4 pt, letters about 4.3 pt on average) with
# \tabcolsep at 4 pt; a table wider than TEXT_WIDTH_CM is split into parts by columns, each
# repeating the first ``keep`` columns (tests/test_report_appendix.py compiles every table with
# pdflatex on both papers and reads the log for overfull boxes).
TEXT_WIDTH_CM = 15.5
CHAR_CM = 0.13
COLUMN_GAP_CM = 2 * 4 / 72 * 2.54  # \tabcolsep on each side


def _cell_lines(cell: str) -> list[str]:
    return str(cell).split("\n")


def _column_width(t: Table, i: int) -> float:
    spec = _columns(t.spec)[i]
    if spec.startswith("p{"):
        return float(spec[2:-3]) + COLUMN_GAP_CM  # p{N cm}
    longest = max((len(line) for row in [t.headers, *t.rows] for line in _cell_lines(row[i])), default=1)
    return longest * CHAR_CM + COLUMN_GAP_CM


def latex_parts(t: Table) -> list[list[int]]:
    """Column indices of each part of a LaTeX table: all of them if the table fits the page,
    else the first ``keep`` columns plus as many units of the others as fit, part after part."""
    n = len(t.headers)
    widths = [_column_width(t, i) for i in range(n)]
    if sum(widths) <= TEXT_WIDTH_CM or n <= t.keep + t.unit:
        return [list(range(n))]
    units = [list(range(i, min(i + t.unit, n))) for i in range(t.keep, n, t.unit)]
    base = sum(widths[: t.keep])
    # The fewest parts of about equal size (3 + 2 columns, not 4 + 1) that each fit.
    for k in range(2, len(units) + 1):
        size = math.ceil(len(units) / k)
        parts = [[i for unit in units[j: j + size] for i in unit] for j in range(0, len(units), size)]
        if all(base + sum(widths[i] for i in part) <= TEXT_WIDTH_CM for part in parts):
            break
    return [list(range(t.keep)) + part for part in parts]


def _latex_cell(cell: str, align: str) -> str:
    lines = _cell_lines(cell)
    if len(lines) == 1:
        return latex_escape(cell)
    # Two lines in one cell (an estimate over its interval): a nested tabular, standard LaTeX.
    a = align if align in "lrc" else "l"
    # "\\{}": a line that starts with "[" (an interval) must not be read as the optional argument of \\.
    return f"\\begin{{tabular}}[t]{{@{{}}{a}@{{}}}}" + r" \\{}".join(latex_escape(x) for x in lines) + r"\end{tabular}"


def to_latex(t: Table) -> str:
    """Longtables with booktabs rules (they may run over pages, as appendix tables do), at
    \footnotesize; a table too wide for the page is split by columns into parts, each its own
    longtable ('part k of n' in the caption)."""
    parts = latex_parts(t)
    lines = [f"% {t.name}: written by 'deterrence report'. Needs \\usepackage{{booktabs,longtable}}; "
             f"fits the text width of A4 and US letter with 2.5 cm margins.",
             "{\\footnotesize\\setlength{\\tabcolsep}{4pt}"]
    columns, aligns = _columns(t.spec), _aligns(t)
    for k, cols in enumerate(parts, start=1):
        spec = "".join(columns[i] for i in cols)
        head = " & ".join(_latex_cell(t.headers[i], aligns[i]) for i in cols) + r" \\"
        part = f" (part {k} of {len(parts)})" if len(parts) > 1 else ""
        label = f"tab:{t.name.replace('_', '-')}" + (f"-{k}" if len(parts) > 1 else "")
        lines += [
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\caption{{{latex_escape(t.title)}{part}. {latex_escape(t.caption)}}}\\label{{{label}}}\\\\",
            r"\toprule", head, r"\midrule", r"\endfirsthead",
            r"\toprule", head, r"\midrule", r"\endhead",
            r"\bottomrule", r"\endfoot",
        ]
        previous = None
        for row in t.rows:
            if t.rule_on is not None and previous is not None and row[t.rule_on] != previous:
                lines.append(r"\midrule")
            cells = list(row)
            if t.rule_on is not None and row[t.rule_on] == previous:
                cells[t.rule_on] = ""  # a repeated group label is left blank under its first row
            previous = row[t.rule_on] if t.rule_on is not None else None
            lines.append(" & ".join(_latex_cell(cells[i], aligns[i]) for i in cols) + r" \\")
        lines.append(r"\end{longtable}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_table(t: Table, out: Path) -> list[Path]:
    files = []
    for suffix, text in ((".csv", to_csv(t)), (".md", to_markdown(t)), (".tex", to_latex(t))):
        files.append(write_atomic(out / f"{t.name}{suffix}", text))
    return files


# ---- the tables -------------------------------------------------------------------------------


def scenarios_table(res: D.Results) -> Table:
    """What was compared: scenarios or arms, their runs and where they came from."""
    recs, rows = [], []
    for g in res.groups:
        sel = res.runs[res.runs["group"] == g]
        failed = res.failed[res.failed["scenario"].isin(sel["scenario"].unique())] if len(res.failed) else res.failed
        folders = ", ".join(sorted(sel["_folder"].unique()))
        seed = _root_seed(res, sorted(sel["_folder"].unique()))
        rec = {"scenario": g, "runs": res.n_runs(g), "failed": len(failed),
               "runs_with_series": res.n_series_runs(g), "design_points": sel["design_point"].nunique(),
               "root_seed": seed, "folder": folders}
        recs.append(rec)
        rows.append([D.display(g), count(rec["runs"]), count(rec["failed"]), count(rec["runs_with_series"]),
                     count(rec["design_points"]), seed, folders])
    caption = ("Runs that succeeded and failed, runs that kept monthly series, design points and root "
               "seed, by " + ("scenario" if res.group_by == "scenario" else res.group_by) + ".")
    return Table("scenarios", "Runs compared", caption, pd.DataFrame(recs),
                 [group_header(res), "Runs", "Failed", "With series", "Design points", "Root seed", "Folder"],
                 rows, "lrrrrrl", rule_on=None)


def _root_seed(res: D.Results, folders: list[str]) -> str:
    seeds = set()
    for f in folders:
        scheme = res.manifests.get(f, {}).get("seed_scheme", {})
        seed = scheme.get("root_seed", res.manifests.get(f, {}).get("seed"))
        seeds.add("not recorded" if seed is None else str(seed))
    return ", ".join(sorted(seeds))


def group_header(res: D.Results) -> str:
    """The column naming the compared groups: scenarios, or arms (within scenarios)."""
    if res.group_by == "scenario":
        return "Scenario"
    return "Scenario / arm" if len(res.scenarios) > 1 else "Arm"


def outcomes_table(res: D.Results) -> Table:
    """The appendix table: one row per outcome, one column per scenario (or arm), each cell the
    estimate over its 95% interval. A rare count has a row for the share of runs with any and
    two for the runs with any (mean, median, bootstrap intervals); a signpost that is scripted
    or set by a scenario, or that cannot happen there, says so in its cell. The CSV keeps the long form."""
    from sim.report.scenarios import signpost_mark

    groups = list(res.groups)
    recs, rows = [], []

    def rec(name, g, statistic, value, low, high, n, how):
        recs.append({"outcome": name, "label": D.label(name, res), "unit": D.unit(name),
                     "reading": "index" if D.is_index(name) else "", "scenario": g, "runs": n,
                     "statistic": statistic, "estimate": value, "low": low, "high": high, "interval": how})

    for name in probability_outcomes(res) + mean_outcomes(res):
        prob = D.is_probability(name)
        label = f"{D.label(name, res).removeprefix('Signpost: ')} ({D.unit_label(name)})"
        cells, medians = [], []
        for g in groups:
            e = D.estimate(res, g, name)
            mark = signpost_mark(res, res.scenario_of(g), name.split(".")[1]) if name.startswith("signpost.") else ""
            if e.n == 0:
                cells.append("n/a" + mark)
                medians.append("n/a")
                continue
            if name.endswith(D.IF_ANY):
                r = D.rare(res, g, name.removesuffix(D.IF_ANY))
                rec(name, g, "mean", r["mean"], r["mean_low"], r["mean_high"], e.n, "percentile bootstrap 95% interval")
                rec(name, g, "median", r["median"], r["median_low"], r["median_high"], e.n,
                    "percentile bootstrap 95% interval")
                medians.append(f"{number(r['median'])}\n{interval(D.Estimate(r['median'], r['median_low'], r['median_high'], e.n))}")
            else:
                rec(name, g, "probability" if prob else "mean", e.value, e.low, e.high, e.n,
                    INTERVAL_PROBABILITY if prob else INTERVAL_MEAN)
            cells.append(f"{number(e.value)}\n{interval(e)}" + (f"\n{mark.strip(' ()')}" if mark else ""))
        if name.endswith(D.IF_ANY):
            rows.append([f"{label}: mean", *cells])
            rows.append([f"{label}: median", *medians])
        else:
            rows.append([label, *cells])
    by = group_header(res).lower()
    runs = sorted({res.n_runs(g) for g in groups})
    n_text = f"{count(runs[0])} runs per {by}" if len(runs) == 1 else "runs per " + by + ": " + ", ".join(
        f"{D.display(g)} {count(res.n_runs(g))}" for g in groups)
    rare = "".join(f" {D.label(n)}: zero in most runs, so given as the probability of at least one and, in the "
                   f"runs with any, the mean and median with percentile-bootstrap 95% intervals (never below zero)."
                   for n in res.rare_counts)
    caption = (f"Each cell: the estimate over its 95% interval; probabilities are shares of runs "
               f"({INTERVAL_PROBABILITY}), other outcomes means across runs ({INTERVAL_MEAN}).{rare} "
               f"A signpost marked 'scripted' or 'scripted timing' has a probability set by the scenario (its "
               f"event on a fixed date, or with a constant monthly chance), not found by the model; 'cannot "
               f"happen' or 'not announced': no announced event of its kind there. {n_text}. {D.INDEX_NOTE}")
    headers = ["Outcome (unit)", *[_wrap_header(D.display(g)) for g in groups]]
    return Table("outcomes", f"Outcomes by {by}", caption, pd.DataFrame(recs), headers, rows,
                 "p{4.2cm}" + "r" * len(groups), rule_on=None, keep=1, unit=1)


def differences_table(res: D.Results) -> Table:
    """Every difference from the reference, wide as the outcomes table: one row per outcome, one
    column per scenario, each cell the difference over its 95% interval and its q value (the
    Benjamini-Hochberg adjusted p value over the whole family: the false discovery rate), marked
    'not clear' when q is not below FDR. The CSV keeps the long form with p, q and Holm's
    family-wise adjusted p value."""
    from sim.report.figures.forests import FDR, difference_family

    ref = res.reference
    fam = difference_family(res)
    if ref is None or not fam:
        return None
    groups = [g for g in res.groups if g != ref and any(k[0] == g for k in fam)]
    names = list(dict.fromkeys(name for _, name in fam))
    recs, rows = [], []
    for (g, name), v in fam.items():
        e, was_paired = v["estimate"], v["paired"]
        recs.append({"outcome": name, "unit": "percentage points" if D.is_probability(name) else D.unit(name),
                     "reading": "index" if D.is_index(name) else "", "scenario": g, "reference": ref, "pairs": e.n if was_paired else 0, "runs": e.n,
                     "difference": e.value, "low": e.low, "high": e.high, "paired": was_paired,
                     "runs_p05": e.spread_low, "runs_p95": e.spread_high,
                     "interval_excludes_zero": not (math.isnan(e.low) or e.low <= 0 <= e.high),
                     "p": v["p"], "q_bh": v["q"], "p_holm": v["holm"], "clear_fdr": v["q"] < FDR})
    for name in names:
        u = "percentage points" if D.is_probability(name) else D.unit(name)
        row = [f"{D.label(name, res).removeprefix('Signpost: ')} ({D.unit_label(name, u)})"]
        for g in groups:
            v = fam.get((g, name))
            if v is None:
                row.append("n/a")
                continue
            e = v["estimate"]
            sign = "+" if e.value > 0 else ""
            cell = f"{sign}{number(e.value)}\n{interval(e)}\nq {_p(v['q'])}"
            if v["paired"] and not D.is_probability(name) and not math.isnan(e.spread_low):
                cell += f"\nruns {number(e.spread_low, e.value)} to {number(e.spread_high, e.value)}"
            if not v["q"] < FDR:
                cell += "\nnot clear"
            if not v["paired"]:
                cell += "\nunpaired"
            row.append(cell)
        rows.append(row)
    all_paired = all(v["paired"] for v in fam.values())
    how = INTERVAL_PAIRED if all_paired else (
        "t-based 95% interval, paired where runs share replication and seed, else of the difference of the two "
        "means (Welch; marked 'unpaired')")
    m = sum(1 for v in fam.values() if not math.isnan(v["p"]))
    pairs = sorted({v["estimate"].n for v in fam.values()})
    n_text = (f"{count(pairs[0])} {'pairs of runs' if all_paired else 'runs'} per comparison" if len(pairs) == 1
              else f"{count(pairs[0])} to {count(pairs[-1])} {'pairs of runs' if all_paired else 'runs'} per comparison")
    caption = (f"Difference of each scenario from {D.display(ref)} (probabilities in percentage points): each cell "
               f"the difference over its 95% interval ({how}), its q value and, for paired means, the 5-95% "
               f"spread of the paired differences across runs ('runs': what one run may show, beside the "
               f"precision of the mean). {m:,} comparisons in all: q is the "
               f"Benjamini-Hochberg adjusted p value over the {m:,} (false discovery rate); 'not clear' where q is "
               f"not below {FDR:g}. The CSV adds each p value and Holm's family-wise adjusted one (p_holm). "
               f"Signposts whose probability a scenario sets, and differences zero by construction, are left out. "
               f"{n_text}. {D.INDEX_NOTE}")
    return Table("differences", f"Differences from {D.display(ref)}", caption, pd.DataFrame(recs),
                 ["Outcome (unit)", *[_wrap_header(D.display(g)) for g in groups]], rows,
                 "p{4.2cm}" + "r" * len(groups), rule_on=None, keep=1, unit=1)


def _wrap_header(text: str, width: int = 14) -> str:
    """A column header on lines of about ``width`` characters (a scenario's title over a narrow
    column of numbers); Markdown and HTML join the lines again."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _p(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def odds_table(res: D.Results, comparison: pd.DataFrame) -> Table:
    rows = []
    for _, r in comparison.iterrows():
        e = D.Estimate(r["probability"], r["low"], r["high"], r["runs"])
        rows.append([D.label(f"signpost.{r['signpost']}", res).removeprefix("Signpost: "), D.display(r["group"]),
                     count(r["runs"]), number(e.value), interval(e), f"{r['price']:.3f}",
                     f"{r['source']} {r['date']}".strip(), r["verdict"]])
    caption = (f"Simulated probability of each priced signpost (share of runs, {INTERVAL_PROBABILITY}) beside "
               f"the market price read as a probability; 'model higher' or 'model lower' where the price lies "
               f"outside the interval.")
    data = comparison.assign(interval=INTERVAL_PROBABILITY)
    return Table("odds", "Signposts: simulation and market prices", caption, data,
                 ["Signpost", "Scenario", "Runs", "Probability", "95% interval", "Price", "Source, date", "Verdict"],
                 rows, "p{4.2cm}lrrlrp{2.2cm}l", keep=2)


def allies_table(res: D.Results, values: pd.DataFrame) -> Table:
    """Per ally and group, one value and interval per metric side by side (deal, credibility,
    share, ... each in its unit); the CSV keeps the long form (one row per metric)."""
    metrics = list(dict.fromkeys(values["metric"]))
    info = values.drop_duplicates("metric").set_index("metric")
    ordered = values.sort_values(["iso3", "group"], key=_group_key(res), kind="stable")
    rows = []
    for (iso, group), sel in ordered.groupby(["iso3", "group"], sort=False):
        records = sel.to_dict("records")
        by_metric: dict = {}
        for r in records:  # the first row of each metric
            by_metric.setdefault(r["metric"], r)
        row = [f"{records[0]['name']} ({iso})", D.display(group), count(int(sel["runs"].max()))]
        for m in metrics:
            r = by_metric.get(m)
            if r is None:
                row += ["n/a", "n/a"]
                continue
            e = D.Estimate(r["value"], r["low"], r["high"], r["runs"])
            row += [number(e.value, 0.5 if info.loc[m, "unit"] == "probability" else None), interval(e)]
        rows.append(row)
    headers = ["Ally", group_header(res), "Runs"]
    for m in metrics:
        headers += [f"{_metric_name(m)} ({info.loc[m, 'unit']})", "95% interval"]
    what = "; ".join(f"{_metric_name(m).lower()}: {info.loc[m, 'what']} ({info.loc[m, 'unit']})" for m in metrics)
    from sim.report.scenarios import deal_notes

    deals = [f"{D.display(g)}: {n}" for g in res.groups for n in deal_notes(res, res.scenario_of(g))]
    caption = (f"Per ally and {res.group_by}: {what}. Shares of runs for a 0/1 outcome with the "
               f"{INTERVAL_PROBABILITY}, else means across runs with the {INTERVAL_MEAN}."
               + ("".join(f" {d}" for d in deals) if any(m in ("deal", "holds_deal") for m in metrics) else ""))
    spec = "llr" + "rl" * len(metrics)
    return Table("allies", "The allies", caption, ordered.reset_index(drop=True), headers, rows, spec, rule_on=0,
                 keep=3, unit=2)  # split by columns: ally, group and runs in every part, a value with its interval


def _metric_name(metric: str) -> str:
    return {"group_credibility": "Credibility (group)", "holds_deal": "Deal", "credibility_final": "Credibility",
            "spending_share": "Share"}.get(metric, metric.replace("_", " ").capitalize())


def comparisons_table(res: D.Results, comps: list[D.Comparison]) -> Table | None:
    """The experiment's compare pairs that the comparisons figure shows: every outcome of the
    figure and every signpost, each difference with its interval and where it came from."""
    from sim.report.figures import comparison_outcomes

    names = comparison_outcomes(res) + [n for n in probability_outcomes(res) if n.startswith("signpost.")]
    recs, rows = [], []
    for comp in comps:
        for name in names:
            e, source = D.compared(res, comp, name)
            if e.n == 0 or math.isnan(e.value):
                continue
            prob = D.is_probability(name)
            scale = 100.0 if prob else 1.0
            u = "percentage points" if prob else D.unit(name)
            e = D.Estimate(e.value * scale, e.low * scale, e.high * scale, e.n)
            clear = not (math.isnan(e.low) or e.low <= 0 <= e.high)
            recs.append({"comparison": comp.name, "a": comp.a, "b": comp.b, "scenario": comp.scenario,
                         "outcome": name, "unit": u, "pairs": e.n, "difference": e.value, "low": e.low,
                         "high": e.high, "interval_excludes_zero": clear, "source": source})
            rows.append([comp.label, D.display(comp.scenario) if comp.scenario else "",
                         f"{D.label(name, res).removeprefix('Signpost: ')} ({D.unit_label(name, u)})", count(e.n), number(e.value),
                         interval(e), "yes" if clear else "no"])
    if not recs:
        return None
    ps = [D.Estimate(r["difference"], r["low"], r["high"], r["pairs"]).p for r in recs]
    for r, row, pv, q, h in zip(recs, rows, ps, D.adjust(ps, "bh"), D.adjust(ps, "holm"), strict=True):
        r.update(p=pv, q_bh=float(q), p_holm=float(h))
        row[-1] = "yes" if q < 0.05 else "no"
        row.insert(-1, _p(float(q)))
    sources = sorted({r["source"] for r in recs}, reverse=True)
    where = " and ".join({"summary": "from the sweep's summary/differences", "runs": "computed from the runs"}[s]
                         for s in sources)
    caption = (f"The experiment's comparisons a \u2212 b, run by run over the replications both sides share, with the "
               f"{INTERVAL_PAIRED}; probabilities in percentage points; Pairs is the number of paired runs; "
               f"{len(recs):,} comparisons in all: q is each one's Benjamini-Hochberg adjusted p value over them "
               f"(false discovery rate; Holm's family-wise one is in the CSV, p_holm); Clear: q below 0.05. "
               f"Differences {where} (column 'source' of the CSV). {D.INDEX_NOTE}")
    return Table("comparisons", "Paired comparisons", caption, pd.DataFrame(recs),
                 ["Comparison", "Scenario", "Outcome (unit)", "Pairs", "Difference", "95% interval", "q (BH)", "Clear"],
                 rows, "p{2.4cm}p{1.8cm}p{3.4cm}rrlrc", rule_on=0, keep=3)


def _group_key(res: D.Results):
    order = {g: i for i, g in enumerate(res.groups)}
    return lambda s: s.map(order) if s.name == "group" else s


def sweep_table(res: D.Results, scenario: str, fx: str, fy: str, cells: pd.DataFrame, names) -> Table:
    recs, rows = [], []
    for (vx, vy), sel in cells.groupby([fx, fy]):
        for name in names:
            if name not in sel:
                continue
            prob = D.is_probability(name)
            e = D.probability(sel[name]) if prob else D.mean(sel[name])
            recs.append({fx: vx, fy: vy, "outcome": name, "unit": D.unit(name), "runs": e.n,
                         "estimate": e.value, "low": e.low, "high": e.high,
                         "interval": INTERVAL_PROBABILITY if prob else INTERVAL_MEAN})
            rows.append([f"{vx:g}", f"{vy:g}", f"{D.label(name)} ({D.unit(name)})", count(e.n),
                         number(e.value), interval(e)])
    ux, uy = D.parameter_unit(fx), D.parameter_unit(fy)
    caption = (f"{D.display(scenario)}: each cell of the two-parameter design ({fx} in {ux}, {fy} in {uy}), "
               f"outcome shares ({INTERVAL_PROBABILITY}) and means ({INTERVAL_MEAN}); Runs per cell.")
    return Table(f"sweep_{_slug(scenario)}", f"Sweep over {fx} and {fy}", caption, pd.DataFrame(recs),
                 [f"{fx} ({ux})", f"{fy} ({uy})", "Outcome (unit)", "Runs", "Estimate", "95% interval"],
                 rows, "rrp{5cm}rrl", rule_on=0, keep=3)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()


def sobol_table(res: D.Results) -> Table | None:
    s = res.sobol
    if s is None or s.empty:
        return None
    rows = []
    for (outcome, param), sel in s.groupby(["outcome", "parameter"], sort=False):
        cells = []
        for idx in ("S1", "ST"):
            r = sel[sel["index"] == idx]
            e = D.Estimate(*(float(r[c].iloc[0]) if len(r) else math.nan for c in ("estimate", "low", "high")), 0)
            cells += [number(e.value, 0.5), interval(D.Estimate(e.value, e.low, e.high, 0)) if len(r) else "n/a"]
        rows.append([D.label(outcome), param, *cells])
    caption = (f"First-order (S1) and total (ST) Sobol indices (share of output variance) with the bootstrap "
               f"intervals from the summary folder; {count(len(res.runs))} runs.")
    return Table("sobol", "Sobol indices", caption, s,
                 ["Outcome", "Parameter", "S1", "S1 interval", "ST", "ST interval"], rows, "p{4cm}lrlrl",
                 keep=2, unit=2)


def signposts_table(res: D.Results) -> Table | None:
    """The signposts and how each can happen in each scenario (sim.report.scenarios.signpost_status)."""
    from sim.report.scenarios import signpost_status

    status = signpost_status(res)
    if not status:
        return None
    scenarios = [s for s in res.scenarios if any(k[0] == s for k in status)]
    sids = list(dict.fromkeys(sid for s in scenarios for (sc, sid) in status if sc == s))
    from sim.report.scenarios import WORDS as words

    recs, rows = [], []
    for sid in sids:
        row = [D.label(f"signpost.{sid}", res).removeprefix("Signpost: ")]
        for s in scenarios:
            st = status.get((s, sid))
            row.append(words[st.kind] if st else "absent")
            recs.append({"signpost": sid, "scenario": s, "status": st.kind if st else "absent",
                         "explanation": st.text if st else "not a signpost of this scenario"})
        rows.append(row)
    caption = ("How each signpost can happen in each scenario, as the model reads it (sim.model.outcomes."
               "signpost_origin). Emerges: its event's chance rises with the agents' decisions, so its probability "
               "is a finding. Scripted timing: its event is scripted and only its month is left to a constant "
               "monthly chance; scripted: its event is on a fixed date (every run). Either way its probability is "
               "set by the scenario, not found by the model, and it is left out of the findings. Not announced: "
               "the scenario's events of its kind are not announced (announce: false), and signposts read "
               "announcements. Cannot happen: no event of its kind. Series: read from a monthly series against a "
               "threshold.")
    return Table("signposts", "Signposts and how they can happen", caption, pd.DataFrame(recs),
                 ["Signpost", *[_wrap_header(D.display(s)) for s in scenarios]], rows,
                 "p{4.2cm}" + "l" * len(scenarios), rule_on=None, keep=1, unit=1)
