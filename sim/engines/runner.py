"""One run as a plain function any sweep tool can call, and the seed scheme behind runs.

Seeds: a run is identified by (root seed, design point, replication). Its integer seed is
``SeedSequence(root, spawn_key=(design_point, replication)).generate_state(1, uint64)[0]``.
The same replication index gives the same seed in every scenario: differences between
scenarios are paired (common random numbers). That one integer reproduces the run:
``AllianceModel(scenario, rng=seed)``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engines.mesa.model import AllianceModel
from sim.model.parameters import Fixed
from sim.model.scenario import Scenario


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


@dataclass(frozen=True)
class RunFailure:
    """A run that raised: kept with its seed and error, so a sweep records it and goes on."""

    seed: int
    error: str


ENGINES: dict[str, Callable[..., list[RunResult | RunFailure]]] = {}
"""Engines by name; each maps (scenario, seeds, fixed) to one result or failure per seed. An
engine whose function has ``per_run_fixed = True`` takes ``fixed`` values given per seed too."""


def engine(name: str):
    """Register a chunk engine under ``name`` (used by ``--engine``)."""

    def register(fn):
        ENGINES[name] = fn
        return fn

    return register


@engine("mesa")
def _mesa_chunk(scenario: Scenario, seeds: Sequence[int], fixed: dict[str, float] | None = None):
    out: list[RunResult | RunFailure] = []
    for seed in seeds:
        try:
            out.append(run_scenario(scenario, seed=seed, fixed=fixed))
        except Exception as exc:  # a failing run is data, not a crash
            out.append(RunFailure(seed, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"))
    return out


def run_chunk(scenario: Scenario, seeds: Sequence[int], *, fixed: Fixed | None = None,
              engine: str = "mesa") -> list[RunResult | RunFailure]:
    """Run one chunk of replications with the named engine; failures are returned, not raised.

    A run's result depends only on (scenario, seed, fixed), never on the chunk it is in.
    ``fixed`` values are numbers; an engine whose function has ``per_run_fixed = True`` (the
    fast one) also takes a sequence of one value per seed.
    """
    if engine not in ENGINES:
        import sim.engines.fast  # noqa: F401  (registers the "fast" engine, so a message lists both)
    try:
        fn = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown engine {engine!r}; available: {', '.join(sorted(ENGINES))}") from None
    return fn(scenario, seeds, fixed)
