"""Outcomes: what one run is scored on, each defined once with its meaning and unit.

Two kinds: monthly **series** (``SERIES``, one value per month, written to
``timeseries.parquet``) and per-run **outcomes** (``OUTCOMES``, one value per run, written to
``runs.parquet``), plus one outcome pair per signpost of the scenario
(``signpost.<id>``: 1 if it happened, else 0; ``signpost.<id>.month``: months from the start
when it did, else NaN).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.model import russia
from sim.model.rules import strategy
from sim.model.scenario import EventSignpost, SeriesSignpost, month_index

if TYPE_CHECKING:
    from sim.engines.mesa.model import AllianceModel

GROUPS: dict[str, tuple[str, ...]] = {
    # Allies with a land border with Russia or Belarus (calibration data), plus Norway's
    # Arctic border: the "frontline six" of NATO's 2021-2025 spending rise.
    "frontline": ("EST", "FIN", "LTU", "LVA", "NOR", "POL"),
    # The Bucharest Nine (B9), the alliance's own name for its eastern flank.
    "eastern_flank": ("BGR", "CZE", "EST", "HUN", "LTU", "LVA", "POL", "ROU", "SVK"),
    "baltic": ("EST", "LTU", "LVA"),
    # The brief's "who pays": the Baltic states first, Germany slowly.
    "germany": ("DEU",),
}
"""Groups of allies used in outcomes; 'western' is every ally outside the eastern flank."""


@dataclass(frozen=True)
class Definition:
    name: str
    unit: str
    description: str


SERIES: dict[str, Definition] = {}
OUTCOMES: dict[str, Definition] = {}
OUTCOME_FNS: dict[str, Callable] = {}


def _series(name: str, unit: str, description: str) -> None:
    SERIES[name] = Definition(name, unit, description)


for _name, _unit, _desc in [
    ("credibility_allies", "probability", "allies' mean belief that the US guarantee to them holds"),
    ("credibility_eastern_flank", "probability", "the same, eastern flank (B9) allies"),
    ("credibility_frontline", "probability", "the same, frontline six"),
    ("credibility_western", "probability", "the same, allies outside the eastern flank"),
    ("credibility_baltic", "probability", "the same, the Baltic states (Estonia, Latvia, Lithuania)"),
    ("credibility_germany", "probability", "Germany's belief that the US guarantee to it holds"),
    ("russia_belief_us_will", "probability", "Russia's mean belief that the US would answer a move on an ally"),
    ("russia_belief_eastern_flank", "probability", "the same, for eastern flank allies"),
    ("allies_with_deal", "allies", "allies holding a bilateral deal with the US"),
    ("cohesion", "share of allies", "share of allies choosing collective defence"),
    ("allies_collective", "allies", "allies choosing collective defence"),
    ("allies_autonomy", "allies", "allies pursuing autonomy"),
    ("allies_accommodation", "allies", "allies accommodating Russia"),
    ("spending_share", "% of GDP", "defence spending of European allies and Canada, GDP-weighted"),
    ("spending_bn", "USD bn per year", "defence spending of European allies and Canada"),
    ("allies_at_2pct", "allies", "allies spending at least 2% of GDP"),
    ("allies_at_pledge", "allies", "allies at or above the Hague pledge target (3.5% core)"),
    ("capability_ratio", "ratio", "capability stock of European allies and Canada over Russia's"),
    ("usable_capability_ratio", "ratio", "the same, net of dependence on US enablers"),
    ("enabler_dependence", "0-1", "GDP-weighted share of European capability unusable without US enablers"),
    ("us_troops_europe", "troops", "US troops hosted by European allies and Canada"),
    ("probes", "moves", "gray-zone probes this month"),
    ("incursions", "moves", "limited incursions this month"),
]:
    _series(_name, _unit, _desc)


def _outcome(unit: str):
    """Register an outcome: its docstring is its definition."""

    def register(fn: Callable) -> Callable:
        OUTCOMES[fn.__name__] = Definition(fn.__name__, unit, (fn.__doc__ or "").strip())
        OUTCOME_FNS[fn.__name__] = fn
        return fn

    return register


@_outcome("allies")
def deals_final(s, r):
    """Allies holding a bilateral deal with the US at the horizon."""
    return s["allies_with_deal"][..., -1]


@_outcome("allies")
def deals_max(s, r):
    """Most allies holding a bilateral deal at once."""
    return s["allies_with_deal"].max(axis=-1)


@_outcome("months")
def first_deal_month(s, r):
    """Months from the start to the first bilateral deal (NaN if none)."""
    return _first(s["allies_with_deal"] > 0)


@_outcome("share of allies")
def cohesion_final(s, r):
    """Share of allies choosing collective defence at the horizon (1 = all)."""
    return s["cohesion"][..., -1]


@_outcome("share of allies")
def cohesion_min(s, r):
    """Lowest cohesion over the run."""
    return s["cohesion"].min(axis=-1)


@_outcome("allies")
def autonomy_final(s, r):
    """Allies pursuing autonomy at the horizon."""
    return s["allies_autonomy"][..., -1]


@_outcome("allies")
def accommodation_final(s, r):
    """Allies accommodating Russia at the horizon."""
    return s["allies_accommodation"][..., -1]


@_outcome("probability")
def credibility_final(s, r):
    """Allies' mean belief in the US guarantee at the horizon."""
    return s["credibility_allies"][..., -1]


@_outcome("probability")
def credibility_eastern_flank_final(s, r):
    """Eastern flank (B9) allies' mean belief in the US guarantee at the horizon."""
    return s["credibility_eastern_flank"][..., -1]


@_outcome("probability")
def credibility_eastern_flank_1y(s, r):
    """Eastern flank allies' mean belief in the US guarantee after 12 months."""
    return s["credibility_eastern_flank"][..., min(11, s["cohesion"].shape[-1] - 1)]


@_outcome("probability")
def credibility_western_final(s, r):
    """Western allies' mean belief in the US guarantee at the horizon."""
    return s["credibility_western"][..., -1]


@_outcome("probability")
def russia_belief_final(s, r):
    """Russia's mean belief in US will to defend an ally, at the horizon."""
    return s["russia_belief_us_will"][..., -1]


@_outcome("probability")
def russia_belief_eastern_flank_final(s, r):
    """Russia's mean belief in US will to defend an eastern flank ally, at the horizon."""
    return s["russia_belief_eastern_flank"][..., -1]


@_outcome("moves")
def probes(s, r):
    """Gray-zone probes over the run."""
    return s["probes"].sum(axis=-1)


@_outcome("moves")
def probes_unanswered(s, r):
    """Probes that met no US response."""
    return np.asarray(r.probes_unanswered, dtype=float)


@_outcome("months")
def first_probe_month(s, r):
    """Months from the start to the first probe (NaN if none)."""
    return _first(s["probes"] > 0)


@_outcome("moves")
def incursions(s, r):
    """Limited incursions over the run."""
    return s["incursions"].sum(axis=-1)


@_outcome("months")
def first_incursion_month(s, r):
    """Months from the start to the first incursion (NaN if none)."""
    return _first(s["incursions"] > 0)


@_outcome("0/1")
def deterrence_failure(s, r):
    """1 if an incursion met no effective response from the US or Europe."""
    return (np.asarray(r.failures) > 0).astype(float)


@_outcome("months")
def deterrence_failure_month(s, r):
    """Months from the start to the first deterrence failure (NaN if none)."""
    return np.nan if r.first_failure is None else np.asarray(r.first_failure, dtype=float)


@_outcome("% of GDP")
def spending_share_final(s, r):
    """GDP-weighted defence spending of European allies and Canada at the horizon."""
    return s["spending_share"][..., -1]


@_outcome("allies")
def allies_at_2pct_final(s, r):
    """Allies spending at least 2% of GDP at the horizon."""
    return s["allies_at_2pct"][..., -1]


@_outcome("allies")
def allies_at_pledge_final(s, r):
    """Allies at or above the Hague target (3.5%) at the horizon."""
    return s["allies_at_pledge"][..., -1]


@_outcome("ratio")
def capability_ratio_final(s, r):
    """European and Canadian capability stock over Russia's, at the horizon."""
    return s["capability_ratio"][..., -1]


@_outcome("ratio")
def usable_capability_ratio_final(s, r):
    """The same net of dependence on US enablers: the capability and enabler gap."""
    return s["usable_capability_ratio"][..., -1]


@_outcome("0-1")
def enabler_dependence_5y(s, r):
    """GDP-weighted enabler dependence after five years (month 60, or the horizon)."""
    return s["enabler_dependence"][..., min(59, s["cohesion"].shape[-1] - 1)]


@_outcome("0-1")
def enabler_dependence_final(s, r):
    """GDP-weighted enabler dependence at the horizon."""
    return s["enabler_dependence"][..., -1]


@_outcome("troops")
def us_troops_europe_final(s, r):
    """US troops hosted in Europe and Canada at the horizon."""
    return s["us_troops_europe"][..., -1]


ALLY_OUTCOMES: dict[str, Definition] = {
    "deal": Definition("deal", "0/1", "1 if the ally holds a bilateral deal with the US at the horizon"),
    "credibility": Definition("credibility", "probability", "the ally's belief in the US guarantee at the horizon"),
    "share": Definition("share", "% of GDP", "the ally's defence spending at the horizon"),
    "probes": Definition("probes", "moves", "gray-zone probes against the ally over the run"),
}
"""Per-ally outcomes, one column each per ally: ``ally.<ISO3>.<name>`` (e.g. ``ally.POL.deal``)."""


def ally_outcomes(iso3, holds_deal, credibility, share, probes) -> dict[str, np.ndarray]:
    """``ally.<ISO3>.<name>`` from final per-ally state: arrays [allies] (one run) or [runs, allies]."""
    values = {"deal": np.asarray(holds_deal, dtype=float), "credibility": np.asarray(credibility, dtype=float),
              "share": np.asarray(share, dtype=float), "probes": np.asarray(probes, dtype=float)}
    return {f"ally.{code}.{name}": values[name][..., i]
            for i, code in enumerate(iso3) for name in ALLY_OUTCOMES}


def outcome_names(scenario) -> list[str]:
    """Every outcome column a run of ``scenario`` produces, in order."""
    from sim.model.world import ALLIES

    names = list(OUTCOMES)
    for sp in scenario.signposts:
        names += [f"signpost.{sp.id}", f"signpost.{sp.id}.month"]
    names += [f"ally.{code}.{name}" for code in ALLIES for name in ALLY_OUTCOMES]
    return names


MAIN_OUTCOMES = (
    "deals_final", "cohesion_final", "credibility_eastern_flank_final", "credibility_western_final",
    "russia_belief_eastern_flank_final", "probes", "incursions", "deterrence_failure",
    "spending_share_final", "allies_at_pledge_final", "usable_capability_ratio_final",
    "enabler_dependence_5y",
)
"""The outcomes a summary shows first."""

MAIN_SERIES = (
    "credibility_eastern_flank", "credibility_western", "russia_belief_eastern_flank",
    "allies_with_deal", "cohesion", "spending_share", "allies_at_pledge",
    "usable_capability_ratio", "enabler_dependence", "probes", "incursions",
)
"""The monthly series behind the main outcomes: what the Mesa model's DataCollector reports
each month (for ``mesa.batch_run``)."""


# What can check each outcome (issue 13): spending is fitted to NATO's per-ally series and scored
# out of sample; the troops are the scenario's inputs; nothing observed checks the rest, whose
# levels rest on judgement priors and are meaningful only between scenarios run with the same
# seeds.
CALIBRATED = "calibrated"
INPUT = "input"
INDEX = "index"
EVIDENCE_TEXT = {
    CALIBRATED: "fitted to NATO's per-ally defence shares 2014-2025 and scored out of sample "
                "(docs/validation.md, sections 4-5)",
    INPUT: "set by the scenario's data and events (DMDC troops by host, withdrawals, relocations)",
    INDEX: "a scenario-relative index: no observed series checks it; compare scenarios run with "
           "the same seeds, not levels, and do not read it as the probability of a real event",
}
_CALIBRATED_STEMS = ("spending_share", "spending_bn", "allies_at_2pct", "allies_at_pledge", "share")
_INPUT_STEMS = ("us_troops_europe",)


def evidence(name: str) -> str:
    """What can check an outcome or series: ``CALIBRATED``, ``INPUT`` or ``INDEX`` (signposts,
    per-ally outcomes and any name not otherwise known are indices)."""
    stem = name.rsplit(".", 1)[-1] if name.startswith("ally.") else name
    for suffix in ("_final", "_5y", "_max", "_min"):
        stem = stem.removesuffix(suffix)
    if stem in _CALIBRATED_STEMS and not name.startswith("signpost."):
        return CALIBRATED
    if stem in _INPUT_STEMS:
        return INPUT
    return INDEX


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis (months), NaN where there is none."""
    mask = np.asarray(mask)
    return np.where(mask.any(axis=-1), mask.argmax(axis=-1), np.nan)


def snapshot(model: AllianceModel) -> SimpleNamespace:
    """Last month's aggregates that agents react to in the next month."""
    allies = model.ally_list
    n = len(allies)
    gdp = np.array([a.gdp for a in allies])
    autonomy = np.array([a.strategy == strategy.AUTONOMY for a in allies])
    usable = sum(a.capability * (1.0 - a.enabler_dependence) for a in allies)
    return SimpleNamespace(
        share_with_deal=sum(a.holds_deal for a in allies) / n,
        share_complying=sum(a.complies for a in allies) / n,
        european_usable=min(1.0, usable / max(model.adversary.capability, 1e-9)),
        autonomy_gdp_share=float((gdp * autonomy).sum() / gdp.sum()),
    )


class Recorder:
    """Collects the monthly series and move records of one run (arrays, not DataCollector:
    a sweep keeps thousands of runs)."""

    def __init__(self, model: AllianceModel):
        self.horizon = model.horizon
        self.data = {name: np.full(model.horizon, np.nan) for name in SERIES}
        self._moves = np.zeros((model.horizon, 2))
        self.probes_by_ally = np.zeros(model.n)
        self.probes_unanswered = 0
        self.failures = 0
        self.first_failure: int | None = None
        iso = list(model.world.iso3)
        self._groups = {g: np.array([c in codes for c in iso]) for g, codes in GROUPS.items()}
        self._groups["western"] = ~self._groups["eastern_flank"]

    def move(self, model: AllianceModel, kind: int, target: int, us: bool, europe: bool) -> None:
        t = model.month
        probe, unanswered, incursion, failure = russia.move_record(kind, us, europe)
        self._moves[t, 0] += probe
        self.probes_by_ally[target] += probe
        self._moves[t, 1] += incursion
        self.probes_unanswered += int(unanswered)
        if failure:
            self.failures += 1
            if self.first_failure is None:
                self.first_failure = t

    def record(self, model: AllianceModel) -> None:
        t = model.month
        allies = model.ally_list
        cred = np.array([a.credibility for a in allies])
        share = np.array([a.share for a in allies])
        gdp = np.array([a.gdp for a in allies])
        strat = np.array([a.strategy for a in allies])
        cap = np.array([a.capability for a in allies])
        dep = np.array([a.enabler_dependence for a in allies])
        ru = model.adversary.belief_us_will()
        g = self._groups
        d = self.data
        d["credibility_allies"][t] = cred.mean()
        d["credibility_eastern_flank"][t] = cred[g["eastern_flank"]].mean()
        d["credibility_frontline"][t] = cred[g["frontline"]].mean()
        d["credibility_western"][t] = cred[g["western"]].mean()
        d["credibility_baltic"][t] = cred[g["baltic"]].mean()
        d["credibility_germany"][t] = cred[g["germany"]].mean()
        d["russia_belief_us_will"][t] = ru.mean()
        d["russia_belief_eastern_flank"][t] = ru[g["eastern_flank"]].mean()
        d["allies_with_deal"][t] = sum(a.holds_deal for a in allies)
        d["cohesion"][t] = strategy.cohesion(strat)
        d["allies_collective"][t] = (strat == strategy.COLLECTIVE).sum()
        d["allies_autonomy"][t] = (strat == strategy.AUTONOMY).sum()
        d["allies_accommodation"][t] = (strat == strategy.ACCOMMODATION).sum()
        d["spending_bn"][t] = (gdp * share).sum() / 100.0
        d["spending_share"][t] = (gdp * share).sum() / gdp.sum()
        d["allies_at_2pct"][t] = (share >= 2.0 - 1e-9).sum()
        d["allies_at_pledge"][t] = (share >= model.p.allies.pledge_target - 1e-9).sum()
        d["capability_ratio"][t] = cap.sum() / model.adversary.capability
        d["usable_capability_ratio"][t] = (cap * (1.0 - dep)).sum() / model.adversary.capability
        d["enabler_dependence"][t] = (gdp * dep).sum() / gdp.sum()
        d["us_troops_europe"][t] = sum(a.us_troops for a in allies)
        d["probes"][t] = self._moves[t, 0]
        d["incursions"][t] = self._moves[t, 1]

    def series(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.data.items()}

    def outcomes(self, model: AllianceModel) -> dict[str, float]:
        """Every outcome of the run, signposts included (computed on the months simulated)."""
        upto = max(model.month + 1, 1)
        s = {k: v[:upto] for k, v in self.data.items()}
        out = {name: float(fn(s, self)) for name, fn in OUTCOME_FNS.items()}
        out.update(signposts(model, s))
        allies = model.ally_list
        per_ally = ally_outcomes(model.world.iso3, [a.holds_deal for a in allies],
                                 [a.credibility for a in allies], [a.share for a in allies], self.probes_by_ally)
        out.update({k: float(v) for k, v in per_ally.items()})
        return out


def signposts(model: AllianceModel, s: dict[str, np.ndarray]) -> dict[str, float]:
    """``signpost.<id>`` (0/1) and ``signpost.<id>.month`` for each signpost of the scenario."""
    log = model.events.log

    def first(match) -> float:
        # Signposts read announcements: an unannounced event does not count.
        return next((float(t) for t, kind, host, _, announced in log if announced and match(kind, host)),
                    np.nan)

    return {k: float(v) for k, v in signpost_values(model.spec, s, model.n, first).items()}


def signpost_values(spec, s: dict[str, np.ndarray], n_allies: int, first) -> dict[str, np.ndarray]:
    """The signposts of ``spec`` from series ``s`` (months on the last axis, so one run or many)
    and ``first(match)``: the month of the first event whose (kind, host) satisfies ``match``,
    NaN if none (an array for many runs). Used by the Mesa recorder and the ensemble engine."""
    out: dict[str, np.ndarray] = {}
    start = spec.start
    for sp in spec.signposts:
        month = np.nan
        if isinstance(sp, EventSignpost):
            month = _event_signpost_month(sp, first, start)
        elif isinstance(sp, SeriesSignpost):
            series = {
                "allies_at_pledge": s["allies_at_pledge"], "allies_at_2pct": s["allies_at_2pct"],
                "share_with_deal": s["allies_with_deal"] / n_allies, "cohesion": s["cohesion"],
                "mean_credibility": s["credibility_allies"],
            }[sp.series]
            last = min(month_index(sp.by, start), series.shape[-1] - 1)
            upto = series[..., : last + 1]
            hit = upto >= sp.at_least if sp.at_least is not None else upto <= sp.at_most
            month = _first(hit)
        out[f"signpost.{sp.id}"] = np.where(np.isnan(month), 0.0, 1.0)
        out[f"signpost.{sp.id}.month"] = np.asarray(month, dtype=float)
    return out


DECISION_DRIVERS = frozenset({"share_below_threshold", "share_with_deal", "deterrence_failures", "autonomy_share",
                              "host_not_paying", "host_seeks_deal"})
"""Hazard drivers that are the model's agents' decisions or their results (not the calendar)."""

ORIGINS = {
    "simulated": "read from a series the model produces",
    "emerges": "its event's chance rises with the agents' decisions (hazard.rises_with)",
    "scripted timing": "its event is scripted; only its month is left to chance",
    "scripted": "its event is scripted on a fixed month",
    "cannot happen": "no event of the scenario can produce it",
}
"""What a signpost's probability measures, by where its event comes from."""


def signpost_origin(spec, sp) -> str:
    """Whether the signpost ``sp`` of scenario ``spec`` is simulated or scripted (a key of
    :data:`ORIGINS`). An event signpost is as scripted as the least scripted event that can
    produce it: a fixed month is scripted; a constant hazard (or one rising with time) is
    scripted timing; a hazard rising with a decision emerges. A report must not present a
    scripted signpost's probability as the model's finding."""
    if not isinstance(sp, EventSignpost):
        return "simulated"
    kinds = {sp.event} | ({"relocation"} if sp.event == "withdrawal" else set())
    found = []
    for e in spec.events:
        host = getattr(e, "host", None)
        if e.kind not in kinds or (sp.host is not None and host != sp.host) \
                or (sp.exclude_host is not None and host == sp.exclude_host):
            continue
        if e.month is not None:
            found.append(3)
        elif e.hazard.rises_with in DECISION_DRIVERS:
            found.append(1)
        else:
            found.append(2)
    return {1: "emerges", 2: "scripted timing", 3: "scripted"}[min(found)] if found else "cannot happen"


def _event_signpost_month(sp: EventSignpost, first, start: str):
    """The month by which the signpost's event and every required kind have happened, if
    that is within its deadline; NaN otherwise. A relocation counts as a withdrawal."""
    kinds = {sp.event} | ({"relocation"} if sp.event == "withdrawal" else set())
    main = first(lambda kind, host: kind in kinds
                 and (sp.host is None or host == sp.host)
                 and (sp.exclude_host is None or host != sp.exclude_host))
    months = [main] + [first(lambda kind, host, r=r: kind == r) for r in sp.requires]
    month = np.max(np.stack(np.broadcast_arrays(*months)), axis=0)  # NaN if any is missing
    deadline = np.inf if sp.by is None else month_index(sp.by, start)
    if sp.within_months is not None:
        # within k months of the start: months 0 .. k-1 (within 90 days of 1 May: May-July)
        deadline = min(deadline, sp.within_months - 1)
    return np.where(month <= deadline, month, np.nan)
