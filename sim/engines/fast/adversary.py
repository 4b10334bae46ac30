"""The fast engine's phase 5 and 6: Russia's move in every run, and its resolution by the
patron's true will and the forces in reach (:mod:`sim.model.russia`)."""

from __future__ import annotations

import numpy as np

from sim.engines.fast.effects import apply, restricted
from sim.model import russia
from sim.model.rules import deterrence, strategy


class AdversaryPhase:
    """Mixed into :class:`sim.engines.fast.batch.Batch`."""

    def choose_move(self, u: np.ndarray):
        """Phase 5 (Adversary.choose_move)."""
        probs = russia.move_probabilities(self.russia_belief, self.us_effectiveness, self.europe_response,
                                          self.p_move)
        draw = u[:, self.layout["move"].start]
        # draw_choice picks the first k with cum P_k > u; cum P_0 = P_0, so a run whose draw is
        # below P_0 does nothing, and only the others need the cumulative sum
        index = np.zeros(self.R, dtype=np.int64)
        moving = np.flatnonzero(draw >= probs[:, 0])
        if moving.size:
            index[moving] = strategy.draw_choice(probs[moving], draw[moving])
        return deterrence.decode_move(index, self.n)

    def resolve(self, kind: np.ndarray, target: np.ndarray, u: np.ndarray, t: int) -> None:
        """Phase 6 (AllianceModel._resolve, Patron.will, Recorder.move) for runs that moved."""
        rows = np.flatnonzero(kind != deterrence.NOTHING)
        if rows.size == 0:
            return
        tg, kind = target[rows], kind[rows]
        p = restricted(self.p, rows)
        will = russia.patron_will(
            self.share[rows, tg], self.threshold[rows, tg], self.strictness[rows, tg],
            self.holds_deal[rows, tg].astype(float), self.troops_permanent[rows, tg] + self.troops_rotational[rows, tg],
            self.exit_notice[rows].astype(float), p)
        us, europe = deterrence.resolve(u[rows, self.layout["us_response"].start],
                                        u[rows, self.layout["europe_response"].start],
                                        will, self.us_effectiveness[rows, tg], self.europe_response[rows, tg])
        apply(self, russia.answer_signals(tg, us, europe, p), rows)
        probe, unanswered, incursion, failure = russia.move_record(kind, us, europe)
        self.moves[rows[probe], 0] += 1
        self.probes_by_ally[rows[probe], tg[probe]] += 1
        self.probes_unanswered[rows[unanswered]] += 1
        self.moves[rows[incursion], 1] += 1
        failed = rows[failure]
        self.failures[failed] += 1
        self.first_failure[failed] = np.where(np.isnan(self.first_failure[failed]), t, self.first_failure[failed])
