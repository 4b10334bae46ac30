"""Forest plots: probabilities and means of the outcomes by group, their differences from the
status quo, and the experiment's paired comparisons, each with its interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.model.outcomes import MAIN_OUTCOMES
from sim.report import data as D
from sim.report.figures.common import (
    INTERVAL_MEAN,
    INTERVAL_PAIRED,
    INTERVAL_PROBABILITY,
    MAX_HEIGHT,
    WIDTH,
    Figure,
    axis_unit,
    banded_blocks,
    figure_legend,
    fit,
    group_colours,
    group_marker,
    group_title,
    runs_phrase,
    save,
    scenario_legend,
    text_width,
    wrap,
    xerr,
)
from sim.report.files import write_atomic
from sim.report.style import plt, report_style

# ---- forest plots -----------------------------------------------------------------------------


def probability_outcomes(res: D.Results) -> list[str]:
    """Deterrence failure, whether a rare count happened at all (an incursion), and the signposts
    present in the results, in their order."""
    names = [n for n in MAIN_OUTCOMES if D.is_probability(n) and n in res.runs]
    names += [n + D.ANY for n in res.rare_counts]
    names += [c for c in res.runs.columns if c.startswith("signpost.") and D.is_probability(c)]
    return [n for n in names if res.runs[n].notna().any()]


def mean_outcomes(res: D.Results, difference: bool = False) -> list[str]:
    """The main outcomes given as means; a rare count as its mean in the runs with any (not for
    ``difference``: the runs with any differ between scenarios, so they do not pair, and the
    difference in the probability of any is among the probabilities)."""
    names = []
    for n in MAIN_OUTCOMES:
        if D.is_probability(n) or n not in res.runs or not res.runs[n].notna().any():
            continue
        if n in res.rare_counts:
            if not difference and res.runs[n + D.IF_ANY].notna().any():
                names.append(n + D.IF_ANY)
            continue
        names.append(n)
    return names


FDR = 0.05  # the false discovery rate at which a difference is called clear


def difference_family(res: D.Results) -> dict[tuple[str, str], dict]:
    """Every difference from the reference the report shows (each scenario but the reference x
    each probability and mean outcome): its Estimate (probabilities in percentage points), whether
    it was paired, its p value and the Benjamini-Hochberg (``q``) and Holm (``holm``) adjusted
    ones over the whole family. A signpost that can happen in neither scenario is no comparison
    and is left out, and so is one whose probability either scenario sets (scripted, or scripted
    timing: sim.report.scenarios). A difference that is zero in every pair (the same runs fail in
    both, by common random numbers) stays, with p = 1. Worked out once per report."""
    if "difference_family" in res.memo:
        return res.memo["difference_family"]
    ref = res.reference
    out: dict[tuple[str, str], dict] = {}
    if ref is not None:
        from sim.report.scenarios import SET_BY_SCENARIO, signpost_status

        status = signpost_status(res)
        for name in probability_outcomes(res) + mean_outcomes(res, difference=True):
            scale = 100.0 if D.is_probability(name) else 1.0
            for g in res.groups:
                if g == ref:
                    continue
                kinds = [getattr(status.get((res.scenario_of(x), name.split(".")[1])), "kind", "")
                         for x in (g, ref)] if name.startswith("signpost.") else []
                if any(k in SET_BY_SCENARIO for k in kinds):
                    continue  # a signpost set by the scenario on either side: a difference by construction
                if kinds and all(k in ("none", "unannounced") for k in kinds):
                    continue  # a signpost that can happen in neither scenario: no comparison
                e, was_paired = D.paired(res, g, name)
                if e.n == 0:
                    continue
                e = D.Estimate(e.value * scale, e.low * scale, e.high * scale, e.n)
                out[(g, name)] = {"estimate": e, "paired": was_paired, "p": e.p}
        ps = [v["p"] for v in out.values()]
        for v, q, h in zip(out.values(), D.adjust(ps, "bh"), D.adjust(ps, "holm"), strict=True):
            v["q"], v["holm"] = float(q), float(h)
    res.memo["difference_family"] = out
    return out


def family_phrase(res: D.Results) -> str:
    """How many differences the report shows with intervals, and what the adjustment says."""
    fam = difference_family(res)
    if not fam:
        return ""
    m = sum(1 for v in fam.values() if not math.isnan(v["p"]))
    raw = sum(1 for v in fam.values() if v["p"] < 0.05)
    bh = sum(1 for v in fam.values() if v["q"] < FDR)
    holm = sum(1 for v in fam.values() if v["holm"] < 0.05)
    return (f"The report shows {m:,} differences from {D.display(res.reference)} with 95% intervals; by chance "
            f"alone about {0.05 * m:.0f} of them would exclude zero. {raw:,} exclude zero unadjusted, {bh:,} after "
            f"Benjamini-Hochberg's false-discovery-rate adjustment at {FDR:.0%} (filled markers), {holm:,} after "
            f"Holm's family-wise adjustment; the table 'differences' gives each adjusted value. Signposts "
            f"whose probability a scenario sets (scripted, or scripted timing) are left out: they differ by "
            f"construction.")


LEGEND_MAX_ENTRIES = 5  # scenarios named in a legend; more are named on the axis only


@dataclass
class Row:
    """A row of a forest panel: a group or a comparison; a header row (key None) names the block
    of rows under it (a scenario, or a compare pair) and holds no data."""

    label: str
    key: object = None
    colour: str = "#000000"
    marker: str = "o"


def group_rows(res: D.Results, groups: list[str]) -> list[Row]:
    """Rows of a forest of groups: an arms sweep of several scenarios in one block per scenario
    (its name as the header, arms under it by name), else one row per group."""
    colours = group_colours(res)
    row = lambda g, text: Row(text, g, colours[g], group_marker(res, g))  # noqa: E731
    if res.group_by == "arm" and len({res.scenario_of(g) for g in groups}) > 1:
        rows = []
        for scen in res.scenarios:
            members = [g for g in groups if res.scenario_of(g) == scen]
            if members:
                rows.append(Row(D.display(scen)))
                rows += [row(g, group_title(res, g, with_scenario=False)) for g in members]
        return rows
    return [row(g, group_title(res, g, with_scenario=False)) for g in groups]


LABEL_SIZE = 7.0       # points: y tick labels of forest panels
LABEL_MAX_WIDTH = 1.7  # inches: longer row labels wrap
ROW_PITCH = 0.13       # inches per row of a forest panel


def _row_layout(rows: list[Row]) -> tuple[list[str], np.ndarray, float]:
    """Wrapped labels, y positions (top row at the top) and the height in rows: a label on two
    lines takes 1.9 rows."""
    def wrap(text: str, weight: str) -> str:
        # A comparison "a - b" too long for one line breaks before its minus sign.
        if text_width(text, LABEL_SIZE, weight) > LABEL_MAX_WIDTH * 72:
            text = text.replace(" \u2212 ", "\n\u2212 ")
        return fit(text, LABEL_MAX_WIDTH, LABEL_SIZE, weight)

    labels = [wrap(r.label, "bold" if r.key is None else "normal") for r in rows]
    heights = np.array([1 + 0.9 * lab.count("\n") for lab in labels])
    tops = np.concatenate([[0.0], np.cumsum(heights)[:-1]])
    return labels, -(tops + heights / 2), float(heights.sum())


def panel_forest(res: D.Results, out: Path, name: str, title: str, caption: str, names: list[str],
                 rows: list[Row], value, xlabel, *, zero: bool = False, fixed: tuple[float, float] | None = None,
                 legend=None, ncols: int = 2) -> list[Figure]:
    """One small panel per outcome (each in its own unit), one row per ``rows`` entry, shared by
    every panel and named on the left column only; cut into parts no taller than MAX_HEIGHT.

    ``value(row, outcome)`` gives ``(Estimate, hollow)`` or None; ``xlabel(outcome)`` the axis
    label; ``zero`` draws the zero line (differences); ``fixed`` fixes the x range (probabilities);
    ``legend`` is a list of handles, or None when the row labels say all (rows align across a
    panel row, and colour and marker repeat the label)."""
    if not names or not any(r.key is not None for r in rows):
        return []
    labels, ys, height = _row_layout(rows)
    label_w = max(text_width(lab, LABEL_SIZE, "bold" if r.key is None else "normal") for lab, r in zip(labels, rows, strict=True)) / 72
    panel_w = (WIDTH - label_w - 0.2) / ncols - 0.15
    titles = {n: fit(D.label(n, res).removeprefix("Signpost: ") + signpost_flag(res, n), panel_w, 7.5) for n in names}
    # Height of each row of panels: its longest title, the axis below, the rows.
    lines = [titles[n].count("\n") + 1 for n in names]
    row_h = [0.5 + 0.14 * max(lines[i: i + ncols]) + ROW_PITCH * height for i in range(0, len(names), ncols)]
    legend_h = 0.35 if legend else 0.1
    # The fewest parts, each of about as many panel rows, none taller than MAX_HEIGHT.
    parts = max(1, math.ceil(sum(row_h) / (MAX_HEIGHT - legend_h)))
    while True:
        per = math.ceil(len(row_h) / parts)
        if per == 1 or all(sum(row_h[i: i + per]) + legend_h <= MAX_HEIGHT for i in range(0, len(row_h), per)):
            break
        parts += 1
    parts = math.ceil(len(row_h) / per)
    figures = []
    for k in range(parts):
        chunk = names[k * per * ncols: (k + 1) * per * ncols]
        nrows = math.ceil(len(chunk) / ncols)
        with report_style():
            fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, legend_h + sum(row_h[k * per: k * per + nrows])),
                                     squeeze=False)
            for i, outcome in enumerate(chunk):
                ax = axes[i // ncols][i % ncols]
                for row, y in zip(rows, ys, strict=True):
                    got = value(row, outcome) if row.key is not None else None
                    if got is None or math.isnan(got[0].value):
                        continue
                    e, hollow = got
                    ax.errorbar(e.value, y, xerr=xerr(e.value, e.low, e.high), color=row.colour, marker=row.marker,
                                markersize=3.8, linewidth=1.0, capsize=1.5, zorder=3,
                                markerfacecolor="white" if hollow else row.colour)
                for row, y, lab in zip(rows, ys, labels, strict=True):
                    if row.key is None and y < ys[0]:  # a rule between blocks
                        ax.axhline(y + 0.5 + 0.45 * lab.count("\n"), color="#bbbbbb", linewidth=0.5, zorder=1)
                if zero:
                    ax.axvline(0, color="#000000", linewidth=0.8, zorder=2)
                    lo, hi = ax.get_xlim()  # keep zero, and a marker sitting on it, off the panel's edge
                    pad = 0.05 * (hi - lo)
                    ax.set_xlim(min(lo, -pad), max(hi, pad))
                if fixed:
                    ax.set_xlim(*fixed)
                # About one tick label per half inch: more run into each other on a narrow panel.
                ax.xaxis.set_major_locator(MaxNLocator(nbins=max(3, int(panel_w / 0.45)), steps=[1, 2, 2.5, 5, 10]))
                ax.set_yticks(ys, labels if i % ncols == 0 else [])
                if i % ncols == 0:
                    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
                        if row.key is None:
                            tick.set_fontweight("bold")
                ax.tick_params(axis="y", length=0, labelsize=LABEL_SIZE)
                ax.set_ylim(-height - 0.1, 0.1)
                ax.grid(axis="y", visible=False)
                ax.set_title(titles[outcome], fontsize=7.5, fontweight="normal", loc="left")
                ax.set_xlabel(xlabel(outcome), fontsize=7.5)
            for i in range(len(chunk), nrows * ncols):
                axes[i // ncols][i % ncols].set_visible(False)
            if legend:
                figure_legend(fig, legend)
        part = f", part {k + 1} of {parts}" if parts > 1 else ""
        figures.append(save(fig, out, name + ("" if k == 0 else f"_{k + 1}"), title + part, caption))
    return figures


def _scenario_groups_legend(res: D.Results, groups: list[str]) -> list | None:
    """The legend of a forest of a few scenarios, as the report always had; None for arms or
    many groups, which the row labels name."""
    if res.group_by != "scenario" or len(groups) > LEGEND_MAX_ENTRIES:
        return None
    colours = group_colours(res)
    return [Line2D([], [], color=colours[g], marker=group_marker(res, g), linestyle="none", label=D.display(g))
            for g in groups]


class _ForestValues:
    """A forest plot's value per (row, outcome): the estimate, or the paired difference from the
    reference scaled by ``scale``; remembers whether every difference could be paired."""

    def __init__(self, res: D.Results, difference: bool, scale: float = 1.0, skip_empty: bool = False):
        self.res, self.difference, self.scale, self.skip_empty = res, difference, scale, skip_empty
        self.paired_all = True

    def __call__(self, row, name):
        if self.difference:
            got = difference_family(self.res).get((row.key, name))
            if got is None:
                return None
            self.paired_all &= got["paired"] or math.isnan(got["estimate"].value)
            return got["estimate"], not got["q"] < FDR  # hollow: not clear after the FDR adjustment
        e = D.estimate(self.res, row.key, name)
        return None if self.skip_empty and not e.n else (e, False)


def forest_probabilities(res: D.Results, out: Path, difference: bool = False) -> list[Figure]:
    """One block per outcome, one row per scenario: probability (or difference) with interval.
    With more groups than a legend can name (an arms sweep), one panel per outcome instead, the
    groups named on the axis."""
    names = probability_outcomes(res)
    ref = res.reference
    groups = [g for g in res.groups if not (difference and g == ref)]
    if not names or not groups or (difference and ref is None):
        return []
    value = _ForestValues(res, difference, scale=100.0, skip_empty=True)  # percentage points
    if difference:  # an outcome with no comparison in the family (scripted, or zero by construction) is left out
        names = [n for n in names if any((g, n) in difference_family(res) for g in groups)]
        if not names:
            return []

    if _scenario_groups_legend(res, groups) is None:
        stem = "differences_probabilities" if difference else "forest_probabilities"
        figs = panel_forest(res, out, stem, "", "", names, group_rows(res, groups), value,
                            (lambda n: f"difference from {D.display(ref)} (percentage points)") if difference
                            else (lambda n: "probability (share of runs)"),
                            zero=difference, fixed=None if difference else (-0.02, 1.02))
    else:
        figs = [_forest_blocks(res, out, names, groups, value, difference)]
    if difference:
        interval = INTERVAL_PAIRED if value.paired_all else "t-based 95% interval (paired where runs share replication and seed, else Welch)"
        title = f"Probabilities of failure and signposts: difference from {D.display(ref)}"
        caption = (f"Difference in the probability of deterrence failure{_any_phrase(res)} and of each signpost "
                   f"between each scenario and {D.display(ref)}, in percentage points, with the {interval}. "
                   f"{runs_phrase(res, res.groups)}. {family_phrase(res)}")
    else:
        title = "Probabilities of deterrence failure and of the signposts"
        caption = (f"Share of runs in which deterrence failed (an incursion met no effective response)"
                   f"{_any_phrase(res, 'share')} or each signpost happened, by {_by(res)}, with the "
                   f"{INTERVAL_PROBABILITY}. {runs_phrase(res, res.groups)}.{signpost_notes(res)}")
    return [_retitle(f, title, caption, len(figs)) for f in figs]


def _any_phrase(res: D.Results, kind: str = "difference") -> str:
    """', at least one limited incursion' for the rare counts shown as probabilities."""
    if not res.rare_counts:
        return ""
    what = " and ".join(f"'{D.label(n + D.ANY).lower()}'" for n in res.rare_counts)
    return f", of {what} (a count zero in most runs)"


def signpost_flag(res: D.Results, name: str) -> str:
    """' (scripted in X; not announced in Y)' after a signpost's name on a figure, where its
    value is set by the scenario rather than simulated."""
    if not name.startswith("signpost."):
        return ""
    from sim.report.scenarios import signpost_status

    sid = name.split(".")[1]
    words = {"scripted": "scripted", "scripted timing": "scripted timing", "unannounced": "not announced"}
    parts = [f"{words[st.kind]} in {D.display(s)}" for (s, i), st in signpost_status(res).items()
             if i == sid and st.kind in words and any(res.scenario_of(g) == s for g in res.groups)]
    return f" ({'; '.join(parts)})" if parts else ""


def signpost_notes(res: D.Results) -> str:
    """What a reader must know to read the signposts: those whose probability a scenario sets
    (scripted, scripted timing), those whose event is not announced there (they cannot fire from
    it). Empty when there is nothing to say."""
    from sim.report.scenarios import signpost_status

    notes = []
    for (scenario, sid), status in sorted(signpost_status(res).items(), key=lambda kv: (res.scenarios.index(kv[0][0])
                                                                                       if kv[0][0] in res.scenarios else 99, kv[0][1])):
        if status.kind in ("scripted", "scripted timing", "unannounced"):
            notes.append(f"{D.display(scenario)}, '{D.label('signpost.' + sid, res).removeprefix('Signpost: ')}': "
                         f"{status.text}")
    return (" Read with care: " + "; ".join(notes) + ".") if notes else ""


def _fdr_handles() -> list:
    """Legend entries for filled and hollow markers of a figure of differences."""
    return [Line2D([], [], color="#444444", marker="o", linestyle="none", label=f"clear at FDR {FDR:.0%}"),
            Line2D([], [], color="#444444", marker="o", markerfacecolor="white", linestyle="none",
                   label="not clear")]


def _by(res: D.Results) -> str:
    if res.group_by == "arm":
        return "arm and scenario" if len(res.scenarios) > 1 else "arm"
    return "scenario"


def _retitle(fig: Figure, title: str, caption: str, parts: int) -> Figure:
    """Give a figure drawn before its caption was known (the statistics are gathered while
    drawing) its title and caption, keeping 'part k of n'."""
    k = int(fig.name.rsplit("_", 1)[1]) if fig.name.rsplit("_", 1)[-1].isdigit() else 1
    fig.title = title + (f", part {k} of {parts}" if parts > 1 else "")
    fig.caption = caption
    txt = next(p for p in fig.files if p.suffix == ".txt")
    write_atomic(txt, f"{fig.title}\n\n{caption}\n")
    return fig


def _forest_blocks(res: D.Results, out: Path, names: list[str], groups: list[str], value, difference: bool) -> Figure:
    """Probabilities of a few scenarios: one block of rows per outcome, the scenarios in a legend."""
    ref = res.reference
    colours = group_colours(res)
    per_block = len(groups) + 1
    with report_style():
        rows = len(names) * per_block
        fig, ax = banded_blocks(len(names), per_block, base=0.9, per_row=0.105, per_block_extra=0.1)
        ticks, tick_labels = [], []
        for i, name in enumerate(names):
            top = -i * per_block
            for j, g in enumerate(groups):
                got = value(Row(g, g), name)
                if got is None or math.isnan(got[0].value) or got[0].n == 0:
                    continue
                e, hollow = got
                ax.errorbar(e.value, top - j - 0.5, xerr=xerr(e.value, e.low, e.high),
                            color=colours[g], marker=group_marker(res, g), markersize=3.8, linewidth=1.0,
                            capsize=1.5, zorder=3, markerfacecolor="white" if hollow else colours[g])
            ticks.append(top - (len(groups)) / 2)
            tick_labels.append(wrap(D.label(name, res).removeprefix("Signpost: ") + signpost_flag(res, name), 46))
        ax.set_yticks(ticks, tick_labels)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.set_ylim(-rows + 0.5, 0.5)
        if difference:
            ax.axvline(0, color="#000000", linewidth=0.8, zorder=2)
            ax.set_xlabel(f"difference from {D.display(ref)} (percentage points)")
        else:
            ax.set_xlim(-0.02, 1.02)
            ax.set_xlabel("probability (share of runs)")
        scenario_legend(res, fig, groups, colours, extra=_fdr_handles() if difference else ())
    return save(fig, out, "differences_probabilities" if difference else "forest_probabilities", "", "")


def forest_means(res: D.Results, out: Path, difference: bool = False) -> list[Figure]:
    """One small panel per outcome (its own unit), one row per group: mean or paired difference
    with its interval."""
    names = mean_outcomes(res, difference)
    ref = res.reference
    groups = [g for g in res.groups if not (difference and g == ref)]
    if not names or not groups or (difference and ref is None):
        return []
    value = _ForestValues(res, difference)

    unit = lambda n: axis_unit(D.unit(n))  # noqa: E731
    figs = panel_forest(res, out, "differences_means" if difference else "forest_means", "", "", names,
                        group_rows(res, groups), value,
                        (lambda n: f"difference ({unit(n)})") if difference else unit,
                        zero=difference,
                        legend=[*(_scenario_groups_legend(res, groups) or []), *_fdr_handles()] if difference
                        else _scenario_groups_legend(res, groups))
    if difference:
        interval = INTERVAL_PAIRED if value.paired_all else "t-based 95% interval (paired where runs share replication and seed, else Welch)"
        title = f"Main outcomes: difference from {D.display(ref)}"
        rare = (f" {' and '.join(D.label(n) for n in res.rare_counts)}: zero in most runs, so compared as the "
                f"probability of any (previous figure)." if res.rare_counts else "")
        caption = (f"Mean difference between each scenario and {D.display(ref)} in the main outcomes "
                   f"(each panel in its own unit), with the {interval}. {runs_phrase(res, res.groups)}.{rare} "
                   f"{family_phrase(res)}")
    else:
        title = "Main outcomes by " + _by(res)
        rare = "".join(f" {D.label(n)}: zero in most runs, so shown in the runs with any, as their mean with a "
                       f"percentile-bootstrap 95% interval (never below zero; the median is in the table "
                       f"'outcomes'); the share of runs with any is with the probabilities."
                       for n in res.rare_counts)
        caption = (f"Mean of each main outcome across runs by {_by(res)} (each panel in its own unit), with the "
                   f"{INTERVAL_MEAN}. {runs_phrase(res, res.groups)}.{rare}")
    return [_retitle(f, title, caption, len(figs)) for f in figs]


# ---- the experiment's paired comparisons ---------------------------------------------------------


def comparisons_to_plot(res: D.Results) -> list[D.Comparison]:
    """The experiment's compare pairs that no other figure shows: all of them, except a
    scenario's difference from the status quo when the differences-from-status-quo figures
    are drawn (they show every scenario against it)."""
    comps = D.comparisons(res)
    if res.reference is not None and len(res.groups) > 1:
        comps = [c for c in comps if not (c.scenario is None and c.b == res.reference)]
    return comps


def comparison_outcomes(res: D.Results) -> list[str]:
    """The main outcomes present, deterrence failure first: whether a bet holds deterrence is the
    question the comparisons are asked for."""
    names = sorted(MAIN_OUTCOMES, key=lambda n: n != "deterrence_failure")
    return [n for n in names if n in res.runs and res.runs[n].notna().any()]


def comparison_rows(res: D.Results, comps: list[D.Comparison]) -> list[Row]:
    """One row per comparison and scenario: for pairs of arms in several scenarios one block per
    pair (the pair as header, a row per scenario); else one row per comparison. Colour: the
    first side's (the arm or scenario the bet is on); marker: the scenario's."""
    colours = group_colours(res)
    row = lambda c, text: Row(text, c, colours[c.group_a], group_marker(res, c.group_a))  # noqa: E731
    if any(c.scenario is not None for c in comps) and len(res.scenarios) > 1:
        rows = []
        for pair in dict.fromkeys((c.a, c.b) for c in comps):
            block = [c for c in comps if (c.a, c.b) == pair]
            rows.append(Row(block[0].label))
            rows += [row(c, D.display(c.scenario)) for c in block]
        return rows
    return [row(c, c.label) for c in comps]


def paired_differences(res: D.Results, out: Path, comps: list[D.Comparison]) -> list[Figure]:
    """The experiment's compare pairs: mean paired difference a - b of each main outcome with its
    95% interval, a zero line, one row per comparison and scenario, one panel per outcome."""
    names = comparison_outcomes(res)
    if not comps or not names:
        return []
    sources, pairs = set(), set()

    def value(row, name):
        e, source = D.compared(res, row.key, name)
        if e.n == 0 or math.isnan(e.value):
            return None
        sources.add(source)
        pairs.add(e.n)
        if D.is_probability(name):
            e = D.Estimate(e.value * 100, e.low * 100, e.high * 100, e.n)
        return e, bool(math.isnan(e.low) or e.low <= 0 <= e.high)

    def xlabel(name):
        return "difference (percentage points)" if D.is_probability(name) else f"difference ({axis_unit(D.unit(name))})"

    handles = [Line2D([], [], color="#444444", marker="o", linestyle="none", label="interval excludes zero"),
               Line2D([], [], color="#444444", marker="o", markerfacecolor="white", linestyle="none",
                      label="interval includes zero")]
    figs = panel_forest(res, out, "comparisons", "", "", names, comparison_rows(res, comps), value, xlabel,
                        zero=True, legend=handles)
    arms = any(c.scenario is not None for c in comps)
    sides = "arms" if arms else "scenarios"
    n = sorted(pairs)
    per = "per comparison and scenario" if arms else "per comparison"
    pairs_text = f"{n[0]:,} pairs of runs {per}" if len(n) == 1 else f"{n[0]:,} to {n[-1]:,} pairs of runs {per}"
    points = res.runs.groupby("group")["design_point"].nunique().max()
    pooled = " (pooled over the design points)" if points > 1 and not arms else ""
    source = {"summary": "from the sweep's summary/differences ('deterrence summarize')",
              "runs": "computed from the runs"}
    title = f"Paired differences between {sides}: main outcomes" + (
        "" if len(comps) == len(D.comparisons(res)) else " (the experiment's other comparisons)")
    caption = (f"The experiment's comparisons a \u2212 b: mean of the run-by-run differences between the two "
               f"{sides} (runs paired by replication and seed: common random numbers){' within each scenario' if arms else ''}"
               f"{pooled}, in each main outcome (each panel in its own unit; deterrence failure in percentage "
               f"points), with the t-based 95% interval of the mean paired difference; one row per comparison"
               f"{' and scenario' if arms else ''}. Filled markers: the interval excludes zero. "
               f"{runs_phrase(res, sorted({g for c in comps for g in (c.group_a, c.group_b)}, key=res.groups.index))}; "
               f"{pairs_text}. Differences {' and '.join(source[s] for s in sorted(sources, reverse=True))}. "
               f"Every outcome and signpost is in the table 'comparisons'.")
    return [_retitle(f, title, caption, len(figs)) for f in figs]
