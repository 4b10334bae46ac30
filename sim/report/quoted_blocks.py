"""The renderers of the documentation's generated blocks (:mod:`sim.report.quoted`), one per
block, each from the saved results of its job (``docs/generated/<job>.json``, written by
``experiments/reproduce.py``)."""

from __future__ import annotations

from sim.report.quoted import block


@block("findings", "findings")
def findings(d: dict) -> str:
    from sim.analysis.brief_claims import markdown

    return markdown(d["rows"], d["replications"], d.get("judgement_rows"))


@block("mechanisms-table", "mechanisms")
def mechanisms_table(d: dict) -> str:
    from sim.analysis.mechanisms import table_markdown

    return (f"At root seeds {', '.join(str(r) for r in d['roots'])}, {d['runs']:,} paired runs each (fast "
            "engine); each cell is the mean paired difference with its 95% interval:\n\n"
            + table_markdown(d["results"], d["roots"]))


REPLAY_YEARS = (2014, 2018, 2021, 2022, 2024, 2025)


@block("replay-table", "replay")
def replay_table(d: dict) -> str:
    def g(x: float) -> str:  # a count's percentile: one decimal, none when whole
        t = f"{x:.1f}"
        return t[:-2] if t.endswith(".0") else t

    lines = [f"`deterrence replay --runs {d['runs']} --seed {d['seed']}` (median and 90% range over runs):", "",
             "| year | allies at 2%, NATO | model | Europe and Canada % GDP, NATO | model |",
             "|---|---|---|---|---|"]
    for k, y in enumerate(d["years"]):
        if y not in REPLAY_YEARS:
            continue
        m, lo, hi = d["simulated_at_2pct"][k]
        s, slo, shi = d["simulated_share"][k]
        lines.append(f"| {y} | {d['published_at_2pct'][k]:.0f} | {g(m)} [{g(lo)}, {g(hi)}] | "
                     f"{d['published_share'][k]:.2f} | {s:.2f} [{slo:.2f}, {shi:.2f}] |")
    gm, glo, ghi = d["simulated_gradient"]
    lines += ["", f"Distance gradient (Spearman correlation of the distance to Moscow with the rise in share, "
              f"{d['years'][0]}-{d['years'][-1]}): model {gm:.2f} [{glo:.2f}, {ghi:.2f}], NATO "
              f"{d['published_gradient']:.2f}."]
    return "\n".join(lines)


@block("probing", "probing")
def probing(d: dict) -> str:
    # the section's heading stays in the document, outside the block
    return d["markdown"].split("\n", 2)[2].strip("\n")


@block("deal-cascade", "deal_cascade")
def deal_cascade(d: dict) -> str:
    lines = [f"`deterrence sweep deal_cascade` ({d['runs']:,} points of a Latin hypercube over every prior of "
             f"further_withdrawals) and `deterrence discover DIR --where \"{d['where']}\" --boxes "
             f"{len(d['boxes'])}`: the condition holds in {d['cases']:,} runs ({d['cases'] / d['runs']:.0%}).", "",
             "| box | coverage | density | mass | parameters restricted |", "|---|---|---|---|---|"]
    for b in d["boxes"]:
        lines.append(f"| {b['box']} | {b['coverage']:.2f} | {b['density']:.2f} | {b['mass']:.2f} | "
                     f"{b['restricted']} |")
    lines += ["", "Box 1's limits (the parameters it restricts, with the quasi-p value of each restriction):", "",
              "| parameter | low | high | prior | quasi-p |", "|---|---|---|---|---|"]
    for r in d["limits"]:
        lines.append(f"| `{r['parameter']}` | {r['low']:.3g} | {r['high']:.3g} | {r['prior']} | {r['qp']:.2g} |")
    return "\n".join(lines)


def _settings(d: dict) -> str:
    s = d["settings"]
    return (f"`deterrence validate-model` ({s['particles']} particles x {s['generations']} populations per fit, "
            f"{s['runs']:,} runs per origin, {s['hindcast_runs']} per earlier start year, root seed {s['seed']})")


@block("calibration-table", "validation")
def calibration_table(d: dict) -> str:
    from sim.analysis.validation import posterior_markdown

    p = d["posterior"]
    return (f"Fit on 2014-2025 ({_settings(d)}: {p['simulations']:,} simulations, final epsilon "
            f"{p['epsilon']:.2f}):\n\n" + posterior_markdown(p["parameters"]))


@block("skill-table", "validation")
def skill_table(d: dict) -> str:
    from sim.analysis.validation import skill_markdown, verdict_markdown

    v = d["verdict"]
    return (f"{_settings(d)}:\n\n{skill_markdown(d['skill'])}\n\nPooled over the 8 origin-horizon cases:\n\n"
            f"{verdict_markdown(v)}\n\nPersistence's 90% ranges cover {v['persistence_coverage_90']:.0%} of the "
            f"figures pooled, the trend's {v['trend_coverage_90']:.0%}.")


@block("forecast-2026", "validation")
def forecast_2026(d: dict) -> str:
    from sim.analysis.validation import future_markdown

    return ("Each cell: median (50% range; 90% range), % of GDP; `forecast_2026_2027.csv` of the validation "
            "folder has them all.\n\n" + future_markdown(d["forecast"]))


@block("readme-validation", "validation")
def readme_validation(d: dict) -> str:
    v = d["verdict"]
    raw, dressed = v["models"]["model"], v["models"]["model + own errors"]
    return (f"Out of sample (`deterrence validate-model`; origins 2017, 2019, 2021, 2023, fitted only on years up "
            f"to each; each ally's share 1 and 2 years ahead): the model alone beats carrying the last year "
            f"forward (persistence) on CRPS in {raw['beats_persistence']} of {raw['cases']} cases and a linear trend "
            f"in {raw['beats_trend']}, and its 90% ranges cover {raw['coverage_90']:.0%} of NATO's figures "
            f"(persistence's own-error ranges {v['persistence_coverage_90']:.0%}): they carry the uncertainty of "
            f"the parameters but not the year-to-year noise of national budgets. Widened by its own errors "
            f"before each origin (ensemble dressing), it beats persistence in {dressed['beats_persistence']} of "
            f"{dressed['cases']} and the trend in {dressed['beats_trend']}, with 90% ranges covering "
            f"{dressed['coverage_90']:.0%}.")


@block("calibration-change", "findings")
def calibration_change(d: dict) -> str:
    """What drawing the spending parameters from the posterior changed, in the brief's claims."""
    before = {r["claim"]: r for r in d["judgement_rows"]}
    rows = [r for r in d["rows"] if r["claim"] in before]
    changed = [r for r in rows if before[r["claim"]]["verdict"] != r["verdict"]]
    moved = [(r, before[r["claim"]]) for r in rows
             if abs(r["estimate"] - before[r["claim"]]["estimate"]) > 0.1 * abs(before[r["claim"]]["estimate"])
             and abs(before[r["claim"]]["estimate"]) > 0]
    text = (f"Since 0.3.0 the futures draw the allies' spending parameters from the posterior fitted to "
            f"NATO's figures 2014-2025 rather than from judgement ranges. Of the brief's {len(rows)} claims "
            f"({d['replications']:,} paired runs each, [`findings.md`](findings.md)), "
            + (f"{len(changed)} changed verdict" if changed else "none changed its verdict"))
    if moved:
        text += "; the effects that moved by more than a tenth are: " + "; ".join(
            f"{r['claim'].split(': ')[-1]} ({r['figure'].split(':')[0]}), {b['estimate']:+.3f} on judgement "
            f"priors against {r['estimate']:+.3f} calibrated" for r, b in moved)
    return text + "."


@block("sensitivity", "sensitivity")
def sensitivity(d: dict) -> str:
    """Per outcome, the priors whose total Sobol index stands above chance's, largest first."""
    from sim.model.outcomes import MAIN_OUTCOMES

    by: dict[str, list[dict]] = {}
    for r in d["rows"]:
        by.setdefault(r["outcome"], []).append(r)
    lines = [f"`deterrence sweep sensitivity` ({d['runs']:,} runs: {d['base_points']:,} base points, "
             f"{d['parameters']} priors and chance) and `deterrence summarize`: for each outcome, chance's total "
             "index and the priors whose total-index interval lies wholly above chance's, largest first (95% "
             "bootstrap intervals).", "",
             "| outcome | chance: total index | priors above chance: total index |", "|---|---|---|"]
    for outcome in [o for o in MAIN_OUTCOMES if o in by] + sorted(set(by) - set(MAIN_OUTCOMES)):
        rows = by[outcome]
        chance = next(r for r in rows if r["parameter"] == "chance")
        above = sorted((r for r in rows if r.get("above_chance")), key=lambda r: -r["total_order"])
        cells = "; ".join(f"`{r['parameter']}` {r['total_order']:.2f} [{r['total_low']:.2f}, {r['total_high']:.2f}]"
                          for r in above) or "none"
        lines.append(f"| {outcome} | {chance['total_order']:.2f} [{chance['total_low']:.2f}, "
                     f"{chance['total_high']:.2f}] | {cells} |")
    return "\n".join(lines)
