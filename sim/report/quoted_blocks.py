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
