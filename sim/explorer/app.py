"""The explorer's page, for ``solara run sim.explorer.app`` (``deterrence explore`` does it offline).

Each browser tab gets its own model; the scenario shown first comes from the environment
variable ``DETERRENCE_EXPLORE_SCENARIO`` (set by ``deterrence explore SCENARIO``).
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz

from sim.explorer.components import COMPONENTS
from sim.explorer.launch import SCENARIO_VARIABLE
from sim.explorer.model import DEFAULT_SCENARIO, ExplorerModel, model_params


@solara.component
def Page():
    first = os.environ.get(SCENARIO_VARIABLE, DEFAULT_SCENARIO)
    params = solara.use_memo(lambda: model_params(first), [first])
    defaults = {k: v["value"] for k, v in params.items()}
    model = solara.use_memo(lambda: ExplorerModel(**defaults), [first])
    SolaraViz(model, components=list(COMPONENTS), model_params=params, name="deterrence: explorer")
