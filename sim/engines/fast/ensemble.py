"""The ensemble engine ("fast"): many replications of one scenario at once, as numpy arrays.

The Mesa model (:mod:`sim.engines.mesa.model`, :mod:`sim.engines.mesa.agents`) is the readable reference: one run, one
agent at a time. This engine runs the same monthly process for a batch of runs with state held
as arrays shaped ``[runs, allies]`` and calls the same rules (:mod:`sim.model.rules`) on them. For the
same seed it gives the same run, bit for bit (``tests/test_ensemble.py``), because:

* every run keeps its own random streams, seeded and drawn exactly as the Mesa model's
  (:class:`sim.model.streams.Streams`, checked against numpy): the chance stream ``default_rng(seed)``,
  4n + 3 doubles a month, parameters from ``default_rng([seed, 1])`` and
  ``default_rng([seed, 2, crc32(event id)])``, hazards from ``default_rng([seed, 3, crc32(event id)])``;
* elementwise arithmetic is the rules' own, on arrays (IEEE operations are exact per element,
  and numpy's exp, log and power give the same bits for a scalar and an array); the model's
  glue between rules is written in the same order of operations;
* sums over allies give the model's bits: numpy's pairwise summation of ``x.sum(axis=-1)``
  (kept by giving numpy C-ordered rows, or reproduced run by run by the compiled kernels of
  :mod:`sim.engines.fast.ordered_sums`: :func:`~sim.engines.fast.ordered_sums.reputation_sums` is
  ``received_evidence``'s sum, :func:`~sim.engines.fast.ordered_sums.weighted_sums` the proximity sums,
  :func:`_aggregates` the records' sums) and Python's compensated ``sum()``
  (:func:`~sim.engines.fast.ordered_sums.compensated_sums`);
* per-run branching (events, troop orders, deals, moves) uses masks and fancy indexing, and
  signals are added to the evidence in the order the model adds them (troop orders in each
  run's own list order).

Nothing couples the runs of a batch, so a run's result does not depend on the batch (or the
worker) that computed it. ``run_chunk(..., engine="fast")`` returns the same
:class:`~sim.engines.runner.RunResult` per seed as the Mesa engine; :func:`simulate` returns arrays
(and can drop the monthly series) for large sweeps. The model's glue (``AllianceModel``'s
methods, ``EventBook.apply``, ``outcomes.snapshot`` and ``Recorder.record``) is mirrored here
phase by phase, each method naming the one it mirrors: a change there needs the same change
here, and the equality tests say so.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from numba import njit

from sim.model import outcomes
from sim.model.world import load_world, pairwise_distance_km
from sim.engines.mesa.events import HAZARD_STREAM
from sim.engines.mesa.model import _initial_state, draw_layout
from sim.engines.fast.ordered_sums import (
    _compensated,
    _pairwise,
    compensated_sums,
    padded,
    reputation_sums,
    weighted_sums,
)
from sim.model.parameters import (
    SECTION_PARAMETERS,
    _event_prior_fields,
    event_stream_key,
    judgement_parameters,
    realise,
)
from sim.model.rules import capability, credibility, deterrence, patron, posture, spending, strategy
from sim.engines.runner import RunFailure, RunResult, engine
from sim.model.scenario import Scenario, event_id
from sim.model.streams import Streams

BATCH = 1000
"""Runs simulated together. Larger batches amortise numpy's per-call cost, smaller ones keep
more of the batch's [runs, allies] arrays in the processor's caches; 1,000 was as fast as or
faster than 250-2,000 on the benchmark machine."""

# ------------------------------------------------------------------------------------------------
# Parameters


def parameter_matrix(scenario: Scenario, seeds: Sequence[int], fixed: dict[str, float] | None = None):
    """(names, values [runs, parameters]): :func:`sim.model.parameters.draw_parameters` for every
    seed at once (same streams, same priors' ppf, same values)."""
    priors = judgement_parameters(scenario)
    names = list(priors)
    values = np.empty((len(seeds), len(names)))
    col = {name: k for k, name in enumerate(names)}
    u = Streams(seeds, [(1,)]).uniforms(len(SECTION_PARAMETERS))
    for k, name in enumerate(SECTION_PARAMETERS):
        values[:, col[name]] = priors[name].ppf(u[:, k])
    for i, event in enumerate(scenario.events):
        eid = event_id(event, i)
        fields = _event_prior_fields(event)
        if not fields:
            continue
        ue = Streams(seeds, [(2, event_stream_key(eid))]).uniforms(len(fields))
        for k, (suffix, prior) in enumerate(fields):
            values[:, col[f"events.{eid}.{suffix}"]] = prior.ppf(ue[:, k])
    if fixed:
        unknown = sorted(set(fixed) - set(names))
        if unknown:
            raise KeyError(f"unknown parameter(s) {unknown}; known: {sorted(names)}")
        for k, v in fixed.items():
            values[:, col[k]] = float(v)
    return names, values


# ------------------------------------------------------------------------------------------------
# The batch: one scenario, many runs, the model's monthly process on arrays

_STATE_COLUMNS = {
    # p-independent: taken from the model's own _initial_state
    "gdp", "share", "pledge_exempt", "distance_km", "frontline", "europeanist", "russia_leaning",
    "logistics_hub", "troops_permanent", "troops_rotational",
    # p-dependent: computed here per run, as _initial_state computes them for one
    "ceiling", "exposure", "private_share", "enabler_dependence", "credibility", "solidarity", "strength",
}
_ORDER_KINDS = ("withdrawal", "relocation", "basing_deal")


def _section(values: dict[str, np.ndarray], section: str) -> SimpleNamespace:
    prefix = section + "."
    return SimpleNamespace(**{k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)})


class _Batch:
    """The state of a batch of runs: the model's attributes as arrays, [runs] or [runs, allies]."""

    def __init__(self, scenario: Scenario, seeds: Sequence[int], fixed: dict[str, float] | None):
        self.spec = scenario
        self.seeds = [int(s) for s in seeds]
        R = self.R = len(self.seeds)
        self.rows = np.arange(R)
        self.names, self.values = parameter_matrix(scenario, self.seeds, fixed)
        V = {name: self.values[:, k] for k, name in enumerate(self.names)}
        self.pa, self.pb, self.pp = _section(V, "allies"), _section(V, "beliefs"), _section(V, "patron")
        self.pd, self.pl = _section(V, "adversary"), _section(V, "pillar")
        self.T = scenario.horizon_months
        self.start_year, start_month = (int(x) for x in scenario.start.split("-"))
        self.start_month0 = start_month - 1

        # The world and the p-independent state: the model's own _initial_state, given the
        # first run's parameters; the p-dependent columns are recomputed per run below.
        p0 = realise(scenario, dict(zip(self.names, self.values[0].tolist(), strict=True)))
        world = self.world = load_world(scenario.world.calibration_year)
        init = _initial_state(world, scenario, p0)
        if set(init["state"]) != _STATE_COLUMNS:
            raise NotImplementedError(
                f"the model's initial state has new columns {sorted(set(init['state']) ^ _STATE_COLUMNS)}: "
                "teach sim.engines.fast.ensemble how each depends on the parameters")
        st = {k: np.asarray(v) for k, v in init["state"].items()}
        n = self.n = len(init["iso3"])
        self.layout = draw_layout(n)
        self.ones = np.ones(n)
        self.k_draws = self.layout["europe_response"].stop

        def per_run(x):
            out = np.empty((R, n))
            out[:] = x
            return out

        pa, pb, pp, pd, pl = self.pa, self.pb, self.pp, self.pd, self.pl
        self.gdp = per_run(st["gdp"])
        self.share = per_run(st["share"])
        self.start_share = self.share.copy()
        self.start_spending = self.gdp * self.share / 100.0
        ceiling_override = np.full(n, np.nan)
        for code, o in scenario.world.overrides.items():
            if o.fiscal_ceiling is not None:
                ceiling_override[world.index(code)] = o.fiscal_ceiling
        self.ceiling = np.maximum(self.share, np.where(np.isnan(ceiling_override), pa.fiscal_ceiling[:, None],
                                                       ceiling_override))
        self.exempt = st["pledge_exempt"].astype(bool)
        self.frontline = st["frontline"].astype(bool)
        distance = st["distance_km"].astype(float)
        self.exposure = np.exp(-distance[None, :] / pa.threat_distance_km[:, None])
        self.private_share = np.where(self.frontline, pa.private_share_frontline[:, None],
                                      pa.private_share_other[:, None])
        self.europeanist = st["europeanist"].astype(float)
        self.russia_leaning = st["russia_leaning"].astype(float)
        self.hub = per_run(st["logistics_hub"])
        self.perm = per_run(st["troops_permanent"])
        self.rot = per_run(st["troops_rotational"])
        self.dep = per_run(pl.initial_enabler_dependence[:, None])
        a, b = credibility.beta_from_mean(pb.initial_credibility[:, None], pb.initial_strength[:, None])
        # Beta beliefs (a, b), stacked [credibility, solidarity, Russia's belief in US will] so
        # that one rule call updates all three
        self.belief_a, self.belief_b = np.empty((3, R, n)), np.empty((3, R, n))
        self.belief_a[0], self.belief_b[0] = a, b
        a, b = credibility.beta_from_mean(pb.initial_solidarity[:, None], pb.initial_strength[:, None])
        self.belief_a[1], self.belief_b[1] = a, b
        self.strategy = np.full((R, n), strategy.COLLECTIVE, dtype=np.int64)
        self.holds = np.zeros((R, n), dtype=bool)
        self.deal_floor = np.zeros((R, n))
        self.complies = np.zeros((R, n), dtype=bool)
        yearly = self.gdp * self.share / 100.0
        self.cap = capability.steady_state_stock(yearly, pa.depreciation[:, None])
        # The procurement pipeline as a ring of past deliveries: month t delivers the spending
        # of month t - lag, or the steady pipeline ordered before the start while t < lag.
        self.lag = np.array([round(x) for x in pa.procurement_lag_months.tolist()], dtype=np.int64)  # as the model
        self.lag_max = int(self.lag.max())
        self.ring_len = self.lag_max + 1
        self.ring = np.zeros((self.ring_len, R, n))
        self.pipeline0 = yearly / 12.0

        # The patron
        self.threshold = per_run(pp.conditionality_threshold[:, None])
        # strictness means nothing without a threshold (Patron.__init__)
        self.strictness = per_run(np.where(pp.conditionality_threshold > 0, pp.conditionality_strictness, 0.0)[:, None])
        self.unconditional = np.zeros((R, n), dtype=bool)
        self.exit_notice = np.zeros(R, dtype=bool)
        self.troops_home = np.zeros(R)
        # The adversary
        self.adv_gdp = np.full(R, float(init["russia_gdp"]))
        self.adv_share = pd.defence_share.copy()
        self.absorption = pd.ukraine_absorption.copy()
        self.adv_cap = capability.steady_state_stock(self.adv_gdp * self.adv_share / 100.0, pa.depreciation)
        a, b = credibility.beta_from_mean(pd.initial_belief_us_will[:, None], pd.belief_strength[:, None])
        self.belief_a[2], self.belief_b[2] = a, b
        # The European pillar
        self.eu_budget = pl.eu_budget_bn.copy()
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

        # The month's evidence (model.Evidence), one array so that it is cleared at once and
        # the sums read by allies (first four) and by Russia (next two) are slices.
        self.evidence = np.zeros((10, R, n))
        (self.us_h, self.us_f, self.eu_h, self.eu_f, self.ru_h, self.ru_f,
         self.dir_h, self.dir_f, self.ru_dir_h, self.ru_dir_f) = self.evidence

        self._setup_events(scenario, V)
        # Recorder fields
        self.probes_unanswered = np.zeros(R)
        self.failures = np.zeros(R)
        self.first_failure = np.full(R, np.nan)
        self.moves = np.zeros((R, 2))
        groups = {g: np.array([c in codes for c in world.iso3]) for g, codes in outcomes.GROUPS.items()}
        groups["western"] = ~groups["eastern_flank"]
        self.groups = {g: np.flatnonzero(m) for g, m in groups.items()}
        self._agg = np.empty((R, len(_AGG)))
        self.series: dict[str, np.ndarray] = {}

        self.usable0 = self.adv_cap * (1.0 - self.absorption)
        self.threat_ratio = np.ones(R)
        self.protection_spending = pp.protection_value[:, None] * self.start_spending
        # Per-run parameters used every month against [runs, allies] arrays, stored full size:
        # numpy's loops run twice as fast or more on equal shapes as on [runs, 1] broadcasts
        # (where a rule does more with the parameter alone, e.g. a log, it stays [runs, 1])
        self.forgetting = per_run(pb.forgetting[:, None])[None]
        self.full = SimpleNamespace(**{name: per_run(values[:, None]) for name, values in (
            ("solidarity", pl.solidarity), ("europe_response_steepness", pd.europe_response_steepness),
            ("threat_sensitivity", pa.threat_sensitivity), ("pledge_target", pa.pledge_target),
            ("adjustment_speed", pa.adjustment_speed), ("probe_gain", pd.probe_gain), ("probe_cost", pd.probe_cost),
            ("incursion_gain", pd.incursion_gain), ("incursion_cost", pd.incursion_cost),
            ("weight_rhetoric", pb.weight_rhetoric))})
        self._received_h, self._received_f = np.empty((3, R, n)), np.empty((3, R, n))
        self.solidarity_spending = pa.solidarity_value[:, None] * self.start_spending
        # runs whose troops or hubs changed: US effectiveness depends on those only
        self._posture_changed = np.ones(R, dtype=bool)
        self._in_reach()
        self._update_forces()
        self.protection0 = self._us_reach_value()
        self.in_reach0 = self.spending_in_reach
        self.european_protection = self._european_protection()
        self._beliefs()
        s_in = spending.spill_in(self.private_share, self.cred, self._us_protection(), self.sol,
                                 self.european_protection)
        self.alpha0 = spending.calibrated_alpha(self.gdp * self.share / 100.0, self.gdp, s_in)
        self._snapshot()
        self._troops_total = None

    # ---- events ---------------------------------------------------------------------------
    def _setup_events(self, scenario: Scenario, V: dict[str, np.ndarray]) -> None:
        """Each event with its drawn values ([runs] arrays for priors), hazard streams, and a
        troop-order slot for each event that can order a movement (it fires at most once)."""
        p0 = realise(scenario, {name: 0.0 for name in self.names})
        self.events = []
        idx = self.world.index
        slot_host, slot_dest = [], []
        hazard = []
        for i, (event, real) in enumerate(zip(scenario.events, p0.events, strict=True)):
            eid = event_id(event, i)
            v = dict(vars(real.values))
            for suffix, _ in _event_prior_fields(event):
                key = suffix.replace("hazard.", "hazard_")
                v[key] = V[f"events.{eid}.{suffix}"]
            e = SimpleNamespace(id=eid, kind=real.kind, month=real.month, hazard_start=real.hazard_start,
                                rises_with=real.rises_with, v=SimpleNamespace(**v), index=i, slot=-1,
                                host=getattr(real.values, "host", None))
            if e.kind in _ORDER_KINDS:
                e.slot = len(slot_host)
                if e.kind == "basing_deal":
                    slot_host.append(-1)
                    slot_dest.append(idx(e.v.host))
                else:
                    slot_host.append(idx(e.v.host))
                    slot_dest.append(-1 if e.v.to == "home" else idx(e.v.to))
            if e.month is None:
                e.hazard = len(hazard)
                hazard.append(real.stream_key)
            self.events.append(e)
        R, S = self.R, len(slot_host)
        self.slot_host, self.slot_dest = np.array(slot_host, dtype=np.int64), np.array(slot_dest, dtype=np.int64)
        self.order_active = np.zeros((R, S), dtype=bool)
        self.order_left = np.zeros((R, S))
        self.order_tranche = np.zeros((R, S))
        self.order_key = np.zeros((R, S), dtype=np.int64)
        self.fired_month = np.full((R, len(self.events)), -1, dtype=np.int64)
        # One uniform a month per hazard event, from its own stream: [hazard, runs, months]
        self.hazard_u = np.empty((len(hazard), R, self.T))
        if hazard:
            st = Streams(self.seeds, [(HAZARD_STREAM, key) for key in hazard])
            self.hazard_u[:] = st.uniforms(self.T).reshape(len(hazard), R, self.T)

    def _hazard_state(self, name: str, t: int):
        if name == "share_below_threshold":  # a mean of 0/1 values: the count over n, exactly
            return self._count(self.share < self.threshold) / self.n
        if name == "share_with_deal":
            return self.last_share_with_deal
        if name == "months_elapsed":
            return float(t)
        if name == "deterrence_failures":
            return self.failures
        return 0.0

    def _fire_events(self, t: int) -> None:
        """Phase 1 (EventBook.fire): in the scenario's order, each event applied at once."""
        for e in self.events:
            if e.month is None:
                u = self.hazard_u[e.hazard, :, t]
                if t < e.hazard_start:
                    continue
                eligible = self.fired_month[:, e.index] < 0
                if not eligible.any():
                    continue
                p = e.v.hazard_monthly + e.v.hazard_slope * self._hazard_state(e.rises_with, t)
                mask = eligible & (u < np.minimum(np.maximum(p, 0.0), 1.0))
                if mask.any():
                    self._apply(e, np.flatnonzero(mask), t)
            elif e.month == t:
                self._apply(e, self.rows, t)

    def _apply(self, e, rows: np.ndarray, t: int) -> None:
        """EventBook.apply for the runs in ``rows``."""
        v, pb = e.v, self.pb
        self.fired_month[rows, e.index] = t
        idx = self.world.index
        kind = e.kind
        if kind in ("withdrawal", "relocation"):
            h = idx(v.host)
            dest = None if v.to == "home" else idx(v.to)
            troops = v.troops[rows]
            if v.announce:
                w = credibility.troop_signal_weight(troops, pb.troops_per_signal[rows], pb.weight_pledge[rows])
                self.us_f[rows, h] += w
                self.ru_f[rows, h] += w * self.pd.withdrawal_as_opportunity[rows]
                if dest is not None:
                    self.us_h[rows, dest] += w
                    self.ru_h[rows, dest] += w
            self.hub[rows, h] *= 1.0 - v.hub_loss[rows]
            self._posture_changed[rows] = True
            self._order(e.slot, rows, troops, v.duration_months, t)
        elif kind == "guarantee":
            hosts = [idx(c) for c in v.hosts] if v.hosts else range(self.n)
            # a statement to every ally reaches each directly; one about named allies is read
            # by the others through reputation
            to_all = not v.hosts
            for i in hosts:
                if v.conditional:
                    self.unconditional[rows, i] = False
                    self.threshold[rows, i] = v.threshold[rows]
                    self.strictness[rows, i] = np.where(v.threshold[rows] > 0, v.strictness[rows], 0.0)
                    below = self.share[rows, i] < v.threshold[rows]
                    w = np.where(below, pb.weight_pledge[rows], pb.weight_rhetoric[rows]) * self.strictness[rows, i]
                    (self.dir_f if to_all else self.us_f)[rows, i] += w
                    (self.ru_dir_f if to_all else self.ru_f)[rows, i] += w
                else:
                    self.threshold[rows, i] = 0.0
                    self.strictness[rows, i] = 0.0
                    self.unconditional[rows, i] = True
                    (self.dir_h if to_all else self.us_h)[rows, i] += pb.weight_pledge[rows]
                    (self.ru_dir_h if to_all else self.ru_h)[rows, i] += pb.weight_pledge[rows]
        elif kind == "basing_deal":
            i = idx(v.host)
            self._conclude_deal(rows, np.full(rows.size, i), v.price[rows])
            troops = v.troops[rows]
            more = troops > 0
            if more.any():
                self._order(e.slot, rows[more], troops[more], v.duration_months, t)
        elif kind == "eu_budget":
            self.eu_budget[rows] *= v.multiplier[rows]
        elif kind == "sovereign_c2":
            self.c2_years[rows] = v.years[rows]
            self.c2_funding[rows] = np.maximum(self.c2_funding[rows], v.funding_share[rows])
        elif kind == "halt_deployment":
            h = idx(v.host)
            w = credibility.troop_signal_weight(v.troops[rows], pb.troops_per_signal[rows], pb.weight_costly[rows])
            self.us_f[rows, h] += w
            self.ru_f[rows, h] += w
        elif kind == "trade_coercion":
            self.growth_penalty[rows] += v.growth_cost[rows] * (v.tariff_to - v.tariff_from) / 10.0
            self.attachment_strain[rows] += v.alignment_strain[rows]
            self.dir_f[rows] += pb.weight_rhetoric[rows, None]
        elif kind == "exit_notice":
            self.exit_notice[rows] = True
            self.dir_f[rows] += pb.weight_costly[rows, None]
            self.ru_dir_f[rows] += pb.weight_costly[rows, None]
        elif kind == "threat_shock":
            self.absorption[rows] = np.clip(self.absorption[rows] + v.absorption_change[rows], 0.0, 1.0)
            self.threat_multiplier[rows] *= 1.0 + v.threat_change[rows]
        else:  # pragma: no cover - the schema admits no other kind
            raise ValueError(f"unknown event kind {kind!r}")

    # ---- troop orders -------------------------------------------------------------------------
    def _order(self, slot: int, rows: np.ndarray, troops: np.ndarray, months: int, t: int) -> None:
        """Patron.order_move: an order goes to the back of the run's list (created month, then
        the scenario's event order)."""
        self.order_active[rows, slot] = True
        self.order_left[rows, slot] = troops
        self.order_tranche[rows, slot] = posture.monthly_tranche(troops, months)
        self.order_key[rows, slot] = t * len(self.slot_host) + slot

    def _signal_troops(self, rows: np.ndarray, allies: np.ndarray, troops: np.ndarray) -> None:
        """AllianceModel.signal_troops for pairs (run, ally)."""
        pb = self.pb
        w = credibility.troop_signal_weight(troops, pb.troops_per_signal[rows], pb.weight_costly[rows])
        pos, neg = troops > 0, troops < 0
        r, i = rows[pos], allies[pos]
        self.us_h[r, i] += w[pos]
        self.ru_h[r, i] += w[pos]
        r, i = rows[neg], allies[neg]
        self.us_f[r, i] += w[neg]
        self.ru_f[r, i] += w[neg] * self.pd.withdrawal_as_opportunity[r]

    def _carry_out_orders(self) -> None:
        """Phase 2a (Patron.carry_out_orders): every run's orders in its list order."""
        active = self.order_active
        if not active.any():
            return
        S = active.shape[1]
        self._posture_changed |= active.any(axis=1)
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
                perm, rot, out = posture.move_troops(self.perm[r, h], self.rot[r, h], amount[~home])
                self.perm[r, h], self.rot[r, h] = perm, rot
                moved[~home] = out
                self._signal_troops(r, h, -out)
            home = dest < 0
            if home.any():
                self.troops_home[rows[home]] += moved[home]
            if not home.all():
                r, d = rows[~home], dest[~home]
                self.rot[r, d] += moved[~home]
                self._signal_troops(r, d, moved[~home])
            self.order_left[rows, slot] -= amount
        self.order_active &= self.order_left > 1e-9
        self._troops_total = None

    def _restate_policy(self) -> None:
        """Phase 2b (Patron.restate_policy). Adding zero changes no sum, so all-zero terms are
        skipped."""
        w = self.full.weight_rhetoric
        if self.strictness.any():
            ws = w * self.strictness
            self.dir_f += ws
            self.ru_dir_f += ws
        if self.unconditional.any():
            wu = w * self.unconditional
            self.us_h += wu
            self.ru_h += wu

    # ---- beliefs ----------------------------------------------------------------------------
    def _update_beliefs(self) -> None:
        """Phase 3 (Ally.update_beliefs, Adversary.update_beliefs): received evidence is
        direct + sum_j r_ij e_j (credibility.received_evidence), then a Beta update."""
        us_h, us_f, eu_h, eu_f = reputation_sums(self.similarity, self.similarity_group, self.pb.reputation_weight,
                                                 self.evidence[0:4])
        ru_h, ru_f = reputation_sums(self.similarity, self.similarity_group, self.pd.reputation_weight,
                                     self.evidence[4:6])
        honoured, failed = self._received_h, self._received_f
        np.add(self.dir_h, us_h, out=honoured[0])
        np.add(self.dir_f, us_f, out=failed[0])
        # received_evidence with no direct evidence is 0.0 + the sum: the sum itself, as the
        # sums are never -0.0
        honoured[1], failed[1] = eu_h, eu_f
        np.add(self.ru_dir_h, ru_h, out=honoured[2])
        np.add(self.ru_dir_f, ru_f, out=failed[2])
        self.belief_a, self.belief_b = credibility.beta_update(self.belief_a, self.belief_b, honoured, failed,
                                                               self.forgetting)
        self.evidence.fill(0.0)
        self._beliefs()

    def _beliefs(self) -> None:
        """The Beta means (Ally.credibility, Ally.solidarity, Adversary.belief_us_will), which
        change only when beliefs are updated."""
        self.cred, self.sol, self.ru_belief = credibility.beta_mean(self.belief_a, self.belief_b)

    # ---- choices ----------------------------------------------------------------------------
    def _choose_strategy(self, u: np.ndarray) -> None:
        """Phase 4a (Ally.choose_strategy) for the (run, ally) pairs that reconsider."""
        pa, n = self.pa, self.n
        flat = np.flatnonzero(u[:, self.layout["reconsider"]] < pa.reconsider_rate[:, None])
        if flat.size == 0:
            return
        rr, ii = np.divmod(flat, n)
        c = self.cred.take(flat)
        room = np.maximum(self.ceiling.take(flat) - self.share.take(flat), 0.1)
        utilities = strategy.strategy_utilities(
            c, self.sol.take(flat), self.exposure.take(flat) * self.threat_ratio[rr],
            strategy.deal_gain(c, self.pp.will_deal_weight[rr]),
            self.pp.deal_price[rr] / room, self.last_share_with_deal[rr],
            self.europeanist[ii], self.russia_leaning[ii], self.last_european_usable[rr],
            self.attachment_strain[rr],
            collective_attachment=pa.collective_attachment[rr], deal_threat_weight=pa.deal_threat_weight[rr],
            deal_gap_weight=pa.deal_gap_weight[rr], deal_price_weight=pa.deal_price_weight[rr],
            peer_weight=pa.peer_weight[rr], autonomy_weight=pa.autonomy_weight[rr],
            accommodation_weight=pa.accommodation_weight[rr],
        )
        # Column-major: the rules' reductions over the four strategies then run down columns,
        # many times faster than row by row; over fewer than 8 terms numpy sums in sequence
        # either way, so the bits are those of the model's one-ally call.
        probs = strategy.logit_probabilities(np.asfortranarray(utilities), pa.logit_temperature[rr])
        choice = strategy.draw_choice(probs, u[rr, self.layout["strategy"].start + ii])
        self.strategy.put(flat, choice)
        ends = flat[(choice != strategy.DEAL) & self.holds.take(flat)]  # leaving the deal strategy ends the deal
        self.holds.put(ends, False)
        self.deal_floor.put(ends, 0.0)

    def _decide_compliance(self, u: np.ndarray) -> None:
        """Phase 4b (Ally.decide_compliance), each January and in the first month."""
        pa = self.pa
        pressure = self.strictness * (self.threshold > 0)
        p = spending.compliance_probability(pa.compliance_base[:, None], pa.compliance_pressure[:, None], pressure,
                                            pa.compliance_peer[:, None], self.last_share_complying[:, None])
        out = self.exempt | (self.strategy == strategy.ACCOMMODATION)
        self.complies = ~out & (u[:, self.layout["compliance"]] < p)

    def _conclude_deal(self, rows: np.ndarray, allies: np.ndarray, price: np.ndarray) -> None:
        """AllianceModel.conclude_deal for pairs (run, ally)."""
        self.holds[rows, allies] = True
        self.strategy[rows, allies] = strategy.DEAL
        self.deal_floor[rows, allies] = np.minimum(self.ceiling[rows, allies], self.share[rows, allies] + price)
        w = self.pb.weight_pledge[rows]
        self.dir_h[rows, allies] += w
        self.ru_h[rows, allies] += w

    def _answer_deal_requests(self, u: np.ndarray) -> None:
        """Phase 4d (Patron.answer_deal_requests)."""
        asks = (self.strategy == strategy.DEAL) & ~self.holds
        if not asks.any():
            return
        rr, ii = np.divmod(np.flatnonzero(asks), self.n)  # few: only their draws are compared
        granted = u[rr, self.layout["deal"].start + ii] < self.pp.deal_appetite[rr]
        rr, ii = rr[granted], ii[granted]
        if rr.size:
            self._conclude_deal(rr, ii, self.pp.deal_price[rr])

    # ---- spending and forces -----------------------------------------------------------------
    def _us_reach_value(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """AllianceModel.us_reach_value for the runs in ``rows`` (each row its own run's)."""
        local = self.perm[rows] + self.rot[rows]
        hub_staged = (self.hub[rows] * local).sum(axis=-1)
        forces = patron.forces_in_reach(local, hub_staged[:, None], self.pl.reinforcement_reach[rows, None])
        return patron.response_effectiveness(forces, self.pp.response_force_scale[rows, None])

    def _us_protection(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """AllianceModel.us_protection for every ally: (value x starting spending) x
        effectiveness / starting effectiveness; the first product is fixed per run."""
        return self.protection_spending[rows] * self.us_effectiveness[rows] / self.protection0[rows]

    def _in_reach(self) -> None:
        """The model's two proximity sums, sum_j w_ij q_j (spending, for European protection)
        and sum_j w_ij K_j (1 - D_j) (usable capability, for Europe's response). Both read the
        state as the previous month left it (nothing changes spending, capability or
        dependence between the end of a month and the phases that use them), so they are
        computed together, once a month."""
        self.usable = self.cap * (1.0 - self.dep)
        sums = weighted_sums(self.proximity, np.stack([self.gdp * self.share / 100.0, self.usable]))
        self.spending_in_reach, self.usable_in_reach = sums[0], sums[1]

    def _european_protection(self) -> np.ndarray:
        """AllianceModel._european_protection: (value x starting spending) x spending in
        reach / spending in reach at the start; the first product is fixed per run."""
        return self.solidarity_spending * self.spending_in_reach / self.in_reach0

    def _update_forces(self) -> None:
        """AllianceModel._update_forces. US effectiveness (and US protection) are recomputed
        only for the runs whose troops or hubs changed: the others' are last month's, bit for
        bit."""
        changed = np.flatnonzero(self._posture_changed)
        if changed.size == self.R:
            self.us_effectiveness = self._us_reach_value()
            self.us_protection = None
        elif changed.size:
            self.us_effectiveness[changed] = self._us_reach_value(changed)
            if self.us_protection is not None:
                self.us_protection[changed] = self._us_protection(changed)
        self._posture_changed[:] = False
        # the true solidarity (a parameter), not the allies' belief in it
        in_reach = self.usable + self.full.solidarity * self.usable_in_reach
        usable_force = self.adv_cap * (1.0 - self.absorption)
        russian = (usable_force * self.threat_multiplier)[:, None] * self.exposure
        balance = in_reach / np.maximum(russian, 1e-9)
        pd = self.pd
        self.europe_response = deterrence.europe_response(balance, pd.europe_response_midpoint[:, None],
                                                          self.full.europe_response_steepness)
        self.threat_ratio = usable_force * self.threat_multiplier / self.usable0

    def _set_spending(self, year: float) -> None:
        """Phase 4c (Ally.set_spending)."""
        pa = self.pa
        if self.us_protection is None:
            self.us_protection = self._us_protection()
        s_in = spending.spill_in(self.private_share, self.cred, self.us_protection, self.sol,
                                 self.european_protection)
        alpha = spending.threatened_alpha(self.alpha0, self.threat_ratio[:, None], self.exposure,
                                          self.full.threat_sensitivity)
        q = spending.best_response(self.gdp, s_in, alpha)
        floor = spending.pledge_floor(self.start_share, self.full.pledge_target, year, self.start_year,
                                      pa.pledge_year[:, None])
        target = spending.target_share(100.0 * q / self.gdp, floor, self.complies, self.deal_floor, self.ceiling)
        self.share = spending.adjust_share(self.share, target, self.full.adjustment_speed, pa.max_ramp[:, None])

    # ---- Russia's move ----------------------------------------------------------------------
    def _choose_move(self, u: np.ndarray):
        """Phase 5 (Adversary.choose_move)."""
        pd = self.pd
        r = deterrence.believed_response(self.ru_belief, self.us_effectiveness, self.europe_response)
        probe_u, inc_u = deterrence.move_utilities(
            r, probe_gain=self.full.probe_gain, probe_cost=self.full.probe_cost,
            incursion_gain=self.full.incursion_gain, incursion_cost=self.full.incursion_cost)
        probs = deterrence.move_probabilities(probe_u, inc_u, pd.inaction_utility, pd.logit_temperature)
        draw = u[:, self.layout["move"].start]
        # draw_choice picks the first k with cum P_k > u; cum P_0 = P_0, so a run whose draw is
        # below P_0 does nothing, and only the others need the cumulative sum
        index = np.zeros(self.R, dtype=np.int64)
        moving = np.flatnonzero(draw >= probs[:, 0])
        if moving.size:
            index[moving] = strategy.draw_choice(probs[moving], draw[moving])
        return deterrence.decode_move(index, self.n)

    def _resolve(self, kind: np.ndarray, target: np.ndarray, u: np.ndarray, t: int) -> None:
        """Phase 6 (AllianceModel._resolve, Patron.will, Recorder.move) for runs that moved."""
        rows = np.flatnonzero(kind != deterrence.NOTHING)
        if rows.size == 0:
            return
        tg, kind = target[rows], kind[rows]
        pp = self.pp
        will = patron.will_to_defend(
            self.share[rows, tg], self.threshold[rows, tg], self.strictness[rows, tg],
            self.holds[rows, tg].astype(float), self.perm[rows, tg] + self.rot[rows, tg],
            pp.attention[rows], self.exit_notice[rows].astype(float),
            base=pp.will_base[rows], payment_weight=pp.will_payment_weight[rows],
            conditionality_penalty=pp.conditionality_penalty[rows], deal_weight=pp.will_deal_weight[rows],
            tripwire_weight=pp.will_tripwire_weight[rows], distraction_weight=pp.will_distraction_weight[rows],
            exit_penalty=pp.exit_will_penalty[rows],
        )
        us, europe = deterrence.resolve(u[rows, self.layout["us_response"].start],
                                        u[rows, self.layout["europe_response"].start],
                                        will, self.us_effectiveness[rows, tg], self.europe_response[rows, tg])
        w = self.pb.weight_costly[rows]
        self.us_h[rows[us], tg[us]] += w[us]
        self.ru_h[rows[us], tg[us]] += w[us]
        self.us_f[rows[~us], tg[~us]] += w[~us]
        self.ru_f[rows[~us], tg[~us]] += w[~us]
        self.eu_h[rows[europe], tg[europe]] += w[europe]
        self.eu_f[rows[~europe], tg[~europe]] += w[~europe]
        probe = kind == deterrence.PROBE
        self.moves[rows[probe], 0] += 1
        self.probes_unanswered[rows[probe & ~us]] += 1
        self.moves[rows[~probe], 1] += 1
        failed = rows[~probe & ~(us | europe)]
        self.failures[failed] += 1
        self.first_failure[failed] = np.where(np.isnan(self.first_failure[failed]), t, self.first_failure[failed])

    # ---- accumulation -----------------------------------------------------------------------
    def _accumulate(self, t: int, january: bool) -> None:
        """Phase 7 (EuropeanPillar.step, Ally.accumulate, Adversary.accumulate)."""
        pa, pl = self.pa, self.pl
        funding = np.minimum(1.0, self.c2_funding + self.last_autonomy_gdp_share)
        self.ring[t % self.ring_len] = self.gdp * self.share / 100.0 / 12.0
        # month t - lag of each run: whole rows of the ring taken at once
        slot = (t - self.lag) % self.ring_len
        delivered = self.ring.reshape(-1, self.n).take(slot * self.R + self.rows, axis=0)
        if t < self.lag_max:
            delivered = np.where((t >= self.lag)[:, None], delivered, self.pipeline0)
        dep_rate = pa.depreciation[:, None]
        self.cap = capability.accumulate(self.cap, delivered, dep_rate)
        self.dep = capability.reduce_dependence(self.dep, pl.initial_enabler_dependence[:, None],
                                                pl.min_enabler_dependence[:, None], self.c2_years[:, None],
                                                funding[:, None])
        self.gdp = capability.grow(self.gdp, (pa.gdp_growth - self.growth_penalty)[:, None])
        self.adv_cap = capability.accumulate(self.adv_cap, self.adv_gdp * self.adv_share / 100.0 / 12.0,
                                             pa.depreciation)
        if january:
            self.absorption = np.maximum(0.0, self.absorption - self.pd.absorption_decay)
        self.adv_gdp = capability.grow(self.adv_gdp, pa.gdp_growth)

    # ---- records ----------------------------------------------------------------------------
    def _snapshot(self) -> None:
        """outcomes.snapshot: last month's aggregates that agents react to. The month's
        aggregates for the records are taken in the same pass (:func:`_aggregates`), from the
        same state: nothing changes between the snapshot and the record."""
        n = self.n
        g = self.groups
        agg = self._agg
        _aggregates(self.cred, self.ru_belief, self.strategy, self.share, self.gdp, self.cap, self.dep,
                    self.usable, self.holds, self.complies, self.pa.pledge_target, 2.0 - 1e-9,
                    g["eastern_flank"], g["frontline"], g["western"], agg)
        self.n_deals = agg[:, _AGG["deals"]]
        self.last_share_with_deal = self.n_deals / n
        self.last_share_complying = agg[:, _AGG["complying"]] / n
        usable = agg[:, _AGG["usable_compensated"]]
        self.last_european_usable = np.minimum(1.0, usable / np.maximum(self.adv_cap, 1e-9))
        self.gdp_total = agg[:, _AGG["gdp"]].copy()
        self.last_autonomy_gdp_share = agg[:, _AGG["gdp_autonomy"]] / self.gdp_total

    def _count(self, mask: np.ndarray) -> np.ndarray:
        """True values per run: an integer, exact in any order of summation (so a product with
        ones, much faster than numpy's row-by-row reduction)."""
        return mask.astype(np.float64) @ self.ones

    def _record(self, t: int) -> None:
        """outcomes.Recorder.record, from the aggregates :meth:`_snapshot` took."""
        d, g, a = self.series, self.groups, self._agg
        n = self.n
        # means as numpy takes them of the model's 1-d arrays: the pairwise sum over the size
        d["credibility_allies"][t] = a[:, _AGG["credibility"]] / n
        d["credibility_eastern_flank"][t] = a[:, _AGG["credibility_eastern_flank"]] / g["eastern_flank"].size
        d["credibility_frontline"][t] = a[:, _AGG["credibility_frontline"]] / g["frontline"].size
        d["credibility_western"][t] = a[:, _AGG["credibility_western"]] / g["western"].size
        d["russia_belief_us_will"][t] = a[:, _AGG["russia"]] / n
        d["russia_belief_eastern_flank"][t] = a[:, _AGG["russia_eastern_flank"]] / g["eastern_flank"].size
        d["allies_with_deal"][t] = self.n_deals
        # strategy.cohesion: the mean of 0/1 values, numpy's sum (exact: a count) over n
        d["cohesion"][t] = a[:, _AGG["collective"]] / n
        d["allies_collective"][t] = a[:, _AGG["collective"]]
        d["allies_autonomy"][t] = a[:, _AGG["autonomy"]]
        d["allies_accommodation"][t] = a[:, _AGG["accommodation"]]
        gs = a[:, _AGG["gdp_share"]]
        gsum = self.gdp_total
        d["spending_bn"][t] = gs / 100.0
        d["spending_share"][t] = gs / gsum
        d["allies_at_2pct"][t] = a[:, _AGG["at_2pct"]]
        d["allies_at_pledge"][t] = a[:, _AGG["at_pledge"]]
        d["capability_ratio"][t] = a[:, _AGG["capability"]] / self.adv_cap
        d["usable_capability_ratio"][t] = a[:, _AGG["usable"]] / self.adv_cap
        d["enabler_dependence"][t] = a[:, _AGG["gdp_dependence"]] / gsum
        if self._troops_total is None:  # unchanged while no troops move
            self._troops_total = compensated_sums(self.perm + self.rot)
        d["us_troops_europe"][t] = self._troops_total
        d["probes"][t] = self.moves[:, 0]
        d["incursions"][t] = self.moves[:, 1]

    # ---- the run ----------------------------------------------------------------------------
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
            self._fire_events(t)                                   # 1
            self._carry_out_orders()                               # 2
            self._restate_policy()
            self._update_beliefs()                                 # 3
            self._choose_strategy(u)                               # 4
            if january or t == 0:
                self._decide_compliance(u)
            self._answer_deal_requests(u)
            self.european_protection = self._european_protection()
            self._set_spending(year)
            self._update_forces()
            kind, target = self._choose_move(u)                    # 5
            self.moves[:] = 0.0
            self._resolve(kind, target, u, t)                      # 6
            self._accumulate(t, january)                           # 7
            self._in_reach()
            self._snapshot()                                       # 8
            self._record(t)
        self.series = {name: np.ascontiguousarray(v.T) for name, v in series.items()}  # [runs, months]

    def outcomes(self) -> tuple[list[str], np.ndarray]:
        """(names, [runs, outcomes]): the model's outcome definitions evaluated on all runs."""
        s = self.series
        rec = SimpleNamespace(probes_unanswered=self.probes_unanswered, failures=self.failures,
                              first_failure=self.first_failure)
        cols = {name: np.broadcast_to(np.asarray(fn(s, rec), dtype=float), (self.R,))
                for name, fn in outcomes._OUTCOME_FNS.items()}
        kinds = [e.kind for e in self.events]
        hosts = [e.host for e in self.events]
        announced = [bool(getattr(e.v, "announce", True)) for e in self.events]
        fired = np.where(self.fired_month >= 0, self.fired_month.astype(float), np.inf)

        def first(match):
            """Month of the first announced event whose (kind, host) matches, NaN if none
            (as outcomes.signposts reads the event log; an event fires at most once)."""
            which = [k for k in range(len(self.events)) if announced[k] and match(kinds[k], hosts[k])]
            if not which:
                return np.full(self.R, np.nan)
            m = fired[:, which].min(axis=1)
            return np.where(np.isinf(m), np.nan, m)

        for name, v in outcomes.signpost_values(self.spec, s, self.n, first).items():
            cols[name] = np.broadcast_to(v, (self.R,))
        cols.update(outcomes.ally_outcomes(self.world.iso3, self.holds, self.cred, self.share))
        names = outcomes.outcome_names(self.spec)
        return names, np.stack([cols[name] for name in names], axis=1)


# ------------------------------------------------------------------------------------------------
# The month's aggregates, for the snapshot and the records

_COLLECTIVE, _AUTONOMY, _ACCOMMODATION = strategy.COLLECTIVE, strategy.AUTONOMY, strategy.ACCOMMODATION
_AGG = {name: k for k, name in enumerate((  # _aggregates writes its columns in this order
    "credibility", "russia", "gdp_share", "gdp", "capability", "usable", "gdp_dependence", "gdp_autonomy",
    "credibility_eastern_flank", "credibility_frontline", "credibility_western", "russia_eastern_flank",
    "deals", "complying", "collective", "autonomy", "accommodation", "at_2pct", "at_pledge",
    "usable_compensated",
))}


@njit(cache=True, inline="always")
def _group_sum(values, members, scratch):
    """values[members].sum(), numpy's order over the gathered members."""
    for m in range(members.size):
        scratch[m] = values[members[m]]
    return _pairwise(scratch, 0, members.size)


@njit(cache=True)
def _aggregates(cred, ru, strat, share, gdp, cap, dep, usable, holds, complies, pledge, two_pct,
                eastern, frontline, western, out):
    """Per run, what ``outcomes.snapshot`` and ``Recorder.record`` take of the allies: sums in
    numpy's pairwise order over every ally and over groups, counts (integers: exact in any
    order) and Python's compensated sum of usable capability. Products are the model's
    (``gdp * share``, ``gdp * dep``, ``gdp * autonomy`` with autonomy 1.0 or 0.0). Run by run,
    along contiguous rows: numpy's eight running sums already keep the processor busy."""
    R, n = cred.shape
    spending, dependence, autonomous = np.empty(n), np.empty(n), np.empty(n)
    scratch = np.empty(n)
    for r in range(R):
        c, q, s, y, d, choice = cred[r], ru[r], share[r], gdp[r], dep[r], strat[r]
        for j in range(n):
            spending[j] = y[j] * s[j]
            dependence[j] = y[j] * d[j]
            autonomous[j] = y[j] * (1.0 if choice[j] == _AUTONOMY else 0.0)
        out[r, 0] = _pairwise(c, 0, n)
        out[r, 1] = _pairwise(q, 0, n)
        out[r, 2] = _pairwise(spending, 0, n)
        out[r, 3] = _pairwise(y, 0, n)
        out[r, 4] = _pairwise(cap[r], 0, n)
        out[r, 5] = _pairwise(usable[r], 0, n)
        out[r, 6] = _pairwise(dependence, 0, n)
        out[r, 7] = _pairwise(autonomous, 0, n)
        out[r, 8] = _group_sum(c, eastern, scratch)
        out[r, 9] = _group_sum(c, frontline, scratch)
        out[r, 10] = _group_sum(c, western, scratch)
        out[r, 11] = _group_sum(q, eastern, scratch)
        deals = complying = collective = autonomy = accommodation = at_2pct = at_pledge = 0.0
        floor = pledge[r] - 1e-9
        h, k = holds[r], complies[r]
        for j in range(n):
            deals += 1.0 if h[j] else 0.0
            complying += 1.0 if k[j] else 0.0
            collective += 1.0 if choice[j] == _COLLECTIVE else 0.0
            autonomy += 1.0 if choice[j] == _AUTONOMY else 0.0
            accommodation += 1.0 if choice[j] == _ACCOMMODATION else 0.0
            at_2pct += 1.0 if s[j] >= two_pct else 0.0
            at_pledge += 1.0 if s[j] >= floor else 0.0
        out[r, 12:19] = (deals, complying, collective, autonomy, accommodation, at_2pct, at_pledge)
        out[r, 19] = _compensated(usable[r], n)


# ------------------------------------------------------------------------------------------------
# Entry points

@dataclass(frozen=True)
class EnsembleResult:
    """Arrays of a batch: parameters [runs, parameters], outcomes [runs, outcomes] and, when
    kept, series {name: [runs, months]}."""

    seeds: np.ndarray
    parameter_names: list[str]
    parameters: np.ndarray
    outcome_names: list[str]
    outcomes: np.ndarray
    series: dict[str, np.ndarray] | None


@functools.cache
def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for the next allocation, once per process.

    A batch allocates and frees thousands of [runs, allies] temporaries (248 kB each at 1,000
    runs). By default glibc serves blocks that large with fresh mappings or gives freed memory
    back to the system, and takes it back at the next allocation at the cost of a page fault
    per 4 kB page: 7,000-8,000 faults per batch, a few per cent of its time. With these
    thresholds (the ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` and
    ``MALLOC_TOP_PAD_`` of ``mallopt(3)``) it keeps up to 256 MB of freed memory instead; the
    peak memory of a process is unchanged. Nothing is done on other C libraries."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 32 * 2**20)  # glibc's largest on 64-bit systems
        libc.mallopt(m_trim_threshold, 256 * 2**20)
        libc.mallopt(m_top_pad, 64 * 2**20)
    except (OSError, AttributeError):  # not glibc: its default behaviour
        pass


def simulate(scenario: Scenario, seeds: Sequence[int], fixed: dict[str, float] | None = None,
             *, series: bool = True) -> EnsembleResult:
    """Run every seed of ``seeds`` in one batch; raises if anything fails (see :func:`run_fast`
    for per-run failures). ``series=False`` drops the monthly series (sweeps of millions)."""
    _keep_freed_memory()
    with np.errstate(all="ignore"):  # lanes of runs a step does not concern may hold inf/NaN
        batch = _Batch(scenario, seeds, fixed)
        batch.run(Streams(batch.seeds))
        names, values = batch.outcomes()
    return EnsembleResult(np.array(batch.seeds, dtype=np.uint64), batch.names, batch.values, names, values,
                          batch.series if series else None)


def _results(res: EnsembleResult) -> list[RunResult]:
    out = []
    series_of = res.series or {}
    parameters, outcome_values = res.parameters.tolist(), res.outcomes.tolist()  # Python floats, at once
    pnames, onames = res.parameter_names, res.outcome_names
    for r, seed in enumerate(res.seeds.tolist()):
        # a run's series are rows of the batch's [runs, months] arrays (views, not copies: the
        # batch's series stay in memory while any of its runs is kept)
        series = {k: v[r] for k, v in series_of.items()}
        out.append(RunResult(seed=seed, parameters=dict(zip(pnames, parameters[r], strict=True)),
                             outcomes=dict(zip(onames, outcome_values[r], strict=True)), series=series))
    return out


def compile_kernels() -> float:
    """Compile the fast engine's numba kernels now (a two-month batch of two runs), so that the
    first sweep does not wait for them; they are cached on disk (numba's ``cache=True``, in
    ``__pycache__``) for every later process. Returns the seconds it took."""
    import time

    from sim.model.loading import load_scenario

    started = time.monotonic()
    spec = load_scenario("status_quo").model_copy(update={"horizon_months": 2})
    simulate(spec, [1, 2], series=False)
    return time.monotonic() - started


@engine("fast")
def run_fast(scenario: Scenario, seeds: Sequence[int], fixed: dict[str, float] | None = None,
             *, batch: int = BATCH) -> list[RunResult | RunFailure]:
    """The "fast" engine for :func:`sim.engines.runner.run_chunk`: one result or failure per seed, the
    same as the Mesa engine's. A batch that raises is rerun one seed at a time, so the failing
    runs are recorded with their seeds and the others still succeed (with the same results:
    nothing couples the runs of a batch)."""
    out: list[RunResult | RunFailure] = []
    seeds = [int(s) for s in seeds]
    for first in range(0, len(seeds), batch):
        part = seeds[first:first + batch]
        try:
            out.extend(_results(simulate(scenario, part, fixed)))
        except Exception:
            for seed in part:
                try:
                    out.extend(_results(simulate(scenario, [seed], fixed)))
                except Exception as exc:  # a failing run is data, not a crash
                    out.append(RunFailure(seed, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"))
    return out
