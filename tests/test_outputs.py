"""Output folders: nothing of the user's overwritten or mixed, --force replaces whole, the files a
command reads match their manifest (``deterrence verify``), reports remove only their own files.

Runs are short (12 months, fast engine) so the whole module stays in the fast loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments import outputs
from sim.experiments.outputs import FolderLock, OutputError, claim, holding, replace_folder
from sim.experiments.verify import verify

SHORT = "extends: status_quo\nname: short\ntitle: 'Status quo, one year'\nhorizon_months: 12\n"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "short.yaml"
    path.write_text(SHORT)
    return path


def run(scenario: Path, out: Path, *extra: str, runs: int = 4) -> int:
    return main(["run", str(scenario), "--runs", str(runs), "--out", str(out), "--quiet", *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file but the lock (which a refused command may create, empty of meaning)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


# ---- what a folder holds, and who may write to it ---------------------------------------------------


def test_run_refuses_results_of_another_command_a_users_folder_and_a_folder_in_use(scenario, tmp_path, capsys):
    out = tmp_path / "a"
    assert run(scenario, out) == 0
    first = snapshot(out)
    assert run(scenario, out, "--runs", "5") == 2
    err = capsys.readouterr().err
    assert "holds the results of 'deterrence run' of 'short' (4 runs)" in err and "add --force" in err
    assert snapshot(out) == first

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "manifest.json").write_text(json.dumps({"format": "deterrence-results/1", "command": "sweep",
                                                     "files": {}, "experiment": {"name": "futures"}}))
    assert run(scenario, sweep) == 2
    assert "holds the results of 'deterrence sweep' of 'futures'" in capsys.readouterr().err

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for extra in ((), ("--force",)):  # --force never replaces what deterrence did not write
        assert run(scenario, mine, *extra) == 2
        assert "holds files deterrence did not write (notes.txt)" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "mine" and len(list(mine.iterdir())) == 1

    with FolderLock(out):
        assert run(scenario, out, "--force") == 2
    assert "is in use: another sweep or command is writing to it (pid" in capsys.readouterr().err
    assert snapshot(out) == first


def test_force_replaces_the_folder_whole_and_a_failed_run_leaves_it_as_it_was(scenario, tmp_path, monkeypatch,
                                                                            capsys):
    out = tmp_path / "a"
    assert run(scenario, out) == 0
    (out / "summary").mkdir()  # a summary of the old results goes with them
    (out / "summary" / "manifest.json").write_text(json.dumps({"format": "deterrence-results/1",
                                                               "command": "summarize", "files": {}}))
    before = snapshot(out)

    from sim.experiments import montecarlo

    def broken(*args, **kwargs):
        (args[1] / "runs.parquet").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(montecarlo, "run_monte_carlo", broken)
    assert run(scenario, out, "--force") == 1
    assert "stopped: the disk is full" in capsys.readouterr().err
    assert snapshot(out) == before, "a failed --force run changed the old results"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folder left behind"
    monkeypatch.undo()

    abandoned = tmp_path / ".a.partial-999999999"  # a run killed (SIGKILL) while writing: no such process now
    abandoned.mkdir()
    assert run(scenario, out, "--force", runs=6) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["runs"] == 6 and not (out / "summary").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_replace_folder_swaps_in_one_step(tmp_path):
    old, new = tmp_path / "results", tmp_path / ".results.partial"
    old.mkdir()
    (old / "a").write_text("old")
    new.mkdir()
    (new / "b").write_text("new")
    replace_folder(new, old)
    assert [p.name for p in old.iterdir()] == ["b"] and not new.exists()


def test_holding_names_files_no_manifest_records_even_inside_result_subfolders(scenario, tmp_path):
    out = tmp_path / "a"
    assert run(scenario, out) == 0
    assert holding(out).kind == "results" and holding(out).foreign == ()
    (out / "report").mkdir()
    (out / "report" / "draft.docx").write_text("mine")
    assert holding(out).foreign == ("report/draft.docx",)
    with pytest.raises(OutputError, match=r"report/draft.docx"):
        claim(out, "run", force=True)


# ---- a bad --out, before any work --------------------------------------------------------------------


def test_an_out_below_a_file_or_where_no_folder_can_be_made_is_refused_before_any_work(scenario, tmp_path, capsys,
                                                                                        monkeypatch):
    from sim.experiments import montecarlo

    calls = []
    monkeypatch.setattr(montecarlo, "run_monte_carlo", lambda *a, **k: calls.append(1))
    plain = tmp_path / "file.txt"
    plain.write_text("x")
    assert run(scenario, plain / "out") == 2
    assert f"{plain} is a file, not a folder" in capsys.readouterr().err
    assert run(scenario, plain) == 2
    assert "exists and is a file, not a folder" in capsys.readouterr().err
    assert run(scenario, tmp_path / ("y" * 300)) == 2
    assert "the path, or a name in it, is too long" in capsys.readouterr().err
    assert main(["schema", "--out", str(plain / "schema.json")]) == 2
    assert "--out" in capsys.readouterr().err
    if Path("/proc/self").is_dir():
        assert run(scenario, Path("/proc/deterrence-out")) == 2
        assert "--out /proc/deterrence-out:" in capsys.readouterr().err
    assert not calls, "the runs started before the folder was checked"


def test_filesystem_errors_are_named_in_the_users_words():
    import errno

    assert "read-only" in outputs.os_problem(OSError(errno.EROFS, "Read-only file system", "/x"))
    assert "disk is full" in outputs.os_problem(OSError(errno.ENOSPC, "No space left on device"))
    assert "permission denied" in outputs.os_problem(OSError(errno.EACCES, "Permission denied", "/x"))


# ---- verify, and the commands that read results --------------------------------------------------


def test_verify_checks_every_file_and_readers_refuse_a_folder_that_does_not_match(scenario, tmp_path, capsys):
    out = tmp_path / "a"
    assert run(scenario, out) == 0
    assert main(["verify", str(out)]) == 0
    assert "ok, every file matches its manifest" in capsys.readouterr().out
    other = tmp_path / "b"
    assert run(scenario, other, "--runs", "4") == 0
    # A runs.parquet swapped for another seed's: the same size, another hash.
    assert main(["run", str(scenario), "--runs", "4", "--seed", "9", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    (out / "runs.parquet").write_bytes((tmp_path / "c" / "runs.parquet").read_bytes())
    assert main(["verify", str(out)]) == 2
    assert "runs.parquet" in capsys.readouterr().err
    assert main(["report", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "does not match its manifest, so 'deterrence report' will not read it" in err and "runs.parquet" in err
    assert not (out / "report").exists()
    assert main(["compare", str(out), str(other), "--out", str(tmp_path / "cmp")]) == 2
    assert "does not match its manifest" in capsys.readouterr().err and not (tmp_path / "cmp").exists()
    (out / "timeseries.parquet").unlink()
    _, problems = verify(out)
    assert any("timeseries.parquet: listed in the manifest but missing" in p for p in problems)


def test_verify_reads_the_invariants_from_the_runs(scenario, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.experiments.results import write_manifest

    out = tmp_path / "a"
    assert run(scenario, out) == 0
    table = pq.read_table(out / "runs.parquet")
    column = table.column_names.index("credibility_final")
    table = table.set_column(column, "credibility_final", pa.array([0.5, 1.5, 0.5, 0.5]))
    pq.write_table(table, out / "runs.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    write_manifest(out, {k: v for k, v in manifest.items() if k != "files"}, ["runs.parquet", "timeseries.parquet"])
    assert main(["verify", str(out)]) == 2
    err = capsys.readouterr().err
    assert "run 1 (seed" in err and "credibility_final in [0, 1]" in err


def test_summarize_refuses_a_sweep_being_written(tmp_path, capsys):
    out = tmp_path / "s"
    out.mkdir()
    with FolderLock(out):
        assert main(["summarize", str(out)]) == 2
    assert "being written by another sweep or command (pid" in capsys.readouterr().err


# ---- reports touch only their own files -------------------------------------------------------------


@pytest.fixture
def cheap_report(monkeypatch):
    """A report without drawing: what a build writes (a figure, a table, the page), so that what
    is recorded and removed is tested in the fast loop (test_report draws the real ones)."""
    import sim.report as report

    def build(res, out, fig_dir, tab_dir, odds_file, command, title, workers):
        fig_dir.mkdir(parents=True, exist_ok=True)
        tab_dir.mkdir(parents=True, exist_ok=True)
        written = {fig_dir / "fan_deals.png", fig_dir / "fan_deals.txt", tab_dir / "outcomes.csv", out / "index.html"}
        for path in written:
            path.write_text(f"{title}: {path.name}")
        return written

    monkeypatch.setattr(report, "_build_in", build)


def test_report_keeps_the_users_files_and_removes_only_its_own_stale_ones(scenario, tmp_path, cheap_report):
    from sim.report import build_report

    out = tmp_path / "a"
    assert run(scenario, out) == 0
    report = build_report(out, workers=1)
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["command"] == "report" and "index.html" in manifest["files"]
    assert all((report / name).is_file() for name in manifest["files"])
    (report / "figures" / "my_sketch.png").write_bytes(b"mine")
    (report / "tables" / "my_table.csv").write_text("mine")
    (report / "figures" / "odds.png").write_bytes(b"from a build with --odds")
    manifest["files"]["figures/odds.png"] = {"sha256": "0" * 64, "bytes": 24}
    (report / "manifest.json").write_text(json.dumps(manifest))
    build_report(out, workers=1)
    assert (report / "figures" / "my_sketch.png").read_bytes() == b"mine"
    assert (report / "tables" / "my_table.csv").read_text() == "mine"
    assert not (report / "figures" / "odds.png").exists(), "a stale file the last build recorded stays"
    assert main(["verify", str(out)]) == 0


def test_a_report_folder_of_unknown_files_and_a_compare_into_results_are_refused(scenario, tmp_path, capsys,
                                                                                    cheap_report):
    out = tmp_path / "a"
    assert run(scenario, out) == 0
    (out / "report").mkdir()
    (out / "report" / "index.html").write_text("<p>my own page</p>")
    assert main(["report", str(out), "--workers", "1"]) == 2
    assert "holds files deterrence did not write (index.html)" in capsys.readouterr().err
    assert (out / "report" / "index.html").read_text() == "<p>my own page</p>"
    other = tmp_path / "b"
    assert run(scenario, other) == 0
    assert main(["compare", str(out), "--out", str(other), "--workers", "1"]) == 2
    assert "holds the results of 'deterrence run'" in capsys.readouterr().err
    assert main(["compare", str(out), other.as_posix(), "--out", str(tmp_path / "cmp"), "--workers", "1"]) == 0
    assert main(["compare", str(out), str(other), "--out", str(tmp_path / "cmp"), "--workers", "1"]) == 0


def test_a_mount_point_is_written_in_place_when_empty_and_never_replaced(scenario, tmp_path, monkeypatch, capsys):
    """--out a mount point (or a folder in a parent the user cannot write): no sibling to stage in."""
    monkeypatch.setattr(outputs, "can_stage", lambda folder: False)
    out = tmp_path / "mounted"
    out.mkdir()
    assert run(scenario, out) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["runs"] == 4
    assert run(scenario, out, "--force") == 2
    assert "cannot be replaced whole (it is a mount point" in capsys.readouterr().err
