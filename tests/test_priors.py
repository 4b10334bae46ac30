"""Tests for sim.model.priors: each prior's quantile function, support and validation.

Every prior is drawn as ppf(u) of a uniform u, so a random draw, a Latin hypercube and a Sobol
design share one code path; the KS tests check that ppf maps uniforms onto the stated
distribution (scipy.stats as the reference).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.model.loading import load_scenario
from sim.model.priors import (
    Beta,
    Choice,
    Distribution,
    Fixed,
    Normal,
    Triangular,
    Uniform,
    as_prior,
)

PARSE = TypeAdapter(Distribution)
U = np.random.default_rng(20260501).random(20_000)


def ks_pvalue(sample, cdf) -> float:
    return float(stats.kstest(sample, cdf).pvalue)


# --------------------------------------------------------------------------------------------
# Medians and supports


def test_uniform():
    p = PARSE.validate_python({"dist": "uniform", "low": 0.2, "high": 0.6})
    assert isinstance(p, Uniform)
    assert p.ppf(0.5) == pytest.approx(0.4, rel=1e-15)
    assert p.ppf(np.array([0.0, 1.0])).tolist() == [0.2, 0.6]
    assert p.support() == (0.2, 0.6)
    assert not p.is_fixed


def test_triangular():
    p = Triangular(dist="triangular", low=0.2, mode=0.5, high=1.0)
    assert p.ppf(0.0) == pytest.approx(0.2) and p.ppf(1.0) == pytest.approx(1.0)
    # The mode sits at the quantile (mode - low) / (high - low) = 0.375.
    assert p.ppf(0.375) == pytest.approx(0.5, rel=1e-14)
    # Median of a triangular law: high - sqrt((high - low)(high - mode) / 2) when mode < mid.
    assert p.ppf(0.5) == pytest.approx(1.0 - math.sqrt(0.8 * 0.5 / 2.0), rel=1e-14)
    symmetric = Triangular(dist="triangular", low=0.0, mode=1.0, high=2.0)
    assert symmetric.ppf(0.5) == pytest.approx(1.0, rel=1e-15)
    assert p.support() == (0.2, 1.0)
    # Degenerate modes at either end are allowed.
    for mode in (0.2, 1.0):
        q = Triangular(dist="triangular", low=0.2, mode=mode, high=1.0)
        assert np.all(np.diff(q.ppf(np.linspace(0, 1, 101))) >= 0)


def test_beta_rescaled():
    p = Beta(dist="beta", a=2.0, b=2.0)
    assert p.ppf(0.5) == pytest.approx(0.5, rel=1e-12)
    assert p.support() == (0.0, 1.0)
    scaled = Beta(dist="beta", a=2.0, b=5.0, low=10.0, high=20.0)
    assert scaled.ppf(0.5) == pytest.approx(10.0 + 10.0 * stats.beta.median(2.0, 5.0), rel=1e-12)
    assert scaled.ppf(np.array([0.0, 1.0])).tolist() == [10.0, 20.0]
    assert scaled.support() == (10.0, 20.0)


def test_normal_and_truncated_normal():
    p = Normal(dist="normal", mean=0.02, sd=0.01)
    assert p.ppf(0.5) == pytest.approx(0.02, rel=1e-14)
    assert p.support() == (-math.inf, math.inf)
    t = Normal(dist="normal", mean=0.02, sd=0.01, low=0.0, high=0.1)
    assert t.support() == (0.0, 0.1)
    assert t.ppf(0.0) == pytest.approx(0.0, abs=1e-12) and t.ppf(1.0) == pytest.approx(0.1, abs=1e-12)
    # Truncation below at 0 (two sd) moves the median up a little, never out of the support.
    assert 0.02 < t.ppf(0.5) < 0.021
    x = t.ppf(U)
    assert x.min() >= 0.0 and x.max() <= 0.1
    # One-sided truncation.
    lower = Normal(dist="normal", mean=1.0, sd=0.4, low=0.0)
    assert lower.support() == (0.0, math.inf)
    assert lower.ppf(U).min() >= 0.0


def test_choice():
    p = Choice(dist="choice", values=[12, 24, 36], weights=[1, 2, 1])
    assert p.ppf(0.5) == 24.0
    assert p.ppf(np.array([0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999, 1.0])).tolist() == [
        12.0, 12.0, 24.0, 24.0, 36.0, 36.0, 36.0]
    assert p.support() == (12.0, 36.0)
    even = Choice(dist="choice", values=[1, 2, 3, 4])
    assert even.ppf(np.array([0.1, 0.3, 0.6, 0.9])).tolist() == [1.0, 2.0, 3.0, 4.0]
    # A zero weight is never drawn.
    zero = Choice(dist="choice", values=[1, 2, 3], weights=[1, 0, 1])
    assert set(zero.ppf(U).tolist()) == {1.0, 3.0}


def test_choice_frequencies():
    p = Choice(dist="choice", values=[12, 24, 36], weights=[1, 2, 1])
    x = p.ppf(U)
    counts = np.array([(x == v).sum() for v in (12, 24, 36)])
    assert counts.sum() == U.size
    chi2 = stats.chisquare(counts, U.size * np.array([0.25, 0.5, 0.25]))
    assert chi2.pvalue > 0.001


def test_fixed():
    p = as_prior(3.5)
    assert isinstance(p, Fixed) and p.is_fixed
    assert p.ppf(0.5) == 3.5
    assert p.ppf(np.array([0.1, 0.9])).tolist() == [3.5, 3.5]
    assert p.support() == (3.5, 3.5)
    assert p.describe() == "3.5"
    assert as_prior(p) is p
    u = Uniform(dist="uniform", low=0, high=1)
    assert as_prior(u) is u


def test_describe():
    assert Uniform(dist="uniform", low=0.2, high=0.6).describe() == "uniform(low=0.2, high=0.6)"


# --------------------------------------------------------------------------------------------
# ppf maps uniforms onto the distribution (KS test, fixed seed)


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ({"dist": "uniform", "low": 0.2, "high": 0.6}, stats.uniform(loc=0.2, scale=0.4)),
        ({"dist": "triangular", "low": 0.2, "mode": 0.5, "high": 1.0},
         stats.triang(c=0.3 / 0.8, loc=0.2, scale=0.8)),
        ({"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 2.0}, stats.triang(c=0.0, loc=0.0, scale=2.0)),
        ({"dist": "beta", "a": 2, "b": 5}, stats.beta(2, 5)),
        ({"dist": "beta", "a": 0.5, "b": 0.5, "low": -1, "high": 3}, stats.beta(0.5, 0.5, loc=-1, scale=4)),
        ({"dist": "normal", "mean": 1.0, "sd": 0.4}, stats.norm(1.0, 0.4)),
        ({"dist": "normal", "mean": 1.0, "sd": 0.4, "low": -3, "high": 4}, stats.norm(1.0, 0.4)),
        ({"dist": "normal", "mean": 0.02, "sd": 0.01, "low": 0, "high": 0.1},
         stats.truncnorm(-2.0, 8.0, loc=0.02, scale=0.01)),
    ],
)
def test_ppf_of_uniforms_follows_the_distribution(spec, reference):
    sample = PARSE.validate_python(spec).ppf(U)
    assert ks_pvalue(sample, reference.cdf) > 0.001


def test_ks_test_can_fail():
    """The KS check has power: a shifted uniform is rejected."""
    sample = Uniform(dist="uniform", low=0.2, high=0.6).ppf(U)
    assert ks_pvalue(sample, stats.uniform(loc=0.21, scale=0.4).cdf) < 0.001


# --------------------------------------------------------------------------------------------
# Invalid priors


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"dist": "uniform", "low": 1.0, "high": 0.0}, "uniform prior needs low < high"),
        ({"dist": "uniform", "low": 1.0, "high": 1.0}, "uniform prior needs low < high"),
        ({"dist": "normal", "mean": 0, "sd": 1, "low": 2, "high": 1}, "normal prior needs low < high"),
        ({"dist": "normal", "mean": 0, "sd": 0}, "greater than 0"),
        ({"dist": "beta", "a": 2, "b": 5, "low": 1, "high": 0}, "beta prior needs low < high"),
        ({"dist": "beta", "a": 0, "b": 5}, "greater than 0"),
        ({"dist": "triangular", "low": 0, "mode": 2, "high": 1}, "low <= mode <= high"),
        ({"dist": "triangular", "low": 1, "mode": 1, "high": 1}, "low < high"),
        ({"dist": "choice", "values": [1, 2, 3], "weights": [1, 2]}, "3 values but 2 weights"),
        ({"dist": "choice", "values": [1, 2], "weights": [1, -1]}, "weights must be >= 0"),
        ({"dist": "choice", "values": [1, 2], "weights": [0, 0]}, "positive sum"),
        ({"dist": "choice", "values": []}, "at least 1"),
        ({"dist": "uniform", "low": 0, "high": 1, "mode": 0.5}, "Extra inputs are not permitted"),
        ({"dist": "lognormal", "mean": 0, "sd": 1}, "does not match any of the expected tags"),
        ({"low": 0, "high": 1}, "Unable to extract tag"),
    ],
)
def test_invalid_priors_raise(spec, match):
    with pytest.raises(ValidationError, match=match):
        PARSE.validate_python(spec)


def test_priors_are_frozen():
    p = Uniform(dist="uniform", low=0, high=1)
    with pytest.raises(ValidationError, match="frozen"):
        p.low = 0.5


# ---- parameters drawn by name ------------------------------------------------------------------


def test_adding_removing_or_reordering_parameters_leaves_other_draws_unchanged(monkeypatch):
    """Each parameter's uniform comes from a stream keyed by its dotted name: a parameter added
    to the schema (here at the front), one removed, events reordered or an event dropped change
    no other parameter's value."""
    from sim.model import parameters

    sc = load_scenario("further_withdrawals")
    seeds = [1, 2, 3, 2**40 + 7]
    names, base = parameters.parameter_matrix(sc, seeds)
    before = {name: base[:, k] for k, name in enumerate(names)}

    real = parameters.judgement_parameters

    def changed_schema(scenario):
        priors = real(scenario)
        priors.pop("allies.max_ramp")
        return {"patron.a_new_lever": Uniform(dist="uniform", low=0.0, high=1.0), **priors}

    monkeypatch.setattr(parameters, "judgement_parameters", changed_schema)
    names2, values2 = parameters.parameter_matrix(sc, seeds)
    monkeypatch.undo()
    assert names2[0] == "patron.a_new_lever" and "allies.max_ramp" not in names2
    for k, name in enumerate(names2[1:], start=1):
        assert values2[:, k].tobytes() == before[name].tobytes(), name

    events = list(sc.events)
    for other in (sc.model_copy(update={"events": events[::-1]}),
                  sc.model_copy(update={"events": events[1:]})):
        names3, values3 = parameters.parameter_matrix(other, seeds)
        for k, name in enumerate(names3):
            assert values3[:, k].tobytes() == before[name].tobytes(), name


def test_parameters_drawn_by_name_follow_their_priors():
    """Each parameter's values over 4,000 runs against its prior (Kolmogorov-Smirnov, uniform
    and normal priors of the status quo on judgement priors alone: the shipped status quo draws
    its spending parameters from the posterior), and two parameters with the same prior are not
    drawn from the same uniform."""
    from scipy import stats

    from sim.model import parameters

    sc = load_scenario("status_quo_judgement")
    priors = parameters.judgement_parameters(sc)
    names, values = parameters.parameter_matrix(sc, list(range(4000)))
    tested = 0
    for k, name in enumerate(names):
        prior = priors[name]
        if getattr(prior, "dist", None) != "uniform" or prior.high <= prior.low:
            continue
        p = stats.kstest(values[:, k], stats.uniform(prior.low, prior.high - prior.low).cdf).pvalue
        assert p > 1e-4, f"{name}: KS p = {p:.2g}"
        tested += 1
    assert tested >= 30
    u = {}
    for k, name in enumerate(names):
        prior = priors[name]
        if getattr(prior, "dist", None) == "uniform" and prior.high > prior.low:
            u[name] = (values[:, k] - prior.low) / (prior.high - prior.low)
    corr = np.corrcoef(np.array(list(u.values())))
    np.fill_diagonal(corr, 0.0)
    assert np.abs(corr).max() < 0.1


def test_fixed_values_are_numbers_or_one_per_run():
    from sim.model import parameters

    sc = load_scenario("status_quo")
    seeds = [1, 2, 3]
    names, base = parameters.parameter_matrix(sc, seeds)
    k = names.index("patron.deal_price")
    _, one = parameters.parameter_matrix(sc, seeds, {"patron.deal_price": 0.25})
    _, each = parameters.parameter_matrix(sc, seeds, {"patron.deal_price": np.array([0.1, 0.2, 0.3])})
    _, listed = parameters.parameter_matrix(sc, seeds, {"patron.deal_price": [0.1, 0.2, 0.3]})
    assert one[:, k].tolist() == [0.25] * 3
    assert each[:, k].tolist() == listed[:, k].tolist() == [0.1, 0.2, 0.3]
    others = [j for j in range(len(names)) if j != k]
    assert np.array_equal(each[:, others], base[:, others])  # the other draws are unchanged
    for value, message in (([0.1, 0.2], r"'patron.deal_price' has shape \(2,\); give one number, or one per run \(3\)"),
                           ([[0.1, 0.2, 0.3]], r"has shape \(1, 3\)"),
                           ([0.1, np.inf, 0.3], r"'patron.deal_price' is not finite at run 1: inf"),
                           (float("nan"), r"'patron.deal_price' is not finite: nan"),
                           ("cheap", r"'patron.deal_price' is not a number or a sequence of numbers: 'cheap'")):
        with pytest.raises(ValueError, match=message):
            parameters.parameter_matrix(sc, seeds, {"patron.deal_price": value})
