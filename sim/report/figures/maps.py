"""Tile maps of the 31 allies: a per-ally outcome (or its group's mean) on one colour scale, one
panel per group."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.patches import Rectangle

from sim.model.outcomes import ALLY_OUTCOMES, GROUPS
from sim.report import data as D
from sim.report.figures.common import (
    INTERVAL_MEAN,
    INTERVAL_PROBABILITY,
    PANELS_PER_ROW,
    WIDTH,
    Figure,
    fit,
    group_colours,
    group_title,
    pages_of,
    part_of,
    runs_phrase,
    save,
    slug,
)
from sim.report.style import plt, report_style

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
    stem = "map_allies" if i == 0 else f"map_allies_{slug(metric)}"
    figs = [ally_map(res, out, table, what, unit, page, stem + ("" if k == 1 else f"_{k}"),
                     (f" ({D.display(scen)})" if scen else "") + part_of(pages, k), binary,
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
    # The scale spans the values shown (every panel of the metric alike), not the unit's whole
    # range: deal probabilities of 0.01 to 0.28 on a 0-1 scale would all look the same.
    lo, hi = float(np.nanmin(table["value"])), float(np.nanmax(table["value"]))
    if not hi > lo:  # one value everywhere: a scale around it, not a division by zero
        pad = 0.05 if unit == "probability" else 0.5
        lo, hi = lo - pad, hi + pad
    if unit == "probability":
        lo, hi = max(0.0, lo), min(1.0, hi)
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
        bar.set_label(fit((f"{what} (share of runs)" if binary else f"{what} ({unit}, mean across runs)")
                          + f"; scale from {lo:.{digits}f} to {hi:.{digits}f}", WIDTH - 0.5, 8))
        bar.ax.tick_params(labelsize=7)
    title = "The allies: " + what + part
    by = "arm" if res.group_by == "arm" else "scenario"
    caption = (f"Tile map of the 31 allies (each tile one ally, placed roughly as on a map of Europe; "
               f"Canada at the left), coloured by the {what} ({unit}), "
               f"{'share of runs' if binary else 'mean across runs'}, one panel per {by}; the colour scale "
               f"spans the values shown ({lo:.{digits}f} to {hi:.{digits}f}), the same in every panel. "
               f"{runs_phrase(res, groups)}. Each ally's value with its 95% interval ({INTERVAL_MEAN}, or "
               f"{INTERVAL_PROBABILITY} for a 0/1 outcome) is in the table 'allies'."
               + ("" if D.ally_outcomes(res) else " These results have no per-ally outcomes, so allies "
                  "in one group share one value.")
               + (" " + " ".join(_deal_notes(res, groups)) if "deal" in what else ""))
    return save(fig, out, name, title, caption)


def _deal_notes(res: D.Results, groups: list[str]) -> list[str]:
    from sim.report.scenarios import deal_notes

    return [f"{D.display(g)}: {n}" for g in groups for n in deal_notes(res, res.scenario_of(g))]
