"""The agents: allies, the US as patron, Russia as adversary, and the European pillar.

Agents hold their own state and apply the rules of :mod:`sim.model.rules` to themselves; the model
(:mod:`sim.engines.mesa.model`) owns the generators, the calendar and the order of the monthly process.
Within a phase every agent reads the state left by the previous phase, so the order in which
agents act does not matter (and the ensemble engine can update all of them at once).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import deals, policy, russia, troops
from sim.model.rules import capability, credibility, deterrence, posture, spending, strategy

if TYPE_CHECKING:
    from sim.engines.mesa.model import AllianceModel


class Ally(mesa.Agent):
    """A NATO member other than the US: budget, posture, beliefs and strategy."""

    def __init__(self, model: AllianceModel, index: int, iso3: str, name: str, **state):
        super().__init__(model)
        self.index = index
        self.iso3 = iso3
        self.name = name
        # Calibrated state; sim.model.initialisation says where each comes from.
        self.gdp: float = state["gdp"]
        self.share: float = state["share"]
        self.start_share: float = state["share"]
        self.start_spending: float = state["gdp"] * state["share"] / 100.0
        self.ceiling: float = state["ceiling"]
        self.pledge_exempt: bool = state["pledge_exempt"]
        self.distance_km: float = state["distance_km"]
        self.frontline: bool = state["frontline"]
        self.exposure: float = state["exposure"]
        self.private_share: float = state["private_share"]
        self.europeanist: float = state["europeanist"]
        self.russia_leaning: float = state["russia_leaning"]
        self.logistics_hub: float = state["logistics_hub"]
        self.troops_permanent: float = state["troops_permanent"]
        self.troops_rotational: float = state["troops_rotational"]
        self.enabler_dependence: float = state["enabler_dependence"]
        self.strength: float = state["strength"]
        # Credibility starts where the process it learns from would keep it (set by the model
        # once the forces in reach are known: sim.model.initialisation.initial_belief).
        self.cred_a = self.cred_b = float("nan")
        self.sol_a, self.sol_b = credibility.beta_from_mean(state["solidarity"], state["strength"])
        self.strategy: int = int(state["strategy"])
        self.holds_deal: bool = False
        self.deal_floor: float = 0.0
        self.law_floor: float = 0.0
        self.complies: bool = False
        yearly = self.spending
        self.capability: float = capability.steady_state_stock(yearly, model.p.allies.depreciation)
        lag = round(model.p.allies.procurement_lag_months)
        # Deliveries already ordered before the start: a steady pipeline of past spending.
        self.pipeline: deque[float] = deque([yearly / 12.0] * lag)
        self.alpha0: float = 0.0  # set by the model once spill-ins are known
        self.attention_scale: float = float("nan")  # set by the model once Europe's response is known

    # ---- derived quantities --------------------------------------------------------------
    @property
    def spending(self) -> float:
        """Defence spending, USD bn per year."""
        return self.gdp * self.share / 100.0

    @property
    def credibility(self) -> float:
        """Belief that the US guarantee to this ally will be honoured (Beta mean)."""
        return credibility.beta_mean(self.cred_a, self.cred_b)

    @property
    def solidarity(self) -> float:
        """Belief that European allies would come to its aid (Beta mean)."""
        return credibility.beta_mean(self.sol_a, self.sol_b)

    @property
    def us_troops(self) -> float:
        return self.troops_permanent + self.troops_rotational

    # ---- monthly phases ------------------------------------------------------------------
    def update_beliefs(self) -> None:
        """Phase 3: learn from this month's signals (own and, through reputation, others'), read
        with the attention the ally's dependence on the US gives them."""
        m, ev, i = self.model, self.model.evidence, self.index
        row = m.ally_reputation[i]
        attention = credibility.attention(self.attention_scale, m.europe_response[i],
                                          m.p.beliefs.dependence_attention, m.attention_base)
        honoured = attention * credibility.received_evidence(ev.us_honoured, row, ev.direct_honoured[i])
        failed = attention * credibility.received_evidence(ev.us_failed, row, ev.direct_failed[i])
        lam = m.p.beliefs.forgetting
        self.cred_a, self.cred_b = credibility.beta_update(self.cred_a, self.cred_b, honoured, failed, lam)
        sol_h = credibility.received_evidence(ev.eu_honoured, row)
        sol_f = credibility.received_evidence(ev.eu_failed, row)
        self.sol_a, self.sol_b = credibility.beta_update(self.sol_a, self.sol_b, sol_h, sol_f, lam)

    def choose_strategy(self) -> None:
        """Phase 4a: with probability h, reconsider the strategy by a logit choice."""
        m, a, i = self.model, self.model.p.allies, self.index
        if m.draw("reconsider", i) >= a.reconsider_rate:
            return
        c = self.credibility
        utilities = strategy.strategy_utilities(
            c, self.solidarity, self.exposure * m.threat_ratio,
            strategy.deal_gain(c, m.p.patron.will_deal_weight),
            deals.price_burden(m.p.patron.deal_price, self.share), m.last.share_with_deal,
            self.europeanist, self.russia_leaning, m.last.european_usable, m.attachment_strain,
            collective_attachment=a.collective_attachment, deal_threat_weight=a.deal_threat_weight,
            deal_gap_weight=a.deal_gap_weight, deal_price_weight=a.deal_price_weight,
            peer_weight=a.peer_weight, autonomy_weight=a.autonomy_weight,
            accommodation_weight=a.accommodation_weight,
        )
        probs = strategy.logit_probabilities(utilities, a.logit_temperature)
        self.strategy = int(strategy.draw_choice(probs, m.draw("strategy", i)))
        if deals.ends_deal(self.strategy, self.holds_deal):
            for name, value in deals.ended().items():
                setattr(self, name, value)

    def decide_compliance(self) -> None:
        """Phase 4b (each January): follow the pledge path this year or not."""
        m, a, i = self.model, self.model.p.allies, self.index
        if not policy.on_pledge_path(self.pledge_exempt, self.strategy):
            self.complies = False
            return
        pressure = policy.compliance_pressure(m.patron.threshold[i], m.patron.strictness[i])
        p = spending.compliance_probability(
            a.compliance_base, a.compliance_pressure, pressure, a.compliance_peer, m.last.share_complying
        )
        self.complies = bool(m.draw("compliance", i) < p)

    def set_spending(self) -> None:
        """Phase 4d: best response in the joint-product alliance, bounded by floors, ceiling, ramp."""
        m, a = self.model, self.model.p.allies
        s_in = spending.spill_in(
            self.private_share, self.credibility, m.us_protection(self),
            self.solidarity, m.european_protection[self.index],
        )
        alpha = spending.threatened_alpha(self.alpha0, m.threat_ratio, self.exposure, a.threat_sensitivity)
        q = spending.best_response(self.gdp, s_in, alpha)
        floor = spending.pledge_floor(self.start_share, a.pledge_target, m.year, m.start_year, a.pledge_year)
        target = spending.target_share(100.0 * q / self.gdp, floor, self.complies, self.deal_floor, self.ceiling,
                                       self.law_floor)
        self.share = float(spending.adjust_share(self.share, target, a.adjustment_speed, a.max_ramp))

    def accumulate(self) -> None:
        """Phase 7: deliveries after the procurement lag, depreciation, growth."""
        m = self.model
        self.pipeline.append(self.spending / 12.0)
        delivered = self.pipeline.popleft() if len(self.pipeline) > m.lag else 0.0
        self.capability = float(capability.accumulate(self.capability, delivered, m.p.allies.depreciation))
        self.enabler_dependence = float(m.pillar.dependence_after(self.enabler_dependence))
        self.gdp = float(capability.grow(self.gdp, m.p.allies.gdp_growth - m.growth_penalty))


class Patron(mesa.Agent):
    """The United States: troops by host (on the allies), orders in progress, conditionality."""

    def __init__(self, model: AllianceModel, n_allies: int):
        super().__init__(model)
        p = model.p.patron
        self.threshold = np.full(n_allies, p.conditionality_threshold)
        self.strictness = np.full(n_allies, policy.effective_strictness(
            p.conditionality_threshold, p.conditionality_strictness))
        # Allies to whom the US has explicitly pledged an unconditional presence (the policy's
        # record; what beliefs learn is the will it sets and how probes are answered).
        self.unconditional = np.zeros(n_allies, dtype=bool)
        self.exit_notice: bool = False
        # Net troops returned to the US since the start (negative: sent from the US), so that
        # troops in hosts + troops_home is constant: the conservation invariant.
        self.troops_home: float = 0.0
        self.orders: list[dict] = []   # withdrawals and relocations in progress

    def will(self, ally: Ally) -> float:
        """Latent will to defend ``ally`` (nobody observes it; crises reveal it)."""
        i = ally.index
        return float(russia.patron_will(ally.share, self.threshold[i], self.strictness[i], float(ally.holds_deal),
                                        ally.us_troops, float(self.exit_notice), self.model.p))

    def order_move(self, host: int | None, dest: int | None, troops: float, months: int) -> None:
        """Queue a withdrawal (dest None: home) or a deployment from home (host None)."""
        self.orders.append({"host": host, "dest": dest, "left": float(troops),
                            "tranche": float(posture.monthly_tranche(troops, months))})

    def carry_out_orders(self) -> None:
        """Phase 2a: move this month's tranche of every order; each tranche is a costly signal."""
        m = self.model
        for order in self.orders:
            amount = min(order["tranche"], order["left"])
            if order["host"] is None:
                moved = amount  # from US forces at home; troops_home may go below zero
                self.troops_home -= moved
            else:
                src = m.ally_list[order["host"]]
                src.troops_permanent, src.troops_rotational, moved = (
                    float(x) for x in posture.move_troops(src.troops_permanent, src.troops_rotational, amount)
                )
                m.apply(troops.tranche_signals(order["host"], -moved, m.p))
            if order["dest"] is None:
                self.troops_home += moved
            else:
                m.ally_list[order["dest"]].troops_rotational += moved
                m.apply(troops.tranche_signals(order["dest"], moved, m.p))
            order["left"] -= amount
        self.orders = [o for o in self.orders if o["left"] > 1e-9]

    def answer_deal_requests(self) -> None:
        """Phase 4c: allies choosing a deal ask for one; the patron grants it with its appetite."""
        m = self.model
        for ally in m.ally_list:
            if deals.seeks_deal(ally.strategy, ally.holds_deal) and deals.granted(
                    m.draw("deal", ally.index), m.p.patron.deal_appetite):
                m.apply(deals.conclude(m, m.p, ally.index, m.p.patron.deal_price))


class Adversary(mesa.Agent):
    """Russia: its force, what Ukraine absorbs, beliefs about US will per target, its moves."""

    def __init__(self, model: AllianceModel, n_allies: int, *, gdp: float):
        super().__init__(model)
        p = model.p.adversary
        self.gdp = gdp
        self.share = p.defence_share
        self.absorption = p.ukraine_absorption
        self.capability = float(capability.steady_state_stock(self.spending, model.p.allies.depreciation))
        # set by the model once the forces in reach are known, as the allies' credibility
        self.will_a = np.full(n_allies, np.nan)
        self.will_b = np.full(n_allies, np.nan)
        self.last_move: tuple[int, int] = (deterrence.NOTHING, -1)

    @property
    def spending(self) -> float:
        return self.gdp * self.share / 100.0

    @property
    def usable_force(self) -> float:
        """Capability not absorbed by the war in Ukraine (USD bn of stock)."""
        return self.capability * (1.0 - self.absorption)

    def belief_us_will(self) -> np.ndarray:
        return credibility.beta_mean(self.will_a, self.will_b)

    def update_beliefs(self) -> None:
        """Phase 3: Russia reads the same signals, with its own reputation weight."""
        m, ev = self.model, self.model.evidence
        h = credibility.received_evidence(ev.ru_honoured[None, :], m.adversary_reputation, ev.ru_direct_honoured)
        f = credibility.received_evidence(ev.ru_failed[None, :], m.adversary_reputation, ev.ru_direct_failed)
        self.will_a, self.will_b = credibility.beta_update(self.will_a, self.will_b, h, f, m.p.beliefs.forgetting)

    def choose_move(self) -> tuple[int, int]:
        """Phase 5: nothing, a probe or an incursion, where the believed response is lowest."""
        m = self.model
        probs = russia.move_probabilities(self.belief_us_will(), m.us_effectiveness, m.europe_response, m.p)
        index = strategy.draw_choice(probs, m.draw("move"))
        kind, target = deterrence.decode_move(index, m.n)
        self.last_move = (int(kind), int(target))
        return self.last_move

    def accumulate(self) -> None:
        m = self.model
        self.capability = float(capability.accumulate(
            self.capability, self.spending / 12.0, m.p.allies.depreciation))
        if m.is_january:
            self.absorption = max(0.0, self.absorption - m.p.adversary.absorption_decay)
        self.gdp = float(capability.grow(self.gdp, m.p.allies.gdp_growth))


class EuropeanPillar(mesa.Agent):
    """EU-level defence funds and the sovereign command-and-control programme (Sparta 2.0)."""

    def __init__(self, model: AllianceModel):
        super().__init__(model)
        p = model.p.pillar
        # EU-level funds: an eu_budget event scales them; what is added funds the sovereign
        # enabler programme (capability.programme_funding), which lowers dependence.
        self.eu_budget_bn: float = p.eu_budget_bn
        self.eu_budget_start: float = p.eu_budget_bn
        self.c2_years: float = p.c2_years
        self.c2_funding: float = p.baseline_c2_funding

    def funding_share(self) -> float:
        """Programme funding: national, plus allies choosing autonomy (GDP share), plus new EU funds."""
        p = self.model.p.pillar
        return float(capability.programme_funding(self.c2_funding, self.model.last.autonomy_gdp_share,
                                                  self.eu_budget_bn, self.eu_budget_start, p.eu_c2_share, p.c2_cost_bn))

    def dependence_after(self, dependence: float) -> float:
        p = self.model.p.pillar
        return capability.reduce_dependence(
            dependence, p.initial_enabler_dependence, p.min_enabler_dependence,
            self.c2_years, self._funding_this_month,
        )

    def step(self) -> None:
        self._funding_this_month = self.funding_share()
