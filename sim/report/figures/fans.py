"""Fan charts: the monthly series of the runs, median and bands, one panel per group."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.experiments.summary import COUNT_UNITS
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
    counts = {s: D.unit(s) in COUNT_UNITS for s in series}
    with report_style():
        fig = plt.figure(figsize=(WIDTH, 0.55 + 1.85 * len(series) + (0.25 if heading else 0)))
        if heading:  # the page's scenario (an arms sweep), so that the PNG says it on its own
            fig.suptitle(heading, fontsize=9, fontweight="bold")
        subfigs = np.atleast_1d(fig.subfigures(len(series), 1, hspace=0.0))
        for r, sname in enumerate(series):
            sf = subfigs[r]
            count = counts[sname]
            # A count's panels each take the scale of their own data (one scenario reaching 30
            # allies must not flatten the others); shares and ratios share one scale.
            axes = sf.subplots(1, len(groups), sharey=not count, squeeze=False)[0]
            sf.suptitle(fit(D.label(sname), WIDTH - 0.3, 8, "bold"), fontsize=8, fontweight="bold")
            ref_band = D.bands(res, ref, sname, counts=count) if ref else None
            centre = "mean" if count else "p50"
            step = {"step": "post"} if count else {}
            for c, g in enumerate(groups):
                ax = axes[c]  # x limits and ticks are set alike below; sharex across subfigures is very slow
                b = D.bands(res, g, sname, counts=count)
                x = b.index.to_numpy()
                col = colours[g]
                ax.fill_between(x, b.p5, b.p95, color=col, alpha=BAND_ALPHA[90], linewidth=0, **step)
                ax.fill_between(x, b.p25, b.p75, color=col, alpha=BAND_ALPHA[50], linewidth=0, **step)
                draw = "steps-post" if count else "default"
                if ref_band is not None and g != ref:
                    ax.plot(ref_band.index, ref_band[centre], color="#000000", linestyle=(0, (3, 2)),
                            linewidth=0.8, alpha=0.75, drawstyle=draw)
                ax.plot(x, b[centre], color=col, linewidth=1.4, drawstyle=draw)
                if r == 0:
                    ax.set_title(heads[g], color=col, fontsize=8)
                if c == 0:
                    ax.set_ylabel(axis_unit(D.unit(sname)))
                elif not count:
                    ax.tick_params(labelleft=False)
                if r < len(series) - 1:
                    ax.tick_params(labelbottom=False)
                calendar_ticks(ax, months, res.start, panel_w)
                if count:
                    top = max(1.0, float(np.nanmax(b.p95.to_numpy())), float(np.nanmax(b["mean"].to_numpy())))
                    ax.set_ylim(0, top * 1.08)
                    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True, min_n_ticks=2))
                    ax.tick_params(axis="y", labelsize=6.5)
            if r == len(series) - 1:
                sf.supxlabel("year (ticks at January)" if res.start else "months from the start", fontsize=8)
            if D.unit(sname) == "probability":
                axes[0].set_ylim(0, 1)
                axes[0].set_yticks([0, 0.25, 0.5, 0.75, 1])
            elif not count:
                axes[0].set_ylim(bottom=min(0.0, axes[0].get_ylim()[0]))
        any_count = any(counts.values())
        line = "mean (counts), median (others)" if any_count and not all(counts.values()) else (
            "mean" if any_count else "median")
        handles = [Line2D([], [], color="#444444", linewidth=1.4, label=line),
                   Patch(color="#444444", alpha=BAND_ALPHA[50], linewidth=0, label="50% of runs"),
                   Patch(color="#444444", alpha=BAND_ALPHA[90], linewidth=0, label="90% of runs")]
        if ref:
            handles.append(Line2D([], [], color="#000000", linestyle=(0, (3, 2)), linewidth=0.8,
                                  label=f"{D.display(ref)} {line.split(' ')[0]} (reference)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    if any_count:
        counted = ", ".join(D.label(s)[:1].lower() + D.label(s)[1:] for s in series if counts[s])
        how = (f"For counts ({counted}) the line is the mean across runs and the bands run between whole "
               f"numbers (percentiles that some run reached), drawn as steps; each panel has its own scale. ")
    else:
        how = ""
    caption = (f"{title}, by month{_from(res)}. Each panel is one {'arm' if res.group_by == 'arm' else 'scenario'}; "
               + ("lines are the median across runs, " if not all(counts.values()) else "")
               + "shaded bands hold the middle 50% and 90% of runs (spread of outcomes, not a "
               f"confidence interval). {how}"
               + (f"The dashed line repeats {D.display(ref)} for comparison." if ref else "")
               + f" {runs_phrase(res, groups, series=True)}.")
    return save(fig, out, name, title, caption)


def _from(res: D.Results) -> str:
    if not res.start:
        return ""
    year, month = res.start.split("-")
    return f" from {MONTH_NAMES[int(month) - 1]} {year}"


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def calendar_ticks(ax, months: int, start: str | None, width_in: float = 6.0) -> None:
    """Ticks at calendar years (January), labelled with the year, as many as fit a panel
    ``width_in`` inches wide; months from the start when the start is unknown. A short run gets
    ticks at January and July, labelled 'Jan 2027'."""
    ax.set_xlim(0, months - 1)
    if not start:
        step = 6 if months <= 36 else 12 if months <= 72 else 24
        ax.set_xticks(np.arange(0, months, step))
        return
    y0, m0 = (int(v) for v in start.split("-"))
    first_january = (13 - m0) % 12  # months from the start to the first January (0 if it starts in one)
    if months <= 30:
        ticks = [t for t in range(first_january - 6, months, 6) if 0 <= t < months]
        labels = [f"{'Jan' if (m0 - 1 + t) % 12 == 0 else 'Jul'} {y0 + (m0 - 1 + t) // 12}" for t in ticks]
    else:
        fit_labels = max(2, int(width_in / 0.42))  # a year label takes about 0.4 inch at 7 points
        need = math.ceil(math.ceil(months / 12) / fit_labels)
        every = next(k for k in (1, 2, 5, 10, 20, 50, 100) if k >= need)
        first_year = y0 + (m0 - 1 + first_january) // 12
        shift = (-first_year) % every  # ticks on round years: 2030, 2035, not 2027, 2032
        ticks = list(range(first_january + 12 * shift, months, 12 * every))
        labels = [str(y0 + (m0 - 1 + t) // 12) for t in ticks]
    ax.set_xticks(ticks, labels)
