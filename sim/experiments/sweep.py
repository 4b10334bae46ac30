"""Sweeps: every run of an experiment, in tasks, on any executor, streamed to a result folder.

plan -> tasks -> executor -> shards -> consolidation -> manifest (layout: ``docs/outputs.md``).

* Plan: cells (scenario x design point, :mod:`sim.experiments.design`) times replications. The runs of a
  scenario are numbered ``design_point * replications + replication`` and cut into tasks of
  ``chunk`` consecutive runs (a task may span design points when there are few replications,
  as in a Sobol design).
* A run's seed is ``run_seed(root, replication, seed_point)`` (:mod:`sim.engines.runner`): it depends on
  nothing but the experiment, so results do not depend on the tasks, the workers or the executor.
* A task runs its runs with :func:`sim.engines.runner.run_chunk` (any registered engine) and writes its
  shard itself: ``shards/<task>.series.parquet`` then ``shards/<task>.runs.parquet``, each
  atomically (temporary name, then ``os.replace``). A runs shard on disk means the task is done:
  it is the unit of resume. Only a small status record travels back to the sweep.
* Consolidation reads the shards in plan order and writes ``runs.parquet`` and
  ``timeseries.parquet`` in row groups of a fixed size, so the bytes do not depend on how the
  runs were cut into tasks; then ``manifest.json``, written last, marks the sweep complete.
* ``DIR/.lock`` is held (``flock``) for the life of the sweep: a second sweep into the same
  folder is refused. ``DIR/sweep.json`` records what the sweep is; ``--resume`` checks that the
  experiment, its scenarios, the replications and the engine are still the same.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import importlib.util
import json
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.engines.runner import ENGINES, RunFailure, RunResult, run_chunk, run_seed
from sim.experiments.design import Design, build_design
from sim.experiments.experiment import LoadedExperiment
from sim.experiments.results import (
    StreamingParquet,
    atomic_write_table,
    runs_table,
    timeseries_table,
    write_manifest,
)
from sim.model.scenario import Scenario

FORMAT = "deterrence-sweep/1"
EXECUTORS = ("serial", "process", "dask")
RUNS_ROW_GROUP = 10_000        # rows per row group of runs.parquet, whatever the chunk size
SERIES_ROW_GROUP = 120_000     # rows per row group of timeseries.parquet
DEFAULT_CHUNK = {"mesa": 100}  # runs per task; other engines (vectorised) take larger tasks
OTHER_CHUNK = 1000
SEED_SCHEME = {
    "run_seed": "SeedSequence(root_seed, spawn_key=(seed_point, replication)).generate_state(1, uint64)[0]",
    "seed_point": "the design point for grid, lhs and sobol designs; 0 for every arm and for a design of "
                  "kind none (paired: common random numbers across scenarios and arms)",
    "parameters": "default_rng([run_seed, 1]) for sections, default_rng([run_seed, 2, crc32(event id)]) per "
                  "event; the design's values then replace the drawn ones",
    "design": "SeedSequence(root_seed, spawn_key=(0x64657369,)) for Latin hypercube and Sobol samples",
    "chance": "model rng = default_rng(run_seed)",
}


class SweepError(Exception):
    """A problem with what the user asked (folder in use, resume mismatch, missing extra)."""


class TaskFailed(Exception):
    """A task raised outside its runs (a disk full, a lost worker); the sweep can be resumed."""


# --------------------------------------------------------------------------------------------
# Plan


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
    for point, reps, seeds, out in _run_points(ctx, task):
        results = [r if isinstance(r, RunResult) else None for r in out]
        errors = [r.error if isinstance(r, RunFailure) else None for r in out]
        failed += sum(e is not None for e in errors)
        runs.append(runs_table(scenario.name, point, reps, seeds, results, errors,
                               list(ctx.parameters), list(ctx.outcomes)))
        keep = [(rep, r) for rep, r in zip(reps, results, strict=True)
                if rep < ctx.timeseries_runs and r is not None]
        if keep:
            series.append(timeseries_table(scenario.name, point, [k for k, _ in keep], [r for _, r in keep],
                                           scenario.start))
    shards = Path(ctx.shards)
    if series:
        atomic_write_table(pa.concat_tables(series), shards / f"{task.name}.series.parquet")
    # The runs shard is written last: its presence says the whole task is on disk.
    atomic_write_table(pa.concat_tables(runs), shards / f"{task.name}.runs.parquet")
    return {"task": task.name, "runs": task.runs, "failed": failed}


def _run_points(ctx: Context, task: Task) -> Iterator[tuple[int, list[int], list[int], list]]:
    """(design point, replications, seeds, results) of a task's runs.

    One ``run_chunk`` call per design point; or, when the engine says it takes per-run values
    (``per_run_fixed = True`` on its function: ``fixed`` values may be arrays, one value per
    seed) and every point sets the same parameters, one call for the whole task, so a
    vectorised engine is not held to one run per call by a Sobol or Latin hypercube design.
    """
    scenario = ctx.scenarios[task.scenario]
    groups = []
    for point, reps in _by_point(task.start, task.stop, ctx.replications):
        seed_point = int(ctx.design.seed_points[point])
        groups.append((point, reps, [run_seed(ctx.seed, rep, seed_point) for rep in reps],
                       ctx.design.fixed(task.scenario, point)))
    same_names = len({tuple(fixed) for *_, fixed in groups}) == 1
    if len(groups) > 1 and same_names and _takes_per_run_fixed(ctx.engine):
        seeds = [s for _, _, group_seeds, _ in groups for s in group_seeds]
        fixed = {name: np.concatenate([np.full(len(g[1]), g[3][name]) for g in groups]) for name in groups[0][3]}
        out = run_chunk(scenario, seeds, fixed=fixed, engine=ctx.engine)
        k = 0
        for point, reps, group_seeds, _ in groups:
            yield point, reps, group_seeds, out[k:k + len(reps)]
            k += len(reps)
        return
    for point, reps, group_seeds, fixed in groups:
        yield point, reps, group_seeds, run_chunk(scenario, group_seeds, fixed=fixed, engine=ctx.engine)


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


def _execute(ctx: Context, todo: list[Task], executor: str, workers: int, scheduler: str | None,
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


# --------------------------------------------------------------------------------------------
# The result folder: lock, state, shards, consolidation


class FolderLock:
    """An exclusive lock on ``DIR/.lock`` for the life of a sweep (released if the process dies)."""

    def __init__(self, out: Path):
        self.path = Path(out) / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise SweepError(f"another sweep is writing to {self.path.parent} ({holder}); wait for it to "
                             f"finish, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _state(plan: Plan) -> dict:
    exp = plan.experiment
    return {"format": FORMAT, "fingerprint": plan.fingerprint, "engine": plan.engine, "chunk": plan.chunk,
            "replications": exp.spec.replications, "runs": plan.runs, "tasks": len(plan.tasks),
            "experiment": {"name": exp.spec.name, "file": str(exp.path), "sha256": exp.sha256},
            "scenarios": [{"name": s.name, "sha256": h} for s, h in zip(exp.scenarios, exp.scenario_hashes, strict=True)]}


def _read_state(out: Path) -> dict | None:
    path = out / "sweep.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SweepError(f"{path} is unreadable ({err}); this folder cannot be resumed") from err


def _differences(old: dict, new: dict) -> list[str]:
    """What changed between the sweep on disk and the one asked for, in the user's terms."""
    out = []
    if old.get("experiment", {}).get("sha256") != new["experiment"]["sha256"]:
        out.append(f"the experiment file changed (was {old.get('experiment', {}).get('file')})")
    before = {s["name"]: s["sha256"] for s in old.get("scenarios", [])}
    for s in new["scenarios"]:
        if s["name"] not in before:
            out.append(f"scenario '{s['name']}' was not in the sweep")
        elif before[s["name"]] != s["sha256"]:
            out.append(f"scenario '{s['name']}' changed")
    for key, flag in (("replications", "--replications"), ("engine", "--engine")):
        if old.get(key) != new[key]:
            out.append(f"{flag} was {old.get(key)}, now {new[key]}")
    if not out and old.get("fingerprint") != new["fingerprint"]:
        out.append("the program version, or the outcomes or parameters recorded, changed")
    return out


def _prepare(out: Path, plan_for: Callable[[int | None], Plan], chunk: int | None, resume: bool) -> Plan:
    """Check the folder against the sweep asked for; write sweep.json for a new sweep."""
    state = _read_state(out)
    if state is None:
        others = [p.name for p in out.iterdir() if p.name != ".lock"]
        if others:
            raise SweepError(f"{out} is not empty and holds no sweep ({', '.join(sorted(others)[:4])}); "
                             f"choose a new or empty folder")
        plan = plan_for(chunk)
        _write_json(out / "sweep.json", _state(plan))
        return plan
    if not resume:
        raise SweepError(f"{out} already holds a sweep of '{state.get('experiment', {}).get('name')}'; "
                         f"add --resume to complete it, or choose another --out")
    if chunk is not None and chunk != state.get("chunk"):
        raise SweepError(f"the sweep in {out} was started with --chunk {state.get('chunk')}; "
                         f"resume with that chunk size, or without --chunk")
    plan = plan_for(state.get("chunk"))
    changed = _differences(state, _state(plan))
    if changed:
        raise SweepError(f"cannot resume the sweep in {out}: " + "; ".join(changed)
                         + ". Resume with what it was started with, or start a new sweep in another folder")
    return plan


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _clean_temporary(out: Path) -> None:
    """Remove what killed writers left behind (never a finished file)."""
    for folder in (out, out / "shards"):
        for p in folder.glob(".*.tmp-*"):
            p.unlink(missing_ok=True)


class _Regrouped:
    """A Parquet file written in row groups of exactly ``rows`` rows, whatever the sizes of the
    tables given, so the bytes depend on the rows only (not on the chunk size of the sweep)."""

    def __init__(self, path: Path, rows: int, metadata: dict[str, str]):
        self.sink = StreamingParquet(path)
        self.rows = rows
        self.metadata = metadata
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.wrote = False

    def write(self, table: pa.Table) -> None:
        self.buffer.append(table.replace_schema_metadata(self.metadata))
        self.buffered += table.num_rows
        while self.buffered >= self.rows:
            self._flush(self.rows)

    def _flush(self, n: int) -> None:
        whole = pa.concat_tables(self.buffer).combine_chunks()
        self.sink.write(whole.slice(0, n))
        self.wrote = True
        rest = whole.slice(n)
        self.buffer, self.buffered = ([rest], rest.num_rows) if rest.num_rows else ([], 0)

    def close(self) -> bool:
        """Finish the file; False if no row was written (then there is no file)."""
        if self.buffered:
            self._flush(self.buffered)
        self.sink.close()
        return self.wrote

    def abort(self) -> None:
        self.sink.abort()


def consolidate(plan: Plan, out: Path) -> dict:
    """Shards, in plan order, into runs.parquet and timeseries.parquet; returns the counts."""
    exp = plan.experiment
    meta = {"deterrence": json.dumps({"experiment": exp.spec.name, "experiment_sha256": exp.sha256,
                                      "fingerprint": plan.fingerprint, "engine": plan.engine,
                                      "root_seed": exp.spec.seed}, sort_keys=True)}
    shards = out / "shards"
    runs = _Regrouped(out / "runs.parquet", RUNS_ROW_GROUP, meta)
    series = _Regrouped(out / "timeseries.parquet", SERIES_ROW_GROUP, meta)
    by_scenario = {s.name: {"runs": 0, "failed": 0} for s in exp.scenarios}
    try:
        for task in plan.tasks:
            table = pq.read_table(shards / f"{task.name}.runs.parquet")
            counts = by_scenario[exp.scenarios[task.scenario].name]
            counts["runs"] += table.num_rows
            counts["failed"] += int(pc.sum(pc.equal(table["status"], "failed")).as_py() or 0)
            runs.write(table)
            path = shards / f"{task.name}.series.parquet"
            if path.exists():
                series.write(pq.read_table(path))
    except BaseException:
        runs.abort()
        series.abort()
        raise
    runs.close()
    if not series.close():
        (out / "timeseries.parquet").unlink(missing_ok=True)
    total = sum(c["runs"] for c in by_scenario.values())
    failed = sum(c["failed"] for c in by_scenario.values())
    return {"runs": total, "succeeded": total - failed, "failed": failed, "by_scenario": by_scenario}


# --------------------------------------------------------------------------------------------
# The sweep


def run_sweep(exp: LoadedExperiment, out: Path, *, workers: int = 1, executor: str | None = None,
              scheduler: str | None = None, chunk: int | None = None, engine: str | None = None,
              resume: bool = False, progress: bool = True, log: Callable[[str], None] | None = None) -> dict:
    """Run (or complete, with ``resume``) every run of ``exp`` into the folder ``out``.

    Returns the counts and what this call did. Raises :class:`SweepError` for a folder in use
    or a resume that does not match, :class:`TaskFailed` if a task broke outside its runs.
    """
    out = Path(out).resolve()
    executor = executor or ("serial" if workers == 1 else "process")
    if executor not in EXECUTORS:
        raise SweepError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "dask" and not dask_available():
        raise SweepError("--executor dask needs Dask distributed: pip install 'deterrence[dask]'")
    engine = engine or default_engine()
    if engine not in ENGINES and engine != "fast":
        raise SweepError(f"unknown engine {engine!r}; available: {', '.join(sorted(ENGINES))}")
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out):
        plan = _prepare(out, lambda c: make_plan(exp, engine=engine, chunk=c, workers=workers), chunk, resume)
        shards = out / "shards"
        shards.mkdir(exist_ok=True)
        _clean_temporary(out)
        atomic_write_table(plan.design.table(exp.names), out / "design.parquet")
        todo = [t for t in plan.tasks if not (shards / f"{t.name}.runs.parquet").exists()]
        done = plan.runs - sum(t.runs for t in todo)
        if log and done:
            log(f"resuming: {len(plan.tasks) - len(todo)} of {len(plan.tasks)} tasks ({done:,} runs) already on disk")
        ctx = Context(str(shards), exp.scenarios, plan.design, exp.spec.replications, exp.spec.seed, plan.engine,
                      exp.parameters, exp.outcomes, exp.spec.timeseries_runs)
        started = time.perf_counter()
        failed_now = 0
        info: dict = {}
        with tqdm(total=plan.runs, initial=done, desc=exp.spec.name, unit="run", disable=not progress,
                  dynamic_ncols=True, smoothing=0.05) as bar:
            for status in _execute(ctx, todo, executor, workers, scheduler, info):
                failed_now += status["failed"]
                bar.update(status["runs"])
                if failed_now:
                    bar.set_postfix(failed=failed_now, refresh=False)
        seconds = time.perf_counter() - started
        counts = consolidate(plan, out)
        _write_manifest(plan, out, counts, executor=executor, workers=info.get("workers", workers))
    ran = plan.runs - done
    return {**counts, "ran": ran, "seconds": seconds, "runs_per_second": ran / seconds if seconds > 0 and ran else None,
            "tasks": len(plan.tasks), "tasks_run": len(todo), "engine": plan.engine, "executor": executor,
            "workers": info.get("workers", workers), "chunk": plan.chunk}


def _write_manifest(plan: Plan, out: Path, counts: dict, *, executor: str, workers: int) -> None:
    exp, design = plan.experiment, plan.design
    files = ["runs.parquet", "design.parquet"] + (["timeseries.parquet"] if (out / "timeseries.parquet").exists() else [])
    write_manifest(out, {
        "command": "sweep",
        "experiment": {"name": exp.spec.name, "title": exp.spec.title, "file": str(exp.path), "sha256": exp.sha256,
                       "resolved": exp.spec.model_dump(mode="json")},
        "scenarios": [{"name": s.name, "title": s.title, "file": str(f), "sha256": h, "resolved": s.model_dump(mode="json")}
                      for s, f, h in zip(exp.scenarios, exp.scenario_files, exp.scenario_hashes, strict=True)],
        "design": {"kind": design.kind, "parameters": list(design.names), "design_points": design.points,
                   "cells": design.points * len(exp.scenarios), "sobol_base_points": design.sobol_n,
                   "replications": exp.spec.replications},
        "outcomes": list(exp.outcomes),
        "timeseries_runs": exp.spec.timeseries_runs,
        "seed_scheme": {"root_seed": exp.spec.seed, **SEED_SCHEME},
        "engine": plan.engine, "executor": executor, "workers": workers,
        "chunk": plan.chunk, "tasks": len(plan.tasks), "fingerprint": plan.fingerprint,
        "counts": counts,
    }, files)
