"""Statistics: intervals that cover as often as they claim, on distributions with known answers;
Sobol indices of a function with known indices, through the whole sweep."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sim.analysis.statistics import (
    describe,
    format_summary,
    is_binary,
    mean_interval,
    paired_difference,
    saltelli,
    sobol,
    summarize,
    wilson,
    write_summary,
)
from sim.engines import runner
from sim.experiments.experiment import load_experiment
from sim.experiments.summary import wilson_interval
from sim.experiments.sweep import run_sweep

# ---- estimators ------------------------------------------------------------------------------


def test_mean_interval_is_the_student_t_interval():
    x = np.array([1.0, 2.0, 4.0, np.nan, 7.0])
    mean, low, high = mean_interval(x)
    ref = stats.t.interval(0.95, 3, loc=3.5, scale=stats.sem([1.0, 2.0, 4.0, 7.0]))
    assert mean == 3.5 and np.allclose((low, high), ref)
    d = describe(np.array([[1.0, np.nan], [np.nan, np.nan]]))
    assert d["n"].tolist() == [1, 0] and np.isnan(d["ci_low"]).all() and d["p50"][0] == 1.0


def test_the_95_percent_interval_of_a_mean_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(20260512)
    samples = rng.normal(loc=3.0, scale=2.0, size=(2000, 50))
    d = describe(samples)
    covered = np.mean((d["ci_low"] <= 3.0) & (d["ci_high"] >= 3.0))
    assert 0.935 <= covered <= 0.965, covered
    d90 = describe(samples, level=0.90)
    assert 0.88 <= np.mean((d90["ci_low"] <= 3.0) & (d90["ci_high"] >= 3.0)) <= 0.92


def test_wilson_intervals_on_bernoulli_cover_as_computed_exactly():
    p, n = 0.1, 40
    # Exact coverage: the probability of the counts whose interval holds p.
    exact = sum(stats.binom.pmf(k, n, p) for k in range(n + 1)
                if wilson_interval(k, n)[0] <= p <= wilson_interval(k, n)[1])
    assert 0.92 <= exact <= 0.97, exact  # Wilson stays near its nominal 95% (here 0.943)
    k = np.random.default_rng(7).binomial(n, p, size=4000)
    low, high = wilson(k, np.full_like(k, n))
    covered = np.mean((low <= p) & (p <= high))
    assert abs(covered - exact) < 0.015, (covered, exact)
    assert wilson(np.array([0, 40]), np.array([40, 40]))[0][0] == 0.0
    assert wilson(np.array([0, 40]), np.array([40, 40]))[1][1] == 1.0


def _wilson_by_hand(k: int, n: int, level: float) -> tuple[float, float]:
    """The Wilson score interval as written out before scipy computed it (Wilson 1927)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if k == 0 else low, 1.0 if k == n else high)


def test_wilson_intervals_from_scipy_are_the_formula_to_1e_12():
    """``wilson_interval`` is ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``: the
    same intervals as the formula, to 1e-12, at every count of small n and over large n."""
    cases = [(k, n) for n in range(1, 31) for k in range(n + 1)]
    cases += [(k, n) for n in (1000, 10_000, 1_000_000) for k in (0, 1, 2, 17, n // 3, n // 2, n - 1, n)]
    for level in (0.9, 0.95, 0.99):
        for k, n in cases:
            got, want = wilson_interval(k, n, level), _wilson_by_hand(k, n, level)
            assert got == pytest.approx(want, abs=1e-12, rel=0), (k, n, level)
        k = np.array([k for k, _ in cases])
        n = np.array([n for _, n in cases])
        low, high = wilson(k, n, level)
        assert np.allclose(low, [_wilson_by_hand(a, b, level)[0] for a, b in cases], rtol=0, atol=1e-12)
        assert np.allclose(high, [_wilson_by_hand(a, b, level)[1] for a, b in cases], rtol=0, atol=1e-12)
        assert np.all(low[k == 0] == 0.0) and np.all(high[k == n] == 1.0)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_paired_differences_cover_the_true_difference():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(1000):
        common = rng.normal(size=40)  # shared chance: pairing removes it
        a = 1.0 + common + rng.normal(scale=0.3, size=40)
        b = 0.8 + common + rng.normal(scale=0.3, size=40)
        d = paired_difference(a, b)
        hits += d["ci_low"] <= 0.2 <= d["ci_high"]
    assert 0.93 <= hits / 1000 <= 0.97
    d = paired_difference(np.array([1.0, np.nan, 3.0]), np.array([0.0, 1.0, np.nan]))
    assert d["n_pairs"] == 1 and d["difference"] == 1.0 and d["mean_a"] == 1.0


def test_sobol_indices_of_a_linear_function_match_their_closed_form():
    # y = x1 + 2 x2 + 0 x3, x uniform on [0, 1]: S1 = 1/5, S2 = 4/5, S3 = 0, and S = ST.
    rng = np.random.default_rng(5)
    n, d = 1024, 3
    a, b = rng.random((n, d)), rng.random((n, d))
    f = lambda x: x[:, 0] + 2 * x[:, 1]  # noqa: E731
    ab = []
    for i in range(d):
        m = a.copy()
        m[:, i] = b[:, i]
        ab.append(f(m))
    res = sobol(f(a), f(b), np.array(ab), resamples=199, rng=np.random.default_rng(1))
    truth = np.array([0.2, 0.8, 0.0])
    assert np.allclose(res["first_order"], truth, atol=0.05)
    assert np.allclose(res["total_order"], truth, atol=0.05)
    assert np.all(res["total_low"] <= truth + 1e-9) and np.all(truth - 1e-9 <= res["total_high"])
    assert np.all(res["first_low"] <= res["first_order"]) and np.all(res["first_order"] <= res["first_high"])


def test_the_estimator_for_dropped_points_is_scipys():
    rng = np.random.default_rng(9)
    a, b, ab = rng.random(64), rng.random(64), rng.random((3, 64))
    ours = saltelli(a, b, ab)
    res = stats.sobol_indices(func={"f_A": a[None], "f_B": b[None], "f_AB": ab[:, None]}, n=64)
    assert np.allclose(ours[0], res.first_order) and np.allclose(ours[1], res.total_order)
    odd = sobol(a[:50], b[:50], ab[:, :50], resamples=0)  # 50 is not a power of 2: our estimator
    assert np.allclose(odd["first_order"], saltelli(a[:50], b[:50], ab[:, :50])[0])


def test_binary_outcomes_are_reported_as_probabilities():
    assert is_binary("deterrence_failure") and is_binary("signpost.hague_all_on_time")
    assert not is_binary("signpost.hague_all_on_time.month") and not is_binary("cohesion_final")


# ---- Sobol indices through the whole sweep ---------------------------------------------------

EXPERIMENT = """\
name: linear
title: "A linear outcome of two parameters"
scenarios: [status_quo]
replications: 1
seed: 4
timeseries_runs: 0
outcomes: [deals_final, cohesion_final]
design:
  kind: sobol
  points: 256
  parameters:
    patron.attention: {low: 0, high: 1}
    patron.deal_price: {low: 0, high: 1}
    allies.max_ramp: {low: 0.3, high: 1.0}
"""


@pytest.fixture
def linear_engine():
    """deals_final = attention + 2 deal_price (ramp has no effect); cohesion_final constant."""

    def chunk(scenario, seeds, fixed=None):
        out = []
        for seed in seeds:
            y = fixed["patron.attention"] + 2 * fixed["patron.deal_price"]
            out.append(runner.RunResult(seed, dict(fixed), {"deals_final": y, "cohesion_final": 1.0}, {}))
        return out

    runner.engine("linear_for_test")(chunk)
    yield "linear_for_test"
    del runner.ENGINES["linear_for_test"]


@pytest.mark.slow  # 1,024 runs of a toy engine and a bootstrap of 199 resamples, 3 s
def test_a_sobol_sweep_recovers_the_indices_of_a_known_function(linear_engine, tmp_path: Path):
    path = tmp_path / "linear.yaml"
    path.write_text(EXPERIMENT)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, workers=1, engine=linear_engine, chunk=300, progress=False)
    tables = summarize(out, resamples=199)
    assert "cells" not in tables  # one run per design point: no per-cell intervals
    rows = {(r["outcome"], r["parameter"]): r for r in tables["sobol"].to_pylist()}
    truth = {"patron.attention": 0.2, "patron.deal_price": 0.8, "allies.max_ramp": 0.0}
    for name, value in truth.items():
        r = rows[("deals_final", name)]
        assert abs(r["first_order"] - value) < 0.05 and abs(r["total_order"] - value) < 0.05, r
        assert r["total_low"] - 1e-9 <= value <= r["total_high"] + 1e-9, r
        assert r["base_points"] == 256 and r["dropped"] == 0
        assert rows[("cohesion_final", name)]["total_order"] == 0.0  # constant: no variance to share
    chance = rows[("deals_final", "chance")]  # the toy engine ignores its seed: chance explains nothing
    assert chance["total_order"] == 0.0 and chance["first_order"] == 0.0 and chance["above_chance"] is None
    assert rows[("deals_final", "patron.deal_price")]["above_chance"] is True
    pooled = {r["outcome"]: r for r in tables["scenarios"].to_pylist()}
    assert pooled["deals_final"]["n"] == 512  # blocks A and B
    assert abs(pooled["deals_final"]["mean"] - 1.5) < 0.02

    summary = write_summary(out, tables, level=0.95, resamples=199)
    again = summarize(out, resamples=199)
    assert again["sobol"].equals(tables["sobol"])  # the bootstrap is seeded: same summary twice
    assert pq.read_table(summary / "sobol.parquet").equals(tables["sobol"])
    assert (summary / "sobol.csv").read_text().startswith('"scenario","outcome","unit","parameter"')
    assert "status_quo deals_final: patron.deal_price" in format_summary(out, tables)


ARMS = """\
name: arms
title: "Two arms, paired"
scenarios: [status_quo]
replications: 30
seed: 4
timeseries_runs: 0
outcomes: [deals_final, deterrence_failure]
design:
  kind: arms
  arms:
    low: {patron.attention: 0.2, patron.deal_price: 0.1}
    high: {patron.attention: 0.7, patron.deal_price: 0.1}
compare:
  - {a: high, b: low}
"""


@pytest.fixture
def noisy_engine():
    """deals_final = attention + 2 deal_price + noise from the seed; deterrence_failure = 1 if noise > 0.5."""

    def chunk(scenario, seeds, fixed=None):
        out = []
        for seed in seeds:
            noise = (seed % 1000) / 1000
            y = fixed["patron.attention"] + 2 * fixed["patron.deal_price"] + noise
            out.append(runner.RunResult(seed, dict(fixed), {"deals_final": y, "deterrence_failure": float(noise > 0.5)}, {}))
        return out

    runner.engine("noisy_for_test")(chunk)
    yield "noisy_for_test"
    del runner.ENGINES["noisy_for_test"]


def test_arms_share_seeds_so_their_paired_difference_has_no_noise(noisy_engine, tmp_path: Path):
    path = tmp_path / "arms.yaml"
    path.write_text(ARMS)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, workers=1, engine=noisy_engine, progress=False)
    tables = summarize(out)
    (diff,) = [r for r in tables["differences"].to_pylist() if r["outcome"] == "deals_final"]
    assert diff["comparison"] == "high - low" and diff["scenario"] == "status_quo" and diff["n_pairs"] == 30
    assert diff["difference"] == pytest.approx(0.5) and diff["ci_high"] - diff["ci_low"] < 1e-9
    cells = {(r["label"], r["outcome"]): r for r in tables["cells"].to_pylist()}
    assert cells[("low", "deals_final")]["ci_high"] > cells[("low", "deals_final")]["ci_low"] + 0.05
    failure = cells[("low", "deterrence_failure")]
    assert 0 < failure["probability"] < 1 and failure["wilson_low"] < failure["probability"] < failure["wilson_high"]
    assert failure["probability"] == cells[("high", "deterrence_failure")]["probability"]  # same seeds
