"""Credibility: beliefs in the US guarantee as Beta distributions updated by weighted signals.

Sources: Beta-Bernoulli learning (e.g. Gelman et al., *Bayesian Data Analysis*, ch. 2); costly
signals outweigh tying-hands pledges, which outweigh cheap talk (Fearon 1997, J. Conflict
Resolution 41(1)); reputation spill-over between commitments (Weisiger and Yarhi-Milo 2015,
International Organization 69(2)); the more an ally depends on its patron, the more it fears
abandonment and the closer it watches the patron (Snyder 1984, World Politics 36(4), "The
Security Dilemma in Alliance Politics").
"""

from __future__ import annotations

import numpy as np


def beta_mean(a, b):
    """Mean of Beta(a, b): the believed probability that the guarantee is honoured."""
    return a / (a + b)


def beta_from_mean(mean, strength):
    """The Beta(a, b) with the given mean and pseudo-count a + b = strength."""
    return mean * strength, (1.0 - mean) * strength


def beta_update(a, b, honoured, failed, forgetting=1.0):
    """Discounted Beta update: a' = lambda a + honoured, b' = lambda b + failed.

    ``honoured`` and ``failed`` are the weighted evidence received this month (w y and
    w (1 - y) summed over signals). With ``forgetting`` = 1 and unit weights this is the
    Beta-Bernoulli posterior: after h honoured and f failed tests the mean is
    (a + h) / (a + b + h + f). Forgetting (lambda < 1) keeps beliefs responsive: old evidence
    fades, so a long quiet spell drifts back towards indifference.
    """
    return forgetting * a + honoured, forgetting * b + failed


def odds_update(p, likelihood_ratio):
    """Posterior probability after a signal with the given likelihood ratio (odds form of Bayes).

    posterior odds = prior odds x LR; e.g. 0.8 (odds 4) with LR 0.5 gives 0.667.
    """
    odds = p / (1.0 - p) * likelihood_ratio
    return odds / (1.0 + odds)


def similarity(distance_a, distance_b, range_km):
    """How alike two allies look to an observer: exp(-|d_a - d_b| / range), d = distance to Moscow.

    Exposure is what makes one ally's treatment informative about another's: a failure to
    defend Estonia says more about Latvia than about Portugal.
    """
    return np.exp(-np.abs(np.asarray(distance_a) - np.asarray(distance_b)) / range_km)


def reputation_matrix(distance_km, rho, range_km):
    """r_ij: weight with which a signal about ally j is read as a signal about ally i.

    r_ii = 1 and r_ij = rho * similarity(i, j) otherwise. rho = 0 isolates commitments
    (no reputation); the pure Beta-Bernoulli case.
    """
    d = np.asarray(distance_km, dtype=float)
    r = np.asarray(rho, dtype=float)[..., None, None] * similarity(d[:, None], d[None, :], range_km)
    eye = np.eye(d.shape[-1], dtype=bool)
    return np.where(eye, 1.0, r)


def received_evidence(targeted, reputation, direct=0.0):
    """Evidence an observer receives: direct + sum_j r_ij * targeted_j (over the last axis).

    ``targeted[..., j]`` is the evidence carried by signals about ally j this month;
    ``reputation[..., j]`` the observer's row r_i. of the reputation matrix; ``direct`` the
    evidence addressed to the observer itself (e.g. a statement to all allies). For all
    observers at once pass the whole matrix and ``targeted[..., None, :]``. The sum is an
    elementwise product reduced over the last axis, not a matrix product, so a run gives the
    same bits alone or inside a batch.
    """
    return direct + (reputation * targeted).sum(axis=-1)


def troop_signal_weight(troops, troops_per_signal, weight_costly):
    """Weight of a troop movement as a costly signal: proportional to its size."""
    return weight_costly * np.abs(troops) / troops_per_signal


def dependence_on_patron(exposure, europe_response):
    """How far an ally's security rests on US escalation dominance: its exposure to Russia times
    the chance that the European forces in reach would *not* answer a move on it (the local
    balance). An exposed ally that Europe cannot hold (the Baltic states) depends most; a
    distant one, or one the European forces in reach can defend, least."""
    return exposure * (1.0 - europe_response)


def attention_scale(exposure, reference):
    """x_i / d_ref: an ally's exposure over the largest dependence among the allies at the start
    (:func:`dependence_on_patron`), fixed for a run; its dependence relative to the most
    dependent ally's is then this scale times (1 - e_i)."""
    return exposure / reference


def attention(scale, europe_response, weight, base, out=None):
    """Weight with which an ally reads evidence about the US guarantee: 1 - k + k min(1, d / d_ref).

    d = x (1 - e) is the ally's :func:`dependence_on_patron`, d_ref the largest dependence among
    the allies at the start, so d / d_ref = ``scale`` (1 - e) with ``scale`` from
    :func:`attention_scale`; k is the scenario's ``beliefs.dependence_attention`` and ``base``
    is 1 - k. k = 0: every ally reads every signal in full (beliefs learn at one speed); k = 1:
    an ally reads in proportion to its dependence, so the most dependent ally takes a withdrawal
    or an unanswered probe in full and a secure one hardly at all (Snyder 1984: fear of
    abandonment rises with dependence). Honoured and failed evidence are weighted alike, so what
    beliefs converge to is unchanged: attention sets how fast and how far each ally moves, not
    where it ends without a shock.

    ``out``: an array to compute into (the fast engine's, every month); the same operations in
    the same order as without it, so the same bits.
    """
    if out is None:
        return base + weight * np.minimum(scale * (1.0 - europe_response), 1.0)
    np.subtract(1.0, europe_response, out=out)
    np.multiply(scale, out, out=out)
    np.minimum(out, 1.0, out=out)
    np.multiply(weight, out, out=out)
    return np.add(base, out, out=out)
