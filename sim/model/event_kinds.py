"""The event kinds a scenario may schedule (a month) or leave to chance (a hazard): what each
says, with units, ranges and defaults. What each does to the world is ``sim.model.events``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sim.model.priors import Number, Prior, Whole, as_prior
from sim.model.schema_base import MONTH_RE, Month, Section, bounded, month_label

HAZARD_RANGES = {"monthly": (0.0, 1.0), "slope": (-1.0, 1.0)}
"""Allowed range of a hazard's ``monthly`` probability and ``slope`` (per unit of its state)."""


class Hazard(BaseModel):
    """A monthly chance instead of a fixed month; it may rise with the model's state."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    monthly: Prior = Field(description="base probability per month, 0-1")
    rises_with: Literal[
        "none", "share_below_threshold", "share_with_deal", "months_elapsed", "deterrence_failures",
        "autonomy_share", "host_not_paying", "host_seeks_deal",
    ] = Field("none", description="model state that raises the hazard: alliance-wide (share_below_threshold, "
                                   "share_with_deal, months_elapsed, deterrence_failures, autonomy_share: the GDP "
                                   "share of allies pursuing autonomy) or the event's host's (host_not_paying: 1 "
                                   "while it is below the patron's threshold without a deal; host_seeks_deal: 1 "
                                   "while it has chosen the deal strategy); a decision of the model's agents then "
                                   "makes the event happen, not the calendar")
    slope: Prior = Field(0.0, description="added probability per unit of that state")
    after: Month | None = Field(None, description="the hazard starts this month (default: the start)")

    @field_validator("monthly", "slope")
    @classmethod
    def _probability(cls, value, info: ValidationInfo):
        lo, hi = as_prior(value).support()
        low, high = HAZARD_RANGES[info.field_name]
        if lo < low or hi > high:
            what = "monthly hazard" if info.field_name == "monthly" else "hazard slope"
            raise ValueError(f"{what} must lie in {low:g} to {high:g}, got {lo:g} to {hi:g}")
        return value


class _Event(Section):
    id: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", description="name, used in results and designs")
    label: str | None = None
    month: Month | None = Field(None, description="when it happens, 'YYYY-MM'")
    hazard: Hazard | None = Field(None, description="or: a monthly chance that it happens")

    @model_validator(mode="after")
    def _when(self):
        if (self.month is None) == (self.hazard is None):
            raise ValueError("an event needs exactly one of 'month' or 'hazard'")
        return self


Host = Annotated[str, Field(description="ISO3 code of an ally")]


class Withdrawal(_Event):
    """US troops leave a host, over ``duration_months``; ``to`` another ally makes it a relocation."""

    kind: Literal["withdrawal"]
    host: Host
    troops: Prior = bounded(..., 0, 100_000, "troops", "troops withdrawn")
    duration_months: Whole = Field(9, ge=1, le=60, description="months over which they leave")
    to: str = Field("home", description="'home' or the ISO3 code of the receiving ally")
    hub_loss: Prior = bounded(0.0, 0, 1, "0-1", "share of the host's value as a logistics hub lost (bases closed)")
    announce: bool = Field(True, description="whether the decision is announced (a signpost reads it)")


class Relocation(_Event):
    """Shorthand for a withdrawal whose troops go to another ally."""

    kind: Literal["relocation"]
    host: Host
    to: Host
    troops: Prior = bounded(..., 0, 100_000, "troops", "troops relocated")
    duration_months: Whole = Field(9, ge=1, le=60)
    hub_loss: Prior = bounded(0.0, 0, 1, "0-1", "share of the host's value as a logistics hub lost")
    announce: bool = True


class Guarantee(_Event):
    """A US statement on Article 5: conditional on a spending threshold, or unconditional."""

    kind: Literal["guarantee"]
    conditional: bool = Field(description="true: the guarantee depends on spending; false: unconditional")
    threshold: Prior = bounded(0.0, 0, 10, "% of GDP", "spending threshold, when conditional")
    strictness: Prior = bounded(1.0, 0, 1, "0-1", "how far the will depends on it, when conditional")
    hosts: list[str] | None = Field(None, description="allies it applies to (default: all)")


class BasingDeal(_Event):
    """A bilateral basing agreement: the host pays and gets US presence and a deal."""

    kind: Literal["basing_deal"]
    host: Host
    troops: Prior = bounded(0.0, 0, 100_000, "troops", "additional rotational US troops that come with it")
    duration_months: Whole = Field(6, ge=1, le=60, description="months over which those troops arrive")
    price: Prior = bounded(0.5, 0, 5, "% of GDP per year", "what the host pays or adds to spending")


class Deployment(_Event):
    """US troops sent from home to a host, with no deal attached (a reinforcement)."""

    kind: Literal["deployment"]
    host: Host
    troops: Prior = bounded(..., 0, 100_000, "troops", "troops deployed")
    duration_months: Whole = Field(6, ge=1, le=60, description="months over which they arrive")
    announce: bool = Field(True, description="whether the decision is announced (a signpost reads it)")


class EUBudget(_Event):
    """An EU-level defence budget decision (the brief: 'the EU defence budget doubles')."""

    kind: Literal["eu_budget"]
    multiplier: Prior = bounded(2.0, 0, 20, "factor", "factor on EU-level defence funds")


class SovereignC2(_Event):
    """A funded sovereign command-and-control programme (Sparta 2.0 as EU policy)."""

    kind: Literal["sovereign_c2"]
    years: Prior = bounded(..., 0.5, 50, "years", "years to complete, fully funded")
    funding_share: Prior = bounded(1.0, 0, 1, "0-1", "how fully it is funded")


class HaltDeployment(_Event):
    """A planned US deployment halted (the long-range fires battalion for Germany)."""

    kind: Literal["halt_deployment"]
    host: Host
    troops: Prior = bounded(500.0, 0, 100_000, "troops", "size of the halted deployment")


class Crisis(_Event):
    """A crisis over an ally, as a counterfactual: Russia tests the guarantee and the US stands
    firm (``us_answers: true``) or backs down. It is read as an answered or unanswered probe is
    (a costly signal about that ally, through reputation about the allies like it), so two arms
    that differ only in ``us_answers`` measure what backing down costs (Weisiger and Yarhi-Milo
    2015)."""

    kind: Literal["crisis"]
    host: Host
    us_answers: bool = Field(description="true: the US answers the test; false: it backs down")
    europe_answers: bool = Field(False, description="true: European allies answer it")


class TradeCoercion(_Event):
    """Tariffs that link security to trade (EU car tariffs from 15% to 25%)."""

    kind: Literal["trade_coercion"]
    tariff_from: Number = Field(15.0, ge=0, le=100, description="% before")
    tariff_to: Number = Field(25.0, ge=0, le=100, description="% after")
    growth_cost: Prior = bounded(0.2, 0, 5, "points of growth per 10 points of tariff", "yearly GDP growth lost")
    alignment_strain: Prior = bounded(0.5, 0, 10, "utility", "fall in allies' attachment to collective defence")


class ExitNotice(_Event):
    """The US gives notice of leaving the alliance (Art. 13: effective one year later)."""

    kind: Literal["exit_notice"]


class ThreatShock(_Event):
    """A change in the threat: a war begins (2022) or ends, freeing or absorbing Russian forces."""

    kind: Literal["threat_shock"]
    absorption_change: Prior = bounded(..., -1, 1, "share", "change in the share of Russian force absorbed")
    threat_change: Prior = bounded(0.0, -0.99, 20, "relative change", "change in perceived threat, multiplicative (0.5 = +50%)")


class BudgetLaw(_Event):
    """A national budget law or adopted defence plan: from ``month`` (when it was made) the ally
    spends at least the path's share in each year of the path, up to its fiscal ceiling; after
    the path's last year the last share holds. A path over several years is kept as one event
    per year (``<id>_<year>``, in force from January of that year, or from ``month`` if later,
    or from the start if earlier), so that each engine changes one floor at one month. Unlike
    the Hague pledge (``allies.pledge_*``), the law binds whatever the ally's compliance draw:
    it is what a parliament voted, not a promise. A forecast from an origin counts a law only
    if it was made by then."""

    kind: Literal["budget_law"]
    ally: Host
    path: dict[int, Annotated[float, Field(ge=0, le=15)]] = Field(
        min_length=1, description="defence share by year, % of GDP (NATO definition)")
    source: str = Field(min_length=1, description="the law or plan, with its date and where it is published")

    @field_validator("path")
    @classmethod
    def _years(cls, value: dict[int, float]) -> dict[int, float]:
        bad = [y for y in value if not 2000 <= y <= 2100]
        if bad:
            raise ValueError(f"path years must lie in 2000 to 2100, got {bad}")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _dated(self):
        if self.month is None:
            raise ValueError("a budget_law needs 'month' (when the law was made); it cannot be driven by a hazard")
        return self


def expand_budget_laws(events: list, start: str, horizon_months: int) -> list:
    """Each budget law with a path of several years becomes one law per year (see
    :class:`BudgetLaw`); years that begin after the horizon are dropped, and of the years before
    the start only the last is kept (it is the floor at the start). Raw YAML mappings in, raw
    mappings out, other events untouched; a law of one year is only dated."""
    if not isinstance(events, list):
        return events
    first = int(start[:4]) if isinstance(start, str) and MONTH_RE.match(start) else None
    out = []
    for e in events:
        if isinstance(e, BudgetLaw) and len(e.path) > 1:  # a validated law given as an object
            e = e.model_dump(exclude_none=True)
        if not (isinstance(e, dict) and e.get("kind") == "budget_law" and isinstance(e.get("path"), dict)
                and isinstance(e.get("month"), str) and MONTH_RE.match(e["month"]) and first is not None):
            out.append(e)
            continue
        try:
            years = sorted((int(y), v) for y, v in e["path"].items())
        except (TypeError, ValueError):
            out.append(e)  # the schema names the bad year
            continue
        last = month_label(horizon_months - 1, start) if isinstance(horizon_months, int) and horizon_months > 0 else None
        before = [y for y, _ in years if y <= first]
        keep = [(y, v) for y, v in years if y >= (before[-1] if before else first)]
        base = e.get("id") or f"budget_law_{str(e.get('ally', '')).lower()}"
        for y, v in keep:
            month = max(e["month"], f"{y:04d}-01", start)
            if last is not None and month > last:
                continue
            one = {**e, "path": {y: v}, "month": month}
            if len(years) > 1:
                one["id"] = f"{base}_{y}"
            out.append(one)
    return out


Event = Annotated[
    Withdrawal | Relocation | Guarantee | BasingDeal | EUBudget | SovereignC2 | HaltDeployment
    | TradeCoercion | ExitNotice | ThreatShock | Crisis | Deployment | BudgetLaw,
    Field(discriminator="kind"),
]

EVENT_KINDS = (
    "withdrawal", "relocation", "guarantee", "basing_deal", "eu_budget", "sovereign_c2",
    "halt_deployment", "trade_coercion", "exit_notice", "threat_shock", "crisis", "deployment",
    "budget_law",
)


def event_id(event: _Event, index: int) -> str:
    """An event's name in results and designs: its ``id``, or ``<kind>_<index>``."""
    return event.id or f"{event.kind}_{index}"  # type: ignore[attr-defined]
