"""A sweep's plan: the design, the tasks, and the fingerprint of what the results depend on.

Cells (scenario x design point, :mod:`sim.experiments.design`) times replications. The runs of a
scenario are numbered ``design_point * replications + replication`` and cut into tasks of
``chunk`` consecutive runs (a task may span design points when there are few replications, as in
a Sobol design). The rest of the sweep is in :mod:`sim.experiments.sweep`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass

from sim.engines.runner import ENGINES
from sim.experiments.design import Design, build_design
from sim.experiments.experiment import LoadedExperiment

FORMAT = "deterrence-sweep/1"
DEFAULT_CHUNK = {"mesa": 100}  # runs per task; other engines (vectorised) take larger tasks
OTHER_CHUNK = 1000


class SweepError(Exception):
    """A problem with what the user asked (folder in use, resume mismatch, missing extra)."""


@dataclass(frozen=True)
class Task:
    """Runs ``start`` to ``stop`` (exclusive) of one scenario, numbered point x R + replication."""

    scenario: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        return f"s{self.scenario:03d}-r{self.start:012d}"

    @property
    def runs(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Plan:
    experiment: LoadedExperiment
    design: Design
    engine: str
    chunk: int
    tasks: tuple[Task, ...]
    fingerprint: str

    @property
    def runs(self) -> int:
        return len(self.experiment.scenarios) * self.design.points * self.experiment.spec.replications


def default_engine() -> str:
    """'fast' when the vectorised engine (sim.engines.fast) is there, else 'mesa'."""
    if "fast" in ENGINES:
        return "fast"
    if importlib.util.find_spec("sim.engines.fast") is None:
        return "mesa"
    import sim.engines.fast  # noqa: F401  (registers "fast"; a broken module should say so, not hide)

    return "fast" if "fast" in ENGINES else "mesa"


def default_chunk(engine: str, runs: int, workers: int) -> int:
    """Runs per task: the engine's usual size, smaller when a small sweep would leave workers idle
    (results do not depend on it)."""
    usual = DEFAULT_CHUNK.get(engine, OTHER_CHUNK)
    return max(1, min(usual, -(-runs // (4 * workers))))


def make_plan(exp: LoadedExperiment, *, engine: str, chunk: int | None = None, workers: int = 1) -> Plan:
    """The design, the tasks and the fingerprint of what the results depend on."""
    design = build_design(exp)
    per_scenario = design.points * exp.spec.replications
    chunk = chunk or default_chunk(engine, per_scenario * len(exp.scenarios), workers)
    tasks = tuple(Task(s, start, min(start + chunk, per_scenario))
                  for s in range(len(exp.scenarios)) for start in range(0, per_scenario, chunk))
    return Plan(exp, design, engine, chunk, tasks, _fingerprint(exp, engine))


def _fingerprint(exp: LoadedExperiment, engine: str) -> str:
    """sha256 of everything the results depend on (not the workers, executor or chunk size)."""
    from sim import __version__

    what = {"format": FORMAT, "version": __version__, "engine": engine,
            "experiment": exp.spec.model_dump(mode="json"),
            "scenarios": [s.model_dump(mode="json") for s in exp.scenarios],
            "parameters": list(exp.parameters), "outcomes": list(exp.outcomes)}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
