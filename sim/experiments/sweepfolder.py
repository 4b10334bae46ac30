"""A sweep's result folder: the lock, the state file and resume, the shards and consolidation.

``DIR/.lock`` is held (``flock``) for the life of the sweep: a second sweep into the same folder
is refused. ``DIR/sweep.json`` records what the sweep is; ``--resume`` checks that the
experiment, its scenarios, the replications and the engine are still the same. A runs shard on
disk means its task is done. Consolidation reads the shards in plan order and writes
``runs.parquet`` and ``timeseries.parquet`` in row groups of a fixed size, so the bytes do not
depend on how the runs were cut into tasks.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.experiments.plan import FORMAT, Plan, SweepError
from sim.experiments.results import StreamingParquet

RUNS_ROW_GROUP = 10_000        # rows per row group of runs.parquet, whatever the chunk size
SERIES_ROW_GROUP = 120_000     # rows per row group of timeseries.parquet


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


def prepare(out: Path, plan_for: Callable[[int | None], Plan], chunk: int | None, resume: bool) -> Plan:
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


def clean_temporary(out: Path) -> None:
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
