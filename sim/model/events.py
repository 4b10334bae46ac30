"""Events: what each kind does to a run, written once for both engines.

A scenario's events happen on a fixed month or by a monthly hazard (:func:`fires`). What an
event does is the function registered for its kind in :data:`EFFECTS`: it reads the run's state
and returns effects (:mod:`sim.model.effects`). ``v`` holds the event's values (priors drawn),
``p`` the run's parameters by section; both are scalars for one run, or arrays over the runs in
which the event fires.

The signals follow Fearon (1997): a troop movement is a costly signal, a statement of conditions
or a signed agreement a tying-hands pledge, trade rhetoric cheap talk.

To add a kind: its schema entry (:mod:`sim.model.scenario`), one function here decorated with
``@effect("kind")``, and its tests (``tests/test_events.py``); see ``docs/maintaining.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model import deals, policy, russia
from sim.model.effects import Change, Order, Signal, State
from sim.model.rules import credibility, strategy

EFFECTS: dict[str, Callable[..., list]] = {}
"""The effect function of each event kind."""


def effect(*kinds: str):
    """Register the decorated function as what events of ``kinds`` do."""

    def register(fn):
        for kind in kinds:
            EFFECTS[kind] = fn
        return fn

    return register


# ---- when events happen ---------------------------------------------------------------------

def hazard_level(name: str, state: State, month: int, host: int | None = None):
    """The model state a hazard rises with (``hazard.rises_with``); ``host``: the event's host's
    index, for the host's own states. With a host's state the event is the patron's answer to
    that ally's decisions: to withdraw from an ally that does not pay (Schelling's compellence
    made concrete: the brief's "earning US presence through defense spending"), or to grant a
    basing deal to one that offers it."""
    if name == "share_below_threshold":  # a count over n (a product with ones: exact, and fast)
        below = (state.get("share") < state.get("threshold")).astype(np.float64)
        return below @ np.ones(state.n) / state.n
    if name == "share_with_deal":
        return state.get("share_with_deal")
    if name == "months_elapsed":
        return float(month)
    if name == "deterrence_failures":
        return state.get("deterrence_failures")
    if name == "autonomy_share":
        return state.get("autonomy_gdp_share")
    if name == "host_not_paying":
        below = np.asarray(state.get("share", host)) < np.asarray(state.get("threshold", host))
        return (below & ~np.asarray(state.get("holds_deal", host), dtype=bool)).astype(np.float64)
    if name == "host_seeks_deal":
        return (np.asarray(state.get("strategy", host)) == strategy.DEAL).astype(np.float64)
    return 0.0


def hazard_probability(monthly, slope, level):
    """This month's chance: the base hazard plus its slope times the level, within 0 to 1."""
    return np.minimum(np.maximum(monthly + slope * level, 0.0), 1.0)


def fires(u, probability, eligible):
    """A hazard event fires where it has not fired yet and this month's uniform is below its
    chance. The uniform is drawn every month whether or not it can fire, so streams stay aligned."""
    return eligible & (u < probability)


# ---- what events do -----------------------------------------------------------------------------

@effect("withdrawal", "relocation")
def withdrawal(v, p, state: State) -> list:
    """Troops leave a host, for home or another ally. The announced decision is a pledge-sized
    signal (the troops have not moved yet); the tranches are costly signals as they move
    (:mod:`sim.model.troops`). Bases closed take part of the host's value as a logistics hub."""
    h = state.index(v.host)
    dest = None if v.to == "home" else state.index(v.to)
    out = []
    if v.announce:
        b = p.beliefs
        w = credibility.troop_signal_weight(v.troops, b.troops_per_signal, b.weight_pledge)
        out += [Signal("us_failed", h, w), Signal("ru_failed", h, w * p.adversary.withdrawal_as_opportunity)]
        if dest is not None:
            out += [Signal("us_honoured", dest, w), Signal("ru_honoured", dest, w)]
    out.append(Change("logistics_hub", state.get("logistics_hub", h) * (1.0 - v.hub_loss), h))
    out.append(Order(h, dest, v.troops, v.duration_months))
    return out


@effect("deployment")
def deployment(v, p, state: State) -> list:
    """Troops sent from home to a host. The announced decision is a pledge-sized signal about the
    host; the tranches are costly signals as they arrive (:mod:`sim.model.troops`)."""
    h = state.index(v.host)
    out = []
    if v.announce:
        b = p.beliefs
        w = credibility.troop_signal_weight(v.troops, b.troops_per_signal, b.weight_pledge)
        out += [Signal("us_honoured", h, w), Signal("ru_honoured", h, w)]
    out.append(Order(None, h, v.troops, v.duration_months))
    return out


@effect("guarantee")
def guarantee(v, p, state: State) -> list:
    """A statement on Article 5, to every ally or about named ones. Conditional: each ally's
    threshold and strictness, a pledge-sized warning to those below the threshold and rhetoric to
    the others; unconditional: a pledge. A statement to every ally reaches each once (direct);
    one about named allies is read by the others through reputation."""
    b = p.beliefs
    to_all = not v.hosts
    hosts = range(state.n) if to_all else [state.index(c) for c in v.hosts]
    out = []
    for i in hosts:
        if v.conditional:
            strict = policy.effective_strictness(v.threshold, v.strictness)
            below = state.get("share", i) < v.threshold
            w = np.where(below, b.weight_pledge, b.weight_rhetoric) * strict
            out += [Change("unconditional", False, i), Change("threshold", v.threshold, i),
                    Change("strictness", strict, i),
                    Signal("direct_failed" if to_all else "us_failed", i, w),
                    Signal("ru_direct_failed" if to_all else "ru_failed", i, w)]
        else:
            out += [Change("threshold", 0.0, i), Change("strictness", 0.0, i), Change("unconditional", True, i),
                    Signal("direct_honoured" if to_all else "us_honoured", i, b.weight_pledge),
                    Signal("ru_direct_honoured" if to_all else "ru_honoured", i, b.weight_pledge)]
    return out


@effect("basing_deal")
def basing_deal(v, p, state: State) -> list:
    """A bilateral basing agreement: a deal for the host, and the troops that come with it."""
    i = state.index(v.host)
    return [*deals.conclude(state, p, i, v.price), Order(None, i, v.troops, v.duration_months)]


@effect("eu_budget")
def eu_budget(v, p, state: State) -> list:
    """EU-level defence funds scaled; what is added funds the sovereign enabler programme
    (:func:`sim.model.rules.capability.programme_funding`)."""
    return [Change("eu_budget_bn", state.get("eu_budget_bn") * v.multiplier)]


@effect("sovereign_c2")
def sovereign_c2(v, p, state: State) -> list:
    """A sovereign command-and-control programme: its duration, and funding at least ``funding_share``."""
    return [Change("c2_years", v.years), Change("c2_funding", np.maximum(state.get("c2_funding"), v.funding_share))]


@effect("halt_deployment")
def halt_deployment(v, p, state: State) -> list:
    """A planned deployment halted: a costly signal of its size against the host."""
    h = state.index(v.host)
    b = p.beliefs
    w = credibility.troop_signal_weight(v.troops, b.troops_per_signal, b.weight_costly)
    return [Signal("us_failed", h, w), Signal("ru_failed", h, w)]


@effect("crisis")
def crisis(v, p, state: State) -> list:
    """A crisis over the host, answered or not: the signals of an answered or unanswered probe."""
    return russia.answer_signals(state.index(v.host), v.us_answers, v.europe_answers, p)


@effect("trade_coercion")
def trade_coercion(v, p, state: State) -> list:
    """Tariffs linking security to trade: growth lost per 10 points of tariff, strain on
    attachment to collective defence, and rhetoric to every ally."""
    lost = v.growth_cost * (v.tariff_to - v.tariff_from) / 10.0
    return [Change("growth_penalty", state.get("growth_penalty") + lost),
            Change("attachment_strain", state.get("attachment_strain") + v.alignment_strain),
            Signal("direct_failed", None, p.beliefs.weight_rhetoric)]


@effect("exit_notice")
def exit_notice(v, p, state: State) -> list:
    """Notice of leaving the alliance: a costly signal to every ally, read by Russia too."""
    w = p.beliefs.weight_costly
    return [Change("exit_notice", True), Signal("direct_failed", None, w), Signal("ru_direct_failed", None, w)]


@effect("threat_shock")
def threat_shock(v, p, state: State) -> list:
    """A war begins or ends: Russian force absorbed in Ukraine and the perceived threat change."""
    return [Change("absorption", np.clip(state.get("absorption") + v.absorption_change, 0.0, 1.0)),
            Change("threat_multiplier", state.get("threat_multiplier") * (1.0 + v.threat_change))]


@effect("budget_law")
def budget_law(v, p, state: State) -> list:
    """A national budget law: from this month the ally spends at least the law's share for the
    year (its ceiling still binds, :func:`sim.model.rules.spending.target_share`). A law with a
    path over several years is one event per year (:class:`sim.model.scenario.BudgetLaw`), each
    replacing the last year's floor, so a later law that cuts the path lowers it too."""
    return [Change("law_floor", float(next(iter(v.path.values()))), state.index(v.ally))]
