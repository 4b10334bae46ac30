"""Events: what the scenario makes happen, on a fixed month or by a monthly hazard.

Each event applies its effect to the agents and emits its signals: a troop movement is a costly
signal, a statement of conditions or a signed agreement a tying-hands pledge, trade rhetoric
cheap talk (Fearon 1997). Hazard events draw one uniform a month from a stream of their own
(keyed by the event's id), whether or not they fire, so adding an event changes no other draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.rules import credibility

if TYPE_CHECKING:
    from sim.engines.mesa.model import AllianceModel

HAZARD_STREAM = 3


class EventBook:
    """The scenario's events for one run, and the log of those that happened."""

    def __init__(self, model: AllianceModel):
        self.model = model
        self.events = model.p.events
        self.fired: set[str] = set()
        # (month, kind, host, id, announced): what happened, for signposts
        self.log: list[tuple[int, str, str | None, str, bool]] = []
        self._streams = {
            e.id: np.random.default_rng([model.seed, HAZARD_STREAM, e.stream_key])
            for e in self.events if e.month is None
        }

    def hazard_state(self, name: str) -> float:
        m = self.model
        if name == "share_below_threshold":
            shares = np.array([a.share for a in m.ally_list])
            return float((shares < m.patron.threshold).mean())
        if name == "share_with_deal":
            return m.last.share_with_deal
        if name == "months_elapsed":
            return float(m.month)
        if name == "deterrence_failures":
            return float(m.recorder.failures)
        return 0.0

    def fire(self, month: int) -> None:
        for event in self.events:
            if event.month is None:
                u = self._streams[event.id].random()  # drawn every month: streams stay aligned
                if event.id in self.fired or month < event.hazard_start:
                    continue
                v = event.values
                p = v.hazard_monthly + v.hazard_slope * self.hazard_state(event.rises_with)
                if u < min(max(p, 0.0), 1.0):
                    self.apply(event, month)
            elif event.month == month:
                self.apply(event, month)

    def apply(self, event, month: int) -> None:
        m, v = self.model, event.values
        b = m.p.beliefs
        ev = m.evidence
        self.fired.add(event.id)
        host = getattr(v, "host", None)
        self.log.append((month, event.kind, host, event.id, bool(getattr(v, "announce", True))))
        idx = m.world.index
        kind = event.kind
        if kind in ("withdrawal", "relocation"):
            h = idx(v.host)
            dest = None if v.to == "home" else idx(v.to)
            if v.announce:
                w = credibility.troop_signal_weight(v.troops, b.troops_per_signal, b.weight_pledge)
                ev.us_failed[h] += w
                ev.ru_failed[h] += w * m.p.adversary.withdrawal_as_opportunity
                if dest is not None:
                    ev.us_honoured[dest] += w
                    ev.ru_honoured[dest] += w
            m.ally_list[h].logistics_hub *= 1.0 - v.hub_loss
            m.patron.order_move(h, dest, v.troops, v.duration_months)
        elif kind == "guarantee":
            hosts = [idx(c) for c in v.hosts] if v.hosts else list(range(m.n))
            # A statement to every ally reaches each once (direct); one about named allies is
            # read by the others through reputation (targeted).
            to_all = not v.hosts
            for i in hosts:
                if v.conditional:
                    m.patron.unconditional[i] = False
                    m.patron.threshold[i] = v.threshold
                    m.patron.strictness[i] = v.strictness if v.threshold > 0 else 0.0
                    below = m.ally_list[i].share < v.threshold
                    w = (b.weight_pledge if below else b.weight_rhetoric) * m.patron.strictness[i]
                    (ev.direct_failed if to_all else ev.us_failed)[i] += w
                    (ev.ru_direct_failed if to_all else ev.ru_failed)[i] += w
                else:
                    m.patron.threshold[i] = 0.0
                    m.patron.strictness[i] = 0.0
                    m.patron.unconditional[i] = True
                    (ev.direct_honoured if to_all else ev.us_honoured)[i] += b.weight_pledge
                    (ev.ru_direct_honoured if to_all else ev.ru_honoured)[i] += b.weight_pledge
        elif kind == "basing_deal":
            ally = m.ally_list[idx(v.host)]
            m.conclude_deal(ally, v.price)
            if v.troops > 0:
                m.patron.order_move(None, ally.index, v.troops, v.duration_months)
        elif kind == "eu_budget":
            m.pillar.eu_budget_bn *= v.multiplier
        elif kind == "sovereign_c2":
            m.pillar.c2_years = v.years
            m.pillar.c2_funding = max(m.pillar.c2_funding, v.funding_share)
        elif kind == "halt_deployment":
            h = idx(v.host)
            w = credibility.troop_signal_weight(v.troops, b.troops_per_signal, b.weight_costly)
            ev.us_failed[h] += w
            ev.ru_failed[h] += w
        elif kind == "trade_coercion":
            m.growth_penalty += v.growth_cost * (v.tariff_to - v.tariff_from) / 10.0
            m.attachment_strain += v.alignment_strain
            ev.direct_failed += b.weight_rhetoric
        elif kind == "exit_notice":
            m.patron.exit_notice = True
            ev.direct_failed += b.weight_costly
            ev.ru_direct_failed += b.weight_costly
        elif kind == "threat_shock":
            a = m.adversary
            a.absorption = float(np.clip(a.absorption + v.absorption_change, 0.0, 1.0))
            m.threat_multiplier *= 1.0 + v.threat_change
        else:  # pragma: no cover - the schema admits no other kind
            raise ValueError(f"unknown event kind {kind!r}")
