"""Posture: US troops by host, moved over months, conserved between hosts, relocation and home.

Sources: the announced schedule of the Germany withdrawal ("about 5,000 ... over the next 6-12
months", Pentagon, 1 May 2026); DMDC counts of permanently assigned forces and press figures
for rotational forces (see ``sim/data/README.md``).
"""

from __future__ import annotations

import numpy as np


def monthly_tranche(total, duration_months):
    """Troops moved each month of an order carried out evenly over ``duration_months``."""
    return total / duration_months


def move_troops(permanent, rotational, amount):
    """Take up to ``amount`` troops from a host, in proportion to its permanent and rotational
    forces. Returns (permanent, rotational, moved); never negative, and what leaves is exactly
    ``moved``."""
    present = permanent + rotational
    moved = np.minimum(np.maximum(amount, 0.0), present)
    frac = np.where(present > 0, moved / np.where(present > 0, present, 1.0), 0.0)
    # Both parts scaled by frac <= 1, never by difference: (p + r) - p need not equal r in
    # floating point, which once left -4.5e-13 rotational troops when everyone left.
    take_perm, take_rot = permanent * frac, rotational * frac
    return permanent - take_perm, rotational - take_rot, take_perm + take_rot
