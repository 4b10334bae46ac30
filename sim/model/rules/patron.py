"""The patron's latent will to defend an ally, and the reach of its forces.

Sources: conditional guarantees and the tripwire logic of forward presence (Schelling 1966,
*Arms and Influence*); RAND, Frederick et al. (2020), "Understanding the Deterrent Impact of
U.S. Overseas Forces" (forces in place and reinforcement through staging hubs deter most).
"""

from __future__ import annotations

import numpy as np


def will_to_defend(
    share, threshold, strictness, holds_deal, troops, attention, exit_notice,
    *, base, payment_weight, conditionality_penalty, deal_weight, tripwire_weight,
    distraction_weight, exit_penalty, payment_form=0.0,
):
    """will = logistic(w0 + s (w_pay g - c) + w_deal deal + w_trip ln(1 + troops/1000)
    - w_att (1 - attention) - exit_penalty * exit), with the payment term
    g = (1 - phi) min(0, share - threshold) - phi [share < threshold].

    phi (``payment_form``) chooses between two rival forms of a priced guarantee: phi = 0, a
    *graded* rule (will falls in proportion to the points an ally is short: a transactional
    patron discounting its commitment); phi = 1, a *step* (any shortfall costs the full w_pay:
    "pay or you are on your own", under which a conditional guarantee is functionally no
    guarantee for those below the line, the brief's first view). Values between mix them.
    The tripwire term is Schelling's (1966): troops on the spot make a response nearly
    automatic, with diminishing returns to their number (a log, one unit per 1,000 troops).

    s is the strictness of the conditional guarantee (0 = unconditional). Paying above the
    threshold earns nothing beyond the unconditional baseline; falling short costs w_pay per
    point; and a priced commitment is weaker for everyone by c (the brief's "real
    disagreement": c near 0 is the view that conditionality is a harmless lever, c large the
    view that a conditional commitment is hardly a commitment). Nobody observes the will;
    probes and crises reveal it.
    """
    shortfall = np.minimum(0.0, share - threshold)
    short = (1.0 - payment_form) * shortfall - payment_form * (share < threshold)
    z = (base + strictness * (payment_weight * short - conditionality_penalty)
         + deal_weight * holds_deal + tripwire_weight * np.log1p(troops / 1000.0)
         - distraction_weight * (1.0 - attention) - exit_penalty * exit_notice)
    return 1.0 / (1.0 + np.exp(-z))


def forces_in_reach(local_troops, hub_staged_troops, reach):
    """US troops able to fight for an ally in time: those on its soil plus the share of
    hub-staged forces that reinforcement can bring (Germany's bases are the hub)."""
    return local_troops + reach * hub_staged_troops


def response_effectiveness(forces, force_scale):
    """Chance a US decision to respond is effective: 1 - exp(-forces / scale)."""
    return 1.0 - np.exp(-forces / force_scale)
