"""Strategy: each ally's choice between collective defence, a bilateral deal, autonomy and
accommodation, as a logit choice with inertia and peer effects.

Sources: alliance security dilemma, abandonment and hedging (Snyder 1984, World Politics 36(4));
multinomial logit choice (McFadden 1974); peer effects that let choices cascade (Granovetter
1978, Am. J. Sociology 83(6)). The brief: "European nations each conclude their individual deal
with Trump ... members optimise for bilateral relationships with Washington".
"""

from __future__ import annotations

import numpy as np
from numba import njit

COLLECTIVE, DEAL, AUTONOMY, ACCOMMODATION = 0, 1, 2, 3
STRATEGIES = ("collective", "deal", "autonomy", "accommodation")


def strategy_utilities(
    credibility, solidarity, threat, deal_gain, price_burden, peer_deal_share,
    europeanist, russia_leaning, european_usable_capability, attachment_strain,
    *, collective_attachment, deal_threat_weight, deal_gap_weight, deal_price_weight,
    peer_weight, autonomy_weight, accommodation_weight,
):
    """Utilities of the four strategies, stacked on a new last axis.

    collective    = attachment - strain + c + sigma      (protection expected from the alliance)
    deal          = w_t T + w_g gain - w_p price + w_n peers   (a deal closes the credibility gap)
    autonomy      = w_a (europeanist + usable European capability)
    accommodation = w_c (russia_leaning + T (1 - c) - 1)   (threat with little protection)

    T is the threat (Russia's usable force weighted by exposure), c the credibility belief,
    ``deal_gain`` the rise in credibility a deal would bring, ``price_burden`` the deal's price
    as a share of the ally's defence effort under the deal (:func:`sim.model.deals.price_burden`).
    """
    collective = collective_attachment - attachment_strain + credibility + solidarity
    deal = (deal_threat_weight * threat + deal_gap_weight * deal_gain
            - deal_price_weight * price_burden + peer_weight * peer_deal_share)
    autonomy = autonomy_weight * (europeanist + european_usable_capability)
    accommodation = accommodation_weight * (russia_leaning + threat * (1.0 - credibility) - 1.0)
    return np.stack(np.broadcast_arrays(collective, deal, autonomy, accommodation), axis=-1)


def logit_probabilities(utilities, temperature):
    """Multinomial logit: P_k = exp(U_k / tau) / sum_l exp(U_l / tau), over the last axis."""
    z = utilities / np.asarray(temperature)[..., None]
    # in place on the new array z: the same operations, without a temporary each
    np.subtract(z, z.max(axis=-1, keepdims=True), out=z)
    np.exp(z, out=z)
    return np.divide(z, z.sum(axis=-1, keepdims=True), out=z)


def draw_choice(probabilities, u):
    """Inverse-CDF draw over the last axis with a uniform u: the first k with cum P_k > u.

    The cumulative sum runs from P_0 upwards, one addition at a time, as ``np.cumsum`` does;
    the first k with cum P_k > u is the number of k with cum P_k <= u (the sums never fall),
    at most the last index. Compiled (:func:`_draw_rows`): the ensemble engine draws for
    thousands of rows at once, the Mesa model for one."""
    p = np.asarray(probabilities, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if u.shape != p.shape[:-1]:
        u = np.broadcast_to(u, p.shape[:-1])
    out = np.empty(p.shape[:-1], dtype=np.int64)
    _draw_rows(p.reshape(-1, p.shape[-1]), u.reshape(-1), out.reshape(-1))
    return out if out.ndim else out[()]


@njit(cache=True)
def _draw_rows(p, u, out):
    k_max = p.shape[1] - 1
    for r in range(p.shape[0]):
        cum = 0.0
        k = 0
        for j in range(p.shape[1]):
            cum = p[r, j] if j == 0 else cum + p[r, j]
            if cum <= u[r]:
                k += 1
        out[r] = min(k, k_max)


def deal_gain(credibility, will_deal_weight):
    """Credibility a deal would add, read through the patron's will: logistic(logit c + w) - c."""
    c = np.clip(credibility, 1e-9, 1 - 1e-9)
    logit = np.log(c / (1.0 - c)) + will_deal_weight
    return 1.0 / (1.0 + np.exp(-logit)) - c


def cohesion(strategies, weights=None):
    """Cohesion index: the (optionally weighted) share of allies choosing collective defence.

    1 = everyone acts through the alliance; 0 = every ally hedges on its own. Unitless.
    """
    collective = (np.asarray(strategies) == COLLECTIVE).astype(float)
    if weights is None:
        return collective.mean(axis=-1)
    return (collective * weights).sum(axis=-1) / np.sum(weights, axis=-1)
