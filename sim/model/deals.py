"""Bilateral deals with Washington: who asks, whom the patron grants, what a deal costs the ally
and when it ends.

Sources: Snyder (1984) on abandonment and hedging; the brief: "European nations each conclude
their individual deal with Trump".
"""

from __future__ import annotations

import numpy as np

from sim.model.effects import Change, Signal, State
from sim.model.rules import strategy

MIN_FISCAL_ROOM = 0.1
"""Points of GDP: the smallest room under the fiscal ceiling a deal's price is weighed against,
so that an ally at its ceiling sees a large but finite burden."""


def fiscal_room(ceiling, share):
    """Room left under the fiscal ceiling, points of GDP."""
    return np.maximum(ceiling - share, MIN_FISCAL_ROOM)


def price_burden(price, ceiling, share):
    """A deal's price as a share of the ally's fiscal room (what the strategy choice weighs)."""
    return price / fiscal_room(ceiling, share)


def seeks_deal(strategy_now, holds_deal):
    """An ally that has chosen the deal strategy and holds no deal asks for one."""
    return (strategy_now == strategy.DEAL) & ~np.asarray(holds_deal, dtype=bool)


def granted(u, deal_appetite):
    """The patron grants a request with probability equal to its appetite for deals."""
    return u < deal_appetite


def ends_deal(strategy_now, holds_deal):
    """Leaving the deal strategy ends the deal."""
    return (strategy_now != strategy.DEAL) & np.asarray(holds_deal, dtype=bool)


def deal_floor(ceiling, share, price):
    """The ally pays ``price`` (points of GDP a year) on top of its spending, up to its ceiling."""
    return np.minimum(ceiling, share + price)


def conclude(state: State, p, ally, price, when=True) -> list:
    """A bilateral deal: the ally holds it, follows the deal strategy, spends at least its floor;
    the signed agreement is a tying-hands pledge to the ally (Fearon 1997), which Russia reads."""
    floor = deal_floor(state.get("ceiling", ally), state.get("share", ally), price)
    w = p.beliefs.weight_pledge
    return [
        Change("holds_deal", True, ally, when),
        Change("strategy", strategy.DEAL, ally, when),
        Change("deal_floor", floor, ally, when),
        Signal("direct_honoured", ally, w, when),
        Signal("ru_honoured", ally, w, when),
    ]


def ended() -> dict:
    """The state of an ally whose deal has ended."""
    return {"holds_deal": False, "deal_floor": 0.0}
