"""Tests for sim.model.rules.credibility: Beta-Bernoulli learning, odds form, reputation, martingale.

Closed forms from validation.md section 1 (Bayesian credibility); Beta-Bernoulli conjugacy as in
Gelman et al., *Bayesian Data Analysis*, ch. 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.credibility import (
    beta_from_mean,
    beta_mean,
    beta_update,
    odds_update,
    received_evidence,
    reputation_matrix,
    similarity,
    troop_signal_weight,
)

DISTANCES = np.array([790.0, 842.0, 867.0, 1151.0, 1609.0, 2486.0, 3906.0])


def test_beta_eight_two_then_one_failure():
    """Beta(8, 2), one failed test: mean 8/11 = 0.727."""
    a, b = beta_update(8.0, 2.0, 0.0, 1.0)
    assert (a, b) == (8.0, 3.0)
    assert beta_mean(a, b) == pytest.approx(8.0 / 11.0, rel=1e-15)
    assert beta_mean(a, b) == pytest.approx(0.727, abs=5e-4)


@pytest.mark.parametrize(("a", "b", "h", "f"), [(8, 2, 0, 1), (1, 1, 3, 0), (2.5, 7.5, 4, 6), (10, 10, 0, 0)])
def test_beta_mean_after_tests(a, b, h, f):
    """After h honoured and f failed unit-weight tests: (a + h) / (a + b + h + f)."""
    a1, b1 = float(a), float(b)
    for _ in range(h):
        a1, b1 = beta_update(a1, b1, 1.0, 0.0)
    for _ in range(f):
        a1, b1 = beta_update(a1, b1, 0.0, 1.0)
    assert beta_mean(a1, b1) == pytest.approx((a + h) / (a + b + h + f), rel=1e-14)
    # All at once, as one month's summed evidence, gives the same posterior.
    assert beta_update(float(a), float(b), h, f) == (a + h, b + f)


def test_forgetting_discounts_old_evidence():
    a, b = beta_update(8.0, 2.0, 1.0, 0.5, forgetting=0.9)
    assert (a, b) == pytest.approx((8.2, 2.3), rel=1e-15)
    # With no news, forgetting leaves the mean alone and weakens the belief.
    a, b = beta_update(8.0, 2.0, 0.0, 0.0, forgetting=0.5)
    assert beta_mean(a, b) == pytest.approx(0.8, rel=1e-15) and a + b == 5.0


def test_beta_from_mean_round_trip():
    a, b = beta_from_mean(0.7, 20.0)
    assert (a, b) == pytest.approx((14.0, 6.0), rel=1e-15)
    assert beta_mean(a, b) == pytest.approx(0.7, rel=1e-15)


def test_odds_form():
    """Prior 0.8 (odds 4), likelihood ratio 0.5 -> 2/3; two such signals -> 0.5."""
    p1 = odds_update(0.8, 0.5)
    assert p1 == pytest.approx(2.0 / 3.0, rel=1e-14)
    assert odds_update(p1, 0.5) == pytest.approx(0.5, rel=1e-14)
    assert odds_update(0.3, 1.0) == pytest.approx(0.3, rel=1e-14)  # an uninformative signal


def test_similarity_and_reputation_matrix():
    d = DISTANCES
    r = reputation_matrix(d, 0.4, 1000.0)
    assert r.shape == (len(d), len(d))
    assert np.all(np.diag(r) == 1.0)
    assert np.array_equal(r, r.T)
    off = ~np.eye(len(d), dtype=bool)
    assert np.all(r[off] > 0) and np.all(r[off] <= 0.4)
    assert r[0, 1] == pytest.approx(0.4 * np.exp(-52.0 / 1000.0), rel=1e-14)
    # Nearer neighbours (in distance to Moscow) look more alike than distant allies.
    assert r[0, 1] > r[0, 4] > r[0, 6]
    assert similarity(800.0, 800.0, 1000.0) == 1.0
    assert np.array_equal(reputation_matrix(d, 0.0, 1000.0), np.eye(len(d)))


def test_reputation_matrix_per_run_rho():
    rho = np.array([0.0, 0.25, 1.0])
    r = reputation_matrix(DISTANCES, rho, 500.0)
    assert r.shape == (3, len(DISTANCES), len(DISTANCES))
    assert np.array_equal(r[0], np.eye(len(DISTANCES)))
    for k, value in enumerate(rho):
        assert np.array_equal(r[k], reputation_matrix(DISTANCES, value, 500.0))


def test_received_evidence_with_no_reputation_is_own_signal_only():
    targeted = np.array([3.0, 0.0, 1.5, 0.0, 2.0, 0.0, 7.0])
    eye = reputation_matrix(DISTANCES, 0.0, 1000.0)
    for i in range(len(DISTANCES)):
        assert received_evidence(targeted, eye[i]) == targeted[i]
        assert received_evidence(targeted, eye[i], direct=0.25) == targeted[i] + 0.25
    # All observers at once: the whole matrix against targeted[None, :].
    assert np.array_equal(received_evidence(targeted[None, :], eye), targeted)


def test_received_evidence_with_reputation_adds_weighted_signals():
    targeted = np.zeros(len(DISTANCES))
    targeted[0] = 2.0  # one signal about the ally nearest to Moscow
    r = reputation_matrix(DISTANCES, 0.5, 1000.0)
    got = received_evidence(targeted[None, :], r)
    assert got[0] == 2.0
    assert got[1:] == pytest.approx(2.0 * r[1:, 0], rel=1e-15)
    assert np.all(np.diff(got) < 0)  # fades with dissimilarity


def test_received_evidence_batch_equals_alone():
    """A run gives the same bits alone or inside a batch (elementwise product, then sum)."""
    rng = np.random.default_rng(3)
    targeted = rng.uniform(0, 3, (50, len(DISTANCES)))
    rho = rng.uniform(0, 1, 50)
    r = reputation_matrix(DISTANCES, rho, 1000.0)
    batch = received_evidence(targeted[:, None, :], r)
    alone = np.array([received_evidence(targeted[k][None, :], reputation_matrix(DISTANCES, rho[k], 1000.0))
                      for k in range(50)])
    assert batch.tobytes() == alone.tobytes()


def test_troop_signal_weight_proportional_to_size():
    assert troop_signal_weight(5000.0, 5000.0, 3.0) == 3.0
    assert troop_signal_weight(-2500.0, 5000.0, 3.0) == 1.5


# --------------------------------------------------------------------------------------------
# Martingale: averaged over the model's own signal distribution, beliefs do not drift


@pytest.mark.parametrize(("a", "b"), [(8.0, 2.0), (1.0, 1.0), (3.3, 11.7), (0.5, 40.0)])
@pytest.mark.parametrize("weight", [1.0, 2.5])
def test_martingale_exact_by_enumeration(a, b, weight):
    """y ~ Bernoulli(m), m = a / (a + b): E[posterior mean] = m exactly.

    m (a + w)/(a + b + w) + (1 - m) a/(a + b + w) = (a + m w)/(a + b + w) = m.
    """
    m = beta_mean(a, b)
    up = beta_mean(*beta_update(a, b, weight * 1.0, weight * 0.0, 1.0))
    down = beta_mean(*beta_update(a, b, weight * 0.0, weight * 1.0, 1.0))
    assert up > m > down
    assert m * up + (1.0 - m) * down == pytest.approx(m, rel=1e-14)


def test_martingale_monte_carlo():
    """200,000 paths of 12 months each: y_t ~ Bernoulli(current mean), unit weight, forgetting 1.
    The sample mean of the final belief is within 4 standard errors of the prior mean."""
    rng = np.random.default_rng(20260501)
    n = 200_000
    a0, b0 = 8.0, 2.0
    a = np.full(n, a0)
    b = np.full(n, b0)
    one_step = None
    for t in range(12):
        y = (rng.random(n) < beta_mean(a, b)).astype(float)
        a, b = beta_update(a, b, y, 1.0 - y, 1.0)
        if t == 0:
            one_step = beta_mean(a, b)
    prior = beta_mean(a0, b0)
    for sample in (one_step, beta_mean(a, b)):
        se = sample.std(ddof=1) / np.sqrt(n)
        assert se > 0
        assert abs(sample.mean() - prior) < 4.0 * se
    # The test can fail: a biased signal (y drawn with a higher chance) drifts far outside.
    biased = np.where(rng.random(n) < prior + 0.05, 1.0, 0.0)
    drifted = beta_mean(*beta_update(np.full(n, a0), np.full(n, b0), biased, 1.0 - biased, 1.0))
    assert abs(drifted.mean() - prior) > 4.0 * drifted.std(ddof=1) / np.sqrt(n)


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(9)
    a, b = rng.uniform(0.5, 30, 101), rng.uniform(0.5, 30, 101)
    h, f = rng.uniform(0, 3, 101), rng.uniform(0, 3, 101)
    lam = rng.uniform(0.9, 1.0, 101)
    arr_a, arr_b = beta_update(a, b, h, f, lam)
    sc = [beta_update(*x) for x in zip(a, b, h, f, lam, strict=True)]
    assert arr_a.tobytes() == np.array([s[0] for s in sc]).tobytes()
    assert arr_b.tobytes() == np.array([s[1] for s in sc]).tobytes()
    p = rng.uniform(0.01, 0.99, 101)
    lr = rng.uniform(0.1, 3.0, 101)
    assert odds_update(p, lr).tobytes() == np.array([odds_update(x, y) for x, y in zip(p, lr, strict=True)]).tobytes()
    assert beta_mean(a, b).tobytes() == np.array([beta_mean(x, y) for x, y in zip(a, b, strict=True)]).tobytes()


def test_attention_follows_dependence_and_is_the_same_into_a_buffer():
    """Snyder (1984): attention 1 - k + k min(1, d/d_ref). k = 0 reads everything in full; k = 1
    reads in proportion to dependence, the most dependent ally in full; computed into a buffer
    (the fast engine) or not (the Mesa engine), the same bits."""
    from sim.model.rules.credibility import attention, attention_scale, dependence_on_patron

    exposure, europe = np.array([0.5, 0.25, 0.05]), np.array([0.2, 0.6, 0.9])
    d = dependence_on_patron(exposure, europe)
    assert d.tolist() == pytest.approx([0.4, 0.1, 0.005])
    scale = attention_scale(exposure, d.max())
    assert attention(scale, europe, 0.0, 1.0).tolist() == [1.0, 1.0, 1.0]
    full = attention(scale, europe, 1.0, 0.0)
    assert full.tolist() == pytest.approx([1.0, 0.25, 0.0125])
    half = attention(scale, europe, 0.5, 0.5)
    out = np.empty(3)
    assert attention(scale, europe, 0.5, 0.5, out=out) is out
    assert out.tolist() == half.tolist() == pytest.approx([1.0, 0.625, 0.50625])
    # one ally at a time (the Mesa engine's scalars) gives the array's bits
    assert [float(attention(scale[i], europe[i], 0.5, 0.5)) for i in range(3)] == half.tolist()
