"""Rolling-origin forecasts (sim.analysis.forecast): the scores, the baselines, and that the
model's forecast from an origin uses nothing published after it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis import forecast
from sim.model.world import defence_share_history


def brute_crps(x, w, y):
    w = w / w.sum()
    return (w * np.abs(x - y)).sum() - 0.5 * (w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum()


def test_crps_is_the_definition_with_and_without_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 37))
    y = rng.normal(size=4)
    w = rng.random(37)
    got = forecast.crps_sample(x, y, w)
    assert np.allclose(got, [brute_crps(x[k], w, y[k]) for k in range(4)], atol=1e-12)
    assert np.allclose(forecast.crps_sample(x, y), [brute_crps(x[k], np.ones(37), y[k]) for k in range(4)], atol=1e-12)
    # a point forecast scores its absolute error; a normal N(0, 1) at 0 scores about 0.234
    assert forecast.crps_sample(np.full((1, 5), 2.0), np.array([3.5]))[0] == pytest.approx(1.5)
    big = np.random.default_rng(0).normal(size=(1, 20000))
    assert forecast.crps_sample(big, np.array([0.0]))[0] == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi), abs=0.01)


HIST = {"BEL": {2014: 1.0, 2015: 1.1, 2016: 1.2, 2017: 1.3, 2018: 1.5, 2019: 1.6},
        "DNK": {2014: 2.0, 2015: 2.0, 2016: 2.0, 2017: 2.0, 2018: 2.2, 2019: 2.1}}


def test_persistence_ranges_are_its_past_changes():
    f = forecast.persistence(2017, 1, ["BEL", "DNK"], HIST)
    assert f.point.tolist() == [1.3, 2.0] and f.observed.tolist() == [1.5, 2.2]
    # the one-year changes up to 2017 of both allies: 0.1 x 3 and 0 x 3
    assert sorted(np.round(f.samples[0] - 1.3, 9).tolist()) == [0.0] * 3 + [0.1] * 3


def test_trend_extends_the_slope_and_ranges_its_own_past_errors():
    f = forecast.trend(2017, 2, ["BEL"], HIST)
    assert f.point[0] == pytest.approx(1.3 + 2 * 0.1)
    # past two-year trend errors: from 2015 (slope 0.1) to 2017 for both allies: BEL 0, DNK 0
    assert np.allclose(f.samples[0] - f.point[0], 0.0)
    s = f.scores()
    # BEL 2019 was 1.6: an error of 0.1 that a range of width 0 misses
    assert s["mae"] == pytest.approx(0.1) and s["coverage_90"] == 0.0 and s["width_90"] == pytest.approx(0.0)


def test_origin_scenario_knows_only_the_origin_and_the_shocks_in_its_window():
    for origin in forecast.ORIGINS:
        sc = forecast.origin_scenario(origin)
        assert sc.world.calibration_year == origin and sc.start == f"{origin + 1}-01"
        assert all(f"{origin + 1}-01" <= e.month <= f"{origin + 2}-12" for e in sc.events)
    assert [e.id for e in forecast.origin_scenario(2021).events] == ["full_invasion"]
    assert forecast.origin_scenario(2019).events == []


def test_scored_allies_have_figures_at_both_ends():
    hist = defence_share_history()
    codes = forecast.scored_allies(2023, 2, hist)
    assert "DEU" not in codes and "ISL" not in codes and "POL" in codes   # Germany 2025 is blank
    assert "DEU" in forecast.scored_allies(2023, 1, hist)


def test_validate_model_refuses_an_out_that_is_a_file(tmp_path, capsys):
    from sim.cli import main

    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["validate-model", "--quick", "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_model_forecast_draws_its_parameters_from_the_posterior():
    """With a posterior whose only particle has no yearly ramp, no ally's share can move: the
    model's forecast is the origin's share exactly, in every run."""
    from sim.calibration.posterior import Posterior

    still = Posterior(["allies.max_ramp", "events.crimea.threat_change"], np.array([[0.0, 0.2]]), np.array([1.0]),
                      {"allies.max_ramp": (0.0, 1.0), "events.crimea.threat_change": (0.0, 1.0)}, 2019)
    hist = defence_share_history()
    codes = {1: forecast.scored_allies(2019, 1, hist), 2: forecast.scored_allies(2019, 2, hist)}
    one, two = forecast.model_forecasts(2019, still, codes, hist, runs=6, seed=1)
    origin = np.array([hist[c][2019] for c in codes[2]])
    assert (one.horizon, two.horizon) == (1, 2) and two.samples.shape == (len(codes[2]), 6)
    assert np.allclose(two.samples, origin[:, None], atol=1e-12)
    assert np.allclose(two.point, forecast.persistence(2019, 2, codes[2], hist).point, atol=1e-12)


def test_the_skill_table_names_every_method_in_order():
    """The validation report's skill table (sim.analysis.validation): a row per origin, horizon
    and method, the model first, then persistence and the trend; the quick settings do less."""
    from sim.analysis.validation import METHODS, Settings, skill_markdown

    quick, full = Settings.quick(), Settings.full()
    assert quick.particles < full.particles and quick.runs < full.runs
    row = {"origin": 2019, "horizon": 1, "allies": 30, "mae": 0.1, "crps": 0.07, "coverage_50": 0.5,
           "coverage_90": 0.9, "width_90": 0.4}
    text = skill_markdown([{**row, "method": m} for m in METHODS])
    assert text.count("\n| 2019 | +1 |") == len(METHODS)
