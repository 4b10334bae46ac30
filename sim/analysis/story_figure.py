"""The figure of one run's story (:mod:`sim.analysis.story`): each ally's monthly path.

Four panels on a calendar axis: credibility of the US guarantee, defence spending and US troops
per ally (every ally a thin grey line; the allies the story names most in colour, the same
colour in each panel), and the allies' strategies as a map of allies by months.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.model.rules import strategy

if TYPE_CHECKING:
    from sim.analysis.story import Story

# Okabe and Ito's colour-blind-safe palette, as in the report, for the allies the story names most.
ALLY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
# Strategies: collective defence, deal, autonomy, accommodation (colour-blind safe, apart in greyscale).
STRATEGY_COLOURS = ("#DDDDDD", "#E69F00", "#009E73", "#882255")
FORMATS = (".png", ".svg", ".pdf")


def protagonists(story: Story, k: int = len(ALLY_COLOURS)) -> list[int]:
    """The allies the story is most about: hosts of troops that moved, then the allies its lines
    name most (strategy changes aside: they are in the strategy panel, and would favour the fickle)."""
    counts = Counter(e.ally for e in story.entries if e.ally and e.topic != "strategy")
    troops = story.ally_series["us_troops"]
    moved = np.abs(np.diff(troops, axis=0)).sum(axis=0) if len(troops) > 1 else np.zeros(len(story.iso3))
    if len(troops):
        moved += np.abs(troops[0] - story.ally_series["us_troops_start"])
    ranked = sorted(range(len(story.iso3)), key=lambda i: (not moved[i] > 0.5, -counts.get(story.iso3[i], 0),
                                                          story.iso3[i]))
    return [i for i in ranked[:k] if counts.get(story.iso3[i], 0) or moved[i] > 0.5]


def story_figure(story: Story):
    import matplotlib

    matplotlib.use("Agg")  # never opens a window; renders the same everywhere
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from sim.report.style import report_style

    s = story.scenario
    series = story.ally_series
    months = len(series["credibility"])
    y0, m0 = (int(x) for x in s.start.split("-"))
    x = y0 + (m0 - 1 + np.arange(months) + 0.5) / 12.0  # mid-month, as calendar years
    named = protagonists(story)
    with report_style():
        fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True, layout="constrained")
        panels = (("credibility", "belief that the US guarantee holds", 1.0),
                  ("share", "defence spending, % of GDP", 1.0),
                  ("us_troops", "US troops hosted (thousands)", 1e-3))
        for ax, (name, title, scale) in zip(axes.flat[:3], panels, strict=True):
            values = series[name] * scale
            for i in range(values.shape[1]):
                if i not in named:
                    ax.plot(x, values[:, i], color="#BBBBBB", linewidth=0.6, zorder=1)
            for colour, i in zip(ALLY_COLOURS, named, strict=False):
                ax.plot(x, values[:, i], color=colour, linewidth=1.6, label=story.names[i], zorder=2)
            ax.set_title(title, loc="left")
        axes[0, 0].set_ylim(0, 1)
        ax = axes[1, 1]
        grid = series["strategy"].T if months else np.zeros((len(story.iso3), 0))
        cmap = ListedColormap(STRATEGY_COLOURS)
        ax.imshow(grid, aspect="auto", interpolation="nearest", cmap=cmap,
                  norm=BoundaryNorm(np.arange(-0.5, 4.5), cmap.N),
                  extent=(x[0] - 1 / 24, x[-1] + 1 / 24, len(story.iso3) - 0.5, -0.5) if months else None)
        ax.set_yticks(range(len(story.iso3)), story.iso3, fontsize=5)
        ax.grid(False)
        ax.set_title("strategy of each ally", loc="left")
        handles = [Patch(color=c, label=f"strategy: {label}") for c, label in zip(STRATEGY_COLOURS, strategy.STRATEGIES, strict=True)]
        if named:
            handles += axes[0, 0].get_legend_handles_labels()[0]
        fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=7, frameon=False)
        axes[1, 0].set_xlabel("year")
        axes[1, 1].set_xlabel("year")
        fig.suptitle(f"{s.title}: one run (seed {story.seed}); in colour, the allies the story is most about",
                     fontsize=10)
    return fig


def save(fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` by its suffix, with no timestamp or software version; close it."""
    import matplotlib.pyplot as plt

    from sim.report.style import PDF_METADATA, PNG_METADATA, report_style

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: the figure is written as {', '.join(FORMATS)}; got {suffix or 'no suffix'!r}")
    options = {".png": {"dpi": 200, "metadata": PNG_METADATA}, ".pdf": {"metadata": PDF_METADATA},
               ".svg": {"metadata": {"Date": None}}}[suffix]
    buffer = io.BytesIO()
    try:
        import matplotlib

        with report_style(), matplotlib.rc_context({"svg.hashsalt": "deterrence-story"}):
            fig.savefig(buffer, format=suffix[1:], **options)
    finally:
        plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path
