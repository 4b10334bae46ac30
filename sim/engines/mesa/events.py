"""The scenario's events in one run of the Mesa model: when they happen, and the log of those that
did. What each kind does is written once, in :mod:`sim.model.events`.

Hazard events draw one uniform a month from a stream of their own (keyed by the event's id),
whether or not they fire, so adding an event changes no other draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import events
from sim.model.streams import HAZARD_STREAM

if TYPE_CHECKING:
    from sim.engines.mesa.model import AllianceModel


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

    def fire(self, month: int) -> None:
        """Phase 1: the events of this month, in the scenario's order, each applied at once."""
        for event in self.events:
            if event.month is None:
                u = self._streams[event.id].random()  # drawn every month: streams stay aligned
                if month < event.hazard_start:
                    continue
                v = event.values
                host = getattr(v, "host", None)
                level = events.hazard_level(event.rises_with, self.model, month,
                                            None if host is None else self.model.index(host))
                chance = events.hazard_probability(v.hazard_monthly, v.hazard_slope, level)
                if events.fires(u, chance, event.id not in self.fired):
                    self.apply(event, month)
            elif event.month == month:
                self.apply(event, month)

    def apply(self, event, month: int) -> None:
        m, v = self.model, event.values
        self.fired.add(event.id)
        self.log.append((month, event.kind, getattr(v, "host", None), event.id, bool(getattr(v, "announce", True))))
        m.apply(events.EFFECTS[event.kind](v, m.p, m))
