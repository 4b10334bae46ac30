"""The explorer's figures: the allies as a tile map and the main monthly series, drawn from the
running model.

They are matplotlib ``Figure`` objects, not pyplot (the server draws for several pages at once),
sent to the page as PNG images, so the page needs no charting library from a CDN.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from sim.analysis.story_figure import STRATEGY_COLOURS
from sim.model.rules import strategy
from sim.model.scenario import month_label
from sim.report.figures.maps import TILE_GRID


def _calendar(model, months: int) -> np.ndarray:
    y0, m0 = (int(x) for x in model.start.split("-"))
    return y0 + (m0 - 1 + np.arange(months) + 0.5) / 12.0


def now(model, title: bool = True) -> str:
    head = f"{model.spec.title}: " if title else ""
    if model.month < 0:
        return f"{head}not started (press Step or Play)"
    return f"{head}{month_label(model.month, model.start)} (month {model.month + 1} of {model.horizon})"


def map_figure(model, colour_by: str) -> Figure:
    """The 31 allies as tiles placed roughly as on a map, coloured by belief in the US guarantee
    or by strategy, with the US troops each hosts (thousands) under its code."""
    fig = Figure(figsize=(4.8, 3.6), dpi=90, layout="constrained")
    ax = fig.subplots()
    allies = model.ally_list
    if colour_by == "strategy":
        cmap = ListedColormap(STRATEGY_COLOURS)
        norm = BoundaryNorm(np.arange(-0.5, 4.5), cmap.N)
        values = [a.strategy for a in allies]
    else:
        cmap, norm = colormaps["viridis"], Normalize(0, 1)
        values = [a.credibility for a in allies]
    for ally, value in zip(allies, values, strict=True):
        r, c = TILE_GRID[ally.iso3]
        colour = cmap(norm(value))
        ax.add_patch(_tile(c, -r, colour))
        dark = value in (2, 3) if colour_by == "strategy" else value < 0.55
        ink = "white" if dark else "black"
        ax.text(c + 0.5, -r + 0.62, ally.iso3, ha="center", va="center", fontsize=7, color=ink, weight="bold")
        troops = ally.us_troops
        if troops >= 50:
            ax.text(c + 0.5, -r + 0.3, f"{troops / 1000:.1f}k", ha="center", va="center", fontsize=6, color=ink)
        if ally.holds_deal:
            ax.plot(c + 0.88, -r + 0.85, marker="D", markersize=3.5, color="black")
    rows = [r for r, _ in TILE_GRID.values()]
    cols = [c for _, c in TILE_GRID.values()]
    ax.set_xlim(min(cols), max(cols) + 1)  # Canada stands left of column 0
    ax.set_ylim(-max(rows), 1 - min(rows))
    ax.set_aspect("equal")
    ax.axis("off")
    if colour_by == "strategy":
        handles = [Patch(color=c, label=s) for c, s in zip(STRATEGY_COLOURS, strategy.STRATEGIES, strict=True)]
        ax.legend(handles=handles, loc="lower left", fontsize=6, frameon=False, ncols=2)
    else:
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, pad=0.01)
        bar.set_label("belief that the US guarantee holds", fontsize=7)
        bar.ax.tick_params(labelsize=6)
    ax.set_title(f"{now(model, title=False)}\nUS troops in thousands; diamond: holds a deal", fontsize=7)
    return fig


def _tile(x: float, y: float, colour) -> Rectangle:
    return Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=colour, edgecolor="white")


def series_figure(model) -> Figure:
    """The main monthly series so far: beliefs, deals and cohesion, spending."""
    fig = Figure(figsize=(4.8, 4.0), dpi=90, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    months = max(model.month + 1, 0)
    data = {k: v[:months] for k, v in model.recorder.data.items()}
    x = _calendar(model, months)
    panels = (
        (("credibility_eastern_flank", "allies' belief, eastern flank"), ("credibility_western", "allies' belief, west"),
         ("russia_belief_eastern_flank", "Russia's belief, eastern flank")),
        (("allies_with_deal", "allies with a deal"), ("allies_autonomy", "allies pursuing autonomy"),
         ("allies_accommodation", "allies accommodating Russia")),
        (("spending_share", "defence spending, % of GDP"),),
    )
    colours = ("#0072B2", "#D55E00", "#009E73")
    for ax, panel in zip(axes, panels, strict=True):
        for (name, label), colour in zip(panel, colours, strict=False):
            ax.plot(x, data[name], color=colour, label=label, linewidth=1.4,
                    marker="o" if months < 3 else None, markersize=3,  # a line of one month is invisible
                    drawstyle="steps-mid" if name.startswith("allies_") else "default")
        ax.legend(fontsize=6, loc="upper left", frameon=False)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(bottom=0)
    axes[1].yaxis.get_major_locator().set_params(integer=True)
    start = _calendar(model, 1)[0]
    axes[-1].set_xlim(start - 1 / 24, start + model.horizon / 12)
    axes[0].set_title(now(model, title=False), fontsize=7)
    return fig
