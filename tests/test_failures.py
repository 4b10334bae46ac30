"""What is guaranteed on failure: a full disk, a read-only filesystem, a damaged shard or state
file, a sweep killed again and again (SIGKILL, SIGTERM, SIGINT), a killed report, a sweep too
big for the machine. Every time: a clear message, nothing of the user's lost, and a sweep that
resumes to the files of an uninterrupted one, byte for byte.

Full-disk and read-only tests mount a small tmpfs and so need root; they are skipped otherwise.
Tests that start processes to kill are marked slow."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.experiments.design import build_design
from sim.experiments.estimates import design_points, estimate
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
FILES = ("runs.parquet", "timeseries.parquet", "design.parquet")
SHORT = "extends: status_quo\nname: short\ntitle: 'Status quo, {months} months'\nhorizon_months: {months}\n"
GRID = """\
name: tiny
title: "One scenario, two design points"
scenarios: [short.yaml]
replications: {reps}
seed: 5
timeseries_runs: 3
design:
  kind: grid
  parameters:
    patron.attention: {{values: [0.6, 0.9]}}
"""
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT or not shutil.which("mount"),
                                reason="mounting a small tmpfs (full disk, read-only filesystem) needs root")


def make(folder: Path, reps: int = 8, months: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "short.yaml").write_text(SHORT.format(months=months))
    path = folder / "tiny.yaml"
    path.write_text(GRID.format(reps=reps))
    return path


def same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def sweep_args(path: Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", str(path), "--out", str(out), "--workers", "1", "--engine", "fast", "--quiet", "--chunk", "2",
            *extra]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    run_sweep(load_experiment(experiment), out, workers=1, chunk=2, engine="fast", progress=False)
    return out


# ---- damaged shards and state files on --resume ----------------------------------------------------


def interrupted_copy(reference: Path, out: Path) -> Path:
    """The reference sweep as a kill before consolidation leaves it: state and shards only."""
    out.mkdir()
    shutil.copy(reference / "sweep.json", out / "sweep.json")
    shutil.copytree(reference / "shards", out / "shards")
    return out


def test_a_damaged_shard_is_named_set_aside_and_its_runs_computed_again(experiment, reference, tmp_path, capsys):
    out = interrupted_copy(reference, tmp_path / "out")
    shards = sorted((out / "shards").glob("*.runs.parquet"))
    truncated, emptied = shards[1], shards[4]
    truncated.write_bytes(truncated.read_bytes()[:100])
    emptied.write_bytes(b"")
    assert main(sweep_args(experiment, out, "--resume")) == 0
    err = capsys.readouterr().err
    assert f"shard {truncated.name} is damaged" in err and f"shard {emptied.name} is damaged" in err
    assert "computed again" in err
    assert (out / "shards" / f"{truncated.name}.damaged-1").read_bytes() == truncated.read_bytes()[:100] or \
        (out / "shards" / f"{truncated.name}.damaged-1").stat().st_size == 100
    same_files(reference, out)


def test_a_damaged_state_file_is_set_aside_and_the_sweep_computed_again(experiment, reference, tmp_path, capsys):
    out = interrupted_copy(reference, tmp_path / "out")
    (out / "sweep.json").write_text('{"format": "deterrence-sweep/1", "finger')
    assert main(sweep_args(experiment, out)) == 2  # without --resume: only reported
    assert "sweep.json is damaged" in capsys.readouterr().err
    assert main(sweep_args(experiment, out, "--resume")) == 0
    err = capsys.readouterr().err
    assert "sweep.json is damaged" in err and "set aside as sweep.json.damaged-1" in err
    assert (out / "sweep.json.damaged-1").read_text().startswith('{"format"')
    assert (out / "shards.damaged-1").is_dir()
    same_files(reference, out)


# ---- a full disk and a read-only filesystem ------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@needs_root
@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)], ids=["serial", "process"])
def test_a_disk_that_fills_mid_sweep_stops_it_cleanly_and_it_resumes_once_space_is_freed(
        experiment, reference, small_disk, capsys, workers):
    out = small_disk / "out"
    # --yes: the estimate (rightly) says the disk is too small; the sweep is told to go on.
    assert main(sweep_args(experiment, out)) == 2
    assert "this machine cannot hold the sweep" in capsys.readouterr().err and not out.exists()
    assert main([*sweep_args(experiment, out, "--yes"), "--workers", str(workers)]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "--resume" in err and "Traceback" not in err
    done = len(list((out / "shards").glob("*.runs.parquet")))
    assert 0 < done < 8 and not (out / "manifest.json").exists()
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    assert main(sweep_args(experiment, out, "--resume")) == 0
    same_files(reference, out)
    assert not list(out.rglob(".*.tmp-*"))


@needs_root
def test_every_writing_command_reports_a_full_or_read_only_disk_before_any_work(
        experiment, reference, small_disk, tmp_path, capsys):
    (small_disk / "filler").write_bytes(b"\0" * (256 * 1024 - 4096))
    with pytest.raises(OSError), open(small_disk / "filler2", "wb") as f:  # fill the last pages
        f.write(b"\0" * 65536)
        f.flush()
        os.fsync(f.fileno())
    commands = {
        "run": ["run", "status_quo", "--runs", "2", "--quiet", "--out", str(small_disk / "run")],
        "sweep": sweep_args(experiment, small_disk / "sweep", "--yes"),
        "compare": ["compare", str(reference), "--out", str(small_disk / "cmp"), "--workers", "1"],
    }
    for name, args in commands.items():
        assert main(args) == 2, name
        err = capsys.readouterr().err
        assert "the disk is full" in err, (name, err)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for name, args in commands.items():
        assert main(args) == 2, name
        assert "the filesystem is read-only" in capsys.readouterr().err, name
    # A result folder on a read-only disk can be verified, but not summarised or reported into.
    ro = small_disk / "copy"
    assert not ro.exists()
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    (small_disk / "filler").unlink()
    (small_disk / "filler2").unlink(missing_ok=True)
    shutil.copytree(reference, ro, ignore=shutil.ignore_patterns("shards"))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert main(["verify", str(ro)]) == 0
    capsys.readouterr()
    for args in (["summarize", str(ro), "--bootstrap", "0"], ["report", str(ro), "--workers", "1"]):
        assert main(args) == 2, args
        assert "read-only" in capsys.readouterr().err, args


# ---- estimates before work ---------------------------------------------------------------------------


def test_every_sweep_states_its_runs_disk_and_memory_and_refuses_what_the_machine_cannot_hold(
        experiment, tmp_path, capsys):
    assert main(["sweep", str(experiment), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "estimate: 16 runs" in out and "of disk" in out and "of memory at the peak" in out
    started = time.monotonic()
    assert main(["sweep", "futures", "--replications", "1000000000000", "--dry-run"]) == 0
    assert "this machine cannot hold it" in capsys.readouterr().out
    assert main(["sweep", "futures", "--replications", "1000000000000", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "this machine cannot hold the sweep" in err and "--yes" in err
    assert time.monotonic() - started < 10, "the estimate built the plan"
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml")))
def test_the_estimate_counts_the_designs_points_without_building_them(name):
    exp = load_experiment(name)
    assert design_points(exp) == build_design(exp).points
    est = estimate(exp.with_replications(3), engine="fast", workers=1)
    assert est.runs == len(exp.scenarios) * est.design_points * 3 and est.disk_bytes > 0 and est.memory_bytes > 0


def test_the_disk_estimate_covers_what_a_sweep_writes(experiment, reference):
    est = estimate(load_experiment(experiment), engine="fast", workers=1, chunk=2)
    written = sum(p.stat().st_size for p in reference.rglob("*.parquet"))
    assert written <= est.disk_bytes <= 3 * written, (written, est.disk_bytes)


# ---- kills ----------------------------------------------------------------------------------------


def tagged(tag: str) -> list[int]:
    """Processes whose environment holds ``tag`` (this test's own)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if tag.encode() in (p / "environ").read_bytes():
                    out.append(int(p.name))
            except OSError:
                pass
    return out


def no_process_left(tag: str, seconds: float = 20.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = tagged(tag)
    for pid in left:  # the test's own processes: do not leave them behind
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds its processes in /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_sweep_killed_again_and_again_resumes_to_the_same_files(sig, tmp_path):
    """Killed at several points, each time resumed by a new process that is killed in turn;
    the last resume completes it. Mesa engine, one run per task: the kill points are many."""
    path = make(tmp_path / "exp", reps=10, months=24)  # 20 tasks: a SIGINT lets the queued ones finish
    whole = tmp_path / "whole"
    run_sweep(load_experiment(path), whole, workers=1, chunk=5, engine="mesa", progress=False)
    out = tmp_path / "killed"
    points = []
    for k, at in enumerate((1, 3, 5, 7)):
        tag = f"RELIABILITY_KILL={os.getpid()}-{sig.name}-{k}-{time.monotonic_ns()}"
        cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", str(1 + k % 2),
               "--chunk", "1", "--engine", "mesa", "--quiet"] + (["--resume"] if k else [])
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "RELIABILITY_KILL": tag})
        # at least one task of its own done: a process killed while it starts up is no kill point
        before = len(list((out / "shards").glob("*.runs.parquet")))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "shards").glob("*.runs.parquet"))) >= max(at, before + 1):
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        proc.send_signal(sig)
        proc.wait()
        err = proc.stderr.read().decode()
        assert "Traceback" not in err, err
        if sig == signal.SIGINT:
            assert proc.returncode == 130 and "--resume" in err, err
        assert not no_process_left(tag), "processes outlived the killed sweep"
        points.append(len(list((out / "shards").glob("*.runs.parquet"))))
    assert points == sorted(points) and points[-1] < 20, f"killed after {points} of 20 tasks"
    assert not (out / "manifest.json").exists()
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--engine", "mesa",
                 "--quiet"]) == 0
    same_files(whole, out)
    assert json.loads((out / "manifest.json").read_text())["counts"]["runs"] == 20
    assert pq.read_table(out / "runs.parquet").num_rows == 20


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds its processes in /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_killed_report_leaves_no_process_behind_and_the_next_report_completes(sig, tmp_path):
    out = tmp_path / "results"
    assert main(["run", "status_quo", "--runs", "12", "--out", str(out), "--quiet"]) == 0
    tag = f"RELIABILITY_REPORT={os.getpid()}-{sig.name}-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "report", str(out), "--workers", "3"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "RELIABILITY_REPORT": tag})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:  # the fork server and two workers, drawing
        if len(tagged(tag)) >= 4 and list((out / "report" / "figures").glob("*.png")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the report finished before it could be killed"
    proc.send_signal(sig)
    proc.wait()
    assert not no_process_left(tag), "processes outlived the killed report"
    assert main(["report", str(out), "--workers", "1"]) == 0
    assert main(["verify", str(out)]) == 0


# ---- sweep --force -----------------------------------------------------------------------------------


def test_sweep_force_replaces_whole_and_a_failure_midway_leaves_the_old_results(experiment, reference, tmp_path,
                                                                             monkeypatch, capsys):
    import errno

    from sim.experiments import executors

    out = tmp_path / "out"
    shutil.copytree(reference, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"}
    assert main(sweep_args(experiment, out, "--replications", "4")) == 2
    assert "already holds a sweep of 'tiny'" in capsys.readouterr().err
    real, calls = executors.run_task, []

    def full_after_two(ctx, task):
        calls.append(task)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(ctx, task)

    monkeypatch.setattr(executors, "run_task", full_after_two)
    assert main(sweep_args(experiment, out, "--replications", "4", "--force")) == 1
    assert "--force" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"} == before
    staging = tmp_path / ".out.replacing"
    assert len(list((staging / "shards").glob("*.runs.parquet"))) == 2
    monkeypatch.undo()
    assert main(sweep_args(experiment, out, "--replications", "4", "--force")) == 0
    assert not staging.exists()
    fresh = tmp_path / "fresh"
    assert main(sweep_args(experiment, fresh, "--replications", "4")) == 0
    same_files(fresh, out)
    assert json.loads((out / "manifest.json").read_text())["counts"]["runs"] == 8


def test_a_users_file_in_a_sweep_folder_is_kept_on_resume_and_blocks_force(experiment, reference, tmp_path, capsys):
    out = interrupted_copy(reference, tmp_path / "out")
    (out / "notes.txt").write_text("mine")
    assert main(sweep_args(experiment, out, "--resume")) == 0
    same_files(reference, out)
    assert (out / "notes.txt").read_text() == "mine"
    assert main(sweep_args(experiment, out, "--force")) == 2
    assert "holds files deterrence did not write (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
