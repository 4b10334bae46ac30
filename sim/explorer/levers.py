"""The explorer's levers: the few parameters an analyst moves first, each mapped to the scenario
parameter it sets.

A lever is a question ("how large a withdrawal?"), not a parameter name: in a scenario that
announces a withdrawal it sets that event's troops; where the patron's conditions come from a
guarantee event, it sets the event's threshold, else the patron's standing threshold. A lever
that no scenario parameter answers yet is listed in :data:`MISSING` and left out of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.model.parameters import judgement_parameters
from sim.model.scenario import Scenario, event_id


def _first_event(scenario: Scenario, kinds: tuple[str, ...], field: str, when=lambda e: True) -> str | None:
    for i, event in enumerate(scenario.events):
        if event.kind in kinds and when(event):
            return f"events.{event_id(event, i)}.{field}"
    return None


def _withdrawal(s: Scenario) -> str | None:
    return _first_event(s, ("withdrawal", "relocation"), "troops")


def _threshold(s: Scenario) -> str | None:
    return (_first_event(s, ("guarantee",), "threshold", lambda e: e.conditional)
            or "patron.conditionality_threshold")


def _funding(s: Scenario) -> str | None:
    return _first_event(s, ("sovereign_c2",), "funding_share") or "pillar.baseline_c2_funding"


def _section(name: str) -> Callable[[Scenario], str | None]:
    return lambda s: name


@dataclass(frozen=True)
class Lever:
    key: str          # the explorer model's keyword
    label: str
    low: float
    high: float
    step: float
    target: Callable[[Scenario], str | None]   # the scenario parameter it sets; None: not in it
    whole: bool = False

    def parameter(self, scenario: Scenario) -> str | None:
        """The parameter of ``scenario`` this lever sets, or None if the scenario has none."""
        name = self.target(scenario)
        return name if name is not None and name in judgement_parameters(scenario) else None

    def default(self, scenario: Scenario) -> float:
        """The median of the scenario's prior for the parameter (the middle of the slider if none)."""
        name = self.parameter(scenario)
        if name is None:
            return self.low if self.whole else (self.low + self.high) / 2
        value = float(judgement_parameters(scenario)[name].ppf(0.5))
        value = min(max(value, self.low), self.high)
        return round(value) if self.whole else round(round(value / self.step) * self.step, 6)


LEVERS: tuple[Lever, ...] = (
    Lever("withdrawal_troops", "Withdrawal size (troops)", 0, 40_000, 500, _withdrawal, whole=True),
    Lever("conditionality_threshold", "Conditionality threshold (% of GDP)", 0.0, 6.0, 0.1, _threshold),
    Lever("deal_appetite", "US appetite for deals (chance a month)", 0.0, 1.0, 0.05, _section("patron.deal_appetite")),
    Lever("reputation_weight", "Reputation weight (allies)", 0.0, 1.0, 0.05, _section("beliefs.reputation_weight")),
    Lever("programme_funding", "European C2 programme funding (0-1)", 0.0, 1.0, 0.05, _funding),
)
"""The levers shown as sliders, in order."""

MISSING: dict[str, str] = {
    "Russia's risk tolerance": "no scenario parameter yet (the adversary section has costs, gains and the "
                               "value of inaction, but no risk tolerance)",
}
"""Levers the issue asks for that no scenario parameter answers yet: shown on the page as absent."""


def fixed_values(scenario: Scenario, values: dict[str, float]) -> dict[str, float]:
    """The ``fixed`` parameters of a run from lever values by key; levers the scenario lacks are skipped."""
    out = {}
    for lever in LEVERS:
        name = lever.parameter(scenario)
        if name is not None and lever.key in values:
            out[name] = float(values[lever.key])
    return out
