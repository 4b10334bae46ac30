"""Results on disk: run tables and time series as Parquet, and the manifest of a result folder.

Conventions (``docs/outputs.md``): Parquet with zstd, long form; ``runs.parquet`` has one row per
run (identifiers, seed, drawn parameters under their dotted names, outcomes);
``timeseries.parquet`` one row per run and month. Every folder carries ``manifest.json``: what
made the results (version, commit, packages, scenario files and their hashes, seed scheme),
how many runs succeeded or failed, and the sha256 of every file. Nothing in it depends on the
clock, so the same command with the same seed writes identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engines.runner import RunResult
from sim.model.outcomes import SERIES

PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}
ID_COLUMNS = ("scenario", "design_point", "replication", "seed")
PACKAGES = ("mesa", "numpy", "scipy", "pydantic", "pyarrow", "matplotlib")


def runs_table(scenario: str, design_point: int | Sequence[int], replications: Sequence[int], seeds: Sequence[int],
               results: Sequence[RunResult | None], errors: Sequence[str | None] | None = None,
               parameter_names: Sequence[str] | None = None,
               outcome_names: Sequence[str] | None = None) -> pa.Table:
    """One row per run: identifiers, seed, status, drawn parameters, outcomes.

    ``design_point`` is the runs' design point, or one per run (runs of several points at once).
    A failed run (``None`` result) keeps its row with its seed and error, and NaN values.
    """
    ok = [r for r in results if r is not None]
    pnames = list(parameter_names if parameter_names is not None else (ok[0].parameters if ok else []))
    onames = list(outcome_names if outcome_names is not None else (ok[0].outcomes if ok else []))
    n = len(results)
    errors = list(errors) if errors is not None else [None] * n
    cols: dict[str, pa.Array] = {
        "scenario": pa.array([scenario] * n, pa.string()),
        "design_point": pa.array(_per_run(design_point, n), pa.int32()),
        "replication": pa.array(list(replications), pa.int64()),
        "seed": pa.array(list(seeds), pa.uint64()),
        "status": pa.array(["ok" if r is not None else "failed" for r in results], pa.string()),
        "error": pa.array(errors, pa.string()),
    }
    for name in pnames:
        cols[name] = pa.array([r.parameters.get(name, np.nan) if r else np.nan for r in results], pa.float64())
    for name in onames:
        cols[name] = pa.array([r.outcomes.get(name, np.nan) if r else np.nan for r in results], pa.float64())
    return pa.table(cols)


def timeseries_table(scenario: str, design_point: int | Sequence[int], replications: Sequence[int],
                     results: Sequence[RunResult | None], start: str) -> pa.Table:
    """One row per run and month: identifiers, month index and label, every series.

    ``design_point`` is the runs' design point, or one per run (as in :func:`runs_table`)."""
    from sim.model.scenario import month_label

    points = _per_run(design_point, len(results))
    keep = [(point, rep, r) for point, rep, r in zip(points, replications, results, strict=True) if r is not None]
    if not keep:
        return pa.table({"scenario": pa.array([], pa.string())})
    months = len(next(iter(keep[0][2].series.values())))
    reps = np.repeat([rep for _, rep, _ in keep], months)
    cols: dict[str, Any] = {
        "scenario": pa.array([scenario] * len(reps), pa.string()),
        "design_point": pa.array(np.repeat(np.array([point for point, _, _ in keep], np.int32), months)),
        "replication": pa.array(reps.astype(np.int64)),
        "month": pa.array(np.tile(np.arange(months, dtype=np.int16), len(keep))),
        "date": pa.array(np.tile([month_label(t, start) for t in range(months)], len(keep)), pa.string()),
    }
    for name in SERIES:
        cols[name] = pa.array(np.concatenate([r.series[name] for _, _, r in keep]).astype(np.float64))
    return pa.table(cols)


def _per_run(design_point: int | Sequence[int], n: int) -> list[int]:
    if isinstance(design_point, (int, np.integer)):
        return [int(design_point)] * n
    points = [int(p) for p in design_point]
    if len(points) != n:
        raise ValueError(f"{len(points)} design points for {n} runs")
    return points


def atomic_write_table(table: pa.Table, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write a Parquet file so that it is either whole or absent, never half-written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    pq.write_table(table, tmp, **PARQUET_OPTIONS)
    os.replace(tmp, path)


class StreamingParquet:
    """Appends tables (row groups) to a Parquet file, written under a temporary name and
    renamed into place by :meth:`close`; a killed process leaves no half-written result."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.tmp, table.schema, **PARQUET_OPTIONS)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, with '-dirty' if it has changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """Version, commit and package versions: what produced a result."""
    from sim import __version__

    pkgs = {}
    for name in PACKAGES:
        try:
            pkgs[name] = version(name)
        except PackageNotFoundError:
            pkgs[name] = None
    return {"deterrence": __version__, "commit": git_commit(), "python": platform.python_version(),
            "packages": pkgs}


def write_manifest(out: Path, info: dict[str, Any], files: Iterable[str]) -> Path:
    """Write ``manifest.json`` with ``info``, provenance and the sha256 of ``files``."""
    out = Path(out)
    manifest = {
        "format": "deterrence-results/1",
        **provenance(),
        **info,
        "files": {name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size}
                  for name in sorted(files)},
    }
    path = out / "manifest.json"
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=_json_default) + "\n")
    os.replace(tmp, path)
    return path


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
