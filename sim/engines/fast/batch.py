"""The fast engine's state: one scenario, many runs, the Mesa model's state as arrays
``[runs, allies]`` or ``[runs]``, under the same names; and the month, phase by phase.

The phases are methods of :class:`Batch`, grouped by module: events and troop orders
(:mod:`~sim.engines.fast.events`), beliefs (:mod:`~sim.engines.fast.beliefs`), choices
(:mod:`~sim.engines.fast.choices`), forces and spending (:mod:`~sim.engines.fast.forces`),
Russia's move (:mod:`~sim.engines.fast.adversary`), aggregates and records
(:mod:`~sim.engines.fast.records`). Each calls the behaviours of :mod:`sim.model` on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from sim.engines.fast.adversary import AdversaryPhase
from sim.engines.fast.beliefs import BeliefPhase
from sim.engines.fast.choices import ChoicePhase
from sim.engines.fast.events import EventPhase
from sim.engines.fast.forces import ForcePhase
from sim.engines.fast.ordered_sums import padded
from sim.engines.fast.records import AGG, RecordPhase
from sim.model import initialisation, outcomes, policy, russia
from sim.model.initialisation import initial_state
from sim.model.parameters import SECTIONS, Fixed, parameter_matrix
from sim.model.rules import capability, credibility, spending
from sim.model.scenario import Scenario
from sim.model.streams import Streams, draw_layout
from sim.model.world import load_world, pairwise_distance_km


def _section(values: dict[str, np.ndarray], section: str) -> SimpleNamespace:
    prefix = section + "."
    return SimpleNamespace(**{k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)})


class Batch(EventPhase, BeliefPhase, ChoicePhase, ForcePhase, AdversaryPhase, RecordPhase):
    """The state of a batch of runs: the model's attributes as arrays, [runs] or [runs, allies]."""

    def __init__(self, scenario: Scenario, seeds: Sequence[int], fixed: Fixed | None):
        self.spec = scenario
        self.seeds = [int(s) for s in seeds]
        R = self.R = len(self.seeds)
        self.rows = np.arange(R)
        self.names, self.values = parameter_matrix(scenario, self.seeds, fixed)
        V = {name: self.values[:, k] for k, name in enumerate(self.names)}
        # the run's parameters by section, each a [runs] array (the Mesa model's ``p``)
        self.p = SimpleNamespace(**{section: _section(V, section) for section in SECTIONS})
        pa, pb, pp, ru, pl = self.p.allies, self.p.beliefs, self.p.patron, self.p.adversary, self.p.pillar
        self.T = scenario.horizon_months
        self.start_year, start_month = (int(x) for x in scenario.start.split("-"))
        self.start_month0 = start_month - 1
        world = self.world = load_world(scenario.world.calibration_year)
        n = self.n = world.n
        self.layout = draw_layout(n)
        self.k_draws = self.layout["europe_response"].stop

        def per_run(x):
            out = np.empty((R, n))
            out[:] = x
            return out

        # The allies
        st = initial_state(world, scenario, self.p)
        self.gdp = per_run(st["gdp"])
        self.share = per_run(st["share"])
        self.start_share = self.share.copy()
        self.start_spending = self.gdp * self.share / 100.0
        self.ceiling = per_run(st["ceiling"])
        self.pledge_exempt = st["pledge_exempt"]
        distance = st["distance_km"]
        self.exposure = per_run(st["exposure"])
        self.private_share = per_run(st["private_share"])
        self.europeanist = st["europeanist"]
        self.russia_leaning = st["russia_leaning"]
        self.logistics_hub = per_run(st["logistics_hub"])
        self.troops_permanent = per_run(st["troops_permanent"])
        self.troops_rotational = per_run(st["troops_rotational"])
        self.troops_start = (self.troops_permanent + self.troops_rotational).sum(axis=1)  # invariant: constant
        self.enabler_dependence = per_run(st["enabler_dependence"])
        # Beta beliefs (a, b), stacked [credibility, solidarity, Russia's belief in US will] so
        # that one rule call updates all three
        self.belief_a, self.belief_b = np.empty((3, R, n)), np.empty((3, R, n))
        strength = st["strength"]
        self.belief_a[1], self.belief_b[1] = credibility.beta_from_mean(st["solidarity"], st["strength"])
        self.strategy = np.empty((R, n), dtype=np.int64)
        self.strategy[:] = st["strategy"]
        self.holds_deal = np.zeros((R, n), dtype=bool)
        self.deal_floor = np.zeros((R, n))
        self.law_floor = np.zeros((R, n))
        self.complies = np.zeros((R, n), dtype=bool)
        yearly = self.gdp * self.share / 100.0
        self.capability = capability.steady_state_stock(yearly, pa.depreciation[:, None])
        # The procurement pipeline as a ring of past deliveries: month t delivers the spending
        # of month t - lag, or the steady pipeline ordered before the start while t < lag.
        self.lag = np.array([round(x) for x in pa.procurement_lag_months.tolist()], dtype=np.int64)  # as the model
        self.lag_max = int(self.lag.max())
        self.ring_len = self.lag_max + 1
        self.ring = np.zeros((self.ring_len, R, n))
        self.pipeline0 = yearly / 12.0

        # The patron
        self.threshold = per_run(pp.conditionality_threshold[:, None])
        self.strictness = per_run(policy.effective_strictness(pp.conditionality_threshold,
                                                              pp.conditionality_strictness)[:, None])
        self.unconditional = np.zeros((R, n), dtype=bool)
        self.exit_notice = np.zeros(R, dtype=bool)
        self.troops_home = np.zeros(R)
        # The adversary
        self.adversary_gdp = np.full(R, float(world.russia_gdp_usd_bn))
        self.adversary_share = ru.defence_share.copy()
        self.absorption = ru.ukraine_absorption.copy()
        self.adversary_capability = capability.steady_state_stock(self.adversary_gdp * self.adversary_share / 100.0,
                                                                  pa.depreciation)
        # The European pillar
        self.eu_budget_bn = pl.eu_budget_bn.copy()
        self.eu_budget_start = pl.eu_budget_bn.copy()
        self.c2_years = pl.c2_years.copy()
        self.c2_funding = pl.baseline_c2_funding.copy()
        # The model's own
        self.attachment_strain = np.zeros(R)
        self.growth_penalty = np.zeros(R)
        self.threat_multiplier = np.ones(R)

        pairwise = pairwise_distance_km(world)
        # reputation weights (credibility.reputation_matrix: 1 on the diagonal, rho x similarity
        # elsewhere) from one similarity matrix per distinct range (usually one: the range is
        # a fixed parameter), made into each weight as the rule makes it (reputation_sums)
        ranges, self.similarity_group = np.unique(pb.similarity_range_km, return_inverse=True)
        self.similarity = np.stack([
            credibility.similarity(distance[:, None], distance[None, :], value).T for value in ranges])
        # the model's proximity exp(-d_ij / range) with a zero diagonal, as weighted_sums wants
        # it: [runs, allies, allies], m[r, j, i] = w_ij
        proximity = np.exp(-pairwise.T[None, :, :] / pa.solidarity_range_km[:, None, None])
        proximity[:, np.arange(n), np.arange(n)] = 0.0
        self.proximity = padded(proximity)

        # The month's evidence, one [runs, allies] array per channel (sim.model.effects.CHANNELS),
        # stacked so that it is cleared at once and the sums read by allies (first four) and by
        # Russia (next two) are slices.
        self.evidence = np.zeros((10, R, n))

        self.setup_events(scenario, V)
        # Recorder fields
        self.probes_unanswered = np.zeros(R)
        self.failures = np.zeros(R)
        self.first_failure = np.full(R, np.nan)
        self.moves = np.zeros((R, 2))
        self.probes_by_ally = np.zeros((R, n))
        groups = {g: np.array([c in codes for c in world.iso3]) for g, codes in outcomes.GROUPS.items()}
        groups["western"] = ~groups["eastern_flank"]
        self.groups = {g: np.flatnonzero(m) for g, m in groups.items()}
        self.aggregates = np.empty((R, len(AGG)))
        self.series: dict[str, np.ndarray] = {}

        self.usable0 = self.adversary_capability * (1.0 - self.absorption)
        self.threat_ratio = np.ones(R)
        self.protection_spending = pp.protection_value[:, None] * self.start_spending
        # Per-run parameters used every month against [runs, allies] arrays, stored full size:
        # numpy's loops run twice as fast or more on equal shapes as on [runs, 1] broadcasts
        # (where a rule does more with the parameter alone, e.g. a log, it stays [runs, 1])
        self.forgetting = per_run(pb.forgetting[:, None])[None]
        self.full = SimpleNamespace(**{name: per_run(values[:, None]) for name, values in (
            ("solidarity", pl.solidarity), ("europe_response_steepness", ru.europe_response_steepness),
            ("threat_sensitivity", pa.threat_sensitivity), ("pledge_target", pa.pledge_target),
            ("adjustment_speed", pa.adjustment_speed), ("dependence_attention", pb.dependence_attention))})
        # Russia's parameters as its move's rules read them every month
        self.p_move = SimpleNamespace(adversary=SimpleNamespace(
            **{name: per_run(getattr(ru, name)[:, None])
               for name in ("probe_gain", "probe_cost", "incursion_gain", "incursion_cost")},
            inaction_utility=ru.inaction_utility, logit_temperature=ru.logit_temperature))
        self.received_h, self.received_f = np.empty((3, R, n)), np.empty((3, R, n))
        self.solidarity_spending = pa.solidarity_value[:, None] * self.start_spending
        # runs whose troops or hubs changed: US effectiveness depends on those only
        self.posture_changed = np.ones(R, dtype=bool)
        self.in_reach()
        self.update_forces()
        # the most dependent ally at the start reads evidence in full (credibility.attention)
        reference = credibility.dependence_on_patron(self.exposure, self.europe_response).max(axis=1, keepdims=True)
        self.attention_scale = credibility.attention_scale(self.exposure, reference)
        self.attention_base = per_run(1.0 - pb.dependence_attention[:, None])
        self.attention = np.empty((R, n))
        # Allies' credibility and Russia's belief start at the response the process reveals
        will = russia.patron_will(self.share, self.threshold, self.strictness, self.holds_deal.astype(float),
                                  self.troops_permanent + self.troops_rotational, self.exit_notice.astype(float)[:, None],
                                  SimpleNamespace(patron=SimpleNamespace(**{k: v[:, None] for k, v in vars(pp).items()})))
        revealed = initialisation.revealed_response(will, self.us_effectiveness)
        reference_credibility = initialisation.initial_belief(revealed, 0.0)
        cred = initialisation.initial_belief(revealed, pb.initial_credibility_gap[:, None])
        self.belief_a[0], self.belief_b[0] = credibility.beta_from_mean(cred, strength)
        belief = initialisation.initial_belief(revealed, ru.initial_belief_gap[:, None])
        self.belief_a[2], self.belief_b[2] = credibility.beta_from_mean(belief, ru.belief_strength[:, None])
        self.protection0 = self.us_reach_value()
        self.in_reach0 = self.spending_in_reach
        self.european_protection = self.compute_european_protection()
        self.belief_means()
        # the weight on security calibrated at the credibility the process reveals (the Mesa
        # model's comment says why)
        s_in = spending.spill_in(self.private_share, reference_credibility, self.compute_us_protection(),
                                 self.solidarity,
                                 self.european_protection)
        self.alpha0 = spending.calibrated_alpha(self.gdp * self.share / 100.0, self.gdp, s_in)
        self.snapshot()
        self.troops_total = None

    def run(self, chance: Streams) -> None:
        """All months (AllianceModel.step). ``chance`` holds each run's chance stream (the
        model's ``default_rng(seed)``); each month draws its 4n + 3 doubles of every run into
        one [runs, 4n + 3] block, as the model draws its month."""
        T = self.T
        series = {name: np.full((T, self.R), np.nan) for name in outcomes.SERIES}  # month-major while running
        self.series = series
        u = np.empty((self.R, self.k_draws))  # reused: nothing keeps a month's draws
        for t in range(T):
            chance.draw(u)
            january = (self.start_month0 + t) % 12 == 0
            year = self.start_year + (self.start_month0 + t + 0.5) / 12.0
            self.fire_events(t)                                    # 1
            self.carry_out_orders()                                # 2
            self.update_beliefs()                                  # 3
            self.choose_strategy(u)                                # 4a
            if january or t == 0:
                self.decide_compliance(u)                          # 4b
            self.answer_deal_requests(u)                           # 4c
            self.european_protection = self.compute_european_protection()
            self.set_spending(year)                                # 4d
            self.update_forces()
            kind, target = self.choose_move(u)                     # 5
            self.moves[:] = 0.0
            self.resolve(kind, target, u, t)                       # 6
            self.accumulate(t, january)                            # 7
            self.in_reach()
            self.snapshot()                                        # 8
            self.record(t)
        self.series = {name: np.ascontiguousarray(v.T) for name, v in series.items()}  # [runs, months]
