"""One run's story (sim/analysis/story.py, 'deterrence story'): the run told is the run recorded.

The main check: a sweep (fast engine, a grid design and the experiment's own fixed values) and
a 'deterrence run' folder are written, and the story of a row, rerun on the Mesa engine from
the folder alone, has exactly that row's outcomes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim import cli
from sim.analysis.story import TOPICS, Narrator, StoryInputError, recorded_run, tell, tell_recorded
from sim.model.loading import load_scenario

MONTHS = 24
SCENARIO = f"""\
extends: troops_to_poland
name: poland_short
title: "Troops to Poland, {MONTHS} months"
horizon_months: {MONTHS}
"""
EXPERIMENT = """\
name: story_grid
title: "A small grid to tell runs of"
scenarios: [poland_short.yaml]
replications: 2
seed: 7
timeseries_runs: 0
fixed:
  patron.deal_appetite: 0.6
design:
  kind: grid
  parameters:
    events.germany_withdrawal.troops: {values: [0, 20000]}
"""


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "poland_short.yaml").write_text(SCENARIO)
    (folder / "story_grid.yaml").write_text(EXPERIMENT)
    return folder


@pytest.fixture(scope="module")
def sweep(short, tmp_path_factory) -> Path:
    from sim.experiments.experiment import load_experiment
    from sim.experiments.sweep import run_sweep

    out = tmp_path_factory.mktemp("sweep") / "out"
    run_sweep(load_experiment(short / "story_grid.yaml"), out, workers=1, engine="fast", progress=False)
    return out


@pytest.fixture(scope="module")
def run_folder(short, tmp_path_factory) -> Path:
    """'deterrence run' of the short scenario: 2 runs, Mesa engine (the sweep above uses the fast one)."""
    out = tmp_path_factory.mktemp("run") / "out"
    assert cli.main(["run", str(short / "poland_short.yaml"), "--runs", "2", "--seed", "5", "--out", str(out),
                     "--quiet", "--engine", "mesa"]) == 0
    return out


@pytest.fixture(scope="module")
def story(short):
    return tell(load_scenario(short / "poland_short.yaml"), seed=3)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# ---- the log ---------------------------------------------------------------------------------------


def test_the_log_is_dated_and_tells_the_scenarios_events_first(story):
    first = [e for e in story.entries if e.month == 0]
    assert first[0].date == "2026-05" and first[0].topic == "event"
    assert "relocation of 5,000 troops from Germany to Poland" in first[0].text
    texts = [e.text for e in first]
    assert any(t.startswith("US policy towards every ally: guarantee without conditions -> conditional on")
               for t in texts)
    assert any(e.topic == "troops" and "Germany 38,000 -> " in e.text for e in first)
    assert {e.topic for e in story.entries} <= set(TOPICS)
    assert [e.month for e in story.entries] == sorted(e.month for e in story.entries)
    assert story.entries[-1].date <= "2028-04"  # 24 months from 2026-05


def test_every_move_and_its_answer_is_told(story):
    moves = [e for e in story.entries if e.topic == "move"]
    assert len(moves) == story.outcomes["probes"] + story.outcomes["incursions"]
    assert all(("answer" in e.text) for e in moves)
    unanswered = sum("probes" in e.text and ("neither" in e.text or "the US does not" in e.text) for e in moves)
    assert unanswered == story.outcomes["probes_unanswered"]


def test_deals_granted_and_ended_add_up_to_the_deals_held(story):
    granted = sum(("is granted it" in e.text or "holds a deal through its basing" in e.text) for e in story.entries)
    ended = sum(("deal ends" in e.text) for e in story.entries)
    assert granted - ended == story.outcomes["deals_final"]


def test_signposts_are_told_in_the_month_they_are_reached(story):
    for key, value in story.outcomes.items():
        if key.startswith("signpost.") and not key.endswith(".month") and value == 1:
            sid = key.removeprefix("signpost.")
            month = int(story.outcomes[f"{key}.month"])
            told = [e for e in story.entries if e.topic == "signpost" and f"[{sid}]" in e.text]
            assert [e.month for e in told] == [month]


def test_the_per_ally_series_are_the_models_state(story):
    series = story.ally_series
    assert series["credibility"].shape == (MONTHS, 31)
    i = story.iso3.index("POL")
    assert series["us_troops"][-1, i] == pytest.approx(8000 + 5000)  # the relocation has arrived
    assert series["holds_deal"][-1].sum() == story.outcomes["deals_final"]
    assert series["credibility"][-1, i] == story.outcomes["ally.POL.credibility"]


def test_the_same_seed_tells_the_same_story(short, story):
    again = tell(load_scenario(short / "poland_short.yaml"), seed=3)
    assert again.text() == story.text()
    other = tell(load_scenario(short / "poland_short.yaml"), seed=4)
    assert other.text() != story.text()


def test_the_narrator_only_reads_the_model(short):
    from sim.engines.mesa.model import AllianceModel

    spec = load_scenario(short / "poland_short.yaml")
    watched, alone = AllianceModel(spec, rng=9), AllianceModel(spec, rng=9)
    narrator = Narrator(watched)
    for _ in range(MONTHS):
        watched.step()
        narrator.observe()
        alone.step()
    a, b = watched.outcomes(), alone.outcomes()
    assert all(_same(a[k], b[k]) for k in a)


EVERY_KIND = """\
extends: status_quo
name: every_kind
title: "Every event kind, told"
horizon_months: 3
events:
  - {id: w, kind: withdrawal, month: 2026-05, host: DEU, troops: 1000, duration_months: 2, announce: false}
  - {id: r, kind: relocation, month: 2026-05, host: ITA, to: LTU, troops: 600, hub_loss: 0.25}
  - {id: g, kind: guarantee, month: 2026-05, conditional: true, threshold: 2.5, strictness: 0.5}
  - {id: u, kind: guarantee, month: 2026-06, conditional: false, hosts: [EST, LVA]}
  - {id: b, kind: basing_deal, month: 2026-05, host: ROU, price: 0.3, troops: 400, duration_months: 2}
  - {id: e, kind: eu_budget, month: 2026-05, multiplier: 1.5}
  - {id: c, kind: sovereign_c2, month: 2026-05, years: 4, funding_share: 0.8}
  - {id: h, kind: halt_deployment, month: 2026-06, host: POL, troops: 300}
  - {id: t, kind: trade_coercion, month: 2026-06}
  - {id: x, kind: exit_notice, month: 2026-07}
  - {id: s, kind: threat_shock, month: 2026-07, absorption_change: -0.1, threat_change: 0.2}
"""
PHRASES = {
    "w": "US withdrawal of 1,000 troops from Germany, over 2 months [w] (not announced)",
    "r": "US relocation of 600 troops from Italy to Lithuania, over 9 months; 25% of its value as a logistics hub lost",
    "g": "US guarantee made conditional on spending 2.50% of GDP (strictness 0.50), for every ally",
    "u": "US pledges an unconditional guarantee to Estonia, Latvia",
    "b": "Romania concludes a basing deal with the US, paying 0.30% of GDP a year; 400 more US troops over 2 months",
    "e": "EU-level defence funds multiplied by 1.50",
    "c": "sovereign command-and-control programme launched: 4.0 years if fully funded, funding at least 80%",
    "h": "US halts a planned deployment of 300 troops to Poland",
    "t": "US tariffs raised from 15% to 25%",
    "x": "US gives notice of leaving the alliance",
    "s": "threat shock: share of Russian force absorbed -0.10, perceived threat x1.20",
}


def test_every_event_kind_is_told_in_words(tmp_path):
    path = tmp_path / "every_kind.yaml"
    path.write_text(EVERY_KIND)
    story = tell(load_scenario(path), seed=1)
    events = {e.text.split("[")[1].split("]")[0]: e for e in story.entries if e.topic == "event"}
    assert set(events) == set(PHRASES)
    for eid, phrase in PHRASES.items():
        assert phrase in events[eid].text
    policy = [e.text for e in story.entries if e.topic == "policy"]
    assert "US policy towards Estonia, Latvia: conditional on 2.50% of GDP (strictness 0.50) -> unconditional pledge" \
        in policy
    assert any("notice of exit given" in t for t in policy)
    assert any(e.topic == "deal" and "Romania holds a deal through its basing agreement" in e.text
               for e in story.entries)


# ---- the run a folder recorded ---------------------------------------------------------------------


@pytest.mark.slow  # the sweep on the fast engine loads its compiled kernels (seconds)
def test_a_sweeps_row_is_told_with_its_design_points_values_and_the_same_outcomes(sweep):
    rows = pq.read_table(sweep / "runs.parquet").to_pylist()
    assert len(rows) == 4
    for row in (1, 3):  # a run at each design point
        run = recorded_run(sweep, row)
        assert run.fixed == {"patron.deal_appetite": 0.6,
                             "events.germany_withdrawal.troops": [0.0, 20000.0][run.design_point]}
        story = tell_recorded(sweep, row)
        assert story.seed == rows[row]["seed"]
        assert story.recorded and story.differences() == {}
        assert story.parameters["events.germany_withdrawal.troops"] == rows[row]["events.germany_withdrawal.troops"]
    assert any("relocation of 20,000 troops" in e.text for e in story.entries)


def test_a_changed_outcome_is_reported_as_a_difference(run_folder):
    story = tell_recorded(run_folder, 0)
    assert story.recorded and story.differences() == {}
    name = "deals_final"
    story.recorded = {**story.recorded, name: story.recorded[name] + 1}
    assert list(story.differences()) == [name]


def test_folder_errors_name_the_problem(run_folder, tmp_path):
    with pytest.raises(StoryInputError, match=r"has 2 rows, numbered 0 to 1"):
        recorded_run(run_folder, 2)
    with pytest.raises(StoryInputError, match=r"manifest\.json: not found"):
        recorded_run(tmp_path, 0)
    import json
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run_folder, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["scenario"]["resolved"]["patron"]["no_longer_a_field"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoryInputError, match="is not valid in this version"):
        recorded_run(old, 0)


# ---- the command ---------------------------------------------------------------------------------


def test_story_command_of_a_run_folder_prints_the_log_and_checks_the_row(short, run_folder, tmp_path, capsys):
    out = run_folder
    assert cli.main(["story", str(out), "--run", "1"]) == 0
    text = capsys.readouterr().out
    assert "2026-05  event     US relocation of 5,000 troops" in text
    assert "runs.parquet row 1 (design point 0, replication 1)" in text
    assert "the same outcomes as recorded in runs.parquet (" in text and "all equal" in text
    seed = pq.read_table(out / "runs.parquet").column("seed")[1].as_py()
    assert cli.main(["story", str(short / "poland_short.yaml"), "--seed", str(seed), "--topics", "move"]) == 0
    by_seed = capsys.readouterr().out
    moves = [line for line in text.splitlines() if "  move  " in line]
    assert [line for line in by_seed.splitlines() if "  move  " in line] == moves
    assert "  event  " not in by_seed


@pytest.mark.parametrize(("args", "message"), [
    (["story", "{folder}"], "say which run with --run N"),
    (["story", "{folder}", "--run", "0", "--seed", "1"], "--seed goes with a scenario"),
    (["story", "troops_to_poland"], "give the run's seed with --seed S"),
    (["story", "troops_to_poland", "--seed", "1", "--run", "0"], "--run goes with a result folder"),
    (["story", "troops_to_poland", "--seed", "1", "--out", "x.jpg"], "written as .png, .svg, .pdf"),
    (["story", "troops_to_poland", "--seed", "1", "--topics", "deal,gossip"], "unknown gossip; allowed: event"),
    (["story", "no_such_scenario", "--seed", "1"], "no scenario named 'no_such_scenario'"),
])
def test_story_command_bad_input_is_a_message_and_exit_2(args, message, tmp_path, capsys):
    args = [a.format(folder=tmp_path) for a in args]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_the_figure_is_written_and_the_same_bytes_for_the_same_run(run_folder, tmp_path, capsys):
    figures = [tmp_path / "a.svg", tmp_path / "b.svg", tmp_path / "c.png"]
    for figure in figures:
        assert cli.main(["story", str(run_folder), "--run", "0", "--out", str(figure)]) == 0
        assert f"wrote {figure}" in capsys.readouterr().out
    assert figures[0].read_bytes() == figures[1].read_bytes()
    assert b"Poland" in figures[0].read_bytes()
    assert figures[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
