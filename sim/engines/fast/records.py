"""The fast engine's phase 8: the month's aggregates (what agents react to next month and what
the records keep), taken in one compiled pass; the monthly series; and the outcomes at the end.
The definitions are :mod:`sim.model.outcomes`; the sums are in numpy's and Python's order
(:mod:`sim.engines.fast.ordered_sums`), so each run's series are the Mesa model's bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from sim.engines.fast.ordered_sums import compensated, compensated_sums, pairwise
from sim.model import invariants, outcomes
from sim.model.rules import strategy


class RecordPhase:
    """Mixed into :class:`sim.engines.fast.batch.Batch`."""

    def snapshot(self) -> None:
        """outcomes.snapshot: last month's aggregates that agents react to. The month's
        aggregates for the records are taken in the same pass (:func:`aggregates`), from the
        same state: nothing changes between the snapshot and the record."""
        n = self.n
        g = self.groups
        agg = self.aggregates
        aggregates(self.credibility, self.russia_belief, self.strategy, self.share, self.gdp, self.capability, self.enabler_dependence,
                    self.usable, self.holds_deal, self.complies, self.p.allies.pledge_target, 2.0 - 1e-9,
                    g["eastern_flank"], g["frontline"], g["western"], g["baltic"], g["germany"], agg)
        self.n_deals = agg[:, AGG["deals"]]
        self.last_share_with_deal = self.n_deals / n
        self.last_share_complying = agg[:, AGG["complying"]] / n
        usable = agg[:, AGG["usable_compensated"]]
        self.last_european_usable = np.minimum(1.0, usable / np.maximum(self.adversary_capability, 1e-9))
        self.gdp_total = agg[:, AGG["gdp"]].copy()
        self.last_autonomy_gdp_share = agg[:, AGG["gdp_autonomy"]] / self.gdp_total

    def record(self, t: int) -> None:
        """outcomes.Recorder.record, from the aggregates :meth:`snapshot` took."""
        d, g, a = self.series, self.groups, self.aggregates
        n = self.n
        # means as numpy takes them of the model's 1-d arrays: the pairwise sum over the size
        d["credibility_allies"][t] = a[:, AGG["credibility"]] / n
        d["credibility_eastern_flank"][t] = a[:, AGG["credibility_eastern_flank"]] / g["eastern_flank"].size
        d["credibility_frontline"][t] = a[:, AGG["credibility_frontline"]] / g["frontline"].size
        d["credibility_western"][t] = a[:, AGG["credibility_western"]] / g["western"].size
        d["credibility_baltic"][t] = a[:, AGG["credibility_baltic"]] / g["baltic"].size
        d["credibility_germany"][t] = a[:, AGG["credibility_germany"]] / g["germany"].size
        d["russia_belief_us_will"][t] = a[:, AGG["russia"]] / n
        d["russia_belief_eastern_flank"][t] = a[:, AGG["russia_eastern_flank"]] / g["eastern_flank"].size
        d["allies_with_deal"][t] = self.n_deals
        # strategy.cohesion: the mean of 0/1 values, numpy's sum (exact: a count) over n
        d["cohesion"][t] = a[:, AGG["collective"]] / n
        d["allies_collective"][t] = a[:, AGG["collective"]]
        d["allies_autonomy"][t] = a[:, AGG["autonomy"]]
        d["allies_accommodation"][t] = a[:, AGG["accommodation"]]
        gs = a[:, AGG["gdp_share"]]
        gsum = self.gdp_total
        d["spending_bn"][t] = gs / 100.0
        d["spending_share"][t] = gs / gsum
        d["allies_at_2pct"][t] = a[:, AGG["at_2pct"]]
        d["allies_at_pledge"][t] = a[:, AGG["at_pledge"]]
        d["capability_ratio"][t] = a[:, AGG["capability"]] / self.adversary_capability
        d["usable_capability_ratio"][t] = a[:, AGG["usable"]] / self.adversary_capability
        d["enabler_dependence"][t] = a[:, AGG["gdp_dependence"]] / gsum
        if self.troops_total is None:  # unchanged while no troops move
            self.troops_total = compensated_sums(self.troops_permanent + self.troops_rotational)
        d["us_troops_europe"][t] = self.troops_total
        d["probes"][t] = self.moves[:, 0]
        d["incursions"][t] = self.moves[:, 1]
        if invariants.due(t, self.T):
            first = invariants.window(t)
            invariants.check_series(self.seeds, {k: v[first:t + 1].T for k, v in d.items()}, n, first)
            invariants.check_state(t, self.seeds, credibility=self.credibility, russia_belief=self.russia_belief,
                                   troops_permanent=self.troops_permanent, troops_rotational=self.troops_rotational,
                                   troops_home=self.troops_home, troops_total=self.troops_start, share=self.share,
                                   gdp=self.gdp, capability=self.capability, enabler_dependence=self.enabler_dependence)

    def outcomes(self) -> tuple[list[str], np.ndarray]:
        """(names, [runs, outcomes]): the model's outcome definitions evaluated on all runs."""
        s = self.series
        rec = SimpleNamespace(probes_unanswered=self.probes_unanswered, failures=self.failures,
                              first_failure=self.first_failure)
        cols = {name: np.broadcast_to(np.asarray(fn(s, rec), dtype=float), (self.R,))
                for name, fn in outcomes.OUTCOME_FNS.items()}
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
        cols.update(outcomes.ally_outcomes(self.world.iso3, self.holds_deal, self.credibility, self.share,
                                           self.probes_by_ally))
        names = outcomes.outcome_names(self.spec)
        return names, np.stack([cols[name] for name in names], axis=1)


# ------------------------------------------------------------------------------------------------
# The month's aggregates, for the snapshot and the records

_COLLECTIVE, _AUTONOMY, _ACCOMMODATION = strategy.COLLECTIVE, strategy.AUTONOMY, strategy.ACCOMMODATION
AGG = {name: k for k, name in enumerate((  # aggregates writes its columns in this order
    "credibility", "russia", "gdp_share", "gdp", "capability", "usable", "gdp_dependence", "gdp_autonomy",
    "credibility_eastern_flank", "credibility_frontline", "credibility_western", "russia_eastern_flank",
    "deals", "complying", "collective", "autonomy", "accommodation", "at_2pct", "at_pledge",
    "usable_compensated", "credibility_baltic", "credibility_germany",
))}


@njit(cache=True, inline="always")
def group_sum(values, members, scratch):
    """values[members].sum(), numpy's order over the gathered members."""
    for m in range(members.size):
        scratch[m] = values[members[m]]
    return pairwise(scratch, 0, members.size)


@njit(cache=True)
def aggregates(cred, ru, strat, share, gdp, cap, dep, usable, holds, complies, pledge, two_pct,
                eastern, frontline, western, baltic, germany, out):
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
        out[r, 0] = pairwise(c, 0, n)
        out[r, 1] = pairwise(q, 0, n)
        out[r, 2] = pairwise(spending, 0, n)
        out[r, 3] = pairwise(y, 0, n)
        out[r, 4] = pairwise(cap[r], 0, n)
        out[r, 5] = pairwise(usable[r], 0, n)
        out[r, 6] = pairwise(dependence, 0, n)
        out[r, 7] = pairwise(autonomous, 0, n)
        out[r, 8] = group_sum(c, eastern, scratch)
        out[r, 9] = group_sum(c, frontline, scratch)
        out[r, 10] = group_sum(c, western, scratch)
        out[r, 11] = group_sum(q, eastern, scratch)
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
        out[r, 19] = compensated(usable[r], n)
        out[r, 20] = group_sum(c, baltic, scratch)
        out[r, 21] = group_sum(c, germany, scratch)
