"""The patron's standing policy towards each ally: a spending threshold and how strictly it is
enforced (a conditional guarantee), or an explicit unconditional pledge.

Sources: Schelling (1966) on conditional commitments; the brief: "the U.S. security guarantee
is becoming conditional on payment" (the Hague pledge of 3.5% core defence by 2035).
"""

from __future__ import annotations

import numpy as np

from sim.model.effects import Signal
from sim.model.rules import strategy


def effective_strictness(threshold, strictness):
    """Strictness means nothing without a threshold: an unconditional guarantee is not priced."""
    return np.where(threshold > 0, strictness, 0.0)


def compliance_pressure(threshold, strictness):
    """The pressure of the policy on an ally's decision to follow the pledge path."""
    return strictness * (threshold > 0)


def restatement(strictness, unconditional, weight_rhetoric) -> list:
    """The standing policy observed every month as cheap talk (ODD 7.2).

    A conditional guarantee keeps telling each ally that its protection is priced (weight
    rhetoric x strictness); an explicit unconditional pledge keeps telling the opposite about a
    named ally, which the others read through reputation. ``strictness`` and ``unconditional``
    hold one value per ally.
    """
    priced = weight_rhetoric * strictness
    pledged = weight_rhetoric * unconditional
    return [
        Signal("direct_failed", None, priced),
        Signal("ru_direct_failed", None, priced),
        Signal("us_honoured", None, pledged),
        Signal("ru_honoured", None, pledged),
    ]


def on_pledge_path(pledge_exempt, strategy_now):
    """Who decides each January whether to follow the pledge path: not an exempt ally, and not
    one that has chosen accommodation with Russia."""
    return ~np.asarray(pledge_exempt, dtype=bool) & (strategy_now != strategy.ACCOMMODATION)
