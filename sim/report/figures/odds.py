"""Market odds: the simulated probability of each priced signpost beside its market price."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.lines import Line2D

from sim.report import data as D
from sim.report.figures.common import (
    INTERVAL_PROBABILITY,
    Figure,
    banded_blocks,
    group_colours,
    group_marker,
    runs_phrase,
    save,
    scenario_legend,
    wrap,
    xerr,
)
from sim.report.style import report_style


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
        fig, ax = banded_blocks(len(sids), per_block, base=1.0, per_row=0.12, per_block_extra=0.12)
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
                ax.errorbar(r["probability"], top - j - 0.5, xerr=xerr(r["probability"], r["low"], r["high"]),
                            color=colours[g], marker=group_marker(res, g), markersize=3.8, linewidth=1.0,
                            capsize=1.5, zorder=3, markerfacecolor=colours[g] if r["verdict"] == "consistent" else "white")
            ticks.append(top - len(groups) / 2)
            labels.append(wrap(D.label(f"signpost.{sid}", res).removeprefix("Signpost: "), 46))
        ax.set_yticks(ticks, labels)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.set_ylim(-rows + 0.5, 0.5)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("probability")
        price_handle = Line2D([], [], color="#000000", linewidth=1.6, linestyle=(0, (1, 1)), label="market price")
        open_handle = Line2D([], [], color="#777777", marker="o", markerfacecolor="white", linestyle="none",
                             label="price outside interval")
        scenario_legend(res, fig, groups, colours, extra=(price_handle, open_handle))
    title = "Simulated probabilities of the signposts beside market prices"
    caption = (f"For each signpost with a market price, the share of runs in which it happened by scenario "
               f"with the {INTERVAL_PROBABILITY}, and the price (dotted line). Open markers: the price lies "
               f"outside the interval. {runs_phrase(res, groups)}. Prices from the odds file, "
               f"read as probabilities.")
    return save(fig, out, "odds", title, caption)
