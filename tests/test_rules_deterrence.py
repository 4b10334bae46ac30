"""Tests for sim.model.rules.deterrence: expected-utility deterrence (Schelling 1966; Huth 1988).

The believed response r = 1 - (1 - u eff)(1 - e), the utilities gain (1 - r) - cost r, and the
logit over 'nothing' and every (target, move) column.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.deterrence import (
    INCURSION,
    NOTHING,
    PROBE,
    believed_response,
    decode_move,
    europe_response,
    move_probabilities,
    move_utilities,
    resolve,
    usable_capability,
)


def test_europe_response_half_at_midpoint_and_rising():
    for mid in (0.5, 1.0, 1.3):
        for k in (2.0, 5.0):
            assert europe_response(mid, mid, k) == pytest.approx(0.5, abs=1e-15)
    balance = np.array([0.01, 0.1, 0.5, 1.0, 2.0, 10.0])
    e = europe_response(balance, 1.0, 3.0)
    assert np.all(np.diff(e) > 0) and np.all((e > 0) & (e < 1))
    # logistic(k ln(b / mid)) = b^k / (b^k + mid^k)
    assert e == pytest.approx(balance**3 / (balance**3 + 1.0), rel=1e-12)
    # Steeper around the midpoint with a larger k.
    assert europe_response(2.0, 1.0, 5.0) > europe_response(2.0, 1.0, 2.0)
    # A zero balance is handled (no log of zero).
    assert europe_response(0.0, 1.0, 3.0) == pytest.approx(0.0, abs=1e-30)


def test_usable_capability():
    assert usable_capability(100.0, 0.75) == 25.0
    assert usable_capability(100.0, 0.0) == 100.0


def test_believed_response_by_hand():
    """r = 1 - (1 - u eff)(1 - e): u=0.6, eff=0.5, e=0.2 -> 1 - 0.7 * 0.8 = 0.44."""
    assert believed_response(0.6, 0.5, 0.2) == pytest.approx(0.44, rel=1e-14)
    assert believed_response(0.0, 1.0, 0.3) == pytest.approx(0.3)
    assert believed_response(1.0, 1.0, 0.0) == 1.0
    assert believed_response(0.7, 0.0, 0.0) == 0.0
    u = np.linspace(0, 1, 11)
    assert np.all(np.diff(believed_response(u, 0.8, 0.25)) > 0)


def test_move_utilities_by_hand():
    probe, incursion = move_utilities(0.25, probe_gain=1.0, probe_cost=2.0,
                                      incursion_gain=4.0, incursion_cost=12.0)
    assert probe == pytest.approx(1.0 * 0.75 - 2.0 * 0.25)
    assert incursion == pytest.approx(4.0 * 0.75 - 12.0 * 0.25)
    r = np.linspace(0, 1, 5)
    p, i = move_utilities(r, probe_gain=1.0, probe_cost=2.0, incursion_gain=4.0, incursion_cost=12.0)
    assert np.all(np.diff(p) < 0) and np.all(np.diff(i) < 0)


def test_move_probabilities_layout_and_hand_computation():
    """Columns: 0 nothing, 1..n probes, n+1..2n incursions."""
    probe = np.array([0.5, -1.0, 2.0])
    inc = np.array([-3.0, 1.0, -2.0])
    p = move_probabilities(probe, inc, 1.0, 0.5)
    assert p.shape == (7,)
    u = np.concatenate([[1.0], probe, inc])
    e = np.exp(u / 0.5)
    assert p == pytest.approx(e / e.sum(), rel=1e-13)
    assert p.sum() == pytest.approx(1.0, rel=1e-15)
    assert int(np.argmax(p)) == 3  # probing target 2 is the best move
    kind, target = decode_move(int(np.argmax(p)), 3)
    assert (int(kind), int(target)) == (PROBE, 2)


def test_move_probabilities_batch():
    rng = np.random.default_rng(8)
    probe, inc = rng.normal(size=(20, 31)), rng.normal(size=(20, 31))
    inaction = rng.uniform(1, 3, 20)
    tau = rng.uniform(0.5, 1.0, 20)
    p = move_probabilities(probe, inc, inaction, tau)
    assert p.shape == (20, 63)
    assert p.sum(axis=-1) == pytest.approx(np.ones(20), abs=1e-12)
    for k in (0, 7, 19):
        assert p[k].tobytes() == move_probabilities(probe[k], inc[k], inaction[k], tau[k]).tobytes()


def test_high_inaction_utility_means_nothing_happens():
    p = move_probabilities(np.zeros(5), np.zeros(5), 50.0, 1.0)
    assert p[0] == pytest.approx(1.0, abs=1e-12)


def test_decode_move():
    n = 4
    kinds, targets = decode_move(np.arange(2 * n + 1), n)
    assert kinds.tolist() == [NOTHING] + [PROBE] * n + [INCURSION] * n
    assert targets.tolist() == [-1, 0, 1, 2, 3, 0, 1, 2, 3]
    assert (NOTHING, PROBE, INCURSION) == (0, 1, 2)


def test_resolve():
    """US answers iff u_us < will x eff; Europe iff u_europe < e."""
    assert resolve(0.3, 0.9, 0.8, 0.5, 0.5) == (True, False)
    assert resolve(0.4, 0.1, 0.8, 0.5, 0.5) == (False, True)
    us, eu = resolve(np.array([0.1, 0.5]), np.array([0.2, 0.2]), 0.9, np.array([1.0, 0.5]), 0.3)
    assert us.tolist() == [True, False] and eu.tolist() == [True, True]


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(6)
    b = rng.uniform(0.05, 5, 131)
    arr = europe_response(b, 0.9, 3.3)
    assert arr.tobytes() == np.array([europe_response(x, 0.9, 3.3) for x in b]).tobytes()
    u, eff, e = rng.random(131), rng.random(131), rng.random(131)
    arr = believed_response(u, eff, e)
    assert arr.tobytes() == np.array([believed_response(*x) for x in zip(u, eff, e, strict=True)]).tobytes()
