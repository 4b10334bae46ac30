"""The `deterrence` command as a user runs it: exit codes, messages, files."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.engines import bench

SHORT = """\
extends: status_quo
name: short
title: "Status quo, two years"
narrative: a short test scenario
sources: [{quote: "test"}]
horizon_months: 24
"""


@pytest.fixture
def short_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT)
    return path


def test_run_writes_results_and_is_reproducible(short_scenario, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(short_scenario), "--runs", "6", "--seed", "11", "--out", str(a), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "short (Status quo, two years): 6 runs" in printed
    assert "deals_final" in printed and "[" in printed
    assert main(["run", str(short_scenario), "--runs", "6", "--seed", "11", "--out", str(b), "--quiet"]) == 0
    for name in ("runs.parquet", "timeseries.parquet", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    runs = pq.read_table(a / "runs.parquet").to_pydict()
    assert runs["replication"] == list(range(6))
    assert len(set(runs["seed"])) == 6 and set(runs["status"]) == {"ok"}
    assert "patron.deal_appetite" in runs and "cohesion_final" in runs
    assert "signpost.second_withdrawal_within_90_days" in runs
    series = pq.read_table(a / "timeseries.parquet")
    assert series.num_rows == 6 * 24
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["counts"] == {"runs": 6, "succeeded": 6, "failed": 0}
    assert manifest["seed_scheme"]["root_seed"] == 11
    assert set(manifest["files"]) == {"runs.parquet", "timeseries.parquet"}
    assert len(manifest["scenario"]["sha256"]) == 64


def test_another_seed_gives_other_results(short_scenario, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(["run", str(short_scenario), "--runs", "3", "--seed", "1", "--out", str(a), "--quiet"])
    main(["run", str(short_scenario), "--runs", "3", "--seed", "2", "--out", str(b), "--quiet"])
    assert (a / "runs.parquet").read_bytes() != (b / "runs.parquet").read_bytes()


def test_validate_good_and_bad(tmp_path, capsys):
    assert main(["validate", "status_quo", "troops_to_poland"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: Bad\npatron:\n  deal_pryce: 0.5\n  attention: 1.5\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any("bad.yaml:4: patron.deal_pryce" in line and "did you mean 'deal_price'" in line for line in err)
    assert any("bad.yaml:5: patron.attention" in line and "0 to 1" in line for line in err)


def test_unbounded_or_foreign_input_exits_2_naming_the_file_and_the_limit(tmp_path, capsys):
    alias = tmp_path / "alias.yaml"
    alias.write_text("name: a\ntitle: A\npatron: &p {deal_price: 0.5}\nbeliefs: *p\n")
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: d\ntitle: D\npatron: " + "[" * 250 + "]" * 250 + "\n")
    foreign = tmp_path / "foreign.yaml"
    foreign.write_text("extends: /etc/passwd\nname: f\ntitle: F\n")
    early = tmp_path / "early.yaml"
    early.write_text("name: e\ntitle: E\nsignposts: [{id: s, label: S, event: exit_notice, by: 2020-01}]\n")
    assert main(["validate", str(alias), str(deep), str(foreign), str(early)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{alias}:3: YAML anchors and aliases (&p) are not supported; write the value out in full where it "
        "is used (to share a scenario's settings, use 'extends')",
        f"{deep}:3: the YAML is nested more than 32 levels deep (the limit); a scenario or experiment needs "
        "a few levels: check the indentation and the brackets",
        f"{foreign}:1: extends: '/etc/passwd' is not a scenario file: expected the name of a shipped "
        "scenario or a path to a .yaml or .yml scenario file",
        f"{early}:3: signposts[0].by: signpost 's' has its deadline 2020-01 before the start 2026-05, so it "
        "could never be met; give a month from 2026-05 on",
    ]
    experiment = tmp_path / "exp.yaml"
    experiment.write_text("name: x\ntitle: X\nscenarios: [us_exit]\nreplications: true\nseed: 1\n"
                          "fixed: {events.us_exit.hazard.monthly: 7}\n")
    assert main(["sweep", str(experiment), "--dry-run"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{experiment}:4: replications: expected a whole number, got true"]
    experiment.write_text(experiment.read_text().replace("replications: true", "replications: 1"))
    assert main(["sweep", str(experiment), "--dry-run"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{experiment}:6: fixed.events.us_exit.hazard.monthly: 7 is outside the allowed range of "
        "'events.us_exit.hazard.monthly', 0 to 1 (probability per month)"]


def test_python_dash_m_sim_exits_2_on_bad_input(monkeypatch, capsys):
    """The fast loop's ``python -m sim``, run in this process (runpy, as the interpreter runs
    it; the slow test below starts fresh processes): a bad input exits 2 with a message and no
    exception."""
    monkeypatch.setattr(sys, "argv", ["sim", "validate", "no_such_scenario"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("sim", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 2
    assert "no_such_scenario" in capsys.readouterr().err


@pytest.mark.slow
def test_bad_input_exits_2_without_traceback(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    cases = [
        ["run", "no_such_scenario", "--out", str(tmp_path / "o")],
        ["run", "status_quo", "--runs", "0", "--out", str(tmp_path / "o")],
        ["run", "status_quo", "--seed", "-3", "--out", str(tmp_path / "o")],
        ["run", "status_quo", "--runs", "1", "--out", str(afile)],
        ["validate", str(tmp_path / "missing.yaml")],
    ]
    for args in cases:
        proc = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip(), args
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_schema_and_list(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "patron" in schema["properties"] and "$defs" in schema
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "troops_to_poland" in out and "Troops Go to Poland" in out


def test_bench_checks_its_workers_and_describes_the_machine(capsys):
    """The benchmark itself runs thousands of runs (never in the tests); its command refuses bad
    --workers before running anything, and its header names the machine and its load."""
    assert main(["bench", "--workers", "0"]) == 2
    assert "--workers: each must be at least 1" in capsys.readouterr().err
    assert main(["bench", "--workers", "two"]) == 2
    assert "comma-separated whole numbers" in capsys.readouterr().err
    assert "cores usable" in bench.machine() and "Python" in bench.machine()
    assert bench.load().startswith("load average")


def test_engines_are_named_in_full_and_run_defaults_to_the_fast_one(tmp_path, capsys):
    """An unknown engine is refused with both names; `run` uses the fast engine unless told."""
    from sim.engines.runner import run_chunk
    from sim.model.loading import load_scenario

    with pytest.raises(ValueError, match=r"unknown engine 'turbo'; available: fast, mesa"):
        run_chunk(load_scenario("status_quo"), [1], engine="turbo")
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "futures", "--out", str(tmp_path / "x"), "--engine", "turbo"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'turbo'" in err and "fast" in err and "mesa" in err
    assert main(["run", "status_quo", "--runs", "2", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["engine"] == "fast"


def test_workers_beyond_the_cores_are_capped_with_a_warning(tmp_path, capsys):
    assert main(["sweep", "futures", "--replications", "2", "--workers", "64", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "warning: --workers 64 is more than the" in err and "using" in err
