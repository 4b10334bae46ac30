"""Each ally's yearly defence share in a batch of fast-engine runs.

NATO's figure for a year is the year's spending over the year's GDP; the model's counterpart is
the mean of the twelve monthly shares of the calendar year. The fast engine records only
alliance-wide series, so a batch here also keeps each ally's share at the end of every month.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engines.fast.batch import Batch
from sim.model.parameters import Fixed
from sim.model.scenario import Scenario
from sim.model.streams import Streams


class _ShareBatch(Batch):
    """A batch that also keeps every ally's share at the end of each month: [months, runs, allies]."""

    def record(self, t: int) -> None:
        super().record(t)
        self.monthly_share[t] = self.share


def yearly_shares(scenario: Scenario, seeds: Sequence[int], fixed: Fixed | None = None) -> tuple[list[int], np.ndarray]:
    """(years, shares [runs, years, allies]): the mean monthly share of each whole calendar year
    the scenario simulates. The scenario must start in January."""
    year0, month0 = (int(x) for x in scenario.start.split("-"))
    if month0 != 1:
        raise ValueError(f"yearly shares need a scenario that starts in January, not {scenario.start}")
    years = scenario.horizon_months // 12
    with np.errstate(all="ignore"):
        batch = _ShareBatch(scenario, seeds, fixed)
        batch.monthly_share = np.empty((batch.T, batch.R, batch.n))
        batch.run(Streams(batch.seeds))
    monthly = batch.monthly_share[: years * 12].reshape(years, 12, batch.R, batch.n)
    return [year0 + k for k in range(years)], monthly.mean(axis=1).transpose(1, 0, 2)
