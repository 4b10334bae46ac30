"""Fan charts: the monthly series of the runs, median and bands, one panel per group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report import data as D
from sim.report.figures.common import (
    PANELS_PER_ROW,
    WIDTH,
    Figure,
    axis_unit,
    fit,
    group_colours,
    group_title,
    pages_of,
    part_of,
    runs_phrase,
    save,
)
from sim.report.style import BAND_ALPHA, plt, report_style

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


def fan_charts(res: D.Results, out: Path, name: str, title: str, series: tuple[str, ...]) -> list[Figure]:
    """The fan chart of ``series``, in figures of at most six groups side by side (an arms
    sweep: the arms of one scenario to a figure)."""
    groups = [g for g in res.groups if res.n_series_runs(g)]
    pages = pages_of(res, groups, PANELS_PER_ROW)
    out_figs = []
    for k, (page, scen) in enumerate(pages, start=1):
        suffix = "" if k == 1 else f"_{k}"
        part = part_of(pages, k)
        of = f" ({D.display(scen)})" if scen else ""
        fig = fan_chart(res, out, name + suffix, title + of + part, series, page,
                        heading=f"Scenario: {D.display(scen)}" if scen else None)
        if fig is not None:
            out_figs.append(fig)
    return out_figs


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
    return save(fig, out, name, title, caption)


def _month_ticks(ax, months: int) -> None:
    step = 6 if months <= 36 else 12 if months <= 72 else 24
    ax.set_xticks(np.arange(0, months, step))
    ax.set_xlim(0, months - 1)
