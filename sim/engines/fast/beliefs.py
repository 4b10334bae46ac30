"""The fast engine's phase 3: beliefs updated from the month's evidence (received evidence is direct + sum_j r_ij e_j, then a Beta update)."""

from __future__ import annotations

import numpy as np

from sim.engines.fast.ordered_sums import reputation_sums
from sim.model.rules import credibility


class BeliefPhase:
    """Mixed into :class:`sim.engines.fast.batch.Batch`."""

    def update_beliefs(self) -> None:
        """Phase 3 (Ally.update_beliefs, Adversary.update_beliefs)."""
        similarity, group = self.similarity, self.similarity_group
        us_h, us_f, eu_h, eu_f = reputation_sums(similarity, group, self.p.beliefs.reputation_weight, self.evidence[0:4])
        ru_h, ru_f = reputation_sums(similarity, group, self.p.adversary.reputation_weight, self.evidence[4:6])
        honoured, failed = self.received_h, self.received_f
        direct_h, direct_f, ru_direct_h, ru_direct_f = self.evidence[6:10]
        np.add(direct_h, us_h, out=honoured[0])
        np.add(direct_f, us_f, out=failed[0])
        attention = credibility.attention(self.attention_scale, self.europe_response, self.full.dependence_attention,
                                          self.attention_base, out=self.attention)
        np.multiply(attention, honoured[0], out=honoured[0])
        np.multiply(attention, failed[0], out=failed[0])
        # received_evidence with no direct evidence is 0.0 + the sum: the sum itself, as the
        # sums are never -0.0
        honoured[1], failed[1] = eu_h, eu_f
        np.add(ru_direct_h, ru_h, out=honoured[2])
        np.add(ru_direct_f, ru_f, out=failed[2])
        self.belief_a, self.belief_b = credibility.beta_update(self.belief_a, self.belief_b, honoured, failed,
                                                               self.forgetting)
        self.evidence.fill(0.0)
        self.belief_means()

    def belief_means(self) -> None:
        """The Beta means (Ally.credibility, Ally.solidarity, Adversary.belief_us_will), which
        change only when beliefs are updated."""
        self.credibility, self.solidarity, self.russia_belief = credibility.beta_mean(self.belief_a, self.belief_b)
