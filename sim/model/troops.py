"""US troops arriving at or leaving a host: each tranche a costly signal about the guarantee.

Sources: Fearon (1997) on sunk-cost signals; Schelling (1966) on tripwires. A withdrawal is read
by Russia as an opening (``adversary.withdrawal_as_opportunity``).
"""

from __future__ import annotations

import numpy as np

from sim.model.effects import Signal
from sim.model.rules import credibility


def tranche_signals(ally, troops, p) -> list:
    """Troops arriving (+) or leaving (-) ``ally`` this month."""
    b = p.beliefs
    w = credibility.troop_signal_weight(troops, b.troops_per_signal, b.weight_costly)
    arrive, leave = np.greater(troops, 0), np.less(troops, 0)
    return [
        Signal("us_honoured", ally, w, arrive),
        Signal("ru_honoured", ally, w, arrive),
        Signal("us_failed", ally, w, leave),
        Signal("ru_failed", ally, w * p.adversary.withdrawal_as_opportunity, leave),
    ]
