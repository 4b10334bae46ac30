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

Modules: :mod:`sim.experiments.plan` (the plan and its tasks), :mod:`sim.experiments.executors`
(a task, the workers and the executors that run tasks) and :mod:`sim.experiments.sweepfolder`
(lock, state, resume, consolidation); this one holds the sweep's main loop and the manifest,
and re-exports the names other modules import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from sim.calibration.posterior import provenance as posterior_provenance
from sim.engines.runner import ENGINES
from sim.experiments.executors import (
    EXECUTORS,
    Context,
    TaskFailed,
    dask_available,
    execute,
    run_task,
)
from sim.experiments.experiment import LoadedExperiment
from sim.experiments.outputs import can_stage, replace_folder, staging_for
from sim.experiments.plan import (
    DEFAULT_CHUNK,
    FORMAT,
    OTHER_CHUNK,
    Plan,
    SweepError,
    Task,
    default_chunk,
    default_engine,
    make_plan,
)
from sim.experiments.results import atomic_write_table, write_manifest
from sim.experiments.sweepfolder import (
    RUNS_ROW_GROUP,
    SERIES_ROW_GROUP,
    FolderLock,
    check_shards,
    clean_temporary,
    consolidate,
    prepare,
)

__all__ = [
    "DEFAULT_CHUNK",
    "EXECUTORS",
    "FORMAT",
    "OTHER_CHUNK",
    "RUNS_ROW_GROUP",
    "SEED_SCHEME",
    "SERIES_ROW_GROUP",
    "Context",
    "FolderLock",
    "Plan",
    "SweepError",
    "Task",
    "TaskFailed",
    "consolidate",
    "dask_available",
    "default_chunk",
    "default_engine",
    "make_plan",
    "run_sweep",
    "run_task",
]

SEED_SCHEME = {
    "run_seed": "SeedSequence(root_seed, spawn_key=(seed_point, replication)).generate_state(1, uint64)[0]",
    "seed_point": "the design point for grid and lhs designs; 0 for every arm and for a design of kind none "
                  "(paired: common random numbers across scenarios and arms); sobol: the base point for A and "
                  "AB_i, N + the base point for B and AB:chance (the rows an index compares share chance; "
                  "older Sobol sweeps, of N x (d + 2) points, gave every row its own seed); morris: "
                  "2 x trajectory, + 1 from its chance step",
    "design": "SeedSequence(root_seed, spawn_key=(0x64657369,)) for Latin hypercube, Sobol and Morris samples",
    "parameters": "default_rng([run_seed, 1]) for sections, default_rng([run_seed, 2, crc32(event id)]) per "
                  "event; the design's values then replace the drawn ones",
    "chance": "model rng = default_rng(run_seed)",
}


def run_sweep(exp: LoadedExperiment, out: Path, *, workers: int = 1, executor: str | None = None,
              scheduler: str | None = None, chunk: int | None = None, engine: str | None = None,
              resume: bool = False, progress: bool = True, log: Callable[[str], None] | None = None,
              replace: bool = False) -> dict:
    """Run (or complete, with ``resume``) every run of ``exp`` into the folder ``out``.

    ``replace``: ``out`` holds results to be replaced (``--force``): the sweep runs in a sibling
    folder (``.NAME.replacing``, resumable by the same call) that replaces ``out`` whole when the
    sweep is complete; until then ``out`` is left as it was.

    Returns the counts and what this call did. Raises :class:`SweepError` for a folder in use
    or a resume that does not match, :class:`TaskFailed` if a task broke outside its runs.
    """
    out = Path(out).resolve()
    if replace and out.is_dir() and any(p.name != ".lock" for p in out.iterdir()):
        if not can_stage(out):
            raise SweepError(f"{out} cannot be replaced whole (it is a mount point, or its parent folder is not "
                             "writable); empty it first, or choose another --out")
        staging = staging_for(out, "replacing")
        with FolderLock(out):  # nobody writes to the old results while they are replaced
            result = run_sweep(exp, staging, workers=workers, executor=executor, scheduler=scheduler, chunk=chunk,
                               engine=engine, resume=(staging / "sweep.json").exists(), progress=progress, log=log)
            replace_folder(staging, out)
        return result
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
        plan = prepare(out, lambda c: make_plan(exp, engine=engine, chunk=c, workers=workers), chunk, resume, log)
        shards = out / "shards"
        shards.mkdir(exist_ok=True)
        clean_temporary(out)
        if resume:
            check_shards(plan, out, log)
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
            for status in execute(ctx, todo, executor, workers, scheduler, info):
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
        "scenarios": [{"name": s.name, "title": s.title, "file": str(f), "sha256": h, "resolved": s.model_dump(mode="json"),
                       "prior_posterior": posterior_provenance(s)}
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
