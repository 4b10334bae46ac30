"""One run as a plain function any sweep tool can call, and the seed scheme behind runs.

Seeds: a run is identified by (root seed, design point, replication). Its integer seed is
``SeedSequence(root, spawn_key=(design_point, replication)).generate_state(1, uint64)[0]``.
The same replication index gives the same seed in every scenario: differences between
scenarios are paired (common random numbers). That one integer reproduces the run:
``AllianceModel(scenario, rng=seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import AllianceModel
from sim.scenario import Scenario


def run_seed(root: int, replication: int, design_point: int = 0) -> int:
    """The integer seed of one run, derived from the root seed with ``SeedSequence``."""
    ss = np.random.SeedSequence(root, spawn_key=(design_point, replication))
    return int(ss.generate_state(1, np.uint64)[0])


@dataclass(frozen=True)
class RunResult:
    """What one run produced: its seed, drawn parameters, outcomes and monthly series."""

    seed: int
    parameters: dict[str, float]
    outcomes: dict[str, float]
    series: dict[str, np.ndarray]


def run_scenario(
    scenario: Scenario, *, seed: int, fixed: dict[str, float] | None = None, months: int | None = None
) -> RunResult:
    """Run one replication of ``scenario`` to its horizon (or ``months``) with the Mesa engine."""
    model = AllianceModel(scenario, rng=seed, fixed=fixed)
    model.run_for(scenario.horizon_months if months is None else months)
    return RunResult(seed=seed, parameters=dict(model.values), outcomes=model.outcomes(),
                     series=model.timeseries())
