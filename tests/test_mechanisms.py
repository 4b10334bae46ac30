"""The mechanisms the futures rest on, with the sizes that matter (issue: the futures differ by
mechanisms, not scripted inputs). Each test states its minimum effect, or its tolerance, with its
reason before running, and holds at three root seeds; the fast engine runs them (it gives the
Mesa engine's runs bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines.fast import simulate
from sim.engines.runner import run_seed
from sim.model.loading import load_scenario
from sim.model.scenario import Guarantee

ROOTS = (20260512, 7, 1234)
RUNS = 1500

pytestmark = pytest.mark.slow


def seeds(root: int) -> list[int]:
    return [run_seed(root, k) for k in range(RUNS)]


def interval(x: np.ndarray) -> tuple[float, float, float]:
    m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))
    return m - 1.96 * se, m, m + 1.96 * se


@pytest.mark.parametrize("root", ROOTS)
def test_the_status_quo_is_stationary(root):
    """Without a shock, allies' mean credibility neither rises nor falls: month 119 less month 0,
    averaged over runs, lies within +-0.03 (the 95% interval of the mean inside it). Beliefs start
    at the response the process reveals and the standing policy is not restated as news; before,
    the status quo drifted from 0.70 to 0.57 (-0.13)."""
    s = simulate(load_scenario("status_quo"), seeds(root)).series["credibility_allies"]
    lo, _, hi = interval(s[:, -1] - s[:, 0])
    assert lo > -0.03 and hi < 0.03, (lo, hi)


@pytest.mark.parametrize("root", ROOTS)
def test_an_unconditional_pledge_to_all_is_not_a_credibility_machine(root):
    """An unconditional guarantee to every ally, added to troops_to_poland, ends with a mean
    credibility at most 0.02 above the status quo's (paired runs). A pledge is one tying-hands
    signal; it cannot make the future with a withdrawal more credible than the world without one.
    (Restated as news every month it ended 0.29 above.)"""
    base = load_scenario("troops_to_poland")
    pledge = Guarantee(kind="guarantee", id="pledge_to_all", month="2026-06", conditional=False)
    pledged = base.model_copy(update={"events": [*base.events, pledge], "name": "pledged"})
    a = simulate(pledged, seeds(root)).series["credibility_allies"][:, -1]
    b = simulate(load_scenario("status_quo"), seeds(root)).series["credibility_allies"][:, -1]
    _, _, hi = interval(a - b)
    assert hi <= 0.02, hi


@pytest.mark.parametrize("root", ROOTS)
def test_free_riding_a_more_credible_patron_means_less_own_spending(root):
    """Olson and Zeckhauser (1966); Snyder (1984): allies who believe the US guarantee more spend
    less of their own, all else equal. Initial credibility 0.1 above the revealed response against
    0.1 below (paired runs): the alliance's spending at 24 months must be at least 0.05 points of
    GDP lower (about USD 12 bn a year over the allies' GDP: a mid-sized ally's budget), the 95%
    interval's upper bound below -0.05. (Measured: -0.12 [-0.13, -0.12]; before the weight on
    security was calibrated at the revealed response it was +0.03, the wrong way round.)"""
    sc = load_scenario("status_quo")
    hi = simulate(sc, seeds(root), {"beliefs.initial_credibility_gap": 0.1}).series["spending_share"][:, 23]
    lo = simulate(sc, seeds(root), {"beliefs.initial_credibility_gap": -0.1}).series["spending_share"][:, 23]
    _, _, upper = interval(hi - lo)
    assert upper < -0.05, upper


@pytest.mark.parametrize("root", ROOTS)
def test_who_pays_follows_dependence_on_the_patron(root):
    """Snyder (1984): the more an ally depends on its patron, the closer it watches it. With
    attention following dependence (``beliefs.dependence_attention`` = 1), the Baltic states,
    exposed and unable to hold alone, lose more credibility than Germany 3 months into
    further_withdrawals; with every ally reading every signal in full (0), Germany, whose own
    troops leave, loses more. Minimum effect, fixed before running: one point of credibility
    (0.01) each way, the smallest difference the report prints as one."""
    def contrast(k: float) -> np.ndarray:
        fixed = {"beliefs.dependence_attention": k}
        fut = simulate(load_scenario("further_withdrawals"), seeds(root), fixed).series
        ref = simulate(load_scenario("status_quo"), seeds(root), fixed).series
        loss = {g: ref[f"credibility_{g}"][:, 2] - fut[f"credibility_{g}"][:, 2] for g in ("baltic", "germany")}
        return loss["baltic"] - loss["germany"]

    lo, _, _ = interval(contrast(1.0))
    assert lo >= 0.01, lo
    _, _, hi = interval(contrast(0.0))
    assert hi <= -0.01, hi


@pytest.mark.xfail(strict=True, reason=(
    "Too small to matter in the model: one crisis over Poland in June 2026 that the US backs down "
    "from, against one it answers, raises Russia's probes of the Baltic states over ten years by "
    "+0.13 [+0.07, +0.19] on 7.5 (+1.7%; roots 7 and 1234: +0.11 and +0.14), below the 5% fixed "
    "before running. The mechanism is there (an unanswered test is a costly signal read through "
    "Russia's reputation weights) but one signal of 2-5 pseudo-observations against a belief of "
    "10-30, forgotten at 0.5-3% a month, moves little; probing of the western allies does not move "
    "(-0.03 to +0.02)."))
@pytest.mark.parametrize("root", ROOTS)
def test_backing_down_invites_challenges_to_similar_allies(root):
    """Weisiger and Yarhi-Milo (2015): a patron that backs down invites later challenges where it
    looks alike. Two arms of the status quo with a crisis over Poland in June 2026 (the event kind
    ``crisis``), the US backing down in one and answering in the other: Russia's probes of the
    Baltic states (similar in exposure) over the run rise by at least 5% of the answered arm's
    mean (fixed before running: a change smaller than one in twenty is not one an analyst would
    report as more probing)."""
    from sim.model.scenario import Crisis

    base = load_scenario("status_quo")

    def baltic_probes(answers: bool) -> np.ndarray:
        crisis = Crisis(kind="crisis", id="poland_crisis", month="2026-06", host="POL", us_answers=answers)
        res = simulate(base.model_copy(update={"events": [crisis]}), seeds(root), series=False)
        cols = {n: res.outcomes[:, k] for k, n in enumerate(res.outcome_names)}
        return sum(cols[f"ally.{c}.probes"] for c in ("EST", "LVA", "LTU"))

    backed, answered = baltic_probes(False), baltic_probes(True)
    lo, _, _ = interval(backed - answered)
    assert lo >= 0.05 * answered.mean(), (lo, answered.mean())


@pytest.mark.parametrize("root", ROOTS)
def test_burden_shifting_a_host_spends_less_when_us_troops_arrive(root):
    """Burden shifting (Olson and Zeckhauser 1966: the ally that receives more of the
    alliance's protection buys less of its own): 20,000 US troops deployed to Poland from June 2026 over six months, against
    none. At 24 months Poland's defence share is lower by at least 0.05 points of GDP (fixed
    before running: a tenth of the yearly steps allies legislated in 2024-2026, which were
    several tenths). The troops raise the US protection in reach and Poland's credibility, so
    more security spills in and less of its own is bought. (Troops present at the start cannot
    show this: the calibration absorbs them; see tests/test_directions.py.)"""
    from sim.model.scenario import Deployment

    base = load_scenario("status_quo").model_copy(update={"horizon_months": 24})
    troops = Deployment(kind="deployment", id="reinforce_poland", month="2026-06", host="POL", troops=20000.0,
                        duration_months=6)

    def poland_share(events) -> np.ndarray:
        res = simulate(base.model_copy(update={"events": events}), seeds(root), series=False)
        return res.outcomes[:, res.outcome_names.index("ally.POL.share")]

    _, _, hi = interval(poland_share([troops]) - poland_share([]))
    assert hi <= -0.05, hi


@pytest.mark.parametrize("root", ROOTS)
def test_fearon_a_costly_signal_outweighs_a_statement_at_one_and_two_years(root):
    """Fearon (1997): sinking costs says more than tying hands. 5,000 troops leaving Germany for
    home (over nine months) against a conditional guarantee stated to Germany (threshold 3.5,
    strictness 1), in the status quo: Germany's credibility is lower after the withdrawal at 12
    and at 24 months by at least one point (0.01, fixed before running: the smallest difference
    the report prints as one). At 24 months this failed while the standing policy was restated
    every month as news."""
    from sim.model.scenario import Guarantee, Withdrawal

    base = load_scenario("status_quo").model_copy(update={"horizon_months": 24})
    leave = Withdrawal(kind="withdrawal", id="germany", host="DEU", troops=5000.0, month="2026-05",
                       duration_months=9)
    state = Guarantee(kind="guarantee", id="germany", conditional=True, threshold=3.5, strictness=1.0,
                      hosts=["DEU"], month="2026-05")

    def germany(event) -> np.ndarray:
        return simulate(base.model_copy(update={"events": [event]}), seeds(root)).series["credibility_germany"]

    diff = germany(leave) - germany(state)
    for month in (11, 23):
        _, _, hi = interval(diff[:, month])
        assert hi <= -0.01, (month, hi)


@pytest.mark.parametrize("root", ROOTS)
def test_snyder_allies_who_doubt_the_patron_make_more_deals(root):
    """Snyder (1984): allies that fear abandonment hedge. Initial credibility 0.2 below the
    revealed response against 0.2 above, in the status quo: at the horizon at least half an ally
    more holds a bilateral deal (0.5, fixed before running: the smallest difference in a count of
    allies worth reporting) and cohesion is at least 0.01 lower."""
    sc = load_scenario("status_quo")

    def outcomes(gap: float) -> dict:
        res = simulate(sc, seeds(root), {"beliefs.initial_credibility_gap": gap}, series=False)
        return {n: res.outcomes[:, k] for k, n in enumerate(res.outcome_names)}

    low, high = outcomes(-0.2), outcomes(0.2)
    lo, _, _ = interval(low["deals_final"] - high["deals_final"])
    assert lo >= 0.5, lo
    _, _, hi = interval(low["cohesion_final"] - high["cohesion_final"])
    assert hi <= -0.01, hi
