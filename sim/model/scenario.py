"""The scenario schema: what a scenario file may say, with units, ranges and defaults.

A scenario is a world (calibration year and per-country overrides), the patron's policy, the
adversary, the allies' behaviour, beliefs, the European pillar, dated or hazard-driven events,
and the signposts to record. Every judgement parameter is a :mod:`sim.model.priors` prior: a number or
a distribution. Its allowed range is declared here once and checked against the prior's support.

The names here are the names everywhere: in YAML, in ``runs.parquet`` (``patron.deal_price``),
in experiment designs and in the model (``params.patron.deal_price``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sim.model.event_kinds import (  # noqa: F401  (re-exported: the schema's names are here)
    EVENT_KINDS,
    HAZARD_RANGES,
    BasingDeal,
    BudgetLaw,
    Crisis,
    Deployment,
    EUBudget,
    Event,
    ExitNotice,
    Guarantee,
    HaltDeployment,
    Hazard,
    Relocation,
    SovereignC2,
    ThreatShock,
    TradeCoercion,
    Withdrawal,
    _Event,
    event_id,
    expand_budget_laws,
)
from sim.model.priors import Number, Prior, Whole
from sim.model.schema_base import (  # noqa: F401  (re-exported)
    FITTED,
    MONTH_RE,
    Month,
    Section,
    bounded,
    month_index,
    month_label,
    param,
)

# --------------------------------------------------------------------------------------------
# The world


class CountryOverride(BaseModel):
    """Replace calibration values for one ally (ISO3 code) at the start."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    defence_share: Number | None = Field(None, ge=0, le=15, description="% of GDP at the start")
    gdp_usd_bn: Number | None = Field(None, gt=0, description="GDP at the start, current USD bn")
    us_troops_permanent: Number | None = Field(None, ge=0, le=100_000, description="US troops, permanent")
    us_troops_rotational: Number | None = Field(None, ge=0, le=100_000, description="US troops, rotational")
    alignment: Literal["atlanticist", "europeanist", "russia_leaning"] | None = None
    logistics_hub: Number | None = Field(None, ge=0, le=1, description="value as a reinforcement hub, 0-1")
    fiscal_ceiling: Number | None = Field(None, ge=0, le=15, description="highest sustainable % of GDP")
    pledge_exempt: bool | None = Field(None, description="stated exception to the Hague pledge (Spain)")
    strategy: Literal["collective", "deal", "autonomy", "accommodation"] | None = Field(
        None, description="the strategy the ally follows at the start (default collective defence); 'deal': it "
                          "is already bidding for a bilateral deal, as Poland for the relocated troops")


class World(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    calibration_year: Whole = Field(2025, ge=2014, le=2025, description="year of the calibration data")
    overrides: dict[str, CountryOverride] = Field(default_factory=dict, description="per ISO3 code")

    @field_validator("overrides")
    @classmethod
    def _known_codes(cls, value: dict[str, CountryOverride]) -> dict[str, CountryOverride]:
        from sim.model.world import ALLIES

        unknown = [code for code in value if code not in ALLIES]
        if unknown:
            raise ValueError(
                f"unknown country code {', '.join(unknown)}; allowed: {', '.join(ALLIES)}"
            )
        return value


# --------------------------------------------------------------------------------------------
# Actors' parameters


class Patron(Section):
    """The United States: conditionality, deals, attention and its latent will to defend."""

    conditionality_threshold: Prior = param(0.0, 0, 10, "% of GDP", "spending below which the patron says it will not defend; 0 = unconditional")
    conditionality_strictness: Prior = param(0.0, 0, 1, "0-1", "how far the latent will actually depends on meeting the threshold")
    deal_appetite: Prior = param({"dist": "uniform", "low": 0.1, "high": 0.4}, 0, 1, "probability per month", "chance the patron accepts an ally's request for a bilateral deal")
    deal_price: Prior = param({"dist": "uniform", "low": 0.2, "high": 0.8}, 0, 5, "% of GDP per year", "payment or extra spending a bilateral deal costs the ally")
    attention: Prior = param({"dist": "uniform", "low": 0.6, "high": 0.9}, 0, 1, "0-1", "share of US attention and means available for Europe (a war elsewhere lowers it)")
    will_base: Prior = param({"dist": "normal", "mean": 1.0, "sd": 0.4, "low": -3, "high": 4}, -5, 5, "log-odds", "intercept of the patron's latent will to defend an ally")
    will_payment_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 5, "log-odds per point of GDP", "will lost per point of GDP an ally falls short of the threshold, times strictness (paying above it earns nothing)")
    will_payment_form: Prior = param(0.0, 0, 1, "0-1", "phi: form of the priced guarantee's payment term, between two rival rules: 0 graded (will falls in proportion to the points an ally is short), 1 step (any shortfall costs the full payment weight: pay or be on your own)")
    conditionality_penalty: Prior = param({"dist": "uniform", "low": 0.0, "high": 1.0}, 0, 5, "log-odds, times strictness", "will lost by every ally whose guarantee is conditional: a priced commitment is a weaker one (0: conditionality is a harmless lever)")
    will_deal_weight: Prior = param({"dist": "uniform", "low": 0.3, "high": 1.2}, 0, 5, "log-odds", "effect on will of a bilateral deal")
    will_tripwire_weight: Prior = param({"dist": "uniform", "low": 0.2, "high": 0.6}, 0, 3, "log-odds per log(1 + thousand troops)", "tripwire: US troops present raise the will to fight for the host")
    will_distraction_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 5, "log-odds", "effect on will of full distraction elsewhere (1 - attention)")
    exit_will_penalty: Prior = param(3.0, 0, 10, "log-odds", "fall in will once the patron has given notice to leave the alliance")
    response_force_scale: Prior = param({"dist": "uniform", "low": 5000, "high": 20000}, 100, 200_000, "troops", "US troops in reach at which a decision to respond is effective with probability 1 - 1/e")
    protection_value: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "multiple of host's own spending", "US protection in reach of an ally, in money terms, per unit of effective US presence")


class Beliefs(Section):
    """How allies and Russia learn about the US guarantee (Beta beliefs; Fearon 1997 signal weights)."""

    initial_credibility_gap: Prior = param(0.0, -0.9, 0.9, "probability", "allies' initial belief that the US guarantee to them will be honoured, less the chance that the US would answer a move on them at the start (its will x the effectiveness of its forces in reach); 0: beliefs consistent with what the process reveals, so that they do not drift without a shock")
    initial_strength: Prior = param({"dist": "uniform", "low": 10, "high": 30}, 1, 500, "pseudo-observations", "how firmly the initial belief is held (a + b of the Beta prior)")
    forgetting: Prior = param({"dist": "uniform", "low": 0.97, "high": 0.995}, 0.5, 1, "per month", "lambda: share of past evidence kept each month (1 = never forget)")
    weight_costly: Prior = param({"dist": "uniform", "low": 2.0, "high": 5.0}, 0, 50, "pseudo-observations", "weight of a costly signal: troops moved, a probe answered or not")
    weight_pledge: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 50, "pseudo-observations", "weight of a tying-hands signal: a public pledge or statement of conditions")
    weight_rhetoric: Prior = param({"dist": "uniform", "low": 0.05, "high": 0.25}, 0, 50, "pseudo-observations", "weight of cheap talk")
    troops_per_signal: Prior = param(5000.0, 100, 100_000, "troops", "troops moved that make one full costly signal")
    reputation_weight: Prior = param({"dist": "uniform", "low": 0.1, "high": 0.5}, 0, 1, "0-1", "rho: how far allies read a signal about one ally as about themselves")
    dependence_attention: Prior = param({"dist": "uniform", "low": 0.0, "high": 1.0}, 0, 1, "0-1", "k: how far an ally's attention to evidence about the US guarantee follows its dependence on US escalation dominance (exposure x the chance Europe's forces in reach would not answer); 0: every ally reads every signal in full, 1: in proportion to its dependence (Snyder 1984)")
    similarity_range_km: Prior = param(1000.0, 10, 10_000, "km", "distance-to-Moscow difference over which similarity between allies falls by a factor e")
    initial_solidarity: Prior = param({"dist": "uniform", "low": 0.5, "high": 0.8}, 0, 1, "probability", "allies' belief that European allies would come to their aid")


class Allies(Section):
    """Allies' spending (joint products, Olson-Zeckhauser; Sandler) and strategy choice (logit)."""

    private_share_frontline: Prior = param({"dist": "uniform", "low": 0.6, "high": 0.9}, 0, 1, "0-1", "theta: private share of own defence for allies bordering Russia or Belarus")
    private_share_other: Prior = param({"dist": "uniform", "low": 0.2, "high": 0.5}, 0, 1, "0-1", "theta for the other allies")
    threat_sensitivity: Prior = param({"dist": "uniform", "low": 0.3, "high": 1.0}, 0, 5, "elasticity", "how far the weight on security (alpha) rises with the threat", FITTED)
    threat_distance_km: Prior = param(1500.0, 100, 10_000, "km", "distance over which Russia's threat decays by e")
    fiscal_ceiling: Prior = param({"dist": "uniform", "low": 4.0, "high": 6.0}, 0, 15, "% of GDP", "highest defence share an ally can sustain")
    max_ramp: Prior = param({"dist": "uniform", "low": 0.3, "high": 1.0}, 0, 5, "points of GDP per year", "largest yearly change in the defence share, up or down", FITTED)
    adjustment_speed: Prior = param({"dist": "uniform", "low": 0.05, "high": 0.2}, 0, 1, "per month", "share of the gap to the target share closed each month", FITTED)
    pledge_target: Prior = param(3.5, 0, 10, "% of GDP", "core defence by the pledge year (The Hague, 25 June 2025)", "NATO Hague Summit Declaration")
    pledge_year: Prior = param(2035, 2014, 2050, "year", "year the pledge is due", "NATO Hague Summit Declaration")
    compliance_base: Prior = param({"dist": "uniform", "low": -1.0, "high": 0.5}, -10, 10, "log-odds", "propensity to follow the pledge path regardless of pressure", FITTED)
    compliance_pressure: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "log-odds", "effect of US conditionality pressure on following the pledge path")
    compliance_peer: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "log-odds", "effect of the share of peers already on the path", FITTED)
    reconsider_rate: Prior = param({"dist": "uniform", "low": 0.05, "high": 0.15}, 0, 1, "per month", "h: chance an ally reconsiders its strategy in a month")
    logit_temperature: Prior = param({"dist": "uniform", "low": 0.3, "high": 0.8}, 0.01, 10, "utility units", "tau: noise in strategy choice")
    collective_attachment: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, -5, 5, "utility", "value of collective defence beyond its expected protection")
    deal_threat_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, 0, 10, "utility per unit threat", "weight of threat on seeking a deal")
    deal_gap_weight: Prior = param({"dist": "uniform", "low": 1.0, "high": 3.0}, 0, 10, "utility per unit credibility", "weight of the credibility gap a deal would close")
    deal_price_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, 0, 10, "utility per unit of price burden", "how the price of a deal deters; the burden is the price as a share of the ally's defence effort under the deal, p / (share + p)")
    peer_weight: Prior = param({"dist": "uniform", "low": 1.0, "high": 3.0}, 0, 10, "utility per share of peers", "pull of what peers already did (lets deal-making cascade)")
    autonomy_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "utility", "weight of Europeanist alignment and usable European capability on autonomy")
    accommodation_weight: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "utility", "weight of Russia-leaning alignment, threat and low credibility on accommodation")
    solidarity_value: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, 0, 10, "multiple of own spending", "European protection in reach of an ally at the start, in money terms")
    solidarity_range_km: Prior = param({"dist": "uniform", "low": 800, "high": 2000}, 10, 10_000, "km", "distance between capitals over which European help in reach decays by e")
    gdp_growth: Prior = param({"dist": "uniform", "low": 0.5, "high": 2.0}, -5, 10, "% per year, real", "GDP growth")
    procurement_lag_months: Prior = param({"dist": "choice", "values": [12, 24, 36]}, 0, 60, "months", "delay between spending and usable capability")
    depreciation: Prior = param({"dist": "uniform", "low": 0.05, "high": 0.1}, 0.001, 1, "per year", "share of the capability stock lost each year")


class Adversary(Section):
    """Russia: usable force, risk, beliefs about US will, and its choice of probe or incursion."""

    defence_share: Prior = param(7.5, 0.1, 20, "% of GDP", "Russian military spending", "SIPRI (April 2026 release, secondary report)")
    ukraine_absorption: Prior = param({"dist": "uniform", "low": 0.6, "high": 0.9}, 0, 0.99, "0-1", "share of Russian force absorbed by the war in Ukraine")
    absorption_decay: Prior = param({"dist": "uniform", "low": 0.0, "high": 0.1}, 0, 1, "per year", "yearly fall in absorption (a ceasefire frees forces)")
    initial_belief_gap: Prior = param(0.0, -0.9, 0.9, "probability", "Russia's initial belief that the US would answer a move on an ally, less the chance that it would at the start; 0: consistent with what its probes reveal")
    belief_strength: Prior = param({"dist": "uniform", "low": 10, "high": 30}, 1, 500, "pseudo-observations", "how firmly Russia holds that belief")
    reputation_weight: Prior = param({"dist": "uniform", "low": 0.2, "high": 0.6}, 0, 1, "0-1", "rho: how far a US failure in one place changes Russia's belief elsewhere")
    withdrawal_as_opportunity: Prior = param({"dist": "uniform", "low": 0.3, "high": 1.0}, 0, 1, "0-1", "how far Russia reads a withdrawal as lost will (1) rather than a negotiating signal (0)")
    probe_gain: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, 0, 20, "utility", "gain from an unanswered gray-zone probe")
    probe_cost: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, 0, 20, "utility", "cost of a probe that is answered")
    incursion_gain: Prior = param({"dist": "uniform", "low": 2.0, "high": 5.0}, 0, 50, "utility", "gain from an unanswered limited incursion")
    incursion_cost: Prior = param({"dist": "uniform", "low": 12.0, "high": 25.0}, 0, 100, "utility", "cost of an incursion that is answered")
    inaction_utility: Prior = param({"dist": "uniform", "low": 1.0, "high": 3.0}, -20, 20, "utility", "value of doing nothing in a month (higher = fewer moves)")
    logit_temperature: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.0}, 0.01, 10, "utility units", "noise in Russia's choice")
    europe_response_midpoint: Prior = param({"dist": "uniform", "low": 0.5, "high": 1.5}, 0.01, 10, "local force ratio", "local balance at which Europe answers effectively half the time")
    europe_response_steepness: Prior = param({"dist": "uniform", "low": 2.0, "high": 5.0}, 0.1, 20, "per log force ratio", "how sharply Europe's response rises with the local balance")


class Pillar(Section):
    """The European pillar: EU-level funds and the sovereign command-and-control programme."""

    initial_enabler_dependence: Prior = param({"dist": "uniform", "low": 0.6, "high": 0.9}, 0, 1, "0-1", "share of European capability that cannot be used without US enablers (C2, ISR, satellites, software)", "Sparta 2.0 as reported in the brief's sources")
    min_enabler_dependence: Prior = param({"dist": "uniform", "low": 0.1, "high": 0.3}, 0, 1, "0-1", "dependence left when the sovereign programme is complete")
    c2_years: Prior = param({"dist": "uniform", "low": 10, "high": 15}, 1, 50, "years", "years a fully funded sovereign C2 programme needs (Sparta 2.0: 10-15)", "Sparta 2.0 as reported in the brief's sources")
    solidarity: Prior = param({"dist": "uniform", "low": 0.4, "high": 0.8}, 0, 1, "0-1", "true share of European capability in reach that other allies commit to an attacked ally (allies' beliefs learn about it)")
    baseline_c2_funding: Prior = param({"dist": "uniform", "low": 0.1, "high": 0.3}, 0, 1, "0-1", "funding of the sovereign C2 programme before any EU decision (Sparta 2.0 as a national plan on paper)")
    eu_budget_bn: Prior = param(10.0, 0, 500, "USD bn per year", "EU-level defence funds at the start")
    eu_c2_share: Prior = param({"dist": "uniform", "low": 0.2, "high": 0.5}, 0, 1, "0-1", "share of EU-level defence funds added after the start that go to the sovereign enabler programme (C2, ISR, space)")
    c2_cost_bn: Prior = param({"dist": "uniform", "low": 5.0, "high": 15.0}, 0.1, 500, "USD bn per year", "what a fully funded sovereign enabler programme costs a year (EU funds of this size fund it in full)")
    reinforcement_reach: Prior = param({"dist": "uniform", "low": 0.3, "high": 0.7}, 0, 1, "0-1", "share of hub-staged US forces that reach a threatened ally in time")


# --------------------------------------------------------------------------------------------
# Signposts


class EventSignpost(BaseModel):
    """Records whether, and in which month, an event of a kind happens (optionally by a date)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    source: str | None = None
    event: Literal[
        "withdrawal", "relocation", "guarantee", "basing_deal", "eu_budget", "sovereign_c2",
        "halt_deployment", "trade_coercion", "exit_notice", "threat_shock", "crisis", "deployment",
    ]
    host: str | None = Field(None, description="only events concerning this ally")
    exclude_host: str | None = Field(None, description="only events not concerning this ally")
    by: Month | None = Field(None, description="counts only if it happens before this month ends")
    within_months: Whole | None = Field(None, ge=0, description="counts only within this many months of the start")
    requires: list[str] = Field(default_factory=list, description="other event kinds that must also have happened")


class SeriesSignpost(BaseModel):
    """Records whether a recorded series reaches a value by a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    source: str | None = None
    series: Literal["allies_at_pledge", "allies_at_2pct", "share_with_deal", "cohesion", "mean_credibility"]
    at_least: Number | None = None
    at_most: Number | None = None
    by: Month

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a series signpost needs exactly one of 'at_least' or 'at_most'")
        return self


Signpost = EventSignpost | SeriesSignpost


# --------------------------------------------------------------------------------------------
# The scenario


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    quote: str
    document: str = Field("brief", description="which source document")


class PosteriorPrior(BaseModel):
    """A fitted posterior as the prior of the parameters it fits (:mod:`sim.calibration.posterior`):
    each run draws one particle for all of them; the other parameters keep their priors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    posterior: str = Field(description="a shipped posterior, 'calibration/<name>', or a posterior folder")

    @field_validator("posterior")
    @classmethod
    def _exists(cls, value: str) -> str:
        from sim.calibration.posterior import resolve

        try:
            resolve(value)
        except FileNotFoundError as err:
            raise ValueError(str(err)) from None
        return value


class Scenario(BaseModel):
    """One future, or a counterfactual, as a political scientist would write it down."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="short identifier")
    title: str
    narrative: str = ""
    sources: list[Source] = Field(default_factory=list)
    start: Month = Field("2026-05", description="first simulated month")
    horizon_months: Whole = Field(120, ge=1, le=600, description="months simulated")
    world: World = Field(default_factory=World)
    patron: Patron = Field(default_factory=Patron)
    beliefs: Beliefs = Field(default_factory=Beliefs)
    allies: Allies = Field(default_factory=Allies)
    adversary: Adversary = Field(default_factory=Adversary)
    pillar: Pillar = Field(default_factory=Pillar)
    events: list[Event] = Field(default_factory=list)
    signposts: list[Signpost] = Field(default_factory=list)
    prior: PosteriorPrior | None = Field(None, description="a fitted posterior for the parameters it fits "
                                                           "(calibrated priors); the others keep the priors above")

    @model_validator(mode="before")
    @classmethod
    def _laws_by_year(cls, data: Any) -> Any:
        if isinstance(data, dict) and "events" in data:
            data = {**data, "events": expand_budget_laws(
                data["events"], data.get("start", cls.model_fields["start"].default),
                data.get("horizon_months", cls.model_fields["horizon_months"].default))}
        return data

    @model_validator(mode="after")
    def _consistent(self):
        from sim.model.world import ALLIES

        problems = []
        seen: set[str] = set()
        for i, event in enumerate(self.events):
            eid = event_id(event, i)
            if eid in seen:
                problems.append(f"events[{i}]: id '{eid}' is used twice")
            seen.add(eid)
            for attr in ("host", "to", "ally"):
                code = getattr(event, attr, None)
                if code is not None and code != "home" and code not in ALLIES:
                    problems.append(f"events[{i}].{attr}: unknown country code '{code}'")
            for code in getattr(event, "hosts", None) or []:
                if code not in ALLIES:
                    problems.append(f"events[{i}].hosts: unknown country code '{code}'")
            if (event.hazard is not None and event.hazard.rises_with.startswith("host_")
                    and getattr(event, "host", None) is None):
                problems.append(f"events[{i}].hazard.rises_with: '{event.hazard.rises_with}' reads the event's "
                                f"host, and a '{event.kind}' event has none; use it with an event that has a host "
                                f"(withdrawal, relocation, basing_deal, deployment, halt_deployment, crisis)")
            months = [("month", event.month)] if event.month else []
            if event.hazard is not None and event.hazard.after:
                months.append(("hazard.after", event.hazard.after))
            for where, m in months:
                k = month_index(m, self.start)
                if not 0 <= k < self.horizon_months:
                    problems.append(
                        f"events[{i}].{where}: {m} is outside the simulated months "
                        f"{self.start} to {month_label(self.horizon_months - 1, self.start)}"
                    )
        for i, sp in enumerate(self.signposts):
            if sp.by is not None and month_index(sp.by, self.start) < 0:
                problems.append(
                    f"signposts[{i}].by: signpost '{sp.id}' has its deadline {sp.by} before the start "
                    f"{self.start}, so it could never be met; give a month from {self.start} on"
                )
            for attr in ("host", "exclude_host"):
                code = getattr(sp, attr, None)
                if code is not None and code not in ALLIES:
                    problems.append(f"signposts[{i}].{attr}: unknown country code '{code}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self
