"""Tests for sim.model.rules.capability: perpetual-inventory accumulation (Goldsmith 1951; Sandler and
Hartley 1995, ch. 5), the sovereign C2 programme lowering enabler dependence (Sparta 2.0), growth."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.capability import accumulate, grow, reduce_dependence, steady_state_stock


def test_accumulate_by_hand():
    """K' = K (1 - delta/12) + delivered."""
    assert accumulate(120.0, 2.0, 0.06) == pytest.approx(120.0 * 0.995 + 2.0, rel=1e-15)
    assert accumulate(0.0, 0.0, 0.1) == 0.0


def test_steady_state_is_a_fixed_point():
    """K = q / delta: a month of depreciation is exactly replaced by q / 12."""
    for q, delta in [(50.0, 0.05), (3.2, 0.1), (900.0, 0.08)]:
        k = steady_state_stock(q, delta)
        assert k == pytest.approx(q / delta, rel=1e-15)
        assert accumulate(k, q / 12.0, delta) == pytest.approx(k, rel=1e-14)


def test_accumulate_converges_to_steady_state():
    k, q, delta = 0.0, 24.0, 0.1
    for _ in range(12 * 200):
        k = accumulate(k, q / 12.0, delta)
    assert k == pytest.approx(steady_state_stock(q, delta), rel=1e-6)


def test_reduce_dependence_reaches_floor_in_years_at_full_funding():
    initial, floor, years = 0.8, 0.2, 12.0
    d = initial
    path = [d]
    for _ in range(int(12 * years)):
        d = reduce_dependence(d, initial, floor, years, 1.0)
        path.append(d)
    assert d == pytest.approx(floor, abs=1e-12)
    assert path[72] == pytest.approx(0.5, abs=1e-12)  # half way after half the time
    assert np.all(np.diff(path) <= 0)
    # Not before: a month earlier it is still one monthly step above the floor.
    assert path[-2] == pytest.approx(floor + (initial - floor) / (12 * years), abs=1e-12)


def test_reduce_dependence_never_below_floor():
    d = 0.8
    for _ in range(500):
        d = reduce_dependence(d, 0.8, 0.2, 3.0, 1.0)
        assert d >= 0.2
    assert d == 0.2


def test_partial_funding_slows_proportionally_and_zero_funding_stops():
    full = 0.8 - reduce_dependence(0.8, 0.8, 0.2, 10.0, 1.0)
    half = 0.8 - reduce_dependence(0.8, 0.8, 0.2, 10.0, 0.5)
    assert half == pytest.approx(full / 2, rel=1e-12)
    assert reduce_dependence(0.8, 0.8, 0.2, 10.0, 0.0) == 0.8


def test_grow_one_year():
    g = 100.0
    for _ in range(12):
        g = grow(g, 2.0)
    assert g == pytest.approx(102.0, rel=1e-13)
    assert grow(100.0, 0.0) == 100.0
    assert grow(100.0, -3.0) < 100.0


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(15)
    k, q, dlt = rng.uniform(0, 900, 73), rng.uniform(0, 9, 73), rng.uniform(0.05, 0.1, 73)
    assert accumulate(k, q, dlt).tobytes() == np.array(
        [accumulate(*x) for x in zip(k, q, dlt, strict=True)]).tobytes()
    dep, f = rng.uniform(0.1, 0.9, 73), rng.uniform(0, 1, 73)
    assert reduce_dependence(dep, 0.9, 0.1, 12.0, f).tobytes() == np.array(
        [reduce_dependence(x, 0.9, 0.1, 12.0, y) for x, y in zip(dep, f, strict=True)]).tobytes()
    gdp, gr = rng.uniform(10, 5000, 73), rng.uniform(-2, 4, 73)
    assert grow(gdp, gr).tobytes() == np.array([grow(x, y) for x, y in zip(gdp, gr, strict=True)]).tobytes()
