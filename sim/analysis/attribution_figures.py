"""The attribution figure: each future's difference from the status quo and the effect of each
ingredient switched off, per outcome, with 95% intervals (in the report's style)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.report.style import report_style, save_figure

COLOURS = {"total": "#000000", "interaction": "#999999"}
FIGURE_OUTCOMES = ("credibility_final", "probes", "deterrence_failure", "deals_final", "cohesion_final",
                   "spending_share_final")
"""The outcomes drawn (the table has them all)."""
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#882255")


def attribution_figure(df: pd.DataFrame, stem: Path) -> list[Path]:
    """A grid: one row per future, one column per outcome; in each panel a horizontal bar per
    ingredient (its effect) and the total, with 95% interval whiskers. Colours are fixed per
    ingredient across panels (Okabe-Ito), black for the total, grey for the interaction."""
    futures = list(dict.fromkeys(df["future"]))
    outcomes = [o for o in dict.fromkeys(df["outcome"]) if o in FIGURE_OUTCOMES] or list(dict.fromkeys(df["outcome"]))
    names = [n for n in dict.fromkeys(df["ingredient"]) if n not in ("total", "interaction")]
    colours = {**{n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}, **COLOURS}
    with report_style():
        fig, axes = plt.subplots(len(futures), len(outcomes), figsize=(1.9 * len(outcomes) + 1.4, 1.5 * len(futures) + 1.0),
                                 squeeze=False, layout="constrained")
        for i, future in enumerate(futures):
            for j, outcome in enumerate(outcomes):
                ax = axes[i, j]
                part = df[(df["future"] == future) & (df["outcome"] == outcome)]
                order = ["total", *[n for n in names if n in set(part["ingredient"])], "interaction"]
                part = part.set_index("ingredient").loc[order]
                y = np.arange(len(order))[::-1]
                mean = part["mean"].to_numpy()
                err = np.vstack([mean - part["ci_low"].to_numpy(), part["ci_high"].to_numpy() - mean])
                ax.barh(y, mean, color=[colours[n] for n in order], height=0.7)
                ax.errorbar(mean, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", elinewidth=0.8, capsize=1.5)
                ax.axvline(0.0, color="#333333", lw=0.6)
                ax.set_yticks(y, [""] * len(order))
                ax.tick_params(axis="y", length=0)
                ax.tick_params(axis="x", labelsize=6.5)
                ax.xaxis.set_major_locator(MaxNLocator(3))
                if i == 0:
                    ax.set_title(outcome.replace("_", " "), fontsize=7.5)
            axes[i, 0].set_ylabel(future.replace("_", " "), fontsize=8)
        legend = [Patch(color=colours[n], label=n) for n in ["total", *names, "interaction"]]
        fig.legend(handles=legend, loc="outside lower center", ncol=min(len(legend), 5), fontsize=7, frameon=False)
        fig.suptitle("What drives each future's difference from the reference: the effect of switching "
                     "each ingredient off (bars, top to bottom as in the legend; 95% intervals)", fontsize=8.5)
    return save_figure(fig, stem)
