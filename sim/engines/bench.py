"""``deterrence bench``: runs per second and peak memory of the Mesa and the fast engine.

    deterrence bench                  # both engines, 1 and 2 workers, the futures' scenarios
    deterrence bench --million        # a one-million-run sweep, fast engine, outcomes only
    deterrence bench --futures        # futures.yaml end to end: sweep, summarize, report (2 workers)

The scenarios are those of ``experiments/futures.yaml`` (the shipped scenarios when it is
missing), 120 months each, seeds ``run_seed(root, k)`` as sweeps make them.

How it measures, so that the figures are honest for numpy arrays:

* Each worker is a fresh process (``spawn``). It imports, loads the scenarios and runs a
  warm-up (one run per scenario with Mesa, one batch with the fast engine), then runs its share
  of the runs through :func:`sim.engines.runner.run_chunk`, the engine interface sweeps use (results
  with their monthly series, as a sweep gets them). Runs per second = all runs / (last worker's
  end - first worker's start of its timed part).
* Peak memory is the peak resident set size of each worker (``getrusage().ru_maxrss``: what
  the operating system holds for the process, numpy's buffers included, whoever allocated
  them), summed over workers. "Added" is that peak less the worker's resident size after
  imports and before any run, so it counts what running costs, buffers of the engine included.
* The Mesa and fast measurements are interleaved (Mesa 1 worker, fast 1 worker, Mesa 2, fast 2),
  ``repeat`` times; the table shows the best of the repeats for each (the one least disturbed by
  other processes) and every measurement beside it. The load average of the machine is printed
  before and after: other processes on the machine slow both engines, not always equally.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import platform
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MESA_RUNS = 8          # per scenario (about 0.2 s a run)
FAST_RUNS = 2000       # per scenario
MILLION_CHUNK = 5000   # runs per task of the one-million-run sweep
ROOT_SEED = 20260512


# ---- the machine -------------------------------------------------------------------------------


def machine() -> str:
    """CPU model, cores usable, Python and numpy, and the load average now."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return (f"{model}; {cores} cores usable ({os.cpu_count()} online); Python {platform.python_version()}, "
            f"numpy {np.__version__}; {platform.system()} {platform.release()}")


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def _rss_now() -> int:
    """Resident set size of this process now, bytes (Linux /proc; else the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return _peak_rss()


def _peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if platform.system() == "Darwin" else peak * 1024  # bytes on macOS, kB on Linux


# ---- scenarios ---------------------------------------------------------------------------------


def futures_scenarios() -> tuple[str, list[str]]:
    """(where they come from, scenario files): futures.yaml's, or the shipped scenarios."""
    try:
        from sim.experiments.experiment import load_experiment

        exp = load_experiment("futures")
        return "experiments/futures.yaml", [str(p) for p in exp.scenario_files]
    except Exception:  # no experiment file (or module) yet: the five shipped scenarios
        from sim.model.loading import shipped_scenarios

        return "the shipped scenarios (no experiments/futures.yaml)", [str(p) for p in shipped_scenarios()]


# ---- workers -----------------------------------------------------------------------------------


def _timed_share(engine: str, files: Sequence[str], reps: Sequence[int], chunk: int) -> dict:
    """One worker: warm up, then run replications ``reps`` of every scenario; times and memory."""
    from sim.engines.runner import RunResult, run_chunk, run_seed
    from sim.model.loading import load_scenario

    scenarios = [load_scenario(f) for f in files]
    rss0 = _rss_now()
    warm = 1 if engine == "mesa" else min(chunk, len(reps))
    for sc in scenarios:
        run_chunk(sc, [run_seed(ROOT_SEED + 1, k) for k in range(warm)], engine=engine)
    start = time.monotonic()
    ok = 0
    for sc in scenarios:
        for first in range(0, len(reps), chunk):
            seeds = [run_seed(ROOT_SEED, k) for k in reps[first:first + chunk]]
            ok += sum(isinstance(r, RunResult) for r in run_chunk(sc, seeds, engine=engine))
    end = time.monotonic()
    return {"start": start, "end": end, "runs": len(reps) * len(scenarios), "ok": ok,
            "peak": _peak_rss(), "rss0": rss0}


def measure(engine: str, files: Sequence[str], runs_per_scenario: int, workers: int, chunk: int) -> dict:
    """Runs per second and peak memory of ``engine`` with ``workers`` fresh processes."""
    shares = np.array_split(np.arange(runs_per_scenario), workers)
    with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        parts = list(pool.map(_timed_share, [engine] * workers, [list(files)] * workers,
                              [s.tolist() for s in shares], [chunk] * workers))
    seconds = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    runs = sum(p["runs"] for p in parts)
    return {"engine": engine, "workers": workers, "runs": runs, "failed": runs - sum(p["ok"] for p in parts),
            "seconds": seconds, "runs_per_second": runs / seconds,
            "peak": sum(p["peak"] for p in parts), "added": sum(p["peak"] - p["rss0"] for p in parts)}


def _mb(x: float) -> str:
    return f"{x / 2**20:,.0f} MB"


def bench(workers: Sequence[int] = (1, 2), mesa_runs: int = MESA_RUNS, fast_runs: int = FAST_RUNS,
          chunk: int = 1000, repeat: int = 2, echo=print) -> list[dict]:
    """The side-by-side table: each engine with each worker count (best of ``repeat``
    interleaved measurements), and the ratio."""
    where, files = futures_scenarios()
    echo(f"machine: {machine()}")
    echo(f"scenarios: {len(files)} from {where}; 120 months; Mesa {mesa_runs} and fast {fast_runs:,} runs "
         f"per scenario; best of {repeat}")
    echo(f"before: {load()}")
    seen: dict[tuple[str, int], list[dict]] = {}
    for _ in range(repeat):
        for w in workers:
            for engine, n in (("mesa", mesa_runs), ("fast", fast_runs)):
                seen.setdefault((engine, w), []).append(measure(engine, files, n, w, chunk if engine == "fast" else 1))
    echo(f"after: {load()}")
    echo(f"{'engine':<6} {'workers':>7} {'runs':>7} {'seconds':>8} {'runs/s':>9} {'peak memory':>12} {'added':>9}"
         "  all runs/s")
    rows = []
    for (engine, w), tries in seen.items():
        r = max(tries, key=lambda x: x["runs_per_second"])
        rows.append(r)
        failed = f"  ({r['failed']} failed)" if r["failed"] else ""
        every = ", ".join(f"{x['runs_per_second']:.1f}" for x in tries)
        echo(f"{engine:<6} {w:>7} {r['runs']:>7,} {r['seconds']:>8.1f} {r['runs_per_second']:>9.1f} "
             f"{_mb(r['peak']):>12} {_mb(r['added']):>9}  {every}{failed}")
    for w in workers:
        m = next(r for r in rows if r["engine"] == "mesa" and r["workers"] == w)
        f = next(r for r in rows if r["engine"] == "fast" and r["workers"] == w)
        echo(f"fast / mesa, {w} worker{'s' if w > 1 else ''}: {f['runs_per_second'] / m['runs_per_second']:,.0f}x")
    return rows


# ---- one million runs ----------------------------------------------------------------------------


def _million_init(files: Sequence[str]) -> None:
    global _SCENARIOS
    from sim.model.loading import load_scenario

    _SCENARIOS = [load_scenario(f) for f in files]


def _million_task(task: tuple[int, int, int]) -> tuple[int, int, int, np.ndarray, int, int]:
    from sim.engines.fast import BATCH, simulate
    from sim.engines.runner import run_seed

    s, start, stop = task
    parts = [simulate(_SCENARIOS[s], [run_seed(ROOT_SEED, k) for k in range(a, min(a + BATCH, stop))],
                      series=False).outcomes for a in range(start, stop, BATCH)]
    return s, start, stop, np.concatenate(parts), os.getpid(), _peak_rss()


def million(runs: int = 1_000_000, workers: int = 2, chunk: int = MILLION_CHUNK, echo=print) -> dict:
    """A sweep of ``runs`` runs over the futures' scenarios with the fast engine, outcomes only
    (no series), in chunks of ``chunk`` runs: the outcomes of every run are written to a
    Parquet file as they come (as a sweep writes them); peak resident memory of the parent and
    of each worker."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.model.loading import load_scenario
    from sim.model.outcomes import outcome_names

    where, files = futures_scenarios()
    per = runs // len(files)
    tasks = [(s, a, min(a + chunk, per)) for s in range(len(files)) for a in range(0, per, chunk)]
    names = [outcome_names(load_scenario(f)) for f in files]
    echo(f"machine: {machine()}")
    echo(f"one-million-run sweep: {per * len(files):,} runs ({len(files)} scenarios from {where} x {per:,}), "
         f"120 months, fast engine, outcomes only, tasks of {chunk:,} runs, {workers} workers")
    echo(f"before: {load()}")
    peaks: dict[int, int] = {}
    done = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        writers = {}
        with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_million_init,
                                    initargs=(list(files),)) as pool:
            pending: set[cf.Future] = set()
            queue = iter(tasks)
            while True:
                while len(pending) < 2 * workers:  # a bounded window: results never pile up
                    task = next(queue, None)
                    if task is None:
                        break
                    pending.add(pool.submit(_million_task, task))
                if not pending:
                    break
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    s, start, stop, values, pid, peak = fut.result()
                    peaks[pid] = max(peaks.get(pid, 0), peak)
                    table = pa.table({"replication": np.arange(start, stop)} |
                                     {n: values[:, j] for j, n in enumerate(names[s])})
                    if s not in writers:
                        writers[s] = pq.ParquetWriter(Path(tmp) / f"runs_{s}.parquet", table.schema, compression="zstd")
                    writers[s].write_table(table)
                    done += stop - start
        for w in writers.values():
            w.close()
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    seconds = time.monotonic() - started
    parent = _peak_rss()
    total = parent + sum(peaks.values())
    echo(f"after: {load()}")
    echo(f"{done:,} runs in {seconds:,.0f} s ({done / seconds:,.0f} runs/s); outcomes on disk {_mb(size)}")
    echo(f"peak memory: parent {_mb(parent)}, workers " + ", ".join(_mb(p) for p in peaks.values())
         + f"; sum {_mb(total)} (an upper bound: the peaks need not coincide)")
    return {"runs": done, "seconds": seconds, "parent": parent, "workers": list(peaks.values()), "total": total}


# ---- futures.yaml end to end ---------------------------------------------------------------------


def futures(workers: int = 2, echo=print) -> dict:
    """The main job as a user runs it (``scripts/futures.sh``): ``deterrence sweep futures``
    (fast engine, ``workers`` processes), ``deterrence summarize`` and ``deterrence report``,
    each a fresh process into a temporary folder, timed one by one (start-up, imports and
    compilation included)."""
    import subprocess
    import sys

    from sim.experiments.experiment import load_experiment

    exp = load_experiment("futures")
    runs = exp.spec.replications * len(exp.scenarios)
    echo(f"machine: {machine()}")
    echo(f"before: {load()}")
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "futures")
        cli = [sys.executable, "-m", "sim"]
        steps = {
            "sweep": [*cli, "sweep", "futures", "--out", out, "--workers", str(workers), "--engine", "fast", "--quiet"],
            "summarize": [*cli, "summarize", out],
            "report": [*cli, "report", out, "--workers", str(workers)],
        }
        for step, command in steps.items():
            started = time.monotonic()
            done = subprocess.run(command, capture_output=True, text=True)
            times[step] = time.monotonic() - started
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command[2:])} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            echo(f"  {step:<10} {times[step]:6.1f} s")
    total = sum(times.values())
    echo(f"after: {load()}")
    echo(f"futures.yaml: {runs:,} runs with {workers} workers, sweep + summarize + report in {total:.1f} s "
         f"end to end (the sweep alone {runs / times['sweep']:,.0f} runs/s)")
    return {"runs": runs, "seconds": total, **{f"{k}_seconds": v for k, v in times.items()}}
