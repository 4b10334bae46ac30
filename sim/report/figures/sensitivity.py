"""Sensitivity: heatmaps of a sweep over two parameters (outcomes, and a compare pair's paired
differences, cell by cell) and the Sobol indices of the sweep's summary, against chance's."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from sim.report import data as D
from sim.report.figures.common import (
    INTERVAL_MEAN,
    INTERVAL_PROBABILITY,
    WIDTH,
    Figure,
    axis_unit,
    figure_legend,
    save,
    slug,
    wrap,
)
from sim.report.style import plt, report_style

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
            ax.set_title(wrap(D.label(name), 48), fontsize=7.5, fontweight="normal", loc="left")
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
               f"sweep_{slug(scenario)}.")
    return save(fig, out, f"heatmap_{slug(scenario)}", title, caption)


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
            ax.set_title(wrap(D.label(name), 48), fontsize=7.5, fontweight="normal", loc="left")
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
    return save(fig, out, f"heatmap_{slug(comp.a)}_minus_{slug(comp.b)}", title, caption)


# ---- Sobol indices ----------------------------------------------------------------------------

CHANCE = "chance"  # the summary's row for the seed as a pseudo-parameter (sim.experiments.design.CHANCE)
CHANCE_STYLE = dict(color="#D55E00", linewidth=1.0, linestyle="--")


def sobol_bars(res: D.Results, out: Path, top: int = 10, per_page: int = 3) -> list[Figure]:
    """Per scenario and outcome, first-order and total Sobol indices with their bootstrap
    intervals; three panels to a figure, one above the other (parameter names are long), the
    parameters with the largest total index first. Chance's total index (the share of variance
    across seeds at fixed parameters), when the summary has it, is a dashed line with its
    interval as a band: a parameter whose total index stands clear of the band matters more than
    the luck of the draw."""
    s = res.sobol
    if s is None or s.empty:
        return []
    chance_rows = s[s["parameter"] == CHANCE]
    s = s[s["parameter"] != CHANCE]
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
                ref = chance_rows[(chance_rows["scenario"] == scenario) & (chance_rows["outcome"] == outcome)
                                  & (chance_rows["index"] == "ST")]
                if len(ref) and np.isfinite(ref["estimate"].iloc[0]):
                    c, c_lo, c_hi = (float(ref[k].iloc[0]) for k in ("estimate", "low", "high"))
                    if np.isfinite(c_lo) and np.isfinite(c_hi):
                        ax.axvspan(c_lo, c_hi, color=CHANCE_STYLE["color"], alpha=0.15, linewidth=0, zorder=0)
                    ax.axvline(c, **CHANCE_STYLE)
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
                ax.set_title(wrap(head, 100), fontsize=7.5, fontweight="normal", loc="left")
            for k in range(len(chunk), nrows * ncols):
                axes[k // ncols][k % ncols].set_visible(False)
            handles = [Patch(**st) for st in styles.values()]
            if len(chance_rows):
                handles.append(Line2D([], [], label="chance (ST of the seed), with its interval", **CHANCE_STYLE))
            figure_legend(fig, handles)
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
                   f"{interval} of the sweep's summary (first order: Saltelli 2010; total: Jansen 1999). "
                   + ("Dashed line and band: the total index of chance, the run's seed treated as one more "
                      "parameter (the variance across seeds at fixed parameters, as a share of the "
                      "outcome's variance); a parameter whose total index lies clear of the band matters "
                      "more than chance. " if len(chance_rows) else "")
                   + f"Computed from {len(res.runs)} runs; the full list is in the table 'sobol'.")
        figures.append(save(fig, out, name, title, caption))
    return figures
