"""Replay of 2014-2025 scored against NATO's published figures (validation, tier 3).

The replay scenario starts from 2014 conditions and applies only the known shocks (Crimea 2014,
the full invasion of February 2022). Its score compares, year by year, what the model produced
with what NATO published (Defence Expenditure of NATO Countries, Aug 2025 edition):

* allies at or above 2% of GDP (the US counted, as NATO counts it);
* the GDP-weighted defence share of Europe and Canada;
* the distance gradient: Spearman correlation of the distance to Moscow with the rise in share
  from the first to the last year.

NATO revises figures by up to 0.3-0.4 points between editions; differences smaller than that
are not evidence either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.engines.mesa.model import AllianceModel
from sim.engines.runner import run_seed
from sim.model.loading import load_scenario
from sim.model.world import HISTORY_YEARS, defence_share_history, load_world


@dataclass(frozen=True)
class ReplayScore:
    years: list[int]
    published_at_2pct: list[float]
    simulated_at_2pct: list[tuple[float, float, float]]      # median, 5%, 95% across runs
    published_share: list[float]
    simulated_share: list[tuple[float, float, float]]
    published_gradient: float
    simulated_gradient: tuple[float, float, float]
    runs: int

    def table(self) -> str:
        lines = ["year  allies>=2%: NATO  model median [5%, 95%]   Europe+Canada % GDP: NATO  model median [5%, 95%]"]
        for k, y in enumerate(self.years):
            m, lo, hi = self.simulated_at_2pct[k]
            s, slo, shi = self.simulated_share[k]
            lines.append(f"{y}  {self.published_at_2pct[k]:>16.0f}  {m:>6.1f} [{lo:.1f}, {hi:.1f}]"
                         f"   {self.published_share[k]:>26.2f}  {s:>6.2f} [{slo:.2f}, {shi:.2f}]")
        g, glo, ghi = self.simulated_gradient
        lines.append(f"distance gradient (Spearman, distance vs rise {self.years[0]}-{self.years[-1]}): "
                     f"NATO {self.published_gradient:.2f}, model median {g:.2f} [{glo:.2f}, {ghi:.2f}]")
        lines.append(f"({self.runs} runs; NATO revises figures by up to 0.3-0.4 points between editions)")
        return "\n".join(lines)


def published() -> tuple[list[int], list[float], list[float], float]:
    """What happened: allies at >= 2% (US included), Europe+Canada GDP-weighted share, gradient."""
    history = defence_share_history()
    years = list(HISTORY_YEARS)
    at2 = [sum(1 for c in history if history[c].get(y, np.nan) >= 2.0 - 1e-9) for y in years]
    shares = []
    for y in years:
        w = load_world(y)
        shares.append(float((w.gdp_usd_bn * w.defence_share).sum() / w.gdp_usd_bn.sum()))
    w0, w1 = load_world(years[0]), load_world(years[-1])
    has = (w0.defence_share > 0) & (w1.defence_share > 0)
    rise = (w1.defence_share - w0.defence_share)[has]
    gradient = float(stats.spearmanr(w0.distance_km[has], rise).statistic)
    return years, [float(a) for a in at2], shares, gradient


def replay(runs: int = 50, seed: int = 0, scenario: str = "replay_2014") -> ReplayScore:
    """Run the replay ``runs`` times and score it against the published figures."""
    spec = load_scenario(scenario)
    years, pub_at2, pub_share, pub_gradient = published()
    start_year = int(spec.start[:4])
    sim_at2, sim_share, sim_grad = [], [], []
    for k in range(runs):
        model = AllianceModel(spec, rng=run_seed(seed, k))
        start = np.array([a.share for a in model.ally_list])
        model.run()
        s = model.timeseries()
        # December of each year; +1 for the US, always above 2%, as NATO's count includes it.
        dec = [(y - start_year) * 12 + 11 for y in years]
        sim_at2.append([s["allies_at_2pct"][t] + 1 for t in dec])
        sim_share.append([s["spending_share"][t] for t in dec])
        end = np.array([a.share for a in model.ally_list])
        dist = np.array([a.distance_km for a in model.ally_list])
        has = start > 0
        sim_grad.append(stats.spearmanr(dist[has], (end - start)[has]).statistic)

    def band(x, axis=0):
        return np.percentile(np.asarray(x), [50, 5, 95], axis=axis)

    a = band(sim_at2)
    b = band(sim_share)
    return ReplayScore(
        years=years, published_at_2pct=pub_at2, simulated_at_2pct=[tuple(map(float, a[:, k])) for k in range(len(years))],
        published_share=pub_share, simulated_share=[tuple(map(float, b[:, k])) for k in range(len(years))],
        published_gradient=pub_gradient, simulated_gradient=tuple(map(float, band(sim_grad))), runs=runs,
    )
