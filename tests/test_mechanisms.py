"""The mechanisms the futures rest on, with the sizes that matter (issue: the futures differ by
mechanisms, not scripted inputs). Each test states its minimum effect, or its tolerance, with its
reason before running, and holds at three root seeds; the fast engine runs them (it gives the
Mesa engine's runs bit for bit). The measurements are sim/analysis/mechanisms.py, shared with
the table docs/validation.md quotes; the last test checks that the quoted numbers are these."""

from __future__ import annotations

import pytest

from sim.analysis.mechanisms import CLAIMS, ROOTS, measured, results
from sim.report import quoted

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("root", ROOTS)
def test_the_status_quo_is_stationary(root):
    """Without a shock, allies' mean credibility neither rises nor falls: month 119 less month 0,
    averaged over runs, lies within +-0.03 (the 95% interval of the mean inside it). Beliefs start
    at the response the process reveals and the standing policy is not restated as news; before,
    the status quo drifted from 0.70 to 0.57 (-0.13)."""
    lo, _, hi = measured("stationary", root)["drift"]
    assert lo > -0.03 and hi < 0.03, (lo, hi)


@pytest.mark.parametrize("root", ROOTS)
def test_an_unconditional_pledge_to_all_is_not_a_credibility_machine(root):
    """An unconditional guarantee to every ally, added to troops_to_poland, ends with a mean
    credibility at most 0.02 above the status quo's (paired runs). A pledge is one tying-hands
    signal; it cannot make the future with a withdrawal more credible than the world without one.
    (Restated as news every month it ended 0.29 above.)"""
    _, _, hi = measured("pledge_to_all", root)["credibility"]
    assert hi <= 0.02, hi


@pytest.mark.parametrize("root", ROOTS)
def test_free_riding_a_more_credible_patron_means_less_own_spending(root):
    """Olson and Zeckhauser (1966); Snyder (1984): allies who believe the US guarantee more spend
    less of their own, all else equal. Initial credibility 0.1 above the revealed response against
    0.1 below (paired runs): the alliance's spending at 24 months must be at least 0.05 points of
    GDP lower (about USD 12 bn a year over the allies' GDP: a mid-sized ally's budget), the 95%
    interval's upper bound below -0.05. (Measured: -0.12 [-0.13, -0.12]; before the weight on
    security was calibrated at the revealed response it was +0.03, the wrong way round.)"""
    _, _, upper = measured("free_riding", root)["spending"]
    assert upper < -0.05, upper


@pytest.mark.parametrize("root", ROOTS)
def test_who_pays_follows_dependence_on_the_patron(root):
    """Snyder (1984): the more an ally depends on its patron, the closer it watches it. With
    attention following dependence (``beliefs.dependence_attention`` = 1), the Baltic states,
    exposed and unable to hold alone, lose more credibility than Germany 3 months into
    further_withdrawals; with every ally reading every signal in full (0), Germany, whose own
    troops leave, loses more. Minimum effect, fixed before running: one point of credibility
    (0.01) each way, the smallest difference the report prints as one."""
    lo, _, _ = measured("who_pays_k1", root)["contrast"]
    assert lo >= 0.01, lo
    _, _, hi = measured("who_pays_k0", root)["contrast"]
    assert hi <= -0.01, hi


@pytest.mark.xfail(strict=True, reason=(
    "Too small to matter in the model: one crisis over Poland in June 2026 that the US backs down "
    "from, against one it answers, raises Russia's probes of the Baltic states over ten years by "
    "1.6% to 2.2% at the three roots (docs/validation.md, the mechanisms table), below the 5% fixed "
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
    m = measured("backing_down", root)
    lo, _, _ = m["probes"]
    assert lo >= 0.05 * m["answered"][1], (lo, m["answered"][1])


@pytest.mark.parametrize("root", ROOTS)
def test_burden_shifting_a_host_spends_less_when_us_troops_arrive(root):
    """Burden shifting (Olson and Zeckhauser 1966: the ally that receives more of the
    alliance's protection buys less of its own): 20,000 US troops deployed to Poland from June 2026 over six months, against
    none. At 24 months Poland's defence share is lower by at least 0.05 points of GDP (fixed
    before running: a tenth of the yearly steps allies legislated in 2024-2026, which were
    several tenths). The troops raise the US protection in reach and Poland's credibility, so
    more security spills in and less of its own is bought. (Troops present at the start cannot
    show this: the calibration absorbs them; see tests/test_directions.py.)"""
    _, _, hi = measured("burden_shifting", root)["share"]
    assert hi <= -0.05, hi


@pytest.mark.parametrize("root", ROOTS)
def test_fearon_a_costly_signal_outweighs_a_statement_at_one_and_two_years(root):
    """Fearon (1997): sinking costs says more than tying hands. 5,000 troops leaving Germany for
    home (over nine months) against a conditional guarantee stated to Germany (threshold 3.5,
    strictness 1), in the status quo: Germany's credibility is lower after the withdrawal at 12
    and at 24 months by at least one point (0.01, fixed before running: the smallest difference
    the report prints as one). At 24 months this failed while the standing policy was restated
    every month as news."""
    for month, (_, _, hi) in measured("fearon", root).items():
        assert hi <= -0.01, (month, hi)


@pytest.mark.parametrize("root", ROOTS)
def test_snyder_allies_who_doubt_the_patron_make_more_deals(root):
    """Snyder (1984): allies that fear abandonment hedge. Initial credibility 0.2 below the
    revealed response against 0.2 above, in the status quo: at the horizon at least half an ally
    more holds a bilateral deal (0.5, fixed before running: the smallest difference in a count of
    allies worth reporting) and cohesion is at least 0.01 lower."""
    m = measured("snyder", root)
    lo, _, _ = m["deals"]
    assert lo >= 0.5, lo
    _, _, hi = m["cohesion"]
    assert hi <= -0.01, hi


def test_the_numbers_docs_quote_are_the_measured_ones():
    """docs/validation.md's table of these claims is rendered from docs/generated/mechanisms.json
    (experiments/reproduce.py); the measurements above (cached, so no run is repeated) must be the
    saved ones to six decimals, or the documentation quotes numbers the model no longer gives."""
    saved = quoted.load("mechanisms")
    assert saved["roots"] == list(ROOTS) and set(saved["results"]) == set(CLAIMS)
    now = results()
    stale = [(k, r) for k in CLAIMS for r in now[k] if now[k][r] != saved["results"][k][r]]
    assert not stale, ("docs/validation.md quotes other numbers than the model gives for "
                       f"{stale}; rerun: python experiments/reproduce.py --only mechanisms")
