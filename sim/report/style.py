"""The report's look: the project matplotlib style, one fixed colour and marker per scenario,
and saving figures so that the same results give byte-identical files.

Colours are Okabe and Ito's colour-blind-safe palette (Okabe & Ito 2008, "Color Universal
Design"); continuous values use viridis, which stays ordered for the common colour-vision
deficiencies and in greyscale.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the report never opens a window; Agg renders the same on every machine

import matplotlib.pyplot as plt

from sim.report.files import write_atomic

STYLE_FILE = Path(__file__).with_name("deterrence.mplstyle")

# The shipped futures in the brief's order, each with one colour and marker for every figure.
# The status quo is the reference: black, so that it reads as the baseline in print as well.
SCENARIO_COLOURS: dict[str, str] = {
    "status_quo": "#000000",
    "troops_to_poland": "#0072B2",      # Future 1: blue
    "further_withdrawals": "#D55E00",   # Future 2: vermillion
    "europe_accelerates": "#009E73",    # Future 3: bluish green
    "unconditional_poland": "#CC79A7",  # the brief's "what would change this": reddish purple
}
SCENARIO_MARKERS: dict[str, str] = {
    "status_quo": "o", "troops_to_poland": "s", "further_withdrawals": "^",
    "europe_accelerates": "D", "unconditional_poland": "v",
}
# Unknown names (user scenarios, sweep arms) draw from the rest of Okabe-Ito, then Paul Tol's
# "muted" scheme (also colour-blind-safe); yellow comes last as it is faint on white.
FALLBACK_COLOURS = ("#E69F00", "#56B4E9", "#332288", "#117733", "#882255", "#44AA99",
                    "#999933", "#AA4499", "#88CCEE", "#CC6677", "#DDCC77", "#F0E442")
FALLBACK_MARKERS = ("P", "X", "h", "<", ">", "p", "*", "d")
# Arms of a sweep (named design points) take these in the design's order: distinct for up to 12
# arms, the same arm the same colour in every figure of a report (whatever scenario it ran in),
# and the arms of one compare pair (listed next to each other) clearly apart. Okabe-Ito orange
# and sky blue, then Paul Tol's muted scheme; the faint sand and yellow last. Scenarios keep
# SCENARIO_COLOURS: an arms sweep tells its scenarios apart by marker and by block.
ARM_COLOURS = ("#E69F00", "#56B4E9", "#332288", "#117733", "#882255", "#44AA99",
               "#999933", "#AA4499", "#CC6677", "#88CCEE", "#DDCC77", "#F0E442")
REFERENCE = "status_quo"
BAND_ALPHA = {90: 0.16, 50: 0.34}


def _fallback_index(name: str) -> int:
    # crc32, not hash(): Python salts str hashes per process, colours must not change.
    return zlib.crc32(name.encode("utf-8")) % len(FALLBACK_COLOURS)


def scenario_colours(names: Iterable[str]) -> dict[str, str]:
    """A colour for each name: the fixed one for shipped scenarios, else a stable pick from the
    fallback palette (the next free one when two unknown names in one figure collide)."""
    names = list(dict.fromkeys(names))
    out = {n: SCENARIO_COLOURS[n] for n in names if n in SCENARIO_COLOURS}
    used = set(out.values())
    for name in sorted(n for n in names if n not in out):
        i = _fallback_index(name)
        for step in range(len(FALLBACK_COLOURS)):
            colour = FALLBACK_COLOURS[(i + step) % len(FALLBACK_COLOURS)]
            if colour not in used:
                break
        out[name] = colour
        used.add(colour)
    return {n: out[n] for n in names}


def arm_colours(arms: Iterable[str]) -> dict[str, str]:
    """A colour for each arm, in the order given (the design's): see ARM_COLOURS."""
    arms = list(dict.fromkeys(arms))
    return {a: ARM_COLOURS[i % len(ARM_COLOURS)] for i, a in enumerate(arms)}


def scenario_marker(name: str) -> str:
    """The marker of a scenario in dot and forest plots (shapes tell scenarios apart in greyscale)."""
    if name in SCENARIO_MARKERS:
        return SCENARIO_MARKERS[name]
    return FALLBACK_MARKERS[zlib.crc32(name.encode("utf-8")) % len(FALLBACK_MARKERS)]


def scenario_order(names: Iterable[str]) -> list[str]:
    """Shipped scenarios in the brief's order first, then the others alphabetically."""
    names = set(names)
    known = [n for n in SCENARIO_COLOURS if n in names]
    return known + sorted(n for n in names if n not in SCENARIO_COLOURS)


@contextmanager
def report_style() -> Iterator[None]:
    """Matplotlib settings of the report, restored afterwards."""
    with plt.style.context(str(STYLE_FILE)):
        yield


PNG_METADATA = {"Software": None}
PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None}


LAYOUT_IN_DRAW = True  # see savefig; False: matplotlib's own way (the tests compare the two)


SVG_METADATA = {"Date": None, "Creator": None}
SVG_HASHSALT = "deterrence"  # fixed ids inside the SVG: the same figure, the same bytes
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")  # set per report (--format svg adds "svg")
OPTIONS = {"png": {"dpi": 300, "metadata": PNG_METADATA}, "pdf": {"metadata": PDF_METADATA},
           "svg": {"metadata": SVG_METADATA}}


def set_figure_formats(formats: tuple[str, ...]) -> None:
    """The files save_figure writes for each figure, in this process."""
    global FIGURE_FORMATS
    FIGURE_FORMATS = tuple(formats)


def save_figure(fig, stem: Path) -> list[Path]:
    """Write ``stem.png`` (300 dpi) and ``stem.pdf`` (TrueType fonts embedded), and ``stem.svg``
    when the report asks for it (text kept as text), without any timestamp or software version,
    so that regenerating gives identical bytes; close ``fig``. Each file is written whole or not
    at all (see sim.report.files)."""
    stem = Path(stem)
    paths = [stem.with_suffix(f".{f}") for f in FIGURE_FORMATS]
    try:
        # savefig reads pdf.fonttype and the like at save time
        with report_style(), matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
            for path in paths:
                buffer = io.BytesIO()
                savefig(fig, buffer, format=path.suffix[1:], **OPTIONS[path.suffix[1:]])
                write_atomic(path, buffer.getvalue())
    finally:
        plt.close(fig)
    return paths


def savefig(fig, target, **options) -> None:
    """``fig.savefig(target, **options)``, drawing the figure once instead of twice.

    With a layout engine (constrained layout, the report's), matplotlib's savefig draws the
    figure twice: once without output to lay it out for the target's renderer (Agg at 300 dpi,
    or the PDF backend), then again to render it. Here the layout is done at the start of the
    one drawing that renders, with the same renderer: the same layout, the same bytes (compared
    with matplotlib's way in tests/test_report.py), a fifth less time per figure."""
    engine = fig.get_layout_engine()
    if not LAYOUT_IN_DRAW or engine is None or not fig.axes:
        fig.savefig(target, **options)
        return
    draw = fig.draw

    def draw_laid_out(renderer):
        with contextlib.suppress(ValueError):  # as Figure.draw does
            engine.execute(fig)
        return draw(renderer)

    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # no engine: savefig draws once (and lays out nothing itself)
    fig.draw = draw_laid_out  # the canvas draws the figure through this
    try:
        fig.savefig(target, **options)
    finally:
        del fig.draw
        fig.set_layout_engine(engine)
