"""Designs: the design points of an experiment, the same in every scenario.

A design point is one setting of the varied parameters (the ``fixed`` values a run is given);
a cell is (scenario, design point). Designs live in the unit cube and each parameter maps it
onto its scale: a range ``{low, high}`` linearly, ``prior`` through the scenario's own prior
(``ppf``), so a parameter with different priors in two scenarios takes different values at the
same design point (the same quantile of each scenario's belief).

* grid: the full factorial product of each parameter's values, the first parameter slowest.
* lhs: ``scipy.stats.qmc.LatinHypercube``.
* sobol: a scrambled ``scipy.stats.qmc.Sobol`` sample of 2d dimensions and N points; its first
  d columns are block A, the last d block B. Design points are A (N), then B (N), then for each
  parameter i the block AB_i (N): A with column i taken from B. This is the layout
  ``scipy.stats.sobol_indices`` takes as ``f_A``, ``f_B``, ``f_AB`` (Saltelli 2010).
* arms: one design point per arm, in the order written; a parameter an arm does not set is NaN
  here and drawn from its prior in the run.

The random numbers of a design come from ``SeedSequence(root seed, spawn_key=(DESIGN_STREAM,))``,
apart from every run's stream (whose spawn keys have two entries).

Seeds: a run's seed is ``run_seed(root, replication, seed_point)``. ``seed_point`` is the design
point for grid, lhs and sobol designs (independent chance at each point), and 0 for every arm
and for the single point of a design of kind none, so arms and scenarios are paired: the same
replication draws the same numbers everywhere (common random numbers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from scipy.stats import qmc

from sim.experiments.experiment import LoadedExperiment
from sim.model.parameters import judgement_parameters

DESIGN_STREAM = 0x64657369  # "desi": keeps the design's numbers apart from every run's


@dataclass(frozen=True)
class Design:
    """The design points of an experiment, with their values in each scenario."""

    kind: str
    names: tuple[str, ...]                 # varied parameters, in order
    labels: tuple[str | None, ...]         # per point: arm name, Sobol block, or None
    values: tuple[np.ndarray, ...]         # per scenario: (points, len(names)); NaN = not set
    seed_points: np.ndarray                # per point: the design point used in its runs' seeds
    base_fixed: dict[str, float] = field(default_factory=dict)  # the experiment's 'fixed'
    sobol_n: int | None = None             # Sobol base points N

    @property
    def points(self) -> int:
        return len(self.labels)

    def fixed(self, scenario_index: int, point: int) -> dict[str, float]:
        """The ``fixed`` values of one cell's runs: the experiment's, then the design point's."""
        row = self.values[scenario_index][point]
        out = dict(self.base_fixed)
        out.update({n: float(v) for n, v in zip(self.names, row, strict=True) if not np.isnan(v)})
        return out

    def table(self, scenario_names: list[str]) -> pa.Table:
        """``design.parquet``: one row per cell (scenario, design point) with the values set."""
        p = self.points
        cols: dict[str, pa.Array] = {
            "scenario": pa.array([s for s in scenario_names for _ in range(p)], pa.string()),
            "design_point": pa.array(np.tile(np.arange(p, dtype=np.int32), len(scenario_names))),
            "label": pa.array(list(self.labels) * len(scenario_names), pa.string()),
            "seed_point": pa.array(np.tile(self.seed_points.astype(np.int64), len(scenario_names))),
        }
        stacked = np.concatenate(self.values, axis=0) if self.names else np.zeros((p * len(scenario_names), 0))
        for j, name in enumerate(self.names):
            cols[name] = pa.array(stacked[:, j], pa.float64())
        return pa.table(cols)


def design_rng(root_seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(DESIGN_STREAM,)))


def build_design(exp: LoadedExperiment) -> Design:
    """The design points of a checked experiment."""
    spec = exp.spec.design
    kind, names = spec.kind, list(exp.varied)
    base = dict(exp.spec.fixed)
    if kind == "none":
        empty = tuple(np.zeros((1, 0)) for _ in exp.scenarios)
        return Design(kind, (), (None,), empty, np.zeros(1, np.int64), base)
    if kind == "arms":
        rows = np.array([[arm.get(n, np.nan) for n in names] for arm in spec.arms.values()], dtype=float)
        return Design(kind, tuple(names), tuple(spec.arms), tuple(rows.copy() for _ in exp.scenarios),
                      np.zeros(len(rows), np.int64), base)
    if kind == "grid":
        levels = [_levels(spec.parameters[n]) for n in names]
        rows = np.array(list(itertools.product(*levels)), dtype=float)
        return Design(kind, tuple(names), (None,) * len(rows), tuple(rows.copy() for _ in exp.scenarios),
                      np.arange(len(rows), dtype=np.int64), base)
    rng = design_rng(exp.spec.seed)
    d = len(names)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d=d, rng=rng).random(spec.points)
        labels: tuple[str | None, ...] = (None,) * len(unit)
        sobol_n = None
    else:
        n = spec.points
        ab = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
        a, b = ab[:, :d], ab[:, d:]
        blocks = [a, b]
        for i in range(d):
            block = a.copy()
            block[:, i] = b[:, i]
            blocks.append(block)
        unit = np.concatenate(blocks, axis=0)
        labels = ("A",) * n + ("B",) * n + tuple(f"AB:{name}" for name in names for _ in range(n))
        sobol_n = n
    values = tuple(_map_unit(unit, names, spec.parameters, s) for s in exp.scenarios)
    return Design(kind, tuple(names), labels, values, np.arange(len(unit), dtype=np.int64), base, sobol_n)


def _levels(vary) -> list[float]:
    if vary.values is not None:
        return [float(v) for v in vary.values]
    return [float(v) for v in np.linspace(vary.low, vary.high, vary.levels)]


def _map_unit(unit: np.ndarray, names: list[str], parameters: dict, scenario) -> np.ndarray:
    """Unit-cube coordinates to values: ranges linearly, priors through the scenario's ppf."""
    priors = judgement_parameters(scenario)
    out = np.empty_like(unit)
    for j, name in enumerate(names):
        vary = parameters.get(name)  # absent: one of all_priors
        if vary is not None and vary.low is not None:
            out[:, j] = vary.low + unit[:, j] * (vary.high - vary.low)
        else:
            # Keep off the cube's faces, where an unbounded prior's quantile is infinite.
            out[:, j] = priors[name].ppf(np.clip(unit[:, j], 2.0**-53, 1.0 - 2.0**-53))
    return out
