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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from sim.outcomes import GROUPS, MAIN_OUTCOMES
from sim.report import data as D
from sim.report.style import (
    BAND_ALPHA,
    plt,
    report_style,
    save_figure,
    scenario_colours,
    scenario_marker,
)

WIDTH = 6.5  # inches: the text width of an A4 or letter page with 1-inch margins

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


def _save(fig, out: Path, name: str, title: str, caption: str) -> Figure:
    files = save_figure(fig, out / name)
    txt = out / f"{name}.txt"
    txt.write_text(f"{title}\n\n{caption}\n")
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
    """The fan chart of ``series``, in figures of at most six scenarios side by side."""
    groups = [g for g in res.groups if res.n_series_runs(g)]
    pages = [groups[i: i + PANELS_PER_ROW] for i in range(0, len(groups), PANELS_PER_ROW)]
    out_figs = []
    for k, page in enumerate(pages, start=1):
        suffix = "" if k == 1 else f"_{k}"
        part = f", part {k} of {len(pages)}" if len(pages) > 1 else ""
        fig = fan_chart(res, out, name + suffix, title + part, series, page)
        if fig is not None:
            out_figs.append(fig)
    return out_figs


def fan_chart(res: D.Results, out: Path, name: str, title: str, series: tuple[str, ...],
              groups: list[str]) -> Figure | None:
    """Rows: series; columns: scenarios (shared axes). Median, 50% and 90% bands across runs."""
    series = tuple(s for s in series if s in res.series)
    if not series or not groups:
        return None
    colours = scenario_colours(groups)
    months = int(res.series["month"].max()) + 1
    ref = res.reference if res.reference in groups else None
    with report_style():
        fig = plt.figure(figsize=(WIDTH, 0.55 + 1.85 * len(series)))
        subfigs = np.atleast_1d(fig.subfigures(len(series), 1, hspace=0.0))
        for r, sname in enumerate(series):
            sf = subfigs[r]
            axes = sf.subplots(1, len(groups), sharey=True, squeeze=False)[0]
            sf.suptitle(_wrap(D.label(sname), 110), fontsize=8, fontweight="bold")
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
                    ax.set_title(_wrap(D.display(g), max(18, 100 // len(groups))), color=col, fontsize=8)
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
    caption = (f"{title}, by month. Each panel is one scenario; lines are the median across runs, "
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


def _scenario_legend(fig, groups, colours, extra=()) -> None:
    handles = [Line2D([], [], color=colours[g], marker=scenario_marker(g), linestyle="none",
                      label=D.display(g)) for g in groups]
    handles += list(extra)
    # Five entries fit on one line of the page's width; more go in rows of three.
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles) if len(handles) <= 5 else 3,
               handletextpad=0.3, columnspacing=1.2)


def forest_probabilities(res: D.Results, out: Path, difference: bool = False) -> Figure | None:
    """One block per outcome, one row per scenario: probability (or difference) with interval."""
    names = probability_outcomes(res)
    ref = res.reference
    groups = [g for g in res.groups if not (difference and g == ref)]
    if not names or not groups or (difference and ref is None):
        return None
    colours = scenario_colours(res.groups)
    per_block = len(groups) + 1
    rows = len(names) * per_block
    paired_all = True
    with report_style():
        fig, ax = plt.subplots(figsize=(WIDTH, 0.9 + 0.105 * rows + 0.1 * len(names)))
        ticks, tick_labels = [], []
        for i, name in enumerate(names):
            top = -i * per_block
            if i % 2 == 0:
                ax.axhspan(top - per_block + 0.5, top + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
            for j, g in enumerate(groups):
                y = top - j - 0.5
                if difference:
                    e, was_paired = D.paired(res, g, name)
                    paired_all &= was_paired or math.isnan(e.value)
                    scale = 100.0
                else:
                    e, scale = D.estimate(res, g, name), 1.0
                if math.isnan(e.value) or e.n == 0:
                    continue
                ax.errorbar(e.value * scale, y, xerr=_xerr(e.value, e.low, e.high, scale),
                            color=colours[g], marker=scenario_marker(g), markersize=3.8, linewidth=1.0,
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
        _scenario_legend(fig, groups, colours)
    if difference:
        interval = INTERVAL_PAIRED if paired_all else "t-based 95% interval (paired where runs share replication and seed, else Welch)"
        title = f"Probabilities of failure and signposts: difference from {D.display(ref)}"
        caption = (f"Difference in the probability of deterrence failure and of each signpost between each "
                   f"scenario and {D.display(ref)}, in percentage points, with the {interval}. "
                   f"{runs_phrase(res, res.groups)}.")
        return _save(fig, out, "differences_probabilities", title, caption)
    title = "Probabilities of deterrence failure and of the signposts"
    caption = (f"Share of runs in which deterrence failed (an incursion met no effective response) or each "
               f"signpost happened, by scenario, with the {INTERVAL_PROBABILITY}. "
               f"{runs_phrase(res, res.groups)}.")
    return _save(fig, out, "forest_probabilities", title, caption)


def forest_means(res: D.Results, out: Path, difference: bool = False) -> Figure | None:
    """One small panel per outcome (its own unit), one row per scenario: mean or paired
    difference with its interval."""
    names = mean_outcomes(res)
    ref = res.reference
    groups = [g for g in res.groups if not (difference and g == ref)]
    if not names or not groups or (difference and ref is None):
        return None
    colours = scenario_colours(res.groups)
    ncols = 2
    nrows = math.ceil(len(names) / ncols)
    panel_h = 0.62 + 0.19 * len(groups)
    paired_all = True
    with report_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.5 + panel_h * nrows), squeeze=False)
        for k, name in enumerate(names):
            ax = axes[k // ncols][k % ncols]
            for j, g in enumerate(groups):
                if difference:
                    e, was_paired = D.paired(res, g, name)
                    paired_all &= was_paired or math.isnan(e.value)
                else:
                    e = D.estimate(res, g, name)
                if math.isnan(e.value):
                    continue
                ax.errorbar(e.value, -j, xerr=_xerr(e.value, e.low, e.high), color=colours[g], marker=scenario_marker(g),
                            markersize=3.8, linewidth=1.0, capsize=1.5)
            if difference:
                ax.axvline(0, color="#000000", linewidth=0.8)
                lo, hi = ax.get_xlim()  # keep zero, and a marker sitting on it, off the panel's edge
                pad = 0.05 * (hi - lo)
                ax.set_xlim(min(lo, -pad), max(hi, pad))
            ax.set_yticks(-np.arange(len(groups)), [D.display(g) for g in groups] if k % ncols == 0 else [])
            ax.tick_params(axis="y", length=0)
            ax.set_ylim(-len(groups) + 0.4, 0.6)
            ax.grid(axis="y", visible=False)
            ax.set_title(_wrap(D.label(name), 44), fontsize=7.5, fontweight="normal", loc="left")
            ax.tick_params(axis="y", labelsize=7)
            u = axis_unit(D.unit(name))
            ax.set_xlabel(f"difference ({u})" if difference else u, fontsize=7.5)
        for k in range(len(names), nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        _scenario_legend(fig, groups, colours)
    if difference:
        interval = INTERVAL_PAIRED if paired_all else "t-based 95% interval (paired where runs share replication and seed, else Welch)"
        title = f"Main outcomes: difference from {D.display(ref)}"
        caption = (f"Mean difference between each scenario and {D.display(ref)} in the main outcomes "
                   f"(each panel in its own unit), with the {interval}. {runs_phrase(res, res.groups)}.")
        return _save(fig, out, "differences_means", title, caption)
    title = "Main outcomes by scenario"
    caption = (f"Mean of each main outcome across runs by scenario (each panel in its own unit), with the "
               f"{INTERVAL_MEAN}. {runs_phrase(res, res.groups)}.")
    return _save(fig, out, "forest_means", title, caption)


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

MAP_METRICS = ("deal", "holds_deal", "credibility_final", "credibility")


def map_values(res: D.Results) -> tuple[pd.DataFrame, str, str, bool]:
    """Per ally and scenario, the value the map shows: (table, what, unit, is_probability).

    Uses per-ally outcomes (``ally.<ISO3>.<metric>``) when the results have them; otherwise
    each ally gets its group's final credibility (eastern flank or western), said so in the
    caption.
    """
    metrics = D.ally_outcomes(res)
    rows = []
    if metrics:
        metric = next((m for m in MAP_METRICS if m in metrics), metrics[0])
        cols = {m.group(1): c for c in res.runs.columns if (m := D.ALLY_COLUMN.match(c)) and m.group(2) == metric}
        x = res.runs[list(cols.values())].to_numpy(float)
        prob = bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all())
        for g in res.groups:
            sel = res.runs[res.runs["group"] == g]
            for iso, col in sorted(cols.items()):
                e = D.probability(sel[col]) if prob else D.mean(sel[col])
                rows.append((g, iso, e.value, e.low, e.high, e.n))
        what = ("probability that the ally ends holding a bilateral deal" if metric in ("deal", "holds_deal")
                else f"{metric.replace('_', ' ')} per ally")
        unit = "probability" if prob else "value"
        return pd.DataFrame(rows, columns=["group", "iso3", "value", "low", "high", "runs"]), what, unit, prob
    from sim.calibration import ALLIES

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


def ally_maps(res: D.Results, out: Path) -> tuple[list[Figure], pd.DataFrame, str] | None:
    """The tile map, six scenarios to a figure, on one colour scale; and its table."""
    table, what, unit, _ = map_values(res)
    if table["value"].isna().all():
        return None
    from sim.calibration import load_world

    world = load_world()
    pages = [res.groups[i: i + PANELS_PER_ROW] for i in range(0, len(res.groups), PANELS_PER_ROW)]
    figs = [ally_map(res, out, table, what, unit, page, "map_allies" + ("" if k == 1 else f"_{k}"),
                     f", part {k} of {len(pages)}" if len(pages) > 1 else "")
            for k, page in enumerate(pages, start=1)]
    table = table.copy()
    table.insert(2, "name", table["iso3"].map(dict(zip(world.iso3, world.name, strict=True))))
    return figs, table, what


def ally_map(res: D.Results, out: Path, table: pd.DataFrame, what: str, unit: str, groups: list[str],
             name: str, part: str) -> Figure:
    """Small multiples of the tile grid, one per scenario, on one colour scale."""
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    lo, hi = (0.0, 1.0) if unit == "probability" else (np.nanmin(table["value"]), np.nanmax(table["value"]))
    norm = mcolors.Normalize(lo, hi)
    cmap = plt.get_cmap("viridis")
    colours = scenario_colours(res.groups)
    with report_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 0.8 + 2.25 * nrows), squeeze=False)
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
                ax.text(c, -r - 0.2, "n/a" if math.isnan(v) else f"{v:.2f}", ha="center", va="center",
                        fontsize=4.6, color=ink)
            ax.plot([-1, -1], [0.4, -7.4], color="#999999", linewidth=0.6, linestyle=(0, (2, 2)))
            ax.set_xlim(-2.6, 6.6)
            ax.set_ylim(-7.6, 0.6)
            ax.set_aspect("equal")
            ax.axis("off")
            ax.set_title(D.display(g), color=colours[g], fontsize=8)
        for k in range(len(groups), nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(sm, ax=axes.ravel().tolist(), orientation="horizontal", fraction=0.05,
                           shrink=0.6, aspect=40, location="bottom")
        bar.set_label(_wrap(f"{what} ({unit})", 100))
    title = "The allies: " + what + part
    caption = (f"Tile map of the 31 allies (each tile one ally, placed roughly as on a map of Europe; "
               f"Canada at the left), coloured by the {what}, mean across runs, one panel per scenario. "
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
    colours = scenario_colours(res.groups)
    per_block = len(groups) + 1
    rows = len(sids) * per_block
    with report_style():
        fig, ax = plt.subplots(figsize=(WIDTH, 1.0 + 0.12 * rows + 0.12 * len(sids)))
        ticks, labels = [], []
        for i, sid in enumerate(sids):
            top = -i * per_block
            if i % 2 == 0:
                ax.axhspan(top - per_block + 0.5, top + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
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
                            color=colours[g], marker=scenario_marker(g), markersize=3.8, linewidth=1.0,
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
        _scenario_legend(fig, groups, colours, extra=(price_handle, open_handle))
    title = "Simulated probabilities of the signposts beside market prices"
    caption = (f"For each signpost with a market price, the share of runs in which it happened by scenario "
               f"with the {INTERVAL_PROBABILITY}, and the price (dotted line). Open markers: the price lies "
               f"outside the interval. {runs_phrase(res, groups)}. Prices from the odds file, "
               f"read as probabilities.")
    return _save(fig, out, "odds", title, caption)
