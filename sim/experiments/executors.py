"""A sweep's tasks, and the executors that run them: serial, a process pool, or Dask.

A task runs its runs with :func:`sim.engines.runner.run_chunk` (any registered engine) and writes
its shard itself: ``shards/<task>.series.parquet`` then ``shards/<task>.runs.parquet``, each
atomically. Only a small status record travels back to the sweep (:mod:`sim.experiments.sweep`).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.engines.runner import ENGINES, RunFailure, RunResult, run_chunk, run_seed
from sim.experiments.design import Design
from sim.experiments.plan import SweepError, Task, default_engine
from sim.experiments.results import atomic_write_table, runs_table, timeseries_table
from sim.model.scenario import Scenario

EXECUTORS = ("serial", "process", "dask")


class TaskFailed(Exception):
    """A task raised outside its runs (a disk full, a lost worker); the sweep can be resumed."""


# --------------------------------------------------------------------------------------------
# One task (runs in a worker: in this process, another process, or on a Dask worker)


@dataclass(frozen=True)
class Context:
    """What every task needs, sent to each worker once."""

    shards: str
    scenarios: tuple[Scenario, ...]
    design: Design
    replications: int
    seed: int
    engine: str
    parameters: tuple[str, ...]
    outcomes: tuple[str, ...]
    timeseries_runs: int


def _by_point(start: int, stop: int, replications: int) -> Iterator[tuple[int, list[int]]]:
    """(design point, replications) of the runs start..stop of a scenario."""
    k = start
    while k < stop:
        point, first = divmod(k, replications)
        last = min(stop - point * replications, replications)
        yield point, list(range(first, last))
        k = point * replications + last


def run_task(ctx: Context, task: Task) -> dict:
    """Run one task and write its shards; return a small status record."""
    scenario = ctx.scenarios[task.scenario]
    runs, series, failed = [], [], 0
    for points, reps, seeds, out in _run_points(ctx, task):
        results = [r if isinstance(r, RunResult) else None for r in out]
        errors = [r.error if isinstance(r, RunFailure) else None for r in out]
        failed += sum(e is not None for e in errors)
        runs.append(runs_table(scenario.name, points, reps, seeds, results, errors,
                               list(ctx.parameters), list(ctx.outcomes)))
        keep = [(point, rep, r) for point, rep, r in zip(points, reps, results, strict=True)
                if rep < ctx.timeseries_runs and r is not None]
        if keep:
            series.append(timeseries_table(scenario.name, [p for p, _, _ in keep], [k for _, k, _ in keep],
                                           [r for _, _, r in keep], scenario.start))
    shards = Path(ctx.shards)
    if series:
        atomic_write_table(pa.concat_tables(series), shards / f"{task.name}.series.parquet")
    # The runs shard is written last: its presence says the whole task is on disk.
    atomic_write_table(pa.concat_tables(runs), shards / f"{task.name}.runs.parquet")
    return {"task": task.name, "runs": task.runs, "failed": failed}


def _run_points(ctx: Context, task: Task) -> Iterator[tuple[list[int], list[int], list[int], list]]:
    """(design point, replication, seed, result) of each of a task's runs, as four lists, one
    yield per engine call.

    One ``run_chunk`` call per design point; or, when the engine says it takes per-run values
    (``per_run_fixed = True`` on its function, as the fast engine's: ``fixed`` values may be
    arrays, one value per seed), one call for each stretch of consecutive points that set the
    same parameters (the whole task for grid, Latin hypercube and Sobol designs), so a
    vectorised engine is not held to one design point per call. A run's result is the same
    either way: it depends only on its scenario, seed and fixed values.
    """
    scenario = ctx.scenarios[task.scenario]
    groups = []
    for point, reps in _by_point(task.start, task.stop, ctx.replications):
        seed_point = int(ctx.design.seed_points[point])
        groups.append((point, reps, [run_seed(ctx.seed, rep, seed_point) for rep in reps],
                       ctx.design.fixed(task.scenario, point)))
    if _takes_per_run_fixed(ctx.engine):
        stretches = [list(g) for _, g in groupby(groups, key=lambda g: tuple(g[3]))]
    else:
        stretches = [[g] for g in groups]
    for stretch in stretches:
        points = [point for point, reps, _, _ in stretch for _ in reps]
        reps = [rep for _, point_reps, _, _ in stretch for rep in point_reps]
        seeds = [s for _, _, point_seeds, _ in stretch for s in point_seeds]
        if len(stretch) == 1:
            fixed = stretch[0][3]
        else:
            fixed = {name: np.concatenate([np.full(len(g[1]), g[3][name]) for g in stretch])
                     for name in stretch[0][3]}
        yield points, reps, seeds, run_chunk(scenario, seeds, fixed=fixed, engine=ctx.engine)


def _takes_per_run_fixed(engine: str) -> bool:
    if engine not in ENGINES and engine == "fast":
        default_engine()  # registers it
    return bool(getattr(ENGINES.get(engine), "per_run_fixed", False))


_WORKER_CONTEXT: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx
    # A worker whose sweep was killed (SIGKILL included) would wait for work forever: leave
    # with it. A task cut short writes no shard, so the resumed sweep redoes exactly that task.
    leave_with_parent()


def leave_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone (killed by any
    signal), rather than wait for work that will never come."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent) -> None:
    parent.join()
    os._exit(70)


def _run_in_worker(task: Task) -> dict:
    assert _WORKER_CONTEXT is not None, "worker started without its context"
    return run_task(_WORKER_CONTEXT, task)


# --------------------------------------------------------------------------------------------
# Executors


def _bounded(submit: Callable[[Task], cf.Future], tasks: Iterable[Task], window: int) -> Iterator[dict]:
    """Keep at most ``window`` tasks in flight; yield status records as tasks finish."""
    it = iter(tasks)
    pending = {submit(t): t for t in islice(it, window)}
    while pending:
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for future in done:
            task = pending.pop(future)
            try:
                status = future.result()
            except Exception as exc:
                raise TaskFailed(f"task {task.name} failed: {type(exc).__name__}: {exc}") from exc
            yield status
            nxt = next(it, None)
            if nxt is not None:
                pending[submit(nxt)] = nxt


def execute(ctx: Context, todo: list[Task], executor: str, workers: int, scheduler: str | None,
             info: dict) -> Iterator[dict]:
    """Status records of ``todo`` as they finish; ``info['workers']`` says how many ran them."""
    info["workers"] = 1 if executor == "serial" else workers
    if not todo:
        return
    if executor == "serial":
        for task in todo:
            yield run_task(ctx, task)
    elif executor == "process":
        # Not fork: a forked copy of a process with threads (tqdm, pyarrow) can deadlock.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                                      initializer=_init_worker, initargs=(ctx,))
        ok = False
        try:
            yield from _bounded(lambda t: pool.submit(_run_in_worker, t), todo, 2 * workers)
            ok = True
        finally:
            pool.shutdown(wait=ok, cancel_futures=True)
    elif executor == "dask":
        client, close = _dask_client(scheduler, workers)
        try:
            shared = client.scatter(ctx, broadcast=True)
            threads = max(1, sum(client.nthreads().values()))
            info["workers"] = threads
            pool = client.get_executor(pure=False)
            yield from _bounded(lambda t: pool.submit(run_task, shared, t), todo, 2 * threads)
        finally:
            close()
    else:
        raise SweepError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")


def dask_available() -> bool:
    return importlib.util.find_spec("distributed") is not None


def _dask_client(scheduler: str | None, workers: int):
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers`` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err
        return client, client.close
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close
