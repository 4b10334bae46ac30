"""The alliance model: one Monte Carlo run of a scenario, month by month, on Mesa.

>>> from sim import AllianceModel, load_scenario
>>> model = AllianceModel(load_scenario("status_quo"), rng=7)
>>> model.run_for(12)
>>> model.allies.select(lambda a: a.frontline).agg("share", max)   # doctest: +SKIP

The model owns its generators: ``rng`` (an integer) seeds the within-run chance stream
(``model.rng``, Mesa's own generator); parameters are drawn from the scenario's priors on
separate streams derived from the same integer (:mod:`sim.model.parameters`), unless given.
``rng=None`` draws a fresh seed from the operating system's entropy and keeps it as
``model.seed``, so the run can be repeated.

It is a plain Mesa model for Mesa's own tools: ``model.run_model()`` runs to the horizon
(``model.running`` becomes False there), ``model.datacollector`` reports the main monthly
series (:data:`sim.model.outcomes.MAIN_SERIES`) at each step, and every argument can be given
by keyword, as ``mesa.batch_run`` does (Mesa 3; Mesa 4 removes it): the scenario by name, and
judgement parameters by dotted name or as identifiers (``patron__deal_price``)::

    mesa.batch_run(AllianceModel, {"scenario": "troops_to_poland",
                                   "patron.deal_price": [0.2, 0.4]}, rng=[1, 2], max_steps=120)

Each month (ODD "process overview", ``docs/ODD.md``):
1. events fire (scheduled, or by their hazard);
2. the patron carries out troop movements (each tranche a costly signal); its standing policy
   is state, read when it is tested, not restated as news (:mod:`sim.model.policy`);
3. allies and Russia update their beliefs from the month's signals;
4. allies choose strategies, decide compliance (January), the patron answers deal requests,
   allies set spending;
5. Russia chooses nothing, a probe or an incursion;
6. the move is resolved by the true will and forces, and everyone observes it;
7. capability, enabler dependence and income accumulate;
8. outcomes are recorded.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from types import SimpleNamespace

import mesa
import numpy as np

from sim.engines.mesa.agents import Adversary, Ally, EuropeanPillar, Patron
from sim.engines.mesa.events import EventBook
from sim.model import initialisation, outcomes, russia
from sim.model.effects import CHANNELS, STATE, Change, Order, Signal
from sim.model.initialisation import initial_state
from sim.model.loading import load_scenario
from sim.model.parameters import draw_parameters, from_identifiers, realise
from sim.model.rules import credibility, deterrence, patron, spending
from sim.model.scenario import Scenario
from sim.model.streams import draw_layout
from sim.model.world import World, load_world, pairwise_distance_km


class Evidence(SimpleNamespace):
    """Weighted signals received in one month, one array per channel (:data:`CHANNELS`), each
    value about the ally at that position."""

    def __init__(self, n: int):
        super().__init__(**{name: np.zeros(n) for name in CHANNELS})


class AllianceModel(mesa.Model):
    """NATO allies, the US patron, Russia and the European pillar, one month per step."""

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        rng: int | None = None,
        parameters: dict[str, float] | None = None,
        fixed: dict[str, float] | None = None,
        **named: float,
    ):
        """``scenario``: a :class:`Scenario`, or a shipped scenario's name or a file's path.
        ``rng``: the run's integer seed; None draws one (kept as ``model.seed``).
        ``parameters``: every judgement parameter's value (else drawn from the priors);
        ``fixed``: some of them set, by dotted name, the others drawn as always.
        ``**named``: more fixed parameters as keywords, by dotted name (``**{"patron.deal_price":
        0.3}``, as ``mesa.batch_run`` passes them) or as identifiers (``patron__deal_price=0.3``).
        """
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        if not isinstance(rng, (int, np.integer)) or isinstance(rng, bool) or rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed or None, got {rng!r}")
        if not isinstance(scenario, (Scenario, str, Path)):
            # SolaraViz's Reset passes Mesa's own Scenario object as scenario=
            raise TypeError(f"scenario must be an alliance scenario (a Scenario, a shipped name or a file's "
                            f"path), got {type(scenario).__module__}.{type(scenario).__name__}; in SolaraViz use "
                            f"sim.explorer.model.ExplorerModel ('deterrence explore'), which takes the "
                            f"scenario as scenario_name")
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if named:
            fixed = {**(fixed or {}), **from_identifiers(scenario, named)}
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.spec = scenario  # Mesa reserves model.scenario for its own Scenario class
        self.values = parameters if parameters is not None else draw_parameters(scenario, self.seed, fixed)
        self.p: SimpleNamespace = realise(scenario, self.values)
        self.world: World = load_world(scenario.world.calibration_year)
        self.start = scenario.start
        self.start_year, start_month = (int(x) for x in scenario.start.split("-"))
        self._start_month0 = start_month - 1
        self.horizon = scenario.horizon_months
        self.month = -1
        self.lag = round(self.p.allies.procurement_lag_months)
        self.attachment_strain = 0.0
        self.growth_penalty = 0.0
        self.threat_multiplier = 1.0

        state = initial_state(self.world, scenario, self.p)
        self.n = n = self.world.n
        self.layout = draw_layout(n)
        self._n_draws = self.layout["europe_response"].stop
        self._draws = np.zeros(self._n_draws)

        Ally.create_agents(
            self, n, index=list(range(n)), iso3=list(self.world.iso3), name=list(self.world.name),
            **{k: v.tolist() for k, v in state.items()},
        )
        # The AgentSet of allies in their fixed (calibration) order, for array views.
        self.ally_list: list[Ally] = sorted(self.agents_by_type[Ally], key=lambda a: a.index)
        self.patron = Patron(self, n)
        self.adversary = Adversary(self, n, gdp=self.world.russia_gdp_usd_bn)
        self.pillar = EuropeanPillar(self)

        distance = np.array([a.distance_km for a in self.ally_list])
        self.pairwise_km = pairwise_distance_km(self.world)
        self.ally_reputation = credibility.reputation_matrix(
            distance, self.p.beliefs.reputation_weight, self.p.beliefs.similarity_range_km)
        self.adversary_reputation = credibility.reputation_matrix(
            distance, self.p.adversary.reputation_weight, self.p.beliefs.similarity_range_km)
        proximity = np.exp(-self.pairwise_km / self.p.allies.solidarity_range_km)
        np.fill_diagonal(proximity, 0.0)
        self.proximity = proximity

        self.evidence = Evidence(n)
        self.events = EventBook(self)
        # Russia's moves and their answers, for a run's story (sim.analysis.story): (month, kind,
        # target, US answered, Europe answered); the recorder keeps only counts.
        self.moves: list[tuple[int, int, int, bool, bool]] = []
        self._usable0 = self.adversary.usable_force
        self.threat_ratio = 1.0
        self._update_forces()
        # the most dependent ally at the start reads evidence in full (credibility.attention)
        reference = np.max(credibility.dependence_on_patron(self._arr("exposure"), self.europe_response))
        for ally in self.allies:
            ally.attention_scale = float(credibility.attention_scale(ally.exposure, reference))
        self.attention_base = 1.0 - self.p.beliefs.dependence_attention
        self._initial_beliefs()
        self._protection0 = self._us_reach_value()
        self._in_reach0 = (self.proximity * self._arr("spending")[None, :]).sum(axis=-1)
        self.european_protection = self._european_protection()
        # Calibrate each ally's weight on security so that its starting spending is its best
        # response (Olson-Zeckhauser with joint products) at the credibility the process reveals;
        # a belief above it (the gap) is a more credible patron in the ally's eyes, and the ally
        # then spends less (free-riding), not more.
        for ally in self.ally_list:
            reference = float(self._reference_credibility[ally.index])
            s_in = spending.spill_in(ally.private_share, reference, self.us_protection(ally),
                                     ally.solidarity, self.european_protection[ally.index])
            ally.alpha0 = float(spending.calibrated_alpha(ally.spending, ally.gdp, s_in))
        self.last = outcomes.snapshot(self)
        self.recorder = outcomes.Recorder(self)
        # For Mesa's tools (batch_run): the main series, read from the recorder's arrays.
        self.datacollector = mesa.DataCollector(model_reporters={
            name: partial(_series_now, name=name) for name in outcomes.MAIN_SERIES})

    def _initial_beliefs(self) -> None:
        """Allies' credibility and Russia's belief start at the response the process reveals
        (sim.model.initialisation), plus the scenario's gaps."""
        will = np.array([self.patron.will(a) for a in self.ally_list])
        revealed = initialisation.revealed_response(will, self.us_effectiveness)
        self._reference_credibility = initialisation.initial_belief(revealed, 0.0)
        cred = initialisation.initial_belief(revealed, self.p.beliefs.initial_credibility_gap)
        for ally in self.ally_list:
            ally.cred_a, ally.cred_b = (float(x) for x in credibility.beta_from_mean(cred[ally.index], ally.strength))
        russia = initialisation.initial_belief(revealed, self.p.adversary.initial_belief_gap)
        self.adversary.will_a, self.adversary.will_b = credibility.beta_from_mean(
            russia, self.p.adversary.belief_strength)

    # ---- the draws ------------------------------------------------------------------------
    def draw(self, name: str, index: int = 0) -> float:
        """This month's uniform for ``name`` (and ally ``index``) from the fixed layout."""
        return float(self._draws[self.layout[name]][index])

    # ---- calendar -------------------------------------------------------------------------
    @property
    def year(self) -> float:
        """Calendar year as a decimal (mid-month)."""
        return self.start_year + (self._start_month0 + self.month + 0.5) / 12.0

    @property
    def is_january(self) -> bool:
        return (self._start_month0 + self.month) % 12 == 0

    # ---- shared quantities, computed once per phase from agents' state -----------------------
    def _arr(self, attr: str) -> np.ndarray:
        return np.array([getattr(a, attr) for a in self.ally_list], dtype=float)

    def _us_reach_value(self) -> np.ndarray:
        local = self._arr("us_troops")
        hub_staged = (self._arr("logistics_hub") * local).sum()
        forces = patron.forces_in_reach(local, hub_staged, self.p.pillar.reinforcement_reach)
        return patron.response_effectiveness(forces, self.p.patron.response_force_scale)

    def us_protection(self, ally: Ally) -> float:
        """US protection in reach of ``ally``, USD bn/year: a multiple of its starting spending,
        scaled by how effective a US response could be now relative to the start."""
        i = ally.index
        return float(self.p.patron.protection_value * ally.start_spending
                     * self.us_effectiveness[i] / self._protection0[i])

    def _european_protection(self) -> np.ndarray:
        """European protection in reach of each ally, USD bn/year: a multiple of its starting
        spending, moving with its neighbours' spending in reach (sum_j w_ij q_j) relative to
        the start. Counting neighbours' whole budgets would dwarf a small ally's own (Belgium:
        about 150 bn in reach against 5 bn of its own) and make it hypersensitive to belief."""
        q = self._arr("spending")
        in_reach = (self.proximity * q[None, :]).sum(axis=-1)
        own0 = self._arr("start_spending")
        return self.p.allies.solidarity_value * own0 * in_reach / self._in_reach0

    def _update_forces(self) -> None:
        """US effectiveness and Europe's response chance per ally, from current forces."""
        self.us_effectiveness = self._us_reach_value()
        usable = self._arr("capability") * (1.0 - self._arr("enabler_dependence"))
        # The true solidarity, not the target's belief in it: beliefs learn about it from answers.
        in_reach = usable + self.p.pillar.solidarity * (self.proximity * usable[None, :]).sum(axis=-1)
        russian = self.adversary.usable_force * self.threat_multiplier * self._arr("exposure")
        balance = in_reach / np.maximum(russian, 1e-9)
        a = self.p.adversary
        self.europe_response = deterrence.europe_response(balance, a.europe_response_midpoint,
                                                          a.europe_response_steepness)
        self.threat_ratio = self.adversary.usable_force * self.threat_multiplier / self._usable0

    # ---- state and effects (sim.model.effects) ------------------------------------------------
    def get(self, field: str, ally: int | None = None):
        """The run's ``field`` (of ``ally``, or of every ally when ``ally`` is None)."""
        if field == "share_with_deal":
            return self.last.share_with_deal
        if field == "deterrence_failures":
            return float(self.recorder.failures)
        if field == "autonomy_gdp_share":
            return self.last.autonomy_gdp_share
        owner, per_ally = STATE[field]
        if owner == "ally":
            if ally is None:
                return np.array([getattr(a, field) for a in self.ally_list])
            return getattr(self.ally_list[ally], field)
        holder = self if owner == "model" else getattr(self, owner)
        value = getattr(holder, field)
        return value[ally] if per_ally and ally is not None else value

    def index(self, iso3: str) -> int:
        return self.world.index(iso3)

    def apply(self, effects: list) -> None:
        """Carry out a behaviour's effects on this run's agents, in their order."""
        for e in effects:
            if not e.when:
                continue
            if isinstance(e, Signal):
                channel = getattr(self.evidence, e.channel)
                if e.ally is None:
                    channel += e.weight
                else:
                    channel[e.ally] += e.weight
            elif isinstance(e, Change):
                value = e.value.item() if isinstance(e.value, (np.ndarray, np.generic)) else e.value
                owner, per_ally = STATE[e.field]
                if owner == "ally":
                    setattr(self.ally_list[e.ally], e.field, value)
                elif per_ally:
                    getattr(getattr(self, owner), e.field)[e.ally] = value
                else:
                    setattr(self if owner == "model" else getattr(self, owner), e.field, value)
            elif isinstance(e, Order):
                if e.troops > 0:
                    self.patron.order_move(e.host, e.dest, e.troops, e.months)
            else:  # pragma: no cover - the vocabulary has no other effect
                raise TypeError(f"unknown effect {e!r}")

    # ---- the month ------------------------------------------------------------------------
    def step(self) -> None:
        self.month = int(self.time) - 1
        self._draws = self.rng.random(self._n_draws)
        self.events.fire(self.month)                               # 1
        self.patron.carry_out_orders()                             # 2
        self.agents_by_type[Ally].do("update_beliefs")             # 3
        self.adversary.update_beliefs()
        self.evidence = Evidence(self.n)
        self.agents_by_type[Ally].do("choose_strategy")            # 4
        if self.is_january or self.month == 0:
            self.agents_by_type[Ally].do("decide_compliance")
        self.patron.answer_deal_requests()
        self.european_protection = self._european_protection()
        self.agents_by_type[Ally].do("set_spending")
        self._update_forces()
        kind, target = self.adversary.choose_move()                # 5
        if kind != deterrence.NOTHING:
            self._resolve(kind, target)                            # 6
        self.pillar.step()                                         # 7
        self.agents_by_type[Ally].do("accumulate")
        self.adversary.accumulate()
        self.last = outcomes.snapshot(self)                        # 8
        self.recorder.record(self)
        self.datacollector.collect(self)
        self.running = self.month + 1 < self.horizon

    def _resolve(self, kind: int, target: int) -> None:
        ally = self.ally_list[target]
        us, europe = deterrence.resolve(
            self.draw("us_response"), self.draw("europe_response"),
            self.patron.will(ally), self.us_effectiveness[target], self.europe_response[target])
        self.apply(russia.answer_signals(target, us, europe, self.p))
        self.recorder.move(self, kind, target, bool(us), bool(europe))
        self.moves.append((self.month, int(kind), int(target), bool(us), bool(europe)))

    def run(self) -> None:
        """Run to the scenario's horizon (the same as Mesa's ``run_model()``)."""
        self.run_for(self.horizon - int(self.time))

    # ---- inspection -----------------------------------------------------------------------
    @property
    def allies(self):
        """The allies as a Mesa AgentSet (select, agg, groupby...)."""
        return self.agents_by_type[Ally]

    def ally(self, iso3: str) -> Ally:
        return self.ally_list[self.world.index(iso3)]

    def outcomes(self) -> dict[str, float]:
        """The run's outcomes (see :mod:`sim.model.outcomes`)."""
        return self.recorder.outcomes(self)

    def timeseries(self) -> dict[str, np.ndarray]:
        return self.recorder.series()


def _series_now(model: AllianceModel, name: str) -> float:
    """This month's value of the series ``name`` (a DataCollector model reporter)."""
    return float(model.recorder.data[name][model.month])
