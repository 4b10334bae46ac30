"""Reports: files and captions, byte-identical regeneration, LaTeX tables, the HTML page in
headless Chromium, sweeps (heatmaps, Sobol indices, arms and their paired comparisons), market
odds, colours, per-ally outcomes and the tile maps, and the layout of every figure.

One small results folder is made per session: three scenarios x 12 runs x 24 months (each a
temporary scenario that extends a shipped one with a 24-month horizon), the runs of the three
folders combined into one as a sweep of several scenarios would be. Sweeps (a grid, arms) are
stand-ins made from those runs, with the files 'deterrence sweep' writes.

Drawing is what costs (the full report of the three scenarios takes half a minute): the tests
that render whole reports are marked slow. The fast loop renders one small report
(test_a_small_report_has_its_files_tables_and_page: one scenario, one fan chart topic, no maps)
and keeps the tests that read results without drawing.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.world import ALLIES
from sim.report import ReportInputError, build_report, compare
from sim.report import data as D
from sim.report import figures as F
from sim.report import style as S
from sim.report import tables as T
from sim.report.figures import MAX_HEIGHT, TILE_GRID
from sim.report.html import reproducibility
from sim.report.odds import read_odds
from sim.report.style import ARM_COLOURS, FALLBACK_COLOURS, SCENARIO_COLOURS, scenario_colours
from sim.report.tables import latex_escape
from sim.report.workers import WorkerCrash

SCENARIOS = ("status_quo", "troops_to_poland", "further_withdrawals")
RUNS, MONTHS = 12, 24
ODDS_EXAMPLE = Path(__file__).resolve().parents[1] / "experiments" / "odds_example.csv"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _short_run(name: str, folder: Path, scenarios: Path) -> Path:
    from sim.experiments.montecarlo import run_monte_carlo
    from sim.model.loading import load_scenario

    path = scenarios / f"{name}_{MONTHS}m.yaml"  # not {name}.yaml: "extends: {name}" would find itself
    title = json.dumps(load_scenario(name).title)  # the shipped title: the report names groups by it
    path.write_text(f"extends: {name}\nname: {name}\ntitle: {title}\nhorizon_months: {MONTHS}\n")
    out = folder / name
    # The fast engine: the Mesa engine's runs bit for bit (test_ensemble), and quicker.
    run_monte_carlo(load_scenario(path), out, runs=RUNS, seed=3, progress=False, engine="fast",
                    source={"file": str(path), "sha256": "0" * 64})
    return out


def combine(folders: list[Path], out: Path) -> Path:
    """One folder holding the runs of several run folders, as a sweep of several scenarios."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("runs.parquet", "timeseries.parquet"):
        pd.concat([pd.read_parquet(f / name) for f in folders], ignore_index=True).to_parquet(out / name)
    manifests = [json.loads((f / "manifest.json").read_text()) for f in folders]
    merged = {**manifests[0], "scenarios": [m["scenario"] for m in manifests]}
    merged.pop("scenario")
    merged["files"] = {name: {"sha256": hashlib.sha256((out / name).read_bytes()).hexdigest(),  # as sealed
                              "bytes": (out / name).stat().st_size} for name in ("runs.parquet", "timeseries.parquet")}
    (out / "manifest.json").write_text(json.dumps(merged, indent=2, sort_keys=True))
    return out


@pytest.fixture(scope="session")
def run_folders(tmp_path_factory) -> list[Path]:
    base = tmp_path_factory.mktemp("runs")
    scenarios = tmp_path_factory.mktemp("scenarios")
    return [_short_run(name, base, scenarios) for name in SCENARIOS]


@pytest.fixture(scope="session")
def combined(run_folders, tmp_path_factory) -> Path:
    return combine(run_folders, tmp_path_factory.mktemp("combined") / "results")


@pytest.fixture(scope="session")
def report(combined) -> Path:
    return build_report(combined, odds=ODDS_EXAMPLE, workers=2)  # figures drawn in two processes


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- what a report holds ----------------------------------------------------------------------


@pytest.mark.slow
def test_report_has_every_figure_in_png_and_pdf_with_a_caption(report):
    figures = report / "figures"
    for name in ("fan_credibility", "fan_deals", "fan_cohesion", "fan_spending", "fan_capability",
                 "fan_enablers", "forest_probabilities", "forest_means", "differences_probabilities",
                 "differences_means", "map_allies", "odds"):
        assert (figures / f"{name}.png").stat().st_size > 10_000, name
        assert (figures / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
        caption = (figures / f"{name}.txt").read_text()
        assert re.search(r"\d+ runs", caption), (name, caption)
        assert "interval" in caption or "90%" in caption, (name, caption)
    png = (figures / "fan_deals.png").read_bytes()
    width = int.from_bytes(png[16:20], "big")
    assert width == round(6.5 * 300), "PNG at 300 dpi, 6.5 inches wide"


@pytest.mark.slow
def test_pdf_embeds_truetype_fonts_and_no_dates(report):
    pdf = (report / "figures" / "forest_means.pdf").read_bytes()
    assert b"/FontFile2" in pdf, "fonts embedded as TrueType (pdf.fonttype 42)"
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf


@pytest.mark.slow
def test_regenerating_gives_byte_identical_files(combined, report, tmp_path):
    first = _files(report)
    build_report(combined, odds=ODDS_EXAMPLE)
    second = _files(report)
    assert first.keys() == second.keys()
    changed = [name for name in first if first[name] != second[name]]
    assert not changed, f"files that changed on regeneration: {changed}"


def _same_files(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert a.keys() == b.keys()
    changed = [name for name in a if a[name] != b[name]]
    assert not changed, f"files that differ: {changed}"


def _copy_of(folder: Path, tmp_path: Path) -> Path:
    """The results in another place under the same name (the page names the folder)."""
    return shutil.copytree(folder, tmp_path / folder.name, ignore=shutil.ignore_patterns("report"))


@pytest.mark.slow
def test_figures_drawn_in_parallel_are_the_bytes_drawn_one_by_one(combined, report, tmp_path):
    serial = build_report(_copy_of(combined, tmp_path), odds=ODDS_EXAMPLE, workers=1)
    _same_files(_files(serial), _files(report))


@pytest.mark.slow
def test_drawing_once_per_file_gives_matplotlibs_bytes(combined, report, tmp_path, monkeypatch):
    """save_figure lays a figure out in the drawing that renders it, not in a drawing of its own
    before it as matplotlib's savefig does: the files must not change."""
    monkeypatch.setattr(S, "LAYOUT_IN_DRAW", False)
    plain = build_report(_copy_of(combined, tmp_path), odds=ODDS_EXAMPLE, workers=1)
    _same_files(_files(plain), _files(report))


_FAN_CHARTS = F.fan_charts


def _crash(res, out, name, *args):
    """A worker that dies halfway through writing a figure (in the report's own process, which
    draws too, the figure is drawn)."""
    if multiprocessing.parent_process() is None:
        return _FAN_CHARTS(res, out, name, *args)
    (out / f".{name}.png.{os.getpid()}.part").write_bytes(b"\x89PNG half a figure")
    os._exit(1)


@pytest.mark.slow
def test_a_worker_that_dies_leaves_no_half_written_file(combined, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "fan_charts", _crash)
    folder = _copy_of(combined, tmp_path)
    with pytest.raises(WorkerCrash, match="died"):
        build_report(folder, workers=2)
    files = [p for p in (folder / "report").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".")], "temporary files left behind"
    for p in files:  # figures the other worker finished are whole
        if p.suffix == ".png":
            assert p.read_bytes().endswith(b"IEND\xaeB`\x82"), p
        if p.suffix == ".pdf":
            assert p.read_bytes().rstrip().endswith(b"%%EOF"), p


def test_a_small_report_has_its_files_tables_and_page(run_folders, tmp_path, monkeypatch):
    """A cheap report for the fast loop (the tests above and below check the full one): one
    scenario's runs, one fan chart topic, the forest of probabilities and the market odds, drawn
    in this process. Files with captions, tables with units and runs, an offline page."""
    monkeypatch.setattr(F, "FAN_TOPICS", tuple(t for t in F.FAN_TOPICS if t[0] == "fan_deals"))
    monkeypatch.setattr(F, "forest_means", lambda res, out, difference=False: [])
    monkeypatch.setattr(F, "ally_map_metrics", lambda res: [])
    report = build_report(_copy_of(run_folders[0], tmp_path), odds=ODDS_EXAMPLE, workers=1)
    figures = report / "figures"
    for name in ("fan_deals", "forest_probabilities", "odds"):
        assert (figures / f"{name}.png").read_bytes().startswith(b"\x89PNG"), name
        assert (figures / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
        caption = (figures / f"{name}.txt").read_text()
        assert re.search(r"\d+ runs", caption), (name, caption)
    assert not (figures / "map_allies.png").exists() and not (figures / "forest_means.png").exists()
    outcomes = pd.read_csv(report / "tables" / "outcomes.csv")
    assert {"unit", "runs", "estimate", "low", "high", "interval"} <= set(outcomes.columns)
    whole = outcomes[~outcomes["outcome"].str.endswith(D.IF_ANY)]  # a rare count in the runs with any: fewer
    assert (whole["runs"] == RUNS).all() and set(outcomes["scenario"]) == {"status_quo"}
    tex = (report / "tables" / "outcomes.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex
    assert latex_escape("share_deterred 50% & #1") == r"share\_deterred 50\% \& \#1"
    res = D.load_results([report.parent])
    known = [c.split(".")[1] for c in res.runs.columns if c.startswith("signpost.") and not c.endswith(".month")]
    prices, _ = read_odds(ODDS_EXAMPLE, known)
    odds = pd.read_csv(report / "tables" / "odds.csv")
    assert len(odds) == len(prices) > 0
    assert set(odds["verdict"]) <= {"consistent", "model higher", "model lower"}
    html = (report / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert not src.startswith("/") and (report / src).is_file(), src
    assert "Reproducibility" in html and "Root seed" in html
    assert reproducibility(res, "deterrence report status_quo --odds odds_example.csv") in html


@pytest.mark.slow
def test_the_page_records_the_command_run_and_shows_svg(run_folders, tmp_path, monkeypatch, capsys):
    """'deterrence report DIR --format svg': the command line as typed in the reproducibility
    block; each figure also as SVG (the same bytes when drawn again), shown on the page."""
    monkeypatch.setattr(F, "FAN_TOPICS", tuple(t for t in F.FAN_TOPICS if t[0] == "fan_deals"))
    monkeypatch.setattr(F, "forest_means", lambda res, out, difference=False: [])
    monkeypatch.setattr(F, "ally_map_metrics", lambda res: [])
    folder = _copy_of(run_folders[0], tmp_path)
    argv = ["report", str(folder), "--workers", "1", "--format", "svg"]
    assert main(argv) == 0
    html = (folder / "report" / "index.html").read_text()
    assert f"<dd>deterrence report {folder} --workers 1 --format svg</dd>" in html
    svgs = sorted((folder / "report" / "figures").glob("*.svg"))
    assert {p.stem for p in svgs} == {"fan_deals", "forest_probabilities"}
    assert all(f'<img src="figures/{p.name}"' in html for p in svgs)
    first = {p.name: p.read_bytes() for p in svgs}
    assert main(argv) == 0
    assert first == {p.name: p.read_bytes() for p in svgs}, "SVG regenerated byte for byte"
    assert main(["report", str(folder), "--workers", "1"]) == 0
    assert not list((folder / "report" / "figures").glob("*.svg")), "a build without SVG leaves none behind"
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(folder), "--format", "gif"])
    assert exit_.value.code == 2 and "--format" in capsys.readouterr().err


@pytest.mark.slow
def test_tables_have_units_runs_and_intervals(report):
    outcomes = pd.read_csv(report / "tables" / "outcomes.csv")
    assert {"unit", "runs", "estimate", "low", "high", "interval"} <= set(outcomes.columns)
    assert (outcomes.loc[~outcomes["outcome"].str.endswith(D.IF_ANY), "runs"] == RUNS).all()
    assert set(outcomes["scenario"]) == set(SCENARIOS)
    diffs = pd.read_csv(report / "tables" / "differences.csv")
    assert set(diffs["scenario"]) == {"troops_to_poland", "further_withdrawals"}
    assert diffs["paired"].all(), "runs pair up by replication and seed"
    md = (report / "tables" / "outcomes.md").read_text()
    assert "| Outcome (unit) | Status Quo | Troops Go to Poland | Further Withdrawals |" in md, "wide: a column each"


def test_paired_difference_is_the_mean_of_run_by_run_differences(combined):
    res = D.load_results([combined])
    e, paired = D.paired(res, "further_withdrawals", "cohesion_final")
    runs = pd.read_parquet(combined / "runs.parquet").set_index(["scenario", "replication"])["cohesion_final"]
    expected = (runs["further_withdrawals"] - runs["status_quo"]).mean()
    assert paired and e.value == pytest.approx(expected) and e.low < e.value < e.high


@pytest.mark.slow
def test_html_is_offline_and_states_how_to_reproduce(report):
    html = (report / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert not src.startswith("/") and (report / src).is_file(), src
    assert "Reproducibility" in html and "Root seed" in html and "commit" in html
    assert "Date" in html and "not recorded" in html, "no date in the manifest: said so, not the clock"
    assert "0" * 64 in html, "the scenario files' hashes from the manifests"


# ---- LaTeX ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_latex_markup_uses_booktabs_and_escapes(report, arms_report):
    for tex in sorted((report / "tables").glob("*.tex")) + sorted((arms_report[0] / "tables").glob("*.tex")):
        text = tex.read_text()
        assert "\\toprule" in text and "\\midrule" in text and "\\bottomrule" in text, tex.name
        body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
        body = body.replace(" & ", " ")  # the column separators
        for math in ("$\\geq$", "$\\leq$", "$\\times$", "$-$"):
            body = body.replace(math, "")
        assert not re.search(r"(?<!\\)[_%&#$]", body), (tex.name, re.search(r".{30}(?<!\\)[_%&#$].{10}", body))
    assert latex_escape("share_deterred 50% & #1 <2> ~ ^") == (
        r"share\_deterred 50\% \& \#1 \textless{}2\textgreater{} \textasciitilde{} \textasciicircum{}")


PAPERS = ("a4paper", "letterpaper")


def compile_tables(tex: list[Path], folder: Path, paper: str) -> str:
    """Compile every table in a document on ``paper`` with the margins the tables are made for
    (2.5 cm); return pdflatex's log."""
    inputs = "\n".join(f"\\input{{{p.as_posix()}}}" for p in tex)
    doc = folder / f"tables_{paper}.tex"
    doc.write_text(f"\\documentclass[{paper}]{{article}}\n\\usepackage[T1]{{fontenc}}\n"
                   "\\usepackage{booktabs,longtable}\n\\usepackage[margin=2.5cm]{geometry}\n"
                   f"\\begin{{document}}\n{inputs}\n\\end{{document}}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert doc.with_suffix(".pdf").stat().st_size > 1000
    return doc.with_suffix(".log").read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("paper", PAPERS)
def test_latex_tables_fit_a4_and_letter(report, arms_report, paper, tmp_path):
    """Every table of the report and of an arms sweep compiles with pdflatex on A4 and on US
    letter, and no line of any table is wider than the page (pdflatex's log says 'Overfull
    \\hbox (N pt too wide)' when one is); a table too wide is split by columns."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended; "
                    ".ci/run installs it)")
    tex = sorted((report / "tables").glob("*.tex")) + sorted((arms_report[0] / "tables").glob("*.tex"))
    assert {"outcomes.tex", "differences.tex", "allies.tex", "signposts.tex"} <= {p.name for p in tex}
    log = compile_tables(tex, tmp_path, paper)
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)
    assert not overfull, f"{paper}: lines too wide by {overfull} pt"
    allies = (report / "tables" / "allies.tex").read_text()
    assert "part 1 of" in allies, "the allies table is split by columns"
    heads = re.findall(r"\\toprule\n(.*?) \\\\\n\\midrule\n\\endfirsthead", allies)
    assert len(heads) >= 2, heads
    for head in heads:
        assert head.startswith("Ally & Scenario & Runs & "), "every part keeps the ally, its scenario and runs"
        assert head.endswith("& 95\\% interval"), "a value keeps its interval"


# ---- the page in a browser --------------------------------------------------------------------


@pytest.mark.slow
def test_html_page_loads_every_image_in_headless_chromium(report, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto((report / "index.html").as_uri(), wait_until="load")
        loaded = page.eval_on_selector_all("img", "els => els.map(e => e.complete && e.naturalWidth > 0)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    figures = len(list((report / "figures").glob("*.png")))
    assert len(loaded) == figures and all(loaded), loaded
    assert not errors, errors
    assert (tmp_path / "report.png").stat().st_size > 10_000


SCREENSHOTS = Path(os.environ.get("DETERRENCE_SCREENSHOTS", "/tmp/deterrence-screenshots"))


@pytest.mark.slow
def test_first_screen_screenshot_opens_with_the_question_and_scenarios(report):
    """The report's first screen at 1280 x 800 in headless Chromium: it opens with the question and
    the scenarios (not with what the report leaves out), the summary of findings comes before the
    other figures, and what is not in the report comes last. The screenshot is kept under the
    printed path (CI keeps nothing: look at it locally)."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "report-first-screen.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto((report / "index.html").as_uri(), wait_until="load")
        page.screenshot(path=str(shot))
        tops = page.eval_on_selector_all("h2", "els => els.map(e => [e.id, e.getBoundingClientRect().top])")
        browser.close()
    print(f"screenshot of the report's first screen: {shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(shot.read_bytes()[16:20], "big") == 1280
    order = [sid for sid, _ in tops]
    assert order[:3] == ["question", "scenarios", "findings"], order
    assert order.index("findings") < order.index("figures") and order[-1] == "not-in-report", order
    on_screen = [sid for sid, top in tops if top < 800]
    assert "question" in on_screen and "scenarios" in on_screen, tops


# ---- sweeps: heatmaps and Sobol indices ---------------------------------------------------------


@pytest.fixture(scope="session")
def grid_sweep(run_folders, tmp_path_factory) -> Path:
    """A stand-in for a two-parameter grid sweep: the runs of one scenario spread over a 3 x 3
    grid (design.parquet and a manifest like those of 'deterrence sweep'), with a Sobol table."""
    out = tmp_path_factory.mktemp("grid") / "sweep"
    out.mkdir()
    src = run_folders[2]
    runs = pd.read_parquet(src / "runs.parquet")
    runs["design_point"] = (runs["replication"] % 9).astype("int32")
    runs.to_parquet(out / "runs.parquet")
    series = pd.read_parquet(src / "timeseries.parquet")
    series["design_point"] = (series["replication"] % 9).astype("int32")
    series.to_parquet(out / "timeseries.parquet")
    x, y = "events.germany_withdrawal.troops", "patron.conditionality_threshold"
    points = np.arange(9)
    pd.DataFrame({"scenario": "further_withdrawals", "design_point": points.astype("int32"), "label": None,
                  "seed_point": points, x: 5000.0 * (points % 3) * 3, y: (points // 3).astype(float)}
                 ).to_parquet(out / "design.parquet")
    manifest = json.loads((src / "manifest.json").read_text())
    manifest.update(command="sweep", design={"kind": "grid", "parameters": [x, y], "design_points": 9})
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "summary").mkdir()
    params = ["patron.deal_price", "allies.peer_weight", "adversary.probe_gain"]
    pd.DataFrame({"scenario": "further_withdrawals", "outcome": ["deals_final"] * 3 + ["cohesion_final"] * 3,
                  "unit": "", "parameter": params * 2, "first_order": [0.4, 0.1, 0.0, 0.2, 0.3, 0.05],
                  "first_low": [0.3, 0.0, -0.05, 0.1, 0.2, -0.02], "first_high": [0.5, 0.2, 0.05, 0.3, 0.4, 0.1],
                  "total_order": [0.6, 0.2, 0.05, 0.35, 0.4, 0.1], "total_low": [0.5, 0.1, 0.0, 0.25, 0.3, 0.02],
                  "total_high": [0.7, 0.3, 0.1, 0.45, 0.5, 0.2]}).to_csv(out / "summary" / "sobol.csv", index=False)
    return out


@pytest.mark.slow
def test_grid_sweep_has_heatmap_and_sobol_bars(grid_sweep, monkeypatch):
    monkeypatch.setattr(F, "FAN_TOPICS", ())  # fan charts are the main report's test; this one is quicker
    report = build_report(grid_sweep)
    figures = report / "figures"
    assert (figures / "heatmap_further_withdrawals.png").is_file()
    assert (figures / "sobol.png").is_file()
    cells = pd.read_csv(report / "tables" / "sweep_further_withdrawals.csv")
    assert len(cells.groupby(["events.germany_withdrawal.troops", "patron.conditionality_threshold"])) == 9
    caption = (figures / "heatmap_further_withdrawals.txt").read_text()
    assert "runs per cell" in caption
    sobol = pd.read_csv(report / "tables" / "sobol.csv")
    assert set(sobol["index"]) == {"S1", "ST"}


def test_parameter_units_come_from_the_schema():
    assert D.parameter_unit("patron.conditionality_threshold") == "% of GDP"
    assert D.parameter_unit("events.germany_withdrawal.troops") == "troops"
    assert D.parameter_unit("events.payment_for_presence.threshold") == "% of GDP"


# ---- compare and the command line -------------------------------------------------------------


@pytest.mark.slow
def test_compare_reports_separate_folders_side_by_side(run_folders, tmp_path, monkeypatch):
    monkeypatch.setattr(F, "FAN_TOPICS", ())  # fan charts are the main report's test; this one is quicker
    out = compare(run_folders[::2], tmp_path / "cmp")  # status_quo and further_withdrawals
    outcomes = pd.read_csv(out / "tables" / "outcomes.csv")
    assert set(outcomes["scenario"]) == {"status_quo", "further_withdrawals"}
    assert (out / "figures" / "differences_means.png").is_file()
    assert "deterrence compare" in (out / "index.html").read_text()


def test_cli_report_and_bad_input(combined, tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    bad = tmp_path / "odds.csv"
    bad.write_text("signpost,price\nno_such_signpost,0.4\n")
    assert main(["report", str(combined), "--odds", str(bad)]) == 2
    assert "no priced signpost is in these results" in capsys.readouterr().err
    bad.write_text("signpost,price\nus_exit_within_6_months,high\n")
    assert main(["report", str(combined), "--odds", str(bad)]) == 2
    assert "line 2: price 'high' is not a number" in capsys.readouterr().err
    assert main(["compare", str(combined), str(tmp_path / "missing"), "--out", str(tmp_path / "c")]) == 2
    for command in (["report", str(combined)], ["compare", str(combined), "--out", str(tmp_path / "c")]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--workers", "0"])
        assert exit_.value.code == 2 and "--workers" in capsys.readouterr().err


@pytest.mark.slow
def test_odds_beside_simulated_probabilities(report):
    odds = pd.read_csv(report / "tables" / "odds.csv")
    assert set(odds["verdict"]) <= {"consistent", "model higher", "model lower"}
    outside = odds[(odds["price"] < odds["low"]) | (odds["price"] > odds["high"])]
    assert (outside["verdict"] != "consistent").all()
    html = (report / "index.html").read_text()
    assert "Where the simulation and the market disagree" in html


# ---- colours and the tile map -----------------------------------------------------------------


def test_each_scenario_keeps_its_colour():
    assert scenario_colours(["further_withdrawals", "status_quo"]) == {
        "further_withdrawals": SCENARIO_COLOURS["further_withdrawals"], "status_quo": "#000000"}
    some = scenario_colours(["my_future", "other", "status_quo"])
    assert some == scenario_colours(["status_quo", "other", "my_future"])
    assert some["my_future"] in FALLBACK_COLOURS and len(set(some.values())) == 3


def test_tile_grid_places_every_ally_once():
    assert set(TILE_GRID) == set(ALLIES)
    assert len(set(TILE_GRID.values())) == len(TILE_GRID)


def test_bad_folders_say_what_is_wrong(tmp_path):
    with pytest.raises(ReportInputError, match=r"no runs\.parquet"):
        build_report(tmp_path)


# ---- arms sweeps: the experiment's paired comparisons, many groups, per-ally outcomes ---------------

ARMS = ("hub_kept", "hub_lost", "spare")  # design points 0, 1, 2; the experiment compares hub_lost - hub_kept


def _ally_columns(runs: pd.DataFrame) -> pd.DataFrame:
    """Per-ally outcomes as the results will hold them: a 0/1 deal, a final belief and a final
    defence share (% of GDP), each a known function of the replication."""
    runs = runs.drop(columns=[c for c in runs.columns if c.startswith("ally.")])  # the model's own, if any
    rep = runs["replication"].to_numpy()
    cols = {}
    for i, iso in enumerate(sorted(ALLIES)):
        cols[f"ally.{iso}.deal"] = ((rep + i) % 4 == 0).astype(float)
        cols[f"ally.{iso}.credibility"] = 0.2 + 0.02 * ((rep + i) % 10)
        cols[f"ally.{iso}.share"] = 1.5 + 0.1 * (i % 25) + 0.01 * rep
    return pd.concat([runs.reset_index(drop=True), pd.DataFrame(cols)], axis=1)


@pytest.fixture(scope="session")
def arms_sweep(run_folders, tmp_path_factory) -> Path:
    """A stand-in for an arms sweep of two scenarios x three arms, every arm on the same seeds
    (as 'deterrence sweep' runs arms): each scenario's runs repeated per arm, hub_lost's deals
    raised by replication % 3 (so hub_lost - hub_kept is 1.0 ally on average, paired run by run);
    no per-ally outcomes (the map falls back on group means) and no summary folder, so the
    report pairs the runs itself."""
    out = tmp_path_factory.mktemp("arms") / "sweep"
    out.mkdir()
    runs, series = [], []
    for src in run_folders[1:]:  # troops_to_poland, further_withdrawals
        r, t = pd.read_parquet(src / "runs.parquet"), pd.read_parquet(src / "timeseries.parquet")
        for point, arm in enumerate(ARMS):
            a = r.copy()
            a["design_point"] = np.int32(point)
            if arm == "hub_lost":
                a["deals_final"] = a["deals_final"] + a["replication"] % 3
            runs.append(a)
            series.append(t.assign(design_point=np.int32(point)))
    runs = pd.concat(runs, ignore_index=True)
    runs.drop(columns=[c for c in runs.columns if c.startswith("ally.")]).to_parquet(out / "runs.parquet")
    pd.concat(series, ignore_index=True).to_parquet(out / "timeseries.parquet")
    hub = "events.germany_withdrawal.hub_loss"
    pd.DataFrame([{"scenario": s, "design_point": np.int32(p), "label": a, "seed_point": 0,
                   hub: {0: 0.0, 1: 1.0}.get(p, np.nan)}
                  for s in SCENARIOS[1:] for p, a in enumerate(ARMS)]).to_parquet(out / "design.parquet")
    manifests = [json.loads((f / "manifest.json").read_text()) for f in run_folders[1:]]
    manifest = {**manifests[0], "command": "sweep", "scenarios": [m["scenario"] for m in manifests],
                "design": {"kind": "arms", "parameters": [hub], "design_points": len(ARMS)},
                "experiment": {"name": "bets", "resolved": {"compare": [{"a": "hub_lost", "b": "hub_kept"}]}}}
    manifest.pop("scenario")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return out


@pytest.fixture(scope="session")
def arms_report(arms_sweep) -> tuple[Path, dict[str, list[str]]]:
    """The arms sweep's report, with the layout of every figure checked as it is saved. One fan
    chart topic of six (each a figure per scenario; all six are drawn for the main report) keeps
    the test quick."""
    problems: dict[str, list[str]] = {}
    save = F.save
    # Each module of sim.report.figures saves through its own name for save: checked in all of them.
    families = [m for m in vars(F).values() if isinstance(m, types.ModuleType) and getattr(m, "save", None) is save]

    def checked(fig, out, name, title, caption):
        problems[name] = F.layout_problems(fig)
        return save(fig, out, name, title, caption)

    with pytest.MonkeyPatch.context() as mp:
        for family in families:
            mp.setattr(family, "save", checked)
        mp.setattr(F, "FAN_TOPICS", tuple(t for t in F.FAN_TOPICS if t[0] == "fan_deals"))
        report = build_report(arms_sweep, workers=1)  # in this process, where save is checked
    return report, problems


@pytest.mark.slow
def test_arms_report_opens_with_the_paired_comparisons(arms_report):
    report, _ = arms_report
    html = (report / "index.html").read_text()
    first = re.search(r'<figure id="fig-([^"]+)"', html).group(1)
    assert first == "comparisons", "the experiment's comparisons are the main figure of an arms sweep"
    assert (report / "figures" / "comparisons.png").stat().st_size > 10_000
    assert (report / "figures" / "comparisons.pdf").read_bytes().startswith(b"%PDF")
    caption = (report / "figures" / "comparisons.txt").read_text()
    assert "12 runs per arm" in caption and "95% interval" in caption and "computed from the runs" in caption
    table = pd.read_csv(report / "tables" / "comparisons.csv")
    assert set(table["comparison"]) == {"hub_lost - hub_kept"}, "exactly the experiment's compare pairs"
    assert set(table["scenario"]) == {"troops_to_poland", "further_withdrawals"}, "one row per scenario"
    deals = table[table["outcome"] == "deals_final"].set_index("scenario")
    assert deals["difference"].to_numpy() == pytest.approx([1.0, 1.0]), "mean of (replication % 3) over 12 pairs"
    assert (deals["pairs"] == RUNS).all() and (deals["low"] < 1.0).all() and (deals["high"] > 1.0).all()
    failure = table[table["outcome"] == "deterrence_failure"]
    assert (failure["difference"] == 0).all() and (failure["unit"] == "percentage points").all()


@pytest.mark.slow
def test_arms_report_figures_fit_the_page(arms_report):
    report, problems = arms_report
    assert len(problems) >= 8, f"every figure checked as it is saved, not only {sorted(problems)}"
    assert not {k: v for k, v in problems.items() if v}, "text past an edge, or overlapping titles or tick labels"
    for png in (report / "figures").glob("*.png"):
        height = int.from_bytes(png.read_bytes()[20:24], "big")
        assert height <= MAX_HEIGHT * 300, (png.name, height)
    # The fan charts: one figure per scenario, its arms side by side.
    assert "(Troops Go to Poland)" in (report / "figures" / "fan_deals.txt").read_text()
    assert "(Further Withdrawals)" in (report / "figures" / "fan_deals_2.txt").read_text()


def test_arms_keep_their_colour_in_every_scenario(arms_sweep):
    res = D.load_results([arms_sweep])
    assert res.groups[:3] == [f"troops_to_poland / {a}" for a in ARMS], "scenario, then arms in design order"
    colours = F.group_colours(res)
    assert [colours[f"further_withdrawals / {a}"] for a in ARMS] == list(ARM_COLOURS[:3])
    assert all(colours[f"troops_to_poland / {a}"] == colours[f"further_withdrawals / {a}"] for a in ARMS)
    assert F.group_marker(res, "further_withdrawals / spare") == "^", "the scenario's marker"


def test_compare_pairs_come_from_the_summary_when_it_is_current(arms_sweep, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(arms_sweep, folder, ignore=shutil.ignore_patterns("report"))
    (folder / "summary").mkdir()
    pd.DataFrame([{"comparison": "hub_lost - hub_kept", "a": "hub_lost", "b": "hub_kept", "scenario": s,
                   "design_point": None, "outcome": "deals_final", "unit": "allies", "n_pairs": 12,
                   "difference": 7.0, "ci_low": 6.0, "ci_high": 8.0} for s in SCENARIOS[1:]]
                 ).to_csv(folder / "summary" / "differences.csv", index=False)
    digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    info = {"confidence_level": 0.95, "source": {"manifest_sha256": digest}}
    (folder / "summary" / "manifest.json").write_text(json.dumps(info))
    res = D.load_results([folder])
    comp = D.comparisons(res)[0]
    assert (comp.scenario, comp.group_a, comp.group_b) == (
        "troops_to_poland", "troops_to_poland / hub_lost", "troops_to_poland / hub_kept")
    assert D.compared(res, comp, "deals_final") == (D.Estimate(7.0, 6.0, 8.0, 12), "summary")
    assert D.compared(res, comp, "cohesion_final")[1] == "runs", "an outcome the summary lacks"
    info["source"]["manifest_sha256"] = "0" * 64  # a summary of an earlier sweep in this folder
    (folder / "summary" / "manifest.json").write_text(json.dumps(info))
    res = D.load_results([folder])
    e, source = D.compared(res, D.comparisons(res)[0], "deals_final")
    assert source == "runs" and e.value == pytest.approx(1.0)


@pytest.mark.slow
def test_per_ally_outcomes_map_and_table_in_their_units(run_folders, tmp_path):
    folder = tmp_path / "allies"
    shutil.copytree(run_folders[1], folder)  # troops_to_poland
    runs = _ally_columns(pd.read_parquet(folder / "runs.parquet"))
    runs.to_parquet(folder / "runs.parquet")
    res = D.load_results([folder])
    figures, values = F.ally_maps(res, tmp_path)
    assert [f.name for f in figures] == ["map_allies", "map_allies_credibility", "map_allies_share"]
    assert "% of GDP" in figures[2].caption and "bilateral deal" in figures[0].caption
    assert "probability" in figures[1].caption
    units = values.drop_duplicates("metric").set_index("metric")["unit"].to_dict()
    assert units == {"deal": "probability", "credibility": "probability", "share": "% of GDP"}
    pol = values[values["iso3"] == "POL"].set_index("metric")
    assert pol.loc["share", "value"] == pytest.approx(runs["ally.POL.share"].mean())
    assert pol.loc["deal", "value"] == pytest.approx(runs["ally.POL.deal"].mean())
    assert pol.loc["deal", "low"] < pol.loc["deal", "value"] < pol.loc["deal", "high"], "Wilson interval"
    table = T.allies_table(res, values)
    assert table.headers[3:] == ["Deal (probability)", "95% interval", "Credibility (probability)", "95% interval",
                                 "Share (% of GDP)", "95% interval"]
    assert len(table.rows) == len(ALLIES) and "(% of GDP)" in table.caption


def test_outcomes_no_data_checks_are_labelled_indices():
    """Issue 13: an outcome no observed series checks is labelled a scenario-relative index in the
    report's tables; spending (fitted and scored) and the troops (inputs) are not."""
    from sim.model import outcomes
    from sim.report import data as D

    assert outcomes.evidence("spending_share_final") == outcomes.CALIBRATED
    assert outcomes.evidence("ally.POL.share") == outcomes.CALIBRATED
    assert outcomes.evidence("us_troops_europe_final") == outcomes.INPUT
    for name in ("deals_final", "probes", "deterrence_failure", "credibility_eastern_flank_final", "cohesion"):
        assert outcomes.evidence(name) == outcomes.INDEX
        assert D.unit_label(name).endswith("; index")
    assert D.unit_label("spending_share_final") == "% of GDP"
    assert not D.is_index("signpost.polish_basing_deal_before_june")
    assert D.unit_label("incursions.any") == "probability; index"
