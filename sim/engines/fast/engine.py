"""The fast engine: many replications of one scenario at once, as numpy arrays.

The Mesa engine (:mod:`sim.engines.mesa`) runs one run, one agent at a time: it is the readable
reference. This engine runs the same monthly process for a batch of runs with state held as
arrays ``[runs, allies]`` (:class:`~sim.engines.fast.batch.Batch`), under the same names, and calls
the same behaviours (:mod:`sim.model`: event effects, the standing policy, deals, troop
movements, Russia's move) and the same rules (:mod:`sim.model.rules`). It keeps only what is
its own: the iteration over runs, the batching and the compiled kernels. For the same seed it
gives the same run, bit for bit (``tests/test_ensemble.py``), because:

* every run keeps its own random streams, seeded and drawn exactly as the Mesa model's
  (:class:`sim.model.streams.Streams`, checked against numpy);
* elementwise arithmetic is the behaviours' own, on arrays (IEEE operations are exact per
  element, and numpy's exp, log and power give the same bits for a scalar and an array);
* sums over allies give the Mesa model's bits: numpy's pairwise summation of
  ``x.sum(axis=-1)`` and Python's compensated ``sum()``, reproduced run by run by the compiled
  kernels of :mod:`sim.engines.fast.ordered_sums` and :mod:`sim.engines.fast.records`;
* per-run branching (events, troop orders, deals, moves) uses masks and fancy indexing, and
  effects are applied in the order the behaviour lists them (:mod:`sim.engines.fast.effects`),
  troop orders in each run's own list order.

Nothing couples the runs of a batch, so a run's result does not depend on the batch (or the
worker) that computed it. ``run_chunk(..., engine="fast")`` returns the same
:class:`~sim.engines.runner.RunResult` per seed as the Mesa engine; :func:`simulate` returns
arrays (and can drop the monthly series) for large sweeps.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.engines.fast.batch import Batch
from sim.engines.runner import RunFailure, RunResult, engine
from sim.model.parameters import Fixed
from sim.model.scenario import Scenario
from sim.model.streams import Streams

BATCH = 1000
"""Runs simulated together. Larger batches amortise numpy's per-call cost, smaller ones keep
more of the batch's [runs, allies] arrays in the processor's caches; 1,000 was as fast as or
faster than 250-2,000 on the benchmark machine."""

# ------------------------------------------------------------------------------------------------
# Entry points

@dataclass(frozen=True)
class EnsembleResult:
    """Arrays of a batch: parameters [runs, parameters], outcomes [runs, outcomes] and, when
    kept, series {name: [runs, months]}."""

    seeds: np.ndarray
    parameter_names: list[str]
    parameters: np.ndarray
    outcome_names: list[str]
    outcomes: np.ndarray
    series: dict[str, np.ndarray] | None


@functools.cache
def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for the next allocation, once per process.

    A batch allocates and frees thousands of [runs, allies] temporaries (248 kB each at 1,000
    runs). By default glibc serves blocks that large with fresh mappings or gives freed memory
    back to the system, and takes it back at the next allocation at the cost of a page fault
    per 4 kB page: 7,000-8,000 faults per batch, a few per cent of its time. With these
    thresholds (the ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` and
    ``MALLOC_TOP_PAD_`` of ``mallopt(3)``) it keeps up to 256 MB of freed memory instead; the
    peak memory of a process is unchanged. Nothing is done on other C libraries."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 32 * 2**20)  # glibc's largest on 64-bit systems
        libc.mallopt(m_trim_threshold, 256 * 2**20)
        libc.mallopt(m_top_pad, 64 * 2**20)
    except (OSError, AttributeError):  # not glibc: its default behaviour
        pass


def simulate(scenario: Scenario, seeds: Sequence[int], fixed: Fixed | None = None,
             *, series: bool = True) -> EnsembleResult:
    """Run every seed of ``seeds`` in one batch; raises if anything fails (see :func:`run_fast`
    for per-run failures). ``series=False`` drops the monthly series (sweeps of millions)."""
    _keep_freed_memory()
    with np.errstate(all="ignore"):  # lanes of runs a step does not concern may hold inf/NaN
        batch = Batch(scenario, seeds, fixed)
        batch.run(Streams(batch.seeds))
        names, values = batch.outcomes()
    return EnsembleResult(np.array(batch.seeds, dtype=np.uint64), batch.names, batch.values, names, values,
                          batch.series if series else None)


def _results(res: EnsembleResult) -> list[RunResult]:
    out = []
    series_of = res.series or {}
    parameters, outcome_values = res.parameters.tolist(), res.outcomes.tolist()  # Python floats, at once
    pnames, onames = res.parameter_names, res.outcome_names
    for r, seed in enumerate(res.seeds.tolist()):
        # a run's series are rows of the batch's [runs, months] arrays (views, not copies: the
        # batch's series stay in memory while any of its runs is kept)
        series = {k: v[r] for k, v in series_of.items()}
        out.append(RunResult(seed=seed, parameters=dict(zip(pnames, parameters[r], strict=True)),
                             outcomes=dict(zip(onames, outcome_values[r], strict=True)), series=series))
    return out


def compile_kernels() -> float:
    """Compile the fast engine's numba kernels now (a two-month batch of two runs), so that the
    first sweep does not wait for them; they are cached on disk (numba's ``cache=True``, in
    ``__pycache__``) for every later process. Returns the seconds it took."""
    import time

    from sim.model.loading import load_scenario

    started = time.monotonic()
    spec = load_scenario("status_quo").model_copy(update={"horizon_months": 2})
    simulate(spec, [1, 2], series=False)
    return time.monotonic() - started


@engine("fast")
def run_fast(scenario: Scenario, seeds: Sequence[int], fixed: Fixed | None = None,
             *, batch: int = BATCH) -> list[RunResult | RunFailure]:
    """The "fast" engine for :func:`sim.engines.runner.run_chunk`: one result or failure per seed, the
    same as the Mesa engine's. A batch that raises is rerun one seed at a time, so the failing
    runs are recorded with their seeds and the others still succeed (with the same results:
    nothing couples the runs of a batch).

    A ``fixed`` value may be a number (every run) or a sequence of one number per seed, so that
    several design points run in one batch (``per_run_fixed``, read by the sweep's executor); a
    run's result is the same either way. A sequence of another length raises ``ValueError``."""
    out: list[RunResult | RunFailure] = []
    seeds = [int(s) for s in seeds]
    per_run, scalar = _split_fixed(fixed, len(seeds))

    def fixed_of(rows: slice) -> dict | None:
        if fixed is None:
            return None
        return {**scalar, **{name: v[rows] for name, v in per_run.items()}}

    for first in range(0, len(seeds), batch):
        part = seeds[first:first + batch]
        try:
            out.extend(_results(simulate(scenario, part, fixed_of(slice(first, first + batch)))))
        except Exception:
            for i, seed in enumerate(part, start=first):
                try:
                    out.extend(_results(simulate(scenario, [seed], fixed_of(slice(i, i + 1)))))
                except Exception as exc:  # a failing run is data, not a crash
                    out.append(RunFailure(seed, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"))
    return out


run_fast.per_run_fixed = True  # type: ignore[attr-defined]


def _split_fixed(fixed: Fixed | None, runs: int) -> tuple[dict[str, np.ndarray], dict]:
    """(values given per run, as arrays; the others as given): the engine cuts the first per batch
    and passes the others whole (a bad one fails its runs, as an unknown name does)."""
    per_run, scalar = {}, {}
    for name, value in (fixed or {}).items():
        if np.ndim(value) == 1:
            arr = np.asarray(value, dtype=np.float64)
            if len(arr) != runs:
                raise ValueError(f"fixed value of '{name}' has {len(arr)} values for {runs} seeds; "
                                 f"give one number, or one per seed")
            per_run[name] = arr
        else:
            scalar[name] = value
    return per_run, scalar
