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


# ---- the model dressed with its own past errors (issue 13: ranges that carry what the model lacks)

def _still_posterior(year: int):
    """A posterior whose only particle has no yearly ramp: no ally's share can move in a run."""
    from sim.calibration.posterior import Posterior

    return Posterior(["allies.max_ramp", "events.crimea.threat_change"], np.array([[0.0, 0.2]]), np.array([1.0]),
                     {"allies.max_ramp": (0.0, 1.0), "events.crimea.threat_change": (0.0, 1.0)}, year)


def test_own_errors_of_a_model_that_never_moves_are_the_past_changes():
    """A model that keeps every share still errs, from each earlier year t, by exactly the change
    from t to t + h: its pooled own errors are persistence's past changes, ally by ally."""
    hist = defence_share_history()
    errors = forecast.hindcast_errors(2017, _still_posterior(2017), hist, runs=4, seed=2)
    for h in forecast.HORIZONS:
        changes = [hist[c][t + h] - hist[c][t] for t in range(forecast.FIRST_YEAR, 2017 - h + 1)
                   for c in forecast.scored_allies(t, h, hist)]
        assert len(errors[h]) == len(changes) > 0
        assert np.allclose(np.sort(errors[h]), np.sort(changes), atol=1e-12)


def test_dressing_adds_one_past_error_to_each_member():
    f = forecast.Forecast("model", 2019, 1, ["BEL", "DNK"], np.array([1.5, 2.2]), np.array([1.3, 2.0]),
                          np.array([[1.3, 1.3, 1.3, 1.3], [2.0, 2.0, 2.0, 2.0]]))
    d = forecast.dress(f, np.array([-0.2, 0.1, 0.4]), seed=5)
    assert d.method == forecast.DRESSED and d.samples.shape == f.samples.shape
    assert set(np.round(d.samples - f.samples, 9).ravel()) <= {-0.2, 0.1, 0.4}
    assert np.array_equal(d.point, np.median(d.samples, axis=1))
    assert np.array_equal(d.samples, forecast.dress(f, np.array([-0.2, 0.1, 0.4]), seed=5).samples)
    with pytest.raises(ValueError, match="no past errors"):
        forecast.dress(f, np.array([]))


def test_dressed_ranges_never_read_a_figure_after_the_origin():
    """Every NATO figure after the origin replaced with nonsense: the same model ranges and the
    same dressed ranges, bit for bit (only the observed figures they are scored on change)."""
    from sim.calibration.posterior import Posterior

    hist = defence_share_history()
    spoiled = {c: {y: (v if y <= 2017 else 99.0 - v) for y, v in s.items()} for c, s in hist.items()}
    post = Posterior(["allies.max_ramp", "allies.adjustment_speed"], np.array([[0.4, 0.1], [0.9, 0.2]]),
                     np.array([0.5, 0.5]), {"allies.max_ramp": (0.0, 1.5), "allies.adjustment_speed": (0.01, 0.3)},
                     2017)
    codes = {h: forecast.scored_allies(2017, h, hist) for h in forecast.HORIZONS}
    true = forecast.model_variants(2017, post, codes, hist, runs=12, seed=4, hindcast_runs=8)
    fake = forecast.model_variants(2017, post, codes, spoiled, runs=12, seed=4, hindcast_runs=8)
    assert [f.method for f in true] == ["model", "model", forecast.DRESSED, forecast.DRESSED]
    for a, b in zip(true, fake, strict=True):
        assert np.array_equal(a.samples, b.samples) and np.array_equal(a.point, b.point)
        assert not np.array_equal(a.observed, b.observed)
    # the dressing does widen the ranges: the raw ensemble of two particles is far narrower
    assert true[2].scores()["width_90"] > 2 * true[0].scores()["width_90"]


def test_budget_laws_count_from_the_origin_they_were_made_by():
    assert forecast.laws_made_by(2024) == []
    laws = forecast.laws_made_by(2025)
    assert sorted(law["ally"] for law in laws) == ["DEU", "LTU", "POL"]
    sc = forecast.origin_scenario(2025, 2, laws=laws)
    floors = {e.ally: (e.month, next(iter(e.path.values()))) for e in sc.events if e.kind == "budget_law"}
    # Germany's 2025 floor holds until its next listed year (2029, after the window); Poland's
    # 2026 budget replaces its 2025 one; all start with the forecast
    assert floors == {"DEU": ("2026-01", 2.4), "POL": ("2026-01", 4.8), "LTU": ("2026-01", 5.38)}
    # a law is never given to an origin before it was made
    assert all(e.kind != "budget_law" for e in forecast.origin_scenario(2023, 2, laws=laws).events)


def test_forecast_of_the_unpublished_years_has_every_method_and_ordered_ranges():
    hist = defence_share_history()
    made = forecast.future_forecasts(_still_posterior(2025), runs=6, hindcast_runs=4, seed=1)
    assert sorted({(f.method, f.origin + f.horizon) for f in made}) == sorted(
        (m, y) for m in forecast.METHODS for y in (2026, 2027))
    rows = [r for f in made for r in f.ranges()]
    assert {r["ally"] for r in rows} == {c for c in forecast.ALLIES if hist.get(c, {}).get(2025, 0) > 0}
    assert all(np.isnan(f.observed).all() for f in made)
    for r in rows:
        assert r["low_90"] <= r["low_50"] <= r["median"] <= r["high_50"] <= r["high_90"]
    # a model that cannot move (no ramp) keeps each ally at its 2025 share, laws or not
    raw = next(f for f in made if f.method == "model" and f.horizon == 2)
    assert np.allclose(raw.point, [hist[c][2025] for c in raw.codes], atol=1e-12)


def test_the_verdict_counts_each_model_variant():
    from sim.analysis.validation import future_markdown, verdict_markdown, verdicts

    crps = {"model": 0.3, forecast.DRESSED: 0.1, "persistence": 0.2, "trend": 0.25}
    rows = [{"origin": o, "horizon": 1, "allies": 10, "method": m, "mae": 0.1, "crps": c, "coverage_50": 0.5,
             "coverage_90": 0.9 if m == forecast.DRESSED else 0.4, "width_90": 0.4}
            for o in (2017, 2019) for m, c in crps.items()]
    v = verdicts(rows)
    assert v["beats_persistence"] == 0 and v["coverage_90"] == pytest.approx(0.4)
    assert v["models"][forecast.DRESSED]["beats_persistence"] == 2 and v["models"][forecast.DRESSED]["beats_trend"] == 2
    assert "| model + own errors | 2 of 2 | 2 of 2 | 50% | 90% |" in verdict_markdown(v)
    cell = {"origin": 2025, "year": 2026, "ally": "POL", "point": 4.6, "median": 4.6, "low_50": 4.5,
            "high_50": 4.7, "low_90": 4.3, "high_90": 4.9}
    text = future_markdown([{**cell, "method": m} for m in forecast.METHODS])
    assert text.splitlines()[2] == "| POL | 2026 | " + " | ".join(["4.60 (4.50-4.70; 4.30-4.90)"] * 4) + " |"


@pytest.mark.slow
def test_validation_folder_carries_the_forecast_of_2026_2027(tmp_path):
    """A tiny validation run (one origin, small fits): the future forecast is written as a CSV
    listed in the manifest, and the report has the verdict of each model variant and the table."""
    pytest.importorskip("pyabc")
    import csv
    import json

    from sim.analysis.validation import FUTURE_COLUMNS, Settings, write_report

    result = write_report(tmp_path, Settings(particles=20, generations=1, runs=20, hindcast_runs=10),
                          origins=(2017,), progress=lambda m: None)
    assert set(result["models"]) == {"model", forecast.DRESSED} and result["cases"] == 2
    with open(tmp_path / "forecast_2026_2027.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(FUTURE_COLUMNS)
    allies = {c for c in forecast.ALLIES if defence_share_history().get(c, {}).get(2025, 0) > 0}
    assert len(rows) == len(allies) * 2 * len(forecast.METHODS)
    assert {(r["method"], r["year"]) for r in rows} == {(m, str(y)) for m in forecast.METHODS for y in (2026, 2027)}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "forecast_2026_2027.csv" in manifest["files"] and manifest["future"]["origin"] == 2025
    report = (tmp_path / "validation.md").read_text()
    assert "| model + own errors | " in report and "| POL | 2026 | " in report
