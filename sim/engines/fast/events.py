"""The fast engine's phase 1 and 2a: events fire in the runs where they happen, and the patron's
troop orders are carried out a tranche a month. What events do is :mod:`sim.model.events`."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.engines.fast.effects import Rows, apply, restricted
from sim.model import events, troops
from sim.model.parameters import event_prior_fields, realise
from sim.model.rules import posture
from sim.model.scenario import Scenario, event_id
from sim.model.streams import HAZARD_STREAM, Streams


class EventPhase:
    """Events and troop orders of a batch (mixed into :class:`sim.engines.fast.batch.Batch`)."""

    def setup_events(self, scenario: Scenario, V: dict[str, np.ndarray]) -> None:
        """Each event with its drawn values ([runs] arrays for priors), its hazard stream, and a
        troop-order slot (an event fires at most once per run, so it gives at most one order)."""
        p0 = realise(scenario, {name: 0.0 for name in self.names})
        self.events = []
        hazard = []
        for i, (event, real) in enumerate(zip(scenario.events, p0.events, strict=True)):
            eid = event_id(event, i)
            v = dict(vars(real.values))
            for suffix, _ in event_prior_fields(event):
                v[suffix.replace("hazard.", "hazard_")] = V[f"events.{eid}.{suffix}"]
            e = SimpleNamespace(id=eid, kind=real.kind, month=real.month, hazard_start=real.hazard_start,
                                rises_with=real.rises_with, v=SimpleNamespace(**v), index=i,
                                host=getattr(real.values, "host", None))
            if e.month is None:
                e.hazard = len(hazard)
                hazard.append(real.stream_key)
            self.events.append(e)
        R, S = self.R, len(self.events)
        # an order's origin and destination (-1: US forces at home), known when first given
        self.slot_host, self.slot_dest = np.full(S, -1, dtype=np.int64), np.full(S, -1, dtype=np.int64)
        self.order_active = np.zeros((R, S), dtype=bool)
        self.order_left = np.zeros((R, S))
        self.order_tranche = np.zeros((R, S))
        self.order_key = np.zeros((R, S), dtype=np.int64)
        self.fired_month = np.full((R, S), -1, dtype=np.int64)
        # One uniform a month per hazard event, from its own stream: [hazard, runs, months]
        self.hazard_u = np.empty((len(hazard), R, self.T))
        if hazard:
            st = Streams(self.seeds, [(HAZARD_STREAM, key) for key in hazard])
            self.hazard_u[:] = st.uniforms(self.T).reshape(len(hazard), R, self.T)

    def fire_events(self, t: int) -> None:
        """Phase 1 (EventBook.fire): in the scenario's order, each event applied at once."""
        for e in self.events:
            if e.month is None:
                if t < e.hazard_start:
                    continue
                eligible = self.fired_month[:, e.index] < 0
                if not eligible.any():
                    continue
                level = events.hazard_level(e.rises_with, Rows(self, None), t,
                                            None if e.host is None else self.world.index(e.host))
                chance = events.hazard_probability(e.v.hazard_monthly, e.v.hazard_slope, level)
                fired = events.fires(self.hazard_u[e.hazard, :, t], chance, eligible)
                if fired.any():
                    self.apply_event(e, np.flatnonzero(fired), t)
            elif e.month == t:
                self.apply_event(e, self.rows, t)

    def apply_event(self, e, rows: np.ndarray, t: int) -> None:
        """The event's effects (:data:`sim.model.events.EFFECTS`) in the runs ``rows``."""
        self.fired_month[rows, e.index] = t
        effects = events.EFFECTS[e.kind](restricted(e.v, rows), restricted(self.p, rows), Rows(self, rows))
        apply(self, effects, rows, t=t, slot=e.index)

    def give_order(self, slot: int, host: int | None, dest: int | None, rows: np.ndarray, amount: np.ndarray,
                   months: int, t: int) -> None:
        """Patron.order_move: an order goes to the back of the run's list (created month, then
        the scenario's event order)."""
        self.slot_host[slot] = -1 if host is None else host
        self.slot_dest[slot] = -1 if dest is None else dest
        self.order_active[rows, slot] = True
        self.order_left[rows, slot] = amount
        self.order_tranche[rows, slot] = posture.monthly_tranche(amount, months)
        self.order_key[rows, slot] = t * len(self.slot_host) + slot

    def tranche_signals(self, rows: np.ndarray, allies: np.ndarray, moved: np.ndarray) -> None:
        """Troops arriving at (+) or leaving (-) an ally, pairs (run, ally)."""
        apply(self, troops.tranche_signals(allies, moved, restricted(self.p, rows)), rows)

    def carry_out_orders(self) -> None:
        """Phase 2a (Patron.carry_out_orders): every run's orders in its list order."""
        active = self.order_active
        if not active.any():
            return
        S = active.shape[1]
        self.posture_changed |= active.any(axis=1)
        key = np.where(active, self.order_key, np.iinfo(np.int64).max)
        sequence = np.argsort(key, axis=1, kind="stable")
        for position in range(S):
            slot = sequence[:, position]
            on = active[self.rows, slot]
            if not on.any():
                break
            rows = np.flatnonzero(on)
            slot = slot[rows]
            amount = np.minimum(self.order_tranche[rows, slot], self.order_left[rows, slot])
            host, dest = self.slot_host[slot], self.slot_dest[slot]
            moved = amount.copy()
            home = host < 0
            if home.any():
                self.troops_home[rows[home]] -= amount[home]
            if not home.all():
                r, h = rows[~home], host[~home]
                perm, rot, out = posture.move_troops(self.troops_permanent[r, h], self.troops_rotational[r, h],
                                                     amount[~home])
                self.troops_permanent[r, h], self.troops_rotational[r, h] = perm, rot
                moved[~home] = out
                self.tranche_signals(r, h, -out)
            home = dest < 0
            if home.any():
                self.troops_home[rows[home]] += moved[home]
            if not home.all():
                r, d = rows[~home], dest[~home]
                self.troops_rotational[r, d] += moved[~home]
                self.tranche_signals(r, d, moved[~home])
            self.order_left[rows, slot] -= amount
        self.order_active &= self.order_left > 1e-9
        self.troops_total = None
