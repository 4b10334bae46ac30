"""Deterrence: Europe's chance of an effective response, Russia's choice of move, resolution.

Sources: expected-utility deterrence (Schelling 1966; Huth 1988, *Extended Deterrence and the
Prevention of War*): an adversary moves where gain times the chance of no effective response
exceeds the cost times the chance of one; the believed response combines the patron's will, the
effectiveness of its forces and Europe's response, r = 1 - (1 - u eff)(1 - e). Gray-zone probing
as a low-cost test of resolve (Sechser 2011; Mazarr 2015, *Mastering the Gray Zone*).
"""

from __future__ import annotations

import numpy as np

NOTHING, PROBE, INCURSION = 0, 1, 2


def europe_response(local_balance, midpoint, steepness):
    """Chance of an effective European response: logistic(k (ln balance - ln midpoint)).

    ``local_balance`` is usable European capability in reach over Russian usable force in the
    theatre (both in money terms).
    """
    b = np.maximum(local_balance, 1e-12)
    return 1.0 / (1.0 + np.exp(-steepness * (np.log(b) - np.log(midpoint))))


def usable_capability(capability, enabler_dependence):
    """Capability usable without US enablers: K (1 - D). Money alone does not close this gap
    (the brief's second hidden bet: spending while dependent is 'more expensive dependence')."""
    return capability * (1.0 - enabler_dependence)


def believed_response(us_will_belief, us_effectiveness, europe_response_prob):
    """r = 1 - (1 - u x eff)(1 - e): chance, as Russia sees it, that a move meets a response."""
    return 1.0 - (1.0 - us_will_belief * us_effectiveness) * (1.0 - europe_response_prob)


def move_utilities(response, *, probe_gain, probe_cost, incursion_gain, incursion_cost):
    """Utility of a probe and of an incursion: gain (1 - r) - cost r. Returns (probe, incursion)."""
    probe = probe_gain * (1.0 - response) - probe_cost * response
    incursion = incursion_gain * (1.0 - response) - incursion_cost * response
    return probe, incursion


def move_probabilities(probe_utility, incursion_utility, inaction_utility, temperature):
    """Logit over 'nothing' and every (target, probe | incursion): shape [..., 1 + 2n].

    Column 0 is doing nothing; columns 1..n probes; n+1..2n incursions.
    """
    probe_utility, incursion_utility = np.broadcast_arrays(probe_utility, incursion_utility)
    n = probe_utility.shape[-1]
    tau = np.asarray(temperature, dtype=float)[..., None]
    # z = [nothing, probes, incursions] / tau, each part divided straight into its place
    u = np.empty((*probe_utility.shape[:-1], 1 + 2 * n))
    np.divide(np.asarray(inaction_utility, dtype=float)[..., None], tau, out=u[..., :1])
    np.divide(probe_utility, tau, out=u[..., 1:n + 1])
    np.divide(incursion_utility, tau, out=u[..., n + 1:])
    np.subtract(u, u.max(axis=-1, keepdims=True), out=u)
    np.exp(u, out=u)
    return np.divide(u, u.sum(axis=-1, keepdims=True), out=u)


def decode_move(index, n_targets):
    """(kind, target) from a column of :func:`move_probabilities`; target -1 for nothing."""
    index = np.asarray(index)
    kind = np.where(index == 0, NOTHING, np.where(index <= n_targets, PROBE, INCURSION))
    target = np.where(index == 0, -1, (index - 1) % n_targets)
    return kind, target


def resolve(u_us, u_europe, us_will, us_effectiveness, europe_response_prob):
    """True response to a move: (US answered, Europe answered), from two uniforms.

    The US answers with probability will x effectiveness, Europe with its response chance;
    a move meets an effective response if either answers.
    """
    return u_us < us_will * us_effectiveness, u_europe < europe_response_prob
