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
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.experiments.outputs import FolderLock as _Lock
from sim.experiments.plan import FORMAT, Plan, SweepError
from sim.experiments.results import StreamingParquet

RUNS_ROW_GROUP = 10_000        # rows per row group of runs.parquet, whatever the chunk size
SERIES_ROW_GROUP = 120_000     # rows per row group of timeseries.parquet


def FolderLock(out: Path) -> _Lock:
    """An exclusive lock on ``DIR/.lock`` for the life of a sweep (released if the process dies)."""
    return _Lock(out, SweepError, "sweep")


def _state(plan: Plan) -> dict:
    exp = plan.experiment
    return {"format": FORMAT, "fingerprint": plan.fingerprint, "engine": plan.engine, "chunk": plan.chunk,
            "replications": exp.spec.replications, "runs": plan.runs, "tasks": len(plan.tasks),
            "experiment": {"name": exp.spec.name, "file": str(exp.path), "sha256": exp.sha256},
            "scenarios": [{"name": s.name, "sha256": h} for s, h in zip(exp.scenarios, exp.scenario_hashes, strict=True)]}


def _read_state(out: Path, log: Callable[[str], None] | None = None) -> dict | None:
    """The sweep's state; a damaged state file is set aside (renamed), with the shards it
    vouched for, and the sweep starts again in this folder (None)."""
    path = out / "sweep.json"
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        if not isinstance(state, dict) or "fingerprint" not in state:
            raise ValueError("not a sweep's state")
        return state
    except (OSError, ValueError, UnicodeDecodeError) as err:
        reason = f"{type(err).__name__}: {err}"
    aside = set_aside(path)
    shards = out / "shards"
    moved = set_aside(shards) if shards.exists() else None
    (log or _quiet)(f"{path} is damaged ({reason}); set aside as {aside.name}"
                    + (f", with the shards it described ({moved.name})" if moved else "")
                    + "; every run of the sweep is computed again")
    return None


def _quiet(message: str) -> None:
    pass


def set_aside(path: Path) -> Path:
    """Rename a damaged file or folder to ``NAME.damaged-N`` (never delete it); the new path."""
    k = 1
    while (target := path.with_name(f"{path.name}.damaged-{k}")).exists():
        k += 1
    os.replace(path, target)
    return target


def check_shards(plan: Plan, out: Path, log: Callable[[str], None] | None = None) -> int:
    """Set aside (rename) every damaged shard of a resumed sweep, so its task runs again: a runs
    shard whose footer cannot be read or that does not hold its task's runs, or a series shard
    that cannot be read. Reads the Parquet footers only. Returns the number set aside."""
    shards = out / "shards"
    bad = 0
    for task in plan.tasks:
        runs = shards / f"{task.name}.runs.parquet"
        if not runs.exists():
            continue
        series = shards / f"{task.name}.series.parquet"
        problem = _shard_problem(runs, task.runs) or (_shard_problem(series, None) if series.exists() else None)
        if problem:
            bad += 1
            moved = [set_aside(p).name for p in (runs, series) if p.exists()]
            (log or _quiet)(f"shard {problem}; set aside as {', '.join(moved)}; its {task.runs:,} run(s) "
                            "are computed again")
    return bad


def _shard_problem(path: Path, rows: int | None) -> str | None:
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as err:  # truncated, emptied or foreign: pyarrow says so in many ways
        return f"{path.name} is damaged ({type(err).__name__}: {err})"
    if rows is not None and meta.num_rows != rows:
        return f"{path.name} holds {meta.num_rows} runs, not its task's {rows}"
    return None


def _read_state_strict(out: Path) -> dict:
    """The state of a sweep not being resumed: a damaged one is only reported."""
    path = out / "sweep.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise SweepError(f"{path} is damaged ({type(err).__name__}); add --resume to set it aside and "
                         "compute the sweep again in this folder, or choose another --out") from None


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


def prepare(out: Path, plan_for: Callable[[int | None], Plan], chunk: int | None, resume: bool,
            log: Callable[[str], None] | None = None) -> Plan:
    """Check the folder against the sweep asked for; write sweep.json for a new sweep."""
    had_state = (out / "sweep.json").exists()
    state = _read_state(out, log if resume else None) if resume or not had_state else _read_state_strict(out)
    if state is None:
        others = [p.name for p in out.iterdir() if p.name != ".lock" and not (had_state and resume and (
            ".damaged-" in p.name or p.name == "design.parquet" or p.name.startswith(".")))]
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
            table = _read_shard(shards / f"{task.name}.runs.parquet")
            counts = by_scenario[exp.scenarios[task.scenario].name]
            counts["runs"] += table.num_rows
            counts["failed"] += int(pc.sum(pc.equal(table["status"], "failed")).as_py() or 0)
            runs.write(table)
            path = shards / f"{task.name}.series.parquet"
            if path.exists():
                series.write(_read_shard(path))
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


def _read_shard(path: Path) -> pa.Table:
    """A shard, read whole; a damaged one is set aside and the sweep stops, to be resumed."""
    try:
        return pq.read_table(path)
    except OSError as err:
        if getattr(err, "errno", None) is not None:  # the disk, not the file
            raise
        moved = set_aside(path)
        raise SweepError(f"{path} is damaged ({err}); set aside as {moved.name}; run the same command with "
                         "--resume to compute its runs again") from None
    except Exception as err:
        moved = set_aside(path)
        raise SweepError(f"{path} is damaged ({type(err).__name__}: {err}); set aside as {moved.name}; run the "
                         "same command with --resume to compute its runs again") from None
