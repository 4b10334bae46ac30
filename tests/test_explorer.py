"""The explorer: its levers and model (fast), and the page end to end in headless Chromium, offline.

The end-to-end test starts ``deterrence explore`` as a user would, blocks every request that
does not go to this machine, moves a slider, resets and steps, and checks on the page that the
map and the series changed, with no error in the browser console. Its screenshot (1280x800)
is saved under the path it prints.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from sim.explorer.levers import LEVERS, MISSING, fixed_values
from sim.explorer.model import ExplorerModel, model_params, parse_seed
from sim.model.loading import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = Path(tempfile.gettempdir()) / "deterrence-screenshots" / "explorer.png"


# ---- levers and the model (no browser) ------------------------------------------------------------


def test_levers_set_the_scenarios_own_parameters():
    poland = load_scenario("troops_to_poland")
    europe = load_scenario("europe_accelerates")
    quo = load_scenario("status_quo")
    by_key = {lever.key: lever for lever in LEVERS}
    assert by_key["withdrawal_troops"].parameter(poland) == "events.germany_withdrawal.troops"
    assert by_key["withdrawal_troops"].parameter(quo) is None  # no withdrawal in the status quo
    assert by_key["conditionality_threshold"].parameter(poland) == "events.payment_for_presence.threshold"
    assert by_key["conditionality_threshold"].parameter(quo) == "patron.conditionality_threshold"
    assert by_key["programme_funding"].parameter(europe) == "events.sparta_as_eu_policy.funding_share"
    assert by_key["programme_funding"].parameter(poland) == "pillar.baseline_c2_funding"
    assert fixed_values(quo, {"withdrawal_troops": 9000, "deal_appetite": 0.5}) == {"patron.deal_appetite": 0.5}
    # the default is the median of the scenario's prior (threshold: uniform 3.0 to 3.5)
    assert by_key["conditionality_threshold"].default(poland) == pytest.approx(3.2)
    assert "Russia's risk tolerance" in MISSING


def test_model_takes_solaraviz_keywords_and_mesas_scenario():
    params = model_params("troops_to_poland")
    defaults = {k: v["value"] for k, v in params.items()}
    # SolaraViz's Reset adds Mesa's own Scenario object as scenario=: accepted, not the alliance's
    mesa_scenario = object()
    model = ExplorerModel(**defaults, scenario=mesa_scenario)
    assert model.spec.name == "troops_to_poland"
    assert model.levers["events.germany_withdrawal.troops"] == 5000
    big = ExplorerModel(**{**defaults, "withdrawal_troops": 30000})
    for m in (model, big):
        m.step()
    assert big.ally("DEU").us_troops < model.ally("DEU").us_troops
    assert any("30,000 troops" in e.text for e in big.narrator.entries)


def test_model_with_levers_drawn_is_the_sweeps_run():
    from sim.analysis.story import tell

    model = ExplorerModel(scenario_name="troops_to_poland", seed="11", draw_levers=True)
    for _ in range(24):
        model.step()
    story = tell(load_scenario("troops_to_poland"), 11, months=24)
    told, shown = story.outcomes, model.outcomes()
    assert all(told[k] == shown[k] or (math.isnan(told[k]) and math.isnan(shown[k])) for k in told)
    assert [e.text for e in model.narrator.entries] == [e.text for e in story.entries]


def test_bad_seed_and_scenario_are_shown_not_raised():
    model = ExplorerModel(scenario_name="no_such_scenario", seed="abc")
    assert model.spec.name == "troops_to_poland" and model.seed == 0
    assert any("no_such_scenario" in p for p in model.problems)
    assert any("'abc' is not a whole number" in p for p in model.problems)
    assert parse_seed(" 42 ") == (42, None)
    assert parse_seed(-1)[1] is not None


def test_stepping_past_the_horizon_stops():
    model = ExplorerModel(scenario_name="status_quo")
    model.horizon = 2  # a short run: Step at the horizon must not index past the records
    for _ in range(4):
        model.step()
    assert model.month == 1 and model.running is False


def test_explore_reports_missing_packages_clearly(monkeypatch, capsys):
    from sim import cli
    from sim.explorer import launch

    def missing():
        raise launch.ExplorerUnavailable("the explorer needs solara; install the explorer's packages: "
                                         "pip install -e '.[explore]'")

    monkeypatch.setattr(launch, "check_installation", missing)
    assert cli.main(["explore", "--no-browser"]) == 2
    assert "pip install -e '.[explore]'" in capsys.readouterr().err


# ---- the page, end to end -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the explorer exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"the explorer did not listen on port {port} within {seconds:.0f} s")


@pytest.fixture
def explorer():
    pytest.importorskip("solara", reason="the explorer's packages are not installed (pip install -e '.[explore]')")
    from sim.explorer.launch import ExplorerUnavailable, check_installation

    try:
        check_installation()
    except ExplorerUnavailable as err:
        pytest.skip(str(err))
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        # 'deterrence explore' replaces itself by the server: stopping this process stops it
        process = subprocess.Popen([sys.executable, "-m", "sim", "explore", "--no-browser", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            _wait_for_port(port, process, 90)
            yield f"http://127.0.0.1:{port}/", log
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_explorer_page_offline_slider_step_changes_map_and_series(explorer):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")
    url, server_log = explorer
    errors: list[str] = []
    blocked: list[str] = []
    missing: list[str] = []

    def local_only(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route("**/*", local_only)
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(url)
        log = page.locator(".deterrence-log")
        log.get_by_text("Nothing has happened yet").wait_for(timeout=90_000)
        map_view, series = page.locator(".deterrence-map img"), page.locator(".deterrence-series img")
        map_view.wait_for(timeout=30_000)
        before = map_view.screenshot(), series.screenshot()

        page.get_by_role("button", name="Step").click()
        log.get_by_text("relocation of 5,000 troops").wait_for(timeout=60_000)
        page.wait_for_timeout(500)  # the figures follow the log in the same update
        stepped = map_view.screenshot(), series.screenshot()

        slider = page.locator(".v-input", has_text="Withdrawal size (troops)").get_by_role("slider")
        slider.focus()
        slider.press("End")  # the largest withdrawal: 40,000 troops
        page.get_by_role("button", name="Reset").click()
        log.get_by_text("Nothing has happened yet").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step").click()
        log.get_by_text("relocation of 40,000 troops").wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        moved = map_view.screenshot(), series.screenshot()
        outcomes = page.locator(".deterrence-outcomes").inner_text()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # the scenario picker: another scenario at Reset (its Germany withdrawal goes home)
        page.locator(".v-select", has_text="Scenario").click()
        page.get_by_role("option", name="further_withdrawals").click()
        page.get_by_role("button", name="Reset").click()
        page.locator(".deterrence-outcomes").get_by_text("Further Withdrawals, Deterrence Fractures").wait_for(
            timeout=60_000)
        page.get_by_role("button", name="Step").click()
        log.get_by_text("withdrawal of 40,000 troops from Germany").wait_for(timeout=60_000)
        browser.close()
    print(f"explorer screenshot (1280x800): {SCREENSHOT}")
    server_log.seek(0)
    server_output = server_log.read().decode(errors="replace")
    assert not blocked, f"the page asked for assets off this machine: {blocked}"
    assert not missing, f"assets missing from the local copy: {missing}"
    assert not errors, f"browser console errors: {errors}"
    assert "Traceback" not in server_output, server_output[-3000:]
    assert stepped[0] != before[0] and stepped[1] != before[1], "a step did not redraw the map and series"
    assert moved[0] != stepped[0], "the map did not change with the withdrawal slider"
    assert moved[1] != stepped[1], "the series did not change with the withdrawal slider"
    assert "events.germany_withdrawal.troops = 40000" in outcomes
    assert SCREENSHOT.stat().st_size > 20_000


# ---- the figures and the page's modules (no browser) --------------------------------------------


def test_figures_change_as_the_run_goes():
    import io

    from sim.explorer.figures import map_figure, now, series_figure

    def png(fig) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    model = ExplorerModel(scenario_name="troops_to_poland", withdrawal_troops=30000)
    assert "not started" in now(model)
    first = png(map_figure(model, "credibility")), png(series_figure(model))
    model.step()
    assert "2026-05 (month 1 of 120)" in now(model)
    second = png(map_figure(model, "credibility")), png(series_figure(model))
    assert first[0] != second[0] and first[1] != second[1]
    assert png(map_figure(model, "strategy")) != second[0]


def test_page_modules_import_with_the_explore_extra():
    pytest.importorskip("solara", reason="the explorer's packages are not installed (pip install -e '.[explore]')")
    from sim.explorer import app, components

    assert [c for c, _ in components.COMPONENTS] == [components.AllyMap, components.MainSeries,
                                                      components.EventLog, components.Outcomes]
    assert callable(app.Page)


def test_the_plain_model_names_the_explorer_when_given_mesas_scenario():
    """SolaraViz's Reset passes Mesa's own Scenario as scenario=: AllianceModel says what to use."""
    from mesa.experimental.scenarios import Scenario as MesaScenario

    from sim.engines.mesa.model import AllianceModel

    with pytest.raises(TypeError, match="ExplorerModel"):
        AllianceModel(MesaScenario(), rng=1)
