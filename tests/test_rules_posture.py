"""Tests for sim.model.rules.posture: troops moved over months, conserved, never negative, split in
proportion between permanent and rotational forces (DMDC counts; the Pentagon's announced
schedule of about 5,000 over 6-12 months)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.posture import monthly_tranche, move_troops


def test_monthly_tranche():
    assert monthly_tranche(5000.0, 10) == 500.0
    assert sum(monthly_tranche(5000.0, 9) for _ in range(9)) == pytest.approx(5000.0, rel=1e-15)


def test_proportional_split():
    """36,436 permanent and 1,564 rotational in Germany; 5,000 leave in the same proportion."""
    perm, rot, moved = move_troops(36436.0, 1564.0, 5000.0)
    assert moved == 5000.0
    assert perm == pytest.approx(36436.0 - 5000.0 * 36436.0 / 38000.0, rel=1e-14)
    assert rot == pytest.approx(1564.0 - 5000.0 * 1564.0 / 38000.0, rel=1e-14)
    assert perm / rot == pytest.approx(36436.0 / 1564.0, rel=1e-12)


def test_conservation_and_never_negative():
    rng = np.random.default_rng(13)
    perm = rng.uniform(0, 20000, 500) * (rng.random(500) < 0.8)
    rot = rng.uniform(0, 10000, 500) * (rng.random(500) < 0.5)
    amount = rng.uniform(-5000, 40000, 500)
    before = perm + rot
    p, r, moved = move_troops(perm, rot, amount)
    assert np.all(p >= 0) and np.all(r >= 0) and np.all(moved >= 0)
    assert p + r + moved == pytest.approx(before, abs=1e-9)
    assert np.all(moved <= before)
    assert moved == pytest.approx(np.clip(amount, 0.0, before), rel=1e-14, abs=1e-12)


def test_draining_a_host_leaves_exactly_zero():
    """Regression: (p + r) - p is not r in floating point; rotational forces once ended at
    -4.5e-13 when every soldier left (fixed by clipping the rotational share)."""
    perm, rot = 12739.233746429087, 2697.8671376387033
    assert (perm + rot) - perm - rot < 0  # the rounding that caused it
    p, r, moved = move_troops(perm, rot, 1e6)
    assert (float(p), float(r)) == (0.0, 0.0)
    assert moved == perm + rot


def test_more_than_present_takes_all_and_no_more():
    p, r, moved = move_troops(300.0, 200.0, 5000.0)
    assert (float(p), float(r), float(moved)) == (0.0, 0.0, 500.0)


def test_empty_host_and_negative_amount():
    assert tuple(map(float, move_troops(0.0, 0.0, 100.0))) == (0.0, 0.0, 0.0)
    assert tuple(map(float, move_troops(100.0, 50.0, -10.0))) == (100.0, 50.0, 0.0)


def test_repeated_tranches_drain_exactly():
    perm, rot = 1000.0, 500.0
    total = 0.0
    for _ in range(12):
        perm, rot, moved = move_troops(perm, rot, monthly_tranche(1500.0, 9))
        total += float(moved)
        assert perm >= 0 and rot >= 0
    assert total == pytest.approx(1500.0, rel=1e-14)
    assert perm == pytest.approx(0.0, abs=1e-9) and rot == pytest.approx(0.0, abs=1e-9)


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(14)
    perm, rot, amount = rng.uniform(0, 9e3, 61), rng.uniform(0, 3e3, 61), rng.uniform(0, 1.5e4, 61)
    arr = np.stack(move_troops(perm, rot, amount))
    sc = np.array([move_troops(*x) for x in zip(perm, rot, amount, strict=True)], dtype=float).T
    assert arr.tobytes() == sc.tobytes()
