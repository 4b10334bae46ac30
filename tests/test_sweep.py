"""Sweeps: identical results whatever the workers, chunks or executor; kill and resume; the
folder lock; failing runs recorded, not fatal. Short scenarios (12 months), few runs.

Tests that start worker processes, a dask cluster or a sweep to kill are marked slow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.engines import runner
from sim.engines.runner import run_seed
from sim.experiments import sweep
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import FolderLock, SweepError, run_sweep

SHORT = """\
extends: status_quo
name: short
title: "Status quo, one year"
horizon_months: {months}
"""
OTHER = """\
extends: short.yaml
name: other
title: "Status quo, one year, keener patron"
patron: {deal_appetite: {dist: uniform, low: 0.5, high: 0.9}}
"""
GRID = """\
name: tiny
title: "Two scenarios, two design points"
scenarios: [short.yaml, other.yaml]
replications: {reps}
seed: 11
timeseries_runs: 2
design:
  kind: grid
  parameters:
    patron.attention: {{values: [0.6, 0.9]}}
compare:
  - {{a: other, b: short}}
"""
FILES = ("runs.parquet", "timeseries.parquet", "design.parquet")
ROOT = Path(__file__).resolve().parents[1]


def make(folder: Path, reps: int = 6, months: int = 12) -> Path:
    (folder / "short.yaml").write_text(SHORT.format(months=months))
    (folder / "other.yaml").write_text(OTHER)
    path = folder / "tiny.yaml"
    path.write_text(GRID.format(reps=reps))
    return path


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    return load_experiment(make(tmp_path_factory.mktemp("exp")))


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> Path:
    """The sweep run serially in chunks of 3: what every other way of running it must match."""
    out = tmp_path_factory.mktemp("ref") / "out"
    run_sweep(experiment, out, workers=1, chunk=3, engine="mesa", progress=False)
    return out


def same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# ---- what a sweep writes ---------------------------------------------------------------------


def test_the_sweep_writes_every_run_in_order_with_paired_seeds(reference):
    runs = pq.read_table(reference / "runs.parquet").to_pydict()
    assert runs["scenario"] == ["short"] * 12 + ["other"] * 12
    assert runs["design_point"] == ([0] * 6 + [1] * 6) * 2
    assert runs["replication"] == list(range(6)) * 4
    assert runs["seed"] == [run_seed(11, r, p) for _ in range(2) for p in range(2) for r in range(6)]
    assert runs["patron.attention"] == ([0.6] * 6 + [0.9] * 6) * 2
    assert set(runs["status"]) == {"ok"}
    # Common random numbers: a prior both scenarios share takes the same value in the same run.
    assert runs["patron.deal_price"][:12] == runs["patron.deal_price"][12:]
    assert runs["patron.deal_appetite"][:12] != runs["patron.deal_appetite"][12:]
    series = pq.read_table(reference / "timeseries.parquet").to_pydict()
    assert sorted(set(series["replication"])) == [0, 1]  # timeseries_runs: 2
    assert len(series["month"]) == 2 * 2 * 2 * 12
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["counts"]["runs"] == 24 and manifest["counts"]["failed"] == 0
    assert manifest["design"]["kind"] == "grid" and manifest["design"]["design_points"] == 2
    assert manifest["seed_scheme"]["root_seed"] == 11
    assert set(manifest["files"]) == set(FILES)
    assert [s["name"] for s in manifest["scenarios"]] == ["short", "other"]


@pytest.mark.slow
def test_one_and_two_workers_and_any_chunk_size_give_identical_files(experiment, reference, tmp_path):
    run_sweep(experiment, tmp_path / "two", workers=2, chunk=5, engine="mesa", progress=False)
    same_files(reference, tmp_path / "two")
    run_sweep(experiment, tmp_path / "one", workers=1, chunk=24, engine="mesa", progress=False)
    same_files(reference, tmp_path / "one")


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_files(experiment, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        run_sweep(experiment, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address,
                  chunk=4, engine="mesa", progress=False)
    same_files(reference, tmp_path / "dask")


@pytest.mark.slow
def test_dask_worker_processes_get_everything_they_need_by_pickle(experiment, reference, tmp_path):
    # One worker process (about 3 s to start): the context and tasks cross a process boundary.
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run_sweep(experiment, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address,
                  chunk=12, engine="mesa", progress=False)
    same_files(reference, tmp_path / "dask")


# ---- kill, resume, lock ----------------------------------------------------------------------


def tagged(tag: str) -> list[int]:
    """Processes whose environment holds ``tag`` (Linux /proc): the sweep and its workers."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if tag.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["serial", "process"])
def test_killed_then_resumed_gives_the_files_of_an_uninterrupted_sweep(tmp_path, workers):
    # Two-year runs, one run per task: the sweep is still running when it is killed.
    path = make(tmp_path, reps=10, months=24)
    exp = load_experiment(path)
    run_sweep(exp, tmp_path / "whole", workers=1, chunk=7, engine="mesa", progress=False)

    out = tmp_path / "killed"
    tag = f"DETERRENCE_KILL_TEST={os.getpid()}-{workers}-{time.monotonic_ns()}"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", str(workers),
           "--chunk", "1", "--engine", "mesa", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "DETERRENCE_KILL_TEST": tag.split("=", 1)[1]})
    shards = out / "shards"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if shards.is_dir() and len(list(shards.glob("*.runs.parquet"))) >= 3:
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if Path("/proc/self/environ").exists():  # worker processes leave with the killed sweep
        deadline = time.monotonic() + 10
        while tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.1)
        leftover = tagged(tag)
        for pid in leftover:  # the test's own processes: do not leave them behind
            os.kill(pid, signal.SIGKILL)
        assert not leftover, "worker processes outlived the killed sweep"
    done = len(list(shards.glob("*.runs.parquet")))
    assert 3 <= done < 40, f"killed after {done} of 40 tasks"
    assert not (out / "manifest.json").exists()

    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--engine", "mesa",
                 "--quiet"]) == 0
    same_files(tmp_path / "whole", out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["runs"] == 40  # no task counted twice
    assert pq.read_table(out / "runs.parquet").num_rows == 40
    assert not list(out.rglob(".*.tmp-*"))


def test_a_second_sweep_into_the_same_folder_is_refused(experiment, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    with FolderLock(out), pytest.raises(SweepError, match=r"another sweep is writing to .*busy .*pid"):
        run_sweep(experiment, out, engine="mesa", progress=False)
    with FolderLock(out):
        assert main(["sweep", str(experiment.path), "--out", str(out), "--workers", "1", "--engine", "mesa",
                     "--quiet"]) == 2
    assert "is in use: another sweep or command is writing to it (pid" in capsys.readouterr().err


def test_a_finished_or_foreign_folder_is_not_overwritten(experiment, reference, tmp_path, capsys):
    args = [str(experiment.path), "--workers", "1", "--engine", "mesa", "--quiet"]
    assert main(["sweep", *args, "--out", str(reference)]) == 2
    assert "already holds a sweep of 'tiny'; add --resume" in capsys.readouterr().err
    assert main(["sweep", *args, "--out", str(reference), "--resume", "--replications", "3"]) == 2
    assert "--replications was 6, now 3" in capsys.readouterr().err
    assert main(["sweep", *args, "--out", str(reference), "--resume", "--chunk", "4"]) == 2
    assert "started with --chunk 3" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["sweep", *args, "--out", str(other)]) == 2
    assert "holds files deterrence did not write (notes.txt); nothing was written" in capsys.readouterr().err


def test_resuming_a_finished_sweep_changes_nothing(experiment, reference, tmp_path):
    before = {name: (reference / name).read_bytes() for name in FILES}
    manifest = json.loads((reference / "manifest.json").read_text())
    result = run_sweep(experiment, reference, workers=1, engine="mesa", resume=True, progress=False)
    assert result["ran"] == 0
    assert before == {name: (reference / name).read_bytes() for name in before}
    after = json.loads((reference / "manifest.json").read_text())
    # The commit may have moved on meanwhile (others commit in this tree); nothing else may change.
    assert {**after, "commit": None} == {**manifest, "commit": None}


def test_dask_without_dask_installed_is_a_clear_error(experiment, tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "dask_available", lambda: False)
    with pytest.raises(SweepError, match=r"pip install 'deterrence\[dask\]'"):
        run_sweep(experiment, tmp_path / "x", executor="dask", engine="mesa", progress=False)
    assert not (tmp_path / "x").exists()


# ---- failing runs ----------------------------------------------------------------------------


@pytest.fixture
def failing_engine():
    """An engine that fails every run whose seed is divisible by 3, and runs the others with Mesa."""

    def chunk(scenario, seeds, fixed=None):
        out = runner.ENGINES["mesa"](scenario, [s for s in seeds if s % 3], fixed)
        done = iter(out)
        return [runner.RunFailure(s, f"ValueError: seed {s} is unlucky") if s % 3 == 0 else next(done)
                for s in seeds]

    runner.engine("failing_for_test")(chunk)
    yield "failing_for_test"
    del runner.ENGINES["failing_for_test"]


def test_a_failing_run_is_recorded_with_its_seed_and_error_and_the_summary_counts_it(
        experiment, failing_engine, tmp_path, capsys):
    out = tmp_path / "failing"
    result = run_sweep(experiment, out, workers=1, chunk=5, engine=failing_engine, progress=False)
    runs = pq.read_table(out / "runs.parquet").to_pydict()
    unlucky = [i for i, s in enumerate(runs["seed"]) if s % 3 == 0]
    assert unlucky, "the seeds of this experiment should include some divisible by 3"
    assert [runs["status"][i] for i in unlucky] == ["failed"] * len(unlucky)
    assert all(runs["error"][i] == f"ValueError: seed {runs['seed'][i]} is unlucky" for i in unlucky)
    assert all(runs["cohesion_final"][i] != runs["cohesion_final"][i] for i in unlucky)  # NaN
    assert result["failed"] == len(unlucky) and result["runs"] == 24
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["failed"] == len(unlucky)

    assert main(["summarize", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"tiny: 24 runs, {len(unlucky)} failed" in printed
    cells = pq.read_table(out / "summary" / "cells.parquet").to_pylist()
    failed = {(r["scenario"], r["design_point"]): r["failed"] for r in cells if r["outcome"] == "cohesion_final"}
    assert sum(failed.values()) == len(unlucky)
    n = {(r["scenario"], r["design_point"]): r["n"] for r in cells if r["outcome"] == "cohesion_final"}
    assert all(n[k] == 6 - failed[k] for k in n)


# ---- the command line ------------------------------------------------------------------------


def test_sweep_and_summarize_from_the_command_line(experiment, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sweep", str(experiment.path), "--out", str(out), "--workers", "1", "--engine", "mesa",
                 "--replications", "3", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "tiny: 12 runs, 0 failed" in printed and "runs/s" in printed
    assert pq.read_table(out / "runs.parquet").num_rows == 12
    assert main(["summarize", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "paired differences a - b" in printed and "other - short (point 0)" in printed
    for name in ("cells", "differences"):
        assert (out / "summary" / f"{name}.csv").exists() and (out / "summary" / f"{name}.parquet").exists()
    assert main(["summarize", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


LHS = """\
name: lhs
title: "A Latin hypercube, one run per point"
scenarios: [status_quo, troops_to_poland]
replications: 1
seed: 3
timeseries_runs: 0
outcomes: [deals_final]
design: {kind: lhs, points: 20, parameters: {patron.attention: prior, patron.deal_price: {low: 0, high: 1}}}
"""


@pytest.fixture
def vector_engines():
    """The same toy engine twice: once run a design point at a time, once taking per-run values."""
    calls = {"one_point": 0, "per_run": 0}

    def make(key):
        def chunk(scenario, seeds, fixed=None):
            calls[key] += 1
            n = len(seeds)
            a, p = (np.broadcast_to(np.asarray(fixed[k], dtype=float), (n,)) for k in
                    ("patron.attention", "patron.deal_price"))
            return [runner.RunResult(s, {"patron.attention": float(a[i]), "patron.deal_price": float(p[i])},
                                     {"deals_final": float(a[i] + 2 * p[i] + s % 7)}, {})
                    for i, s in enumerate(seeds)]
        return chunk

    runner.engine("one_point_for_test")(make("one_point"))
    per_run = make("per_run")
    per_run.per_run_fixed = True
    runner.engine("per_run_for_test")(per_run)
    yield calls
    del runner.ENGINES["one_point_for_test"], runner.ENGINES["per_run_for_test"]


def test_an_engine_taking_per_run_values_gets_whole_tasks_with_the_same_results(vector_engines, tmp_path):
    path = tmp_path / "lhs.yaml"
    path.write_text(LHS)
    exp = load_experiment(path)
    run_sweep(exp, tmp_path / "a", engine="one_point_for_test", chunk=10, progress=False)
    run_sweep(exp, tmp_path / "b", engine="per_run_for_test", chunk=10, progress=False)
    assert vector_engines == {"one_point": 40, "per_run": 4}  # 2 scenarios x 20 points; 2 x 2 tasks
    runs_a = pq.read_table(tmp_path / "a" / "runs.parquet")
    runs_b = pq.read_table(tmp_path / "b" / "runs.parquet")
    assert runs_a.column_names == runs_b.column_names  # (the metadata differ: they name the engine)
    for name in runs_a.column_names:
        a, b = (t[name].to_numpy(zero_copy_only=False) for t in (runs_a, runs_b))
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    design = pq.read_table(tmp_path / "a" / "design.parquet").to_pydict()
    assert runs_a["patron.deal_price"].to_pylist() == design["patron.deal_price"]


# ---- design points in batches (the fast engine) ----------------------------------------------

DESIGNS = {
    "grid": """\
replications: 3
design:
  kind: grid
  parameters:
    patron.attention: {values: [0.6, 0.9]}
    patron.deal_price: {low: 0, high: 1, levels: 3}
""",
    "lhs": """\
replications: 1
design: {kind: lhs, points: 10, parameters: {patron.attention: prior, patron.deal_price: {low: 0, high: 1}}}
""",
    "sobol": """\
replications: 1
design: {kind: sobol, points: 4, parameters: {patron.attention: prior, patron.deal_price: {low: 0, high: 1}}}
""",
    "arms": """\
replications: 3
design:
  kind: arms
  arms:
    cheap: {patron.deal_price: 0.2}
    dear: {patron.deal_price: 0.8}
    keen: {patron.deal_appetite: 0.9}
    keen_and_dear: {patron.deal_appetite: 0.9, patron.deal_price: 0.8}
    keen_and_cheap: {patron.deal_appetite: 0.9, patron.deal_price: 0.2}
""",
}


@pytest.mark.parametrize("kind", list(DESIGNS))
def test_design_points_in_batches_give_the_bytes_of_one_point_per_call(kind, tmp_path, monkeypatch):
    """The fast engine takes per-run fixed values, so the executor runs many design points in one
    call; the files are those of one design point per call, byte for byte."""
    from sim.engines.fast.engine import run_fast
    from sim.experiments import executors

    assert run_fast.per_run_fixed is True
    (tmp_path / "short.yaml").write_text(SHORT.format(months=12))
    (tmp_path / "other.yaml").write_text(OTHER)
    path = tmp_path / f"{kind}.yaml"
    path.write_text(f"name: {kind}\ntitle: \"{kind}\"\nscenarios: [short.yaml, other.yaml]\nseed: 5\n"
                    f"timeseries_runs: 2\n" + DESIGNS[kind])
    exp = load_experiment(path)
    calls = []
    real_run_chunk = executors.run_chunk

    def counted(scenario, seeds, *, fixed=None, engine="mesa"):
        calls.append((len(seeds), {k: np.ndim(v) for k, v in (fixed or {}).items()}))
        return real_run_chunk(scenario, seeds, fixed=fixed, engine=engine)

    monkeypatch.setattr(executors, "run_chunk", counted)
    run_sweep(exp, tmp_path / "batched", engine="fast", chunk=7, progress=False)
    batched = list(calls)
    calls.clear()
    with monkeypatch.context() as m:
        m.setattr(executors, "_takes_per_run_fixed", lambda engine: False)
        run_sweep(exp, tmp_path / "one_point", engine="fast", chunk=7, progress=False)
    one_point = list(calls)
    for name in ("runs.parquet", "timeseries.parquet"):
        assert (tmp_path / "batched" / name).read_bytes() == (tmp_path / "one_point" / name).read_bytes(), name
    assert sum(n for n, _ in batched) == sum(n for n, _ in one_point) == pq.read_metadata(
        tmp_path / "batched" / "runs.parquet").num_rows
    assert len(batched) < len(one_point)
    assert any(1 in dims.values() for _, dims in batched)          # arrays, one value per seed
    assert all(set(dims.values()) <= {0} for _, dims in one_point)  # numbers only
    if kind != "arms":  # every point sets the same parameters: one call per task
        points = pq.read_metadata(tmp_path / "batched" / "design.parquet").num_rows // 2
        assert len(batched) == 2 * -(-points * exp.spec.replications // 7)  # 2 scenarios, chunks of 7


def test_the_mesa_engine_still_runs_one_design_point_per_call(tmp_path, monkeypatch):
    from sim.experiments import executors

    assert not executors._takes_per_run_fixed("mesa")
    (tmp_path / "short.yaml").write_text(SHORT.format(months=2))
    (tmp_path / "other.yaml").write_text(OTHER)
    path = tmp_path / "lhs.yaml"
    path.write_text("name: lhs\ntitle: lhs\nscenarios: [short.yaml]\nseed: 5\ntimeseries_runs: 1\n" + DESIGNS["lhs"])
    calls = []
    real_run_chunk = executors.run_chunk

    def counted(scenario, seeds, *, fixed=None, engine="mesa"):
        calls.append((len(seeds), sorted(type(v).__name__ for v in (fixed or {}).values())))
        return real_run_chunk(scenario, seeds, fixed=fixed, engine=engine)

    monkeypatch.setattr(executors, "run_chunk", counted)
    run_sweep(load_experiment(path), tmp_path / "out", engine="mesa", chunk=5, progress=False)
    assert calls == [(1, ["float", "float"])] * 10
