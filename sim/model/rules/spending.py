"""Spending: allies' defence budgets as a best response in a joint-product alliance.

Sources: Olson and Zeckhauser (1966), "An Economic Theory of Alliances", Rev. Econ. Stat. 48(3);
Sandler and Forbes (1980), "Burden sharing, strategy, and the design of NATO", Econ. Inquiry
18(3) (joint products: a private share of one's own defence); partial adjustment and pledge
floors follow the NATO 2014 Wales and 2025 Hague commitments.

Money is in USD bn per year; shares in % of GDP.
"""

from __future__ import annotations

import numpy as np


def best_response(income, spill_in, alpha):
    """Olson-Zeckhauser reaction with Cobb-Douglas utility (1-a) ln(I - q) + a ln(q + S):

    q = max(0, a I - (1 - a) S). Spill-in enters with slope -(1 - a).
    """
    return np.maximum(0.0, alpha * income - (1.0 - alpha) * spill_in)


def nash_contributions(incomes, alpha, private_share=0.0):
    """Nash equilibrium of the pure (or joint-product) alliance, by the closed form.

    With a private share t of one's own defence, ally i's spill-in is (1 - t) Q_-i, so
    q_i = a I_i - k Q_-i with k = (1 - a)(1 - t). Over the contributing set C this gives
    Q* = a sum_C I / (1 - k + k |C|), with C shrunk until every member contributes.
    t = 0 is Olson-Zeckhauser, Q* = a sum_C I / (a + |C| (1 - a)); t -> 1 gives the optimum
    Q = a sum I. Returns (contributions, total).
    """
    incomes = np.asarray(incomes, dtype=float)
    k = (1.0 - alpha) * (1.0 - private_share)
    active = np.ones(incomes.shape, dtype=bool)
    while True:
        n = active.sum()
        # q_i = a I_i - k (Q - q_i)  =>  q_i (1 - k) = a I_i - k Q ; sum over C gives Q.
        total = alpha * incomes[active].sum() / (1.0 - k + k * n)
        q = np.where(active, (alpha * incomes - k * total) / (1.0 - k), 0.0)
        if (q[active] >= 0).all():
            return q, total
        active &= q > 0


def calibrated_alpha(spending, income, spill_in):
    """The weight on security that makes observed spending a best response: a = (q + S) / (I + S).

    Calibrating on the starting year reproduces its spending exactly; threat and credibility
    then move allies away from it.
    """
    return (spending + spill_in) / (income + spill_in)


def threatened_alpha(alpha0, threat_ratio, exposure, sensitivity):
    """Weight on security as the threat changes: a0 (1 + sensitivity * exposure * (T/T0 - 1)).

    Exposure in [0, 1] decays with distance from Russia, so a rise in Russian usable force
    moves the frontline most (the distance gradient in NATO's 2021-2025 figures).
    """
    return np.clip(alpha0 * (1.0 + sensitivity * exposure * (threat_ratio - 1.0)), 0.0, 0.95)


def spill_in(private_share, credibility, us_protection, solidarity, european_protection):
    """Effective spill-in: S = (1 - theta) (c P + sigma E).

    What an ally counts on from others, in money: US protection in reach, weighted by its
    belief that the guarantee holds, plus European protection in reach, weighted by its
    belief in European solidarity. theta is the private share of its own defence.
    """
    return (1.0 - private_share) * (credibility * us_protection + solidarity * european_protection)


def pledge_floor(start_share, target, year, start_year, pledge_year):
    """The pledge path: linear from the starting share to the target by the pledge year.

    The Hague (25 June 2025): at least 3.5% core defence by 2035 on a "credible, incremental
    path". Allies already above the target are not pulled down.
    """
    # np.maximum, not max: the ensemble engine passes one pledge year per run (an array).
    frac = np.clip((year - start_year) / np.maximum(pledge_year - start_year, 1e-9), 0.0, 1.0)
    return np.maximum(start_share, start_share + (target - start_share) * frac)


def target_share(best_response_share, floor, complies, deal_floor, ceiling, law_floor=0.0):
    """s* = min(ceiling, max(best response, floor if complying, deal floor, law floor)). All % of
    GDP. The law floor is a national budget law's share for the year (``budget_law`` events):
    unlike the pledge path it binds whether or not the ally chose to comply this year."""
    s = np.maximum(best_response_share, np.where(complies, floor, 0.0))
    return np.minimum(ceiling, np.maximum(np.maximum(s, deal_floor), law_floor))


def adjust_share(current, target, speed, max_ramp_per_year):
    """Partial adjustment towards the target, at most ``max_ramp`` points a year either way."""
    step = np.clip(speed * (target - current), -max_ramp_per_year / 12.0, max_ramp_per_year / 12.0)
    return current + step


def compliance_probability(base, pressure_weight, pressure, peer_weight, peer_share):
    """Chance an ally follows the pledge path this year: logistic(base + w_p p + w_n n)."""
    return 1.0 / (1.0 + np.exp(-(base + pressure_weight * pressure + peer_weight * peer_share)))
