"""The fast engine's phase 4a-4c: allies' strategies, pledge compliance, and the patron's answer
to requests for deals (:mod:`sim.model.deals`, :mod:`sim.model.policy`)."""

from __future__ import annotations

import numpy as np

from sim.engines.fast.effects import Rows, apply, restricted
from sim.model import deals, policy
from sim.model.rules import spending, strategy


class ChoicePhase:
    """Mixed into :class:`sim.engines.fast.batch.Batch`."""

    def choose_strategy(self, u: np.ndarray) -> None:
        """Phase 4a (Ally.choose_strategy) for the (run, ally) pairs that reconsider."""
        pa, n = self.p.allies, self.n
        flat = np.flatnonzero(u[:, self.layout["reconsider"]] < pa.reconsider_rate[:, None])
        if flat.size == 0:
            return
        rr, ii = np.divmod(flat, n)
        c = self.credibility.take(flat)
        utilities = strategy.strategy_utilities(
            c, self.solidarity.take(flat), self.exposure.take(flat) * self.threat_ratio[rr],
            strategy.deal_gain(c, self.p.patron.will_deal_weight[rr]),
            deals.price_burden(self.p.patron.deal_price[rr], self.share.take(flat)),
            self.last_share_with_deal[rr],
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
        ends = flat[deals.ends_deal(choice, self.holds_deal.take(flat))]
        for name, value in deals.ended().items():
            getattr(self, name).put(ends, value)

    def decide_compliance(self, u: np.ndarray) -> None:
        """Phase 4b (Ally.decide_compliance), each January and in the first month."""
        pa = self.p.allies
        pressure = policy.compliance_pressure(self.threshold, self.strictness)
        p = spending.compliance_probability(pa.compliance_base[:, None], pa.compliance_pressure[:, None], pressure,
                                            pa.compliance_peer[:, None], self.last_share_complying[:, None])
        self.complies = policy.on_pledge_path(self.pledge_exempt, self.strategy) & (u[:, self.layout["compliance"]] < p)

    def answer_deal_requests(self, u: np.ndarray) -> None:
        """Phase 4c (Patron.answer_deal_requests)."""
        asks = deals.seeks_deal(self.strategy, self.holds_deal)
        if not asks.any():
            return
        rr, ii = np.divmod(np.flatnonzero(asks), self.n)  # few: only their draws are compared
        granted = deals.granted(u[rr, self.layout["deal"].start + ii], self.p.patron.deal_appetite[rr])
        rr, ii = rr[granted], ii[granted]
        if rr.size:
            p = restricted(self.p, rr)
            apply(self, deals.conclude(Rows(self, rr), p, ii, p.patron.deal_price), rr)
