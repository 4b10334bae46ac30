"""The patron's standing policy towards each ally: a spending threshold and how strictly it is
enforced (a conditional guarantee), or an explicit unconditional pledge.

A policy is state, not news. It moves beliefs when it is announced or changed (the guarantee
event's one-off signal, :mod:`sim.model.events`) and when it is tested: a probe answered or not
(through the patron's will, which the policy sets: :func:`sim.model.russia.patron_will`), a deal
kept, troops arriving or leaving. It is not restated as fresh evidence every month: repeated
cheap talk is no new information (Fearon 1997), and counting it monthly turned forgetting into
a steady drain on credibility.

Sources: Schelling (1966) on conditional commitments; the brief: "the U.S. security guarantee
is becoming conditional on payment" (the Hague pledge of 3.5% core defence by 2035).
"""

from __future__ import annotations

import numpy as np

from sim.model.rules import strategy


def effective_strictness(threshold, strictness):
    """Strictness means nothing without a threshold: an unconditional guarantee is not priced."""
    return np.where(threshold > 0, strictness, 0.0)


def compliance_pressure(threshold, strictness):
    """The pressure of the policy on an ally's decision to follow the pledge path."""
    return strictness * (threshold > 0)


def on_pledge_path(pledge_exempt, strategy_now):
    """Who decides each January whether to follow the pledge path: not an exempt ally, and not
    one that has chosen accommodation with Russia."""
    return ~np.asarray(pledge_exempt, dtype=bool) & (strategy_now != strategy.ACCOMMODATION)
