"""Sensitivity analysis with chance as a pseudo-parameter: Sobol indices (Saltelli 2010 first
order, Jansen 1999 total) and Morris elementary effects, checked against their closed forms and
against SALib on the same numbers, and through whole sweeps where chance is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.analysis.sensitivity import elementary_effects, morris, morris_step, sobol
from sim.analysis.statistics import summarize, write_summary
from sim.engines import runner
from sim.experiments.design import CHANCE, morris_trajectories
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import run_sweep

salib_sobol = pytest.importorskip("SALib.analyze.sobol")
salib_morris = pytest.importorskip("SALib.analyze.morris")
from SALib.sample import morris as morris_sample  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402
from SALib.test_functions import Ishigami  # noqa: E402

# ---- Ishigami: closed form, ours and SALib's -------------------------------------------------

# Ishigami and Homma (1990), a = 7, b = 0.1, x uniform on [-pi, pi]^3: V = a^2/8 + b pi^4/5 +
# b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V13 = b^2 pi^8 (1/18 - 1/50).
_A, _B = 7.0, 0.1
_V = _A**2 / 8 + _B * np.pi**4 / 5 + _B**2 * np.pi**8 / 18 + 0.5
_V1, _V2, _V13 = (1 + _B * np.pi**4 / 5) ** 2 / 2, _A**2 / 8, _B**2 * np.pi**8 * (1 / 18 - 1 / 50)
ISHIGAMI_S1 = np.array([_V1, _V2, 0.0]) / _V
ISHIGAMI_ST = np.array([_V1 + _V13, _V2, _V13]) / _V
PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def blocks(y: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SALib's layout (per base point: A, AB_1..AB_d, B) as blocks A, B, AB."""
    y = y.reshape(-1, d + 2)
    return y[:, 0], y[:, -1], y[:, 1:-1].T


def overlap(low1, high1, low2, high2) -> bool:
    return bool(np.all(np.maximum(low1, low2) <= np.minimum(high1, high2)))


def test_ishigami_indices_match_the_closed_form_and_salib():
    assert np.allclose(ISHIGAMI_S1, [0.3139, 0.4424, 0.0], atol=1e-4)  # the published values
    assert np.allclose(ISHIGAMI_ST, [0.5576, 0.4424, 0.2437], atol=1e-4)
    x = sobol_sample.sample(PROBLEM, 2048, calc_second_order=False, seed=3)
    y = Ishigami.evaluate(x)
    ours = sobol(*blocks(y, 3), resamples=300, rng=np.random.default_rng(3))
    theirs = salib_sobol.analyze(PROBLEM, y, calc_second_order=False, num_resamples=300, seed=3)
    for est, truth, low, high, salib, conf in (
            ("first", ISHIGAMI_S1, ours["first_low"], ours["first_high"], theirs["S1"], theirs["S1_conf"]),
            ("total", ISHIGAMI_ST, ours["total_low"], ours["total_high"], theirs["ST"], theirs["ST_conf"])):
        point = ours[f"{est}_order"]
        assert np.all(low <= truth + 0.01) and np.all(truth - 0.01 <= high), (est, low, high)
        assert np.all(np.abs(salib - truth) <= conf + 0.01), (est, salib, conf)
        assert np.allclose(point, truth, atol=0.04) and np.allclose(salib, truth, atol=0.04)
        assert overlap(low, high, salib - conf, salib + conf), est
    # Jansen's total index does not depend on where the outputs are centred: SALib's is ours.
    assert np.allclose(ours["total_order"], theirs["ST"], rtol=1e-10)


def test_sobol_indices_of_an_effectless_parameter_are_exactly_zero_when_chance_is_shared():
    # y = x1 + noise: with the same noise in A and AB_2, x2's total index is 0, not the noise's share.
    rng = np.random.default_rng(2)
    n = 512
    a, b, noise_a, noise_b = rng.random((n, 2)), rng.random((n, 2)), rng.normal(size=n), rng.normal(size=n)
    f = lambda x, e: x[:, 0] + 0.3 * e  # noqa: E731
    ab = [f(np.column_stack([b[:, 0], a[:, 1]]), noise_a), f(np.column_stack([a[:, 0], b[:, 1]]), noise_a),
          f(a, noise_b)]  # AB_1, AB_2, AB:chance
    res = sobol(f(a, noise_a), f(b, noise_b), np.array(ab), resamples=0)
    chance_share = 0.09 / (1 / 12 + 0.09)
    assert res["total_order"][1] == 0.0 and res["first_order"][1] == 0.0
    assert abs(res["total_order"][2] - chance_share) < 0.08
    assert abs(res["total_order"][0] - (1 - chance_share)) < 0.08


# ---- Morris: the sampler and the analyzer against SALib ---------------------------------------


def test_morris_trajectories_move_each_factor_once_by_one_step_on_the_grid():
    r, d, levels = 20, 4, 4
    grid, seed_points, moved = morris_trajectories(r, d, levels, np.random.default_rng(0))
    delta = morris_step(levels)
    grid, moved, seed_points = grid.reshape(r, d + 2, d + 1), moved.reshape(r, d + 2), seed_points.reshape(r, d + 2)
    assert np.allclose(grid * (levels - 1), np.round(grid * (levels - 1)))  # on the grid of levels
    assert grid.min() >= 0 and grid.max() <= 1
    for t in range(r):
        assert moved[t, 0] == -1 and sorted(moved[t, 1:]) == list(range(d + 1))
        steps = np.diff(grid[t], axis=0)
        for s, factor in enumerate(moved[t, 1:]):
            assert np.isclose(abs(steps[s, factor]), delta) and np.count_nonzero(steps[s]) == 1
        # The seed changes exactly where chance (factor d) moves, and nowhere else.
        chance_step = int(np.flatnonzero(moved[t] == d)[0])
        assert (seed_points[t, :chance_step] == 2 * t).all() and (seed_points[t, chance_step:] == 2 * t + 1).all()


def _salib_morris(grid: np.ndarray, y: np.ndarray, k: int, levels: int):
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    return salib_morris.analyze(problem, grid, y, num_levels=levels, num_resamples=500, seed=1)


def test_morris_effects_match_salib_on_its_own_sample_and_on_ours():
    k, levels = 4, 4
    f = lambda x: 3 * x[:, 0] + 4 * x[:, 1] ** 2 + x[:, 0] * x[:, 2]  # noqa: E731  (x3 only with x0)
    for source in ("salib", "ours"):
        if source == "salib":
            problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
            grid = morris_sample.sample(problem, 30, num_levels=levels, seed=4)
            steps = np.diff(grid.reshape(30, k + 1, k), axis=1)
            moved = np.concatenate([np.full((30, 1), -1), np.argmax(steps != 0, axis=2)], axis=1)
            direction = np.concatenate([np.ones((30, 1)), np.sign(steps.sum(axis=2))], axis=1)
        else:
            grid, _, moved = morris_trajectories(30, k - 1, levels, np.random.default_rng(4))
            moved = moved.reshape(30, k + 1)
            steps = np.diff(grid.reshape(30, k + 1, k), axis=1)
            direction = np.concatenate([np.ones((30, 1)), np.sign(steps.sum(axis=2))], axis=1)
        y = f(grid)
        ee = elementary_effects(y.reshape(30, k + 1), moved, direction, k, levels)
        ours = morris(ee, resamples=500, rng=np.random.default_rng(1))
        theirs = _salib_morris(grid, y, k, levels)
        assert np.allclose(ours["mu"], theirs["mu"]) and np.allclose(ours["mu_star"], theirs["mu_star"])
        assert np.allclose(ours["sigma"], theirs["sigma"], equal_nan=True)
        conf = theirs["mu_star_conf"]
        assert overlap(ours["mu_star_low"], ours["mu_star_high"], theirs["mu_star"] - conf, theirs["mu_star"] + conf)
        assert ours["mu_star"][3] == 0.0 and ours["sigma"][3] == 0.0  # x3 has no effect
        assert ours["mu_star"][0] >= 3.0 and ours["mu_star"][1] > 0  # x0's effect is 3 + x2 >= 3


# ---- the model: our indices and SALib's from the same runs ------------------------------------

MODEL = """\
name: model_check
title: "Sobol indices of four priors, ours against SALib's"
scenarios: [troops_to_poland]
replications: 1
seed: 11
timeseries_runs: 0
outcomes: [cohesion_final, credibility_eastern_flank_final, probes]
design:
  kind: sobol
  points: 64
  parameters:
    allies.autonomy_weight: prior
    patron.will_base: prior
    adversary.inaction_utility: prior
    allies.max_ramp: prior
"""


@pytest.mark.slow  # 448 runs of the fast engine and two bootstraps: about 2 s
def test_model_indices_agree_with_salibs_from_the_same_runs(tmp_path: Path):
    path = tmp_path / "model.yaml"
    path.write_text(MODEL)
    out = tmp_path / "out"
    exp = load_experiment(path)
    run_sweep(exp, out, engine="fast", progress=False)
    n, d = 64, 4
    ours = summarize(out, resamples=300)["sobol"].to_pandas()
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    problem = {"num_vars": d + 1, "names": [*exp.varied, CHANCE], "bounds": [[0.0, 1.0]] * (d + 1)}
    for outcome in exp.outcomes:
        y = runs[outcome].to_numpy().reshape(d + 3, n)  # A, B, AB_1..AB_d, AB:chance
        salib_layout = np.concatenate([y[:1], y[2:], y[1:2]], axis=0).T.ravel()  # per point: A, AB..., B
        theirs = salib_sobol.analyze(problem, salib_layout, calc_second_order=False, num_resamples=300, seed=5)
        mine = ours[ours["outcome"] == outcome].set_index("parameter").loc[problem["names"]]
        assert np.allclose(mine["total_order"], theirs["ST"], rtol=1e-9, atol=1e-12), outcome
        # First order: SALib centres on the mean of every row, we (as scipy) on that of A and B.
        assert np.allclose(mine["first_order"], theirs["S1"], atol=0.05), outcome
        for k in ("first", "total"):
            est, conf = theirs["S1" if k == "first" else "ST"], theirs["S1_conf" if k == "first" else "ST_conf"]
            assert overlap(mine[f"{k}_low"].to_numpy(), mine[f"{k}_high"].to_numpy(), est - conf, est + conf), (
                outcome, k)
    # The parameters that matter stand out of the ones that do not, for these outcomes.
    by = ours.set_index(["outcome", "parameter"])["total_order"]
    assert by[("probes", "adversary.inaction_utility")] > 10 * by[("probes", "allies.max_ramp")]
    assert by[("cohesion_final", "allies.autonomy_weight")] > by[("cohesion_final", "patron.will_base")]


# ---- through a sweep: a toy engine whose chance is known ---------------------------------------

TOY = """\
name: toy
title: "A known outcome of two parameters and chance"
scenarios: [status_quo]
replications: 1
seed: 4
timeseries_runs: 0
outcomes: [deals_final]
design:
  kind: {kind}
  points: {points}
  parameters:
    patron.attention: {{low: 0, high: 1}}
    patron.deal_price: {{low: 0, high: 1}}
    allies.max_ramp: {{low: 0.3, high: 1.0}}
"""
NOISE_SD = np.sqrt(5 / 12)  # chance's share of the variance: (5/12) / (1/12 + 4/12 + 5/12) = 1/2


@pytest.fixture
def noisy_engine():
    """deals_final = attention + 2 deal_price + chance (sd sqrt(5/12)); max_ramp has no effect."""

    def chunk(scenario, seeds, fixed=None):
        out = []
        for k, seed in enumerate(seeds):
            x = {n: float(np.ravel(v)[k]) if np.ndim(v) else float(v) for n, v in fixed.items()}
            noise = np.random.default_rng(seed).normal() * NOISE_SD
            y = x["patron.attention"] + 2 * x["patron.deal_price"] + noise
            out.append(runner.RunResult(seed, x, {"deals_final": y}, {}))
        return out

    chunk.per_run_fixed = True
    runner.engine("noisy_for_test")(chunk)
    yield "noisy_for_test"
    del runner.ENGINES["noisy_for_test"]


def test_a_sobol_sweep_separates_the_parameters_from_chance(noisy_engine, tmp_path: Path, monkeypatch):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY.format(kind="sobol", points=512))
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, engine=noisy_engine, progress=False)
    runs = pq.read_table(out / "runs.parquet", columns=["design_point", "seed"]).to_pandas()
    seed = runs["seed"].to_numpy().reshape(6, 512)  # A, B, AB x 3, AB:chance
    assert (seed[2] == seed[0]).all() and (seed[4] == seed[0]).all() and (seed[5] == seed[1]).all()
    assert not np.intersect1d(seed[0], seed[1]).size
    rows = {r["parameter"]: r for r in summarize(out, resamples=199)["sobol"].to_pylist()}
    truth = {"patron.attention": 1 / 10, "patron.deal_price": 4 / 10, "allies.max_ramp": 0.0, CHANCE: 1 / 2}
    for name, value in truth.items():
        r = rows[name]
        assert r["total_low"] - 1e-9 <= value <= r["total_high"] + 1e-9, r
        assert abs(r["first_order"] - value) < 0.1, r
    assert rows["allies.max_ramp"]["total_order"] == 0.0  # shared chance: no noise in its index
    assert rows["patron.deal_price"]["above_chance"] is False and rows["allies.max_ramp"]["above_chance"] is False
    assert rows[CHANCE]["above_chance"] is None

    # The report's figure: chance is a reference line with its band, not one of the bars.
    from sim.report import data as D
    from sim.report.figures import sensitivity as figures

    write_summary(out, summarize(out, resamples=199), level=0.95, resamples=199)
    drawn = {}

    def keep(fig, where, name, title, caption):
        drawn[name] = (fig, caption)
        return figures.Figure(name, title, caption, [])

    monkeypatch.setattr(figures, "save", keep)
    figures.sobol_bars(D.load_results([out]), tmp_path / "figures")
    fig, caption = drawn["sobol"]
    ax = fig.axes[0]
    assert CHANCE not in [t.get_text() for t in ax.get_yticklabels()]
    lines = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert lines == [pytest.approx(rows[CHANCE]["total_order"])]
    assert "total index of chance" in caption


def test_a_morris_sweep_screens_the_parameters_against_chance(noisy_engine, tmp_path: Path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY.format(kind="morris", points=200))
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, engine=noisy_engine, progress=False)
    rows = {r["parameter"]: r for r in summarize(out, resamples=199)["morris"].to_pylist()}
    # On strata centres of 4 levels a step of 2/3 of the grid is half the range: an effect of slope
    # s over [0, 1] gives s/2 per step, divided by the step 2/3: 3 s / 4.
    assert rows["patron.attention"]["mu_star"] == pytest.approx(0.75) and rows["patron.attention"]["sigma"] < 1e-9
    assert rows["patron.deal_price"]["mu"] == pytest.approx(1.5)
    assert rows["allies.max_ramp"]["mu_star"] == 0.0 and rows["allies.max_ramp"]["trajectories"] == 200
    chance = rows[CHANCE]
    # |difference of two independent normals| has mean 2 sd / sqrt(pi); divided by the step 2/3.
    assert chance["mu_star_low"] <= 2 * NOISE_SD / np.sqrt(np.pi) * 1.5 <= chance["mu_star_high"]
    assert rows["patron.deal_price"]["above_chance"] is True and rows["patron.attention"]["above_chance"] is False


def test_a_morris_sweep_of_two_scenarios_pools_their_paired_differences(noisy_engine, tmp_path: Path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY.format(kind="morris", points=10).replace("[status_quo]", "[status_quo, troops_to_poland]")
                    + "compare: [{a: troops_to_poland, b: status_quo}]\n")
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, engine=noisy_engine, progress=False)
    tables = summarize(out, resamples=99)
    (diff,) = tables["differences"].to_pylist()
    assert diff["n_pairs"] == 10 * 5 and diff["difference"] == 0.0  # the toy ignores its scenario
    assert {r["scenario"] for r in tables["morris"].to_pylist()} == {"status_quo", "troops_to_poland"}
