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
  parameter i the block AB_i (N): A with column i taken from B, then the block AB:chance (N): A's
  parameters with B's chance. Chance (the run's seed) is the design's pseudo-parameter d + 1:
  A and B draw it independently and AB_i takes it from A, so an AB_i row differs from its A row
  in parameter i alone. This is the layout ``scipy.stats.sobol_indices`` takes as ``f_A``,
  ``f_B``, ``f_AB`` (Saltelli 2010), with chance as the last parameter.
* morris: r trajectories of elementary effects (Morris 1991) on a grid of p levels (default 4)
  over d parameters and chance: each trajectory starts at a random grid point and moves one
  factor at a time, in random order, by a step of p / (2 (p - 1)); d + 2 design points each. A
  level l of p takes the quantile (l + 1/2) / p of a parameter's prior (the share of its range),
  the centres of p equally likely strata, never the prior's infinite tails. The trajectory's runs
  share the seed up to the step where chance moves and a second seed after it.
* arms: one design point per arm, in the order written; a parameter an arm does not set is NaN
  here and drawn from its prior in the run.

The random numbers of a design come from ``SeedSequence(root seed, spawn_key=(DESIGN_STREAM,))``,
apart from every run's stream (whose spawn keys have two entries).

Seeds: a run's seed is ``run_seed(root, replication, seed_point)``. ``seed_point`` is the design
point for grid and lhs designs (independent chance at each point), and 0 for every arm and for
the single point of a design of kind none, so arms and scenarios are paired: the same
replication draws the same numbers everywhere (common random numbers). In a Sobol design it is
the base point for A and AB_i (0 to N - 1) and N + base point for B and AB:chance, so the rows an
index compares differ in one parameter, or in chance alone, never in both (before July 2026 every
Sobol row had its own seed: chance entered every total index). In a Morris design it is
2 x trajectory, + 1 after the trajectory's chance step.
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
CHANCE = "chance"           # the pseudo-parameter of Sobol and Morris designs: the run's seed
MORRIS_LEVELS = 4           # SALib's default number of grid levels


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
    morris_levels: int | None = None       # Morris grid levels p
    morris_grid: np.ndarray | None = None  # Morris: (points, d + 1) grid coordinates in [0, 1], chance last

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
    if kind == "morris":
        levels = spec.levels or MORRIS_LEVELS
        grid, seed_points, moved = morris_trajectories(spec.points, d, levels, rng)
        strata = (grid[:, :d] * (levels - 1) + 0.5) / levels  # a level's stratum centre, in (0, 1)
        labels = tuple(f"T{t}:{'start' if m < 0 else [*names, CHANCE][m]}"
                       for t, m in zip(np.arange(len(grid)) // (d + 2), moved, strict=True))
        values = tuple(_map_unit(strata, names, spec.parameters, s) for s in exp.scenarios)
        return Design(kind, tuple(names), labels, values, seed_points, base,
                      morris_levels=levels, morris_grid=grid)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d=d, rng=rng).random(spec.points)
        labels: tuple[str | None, ...] = (None,) * len(unit)
        sobol_n = None
        seed_points = np.arange(len(unit), dtype=np.int64)
    else:
        n = spec.points
        ab = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
        a, b = ab[:, :d], ab[:, d:]
        blocks = [a, b]
        for i in range(d):
            block = a.copy()
            block[:, i] = b[:, i]
            blocks.append(block)
        blocks.append(a)  # AB:chance: A's parameters, B's seed
        unit = np.concatenate(blocks, axis=0)
        labels = ("A",) * n + ("B",) * n + tuple(f"AB:{name}" for name in [*names, CHANCE] for _ in range(n))
        sobol_n = n
        base_point = np.arange(n, dtype=np.int64)
        seed_points = np.concatenate([base_point, n + base_point, np.tile(base_point, d), n + base_point])
    values = tuple(_map_unit(unit, names, spec.parameters, s) for s in exp.scenarios)
    return Design(kind, tuple(names), labels, values, seed_points, base, sobol_n)


def morris_trajectories(r: int, d: int, levels: int, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Morris's (1991) trajectories over d parameters and chance (factor d), on a grid of
    ``levels`` levels in [0, 1]: grid coordinates (r x (d + 2), d + 1), each point's seed point,
    and the factor each point moved (-1 at a trajectory's start).

    A factor moves by delta = levels / (2 (levels - 1)) between a low level (one of the first
    levels / 2) and that level + delta, up or down at random, in a random order: the B* matrix of
    Morris (1991) and of SALib's ``morris.sample``.
    """
    if levels < 2 or levels % 2:
        raise ValueError(f"Morris levels must be an even number >= 2, got {levels}")
    k = d + 1
    delta = levels / (2 * (levels - 1))
    grid = np.empty((r, k + 1, k))
    moved = np.empty((r, k + 1), np.int64)
    for t in range(r):
        low = rng.integers(0, levels // 2, size=k) / (levels - 1)
        up = rng.random(k) < 0.5
        x = np.where(up, low, low + delta)
        order = rng.permutation(k)
        grid[t, 0], moved[t, 0] = x, -1
        for step, factor in enumerate(order, start=1):
            x = x.copy()
            x[factor] = low[factor] + delta if up[factor] else low[factor]
            grid[t, step], moved[t, step] = x, factor
    chance_moved = np.cumsum(moved == d, axis=1)  # 0 before the chance step, 1 from it on
    seed_points = (2 * np.arange(r)[:, None] + chance_moved).ravel().astype(np.int64)
    return grid.reshape(-1, k), seed_points, moved.ravel()


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
