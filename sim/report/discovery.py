"""Scenario discovery in the report: what ``deterrence discover DIR`` wrote into ``DIR/discover/``
(PRIM's boxes, their restricted parameters and the peeling trade-off), shown with the figures and
tables when it is there. The report runs nothing: discovery is asked for by running it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.report import data as D
from sim.report.figures.common import Figure
from sim.report.files import write_atomic
from sim.report.tables import Table, number


def discovery(res: D.Results, out: Path) -> tuple[list, list] | None:
    """(figures, tables) from DIR/discover/, or None when the results have no discovery."""
    folder = D.beside(res, "discover", "manifest.json", "boxes.csv")
    if folder is None:
        return None
    info = json.loads((folder / "manifest.json").read_text())
    where, method = info.get("where", "?"), info.get("method", "?")
    counts = info.get("counts", {})
    boxes, limits = pd.read_csv(folder / "boxes.csv"), pd.read_csv(folder / "limits.csv")
    figures = []
    if method == "prim" and (folder / "peeling.csv").is_file():
        from sim.analysis.discovery_figures import peeling_figure

        files = peeling_figure(pd.read_csv(folder / "peeling.csv"), out / "discovery_peeling",
                               title=f"runs where {where}")
        title = f"Scenario discovery: the runs where {where}"
        caption = (f"PRIM's peeling trajectory (deterrence discover, {counts.get('cases', 0):,} of "
                   f"{counts.get('used', 0):,} runs are cases): coverage against density at each step; the chosen "
                   "box ringed. Restricted parameters and their quasi-p values are in the table.")
        txt = write_atomic(out / "discovery_peeling.txt", f"{title}\n\n{caption}\n")
        figures.append(Figure("discovery_peeling", title, caption, [*files, txt]))
    rows, recs = [], []
    for b in boxes.itertuples(index=False):
        for lim in limits[limits["box"] == b.box].itertuples(index=False):
            q = [f"{v:.2g}" for v in (lim.qp_lower, lim.qp_upper) if pd.notna(v)]
            rows.append([str(b.box), f"{b.coverage:.2f}", f"{b.density:.2f}", lim.parameter,
                         f"{number(lim.low)} to {number(lim.high)}", f"{number(lim.data_low)} to {number(lim.data_high)}",
                         ", ".join(q)])
            recs.append({"box": b.box, "coverage": b.coverage, "density": b.density, **lim._asdict()})
    caption = (f"Boxes of parameter values where {where} ({method.upper()}; coverage: share of the cases inside "
               "the box, density: share of the box's runs that are cases), each restricted parameter with its range "
               "in the box against its range in the runs, and the quasi-p values of its limits (Bryant and Lempert "
               "2010).")
    table = Table("discovery", f"Scenario discovery: {where}", caption, pd.DataFrame(recs),
                  ["Box", "Coverage", "Density", "Parameter", "In the box", "In the runs", "Quasi-p"], rows,
                  "rrrp{4.5cm}llr", rule_on=0, keep=1, unit=1)
    return figures, [table]
