"""Figures of ``deterrence discover``: PRIM's peeling trajectory and the CART tree, in the
report's style (``sim.report.style``), saved as PNG (300 dpi) and PDF with no timestamp."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.report.style import report_style, save_figure

BOX_MARKERS = ("o", "s", "^", "D", "v", "P")


def peeling_figure(trajectory: pd.DataFrame, stem: Path, title: str = "",
                   min_density: float | None = None) -> list[Path]:
    """Coverage against density at each step of each box's peeling and pasting, coloured by the
    number of restricted parameters; the chosen step of each box ringed and labelled."""
    with report_style():
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        restricted = trajectory["restricted"].to_numpy()
        top = max(int(restricted.max()), 1)
        cmap = plt.get_cmap("viridis", top + 1)
        handles = []
        for b, (number, steps) in enumerate(trajectory.groupby("box", sort=True)):
            marker = BOX_MARKERS[b % len(BOX_MARKERS)]
            ax.plot(steps["coverage"], steps["density"], color="#999999", lw=0.6, zorder=1)
            points = ax.scatter(steps["coverage"], steps["density"], c=steps["restricted"], cmap=cmap,
                                vmin=-0.5, vmax=top + 0.5, s=16, marker=marker, edgecolors="none", zorder=2)
            chosen = steps[steps["chosen"]]
            for _, row in chosen.iterrows():
                ax.scatter([row["coverage"]], [row["density"]], s=90, facecolors="none", edgecolors="#D55E00",
                           linewidths=1.4, marker=marker, zorder=3)
                # labels to the side with room, stacked by box so that boxes of similar density
                # do not write over each other
                left = row["coverage"] > 0.5
                ax.annotate(f"box {number}: coverage {row['coverage']:.2f}, density {row['density']:.2f}, "
                            f"{int(row['restricted'])} restricted",
                            (row["coverage"], row["density"]), xytext=(-8 if left else 8, -14 - 12 * b),
                            textcoords="offset points", ha="right" if left else "left", va="top", fontsize=7,
                            color="#D55E00", bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1.0},
                            arrowprops={"arrowstyle": "-", "color": "#D55E00", "lw": 0.5, "shrinkB": 6})
            handles.append(Line2D([], [], ls="none", marker=marker, color="#555555", label=f"box {number}"))
        if min_density is not None:
            ax.axhline(min_density, color="#555555", lw=0.8, ls="--", zorder=0)
            ax.annotate(f"density {min_density:g}: boxes at or above it may be chosen", (0, min_density),
                        xytext=(2, 3), textcoords="offset points", fontsize=7, color="#555555")
        bar = fig.colorbar(points, ax=ax, ticks=MaxNLocator(integer=True, nbins=min(top + 1, 10)))
        bar.set_label("restricted parameters")
        ax.set_xlabel("coverage (share of all cases inside the box)")
        ax.set_ylabel("density (share of the box's runs that are cases)")
        ax.set_xlim(-0.02, 1.04)
        ax.set_ylim(0, 1.04)
        ax.set_title(f"PRIM peeling trajectory: {title}" if title else "PRIM peeling trajectory")
        if len(handles) > 1:
            ax.legend(handles=handles, loc="lower left")
    return save_figure(fig, stem)


def tree_figure(model, names: list[str], stem: Path) -> list[Path]:
    """The CART tree (``sklearn.tree.plot_tree``): split, runs, cases and the predicted class."""
    from sklearn.tree import plot_tree

    depth = model.get_depth()
    leaves = model.get_n_leaves()
    with report_style():
        fig, ax = plt.subplots(figsize=(max(6.5, 1.3 * leaves), 1.4 + 1.3 * depth), layout="constrained")
        ax.grid(False)
        plot_tree(model, feature_names=names, class_names=["other", "case"], filled=True, impurity=False,
                  proportion=False, rounded=True, precision=3, fontsize=7, ax=ax)
        ax.set_title("CART: runs in each node (value = [other, case])")
    return save_figure(fig, stem)
