"""Attribution by paired switch-off: the ingredients found, the arithmetic, the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis import attribution
from sim.cli import main
from sim.model.loading import load_scenario


def test_ingredients_are_the_futures_own_events_and_priors():
    ref = load_scenario("status_quo")
    got = {i.name: i.what for i in attribution.ingredients(load_scenario("troops_to_poland"), ref)}
    assert got == {"troop moves": "germany_withdrawal, long_range_fires_halted",
                   "basing deal": "polish_basing_deal", "guarantee policy": "payment_for_presence"}
    got = {i.name: i.what for i in attribution.ingredients(load_scenario("further_withdrawals"), ref)}
    assert got[attribution.PRIORS] == "patron.deal_appetite, allies.peer_weight"
    assert "trade coercion" in got and "exit" not in got
    # switched off means gone: the future without its priors has the reference's
    without = {i.name: i.without for i in attribution.ingredients(load_scenario("further_withdrawals"), ref)}
    assert without[attribution.PRIORS].patron.deal_appetite == ref.patron.deal_appetite
    assert all(e.kind != "trade_coercion" for e in without["trade coercion"].events)


def test_a_future_against_itself_has_no_ingredient():
    s = load_scenario("troops_to_poland")
    assert attribution.ingredients(s, s) == []


def test_effects_add_up_when_ingredients_do_not_interact():
    """A stand-in model whose outcome is the sum of fixed contributions of the events present
    (plus noise shared by the seeds): each effect is its contribution, the interaction zero."""
    contribution = {"germany_withdrawal": -0.02, "long_range_fires_halted": -0.01, "polish_basing_deal": 0.005,
                    "payment_for_presence": -0.05}

    def run(scenario, seeds):
        noise = np.random.default_rng(1).normal(0, 0.1, len(seeds))  # the same chance in every arm
        y = 0.6 + noise + sum(contribution.get(e.id, 0.0) for e in scenario.events)
        return {"credibility_final": y}

    rows = attribution.attribute(load_scenario("troops_to_poland"), load_scenario("status_quo"), range(50), run,
                                 ["credibility_final"])
    got = {r["ingredient"]: r["mean"] for r in rows}
    assert got["total"] == pytest.approx(-0.075)
    assert got["troop moves"] == pytest.approx(-0.03)
    assert got["basing deal"] == pytest.approx(0.005)
    assert got["guarantee policy"] == pytest.approx(-0.05)
    assert got["interaction"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.slow
def test_the_command_writes_its_folder_and_refuses_a_users(tmp_path, capsys):
    out = tmp_path / "attr"
    args = ["attribute", "troops_to_poland", "--replications", "20", "--outcomes", "credibility_final,probes",
            "--out", str(out)]
    assert main(args) == 0
    df = pd.read_csv(out / "attribution.csv")
    assert set(df["ingredient"]) == {"total", "troop moves", "basing deal", "guarantee policy", "interaction"}
    assert {"ci_low", "ci_high", "p05", "p95", "n_pairs"} <= set(df.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "attribute" and "attribution.png" in manifest["files"]
    first = (out / "attribution.csv").read_bytes()
    assert main(args) == 0  # an earlier attribution is replaced whole, with the same bytes
    assert (out / "attribution.csv").read_bytes() == first
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main([*args[:-1], str(mine)]) == 2
    assert "holds files deterrence did not write (notes.txt)" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_the_figure_draws_every_ingredient_of_a_small_table(tmp_path):
    from sim.analysis.attribution_figures import attribution_figure

    rows = []
    for ingredient, mean in (("total", -0.05), ("troop moves", -0.01), ("guarantee policy", -0.04), ("interaction", 0.0)):
        rows.append({"future": "troops_to_poland", "reference": "status_quo", "outcome": "credibility_final",
                     "ingredient": ingredient, "mean": mean, "ci_low": mean - 0.005, "ci_high": mean + 0.005})
    paths = attribution_figure(pd.DataFrame(rows), tmp_path / "attribution")
    assert [p.name for p in paths] == ["attribution.png", "attribution.pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_the_report_shows_an_attribution_and_who_pays_written_beside_the_results(tmp_path):
    """The report's attribution section reads DIR/attribution/ (deterrence attribute) and
    DIR/summary/who_pays_claims.parquet (deterrence summarize); with neither it says how to add them."""
    from types import SimpleNamespace

    from sim.report.attribution import NOT_BUILT, attribution

    folder, figs = tmp_path / "results", tmp_path / "figures"
    figs.mkdir()
    res = SimpleNamespace(folders=[folder])
    assert attribution(res, figs) is None and "deterrence attribute" in NOT_BUILT
    (folder / "attribution").mkdir(parents=True)
    rows = [{"future": "troops_to_poland", "reference": "status_quo", "outcome": o, "ingredient": i,
             "switched_off": "", "mean": m, "ci_low": m - 0.01, "ci_high": m + 0.01, "p05": m - 0.1, "p95": m + 0.1}
            for o in ("credibility_final", "probes") for i, m in (("total", -0.05), ("guarantee policy", -0.04),
                                                                  ("interaction", -0.01))]
    pd.DataFrame(rows).to_parquet(folder / "attribution" / "attribution.parquet")
    (folder / "attribution" / "manifest.json").write_text(json.dumps({"command": "attribute", "replications": 50,
                                                                        "root_seed": 7}))
    (folder / "summary").mkdir()
    pd.DataFrame([{"future": "further_withdrawals", "reference": "status_quo", "claim": "baltic_hit_first",
                   "text": "The Baltic states take the immediate hit", "contrast": -0.05, "ci_low": -0.06,
                   "ci_high": -0.04, "p05": -0.1, "p95": 0.01, "min_effect": 0.01, "verdict": "reversed"}]
                 ).to_parquet(folder / "summary" / "who_pays_claims.parquet")
    figures, tables = attribution(res, figs)
    assert [f.name for f in figures] == ["attribution"] and (figs / "attribution.png").is_file()
    assert [t.name for t in tables] == ["attribution", "who_pays"]
    from sim.report import data as D

    assert tables[0].rows[0][:2] == [D.display("troops_to_poland"), "total"] and "50 paired runs" in tables[0].caption
    assert tables[1].rows[0][-1] == "reversed"
