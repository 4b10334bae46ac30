"""Directions of effect (validation.md section 2) over paired Monte Carlo runs.

Every comparison uses common random numbers: the same seeds (``sim.engines.runner.run_seed``) in both
arms, so each seed draws the same parameters and the same within-run uniforms, and the test is
on the paired difference: its mean must have the stated sign with a 95% interval (mean +- 1.96
standard errors) that excludes zero. 200 runs per arm, 24 months each.

Probing is measured by its expectation: each month the model's own move probabilities (recorded
from ``sim.model.rules.deterrence.move_probabilities`` as the adversary calls it) are summed per
target. That sum has the same expectation as the count of probes drawn, with far less noise
(realised counts are recorded too, for the report).

If a direction does not hold in the model, the test is marked xfail(strict=True) with the
numbers measured, never loosened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import sim.model.rules.deterrence as deterrence_rules
from sim.engines.mesa.model import AllianceModel, Evidence
from sim.engines.runner import run_seed
from sim.model.outcomes import GROUPS
from sim.model.rules import deterrence
from sim.model.scenario import Scenario

pytestmark = pytest.mark.slow  # about 50 s: 7 arms x 200 runs x 24 months

ROOT = 2026
RUNS = 200
MONTHS = 24
START = "2026-05"


@dataclass
class Arm:
    """Per-run measurements of one arm, each an array with one row per seed."""

    expected_probes: np.ndarray   # [runs, allies] sum over months of P(probe against ally)
    probes: np.ndarray            # [runs, allies] probes drawn
    credibility: np.ndarray       # [runs, allies] allies' belief at the horizon
    credibility_1y: np.ndarray    # [runs, allies] allies' belief after 12 months
    share: np.ndarray             # [runs, allies] mean defence share over the months
    deals: np.ndarray             # [runs] mean number of allies holding a deal
    seeking: np.ndarray           # [runs] mean number of allies choosing the deal strategy
    collective: np.ndarray        # [runs] mean number of allies choosing collective defence


def run_arm(scenario: Scenario, fixed: dict[str, float] | None = None) -> Arm:
    recorded: list[np.ndarray] = []
    original = deterrence_rules.move_probabilities

    def recording(*args, **kwargs):
        probs = original(*args, **kwargs)
        recorded.append(probs)
        return probs

    rows = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(deterrence_rules, "move_probabilities", recording)
        for r in range(RUNS):
            recorded.clear()
            model = AllianceModel(scenario, rng=run_seed(ROOT, r), fixed=fixed)
            n = model.n
            probes = np.zeros(n)
            share = np.zeros(n)
            seeking = 0.0
            for month in range(MONTHS):
                model.step()
                if month == 11:
                    cred_1y = np.array([a.credibility for a in model.ally_list])
                kind, target = model.adversary.last_move
                if kind == deterrence.PROBE:
                    probes[target] += 1
                share += [a.share for a in model.ally_list]
                seeking += sum(a.strategy == 1 for a in model.ally_list)
            assert len(recorded) == MONTHS, "the adversary no longer calls move_probabilities"
            p = np.array(recorded)
            ts = model.timeseries()
            rows.append((p[:, 1:1 + n].sum(axis=0), probes,
                         np.array([a.credibility for a in model.ally_list]), cred_1y, share / MONTHS,
                         ts["allies_with_deal"][:MONTHS].mean(), seeking / MONTHS,
                         ts["allies_collective"][:MONTHS].mean()))
    cols = list(zip(*rows, strict=True))
    return Arm(*(np.array(c) for c in cols))


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of a - b over paired seeds and its 95% interval (normal approximation)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    se = d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean()), float(d.mean() - 1.96 * se), float(d.mean() + 1.96 * se)


def scenario(name: str, events=(), overrides=None) -> Scenario:
    world = {"overrides": overrides} if overrides else {}
    return Scenario(name=name, title=name, horizon_months=MONTHS, events=list(events), world=world)


WITHDRAW_HOME = {"kind": "withdrawal", "id": "germany", "host": "DEU", "troops": 5000,
                 "month": START, "duration_months": 9}
RELOCATE_POL = {"kind": "relocation", "id": "germany", "host": "DEU", "to": "POL", "troops": 5000,
                "month": START, "duration_months": 9}


def pol_troops(troops: float) -> dict:
    return {"POL": {"us_troops_permanent": 0, "us_troops_rotational": troops}}


ARMS = {
    "pol_0": lambda: run_arm(scenario("pol_0", overrides=pol_troops(0))),
    "pol_20k": lambda: run_arm(scenario("pol_20k", overrides=pol_troops(20_000))),
    "deu_home": lambda: run_arm(scenario("deu_home", [WITHDRAW_HOME])),
    "deu_pol": lambda: run_arm(scenario("deu_pol", [RELOCATE_POL])),
}


@pytest.fixture(scope="module")
def arms():
    """Runs each arm once, on first use, for every test of the module."""
    cache: dict[str, Arm] = {}

    def get(name: str) -> Arm:
        if name not in cache:
            cache[name] = ARMS[name]()
        return cache[name]

    return get


def idx(code: str) -> int:
    from sim.model.world import ALLIES

    return ALLIES.index(code)


EASTERN_FLANK = [idx(c) for c in GROUPS["eastern_flank"]]


# --------------------------------------------------------------------------------------------
# Fearon (1997): costly signals move beliefs more than tying-hands pledges. Tested with its size
# at three root seeds, at one year and two: tests/test_mechanisms.py::
# test_fearon_a_costly_signal_outweighs_a_statement_at_one_and_two_years.


# --------------------------------------------------------------------------------------------
# Snyder (1984): as credibility falls, allies hedge. Superseded by its sized version at three
# seeds (tests/test_mechanisms.py::test_snyder_allies_who_doubt_the_patron_make_more_deals: the
# same arms, deals and cohesion, with a minimum effect).


# --------------------------------------------------------------------------------------------
# Reputation (Weisiger and Yarhi-Milo 2015): deterministic, on Russia's belief update


def _after_unanswered_probe(rho: float, target: str):
    """Russia's beliefs, believed responses and odds of probing each ally rather than doing
    nothing, before and after the evidence of one unanswered probe on ``target`` (recorded as
    Model._resolve records it: weight_costly of failed evidence about the target)."""
    model = AllianceModel(scenario("reputation"), rng=1, fixed={
        "adversary.reputation_weight": rho, "beliefs.forgetting": 1.0})
    model.step()
    adv, p = model.adversary, model.p.adversary

    def state():
        belief = adv.belief_us_will().copy()
        r = deterrence.believed_response(belief, model.us_effectiveness, model.europe_response)
        probe_u, inc_u = deterrence.move_utilities(
            r, probe_gain=p.probe_gain, probe_cost=p.probe_cost,
            incursion_gain=p.incursion_gain, incursion_cost=p.incursion_cost)
        probs = deterrence.move_probabilities(probe_u, inc_u, p.inaction_utility, p.logit_temperature)
        # Odds of probing ally j rather than doing nothing (the logit's own comparison; the
        # chance of probing j itself also moves with every other target through normalisation).
        return belief, r, probs[1:1 + model.n] / probs[0]

    before = state()
    model.evidence = Evidence(model.n)
    model.evidence.ru_failed[idx(target)] += model.p.beliefs.weight_costly
    adv.update_beliefs()
    return before, state()


def test_reputation_weight_zero_isolates_commitments():
    (b0, r0, odds0), (b1, r1, odds1) = _after_unanswered_probe(0.0, "EST")
    est = idx("EST")
    others = np.arange(len(b0)) != est
    assert b1[est] < b0[est] and odds1[est] > odds0[est]
    assert np.array_equal(b1[others], b0[others])
    assert b1[idx("PRT")] == b0[idx("PRT")]
    assert np.array_equal(r1[others], r0[others])
    assert odds1[others] == pytest.approx(odds0[others], rel=1e-12)


def test_reputation_weight_positive_spreads_to_dissimilar_allies():
    (b0, r0, odds0), (b1, r1, odds1) = _after_unanswered_probe(0.5, "EST")
    prt = idx("PRT")
    assert b1[prt] < b0[prt]
    assert r1[prt] < r0[prt]
    assert odds1[prt] > odds0[prt] * (1 + 1e-9)
    # It spreads more to similar allies (Latvia) than to dissimilar ones (Portugal).
    drop = b0 - b1
    assert drop[idx("EST")] > drop[idx("LVA")] > drop[prt] > 0


# --------------------------------------------------------------------------------------------
# RAND, Frederick et al. (2020): presence and probing, burden shifting


def test_probing_against_host_does_not_rise_with_us_troops(arms):
    """Poland with 20,000 US troops against none: expected probes against Poland fall."""
    diff = paired(arms("pol_20k").expected_probes[:, idx("POL")],
                  arms("pol_0").expected_probes[:, idx("POL")])
    assert diff[2] < 0, diff


@pytest.mark.xfail(strict=True, reason=(
    "Fails in the model, and the design cannot test it: Poland's mean share over 24 months with "
    "20,000 US troops at the start against none is +0.014 [+0.010, +0.017] points (200 paired "
    "runs). Both arms start from the same observed spending, because each ally's weight on "
    "security is calibrated so that its starting spending is a best response at the start's "
    "posture and revealed credibility; the larger protection is absorbed, and later falls in "
    "credibility then cut a larger spill-in. Before the calibration moved to the revealed "
    "response the test passed at -0.0034 points, a size that does not matter and failed at "
    "another root seed. Troops that arrive during a run do show it, at a size that matters: "
    "tests/test_mechanisms.py::test_burden_shifting_a_host_spends_less_when_us_troops_arrive."))
def test_burden_shifting_host_spends_less_with_more_us_troops(arms):
    """Poland's mean defence share over 24 months, 20,000 US troops against none."""
    diff = paired(arms("pol_20k").share[:, idx("POL")], arms("pol_0").share[:, idx("POL")])
    assert diff[2] < 0, diff


# --------------------------------------------------------------------------------------------
# The Germany -5,000 shock


def test_withdrawal_home_raises_eastern_probing_more_than_relocation(arms):
    """5,000 leaving Germany for home against the same 5,000 moving to Poland: expected probes
    against the eastern flank (B9) are higher when they leave Europe."""
    home = arms("deu_home").expected_probes[:, EASTERN_FLANK].sum(axis=1)
    pol = arms("deu_pol").expected_probes[:, EASTERN_FLANK].sum(axis=1)
    diff = paired(home, pol)
    assert diff[1] > 0, diff


# --------------------------------------------------------------------------------------------


def test_paired_interval():
    """The interval helper: a known paired sample."""
    mean, lo, hi = paired(np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4))
    se = np.std([1, 2, 3, 4], ddof=1) / 2.0
    assert (mean, lo, hi) == pytest.approx((2.5, 2.5 - 1.96 * se, 2.5 + 1.96 * se))
