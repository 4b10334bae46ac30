"""The alliance model as Mesa's SolaraViz builds it: every argument a keyword with a default (the
scenario by name, the seed as text, one keyword per lever), and a narrator keeping the event log.

SolaraViz's Reset passes Mesa's own ``Scenario`` object as ``scenario=``; the alliance scenario is
therefore ``scenario_name`` here, and ``scenario`` is accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from sim.analysis.story import Narrator
from sim.engines.mesa.model import AllianceModel
from sim.explorer.levers import LEVERS, fixed_values
from sim.model.loading import ScenarioError, load_scenario, shipped_scenarios

DEFAULT_SCENARIO = "troops_to_poland"


def parse_seed(text: Any) -> tuple[int, str | None]:
    """The seed typed in the page: (seed, None), or (0, what is wrong with it)."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        return 0, f"seed {text!r} is not a whole number: seed 0 used"
    if seed < 0 or seed >= 2**64:
        return 0, f"seed {seed} is outside 0 to 2^64-1: seed 0 used"
    return seed, None


class ExplorerModel(AllianceModel):
    """One run of a scenario, stepped from the page; its story told as it goes."""

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: str = "1", draw_levers: bool = False,
                 *, scenario: Any = None, **levers: float):
        """``scenario_name``: a shipped scenario or a scenario file. ``seed``: the run's seed (text,
        as the page's input gives it). ``draw_levers``: True draws the levers from the scenario's
        priors like every other parameter (the run is then the sweep's run of that seed);
        False sets them to ``levers`` (by :data:`LEVERS` key). ``scenario``: Mesa's own
        ``Scenario``, passed by SolaraViz's Reset; not the alliance scenario, and ignored."""
        unknown = sorted(set(levers) - {lever.key for lever in LEVERS})
        if unknown:
            raise TypeError(f"unknown lever(s) {', '.join(unknown)}; known: {', '.join(lever.key for lever in LEVERS)}")
        self.problems: list[str] = []
        try:
            spec = load_scenario(scenario_name)
        except ScenarioError as err:
            self.problems.append(f"{scenario_name}: " + "; ".join(str(p) for p in err.problems)
                                 + f"; {DEFAULT_SCENARIO} shown instead")
            spec = load_scenario(DEFAULT_SCENARIO)
        run_seed, problem = parse_seed(seed)
        if problem:
            self.problems.append(problem)
        self.levers = {} if draw_levers else fixed_values(spec, levers)
        super().__init__(spec, rng=run_seed, fixed=self.levers)
        self.narrator = Narrator(self)

    def step(self) -> None:
        if self.month + 1 >= self.horizon:  # the page's Step at the horizon does nothing
            self.running = False
            return
        super().step()
        self.narrator.observe()


def scenario_choices(first: str = DEFAULT_SCENARIO) -> list[str]:
    """The scenario picker's values: ``first`` (a name or a file), then every shipped scenario."""
    names = [p.stem for p in shipped_scenarios()]
    return [first] + [n for n in names if n != first]


def model_params(first: str = DEFAULT_SCENARIO) -> dict[str, dict]:
    """SolaraViz's ``model_params``: the scenario picker, the seed, the levers (at the medians of
    ``first``'s priors) and the choice of drawing them instead."""
    spec = load_scenario(first)
    params: dict[str, dict] = {
        "scenario_name": {"type": "Select", "value": first, "values": scenario_choices(first), "label": "Scenario"},
        "seed": {"type": "InputText", "value": "1", "label": "Seed"},
        "draw_levers": {"type": "Checkbox", "value": False, "label": "Draw the levers from the priors"},
    }
    for lever in LEVERS:
        params[lever.key] = {"type": "SliderInt" if lever.whole else "SliderFloat", "value": lever.default(spec),
                             "label": lever.label, "min": lever.low, "max": lever.high, "step": lever.step}
    return params
