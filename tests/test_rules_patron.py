"""Tests for sim.model.rules.patron: the latent will to defend (Schelling 1966, tripwires and
conditional guarantees) and the reach of US forces (RAND, Frederick et al. 2020)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.rules.patron import forces_in_reach, response_effectiveness, will_to_defend

W = dict(base=1.0, payment_weight=1.5, conditionality_penalty=0.4, deal_weight=0.8,
         tripwire_weight=0.4, distraction_weight=1.2, exit_penalty=3.0)


def will(share=2.0, threshold=3.5, strictness=1.0, deal=0.0, troops=0.0, attention=1.0, exit_=0.0, **kw):
    return will_to_defend(share, threshold, strictness, deal, troops, attention, exit_, **{**W, **kw})


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_will_by_hand():
    """z = w0 + s (w_pay min(0, share - threshold) - c) + w_deal deal + w_trip ln(1 + troops/1000)
    - w_att (1 - attention) - exit_penalty exit."""
    z = 1.0 + 1.0 * (1.5 * (2.0 - 3.5) - 0.4) + 0.8 * 1.0 + 0.4 * np.log(1 + 8.0) - 1.2 * 0.3
    got = will(share=2.0, threshold=3.5, strictness=1.0, deal=1.0, troops=8000.0, attention=0.7)
    assert got == pytest.approx(logistic(z), rel=1e-14)


def test_unconditional_baseline():
    """No conditionality, no deal, no troops, full attention: logistic(w0)."""
    assert will(strictness=0.0) == pytest.approx(logistic(1.0), rel=1e-15)


def test_strictness_zero_makes_spending_irrelevant():
    shares = np.linspace(0.0, 6.0, 13)
    w = will(share=shares, strictness=0.0)
    assert np.all(w == w[0])
    # With a strict conditional guarantee, spending below the threshold lowers the will.
    strict = will(share=shares, strictness=1.0)
    below = shares < 3.5
    assert np.all(np.diff(strict[below]) > 0)
    assert np.all(strict <= w)


def test_tripwire_raises_will():
    troops = np.array([0.0, 500.0, 5000.0, 20000.0, 40000.0])
    w = will(troops=troops)
    assert np.all(np.diff(w) > 0)


def test_exit_notice_lowers_will():
    assert will(exit_=1.0) < will(exit_=0.0)
    assert will(exit_=1.0) == pytest.approx(
        logistic(logit := np.log(will() / (1 - will())) - 3.0), rel=1e-12
    ), logit


def test_deal_and_attention():
    assert will(deal=1.0) > will(deal=0.0)
    assert will(attention=0.5) < will(attention=1.0)


def test_forces_in_reach_and_effectiveness():
    assert forces_in_reach(1000.0, 40000.0, 0.5) == 21000.0
    assert response_effectiveness(0.0, 10000.0) == 0.0
    assert response_effectiveness(10000.0, 10000.0) == pytest.approx(1.0 - np.exp(-1.0), rel=1e-15)
    f = np.array([0.0, 1e3, 1e4, 1e5])
    assert np.all(np.diff(response_effectiveness(f, 5000.0)) > 0)


def test_array_and_scalar_calls_agree_bit_for_bit():
    rng = np.random.default_rng(12)
    share, troops, att = rng.uniform(0, 6, 97), rng.uniform(0, 4e4, 97), rng.uniform(0.5, 1, 97)
    arr = will(share=share, troops=troops, attention=att)
    sc = np.array([will(share=s, troops=t, attention=a) for s, t, a in zip(share, troops, att, strict=True)])
    assert arr.tobytes() == sc.tobytes()
    arr = response_effectiveness(troops, 7000.0)
    assert arr.tobytes() == np.array([response_effectiveness(t, 7000.0) for t in troops]).tobytes()


def test_rival_payment_forms_graded_and_step():
    """phi = 0 (graded): an ally 0.1 points short loses 0.1 w_pay; phi = 1 (step): the full w_pay,
    as one 2 points short does; above the threshold neither form costs anything."""
    def z(share, phi):
        return will(share=share, threshold=3.5, strictness=1.0, payment_form=phi)

    c = W["conditionality_penalty"]
    assert z(3.4, 0.0) == pytest.approx(logistic(1.0 - 1.5 * 0.1 - c), rel=1e-12)
    assert z(3.4, 1.0) == pytest.approx(logistic(1.0 - 1.5 - c), rel=1e-12)
    assert z(1.5, 1.0) == pytest.approx(z(3.4, 1.0), rel=1e-15)     # a step: depth does not matter
    assert z(4.0, 0.0) == z(4.0, 1.0) == pytest.approx(logistic(1.0 - c), rel=1e-15)
    assert z(3.4, 0.5) == pytest.approx(logistic(1.0 - 1.5 * (0.5 * 0.1 + 0.5) - c), rel=1e-12)
