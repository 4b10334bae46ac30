"""Each event kind's effects (sim.model.events), read on a small state of one run: what it
signals to whom, with what weight, and what state it changes. Both engines apply these lists
(tests/test_ensemble.py checks that they do so identically)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.model import deals, events, policy, russia, troops
from sim.model.effects import CHANNELS, STATE, Change, Order, Signal, State
from sim.model.rules import strategy
from sim.model.scenario import EVENT_KINDS

P = SimpleNamespace(
    beliefs=SimpleNamespace(weight_pledge=2.0, weight_rhetoric=0.5, weight_costly=4.0, troops_per_signal=1000.0),
    adversary=SimpleNamespace(withdrawal_as_opportunity=1.5),
    patron=SimpleNamespace(deal_price=0.5),
)
CODES = ["DEU", "POL", "LTU"]


class ThreeAllies(State):
    n = 3

    def __init__(self, **state):
        self.state = {"share": np.array([1.5, 4.0, 3.0]), "ceiling": np.array([3.0, 5.0, 4.0]),
                      "logistics_hub": np.array([0.8, 0.1, 0.0]), "growth_penalty": 0.1,
                      "attachment_strain": 0.0, "absorption": 0.6, "threat_multiplier": 1.0,
                      "eu_budget_bn": 10.0, "c2_funding": 0.2, **state}

    def get(self, field, ally=None):
        value = self.state[field]
        return value if ally is None else value[ally]

    def index(self, iso3):
        return CODES.index(iso3)


def values(**v):
    return SimpleNamespace(**v)


def signals(effects):
    return [(e.channel, e.ally, float(e.weight) if np.ndim(e.weight) == 0 else e.weight.tolist())
            for e in effects if isinstance(e, Signal) and e.when]


def changes(effects):
    return {(e.field, e.ally): e.value for e in effects if isinstance(e, Change)}


def test_every_kind_has_one_effect_and_every_effect_names_known_state():
    assert set(events.EFFECTS) == set(EVENT_KINDS)
    assert len(CHANNELS) == len(set(CHANNELS)) == 10
    for owner, per_ally in STATE.values():
        assert owner in {"ally", "patron", "adversary", "pillar", "model"} and isinstance(per_ally, bool)


def test_withdrawal_home_is_a_pledge_sized_failure_and_closes_bases():
    v = values(host="DEU", to="home", troops=5000.0, duration_months=9, hub_loss=0.25, announce=True)
    out = events.EFFECTS["withdrawal"](v, P, ThreeAllies())
    # 5,000 troops = 5 signals of the pledge's weight; Russia reads it 1.5 times as strongly
    assert signals(out) == [("us_failed", 0, 10.0), ("ru_failed", 0, 15.0)]
    assert changes(out) == {("logistics_hub", 0): pytest.approx(0.6)}
    order = [e for e in out if isinstance(e, Order)]
    assert [(o.host, o.dest, o.troops, o.months) for o in order] == [(0, None, 5000.0, 9)]


def test_relocation_honours_the_receiving_ally_and_unannounced_moves_say_nothing():
    v = values(host="DEU", to="POL", troops=1000.0, duration_months=6, hub_loss=0.0, announce=True)
    out = events.EFFECTS["relocation"](v, P, ThreeAllies())
    assert signals(out) == [("us_failed", 0, 2.0), ("ru_failed", 0, 3.0), ("us_honoured", 1, 2.0),
                            ("ru_honoured", 1, 2.0)]
    quiet = events.EFFECTS["relocation"](values(**{**vars(v), "announce": False}), P, ThreeAllies())
    assert signals(quiet) == []
    assert [(o.host, o.dest) for o in quiet if isinstance(o, Order)] == [(0, 1)]


def test_conditional_guarantee_warns_allies_below_the_threshold_more():
    v = values(conditional=True, threshold=3.5, strictness=0.8, hosts=None)
    out = events.EFFECTS["guarantee"](v, P, ThreeAllies())
    # DEU (1.5) and LTU (3.0) are below 3.5: a pledge-sized warning; POL (4.0) hears rhetoric
    assert signals(out)[0::2] == [("direct_failed", 0, 1.6), ("direct_failed", 1, 0.4), ("direct_failed", 2, 1.6)]
    assert changes(out)[("strictness", 1)] == 0.8 and changes(out)[("threshold", 2)] == 3.5


def test_a_conditional_guarantee_without_threshold_is_not_priced():
    v = values(conditional=True, threshold=0.0, strictness=0.8, hosts=["POL"])
    out = events.EFFECTS["guarantee"](v, P, ThreeAllies())
    assert changes(out)[("strictness", 1)] == 0.0
    assert signals(out) == [("us_failed", 1, 0.0), ("ru_failed", 1, 0.0)]


def test_unconditional_guarantee_about_one_ally_is_a_pledge_others_read_through_reputation():
    out = events.EFFECTS["guarantee"](values(conditional=False, threshold=0.0, strictness=1.0, hosts=["POL"]),
                                      P, ThreeAllies())
    assert signals(out) == [("us_honoured", 1, 2.0), ("ru_honoured", 1, 2.0)]
    assert changes(out) == {("threshold", 1): 0.0, ("strictness", 1): 0.0, ("unconditional", 1): True}


def test_basing_deal_is_a_deal_with_troops():
    out = events.EFFECTS["basing_deal"](values(host="POL", price=0.5, troops=2000.0, duration_months=6),
                                        P, ThreeAllies())
    assert changes(out) == {("holds_deal", 1): True, ("strategy", 1): strategy.DEAL, ("deal_floor", 1): 4.5}
    assert signals(out) == [("direct_honoured", 1, 2.0), ("ru_honoured", 1, 2.0)]
    assert [(o.host, o.dest, o.troops) for o in out if isinstance(o, Order)] == [(None, 1, 2000.0)]


def test_the_deal_floor_stops_at_the_fiscal_ceiling():
    out = deals.conclude(ThreeAllies(), P, 2, 1.5)
    assert changes(out)[("deal_floor", 2)] == 4.0


@pytest.mark.parametrize(("kind", "v", "want"), [
    ("eu_budget", values(multiplier=2.0), {("eu_budget_bn", None): 20.0}),
    ("sovereign_c2", values(years=5.0, funding_share=0.1), {("c2_years", None): 5.0, ("c2_funding", None): 0.2}),
    ("threat_shock", values(absorption_change=-0.7, threat_change=0.5),
     {("absorption", None): 0.0, ("threat_multiplier", None): 1.5}),
    ("trade_coercion", values(tariff_from=15.0, tariff_to=25.0, growth_cost=0.2, alignment_strain=0.5),
     {("growth_penalty", None): pytest.approx(0.3), ("attachment_strain", None): 0.5}),
    ("exit_notice", values(), {("exit_notice", None): True}),
])
def test_run_level_changes(kind, v, want):
    assert changes(events.EFFECTS[kind](v, P, ThreeAllies())) == want


def test_trade_coercion_and_exit_notice_speak_to_every_ally():
    tc = events.EFFECTS["trade_coercion"](values(tariff_from=15.0, tariff_to=25.0, growth_cost=0.2,
                                                 alignment_strain=0.5), P, ThreeAllies())
    assert signals(tc) == [("direct_failed", None, 0.5)]
    ex = events.EFFECTS["exit_notice"](values(), P, ThreeAllies())
    assert signals(ex) == [("direct_failed", None, 4.0), ("ru_direct_failed", None, 4.0)]


def test_halt_deployment_is_a_costly_failure_against_the_host():
    out = events.EFFECTS["halt_deployment"](values(host="DEU", troops=500.0), P, ThreeAllies())
    assert signals(out) == [("us_failed", 0, 2.0), ("ru_failed", 0, 2.0)]


def test_hazards_rise_with_named_state_within_zero_and_one():
    s = ThreeAllies(threshold=np.array([2.0, 2.0, 3.5]), share_with_deal=0.25, deterrence_failures=2.0)
    assert events.hazard_level("share_below_threshold", s, 5) == pytest.approx(2 / 3)
    assert events.hazard_level("months_elapsed", s, 5) == 5.0
    assert events.hazard_level("deterrence_failures", s, 5) == 2.0
    assert events.hazard_probability(0.01, 0.5, 3.0) == 1.0
    assert events.hazard_probability(0.01, -0.5, 3.0) == 0.0
    assert events.fires(0.2, 0.3, True) and not events.fires(0.2, 0.3, False) and not events.fires(0.4, 0.3, True)


def test_hazard_level_counts_per_run_on_arrays():
    s = ThreeAllies(share=np.array([[1.0, 3.0, 4.0], [5.0, 5.0, 5.0]]), threshold=np.array([[2.0] * 3, [2.0] * 3]))
    assert events.hazard_level("share_below_threshold", s, 0).tolist() == [1 / 3, 0.0]


def test_standing_policy_and_the_pledge_path():
    assert policy.effective_strictness(0.0, 0.9) == 0.0 and policy.effective_strictness(3.5, 0.9) == 0.9
    assert policy.compliance_pressure(0.0, 0.9) == 0.0
    assert policy.on_pledge_path(np.array([False, True, False]),
                                 np.array([strategy.COLLECTIVE, strategy.COLLECTIVE, strategy.ACCOMMODATION])).tolist() \
        == [True, False, False]
    # a policy is state, not news: nothing in sim.model.policy returns evidence
    assert not hasattr(policy, "restatement")


def test_deals_are_sought_granted_and_ended_by_the_strategy():
    assert deals.seeks_deal(strategy.DEAL, False) and not deals.seeks_deal(strategy.DEAL, True)
    assert deals.granted(0.2, 0.3) and not deals.granted(0.4, 0.3)
    assert deals.ends_deal(strategy.AUTONOMY, True) and not deals.ends_deal(strategy.DEAL, True)
    # the price as a share of the effort under the deal: a fifth of a 1.3% effort, bounded by 1
    assert deals.price_burden(0.325, 1.3) == pytest.approx(0.2)
    assert deals.price_burden(0.3, 0.0) == 1.0 and deals.price_burden(0.0, 2.0) == 0.0


def test_troop_tranches_and_answers_to_russia_signal_by_their_sign():
    out = troops.tranche_signals(np.array([0, 1]), np.array([-500.0, 500.0]), P)
    got = {(e.channel, tuple(np.asarray(e.when).tolist())) for e in out}
    assert ("us_failed", (True, False)) in got and ("us_honoured", (False, True)) in got
    out = russia.answer_signals(2, False, True, P)
    assert signals(out) == [("us_failed", 2, 4.0), ("ru_failed", 2, 4.0), ("eu_honoured", 2, 4.0)]
    probe, unanswered, incursion, failure = russia.move_record(np.array([1, 2, 2]), np.array([False, False, True]),
                                                               np.array([False, False, False]))
    assert probe.tolist() == [True, False, False] and unanswered.tolist() == [True, False, False]
    assert incursion.tolist() == [False, True, True] and failure.tolist() == [False, True, False]


def test_a_crisis_signals_as_an_answered_or_unanswered_probe():
    """A crisis over an ally is read as Russia's probe of it is: the US's and Europe's answers."""
    state = ThreeAllies()
    backed = events.EFFECTS["crisis"](values(host="LTU", us_answers=False, europe_answers=False), P, state)
    firm = events.EFFECTS["crisis"](values(host="LTU", us_answers=True, europe_answers=True), P, state)
    assert signals(backed) == signals(russia.answer_signals(2, False, False, P))
    assert signals(firm) == signals(russia.answer_signals(2, True, True, P))
    assert ("us_failed", 2, 4.0) in signals(backed) and ("ru_failed", 2, 4.0) in signals(backed)
    assert ("us_honoured", 2, 4.0) in signals(firm) and ("eu_honoured", 2, 4.0) in signals(firm)


def test_a_deployment_orders_troops_from_home_and_signals_when_announced():
    state = ThreeAllies()
    out = events.EFFECTS["deployment"](values(host="POL", troops=2000.0, duration_months=4, announce=True), P, state)
    assert signals(out) == [("us_honoured", 1, 4.0), ("ru_honoured", 1, 4.0)]  # 2000/1000 x w_pledge 2
    [order] = [e for e in out if isinstance(e, Order)]
    assert (order.host, order.dest, order.troops, order.months) == (None, 1, 2000.0, 4)
    quiet = events.EFFECTS["deployment"](values(host="POL", troops=2000.0, duration_months=4, announce=False), P, state)
    assert signals(quiet) == []


def test_host_hazards_read_the_hosts_decisions_and_autonomy_the_alliances():
    """A host that does not pay (below the threshold, no deal) or offers a deal (the deal
    strategy) raises its event's hazard; so does the GDP share of allies pursuing autonomy."""
    state = ThreeAllies(threshold=np.array([2.0, 3.5, 3.5]), holds_deal=np.array([False, False, True]),
                        strategy=np.array([strategy.COLLECTIVE, strategy.DEAL, strategy.COLLECTIVE]),
                        autonomy_gdp_share=0.25)
    # DEU 1.5 < 2.0 without a deal; POL 4.0 pays; LTU 3.0 < 3.5 but holds a deal
    assert [float(events.hazard_level("host_not_paying", state, 5, h)) for h in range(3)] == [1.0, 0.0, 0.0]
    assert [float(events.hazard_level("host_seeks_deal", state, 5, h)) for h in range(3)] == [0.0, 1.0, 0.0]
    assert events.hazard_level("autonomy_share", state, 5) == 0.25


def test_a_host_hazard_on_an_event_without_a_host_is_refused(tmp_path):
    from sim.model.loading import ScenarioError, load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text("""
name: bad
title: bad
events:
  - {id: eu, kind: eu_budget, multiplier: 2.0, hazard: {monthly: 0.0, rises_with: host_not_paying, slope: 0.1}}
""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert any("reads the event's host" in str(p) for p in err.value.problems)


# ---- budget laws ---------------------------------------------------------------------------------

LAW = {"kind": "budget_law", "ally": "DEU", "month": "2025-03", "source": "test",
       "path": {2025: 2.4, 2026: 2.8, 2027: 3.0, 2029: 3.5, 2040: 4.0}}


def _scenario(events, start="2026-05", horizon=48):
    from sim.model.scenario import Scenario

    return Scenario(name="t", title="t", start=start, horizon_months=horizon, events=events)


def test_budget_law_sets_the_allys_floor_to_the_years_share():
    effects = events.EFFECTS["budget_law"](values(ally="POL", path={2027: 4.7}), P, ThreeAllies())
    assert changes(effects) == {("law_floor", 1): 4.7}
    assert "law_floor" in STATE and STATE["law_floor"] == ("ally", True)


def test_budget_law_path_becomes_one_law_per_year_within_the_horizon():
    sc = _scenario([dict(LAW, id="deu_law")])
    got = [(e.id, e.month, e.path) for e in sc.events]
    # 2025 is superseded by 2026, the start's year; 2040 is past the horizon (2030-04)
    assert got == [("deu_law_2026", "2026-05", {2026: 2.8}), ("deu_law_2027", "2027-01", {2027: 3.0}),
                   ("deu_law_2029", "2029-01", {2029: 3.5})]
    # a path that ends before the start keeps its last year, in force from the start
    late = _scenario([dict(LAW, path={2024: 2.1, 2025: 2.4})])
    assert [(e.id, e.month, e.path) for e in late.events] == [("budget_law_deu_2025", "2026-05", {2025: 2.4})]
    # expanding again changes nothing (a scenario written back and read again is the same)
    again = _scenario([e.model_dump(exclude_none=True) for e in sc.events])
    assert [(e.id, e.month, e.path) for e in again.events] == got


def test_budget_law_counts_from_the_month_it_was_made():
    sc = _scenario([dict(LAW, month="2027-06")], start="2026-01")
    assert [(e.month, e.path) for e in sc.events][:2] == [("2027-06", {2026: 2.8}), ("2027-06", {2027: 3.0})]


@pytest.mark.parametrize("bad, words", [
    ({"source": ""}, "source"),
    ({"ally": "XXX"}, "unknown country code 'XXX'"),
    ({"path": {2026: 20.0}}, "less than or equal to 15"),
    ({"month": None, "hazard": {"monthly": 0.1}}, "needs 'month'"),
])
def test_budget_law_bad_input_names_the_field(bad, words):
    from pydantic import ValidationError

    law = {k: v for k, v in {**LAW, **bad}.items() if v is not None}
    with pytest.raises(ValidationError, match=words):
        _scenario([law])


def test_budget_law_floor_binds_up_to_the_ceiling_whatever_compliance():
    from sim.model.rules import spending

    # best response 1.2, not complying with the pledge path: the law's 2.8 binds
    assert spending.target_share(1.2, 3.5, False, 0.0, 5.0, 2.8) == 2.8
    # a law above the ceiling is capped by it
    assert spending.target_share(1.2, 3.5, False, 0.0, 2.5, 2.8) == 2.5
    # with no law the rule is unchanged
    assert spending.target_share(1.2, 3.5, True, 0.0, 5.0) == 3.5


def test_budget_law_raises_the_allys_spending_in_a_run():
    from sim.engines.mesa.model import AllianceModel

    base = _scenario([], horizon=24)
    law = _scenario([{"kind": "budget_law", "ally": "BEL", "month": "2026-05", "source": "test",
                      "path": {2026: 2.5, 2027: 3.0}}], horizon=24)
    shares = []
    for sc in (base, law):
        m = AllianceModel(sc, rng=7)
        m.run()
        shares.append(m.ally_list[m.index("BEL")].share)
    # the law pulls Belgium up (at most max_ramp a year), never beyond the path
    assert shares[0] < 2.5 and shares[0] + 0.25 < shares[1] <= 3.0 + 1e-9


def test_budget_law_given_as_an_object_is_expanded_too():
    from sim.model.scenario import BudgetLaw

    law = BudgetLaw.model_validate(dict(LAW, id="deu_law"))
    assert len(law.path) == 5                       # a law alone keeps its whole path
    sc = _scenario([law])
    assert [e.id for e in sc.events] == ["deu_law_2026", "deu_law_2027", "deu_law_2029"]
