"""The explorer's panels, each a Solara component of the running model: the allies as a tile map,
the main monthly series (:mod:`sim.explorer.figures`), the event log and the outcomes so far.

Each panel reads Mesa's ``update_counter``, so that it is drawn again after every step.
"""

from __future__ import annotations

import html
import math

import solara
from mesa.visualization.utils import update_counter

from sim.explorer.figures import map_figure, now, series_figure
from sim.explorer.levers import LEVERS, MISSING
from sim.model import outcomes as outcome_defs
from sim.model.scenario import month_label

LOG_LINES = 60   # the newest lines of the event log shown


@solara.component
def AllyMap(model):
    update_counter.get()
    colour_by, set_colour_by = solara.use_state("credibility")
    with solara.Column(classes=["deterrence-map"], gap="4px"):
        solara.ToggleButtonsSingle(value=colour_by, on_value=set_colour_by, values=["credibility", "strategy"])
        solara.FigureMatplotlib(map_figure(model, colour_by), format="png",
                                dependencies=[update_counter.value, colour_by, id(model)])


@solara.component
def MainSeries(model):
    update_counter.get()
    with solara.Column(classes=["deterrence-series"]):
        solara.FigureMatplotlib(series_figure(model), format="png", dependencies=[update_counter.value, id(model)])


@solara.component
def EventLog(model):
    update_counter.get()
    # Newest month first; within a month, the order of the monthly process (events first).
    entries = sorted(model.narrator.entries[-LOG_LINES:], key=lambda e: -e.month)
    rows = "".join(f"<tr><td>{html.escape(e.date)}</td><td>{html.escape(e.topic)}</td>"
                   f"<td>{html.escape(e.text)}</td></tr>" for e in entries)
    body = (f"<table class='deterrence-log-table'>{rows}</table>" if rows
            else "<p>Nothing has happened yet: press Step.</p>")
    more = len(model.narrator.entries) - len(entries)
    note = f"<p>{more:,} earlier lines not shown ('deterrence story' prints them all).</p>" if more > 0 else ""
    solara.HTML(tag="div", classes=["deterrence-log"],
                unsafe_innerHTML=f"<h4>Event log, newest first</h4>{body}{note}",
                style="font-size: 12px; max-height: 280px; overflow-y: auto")


@solara.component
def Outcomes(model):
    update_counter.get()
    parts = [f"<h4>{html.escape(now(model))}</h4>"]
    if model.problems:
        parts.append("".join(f"<p style='color:#b00'>{html.escape(p)}</p>" for p in model.problems))
    parts.append(f"<p>seed {model.seed}; levers: ")
    if model.levers:
        parts.append(", ".join(f"{html.escape(k)} = {v:g}" for k, v in model.levers.items()))
    else:
        parts.append("drawn from the scenario's priors")
    absent = [lever.label for lever in LEVERS if lever.parameter(model.spec) is None]
    if absent:
        parts.append(f"; not in this scenario: {html.escape(', '.join(absent))}")
    parts.append(f"; not yet a parameter: {html.escape(', '.join(MISSING))}</p>")
    if model.month >= 0:
        values = model.outcomes()
        rows = "".join(f"<tr><td>{name}</td><td style='text-align:right'>{_format(values[name])}</td>"
                       f"<td>{html.escape(outcome_defs.OUTCOMES[name].unit)}</td></tr>"
                       for name in outcome_defs.MAIN_OUTCOMES)
        for sp in model.spec.signposts:
            month = values[f"signpost.{sp.id}.month"]
            when = "not reached" if math.isnan(month) else f"reached {month_label(int(month), model.start)}"
            rows += f"<tr><td>signpost: {html.escape(sp.label)}</td><td>{when}</td><td></td></tr>"
        parts.append(f"<table class='deterrence-outcomes-table'>{rows}</table>")
    solara.HTML(tag="div", classes=["deterrence-outcomes"], unsafe_innerHTML="".join(parts),
                style="font-size: 12px; max-height: 320px; overflow-y: auto")


def _format(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


COMPONENTS = [(AllyMap, 0), (MainSeries, 0), (EventLog, 0), (Outcomes, 0)]
