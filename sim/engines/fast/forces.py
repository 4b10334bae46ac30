"""The fast engine's phase 4d and 7, and the forces in reach: allies' spending, what a US or a
European response could bring to each ally, and the month's accumulation of capability,
enabler dependence and income."""

from __future__ import annotations

import numpy as np

from sim.engines.fast.ordered_sums import weighted_sums
from sim.model.rules import capability, deterrence, patron, spending


class ForcePhase:
    """Mixed into :class:`sim.engines.fast.batch.Batch`."""

    def us_reach_value(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """AllianceModel.us_reach_value for the runs in ``rows`` (each row its own run's)."""
        local = self.troops_permanent[rows] + self.troops_rotational[rows]
        hub_staged = (self.logistics_hub[rows] * local).sum(axis=-1)
        forces = patron.forces_in_reach(local, hub_staged[:, None], self.p.pillar.reinforcement_reach[rows, None])
        return patron.response_effectiveness(forces, self.p.patron.response_force_scale[rows, None])


    def compute_us_protection(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """AllianceModel.us_protection for every ally: (value x starting spending) x
        effectiveness / starting effectiveness; the first product is fixed per run."""
        return self.protection_spending[rows] * self.us_effectiveness[rows] / self.protection0[rows]


    def in_reach(self) -> None:
        """The model's two proximity sums, sum_j w_ij q_j (spending, for European protection)
        and sum_j w_ij K_j (1 - D_j) (usable capability, for Europe's response). Both read the
        state as the previous month left it (nothing changes spending, capability or
        dependence between the end of a month and the phases that use them), so they are
        computed together, once a month."""
        self.usable = self.capability * (1.0 - self.enabler_dependence)
        sums = weighted_sums(self.proximity, np.stack([self.gdp * self.share / 100.0, self.usable]))
        self.spending_in_reach, self.usable_in_reach = sums[0], sums[1]


    def compute_european_protection(self) -> np.ndarray:
        """AllianceModel.compute_european_protection: (value x starting spending) x spending in
        reach / spending in reach at the start; the first product is fixed per run."""
        return self.solidarity_spending * self.spending_in_reach / self.in_reach0


    def update_forces(self) -> None:
        """AllianceModel.update_forces. US effectiveness (and US protection) are recomputed
        only for the runs whose troops or hubs changed: the others' are last month's, bit for
        bit."""
        changed = np.flatnonzero(self.posture_changed)
        if changed.size == self.R:
            self.us_effectiveness = self.us_reach_value()
            self.us_protection = None
        elif changed.size:
            self.us_effectiveness[changed] = self.us_reach_value(changed)
            if self.us_protection is not None:
                self.us_protection[changed] = self.compute_us_protection(changed)
        self.posture_changed[:] = False
        # the true solidarity (a parameter), not the allies' belief in it
        in_reach = self.usable + self.full.solidarity * self.usable_in_reach
        usable_force = self.adversary_capability * (1.0 - self.absorption)
        russian = (usable_force * self.threat_multiplier)[:, None] * self.exposure
        balance = in_reach / np.maximum(russian, 1e-9)
        ru = self.p.adversary
        self.europe_response = deterrence.europe_response(balance, ru.europe_response_midpoint[:, None],
                                                          self.full.europe_response_steepness)
        self.threat_ratio = usable_force * self.threat_multiplier / self.usable0


    def set_spending(self, year: float) -> None:
        """Phase 4d (Ally.set_spending)."""
        pa = self.p.allies
        if self.us_protection is None:
            self.us_protection = self.compute_us_protection()
        s_in = spending.spill_in(self.private_share, self.credibility, self.us_protection, self.solidarity,
                                 self.european_protection)
        alpha = spending.threatened_alpha(self.alpha0, self.threat_ratio[:, None], self.exposure,
                                          self.full.threat_sensitivity)
        q = spending.best_response(self.gdp, s_in, alpha)
        floor = spending.pledge_floor(self.start_share, self.full.pledge_target, year, self.start_year,
                                      pa.pledge_year[:, None])
        target = spending.target_share(100.0 * q / self.gdp, floor, self.complies, self.deal_floor, self.ceiling,
                                       self.law_floor)
        self.share = spending.adjust_share(self.share, target, self.full.adjustment_speed, pa.max_ramp[:, None])


    def accumulate(self, t: int, january: bool) -> None:
        """Phase 7 (EuropeanPillar.step, Ally.accumulate, Adversary.accumulate)."""
        pa, pl = self.p.allies, self.p.pillar
        pl = self.p.pillar
        funding = capability.programme_funding(self.c2_funding, self.last_autonomy_gdp_share, self.eu_budget_bn,
                                               self.eu_budget_start, pl.eu_c2_share, pl.c2_cost_bn)
        self.ring[t % self.ring_len] = self.gdp * self.share / 100.0 / 12.0
        # month t - lag of each run: whole rows of the ring taken at once
        slot = (t - self.lag) % self.ring_len
        delivered = self.ring.reshape(-1, self.n).take(slot * self.R + self.rows, axis=0)
        if t < self.lag_max:
            delivered = np.where((t >= self.lag)[:, None], delivered, self.pipeline0)
        dep_rate = pa.depreciation[:, None]
        self.capability = capability.accumulate(self.capability, delivered, dep_rate)
        self.enabler_dependence = capability.reduce_dependence(self.enabler_dependence, pl.initial_enabler_dependence[:, None],
                                                pl.min_enabler_dependence[:, None], self.c2_years[:, None],
                                                funding[:, None])
        self.gdp = capability.grow(self.gdp, (pa.gdp_growth - self.growth_penalty)[:, None])
        self.adversary_capability = capability.accumulate(self.adversary_capability, self.adversary_gdp * self.adversary_share / 100.0 / 12.0,
                                             pa.depreciation)
        if january:
            self.absorption = np.maximum(0.0, self.absorption - self.p.adversary.absorption_decay)
        self.adversary_gdp = capability.grow(self.adversary_gdp, pa.gdp_growth)
