"""What the report's figures share: the page's width, the intervals their captions name, the
:class:`Figure` each function returns, measuring and fitting text, colours and markers of the
groups, legends, pages of groups, and saving a figure (PNG, PDF and its caption)."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D

from sim.report import data as D
from sim.report.files import write_atomic
from sim.report.style import (
    arm_colours,
    plt,
    save_figure,
    scenario_colours,
    scenario_marker,
)

WIDTH = 6.5  # inches: the text width of an A4 or letter page with 1-inch margins
MAX_HEIGHT = 9.0  # inches: a figure taller than a page of text is split into parts

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


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


_RENDERER = RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point: text widths in points


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in points of ``text`` (its widest line) in the report's font."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    return max(_RENDERER.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n"))


def fit(text: str, width_in: float, size: float, weight: str = "normal") -> str:
    """``text`` wrapped at spaces into lines no wider than ``width_in`` inches (a single word
    longer than that keeps its own line). Measured in the font, not counted in characters:
    titles of panels side by side must not run into each other."""
    lines: list[str] = []
    for paragraph in text.split("\n"):  # breaks already in the text are kept
        start = len(lines)
        for word in paragraph.split():
            if len(lines) > start and text_width(f"{lines[-1]} {word}", size, weight) <= width_in * 72:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    return "\n".join(lines)


def group_colours(res: D.Results) -> dict[str, str]:
    """A colour per group: the scenario's own colour when groups are scenarios; the arm's (the
    same in every scenario) in an arms sweep."""
    if res.group_by == "arm":
        arms = arm_colours([*res.arms, *sorted({res.arm_of(g) or "" for g in res.groups} - set(res.arms))])
        return {g: arms[res.arm_of(g) or ""] for g in res.groups}
    return scenario_colours(res.groups)


def group_marker(res: D.Results, group: str) -> str:
    """A group's marker: its scenario's (so in an arms sweep the marker tells the scenario)."""
    return scenario_marker(res.scenario_of(group))


def group_title(res: D.Results, group: str, with_scenario: bool = True) -> str:
    """A group's name on a panel: the arm alone where the figure is of one scenario."""
    if res.group_by == "arm" and not with_scenario:
        return D.display(res.arm_of(group) or group)
    return D.display(group)


def pages_of(res: D.Results, groups: list[str], per_page: int) -> list[tuple[list[str], str | None]]:
    """Groups cut into pages of at most ``per_page``: an arms sweep one scenario at a time (its
    arms side by side, the scenario named once in the title), others in order. Each page with
    the scenario it is of (arms), or None."""
    if res.group_by == "arm":
        out = []
        for scen in res.scenarios:
            members = [g for g in groups if res.scenario_of(g) == scen]
            out += [(members[i: i + per_page], scen) for i in range(0, len(members), per_page)]
        return out
    return [(groups[i: i + per_page], None) for i in range(0, len(groups), per_page)]


def axis_unit(u: str) -> str:
    """A unit as it reads on an axis."""
    return {"0-1": "share, 0 to 1", "0/1": "probability"}.get(u, u)


def runs_phrase(res: D.Results, groups: list[str], series: bool = False) -> str:
    """'40 runs per scenario' or the count of each, as captions state them."""
    counts = [res.n_series_runs(g) if series else res.n_runs(g) for g in groups]
    what = "runs with monthly series" if series else "runs"
    per = "arm" if res.group_by != "scenario" else "scenario"
    points = res.runs[res.runs["group"].isin(groups)].groupby("group")["design_point"].nunique().max()
    pooled = f", pooled over {points:,} design points" if points > 1 else ""
    if len(set(counts)) == 1:
        return f"{counts[0]:,} {what} per {per}{pooled}"
    return (f"{what} per {per}: " + ", ".join(f"{D.display(g)} {n:,}" for g, n in zip(groups, counts, strict=True))
            + pooled)


def xerr(value: float, low: float, high: float, scale: float = 1.0):
    """Error bar lengths, never negative (a Wilson bound can sit a rounding error inside its
    estimate), or None when the interval is undefined."""
    if math.isnan(low) or math.isnan(high):
        return None
    return [[max(value - low, 0.0) * scale], [max(high - value, 0.0) * scale]]


def layout_problems(fig) -> list[str]:
    """What is wrong with a figure's layout, drawn as it will be saved: text or a legend reaching
    past the figure's edge, titles of two panels running into each other, tick labels of one
    axis overlapping. Empty when all is well. For the tests, and for anyone adding a figure."""
    from matplotlib.axes import Axes

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    edge = fig.bbox.padded(1)  # a pixel of rounding
    inside = lambda b: (b.x0 >= edge.x0 and b.x1 <= edge.x1 and b.y0 >= edge.y0 and b.y1 <= edge.y1)  # noqa: E731
    problems = []
    axes = [a for a in fig.findobj(Axes) if a.get_visible()]
    for ax in axes:
        if not inside(ax.get_tightbbox(renderer)):
            problems.append(f"panel '{ax.get_title(loc='left') or ax.get_title()}' reaches past the figure's edge")
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            labels = [t.get_window_extent(renderer) for tick, t in
                      ((tk, tk.label1) for tk in axis.get_major_ticks()) if t.get_visible() and t.get_text()
                      and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9]
            if any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:]):
                problems.append(f"tick labels overlap on a panel '{ax.get_title(loc='left') or ax.get_title()}'")
    titles = [(t.get_text(), t.get_window_extent(renderer)) for ax in axes
              for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    for i, (a, box_a) in enumerate(titles):
        for b, box_b in titles[i + 1:]:
            if box_a.overlaps(box_b):
                problems.append(f"titles overlap: {a!r} and {b!r}")
    for f in [fig, *fig.findobj(lambda o: type(o).__name__ == "SubFigure")]:
        for leg in f.legends:
            if not inside(leg.get_window_extent(renderer)):
                problems.append("a legend reaches past the figure's edge")
        for t in f.texts:
            if t.get_text() and not inside(t.get_window_extent(renderer)):
                problems.append(f"text {t.get_text()!r} reaches past the figure's edge")
    return problems


def save(fig, out: Path, name: str, title: str, caption: str) -> Figure:
    files = save_figure(fig, out / name)
    txt = write_atomic(out / f"{name}.txt", f"{title}\n\n{caption}\n")
    return Figure(name, title, caption, [*files, txt])


PANELS_PER_ROW = 6


def part_of(pages: list[tuple[list[str], str | None]], k: int) -> str:
    """', part k of n' for the k-th of several pages (1-based); nothing when the page's scenario
    alone tells it apart (an arms sweep whose scenarios each fit one page)."""
    if len(pages) == 1 or (pages[k - 1][1] is not None and sum(p[1] == pages[k - 1][1] for p in pages) == 1):
        return ""
    return f", part {k} of {len(pages)}"


def figure_legend(fig, handles, loc: str = "outside upper center") -> None:
    """A figure legend in as many columns as fit the page's width (measured), so that it can
    never run off the figure's edges."""
    renderer = fig.canvas.get_renderer()
    for ncol in range(len(handles), 0, -1):
        legend = fig.legend(handles=handles, loc=loc, ncol=ncol, handletextpad=0.3, columnspacing=1.2)
        if ncol == 1 or legend.get_window_extent(renderer).width <= (WIDTH - 0.1) * fig.dpi:
            return
        legend.remove()


def scenario_legend(res: D.Results, fig, groups, colours, extra=()) -> None:
    handles = [Line2D([], [], color=colours[g], marker=group_marker(res, g), linestyle="none",
                      label=D.display(g)) for g in groups]
    figure_legend(fig, handles + list(extra))


def banded_blocks(n_blocks: int, per_block: int, *, base: float, per_row: float, per_block_extra: float):
    """A figure of ``n_blocks`` blocks of rows (block i's rows from -i * per_block down), every
    other block on a pale band so the eye keeps each block's rows together. Call inside
    report_style(); the height grows with the rows."""
    rows = n_blocks * per_block
    fig, ax = plt.subplots(figsize=(WIDTH, base + per_row * rows + per_block_extra * n_blocks))
    for i in range(0, n_blocks, 2):
        top = -i * per_block
        ax.axhspan(top - per_block + 0.5, top + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
    return fig, ax


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()
