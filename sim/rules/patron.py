"""The patron's latent will to defend an ally, and the reach of its forces.

Sources: conditional guarantees and the tripwire logic of forward presence (Schelling 1966,
*Arms and Influence*); RAND, Frederick et al. (2020), "Understanding the Deterrent Impact of
U.S. Overseas Forces" (forces in place and reinforcement through staging hubs deter most).
"""

from __future__ import annotations

import numpy as np


def will_to_defend(
    share, threshold, strictness, holds_deal, troops, attention, exit_notice,
    *, base, payment_weight, deal_weight, tripwire_weight, distraction_weight, exit_penalty,
):
    """will = logistic(w0 + w_pay s (share - threshold) + w_deal deal + w_trip ln(1 + troops/1000)
    - w_att (1 - attention) - exit_penalty * exit).

    Nobody observes it; probes and crises reveal it. ``strictness`` 0 makes the guarantee
    unconditional (spending no longer moves the will).
    """
    z = (base + payment_weight * strictness * (share - threshold) + deal_weight * holds_deal
         + tripwire_weight * np.log1p(troops / 1000.0) - distraction_weight * (1.0 - attention)
         - exit_penalty * exit_notice)
    return 1.0 / (1.0 + np.exp(-z))


def forces_in_reach(local_troops, hub_staged_troops, reach):
    """US troops able to fight for an ally in time: those on its soil plus the share of
    hub-staged forces that reinforcement can bring (Germany's bases are the hub)."""
    return local_troops + reach * hub_staged_troops


def response_effectiveness(forces, force_scale):
    """Chance a US decision to respond is effective: 1 - exp(-forces / scale)."""
    return 1.0 - np.exp(-forces / force_scale)
