"""Attribution: each future's difference from the status quo decomposed into its ingredients
(each event and parameter change the scenario adds to the status quo).

Not built yet. ``attribution(res, out)`` is the hook the report calls: it returns the figures
(drawn and saved into ``out``, the report's figures folder, as every figure function does) and
the tables of the page's section "Attribution", or None. The page places whatever it returns in
that section, numbers its figures after the findings, and writes its tables with the others
(CSV, Markdown, LaTeX); with None the section says that the attribution is not in this version.
"""

from __future__ import annotations

from pathlib import Path

from sim.report import data as D

NOT_BUILT = ("Not in this version: each future's difference from the status quo decomposed into its "
             "ingredients (each event and parameter change the scenario adds) will be shown here.")


def attribution(res: D.Results, out: Path) -> tuple[list, list] | None:
    """(figures, tables) of the attribution section, or None while it is not built."""
    return None
