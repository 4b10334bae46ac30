"""Russia's move: nothing, a probe or an incursion, against the ally where it believes the
response weakest; its resolution by the patron's true will and the forces in reach; and what
everyone learns from it (ODD 7.9-7.10). Written once for both engines.

Sources: deterrence by denial and punishment (Snyder 1961); gray-zone probing as a test of
resolve (Weisiger and Yarhi-Milo 2015, International Organization 69(2), on reputations formed
by past behaviour in crises).
"""

from __future__ import annotations

import numpy as np

from sim.model.effects import Signal
from sim.model.rules import deterrence, patron


def move_probabilities(russia_belief, us_effectiveness, europe_response, p):
    """Probabilities of nothing, then a probe and an incursion against each ally (a logit over
    the moves' utilities, given the response Russia believes each ally would get)."""
    a = p.adversary
    r = deterrence.believed_response(russia_belief, us_effectiveness, europe_response)
    probe_u, incursion_u = deterrence.move_utilities(
        r, probe_gain=a.probe_gain, probe_cost=a.probe_cost,
        incursion_gain=a.incursion_gain, incursion_cost=a.incursion_cost)
    return deterrence.move_probabilities(probe_u, incursion_u, a.inaction_utility, a.logit_temperature)


def patron_will(share, threshold, strictness, holds_deal, us_troops, exit_notice, p):
    """The patron's latent will to defend the target (nobody observes it; crises reveal it)."""
    w = p.patron
    return patron.will_to_defend(
        share, threshold, strictness, holds_deal, us_troops, w.attention, exit_notice,
        base=w.will_base, payment_weight=w.will_payment_weight,
        conditionality_penalty=w.conditionality_penalty, deal_weight=w.will_deal_weight,
        tripwire_weight=w.will_tripwire_weight, distraction_weight=w.will_distraction_weight,
        exit_penalty=w.exit_will_penalty, payment_form=w.will_payment_form,
    )


def answer_signals(target, us_answered, europe_answered, p) -> list:
    """The US's and Europe's answers to a move against ``target``, each a costly signal."""
    w = p.beliefs.weight_costly
    us, europe = np.asarray(us_answered, dtype=bool), np.asarray(europe_answered, dtype=bool)
    return [
        Signal("us_honoured", target, w, us),
        Signal("ru_honoured", target, w, us),
        Signal("us_failed", target, w, ~us),
        Signal("ru_failed", target, w, ~us),
        Signal("eu_honoured", target, w, europe),
        Signal("eu_failed", target, w, ~europe),
    ]


def move_record(kind, us_answered, europe_answered):
    """(probe, probe left unanswered by the US, incursion, deterrence failure): an incursion that
    neither the US nor Europe answers is a failure of deterrence."""
    us, europe = np.asarray(us_answered, dtype=bool), np.asarray(europe_answered, dtype=bool)
    probe = np.asarray(kind) == deterrence.PROBE
    return probe, probe & ~us, ~probe, ~probe & ~(us | europe)
