"""Each ally's starting state (ODD 5): the calibration data, the scenario's overrides and the
run's drawn parameters.

Written once for both engines: parameters may be scalars (one run) or arrays over runs; columns
that depend on them then gain a leading runs axis, the others are one value per ally.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.model.rules import strategy
from sim.model.scenario import Scenario
from sim.model.world import World


def _per_run(x) -> np.ndarray:
    """A parameter as a column against the allies axis: [runs, 1] for arrays, [1] for scalars."""
    return np.asarray(x, dtype=float)[..., None]


def initial_state(world: World, scenario: Scenario, p: SimpleNamespace) -> dict[str, np.ndarray]:
    """Starting state per ally, by the name the agents give it."""
    n = world.n

    def column(name: str, base, dtype=float) -> np.ndarray:
        out = np.array(base, dtype=object)
        for code, o in scenario.world.overrides.items():
            value = getattr(o, name)
            if value is not None:
                out[world.index(code)] = value
        return out if dtype is object else out.astype(dtype)

    share = column("defence_share", world.defence_share)
    ceiling_override = column("fiscal_ceiling", [None] * n, object)
    has_override = np.array([c is not None for c in ceiling_override])
    override = np.array([c if c is not None else 0.0 for c in ceiling_override], dtype=float)
    ceiling = np.maximum(share, np.where(has_override, override, _per_run(p.allies.fiscal_ceiling)))
    # An ally with no armed forces (Iceland) spends nothing and is not on the pledge path.
    exempt = column("pledge_exempt", [False] * n, bool) | (share == 0)
    alignment = column("alignment", world.alignment, object)
    frontline = np.array(world.land_border, dtype=bool)
    distance = np.asarray(world.distance_km, dtype=float)
    beliefs, pillar = p.beliefs, p.pillar
    ones = np.ones(n)
    return {
        "gdp": column("gdp_usd_bn", world.gdp_usd_bn),
        "share": share,
        "ceiling": ceiling,
        "pledge_exempt": exempt,
        "distance_km": distance,
        "frontline": frontline,
        "exposure": np.exp(-distance / _per_run(p.allies.threat_distance_km)),
        "private_share": np.where(frontline, _per_run(p.allies.private_share_frontline),
                                  _per_run(p.allies.private_share_other)),
        "europeanist": (alignment == "europeanist").astype(float),
        "russia_leaning": (alignment == "russia_leaning").astype(float),
        "logistics_hub": column("logistics_hub", world.logistics_hub),
        "troops_permanent": column("us_troops_permanent", world.us_troops_permanent),
        "troops_rotational": column("us_troops_rotational", world.us_troops_rotational),
        "enabler_dependence": _per_run(pillar.initial_enabler_dependence) * ones,
        "solidarity": _per_run(beliefs.initial_solidarity) * ones,
        "strength": _per_run(beliefs.initial_strength) * ones,
        "strategy": np.array([strategy.STRATEGIES.index(s) if s is not None else strategy.COLLECTIVE
                              for s in column("strategy", [None] * n, object)], dtype=np.int64),
    }


def revealed_response(will, us_effectiveness):
    """The chance that the US answers a move against an ally: its will to defend it times the
    effectiveness of its forces in reach. It is what probes reveal, so it is the level at which
    beliefs learned from the answers neither rise nor fall on average."""
    return will * us_effectiveness


def initial_belief(revealed, gap):
    """A starting belief: the revealed response plus a gap (0: consistent with the process)."""
    return np.clip(revealed + gap, 0.01, 0.99)
