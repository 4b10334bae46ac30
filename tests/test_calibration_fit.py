"""The calibration (sim.calibration): its distance, that a fit never sees a year after its
origin, the posterior on disk and as a scenario's prior, and recovery of known parameters."""

from __future__ import annotations

import numpy as np
import pytest

pyabc = pytest.importorskip("pyabc")

from sim.calibration import fit, posterior  # noqa: E402
from sim.model.parameters import parameter_matrix  # noqa: E402


def test_distance_is_scaled_rmse_plus_count_difference():
    obs = np.array([[1.0, 2.5, np.nan], [1.5, 2.5, 3.0]])
    sim = np.array([[[1.3, 2.5, 9.0], [1.5, 2.2, 3.0]]])  # 2.2 drops below 2? no: count changes nowhere
    rmse = np.sqrt((0.3 ** 2 + 0.3 ** 2) / 5)
    assert fit.distance(sim, obs)[0] == pytest.approx(rmse / fit.SHARE_SCALE)
    sim2 = sim.copy()
    sim2[0, 0, 0] = 2.0  # one more ally at 2% in the first year (and 1.0 points off)
    rmse2 = np.sqrt((1.0 + 0.09) / 5)
    assert fit.distance(sim2, obs)[0] == pytest.approx(rmse2 / fit.SHARE_SCALE + 0.5 / fit.COUNT_SCALE)


def test_fit_targets_and_history_end_at_the_origin():
    t = fit.Target.nato(2019)
    assert t.years == list(range(2015, 2020))
    sc = fit.history_scenario(2019)
    assert sc.start == "2014-01" and sc.horizon_months == 72
    assert [e.id for e in sc.events] == ["crimea"]              # the 2022 invasion is not known in 2019
    assert "events.full_invasion.threat_change" not in fit.fitted_names(2021)
    assert "events.full_invasion.threat_change" in fit.fitted_names(2022)
    with pytest.raises(ValueError, match="2015 to 2025"):
        fit.Target.nato(2026)


@pytest.mark.slow
def test_a_fit_never_sees_a_year_after_its_origin(monkeypatch):
    """Replace every figure after 2017 with nonsense: the fit to 2017 is the same, bit for bit."""
    clean = fit.fit(fit.Target.nato(2017), particles=20, generations=2, seed=4, batch=(40, 200))
    real = fit.defence_share_history()
    garbage = {c: {y: (v if y <= 2017 else 99.0) for y, v in s.items()} for c, s in real.items()}
    monkeypatch.setattr(fit, "defence_share_history", lambda: garbage)
    dirty = fit.fit(fit.Target.nato(2017), particles=20, generations=2, seed=4, batch=(40, 200))
    assert np.array_equal(clean.particles, dirty.particles) and np.array_equal(clean.weights, dirty.weights)
    assert clean.info["years"] == [2015, 2017]


def _toy_posterior() -> posterior.Posterior:
    particles = np.array([[0.05, 0.3], [0.2, 1.2], [0.1, 0.6]])
    return posterior.Posterior(["allies.adjustment_speed", "allies.max_ramp"], particles,
                               np.array([0.2, 0.5, 0.3]), {"allies.adjustment_speed": (0.01, 0.3),
                                                           "allies.max_ramp": (0.1, 1.5)}, 2025, {"simulations": 9})


def test_posterior_round_trips_through_parquet_and_manifest(tmp_path):
    post = _toy_posterior()
    posterior.save(post, tmp_path / "p")
    back = posterior.load(tmp_path / "p")
    assert back.names == post.names and np.array_equal(back.particles, post.particles)
    assert np.array_equal(back.weights, post.weights) and back.priors == post.priors
    assert (tmp_path / "p" / "manifest.json").is_file()
    with pytest.raises(FileNotFoundError, match="shipped"):
        posterior.resolve(tmp_path / "nowhere")


def test_a_scenario_with_a_posterior_prior_draws_whole_particles(tmp_path):
    from sim.model.loading import load_scenario

    posterior.save(_toy_posterior(), tmp_path / "p")
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: status_quo\nname: calibrated\ntitle: t\nprior: {{posterior: {tmp_path / 'p'}}}\n")
    sc = load_scenario(path)
    names, values = parameter_matrix(sc, list(range(200)))
    pair = values[:, [names.index("allies.adjustment_speed"), names.index("allies.max_ramp")]]
    rows = {tuple(r) for r in pair.tolist()}
    assert rows <= {(0.05, 0.3), (0.2, 1.2), (0.1, 0.6)} and len(rows) == 3   # joint, never mixed
    # weights respected (0.5 for the second particle), and other parameters still drawn as before
    assert abs((pair[:, 0] == 0.2).mean() - 0.5) < 0.1
    base_names, base = parameter_matrix(load_scenario("status_quo"), list(range(200)))
    k = base_names.index("patron.deal_price")
    assert np.array_equal(base[:, k], values[:, names.index("patron.deal_price")])
    # a design that fixes one fitted parameter overrides it only
    _, fixed = parameter_matrix(sc, list(range(200)), {"allies.max_ramp": 0.9})
    assert (fixed[:, names.index("allies.max_ramp")] == 0.9).all()
    assert np.array_equal(fixed[:, names.index("allies.adjustment_speed")], pair[:, 0])


def test_a_missing_posterior_is_a_clear_error(tmp_path):
    from sim.model.loading import ScenarioError, load_scenario

    path = tmp_path / "s.yaml"
    path.write_text("extends: status_quo\nname: calibrated\ntitle: t\nprior: {posterior: calibration/nope}\n")
    with pytest.raises(ScenarioError, match="no posterior at 'calibration/nope'"):
        load_scenario(path)


def test_a_result_records_its_posterior_and_verify_notices_a_refit(tmp_path):
    """The manifest of a run names the posterior its scenario drew from with the sha256 of its
    particles; `verify` passes while that posterior is installed unchanged and says so when it
    has been refitted since (a rerun would give other numbers)."""
    import json

    from sim.experiments.montecarlo import run_monte_carlo
    from sim.experiments.results import sha256
    from sim.experiments.verify import verify
    from sim.model.loading import load_scenario

    posterior.save(_toy_posterior(), tmp_path / "p")
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: status_quo\nname: calibrated\ntitle: t\nprior: {{posterior: {tmp_path / 'p'}}}\n")
    run_monte_carlo(load_scenario(path), tmp_path / "r", runs=3, seed=1, progress=False, engine="fast")
    rec = json.loads((tmp_path / "r" / "manifest.json").read_text())["scenario"]["prior_posterior"]
    assert rec["sha256"] == sha256(tmp_path / "p" / posterior.FILE) and rec["particles"] == 3
    checked, problems = verify(tmp_path / "r")
    assert not problems and any("is the installed one" in c for c in checked)
    toy = _toy_posterior()
    toy.weights[:] = [0.2, 0.6, 0.2]
    posterior.save(toy, tmp_path / "p")
    _, problems = verify(tmp_path / "r")
    assert len(problems) == 1 and "refitted since" in problems[0]


@pytest.mark.slow
def test_fitted_parameters_are_recovered_from_the_models_own_histories():
    """10 synthetic histories to 2021, each from parameters drawn from the prior: each fitted
    parameter's true value lies inside its 90% credible interval in at least 8 of 10."""
    names = fit.fitted_names(2021)
    bounds = fit.uniform_bounds(fit.history_scenario(2021), names)
    rng = np.random.default_rng(2026)
    inside = np.zeros(len(names), dtype=int)
    for k in range(10):
        truth = {n: float(rng.uniform(*bounds[n])) for n in names}
        target = fit.synthetic_target(2021, truth, seed=1000 + k)
        post = fit.fit(target, particles=100, generations=3, seed=k, batch=(300, 3000))
        q = post.quantiles([0.05, 0.95])
        inside += [(q[0, j] <= truth[n] <= q[1, j]) for j, n in enumerate(names)]
    assert (inside >= 8).all(), dict(zip(names, inside.tolist(), strict=True))
