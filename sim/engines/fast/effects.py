"""The fast engine's side of :mod:`sim.model.effects`: the model's behaviours read and change rows
of the batch's arrays.

A behaviour called for some runs of a batch gets a :class:`Rows` state (what it reads is the
state of those runs) and parameters restricted to the same runs (:func:`restricted`); its effects
are then applied to those rows by :func:`apply`, in their order, as the Mesa engine applies them
to its agents.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.effects import CHANNELS, STATE, Change, Order, Signal, State

if TYPE_CHECKING:
    from sim.engines.fast.batch import Batch

CHANNEL = {name: k for k, name in enumerate(CHANNELS)}
POSTURE = frozenset({"logistics_hub"})
"""Fields that change what a US response could bring (the batch recomputes it for those runs)."""


class Rows(State):
    """The state of the runs ``rows`` of a batch (``None``: every run)."""

    def __init__(self, batch: Batch, rows: np.ndarray | None):
        self.batch, self.rows = batch, rows
        self.n = batch.n

    def get(self, field: str, ally: Any = None) -> Any:
        b, rows = self.batch, self.rows
        if field == "share_with_deal":
            values = b.last_share_with_deal
        elif field == "deterrence_failures":
            values = b.failures
        elif field == "autonomy_gdp_share":
            values = b.last_autonomy_gdp_share
        else:
            values = getattr(b, field)
            if STATE[field][1] and ally is not None:
                return values[:, ally] if rows is None else values[rows, ally]
        return values if rows is None else values[rows]

    def index(self, iso3: str) -> int:
        return self.batch.world.index(iso3)


class _Restricted:
    """A namespace whose arrays are read at ``rows`` (scalars and lists pass through)."""

    __slots__ = ("_ns", "_rows")

    def __init__(self, ns: SimpleNamespace, rows: np.ndarray):
        self._ns, self._rows = ns, rows

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._ns, name)
        if isinstance(value, SimpleNamespace):
            return _Restricted(value, self._rows)
        if isinstance(value, np.ndarray) and value.ndim:
            return value[self._rows]
        return value


def restricted(ns: SimpleNamespace, rows: np.ndarray | None) -> Any:
    """``ns`` (parameters by section, or an event's values) as the runs ``rows`` see it."""
    return ns if rows is None else _Restricted(ns, rows)


def _pick(value: Any, chosen: np.ndarray | None) -> Any:
    if chosen is None or np.ndim(value) == 0:
        return value
    return value[chosen]


def apply(batch: Batch, effects: list, rows: np.ndarray | None, *, t: int = 0, slot: int = -1) -> None:
    """Carry out ``effects`` on the runs ``rows`` of ``batch`` (``None``: every run). Values are
    scalars or arrays over those runs; ``slot`` is the troop-order slot of the event that gives
    an order (each event fires at most once per run)."""
    for e in effects:
        if e.when is True:
            chosen, r = None, rows
        else:
            chosen = np.asarray(e.when, dtype=bool)
            if chosen.ndim == 0:
                if not chosen:
                    continue
                chosen = None
                r = rows
            else:
                if not chosen.any():
                    continue
                r = np.flatnonzero(chosen) if rows is None else rows[chosen]
        if isinstance(e, Signal):
            channel = batch.evidence[CHANNEL[e.channel]]
            w = _pick(e.weight, chosen)
            if e.ally is None:
                if not np.any(w):  # adding zero changes no sum
                    continue
                if np.ndim(w) == 1:
                    w = w[:, None]
                if r is None:
                    channel += w
                else:
                    channel[r] += w
            else:
                ally = _pick(e.ally, chosen)
                if r is None:
                    channel[:, ally] += w
                else:
                    channel[r, ally] += w
        elif isinstance(e, Change):
            values = getattr(batch, e.field)
            value = _pick(e.value, chosen)
            where = slice(None) if r is None else r
            if STATE[e.field][1]:
                values[where, _pick(e.ally, chosen)] = value
            else:
                values[where] = value
            if e.field in POSTURE:
                batch.posture_changed[where] = True
        elif isinstance(e, Order):
            troops = np.broadcast_to(_pick(e.troops, chosen), (batch.R,) if r is None else r.shape)
            given = troops > 0
            if given.any():
                runs = batch.rows if r is None else r
                batch.give_order(slot, e.host, e.dest, runs[given], troops[given], e.months, t)
        else:  # pragma: no cover - the vocabulary has no other effect
            raise TypeError(f"unknown effect {e!r}")
