"""The report's figures. Each function draws one figure from :class:`Results`, saves it as PNG
and PDF, and returns a :class:`Figure` with its caption (what is shown, runs, interval)."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import patheffects
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from sim.model.outcomes import ALLY_OUTCOMES, GROUPS, MAIN_OUTCOMES
from sim.report import data as D
from sim.report.files import write_atomic
from sim.report.style import (
    BAND_ALPHA,
    arm_colours,
    plt,
    report_style,
    save_figure,
    scenario_colours,
    scenario_marker,
)

WIDTH = 6.5  # inches: the text width of an A4 or letter page with 1-inch margins
MAX_HEIGHT = 9.0  # inches: a figure taller than a page of text is split into parts

INTERVAL_PROBABILITY = "Wilson 95% interval"
INTERVAL_MEAN = "t-based 95% confidence interval of the mean"
INTERVAL_PAIRED = "t-based 95% interval of the mean paired difference (runs paired by replication and seed)"


@dataclass
class Figure:
    name: str
    title: str
    caption: str
    files: list[Path] = field(default_factory=list)

    @property
    def png(self) -> Path:
        return next(p for p in self.files if p.suffix == ".png")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


_RENDERER = RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point: text widths in points


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in points of ``text`` (its widest line) in the report's font."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    return max(_RENDERER.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n"))


def fit(text: str, width_in: float, size: float, weight: str = "normal") -> str:
    """``text`` wrapped at spaces into lines no wider than ``width_in`` inches (a single word
    longer than that keeps its own line). Measured in the font, not counted in characters:
    titles of panels side by side must not run into each other."""
    lines: list[str] = []
    for paragraph in text.split("\n"):  # breaks already in the text are kept
        start = len(lines)
        for word in paragraph.split():
            if len(lines) > start and text_width(f"{lines[-1]} {word}", size, weight) <= width_in * 72:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    return "\n".join(lines)


def group_colours(res: D.Results) -> dict[str, str]:
    """A colour per group: the scenario's own colour when groups are scenarios; the arm's (the
    same in every scenario) in an arms sweep."""
    if res.group_by == "arm":
        arms = arm_colours([*res.arms, *sorted({res.arm_of(g) or "" for g in res.groups} - set(res.arms))])
        return {g: arms[res.arm_of(g) or ""] for g in res.groups}
    return scenario_colours(res.groups)


def group_marker(res: D.Results, group: str) -> str:
    """A group's marker: its scenario's (so in an arms sweep the marker tells the scenario)."""
    return scenario_marker(res.scenario_of(group))


def group_title(res: D.Results, group: str, with_scenario: bool = True) -> str:
    """A group's name on a panel: the arm alone where the figure is of one scenario."""
    if res.group_by == "arm" and not with_scenario:
        return D.display(res.arm_of(group) or group)
    return D.display(group)


def pages_of(res: D.Results, groups: list[str], per_page: int) -> list[tuple[list[str], str | None]]:
    """Groups cut into pages of at most ``per_page``: an arms sweep one scenario at a time (its
    arms side by side, the scenario named once in the title), others in order. Each page with
    the scenario it is of (arms), or None."""
    if res.group_by == "arm":
        out = []
        for scen in res.scenarios:
            members = [g for g in groups if res.scenario_of(g) == scen]
            out += [(members[i: i + per_page], scen) for i in range(0, len(members), per_page)]
        return out
    return [(groups[i: i + per_page], None) for i in range(0, len(groups), per_page)]


def axis_unit(u: str) -> str:
    """A unit as it reads on an axis."""
    return {"0-1": "share, 0 to 1", "0/1": "probability"}.get(u, u)


def runs_phrase(res: D.Results, groups: list[str], series: bool = False) -> str:
    """'40 runs per scenario' or the count of each, as captions state them."""
    counts = [res.n_series_runs(g) if series else res.n_runs(g) for g in groups]
    what = "runs with monthly series" if series else "runs"
    per = "arm" if res.group_by != "scenario" else "scenario"
    points = res.runs[res.runs["group"].isin(groups)].groupby("group")["design_point"].nunique().max()
    pooled = f", pooled over {points} design points" if points > 1 else ""
    if len(set(counts)) == 1:
        return f"{counts[0]} {what} per {per}{pooled}"
    return (f"{what} per {per}: " + ", ".join(f"{D.display(g)} {n}" for g, n in zip(groups, counts, strict=True))
            + pooled)


def _xerr(value: float, low: float, high: float, scale: float = 1.0):
    """Error bar lengths, never negative (a Wilson bound can sit a rounding error inside its
    estimate), or None when the interval is undefined."""
    if math.isnan(low) or math.isnan(high):
        return None
    return [[max(value - low, 0.0) * scale], [max(high - value, 0.0) * scale]]


def layout_problems(fig) -> list[str]:
    """What is wrong with a figure's layout, drawn as it will be saved: text or a legend reaching
    past the figure's edge, titles of two panels running into each other, tick labels of one
    axis overlapping. Empty when all is well. For the tests, and for anyone adding a figure."""
    from matplotlib.axes import Axes

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    edge = fig.bbox.padded(1)  # a pixel of rounding
    inside = lambda b: (b.x0 >= edge.x0 and b.x1 <= edge.x1 and b.y0 >= edge.y0 and b.y1 <= edge.y1)  # noqa: E731
    problems = []
    axes = [a for a in fig.findobj(Axes) if a.get_visible()]
    for ax in axes:
        if not inside(ax.get_tightbbox(renderer)):
            problems.append(f"panel '{ax.get_title(loc='left') or ax.get_title()}' reaches past the figure's edge")
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            labels = [t.get_window_extent(renderer) for tick, t in
                      ((tk, tk.label1) for tk in axis.get_major_ticks()) if t.get_visible() and t.get_text()
                      and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9]
            if any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:]):
                problems.append(f"tick labels overlap on a panel '{ax.get_title(loc='left') or ax.get_title()}'")
    titles = [(t.get_text(), t.get_window_extent(renderer)) for ax in axes
              for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    for i, (a, box_a) in enumerate(titles):
        for b, box_b in titles[i + 1:]:
            if box_a.overlaps(box_b):
                problems.append(f"titles overlap: {a!r} and {b!r}")
    for f in [fig, *fig.findobj(lambda o: type(o).__name__ == "SubFigure")]:
        for leg in f.legends:
            if not inside(leg.get_window_extent(renderer)):
                problems.append("a legend reaches past the figure's edge")
        for t in f.texts:
            if t.get_text() and not inside(t.get_window_extent(renderer)):
                problems.append(f"text {t.get_text()!r} reaches past the figure's edge")
    return problems


def _save(fig, out: Path, name: str, title: str, caption: str) -> Figure:
    files = save_figure(fig, out / name)
    txt = write_atomic(out / f"{name}.txt", f"{title}\n\n{caption}\n")
    return Figure(name, title, caption, [*files, txt])


def _month_ticks(ax, months: int) -> None:
    step = 6 if months <= 36 else 12 if months <= 72 else 24
    ax.set_xticks(np.arange(0, months, step))
    ax.set_xlim(0, months - 1)


# ---- fan charts -------------------------------------------------------------------------------

FAN_TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("fan_credibility", "Credibility of the US guarantee: allies by group, and Russia's belief",
     ("credibility_eastern_flank", "credibility_frontline", "credibility_western", "russia_belief_us_will")),
    ("fan_deals", "Allies holding a bilateral deal with the US", ("allies_with_deal",)),
    ("fan_cohesion", "Cohesion: allies choosing collective defence", ("cohesion",)),
    ("fan_spending", "Defence spending of European allies and Canada", ("spending_share",)),
    ("fan_capability", "Capability of European allies and Canada against Russia's",
     ("capability_ratio", "usable_capability_ratio")),
    ("fan_enablers", "Dependence on US enablers", ("enabler_dependence",)),
)


PANELS_PER_ROW = 6


def fan_charts(res: D.Results, out: Path, name: str, title: str, series: tuple[str, ...]) -> list[Figure]:
    """The fan chart of ``series``, in figures of at most six groups side by side (an arms
    sweep: the arms of one scenario to a figure)."""
    groups = [g for g in res.groups if res.n_series_runs(g)]
    pages = pages_of(res, groups, PANELS_PER_ROW)
    out_figs = []
    for k, (page, scen) in enumerate(pages, start=1):
        suffix = "" if k == 1 else f"_{k}"
        part = _part(pages, k)
        of = f" ({D.display(scen)})" if scen else ""
        fig = fan_chart(res, out, name + suffix, title + of + part, series, page,
                        heading=f"Scenario: {D.display(scen)}" if scen else None)
        if fig is not None:
            out_figs.append(fig)
    return out_figs


def _part(pages: list[tuple[list[str], str | None]], k: int) -> str:
    """', part k of n' for the k-th of several pages (1-based); nothing when the page's scenario
    alone tells it apart (an arms sweep whose scenarios each fit one page)."""
    if len(pages) == 1 or (pages[k - 1][1] is not None and sum(p[1] == pages[k - 1][1] for p in pages) == 1):
        return ""
    return f", part {k} of {len(pages)}"


def fan_chart(res: D.Results, out: Path, name: str, title: str, series: tuple[str, ...],
              groups: list[str], heading: str | None = None) -> Figure | None:
    """Rows: series; columns: scenarios (shared axes). Median, 50% and 90% bands across runs."""
    series = tuple(s for s in series if s in res.series)
    if not series or not groups:
        return None
    colours = group_colours(res)
    months = int(res.series["month"].max()) + 1
    ref = res.reference if res.reference in groups else None
    one_scenario = len({res.scenario_of(g) for g in groups}) == 1
    # Panel titles fit their panel's width (the figure less the y axis label, over the panels).
    panel_w = (WIDTH - 0.55) / len(groups) - 0.08
    heads = {g: fit(group_title(res, g, with_scenario=not one_scenario), panel_w, 8, "bold") for g in groups}
    with report_style():
        fig = plt.figure(figsize=(WIDTH, 0.55 + 1.85 * len(series) + (0.25 if heading else 0)))
        if heading:  # the page's scenario (an arms sweep), so that the PNG says it on its own
            fig.suptitle(heading, fontsize=9, fontweight="bold")
        subfigs = np.atleast_1d(fig.subfigures(len(series), 1, hspace=0.0))
        for r, sname in enumerate(series):
            sf = subfigs[r]
            axes = sf.subplots(1, len(groups), sharey=True, squeeze=False)[0]
            sf.suptitle(fit(D.label(sname), WIDTH - 0.3, 8, "bold"), fontsize=8, fontweight="bold")
            ref_band = D.bands(res, ref, sname) if ref else None
            for c, g in enumerate(groups):
                ax = axes[c]  # x limits and ticks are set alike below; sharex across subfigures is very slow
                b = D.bands(res, g, sname)
                x = b.index.to_numpy()
                col = colours[g]
                ax.fill_between(x, b.p5, b.p95, color=col, alpha=BAND_ALPHA[90], linewidth=0)
                ax.fill_between(x, b.p25, b.p75, color=col, alpha=BAND_ALPHA[50], linewidth=0)
                if ref_band is not None and g != ref:
                    ax.plot(ref_band.index, ref_band.p50, color="#000000", linestyle=(0, (3, 2)),
                            linewidth=0.8, alpha=0.75)
                ax.plot(x, b.p50, color=col, linewidth=1.4)
                if r == 0:
                    ax.set_title(heads[g], color=col, fontsize=8)
                if c == 0:
                    ax.set_ylabel(axis_unit(D.unit(sname)))
                else:
                    ax.tick_params(labelleft=False)
                if r < len(series) - 1:
                    ax.tick_params(labelbottom=False)
                _month_ticks(ax, months)
                ax.tick_params(axis="x", labelrotation=0)
            if r == len(series) - 1:
                sf.supxlabel(f"months from {res.start}" if res.start else "months", fontsize=8)
            if D.unit(sname) == "probability":
                axes[0].set_ylim(0, 1)
                axes[0].set_yticks([0, 0.25, 0.5, 0.75, 1])
            else:
                axes[0].set_ylim(bottom=min(0.0, axes[0].get_ylim()[0]))
        handles = [Line2D([], [], color="#444444", linewidth=1.4, label="median"),
                   Patch(color="#444444", alpha=BAND_ALPHA[50], linewidth=0, label="50% of runs"),
                   Patch(color="#444444", alpha=BAND_ALPHA[90], linewidth=0, label="90% of runs")]
        if ref:
            handles.append(Line2D([], [], color="#000000", linestyle=(0, (3, 2)), linewidth=0.8,
                                  label=f"{D.display(ref)} median (reference)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    caption = (f"{title}, by month. Each panel is one {'arm' if res.group_by == 'arm' else 'scenario'}; "
               f"lines are the median across runs, "
               f"shaded bands hold the middle 50% and 90% of runs (spread of outcomes, not a "
               f"confidence interval)."
               + (f" The dashed line repeats the {D.display(ref)} median for comparison." if ref else "")
               + f" {runs_phrase(res, groups, series=True)}.")
    return _save(fig, out, name, title, caption)


# ---- forest plots -----------------------------------------------------------------------------


def probability_outcomes(res: D.Results) -> list[str]:
    """Deterrence failure and the signposts present in the results, in their order."""
    names = [n for n in MAIN_OUTCOMES if D.is_probability(n) and n in res.runs]
    names += [c for c in res.runs.columns if c.startswith("signpost.") and D.is_probability(c)]
    return [n for n in names if res.runs[n].notna().any()]


def mean_outcomes(res: D.Results) -> list[str]:
    return [n for n in MAIN_OUTCOMES if not D.is_probability(n) and n in res.runs and res.runs[n].notna().any()]


LEGEND_MAX_ENTRIES = 5  # scenarios named in a legend; more are named on the axis only


def _legend(fig, handles, loc: str = "outside upper center") -> None:
    """A figure legend in as many columns as fit the page's width (measured), so that it can
    never run off the figure's edges."""
    renderer = fig.canvas.get_renderer()
    for ncol in range(len(handles), 0, -1):
        legend = fig.legend(handles=handles, loc=loc, ncol=ncol, handletextpad=0.3, columnspacing=1.2)
        if ncol == 1 or legend.get_window_extent(renderer).width <= (WIDTH - 0.1) * fig.dpi:
            return
        legend.remove()


def _scenario_legend(res: D.Results, fig, groups, colours, extra=()) -> None:
    handles = [Line2D([], [], color=colours[g], marker=group_marker(res, g), linestyle="none",
                      label=D.display(g)) for g in groups]
    _legend(fig, handles + list(extra))


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
    titles = {n: fit(D.label(n, res).removeprefix("Signpost: "), panel_w, 7.5) for n in names}
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
                    ax.errorbar(e.value, y, xerr=_xerr(e.value, e.low, e.high), color=row.colour, marker=row.marker,
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
                _legend(fig, legend)
        part = f", part {k + 1} of {parts}" if parts > 1 else ""
        figures.append(_save(fig, out, name + ("" if k == 0 else f"_{k + 1}"), title + part, caption))
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
            e, was_paired = D.paired(self.res, row.key, name)
            self.paired_all &= was_paired or math.isnan(e.value)
            s = self.scale
            return D.Estimate(e.value * s, e.low * s, e.high * s, e.n), False
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
        caption = (f"Difference in the probability of deterrence failure and of each signpost between each "
                   f"scenario and {D.display(ref)}, in percentage points, with the {interval}. "
                   f"{runs_phrase(res, res.groups)}.")
    else:
        title = "Probabilities of deterrence failure and of the signposts"
        caption = (f"Share of runs in which deterrence failed (an incursion met no effective response) or each "
                   f"signpost happened, by {_by(res)}, with the {INTERVAL_PROBABILITY}. "
                   f"{runs_phrase(res, res.groups)}.")
    return [_retitle(f, title, caption, len(figs)) for f in figs]


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


def _banded_blocks(n_blocks: int, per_block: int, *, base: float, per_row: float, per_block_extra: float):
    """A figure of ``n_blocks`` blocks of rows (block i's rows from -i * per_block down), every
    other block on a pale band so the eye keeps each block's rows together. Call inside
    report_style(); the height grows with the rows."""
    rows = n_blocks * per_block
    fig, ax = plt.subplots(figsize=(WIDTH, base + per_row * rows + per_block_extra * n_blocks))
    for i in range(0, n_blocks, 2):
        top = -i * per_block
        ax.axhspan(top - per_block + 0.5, top + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
    return fig, ax


def _forest_blocks(res: D.Results, out: Path, names: list[str], groups: list[str], value, difference: bool) -> Figure:
    """Probabilities of a few scenarios: one block of rows per outcome, the scenarios in a legend."""
    ref = res.reference
    colours = group_colours(res)
    per_block = len(groups) + 1
    with report_style():
        rows = len(names) * per_block
        fig, ax = _banded_blocks(len(names), per_block, base=0.9, per_row=0.105, per_block_extra=0.1)
        ticks, tick_labels = [], []
        for i, name in enumerate(names):
            top = -i * per_block
            for j, g in enumerate(groups):
                got = value(Row(g, g), name)
                if got is None or math.isnan(got[0].value) or got[0].n == 0:
                    continue
                e = got[0]
                ax.errorbar(e.value, top - j - 0.5, xerr=_xerr(e.value, e.low, e.high),
                            color=colours[g], marker=group_marker(res, g), markersize=3.8, linewidth=1.0,
                            capsize=1.5, zorder=3)
            ticks.append(top - (len(groups)) / 2)
            tick_labels.append(_wrap(D.label(name, res).removeprefix("Signpost: "), 46))
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
        _scenario_legend(res, fig, groups, colours)
    return _save(fig, out, "differences_probabilities" if difference else "forest_probabilities", "", "")


def forest_means(res: D.Results, out: Path, difference: bool = False) -> list[Figure]:
    """One small panel per outcome (its own unit), one row per group: mean or paired difference
    with its interval."""
    names = mean_outcomes(res)
    ref = res.reference
    groups = [g for g in res.groups if not (difference and g == ref)]
    if not names or not groups or (difference and ref is None):
        return []
    value = _ForestValues(res, difference)

    unit = lambda n: axis_unit(D.unit(n))  # noqa: E731
    figs = panel_forest(res, out, "differences_means" if difference else "forest_means", "", "", names,
                        group_rows(res, groups), value,
                        (lambda n: f"difference ({unit(n)})") if difference else unit,
                        zero=difference, legend=_scenario_groups_legend(res, groups))
    if difference:
        interval = INTERVAL_PAIRED if value.paired_all else "t-based 95% interval (paired where runs share replication and seed, else Welch)"
        title = f"Main outcomes: difference from {D.display(ref)}"
        caption = (f"Mean difference between each scenario and {D.display(ref)} in the main outcomes "
                   f"(each panel in its own unit), with the {interval}. {runs_phrase(res, res.groups)}.")
    else:
        title = "Main outcomes by " + _by(res)
        caption = (f"Mean of each main outcome across runs by {_by(res)} (each panel in its own unit), with the "
                   f"{INTERVAL_MEAN}. {runs_phrase(res, res.groups)}.")
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
    pairs_text = f"{n[0]} pairs of runs {per}" if len(n) == 1 else f"{n[0]} to {n[-1]} pairs of runs {per}"
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


# ---- two-parameter sweeps ---------------------------------------------------------------------

HEATMAP_OUTCOMES = ("deterrence_failure", "deals_final", "credibility_eastern_flank_final", "cohesion_final")
ID_DESIGN_COLUMNS = {"_folder", "design_point", "seed_point", "scenario", "arm", "label", "replications",
                     "runs", "seed"}


def design_factors(res: D.Results) -> list[str]:
    """The swept parameters: as the sweep's manifest names them, else the numeric design
    columns that vary."""
    design = res.design
    if res.design_parameters:
        return [p for p in res.design_parameters if design[p].nunique() > 1]
    out = []
    for col in design.columns:
        if col in ID_DESIGN_COLUMNS or not pd.api.types.is_numeric_dtype(design[col]):
            continue
        if design[col].nunique() > 1:
            out.append(col)
    return out


def sweep_cells(res: D.Results) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(scenario, x factor, y factor, cells) for each scenario swept over a grid of two
    parameters; cells hold the runs of each (x, y) pair."""
    if res.design is None or res.design_kind not in (None, "grid"):
        return []
    factors = design_factors(res)
    if len(factors) < 2:
        return []
    fx, fy = factors[0], factors[1]
    on = ["_folder", "design_point"] + (["scenario"] if "scenario" in res.design.columns else [])
    runs = res.runs.drop(columns=[c for c in (fx, fy) if c in res.runs.columns])
    merged = runs.merge(res.design[[*on, fx, fy]].drop_duplicates(on), on=on, how="inner")
    out = []
    for scen in sorted(merged["scenario"].unique()):
        cells = merged[merged["scenario"] == scen]
        if cells[fx].nunique() >= 2 and cells[fy].nunique() >= 2:
            out.append((scen, fx, fy, cells))
    return out


def _levels(values: np.ndarray, unit: str) -> tuple[list[str], str]:
    """Tick labels for a swept parameter's levels, in thousands when they are large (so that
    eight levels fit side by side), and the unit to print with them."""
    if np.nanmax(np.abs(values)) >= 10_000:
        return [f"{v / 1000:g}" for v in values], f"thousand {unit}"
    return [f"{v:g}" for v in values], unit


def _contour_levels(grid: np.ndarray, half_widths: np.ndarray) -> np.ndarray | None:
    """Three contour levels (a quarter, half and three quarters of the range), or None when the
    cells' intervals are wide against that range: contours of noise would mislead."""
    lo, hi = np.nanmin(grid), np.nanmax(grid)
    if not hi > lo or grid.shape[0] < 3 or grid.shape[1] < 3:
        return None
    if np.nanmedian(half_widths) > 0.25 * (hi - lo):
        return None
    return lo + (hi - lo) * np.array([0.25, 0.5, 0.75])


def heatmap(res: D.Results, out: Path, scenario: str, fx: str, fy: str, cells: pd.DataFrame) -> Figure | None:
    """One panel per outcome over the grid of two swept parameters, with contour lines."""
    names = [n for n in HEATMAP_OUTCOMES if n in cells and cells[n].notna().any()]
    if not names:
        return None
    xs, ys = np.sort(cells[fx].unique()), np.sort(cells[fy].unique())
    xlabels, xunit = _levels(xs, D.parameter_unit(fx))
    ylabels, yunit = _levels(ys, D.parameter_unit(fy))
    ncols = 2 if len(names) > 1 else 1
    nrows = math.ceil(len(names) / ncols)
    annotate = len(xs) <= 8 and len(ys) <= 8
    counts = cells.groupby([fx, fy]).size()
    no_contours = []
    with report_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.4 + 2.9 * nrows), squeeze=False)
        for k, name in enumerate(names):
            ax = axes[k // ncols][k % ncols]
            grid = np.full((len(ys), len(xs)), np.nan)
            half = np.full_like(grid, np.nan)
            prob = D.is_probability(name)
            for (vx, vy), rows in cells.groupby([fx, fy]):
                e = D.probability(rows[name]) if prob else D.mean(rows[name])
                at = (np.searchsorted(ys, vy), np.searchsorted(xs, vx))
                grid[at], half[at] = e.value, (e.high - e.low) / 2
            norm = mcolors.Normalize(0, 1) if prob else mcolors.Normalize(np.nanmin(grid), np.nanmax(grid))
            mesh = ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5, grid,
                                 cmap="viridis", norm=norm, shading="flat")
            levels = _contour_levels(grid, half)
            if levels is not None:
                # White with a dark edge reads on every viridis shade. The levels are marked on
                # the colour bar rather than written on the lines, where they would cover the
                # cell values.
                ax.contour(np.arange(len(xs)), np.arange(len(ys)), grid, levels=levels, colors="white",
                           linewidths=1.1, path_effects=[patheffects.withStroke(linewidth=2.2, foreground="#222222")])
            else:
                no_contours.append(D.label(name))
            if annotate:
                for (iy, ix), v in np.ndenumerate(grid):
                    if not math.isnan(v):
                        shade = mcolors.to_rgb(plt.get_cmap("viridis")(norm(v)))
                        light = 0.2126 * shade[0] + 0.7152 * shade[1] + 0.0722 * shade[2] > 0.45
                        # Edged in the cell's colour: a contour line passing under a value stops short of it.
                        ax.text(ix, iy - 0.3, f"{v:.2f}", ha="center", va="center", fontsize=4.8,
                                color="black" if light else "white", zorder=5,
                                path_effects=[patheffects.withStroke(linewidth=2.5, foreground=shade)])
            ax.set_xticks(np.arange(len(xs)), xlabels)
            ax.set_yticks(np.arange(len(ys)), ylabels)
            ax.grid(False)
            ax.set_xlabel(f"{fx}\n({xunit})")
            ax.set_ylabel(f"{fy}\n({yunit})")
            ax.set_title(_wrap(D.label(name), 48), fontsize=7.5, fontweight="normal", loc="left")
            bar = fig.colorbar(mesh, ax=ax, shrink=0.9, pad=0.02)
            bar.set_label(axis_unit(D.unit(name)) + (" (share of runs)" if prob else " (mean)"))
            if levels is not None:
                bar.add_lines(levels, colors=["#000000"] * len(levels), linewidths=[1.1] * len(levels))
        for k in range(len(names), nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
    n = sorted(set(counts.tolist()))
    runs_text = f"{n[0]} runs per cell" if len(n) == 1 else f"{n[0]} to {n[-1]} runs per cell"
    title = f"{D.display(scenario)}: outcomes over {fx} and {fy}"
    caption = (f"{title}. Colour: share of runs (0/1 outcomes) or mean across runs in each cell of the "
               f"design" + ("; small numbers in the cells are the values" if annotate else "")
               + "; white lines are contours at a quarter, half and three quarters of the panel's range, "
               "their levels marked on the colour bar"
               + (f" (left out where the cells' 95% intervals are wider than a quarter of the range, as "
                  f"contours of noise would mislead: {'; '.join(no_contours)})" if no_contours else "")
               + f". {runs_text}; {len(xs)} x {len(ys)} cells. Intervals per cell "
               f"({INTERVAL_PROBABILITY} for shares, {INTERVAL_MEAN} otherwise) are in the table "
               f"sweep_{_slug(scenario)}.")
    return _save(fig, out, f"heatmap_{_slug(scenario)}", title, caption)


def heatmap_differences(res: D.Results, out: Path, comp: D.Comparison, fx: str, fy: str) -> Figure | None:
    """A compare pair of scenarios over a grid: the paired difference a - b in each cell, one panel
    per outcome, on a diverging scale centred on zero; cells whose interval excludes zero framed."""
    design = res.design
    if "scenario" in design.columns:
        design = design[design["scenario"] == comp.group_a]
    design = design.drop_duplicates("design_point").set_index("design_point")
    names = [n for n in HEATMAP_OUTCOMES if n in res.runs and res.runs[n].notna().any()]
    if not names or design[fx].nunique() < 2 or design[fy].nunique() < 2:
        return None
    xs, ys = np.sort(design[fx].unique()), np.sort(design[fy].unique())
    xlabels, xunit = _levels(xs, D.parameter_unit(fx))
    ylabels, yunit = _levels(ys, D.parameter_unit(fy))
    ncols = 2 if len(names) > 1 else 1
    nrows = math.ceil(len(names) / ncols)
    annotate = len(xs) <= 8 and len(ys) <= 8
    cmap = plt.get_cmap("PuOr_r")  # ColorBrewer purple-orange: diverging and colour-blind-safe
    sources, pairs = set(), set()
    with report_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.4 + 2.9 * nrows), squeeze=False)
        for k, name in enumerate(names):
            ax = axes[k // ncols][k % ncols]
            table, source = D.compared_by_point(res, comp, name)
            sources.add(source)
            pairs.update(table["pairs"].astype(int).tolist())
            scale = 100.0 if D.is_probability(name) else 1.0
            grid = np.full((len(ys), len(xs)), np.nan)
            clear = np.zeros_like(grid, dtype=bool)
            for point, r in table.iterrows():
                if point not in design.index:
                    continue
                at = (np.searchsorted(ys, design.at[point, fy]), np.searchsorted(xs, design.at[point, fx]))
                grid[at] = r["value"] * scale
                clear[at] = not (math.isnan(r["low"]) or r["low"] <= 0 <= r["high"])
            top = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
            norm = mcolors.Normalize(-top or -1.0, top or 1.0)
            mesh = ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5, grid,
                                 cmap=cmap, norm=norm, shading="flat")
            digits = 0 if top >= 10 else 1 if top >= 1 else 2  # as many decimals as the panel's range needs
            for (iy, ix), v in np.ndenumerate(grid):
                if clear[iy, ix]:  # black with a white halo: it shows on the darkest cells too
                    ax.add_patch(Rectangle((ix - 0.44, iy - 0.44), 0.88, 0.88, facecolor="none",
                                           edgecolor="#000000", linewidth=0.8, zorder=4,
                                           path_effects=[patheffects.withStroke(linewidth=1.8, foreground="white")]))
                if annotate and not math.isnan(v):
                    shade = mcolors.to_rgb(cmap(norm(v)))
                    light = 0.2126 * shade[0] + 0.7152 * shade[1] + 0.0722 * shade[2] > 0.45
                    text = f"{v:+.{digits}f}" if round(v, digits) != 0 else f"{0:.{digits}f}"
                    ax.text(ix, iy, text, ha="center", va="center",
                            fontsize=4.8, color="black" if light else "white", zorder=5)
            ax.set_xticks(np.arange(len(xs)), xlabels)
            ax.set_yticks(np.arange(len(ys)), ylabels)
            ax.grid(False)
            ax.set_xlabel(f"{fx}\n({xunit})")
            ax.set_ylabel(f"{fy}\n({yunit})")
            ax.set_title(_wrap(D.label(name), 48), fontsize=7.5, fontweight="normal", loc="left")
            bar = fig.colorbar(mesh, ax=ax, shrink=0.9, pad=0.02)
            u = "percentage points" if D.is_probability(name) else axis_unit(D.unit(name))
            bar.set_label(f"difference ({u})")
        for k in range(len(names), nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
    n = sorted(pairs)
    pairs_text = f"{n[0]} pairs of runs per cell" if len(n) == 1 else f"{n[0]} to {n[-1]} pairs of runs per cell"
    where = " and ".join({"summary": "from the sweep's summary/differences", "runs": "computed from the runs"}[s]
                         for s in sorted(sources, reverse=True))
    title = f"{comp.label}: paired difference over {fx} and {fy}"
    caption = (f"{title}. Colour and number: mean paired difference {comp.label} in each cell of the design "
               f"(runs paired by replication and seed), probabilities in percentage points; purple below zero, "
               f"orange above, on a scale symmetric about zero. Framed cells: the t-based 95% interval of the "
               f"mean paired difference excludes zero. {pairs_text}; {len(xs)} x {len(ys)} cells. "
               f"Differences {where}.")
    return _save(fig, out, f"heatmap_{_slug(comp.a)}_minus_{_slug(comp.b)}", title, caption)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()


# ---- Sobol indices ----------------------------------------------------------------------------


def sobol_bars(res: D.Results, out: Path, top: int = 10, per_page: int = 3) -> list[Figure]:
    """Per scenario and outcome, first-order and total Sobol indices with their bootstrap
    intervals; three panels to a figure, one above the other (parameter names are long), the
    parameters with the largest total index first."""
    s = res.sobol
    if s is None or s.empty:
        return []
    keys = [k for k, rows in s.groupby(["scenario", "outcome"], sort=False) if rows["estimate"].notna().any()]
    several = len({k[0] for k in keys}) > 1
    styles = {"S1": dict(facecolor="#555555", edgecolor="#555555", label="first order (S1)"),
              "ST": dict(facecolor="white", edgecolor="#000000", hatch="////", label="total (ST)")}
    figures = []
    for page in range(0, len(keys), per_page):
        chunk = keys[page: page + per_page]
        ncols = 1
        nrows = math.ceil(len(chunk) / ncols)
        n_params = min(top, int(s.groupby(["scenario", "outcome"])["parameter"].nunique().max()))
        with report_style():
            fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.6 + (0.7 + 0.2 * n_params) * nrows),
                                     squeeze=False)
            for k, (scenario, outcome) in enumerate(chunk):
                ax = axes[k // ncols][k % ncols]
                rows = s[(s["scenario"] == scenario) & (s["outcome"] == outcome)]
                order = (rows[rows["index"] == "ST"].set_index("parameter")["estimate"]
                         .reindex(rows["parameter"].unique()).fillna(-1).sort_values(ascending=False, kind="stable"))
                params = list(order.index[:top])
                for off, idx in ((-0.2, "S1"), (0.2, "ST")):
                    part = rows[rows["index"] == idx].set_index("parameter").reindex(params)
                    y = np.arange(len(params)) + off
                    est = part["estimate"].to_numpy(float)
                    ax.barh(y, np.nan_to_num(est), height=0.38, linewidth=0.6, **styles[idx])
                    lo, hi = part["low"].to_numpy(float), part["high"].to_numpy(float)
                    ok = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(est)
                    ax.errorbar(est[ok], y[ok], xerr=[np.maximum(est[ok] - lo[ok], 0), np.maximum(hi[ok] - est[ok], 0)],
                                fmt="none", ecolor="#000000", elinewidth=0.7, capsize=1.5)
                ax.set_yticks(np.arange(len(params)), params, fontsize=6.5)
                ax.set_ylim(len(params) - 0.4, -0.6)
                ax.axvline(0, color="#000000", linewidth=0.6)
                used = rows[rows["parameter"].isin(params)]
                lo_x = float(np.nanmin(used["low"])) if used["low"].notna().any() else 0.0
                hi_x = float(np.nanmax(used["high"])) if used["high"].notna().any() else 1.0
                ax.set_xlim(min(-0.05, lo_x - 0.02), max(1.0, hi_x + 0.02))
                ax.grid(axis="y", visible=False)
                ax.set_xlabel("Sobol index (share of output variance)")
                head = D.label(outcome) + (f" ({D.display(scenario)})" if several and scenario else "")
                ax.set_title(_wrap(head, 100), fontsize=7.5, fontweight="normal", loc="left")
            for k in range(len(chunk), nrows * ncols):
                axes[k // ncols][k % ncols].set_visible(False)
            fig.legend(handles=[Patch(**st) for st in styles.values()], loc="outside upper center", ncol=2)
        level, resamples = res.summary_info.get("confidence_level"), res.summary_info.get("bootstrap_resamples")
        interval = (f"bootstrap {level:.0%} intervals ({resamples} resamples)" if level and resamples
                    else "bootstrap intervals")
        number = page // per_page + 1
        total = math.ceil(len(keys) / per_page)
        name = "sobol" if number == 1 else f"sobol_{number}"
        scen = sorted({D.display(k[0]) for k in chunk if k[0]})
        title = "Sensitivity: Sobol indices" + (f" ({', '.join(scen)})" if scen else "") + (
            f", part {number} of {total}" if total > 1 else "")
        caption = (f"First-order (S1: the parameter alone) and total (ST: with its interactions) Sobol indices "
                   f"of {len(chunk)} outcome(s), the {top} parameters with the largest total index first, with the "
                   f"{interval} of the sweep's summary (scipy.stats.sobol_indices). Computed from "
                   f"{len(res.runs)} runs; the full list is in the table 'sobol'.")
        figures.append(_save(fig, out, name, title, caption))
    return figures


# ---- map of the allies ------------------------------------------------------------------------

# A tile grid of the 31 allies, (row, column) from the top left, roughly as they lie on a map of
# Europe: the Nordics on top, the Baltic states down the east edge, the Iberian peninsula on the
# west, the Balkans and Turkey at the bottom. Canada stands apart, left of the Atlantic gap
# (column -1 left empty). Hand-made; no external geodata needed.
TILE_GRID: dict[str, tuple[int, int]] = {
    "CAN": (1, -2),
    "ISL": (0, 0), "NOR": (0, 4), "SWE": (0, 5), "FIN": (0, 6),
    "GBR": (1, 1), "DNK": (1, 4), "EST": (1, 6),
    "NLD": (2, 3), "DEU": (2, 4), "POL": (2, 5), "LVA": (2, 6),
    "BEL": (3, 2), "LUX": (3, 3), "CZE": (3, 4), "SVK": (3, 5), "LTU": (3, 6),
    "FRA": (4, 2), "ITA": (4, 3), "SVN": (4, 4), "HUN": (4, 5), "ROU": (4, 6),
    "PRT": (5, 1), "ESP": (5, 2), "HRV": (5, 4), "MNE": (5, 5), "BGR": (5, 6),
    "ALB": (6, 4), "MKD": (6, 5), "TUR": (6, 6),
    "GRC": (7, 5),
}  # fmt: skip

# Per-ally metrics the report knows (``ally.<ISO3>.<metric>``): what the map shows, and its unit
# (read from the metric's name; sim.model.outcomes.ALLY_OUTCOMES, where the model defines them, has
# the last word on units). Known ones come in this order; others follow by name.
ALLY_METRICS: dict[str, tuple[str, str]] = {
    "deal": ("probability that the ally ends holding a bilateral deal with the US", "probability"),
    "holds_deal": ("probability that the ally ends holding a bilateral deal with the US", "probability"),
    "credibility": ("ally's final belief that the US guarantee holds", "probability"),
    "credibility_final": ("ally's final belief that the US guarantee holds", "probability"),
    "share": ("ally's final defence spending", "% of GDP"),
    "spending_share": ("ally's final defence spending", "% of GDP"),
}
MAP_METRICS = tuple(ALLY_METRICS)


def map_metrics(res: D.Results) -> list[str]:
    """The per-ally metrics of the results, known ones first (deal, credibility, share)."""
    have = D.ally_outcomes(res)
    return [m for m in ALLY_METRICS if m in have] + [m for m in have if m not in ALLY_METRICS]


def map_values(res: D.Results, metric: str | None = None) -> tuple[pd.DataFrame, str, str, bool]:
    """Per ally and group, the value a map shows: (table, what, unit, is_0/1).

    Uses the per-ally outcome ``ally.<ISO3>.<metric>`` (by default the first of map_metrics) when
    the results have it: a share of runs with a Wilson interval for a 0/1 metric (deal), else a
    mean with a t interval. Without per-ally outcomes each ally gets its group's final
    credibility (eastern flank or western), said so in the caption.
    """
    metrics = map_metrics(res)
    rows = []
    if metrics:
        metric = metric or metrics[0]
        cols = {m.group(1): c for c in res.runs.columns if (m := D.ALLY_COLUMN.match(c)) and m.group(2) == metric}
        x = res.runs[list(cols.values())].to_numpy(float)
        binary = bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all())
        for g in res.groups:
            sel = res.runs[res.runs["group"] == g]
            for iso, col in sorted(cols.items()):
                e = D.probability(sel[col]) if binary else D.mean(sel[col])
                rows.append((g, iso, e.value, e.low, e.high, e.n))
        what, unit = ALLY_METRICS.get(metric, (f"{metric.replace('_', ' ')} per ally",
                                               "probability" if binary else "value"))
        if metric in ALLY_OUTCOMES:
            unit = "probability" if ALLY_OUTCOMES[metric].unit == "0/1" else ALLY_OUTCOMES[metric].unit
        return pd.DataFrame(rows, columns=["group", "iso3", "value", "low", "high", "runs"]), what, unit, binary
    from sim.model.world import ALLIES

    east = set(GROUPS["eastern_flank"])
    for g in res.groups:
        sel = res.runs[res.runs["group"] == g]
        by_group = {True: D.mean(sel.get("credibility_eastern_flank_final", [])),
                    False: D.mean(sel.get("credibility_western_final", []))}
        for iso in ALLIES:
            e = by_group[iso in east]
            rows.append((g, iso, e.value, e.low, e.high, e.n))
    what = "final credibility of the US guarantee, mean of the ally's group (eastern flank or western)"
    return pd.DataFrame(rows, columns=["group", "iso3", "value", "low", "high", "runs"]), what, "probability", False


def ally_maps(res: D.Results, out: Path) -> tuple[list[Figure], pd.DataFrame] | None:
    """The tile maps, one set per per-ally metric (deal, credibility, share; or the group means
    when there is none), six groups to a figure, each metric on one colour scale; and the long
    table of every value (group, ally, metric, unit, value, interval)."""
    return join_ally_maps([ally_maps_of(res, out, i, metric) for i, metric in enumerate(ally_map_metrics(res))])


def ally_map_metrics(res: D.Results) -> list[str | None]:
    """The metrics of the tile maps, in order: the per-ally ones, or None (the group means)."""
    return map_metrics(res) or [None]


def ally_maps_of(res: D.Results, out: Path, i: int, metric: str | None) -> tuple[list[Figure], pd.DataFrame] | None:
    """The tile maps of the ``i``-th of ally_map_metrics, and its part of the table; None when no
    ally has a value."""
    from sim.model.world import load_world

    table, what, unit, binary = map_values(res, metric)
    if table["value"].isna().all():
        return None
    world = load_world()
    names = dict(zip(world.iso3, world.name, strict=True))
    pages = pages_of(res, res.groups, PANELS_PER_ROW)
    stem = "map_allies" if i == 0 else f"map_allies_{_slug(metric)}"
    figs = [ally_map(res, out, table, what, unit, page, stem + ("" if k == 1 else f"_{k}"),
                     (f" ({D.display(scen)})" if scen else "") + _part(pages, k), binary,
                     heading=f"Scenario: {D.display(scen)}" if scen else None)
            for k, (page, scen) in enumerate(pages, start=1)]
    table.insert(2, "name", table["iso3"].map(names))
    table.insert(3, "metric", metric or "group_credibility")
    table.insert(4, "unit", unit)
    table.insert(5, "what", what)
    return figs, table


def join_ally_maps(parts: list[tuple[list[Figure], pd.DataFrame] | None]) -> tuple[list[Figure], pd.DataFrame] | None:
    """The results of ally_maps_of for every metric, as ally_maps gives them."""
    parts = [p for p in parts if p is not None]
    figs = [f for p in parts for f in p[0]]
    if not figs:
        return None
    return figs, pd.concat([p[1] for p in parts], ignore_index=True)


def ally_map(res: D.Results, out: Path, table: pd.DataFrame, what: str, unit: str, groups: list[str],
             name: str, part: str, binary: bool = False, heading: str | None = None) -> Figure:
    """Small multiples of the tile grid, one per group, on one colour scale."""
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    lo, hi = (0.0, 1.0) if unit == "probability" else (np.nanmin(table["value"]), np.nanmax(table["value"]))
    if not hi > lo:  # one value everywhere: a scale around it, not a division by zero
        lo, hi = lo - 0.5, hi + 0.5
    norm = mcolors.Normalize(lo, hi)
    cmap = plt.get_cmap("viridis")
    colours = group_colours(res)
    one_scenario = len({res.scenario_of(g) for g in groups}) == 1
    panel_w = WIDTH / ncols - 0.15
    digits = 2 if unit in ("probability", "% of GDP") or hi - lo < 10 else 0
    with report_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.8 + 2.25 * nrows + (0.25 if heading else 0)),
                                 squeeze=False)
        if heading:  # the page's scenario (an arms sweep), so that the PNG says it on its own
            fig.suptitle(heading, fontsize=9, fontweight="bold")
        for k, g in enumerate(groups):
            ax = axes[k // ncols][k % ncols]
            vals = table[table["group"] == g].set_index("iso3")["value"]
            # A pale ground per panel, so each map (and its Canada tile) reads as one unit.
            ax.add_patch(Rectangle((-2.6, -7.6), 9.2, 8.2, facecolor="#f4f4f4", edgecolor="none"))
            for iso, (r, c) in TILE_GRID.items():
                v = vals.get(iso, np.nan)
                face = "#e0e0e0" if math.isnan(v) else cmap(norm(v))
                ax.add_patch(Rectangle((c - 0.46, -r - 0.46), 0.92, 0.92, facecolor=face,
                                       edgecolor="white", linewidth=0.4))
                rgb = mcolors.to_rgb(face)
                light = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 0.45
                ink = "black" if light else "white"
                ax.text(c, -r + 0.17, iso, ha="center", va="center", fontsize=5.2, color=ink, fontweight="bold")
                ax.text(c, -r - 0.2, "n/a" if math.isnan(v) else f"{v:.{digits}f}", ha="center", va="center",
                        fontsize=4.6, color=ink)
            ax.plot([-1, -1], [0.4, -7.4], color="#999999", linewidth=0.6, linestyle=(0, (2, 2)))
            ax.set_xlim(-2.6, 6.6)
            ax.set_ylim(-7.6, 0.6)
            ax.set_aspect("equal")
            ax.axis("off")
            ax.set_title(fit(group_title(res, g, with_scenario=not one_scenario), panel_w, 8, "bold"),
                         color=colours[g], fontsize=8)
        for k in range(len(groups), nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(sm, ax=axes.ravel().tolist(), orientation="horizontal", fraction=0.05,
                           shrink=0.6, aspect=40, location="bottom")
        # A 0/1 metric's share of runs is its probability: the unit need not be said twice.
        bar.set_label(fit(f"{what} (share of runs)" if binary else f"{what} ({unit}, mean across runs)",
                          WIDTH - 0.5, 8))
    title = "The allies: " + what + part
    by = "arm" if res.group_by == "arm" else "scenario"
    caption = (f"Tile map of the 31 allies (each tile one ally, placed roughly as on a map of Europe; "
               f"Canada at the left), coloured by the {what} ({unit}), "
               f"{'share of runs' if binary else 'mean across runs'}, one panel per {by}. "
               f"{runs_phrase(res, groups)}. Each ally's value with its 95% interval ({INTERVAL_MEAN}, or "
               f"{INTERVAL_PROBABILITY} for a 0/1 outcome) is in the table 'allies'."
               + ("" if D.ally_outcomes(res) else " These results have no per-ally outcomes, so allies "
                  "in one group share one value."))
    return _save(fig, out, name, title, caption)


# ---- market odds ------------------------------------------------------------------------------


def odds_figure(res: D.Results, out: Path, comparison: pd.DataFrame) -> Figure | None:
    """Simulated probability of each priced signpost (interval, per scenario) beside the price."""
    if comparison.empty:
        return None
    sids = list(dict.fromkeys(comparison["signpost"]))
    groups = [g for g in res.groups if g in set(comparison["group"])]
    colours = group_colours(res)
    per_block = len(groups) + 1
    with report_style():
        rows = len(sids) * per_block
        fig, ax = _banded_blocks(len(sids), per_block, base=1.0, per_row=0.12, per_block_extra=0.12)
        ticks, labels = [], []
        for i, sid in enumerate(sids):
            top = -i * per_block
            block = comparison[comparison["signpost"] == sid]
            price = float(block["price"].iloc[0])
            ax.plot([price, price], [top - per_block + 0.6, top + 0.4], color="#000000", linewidth=1.6,
                    linestyle=(0, (1, 1)), zorder=4)
            for j, g in enumerate(groups):
                row = block[block["group"] == g]
                if row.empty:
                    continue
                r = row.iloc[0]
                ax.errorbar(r["probability"], top - j - 0.5, xerr=_xerr(r["probability"], r["low"], r["high"]),
                            color=colours[g], marker=group_marker(res, g), markersize=3.8, linewidth=1.0,
                            capsize=1.5, zorder=3, markerfacecolor=colours[g] if r["verdict"] == "consistent" else "white")
            ticks.append(top - len(groups) / 2)
            labels.append(_wrap(D.label(f"signpost.{sid}", res).removeprefix("Signpost: "), 46))
        ax.set_yticks(ticks, labels)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.set_ylim(-rows + 0.5, 0.5)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("probability")
        price_handle = Line2D([], [], color="#000000", linewidth=1.6, linestyle=(0, (1, 1)), label="market price")
        open_handle = Line2D([], [], color="#777777", marker="o", markerfacecolor="white", linestyle="none",
                             label="price outside interval")
        _scenario_legend(res, fig, groups, colours, extra=(price_handle, open_handle))
    title = "Simulated probabilities of the signposts beside market prices"
    caption = (f"For each signpost with a market price, the share of runs in which it happened by scenario "
               f"with the {INTERVAL_PROBABILITY}, and the price (dotted line). Open markers: the price lies "
               f"outside the interval. {runs_phrase(res, groups)}. Prices from the odds file, "
               f"read as probabilities.")
    return _save(fig, out, "odds", title, caption)
