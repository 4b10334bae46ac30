"""Tests for sim.model.rules.strategy: logit choice (McFadden 1974), inverse-CDF draws, cohesion,
the utilities of Snyder's (1984) hedging options and the credibility a deal would add."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.strategy import (
    ACCOMMODATION,
    AUTONOMY,
    COLLECTIVE,
    DEAL,
    STRATEGIES,
    cohesion,
    deal_gain,
    draw_choice,
    logit_probabilities,
    strategy_utilities,
)

WEIGHTS = dict(
    collective_attachment=1.0, deal_threat_weight=0.8, deal_gap_weight=2.0, deal_price_weight=1.2,
    peer_weight=1.5, autonomy_weight=0.7, accommodation_weight=1.1,
)


def test_strategy_codes():
    assert (COLLECTIVE, DEAL, AUTONOMY, ACCOMMODATION) == (0, 1, 2, 3)
    assert STRATEGIES == ("collective", "deal", "autonomy", "accommodation")


def test_logit_probabilities_by_hand():
    """P_k = exp(U_k / tau) / sum exp(U_l / tau)."""
    u = np.array([1.0, 0.0, 2.0, -1.0])
    p = logit_probabilities(u, 0.5)
    e = np.exp(u / 0.5)
    assert p == pytest.approx(e / e.sum(), rel=1e-14)
    assert p.sum() == pytest.approx(1.0, rel=1e-15)
    assert p[2] == pytest.approx(np.exp(4) / (np.exp(2) + 1 + np.exp(4) + np.exp(-2)), rel=1e-14)


def test_logit_probabilities_sum_to_one_and_are_stable():
    rng = np.random.default_rng(1)
    u = rng.normal(0, 50, (40, 31, 4))  # large utilities: no overflow thanks to the max shift
    tau = rng.uniform(0.01, 2.0, 40)[:, None]  # per run and ally, as the ensemble passes it
    p = logit_probabilities(u, tau)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert p.sum(axis=-1) == pytest.approx(np.ones((40, 31)), abs=1e-12)
    # Equal utilities: equal chances; a low temperature picks the best almost surely.
    assert logit_probabilities(np.zeros(4), 0.3) == pytest.approx(np.full(4, 0.25))
    assert logit_probabilities(np.array([0.0, 1.0, 0.5, 0.2]), 0.01)[1] == pytest.approx(1.0, abs=1e-12)


def test_draw_choice_inverse_cdf():
    """The first k with cumulative P_k > u: cum = (0.1, 0.3, 0.6, 1.0)."""
    p = np.array([0.1, 0.2, 0.3, 0.4])
    cases = {0.0: 0, 0.05: 0, 0.0999: 0, 0.1: 1, 0.25: 1, 0.35: 2, 0.5999: 2, 0.6001: 3, 0.999999: 3}
    for u, k in cases.items():
        assert draw_choice(p, u) == k, u
    # u = 1 (never drawn by random(), but possible in a design) stays in range.
    assert draw_choice(p, 1.0) == 3
    # Zero-probability options are never drawn.
    assert draw_choice(np.array([0.0, 0.5, 0.0, 0.5]), 0.0) == 1
    # Vectorised over allies with one u each.
    us = np.array([0.05, 0.25, 0.35, 0.8])
    assert draw_choice(np.tile(p, (4, 1)), us).tolist() == [0, 1, 2, 3]


def test_draw_choice_frequencies_match_probabilities():
    p = np.array([0.15, 0.05, 0.5, 0.3])
    u = np.random.default_rng(4).random(400_000)
    counts = np.bincount(draw_choice(np.broadcast_to(p, (u.size, 4)), u), minlength=4)
    freq = counts / u.size
    se = np.sqrt(p * (1 - p) / u.size)
    assert np.all(np.abs(freq - p) < 4 * se)


def test_cohesion():
    s = np.array([COLLECTIVE, DEAL, COLLECTIVE, AUTONOMY])
    assert cohesion(s) == 0.5
    assert cohesion(s, np.array([1.0, 1.0, 2.0, 0.0])) == 0.75
    assert cohesion(np.full(31, COLLECTIVE)) == 1.0
    assert cohesion(np.full(31, ACCOMMODATION)) == 0.0
    runs = np.array([[0, 0, 1], [2, 3, 0]])
    assert cohesion(runs).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_strategy_utilities_by_hand():
    u = strategy_utilities(
        0.6, 0.7, 0.5, 0.2, 0.3, 0.25, 1.0, 0.0, 0.4, 0.1, **WEIGHTS,
    )
    assert u.shape == (4,)
    collective = 1.0 - 0.1 + 0.6 + 0.7
    deal = 0.8 * 0.5 + 2.0 * 0.2 - 1.2 * 0.3 + 1.5 * 0.25
    autonomy = 0.7 * (1.0 + 0.4)
    accommodation = 1.1 * (0.0 + 0.5 * (1 - 0.6) - 1.0)
    assert u == pytest.approx([collective, deal, autonomy, accommodation], rel=1e-14)


def test_strategy_utilities_directions():
    """Snyder (1984): less credibility makes collective defence worth less and accommodation
    worth more; more peers holding deals make a deal worth more (the cascade)."""
    base = dict(credibility=0.8, solidarity=0.6, threat=0.5, deal_gain=0.1, price_burden=0.2,
                peer_deal_share=0.0, europeanist=0.0, russia_leaning=0.0,
                european_usable_capability=0.3, attachment_strain=0.0)
    u_hi = strategy_utilities(**base, **WEIGHTS)
    u_lo = strategy_utilities(**{**base, "credibility": 0.4}, **WEIGHTS)
    u_peers = strategy_utilities(**{**base, "peer_deal_share": 0.5}, **WEIGHTS)
    assert u_lo[COLLECTIVE] < u_hi[COLLECTIVE]
    assert u_lo[ACCOMMODATION] > u_hi[ACCOMMODATION]
    assert u_peers[DEAL] > u_hi[DEAL]
    assert u_lo[DEAL] == u_hi[DEAL]  # the gap enters through deal_gain, not credibility itself


def test_strategy_utilities_broadcast():
    c = np.linspace(0.2, 0.9, 31)
    u = strategy_utilities(c, 0.6, 0.5, 0.1, 0.2, 0.1, 0.0, 0.0, 0.3, 0.0, **WEIGHTS)
    assert u.shape == (31, 4)
    assert u[:, DEAL] == pytest.approx(np.full(31, u[0, DEAL]))


def test_deal_gain():
    """logistic(logit c + w) - c: zero without a deal weight, larger where credibility is low."""
    assert deal_gain(0.5, 0.0) == pytest.approx(0.0, abs=1e-15)
    assert deal_gain(0.5, 1.0) == pytest.approx(1.0 / (1.0 + np.exp(-1.0)) - 0.5, rel=1e-14)
    c = np.array([0.2, 0.4, 0.6, 0.8, 0.95])
    g = deal_gain(c, 0.8)
    assert np.all(g > 0) and np.all(c + g < 1)
    assert g[1] > g[3] > g[4]
    # Finite at the edges.
    assert np.all(np.isfinite(deal_gain(np.array([0.0, 1.0]), 0.8)))


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(2)
    u = rng.normal(0, 2, (67, 4))
    tau = rng.uniform(0.1, 1.0, 67)
    arr = logit_probabilities(u, tau)
    sc = np.array([logit_probabilities(u[k], tau[k]) for k in range(67)])
    assert arr.tobytes() == sc.tobytes()
    c = rng.uniform(0.01, 0.99, 67)
    assert deal_gain(c, 0.7).tobytes() == np.array([deal_gain(x, 0.7) for x in c]).tobytes()
    draws = rng.random(67)
    assert draw_choice(arr, draws).tolist() == [int(draw_choice(arr[k], draws[k])) for k in range(67)]
