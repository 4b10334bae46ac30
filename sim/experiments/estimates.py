"""What a sweep will take before it starts: runs, disk and peak memory, and whether the machine
holds them.

Computed from counts alone (the design's size, the replications, the outcomes and series kept),
never by building the plan, so that a sweep of a trillion runs is refused in a millisecond
rather than after filling the memory with its tasks. The figures are measured ones, rounded up
(``futures.yaml``, fast engine, 10,000 runs: 811 bytes a run in ``runs.parquet``, 9.4 KB a run of
monthly series in ``timeseries.parquet``, the shards 1.3 times the consolidated files, 620 MB peak
with one worker; a Parquet file's own bytes 300-400 per column, which dominate small shards), so the estimate errs on the side of too much.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.experiment import LoadedExperiment
from sim.experiments.outputs import size_text

BYTES_PER_VALUE_RUNS = 4.0      # a value of runs.parquet, compressed (measured 3.3)
BYTES_PER_VALUE_SERIES = 4.0    # a value of timeseries.parquet, compressed (measured 3.0)
SHARDS_FACTOR = 1.5             # the shards kept beside the consolidated files (measured 1.3)
PROCESS_BYTES = 400 * 2**20     # a worker or the sweep's own process before any run
BATCH_BYTES_PER_RUN = 40 * 2**10  # a run in the engine's batch with its monthly series, in memory
TASK_BYTES = 300                # a task of the plan, in the sweep's process
FILE_BYTES_PER_COLUMN = 400.0  # a Parquet file's (or row group's) own bytes per column: metadata, statistics
MEMORY_HEADROOM = 0.9           # refuse beyond this share of the memory available


@dataclass(frozen=True)
class Estimate:
    runs: int
    design_points: int
    tasks: int
    chunk: int
    disk_bytes: int
    memory_bytes: int

    def lines(self) -> list[str]:
        return [f"  estimate: {self.runs:,} runs in {self.tasks:,} task(s) of up to {self.chunk:,}; about "
                f"{size_text(self.disk_bytes)} of disk, about {size_text(self.memory_bytes)} of memory at the peak"]


def design_points(exp: LoadedExperiment) -> int:
    """The design's number of points, counted without building it."""
    d = exp.spec.design
    if d.kind == "none":
        return 1
    if d.kind == "arms":
        return len(d.arms)
    if d.kind == "grid":
        return math.prod(len(v.values) if v.values is not None else int(v.levels or 0)
                         for v in d.parameters.values())
    if d.kind == "lhs":
        return int(d.points or 0)
    if d.kind == "morris":  # r trajectories of d + 2 points (d parameters and chance, plus the start)
        return int(d.points or 0) * (len(exp.varied) + 2)
    # sobol: A, B, one AB block per parameter and one for chance (sim.experiments.design)
    return int(d.points or 0) * (len(exp.varied) + 3)


def estimate(exp: LoadedExperiment, *, engine: str, workers: int, chunk: int | None = None) -> Estimate:
    """Runs, tasks, disk and peak memory of the sweep of ``exp`` (see the module docstring)."""
    from sim.experiments.plan import default_chunk

    points = design_points(exp)
    scenarios = len(exp.scenarios)
    per_scenario = points * exp.spec.replications
    runs = scenarios * per_scenario
    chunk = chunk or default_chunk(engine, max(runs, 1), workers)
    tasks = scenarios * -(-per_scenario // chunk)
    months = max(s.horizon_months for s in exp.scenarios)
    from sim.model.outcomes import SERIES

    row = (len(exp.parameters) + len(exp.outcomes) + 6) * BYTES_PER_VALUE_RUNS
    series_runs = scenarios * points * min(exp.spec.timeseries_runs, exp.spec.replications)
    series = months * (len(SERIES) + 5) * BYTES_PER_VALUE_SERIES
    columns = len(exp.parameters) + len(exp.outcomes) + 6
    files = tasks * (columns + (len(SERIES) + 5 if exp.spec.timeseries_runs else 0)) * FILE_BYTES_PER_COLUMN
    row_groups = (-(-runs // 10_000) * columns + -(-series_runs * months // 120_000) * (len(SERIES) + 5))
    disk = (runs * row + series_runs * series) * (1 + SHARDS_FACTOR) + files + row_groups * FILE_BYTES_PER_COLUMN
    in_worker = PROCESS_BYTES + min(chunk, 1000 if engine != "mesa" else chunk) * BATCH_BYTES_PER_RUN * months / 120
    own = PROCESS_BYTES + tasks * TASK_BYTES + scenarios * points * len(exp.varied) * 16
    memory = own + (in_worker - PROCESS_BYTES / 2 if workers <= 1 else workers * in_worker)
    return Estimate(runs, points, tasks, chunk, int(disk), int(memory))


def available_memory() -> int | None:
    """Bytes of memory available to new work (Linux's MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def free_disk(folder: Path) -> int | None:
    """Free bytes on the filesystem that holds ``folder`` (or its nearest existing parent)."""
    for path in [Path(folder), *Path(folder).parents]:
        if path.exists():
            try:
                return shutil.disk_usage(path).free
            except OSError:
                return None
    return None


def too_much(est: Estimate, out: Path | None, already_on_disk: int = 0) -> list[str]:
    """What the machine cannot hold, in words; empty when it can."""
    problems = []
    memory = available_memory()
    if memory is not None and est.memory_bytes > MEMORY_HEADROOM * memory:
        problems.append(f"about {size_text(est.memory_bytes)} of memory needed, {size_text(memory)} available")
    if out is not None:
        free = free_disk(out)
        need = max(0, est.disk_bytes - already_on_disk)
        if free is not None and need > free:
            problems.append(f"about {size_text(need)} of disk needed in {out}, {size_text(free)} free")
    return problems
