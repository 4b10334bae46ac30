"""What a behaviour does to a run, as data: the vocabulary both engines carry out.

A behaviour of the monthly process (an event, a concluded deal, a troop tranche, the answer to
Russia's move) is written once, in :mod:`sim.model`, as a function that reads the run's state
and returns a list of effects. The Mesa engine applies them to its agents
(:meth:`sim.engines.mesa.model.AllianceModel.apply`), the fast engine to the rows of its
``[runs, allies]`` arrays (:mod:`sim.engines.fast.effects`). Neither engine knows what an event
kind means; a new kind or move is one function here and an entry in the schema.

Values in an effect are scalars for one run, or arrays over the runs concerned; ``ally`` is an
ally's index (the same for every run), an array of indices (one per run), or ``None`` (every
ally, or a run-level field). ``when`` restricts an effect to the runs where it is true.

Effects are applied in list order, and evidence is summed in that order: the order of
floating-point additions is part of a run's result, so both engines keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHANNELS = (
    "us_honoured", "us_failed", "eu_honoured", "eu_failed", "ru_honoured", "ru_failed",
    "direct_honoured", "direct_failed", "ru_direct_honoured", "ru_direct_failed",
)
"""Evidence of one month, by channel (ODD 7.2). ``us_*``: about the US guarantee to an ally,
read by the other allies through reputation; ``eu_*``: about European solidarity with it;
``ru_*``: the same events as Russia reads them; ``direct_*`` and ``ru_direct_*``: addressed to
the ally itself (a statement to every ally reaches each once, not again through reputation).
Allies read the first four through their reputation weights, Russia the next two."""

STATE = {
    # field: (owner in the Mesa model, one value per ally?)
    "share": ("ally", True),
    "ceiling": ("ally", True),
    "logistics_hub": ("ally", True),
    "strategy": ("ally", True),
    "holds_deal": ("ally", True),
    "deal_floor": ("ally", True),
    "law_floor": ("ally", True),
    "threshold": ("patron", True),
    "strictness": ("patron", True),
    "unconditional": ("patron", True),
    "exit_notice": ("patron", False),
    "absorption": ("adversary", False),
    "eu_budget_bn": ("pillar", False),
    "c2_years": ("pillar", False),
    "c2_funding": ("pillar", False),
    "growth_penalty": ("model", False),
    "attachment_strain": ("model", False),
    "threat_multiplier": ("model", False),
}
"""The state effects may read and change, with the agent that holds it in the Mesa model. The
fast engine holds each as an array of the same name, ``[runs, allies]`` or ``[runs]``."""


@dataclass(frozen=True, slots=True)
class Signal:
    """Evidence of ``weight`` pseudo-observations on ``channel`` about ``ally`` (``None``: about
    every ally, with a weight per run or per ally)."""

    channel: str
    ally: Any
    weight: Any
    when: Any = True


@dataclass(frozen=True, slots=True)
class Change:
    """``field`` (of ``ally``, or of the run when ``ally`` is ``None``) becomes ``value``."""

    field: str
    value: Any
    ally: Any = None
    when: Any = True


@dataclass(frozen=True, slots=True)
class Order:
    """The patron orders ``troops`` moved from ``host`` to ``dest`` over ``months`` months
    (``None``: US forces at home). Carried out a tranche a month (:mod:`sim.model.troops`);
    an order of no troops is not given."""

    host: int | None
    dest: int | None
    troops: Any
    months: int
    when: Any = True


class State:
    """What a behaviour may read of a run (or of the runs concerned). Each engine provides one."""

    n: int

    def get(self, field: str, ally: Any = None) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def index(self, iso3: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError
