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
             "| " + " | ".join(_md_escape(h) for h in t.headers) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in _aligns(t)) + "|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines) + "\n"


def _aligns(t: Table) -> list[str]:
    return [c if c in "lrc" else "l" for c in re.findall(r"p\{[^}]*\}|[lrc]", t.spec)]


def to_latex(t: Table) -> str:
    """A longtable with booktabs rules (it may run over pages, as appendix tables do)."""
    head = " & ".join(latex_escape(h) for h in t.headers) + r" \\"
    lines = [
        f"% {t.name}: written by 'deterrence report'. Needs \\usepackage{{booktabs,longtable}}.",
        "{\\footnotesize",
        f"\\begin{{longtable}}{{{t.spec}}}",
        f"\\caption{{{latex_escape(t.title)}. {latex_escape(t.caption)}}}\\label{{tab:{t.name.replace('_', '-')}}}\\\\",
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
        lines.append(" & ".join(latex_escape(c) for c in cells) + r" \\")
    lines += [r"\end{longtable}", "}"]
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
        rows.append([D.display(g), str(rec["runs"]), str(rec["failed"]), str(rec["runs_with_series"]),
                     str(rec["design_points"]), seed, folders])
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
    recs, rows = [], []
    for name in probability_outcomes(res) + mean_outcomes(res):
        prob = D.is_probability(name)
        u = D.unit(name)
        for g in res.groups:
            e = D.estimate(res, g, name)
            if e.n == 0:
                continue
            recs.append({"outcome": name, "label": D.label(name, res), "unit": u, "scenario": g, "runs": e.n,
                         "statistic": "probability" if prob else "mean", "estimate": e.value,
                         "low": e.low, "high": e.high,
                         "interval": INTERVAL_PROBABILITY if prob else INTERVAL_MEAN})
            rows.append([f"{D.label(name, res).removeprefix('Signpost: ')} ({u})", D.display(g), str(e.n),
                         ("P = " if prob else "") + number(e.value), interval(e)])
    by = group_header(res).lower()
    caption = (f"Probabilities (share of runs, {INTERVAL_PROBABILITY}) and means ({INTERVAL_MEAN}) of the "
               f"main outcomes and signposts, with units, by {by}; Runs is the number of runs.")
    return Table("outcomes", f"Outcomes by {by}", caption, pd.DataFrame(recs),
                 ["Outcome (unit)", group_header(res), "Runs", "Estimate", "95% interval"], rows, "p{6.2cm}lrrl")


def differences_table(res: D.Results) -> Table | None:
    ref = res.reference
    if ref is None:
        return None
    recs, rows = [], []
    for name in probability_outcomes(res) + mean_outcomes(res):
        prob = D.is_probability(name)
        u = "percentage points" if prob else D.unit(name)
        scale = 100.0 if prob else 1.0
        for g in res.groups:
            if g == ref:
                continue
            e, was_paired = D.paired(res, g, name)
            if e.n == 0:
                continue
            e = D.Estimate(e.value * scale, e.low * scale, e.high * scale, e.n)
            clear = not (math.isnan(e.low) or e.low <= 0 <= e.high)
            recs.append({"outcome": name, "unit": u, "scenario": g, "reference": ref, "pairs": e.n if was_paired else 0,
                         "runs": e.n, "difference": e.value, "low": e.low, "high": e.high,
                         "paired": was_paired, "interval_excludes_zero": clear})
            rows.append([f"{D.label(name, res).removeprefix('Signpost: ')} ({u})", D.display(g),
                         str(e.n) + ("" if was_paired else " (unpaired)"), number(e.value), interval(e),
                         "yes" if clear else "no"])
    caption = (f"Difference of each scenario from {D.display(ref)} (probabilities in percentage points), "
               f"with the {INTERVAL_PAIRED}; Pairs is the number of paired runs; Clear: the interval "
               f"excludes zero.")
    return Table("differences", f"Differences from {D.display(ref)}", caption, pd.DataFrame(recs),
                 ["Outcome (unit)", "Scenario", "Pairs", "Difference", "95% interval", "Clear"], rows,
                 "p{5.6cm}lrrlc")


def odds_table(res: D.Results, comparison: pd.DataFrame) -> Table:
    rows = []
    for _, r in comparison.iterrows():
        e = D.Estimate(r["probability"], r["low"], r["high"], r["runs"])
        rows.append([D.label(f"signpost.{r['signpost']}", res).removeprefix("Signpost: "), D.display(r["group"]),
                     str(r["runs"]), number(e.value), interval(e), f"{r['price']:.3f}",
                     f"{r['source']} {r['date']}".strip(), r["verdict"]])
    caption = (f"Simulated probability of each priced signpost (share of runs, {INTERVAL_PROBABILITY}) beside "
               f"the market price read as a probability; 'model higher' or 'model lower' where the price lies "
               f"outside the interval.")
    data = comparison.assign(interval=INTERVAL_PROBABILITY)
    return Table("odds", "Signposts: simulation and market prices", caption, data,
                 ["Signpost", "Scenario", "Runs", "Probability", "95% interval", "Price", "Source, date", "Verdict"],
                 rows, "p{4.2cm}lrrlrp{2.2cm}l")


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
        row = [f"{records[0]['name']} ({iso})", D.display(group), str(int(sel["runs"].max()))]
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
    caption = (f"Per ally and {res.group_by}: {what}. Shares of runs for a 0/1 outcome with the "
               f"{INTERVAL_PROBABILITY}, else means across runs with the {INTERVAL_MEAN}.")
    spec = "llr" + "rl" * len(metrics)
    return Table("allies", "The allies", caption, ordered.reset_index(drop=True), headers, rows, spec, rule_on=0)


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
                         f"{D.label(name, res).removeprefix('Signpost: ')} ({u})", str(e.n), number(e.value),
                         interval(e), "yes" if clear else "no"])
    if not recs:
        return None
    sources = sorted({r["source"] for r in recs}, reverse=True)
    where = " and ".join({"summary": "from the sweep's summary/differences", "runs": "computed from the runs"}[s]
                         for s in sources)
    caption = (f"The experiment's comparisons a \u2212 b, run by run over the replications both sides share, with the "
               f"{INTERVAL_PAIRED}; probabilities in percentage points; Pairs is the number of paired runs; "
               f"Clear: the interval excludes zero. Differences {where} (column 'source' of the CSV).")
    return Table("comparisons", "Paired comparisons", caption, pd.DataFrame(recs),
                 ["Comparison", "Scenario", "Outcome (unit)", "Pairs", "Difference", "95% interval", "Clear"],
                 rows, "p{3.2cm}p{2.2cm}p{4.4cm}rrlc", rule_on=0)


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
            rows.append([f"{vx:g}", f"{vy:g}", f"{D.label(name)} ({D.unit(name)})", str(e.n),
                         number(e.value), interval(e)])
    ux, uy = D.parameter_unit(fx), D.parameter_unit(fy)
    caption = (f"{D.display(scenario)}: each cell of the two-parameter design ({fx} in {ux}, {fy} in {uy}), "
               f"outcome shares ({INTERVAL_PROBABILITY}) and means ({INTERVAL_MEAN}); Runs per cell.")
    return Table(f"sweep_{_slug(scenario)}", f"Sweep over {fx} and {fy}", caption, pd.DataFrame(recs),
                 [f"{fx} ({ux})", f"{fy} ({uy})", "Outcome (unit)", "Runs", "Estimate", "95% interval"],
                 rows, "rrp{5cm}rrl", rule_on=0)


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
               f"intervals from the summary folder; {len(res.runs)} runs.")
    return Table("sobol", "Sobol indices", caption, s,
                 ["Outcome", "Parameter", "S1", "S1 interval", "ST", "ST interval"], rows, "p{4cm}lrlrl")
