"""Tests for sim.model.rules.spending: Olson-Zeckhauser and joint products, calibration, floors, ramps.

Closed forms from validation.md section 1: Olson and Zeckhauser (1966), "An Economic Theory of
Alliances", Rev. Econ. Stat. 48(3); Sandler and Forbes (1980), Econ. Inquiry 18(3).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules import spending
from sim.model.rules.spending import (
    adjust_share,
    best_response,
    calibrated_alpha,
    nash_contributions,
    pledge_floor,
    threatened_alpha,
)

TIGHT = 1e-12


def approx(x, rel=TIGHT, abs=TIGHT):
    return pytest.approx(x, rel=rel, abs=abs)


# --------------------------------------------------------------------------------------------
# Olson-Zeckhauser (1966): pure public good, Cobb-Douglas


def test_rich_and_poor_ally_poor_one_free_rides():
    """a=0.5, I=(100, 10): q=(50, 0), Q*=50; the optimum Q° = a sum I = 55 (O-Z 1966)."""
    q, total = nash_contributions([100.0, 10.0], 0.5)
    assert q.tolist() == approx([50.0, 0.0])
    assert total == approx(50.0)
    optimum = 0.5 * (100.0 + 10.0)
    assert optimum == 55.0
    assert total < optimum
    # The Nash contributions are mutual best responses (the reaction floored at zero).
    assert best_response(100.0, q[1], 0.5) == approx(q[0])
    assert best_response(10.0, q[0], 0.5) == 0.0


def test_two_identical_allies():
    """a=0.1, n=2, I=1: q_i = a / (a + n (1 - a)) = 0.1/1.9 = 0.0526 each."""
    q, total = nash_contributions([1.0, 1.0], 0.1)
    assert q.tolist() == approx([0.1 / 1.9, 0.1 / 1.9])
    assert q[0] == pytest.approx(0.0526, abs=5e-5)
    assert total == approx(0.2 / 1.9)


def test_thirty_two_identical_allies_suboptimality():
    """n=32: q_i = 0.1/28.9 = 0.00346 and Q*/Q° = 1/(a + n(1 - a)) = 1/28.9 = 0.0346."""
    q, total = nash_contributions(np.ones(32), 0.1)
    assert q == approx(np.full(32, 0.1 / 28.9))
    assert q[0] == pytest.approx(0.00346, abs=5e-6)
    ratio = total / (0.1 * 32)
    assert ratio == approx(1.0 / (0.1 + 32 * 0.9))
    assert ratio == pytest.approx(0.0346, abs=5e-5)


def test_neutrality_of_income_redistribution():
    """Warr neutrality in O-Z: a=0.5, I=(60, 50) gives Q*=36.67; moving 5 of income from ally 2
    to ally 1 leaves Q* unchanged and shifts contributions by +5 / -5."""
    q0, total0 = nash_contributions([60.0, 50.0], 0.5)
    q1, total1 = nash_contributions([65.0, 45.0], 0.5)
    assert total0 == approx(110.0 / 3.0)
    assert total0 == pytest.approx(36.67, abs=5e-3)
    assert total1 == approx(total0)
    assert (q1 - q0).tolist() == approx([5.0, -5.0])
    assert q0.tolist() == approx([70.0 / 3.0, 40.0 / 3.0])


@pytest.mark.parametrize("alpha", [0.1, 0.3, 0.5, 0.8])
def test_reaction_slope_is_minus_one_minus_alpha(alpha):
    """q_i = a I - (1 - a) S: a unit more spill-in lowers own spending by (1 - a)."""
    income, s1, s2 = 100.0, 3.0, 7.0
    slope = (best_response(income, s2, alpha) - best_response(income, s1, alpha)) / (s2 - s1)
    assert slope == approx(-(1.0 - alpha), rel=1e-10)


def test_best_response_is_floored_at_zero():
    assert best_response(10.0, 1000.0, 0.5) == 0.0
    assert best_response(10.0, 10.0, 0.5) == 0.0  # a I = (1 - a) S exactly


def test_exploitation_of_the_great_by_the_small():
    """Burden q_i / I_i = 1 - (1 - a) Q* / (a I_i) rises with I_i among contributors."""
    alpha = 0.5
    incomes = np.array([90.0, 95.0, 100.0, 105.0, 110.0])
    q, total = nash_contributions(incomes, alpha)
    assert (q > 0).all()
    burden = q / incomes
    assert np.all(np.diff(burden) > 0)
    assert burden == approx(1.0 - (1.0 - alpha) * total / (alpha * incomes), rel=1e-10)


def test_contributing_set_and_threshold():
    """i contributes iff I_i > (1 - a) Q* / a; the others contribute nothing."""
    alpha = 0.4
    incomes = np.array([100.0, 70.0, 20.0, 5.0, 1.0])
    q, total = nash_contributions(incomes, alpha)
    contributes = incomes > (1.0 - alpha) * total / alpha
    assert contributes.tolist() == [True, True, False, False, False]
    assert (q[~contributes] == 0).all() and (q[contributes] > 0).all()
    c = contributes.sum()
    assert total == approx(alpha * incomes[contributes].sum() / (alpha + c * (1.0 - alpha)))
    assert q.sum() == approx(total)


def test_nash_is_a_fixed_point_of_best_responses():
    rng = np.random.default_rng(11)
    for _ in range(20):
        incomes = rng.uniform(1.0, 100.0, size=rng.integers(2, 12))
        alpha = rng.uniform(0.05, 0.9)
        t = rng.uniform(0.0, 0.95)
        q, total = nash_contributions(incomes, alpha, private_share=t)
        spill = (1.0 - t) * (total - q)
        assert best_response(incomes, spill, alpha) == approx(q, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------------------------
# Joint products (Sandler and Forbes 1980)


@pytest.mark.parametrize(
    ("incomes", "alpha"),
    [([100.0, 10.0], 0.5), ([1.0, 1.0], 0.1), (np.ones(32), 0.1), ([60.0, 50.0], 0.5), ([65.0, 45.0], 0.5)],
)
def test_private_share_zero_reproduces_olson_zeckhauser(incomes, alpha):
    q0, total0 = nash_contributions(incomes, alpha)
    q, total = nash_contributions(incomes, alpha, private_share=0.0)
    assert np.array_equal(q, q0) and total == total0


def test_joint_products_close_the_gap_to_the_optimum():
    """Q*/Q° rises monotonically with the private share t and reaches 1 at t = 1; with n
    identical allies Q*/Q° = 1 / (1 - k + k n), k = (1 - a)(1 - t)."""
    alpha, n = 0.1, 32
    incomes = np.ones(n)
    optimum = alpha * incomes.sum()
    ts = [0.0, 0.25, 0.5, 0.75, 0.99]
    ratios = []
    for t in ts:
        _, total = nash_contributions(incomes, alpha, private_share=t)
        k = (1.0 - alpha) * (1.0 - t)
        assert total / optimum == approx(1.0 / (1.0 - k + k * n), rel=1e-10)
        ratios.append(total / optimum)
    assert ratios[0] == approx(1.0 / 28.9, rel=1e-10)
    assert np.all(np.diff(ratios) > 0)
    assert all(r < 1.0 for r in ratios)
    assert ratios[-1] > 0.75
    _, total1 = nash_contributions(incomes, alpha, private_share=1.0)
    assert total1 / optimum == approx(1.0)


def test_joint_products_unequal_incomes_monotone():
    """With a free rider, Q* stays at a I_1 until the private share draws the small ally in;
    from then on it rises towards the optimum: weakly monotone, strictly above at t = .99."""
    incomes = np.array([100.0, 10.0])
    optimum = 0.5 * incomes.sum()
    ratios = [nash_contributions(incomes, 0.5, private_share=t)[1] / optimum
              for t in (0.0, 0.25, 0.5, 0.75, 0.99)]
    assert ratios[0] == approx(50.0 / 55.0)
    assert np.all(np.diff(ratios) >= 0) and ratios[0] < ratios[-1] < 1.0
    assert ratios[-1] == approx(nash_contributions(incomes, 0.5, private_share=0.99)[1] / optimum)
    # At t = .99, k = .005: both contribute and Q* = a sum I / (1 - k + 2k).
    assert ratios[-1] == approx(1.0 / 1.005)


# --------------------------------------------------------------------------------------------
# Calibration and the threat


@pytest.mark.parametrize(("q", "income", "spill"), [(2.0, 100.0, 0.0), (5.0, 40.0, 30.0), (0.4, 20.0, 900.0)])
def test_calibrated_alpha_round_trip(q, income, spill):
    """a = (q + S)/(I + S) makes the observed spending q exactly a best response."""
    alpha = calibrated_alpha(q, income, spill)
    assert 0.0 < alpha < 1.0
    assert best_response(income, spill, alpha) == approx(q, rel=1e-12, abs=1e-12)


def test_threatened_alpha_unchanged_when_threat_unchanged():
    for exposure in (0.0, 0.3, 1.0):
        for sens in (0.0, 0.5, 3.0):
            assert threatened_alpha(0.04, 1.0, exposure, sens) == 0.04


def test_threatened_alpha_rises_with_exposure_when_threat_rises():
    exposures = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
    alpha = threatened_alpha(0.05, 1.5, exposures, 0.8)
    assert alpha[0] == 0.05
    assert np.all(np.diff(alpha) > 0)
    assert alpha == approx(0.05 * (1.0 + 0.8 * exposures * 0.5))
    # A falling threat lowers the weight on security, most for the exposed.
    falling = threatened_alpha(0.05, 0.5, exposures, 0.8)
    assert np.all(np.diff(falling) < 0)


def test_threatened_alpha_is_bounded():
    assert threatened_alpha(0.5, 100.0, 1.0, 5.0) == 0.95
    assert threatened_alpha(0.5, 0.0, 1.0, 5.0) == 0.0


def test_spill_in_closed_form():
    """S = (1 - theta) (c P + sigma E); theta = 1 makes own defence wholly private."""
    assert spending.spill_in(0.25, 0.8, 10.0, 0.5, 4.0) == approx(0.75 * (8.0 + 2.0))
    assert spending.spill_in(1.0, 0.8, 10.0, 0.5, 4.0) == 0.0


# --------------------------------------------------------------------------------------------
# Floors, targets and ramps


def test_adjust_share_never_moves_more_than_a_monthly_ramp():
    current = np.linspace(0.0, 6.0, 25)
    targets = np.linspace(10.0, -4.0, 25)
    for speed in (0.05, 0.5, 1.0):
        for ramp in (0.3, 1.0, 2.4):
            new = adjust_share(current, targets, speed, ramp)
            step = np.abs(new - current)
            assert np.all(step <= ramp / 12.0 + 1e-15)
            # Direction is always towards the target, and never past it.
            assert np.all(np.sign(new - current) == np.sign(targets - current))
            assert np.all(np.abs(targets - new) <= np.abs(targets - current))
    # A large gap moves exactly one monthly ramp; a small one moves speed x gap.
    assert adjust_share(2.0, 5.0, 1.0, 1.2) == approx(2.1)
    assert adjust_share(2.0, 2.05, 0.2, 1.2) == approx(2.01)


def test_pledge_floor_hits_target_at_pledge_year_and_never_falls_below_start():
    start, target = 2.0, 3.5
    years = np.linspace(2020.0, 2040.0, 81)
    floor = pledge_floor(start, target, years, 2026.0, 2035.0)
    assert pledge_floor(start, target, 2035.0, 2026.0, 2035.0) == approx(target)
    assert pledge_floor(start, target, 2026.0, 2026.0, 2035.0) == start
    assert pledge_floor(start, target, 2030.5, 2026.0, 2035.0) == approx(2.0 + 1.5 * 4.5 / 9.0)
    assert np.all(floor >= start)
    assert np.all(floor <= target)
    assert np.all(np.diff(floor) >= 0)
    assert np.all(floor[years >= 2035.0] == approx(target))
    # An ally already above the target is not pulled down.
    above = pledge_floor(4.5, target, years, 2026.0, 2035.0)
    assert np.all(above == 4.5)


def test_target_share_bounds():
    """s* = min(ceiling, max(best response, floor if complying, deal floor))."""
    assert spending.target_share(1.0, 2.5, True, 0.0, 5.0) == 2.5
    assert spending.target_share(1.0, 2.5, False, 0.0, 5.0) == 1.0
    assert spending.target_share(1.0, 2.5, False, 3.0, 5.0) == 3.0
    assert spending.target_share(7.0, 2.5, True, 3.0, 5.0) == 5.0


def test_compliance_probability_is_logistic():
    p = spending.compliance_probability(-1.0, 2.0, 0.5, 1.0, 0.25)
    assert p == approx(1.0 / (1.0 + np.exp(-0.25)))
    assert spending.compliance_probability(0.0, 1.0, 0.0, 1.0, 0.0) == 0.5


# --------------------------------------------------------------------------------------------
# Scalars and arrays give the same bits


def _same_bits(array_result, scalar_results):
    a = np.asarray(array_result, dtype=float)
    s = np.asarray([float(x) for x in scalar_results], dtype=float)
    return a.shape == s.shape and a.tobytes() == s.tobytes()


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(5)
    n = 257  # not a multiple of any SIMD width
    income = rng.uniform(1, 500, n)
    spill = rng.uniform(0, 800, n)
    alpha = rng.uniform(0.01, 0.3, n)
    exposure = rng.uniform(0, 1, n)
    cur, tgt = rng.uniform(0, 5, n), rng.uniform(0, 6, n)
    year = rng.uniform(2024, 2040, n)
    start = rng.uniform(0.5, 4.5, n)
    assert _same_bits(best_response(income, spill, alpha),
                      [best_response(*x) for x in zip(income, spill, alpha, strict=True)])
    assert _same_bits(calibrated_alpha(alpha * income, income, spill),
                      [calibrated_alpha(a * i, i, s) for a, i, s in zip(alpha, income, spill, strict=True)])
    assert _same_bits(threatened_alpha(alpha, 1.7, exposure, 0.6),
                      [threatened_alpha(a, 1.7, e, 0.6) for a, e in zip(alpha, exposure, strict=True)])
    assert _same_bits(adjust_share(cur, tgt, 0.15, 0.7),
                      [adjust_share(c, t, 0.15, 0.7) for c, t in zip(cur, tgt, strict=True)])
    assert _same_bits(pledge_floor(start, 3.5, year, 2026.0, 2035.0),
                      [pledge_floor(s, 3.5, y, 2026.0, 2035.0) for s, y in zip(start, year, strict=True)])
    assert _same_bits(spending.compliance_probability(alpha, 1.3, exposure, 0.9, cur / 5),
                      [spending.compliance_probability(a, 1.3, e, 0.9, c / 5)
                       for a, e, c in zip(alpha, exposure, cur, strict=True)])


def test_array_over_runs_and_allies_broadcasts():
    """Shapes [runs, allies] broadcast against per-run parameters of shape [runs, 1]."""
    income = np.array([[100.0, 10.0], [60.0, 50.0]])
    alpha = np.array([[0.5], [0.2]])
    out = best_response(income, 0.0, alpha)
    assert out.shape == (2, 2)
    assert out.tolist() == [[50.0, 5.0], [12.0, 10.0]]
