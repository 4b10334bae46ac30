"""Bilateral deals with Washington: who asks, whom the patron grants, what a deal costs the ally
and when it ends.

Sources: Snyder (1984) on abandonment and hedging; the brief: "European nations each conclude
their individual deal with Trump".
"""

from __future__ import annotations

import numpy as np

from sim.model.effects import Change, Signal, State
from sim.model.rules import strategy


def price_burden(price, share):
    """A deal's price as a share of the ally's defence effort under the deal: p / (s + p).

    What the ally weighs is how much of what it would then spend goes to buying the deal, not
    how close it comes to a fiscal ceiling: a price of 0.3 points is a fifth of a 1.3% effort and
    a sixteenth of a 4.5% one, so low spenders balk and high spenders find deals cheap. The
    burden lies in [0, 1) whatever the ceiling prior (an earlier form divided by the room left
    under the ceiling, which made the fiscal-ceiling prior, a parameter with no theoretical link
    to deal-making, drive the deal cascade from +1.5 to +9 deals).
    """
    return price / (share + price)


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
