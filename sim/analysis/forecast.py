"""Rolling-origin out-of-sample forecasts of each ally's defence share, scored against baselines.

Protocol (Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*, rolling origin;
Gneiting and Raftery 2007 on proper scores): for each origin year, forecast every ally's NATO
share one and two years ahead from the share observed at the origin, using nothing published
after the origin, and score the forecasts against what NATO published (Aug 2025 edition).

Three forecasters, each giving a point and a predictive sample:

* **persistence**: the origin's share; its range is the origin's share plus every h-year change
  of any ally observed up to the origin (its own past errors);
* **trend**: the origin's share plus h times the ally's least-squares slope over 2014 to the
  origin; its range adds the errors the same trend made at earlier origins (forecasts whose
  target year is at or before the origin);
* **model**: the fast engine started at the origin (``world.calibration_year`` = origin, the
  origin's shares), its spending parameters drawn from the posterior fitted on years up to the
  origin, every other parameter from its prior; the only later fact it is given is an
  exogenous shock in the window (the full invasion of February 2022, for the origin 2021), as a
  scenario would. Pledges count if made by the origin (Wales 2014: 2% by 2024; at the origin
  2023 also Vilnius's "at least 2%", the same floor). The point is the median run.

Scores per origin and horizon, over the allies with a figure: mean absolute error of the
point, the continuous ranked probability score of the sample (CRPS, written here:
E|X - y| - E|X - X'| / 2 over the sample, with its weights), and the share of figures inside
the central 50% and 90% ranges of the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.calibration.fit import FIRST_YEAR, PRIOR_SCENARIO, Posterior, Target, fit
from sim.calibration.trajectories import yearly_shares
from sim.engines.runner import run_seed
from sim.model.loading import load_scenario
from sim.model.scenario import Scenario
from sim.model.world import ALLIES, defence_share_history, load_world

ORIGINS = (2017, 2019, 2021, 2023)
HORIZONS = (1, 2)
METHODS = ("model", "persistence", "trend")


def crps_sample(samples: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """CRPS of each row's sample [cases, m] (weights [cases, m] or [m], default equal) at y [cases].

    CRPS(F, y) = E|X - y| - E|X - X'| / 2 for X, X' independent draws from F. With the sample
    sorted and weights w_i summing to one, E|X - X'| = 2 sum_i w_i x_i (2 W_{i-1} + w_i - 1),
    W the cumulative weight: O(m log m) instead of O(m^2)."""
    x = np.asarray(samples, dtype=float)
    w = np.ones_like(x) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    order = np.argsort(x, axis=1, kind="stable")
    x = np.take_along_axis(x, order, axis=1)
    w = np.take_along_axis(w, order, axis=1)
    w = w / w.sum(axis=1, keepdims=True)
    before = np.cumsum(w, axis=1) - w
    spread = 2.0 * (w * x * (2.0 * before + w - 1.0)).sum(axis=1)
    return (w * np.abs(x - np.asarray(y, dtype=float)[:, None])).sum(axis=1) - 0.5 * spread


def central_range(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` range of each row's sample (linear-interpolated quantiles)."""
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=1)
    return lo, hi


@dataclass(frozen=True)
class Forecast:
    """One method's forecasts from one origin at one horizon: point and sample per ally."""

    method: str
    origin: int
    horizon: int
    codes: list[str]
    observed: np.ndarray     # [allies] NATO's figure for origin + horizon
    point: np.ndarray        # [allies]
    samples: np.ndarray      # [allies, m]

    def scores(self) -> dict[str, float]:
        y = self.observed
        lo50, hi50 = central_range(self.samples, 0.5)
        lo90, hi90 = central_range(self.samples, 0.9)
        return {
            "method": self.method, "origin": self.origin, "horizon": self.horizon, "allies": len(y),
            "mae": float(np.abs(self.point - y).mean()),
            "crps": float(crps_sample(self.samples, y).mean()),
            "coverage_50": float(((lo50 <= y) & (y <= hi50)).mean()),
            "coverage_90": float(((lo90 <= y) & (y <= hi90)).mean()),
            "width_90": float((hi90 - lo90).mean()),
        }


def scored_allies(origin: int, horizon: int, history: dict[str, dict[int, float]] | None = None) -> list[str]:
    """The model's allies with a positive NATO figure at the origin and at origin + horizon."""
    hist = defence_share_history() if history is None else history
    return [c for c in ALLIES if hist.get(c, {}).get(origin, 0) > 0 and hist.get(c, {}).get(origin + horizon, 0) > 0]


def _series(hist: dict[str, dict[int, float]], code: str, last: int) -> tuple[np.ndarray, np.ndarray]:
    years = np.array([y for y in sorted(hist.get(code, {})) if FIRST_YEAR <= y <= last])
    return years, np.array([hist[code][y] for y in years])


def persistence(origin: int, horizon: int, codes: Sequence[str], hist: dict[str, dict[int, float]]) -> Forecast:
    """The origin's share, with the h-year changes of every ally up to the origin as its range."""
    changes = [hist[c][t] - hist[c][t - horizon] for c in hist for t in range(FIRST_YEAR + horizon, origin + 1)
               if t in hist[c] and t - horizon in hist[c] and c in ALLIES]
    s0 = np.array([hist[c][origin] for c in codes])
    return Forecast("persistence", origin, horizon, list(codes), np.array([hist[c][origin + horizon] for c in codes]),
                    s0, s0[:, None] + np.array(changes)[None, :])


def _slope(years: np.ndarray, values: np.ndarray) -> float:
    if len(years) < 2:
        return 0.0
    return float(np.polyfit(years - years.mean(), values, 1)[0])


def trend(origin: int, horizon: int, codes: Sequence[str], hist: dict[str, dict[int, float]]) -> Forecast:
    """The origin's share plus h times the slope over 2014..origin, with the trend's own errors at
    earlier origins (target years up to the origin) as its range."""
    errors = []
    for c in ALLIES:
        for o in range(FIRST_YEAR + 1, origin - horizon + 1):
            years, values = _series(hist, c, o)
            if o in hist.get(c, {}) and o + horizon in hist[c] and len(years) >= 2:
                errors.append(hist[c][o + horizon] - (hist[c][o] + horizon * _slope(years, values)))
    point = np.array([hist[c][origin] + horizon * _slope(*_series(hist, c, origin)) for c in codes])
    return Forecast("trend", origin, horizon, list(codes), np.array([hist[c][origin + horizon] for c in codes]),
                    point, point[:, None] + np.array(errors)[None, :])


def origin_scenario(origin: int, horizon: int = max(HORIZONS), prior: str | Scenario = PRIOR_SCENARIO) -> Scenario:
    """The model at the origin: January after it, for ``horizon`` years, with the origin's data,
    Russia's spending share of the origin (SIPRI), and only the shocks in the window. After
    February 2022 the war already absorbs part of Russia's force at the start (the replay's
    pre-war range plus the invasion's)."""
    sc = load_scenario(prior) if isinstance(prior, str) else prior
    start, end = f"{origin + 1}-01", f"{origin + horizon}-12"
    data = sc.model_dump(exclude_none=True)
    data["world"] = {**data.get("world", {}), "calibration_year": origin}
    data["adversary"] = {**data["adversary"], "defence_share": float(load_world(origin).russia_defence_share)}
    if origin >= 2022:
        data["adversary"]["ukraine_absorption"] = {"dist": "uniform", "low": 0.4, "high": 0.8}
    data["events"] = [e for e in data.get("events", []) if e.get("month") and start <= e["month"] <= end]
    data.update(name=f"forecast_from_{origin}", start=start, horizon_months=12 * horizon)
    return Scenario.model_validate(data)


def model_forecasts(origin: int, posterior: Posterior | None, codes_by_horizon: dict[int, list[str]],
                    hist: dict[str, dict[int, float]], runs: int = 1000, seed: int = 0,
                    prior: str | Scenario = PRIOR_SCENARIO) -> list[Forecast]:
    """The model's forecasts from ``origin``: one fast-engine batch of ``runs`` runs, each with
    a particle of ``posterior`` (or every parameter from its prior, if None)."""
    sc = origin_scenario(origin, max(codes_by_horizon), prior)
    seeds = [run_seed(seed, k) for k in range(runs)]
    fixed = None
    if posterior is not None:
        from sim.model.parameters import judgement_parameters

        known = set(judgement_parameters(sc))
        u = np.random.default_rng([seed, origin]).random(runs)
        drawn = posterior.draw(u)
        fixed = {n: drawn[:, k] for k, n in enumerate(posterior.names) if n in known}
    years, shares = yearly_shares(sc, seeds, fixed)
    world = load_world(origin)
    out = []
    for h, codes in sorted(codes_by_horizon.items()):
        idx = [world.index(c) for c in codes]
        samples = shares[:, years.index(origin + h), idx].T
        out.append(Forecast("model", origin, h, list(codes), np.array([hist[c][origin + h] for c in codes]),
                            np.median(samples, axis=1), samples))
    return out


@dataclass(frozen=True)
class RollingOrigin:
    """Every forecast of a rolling-origin evaluation, and the posteriors fitted at each origin."""

    forecasts: list[Forecast]
    posteriors: dict[int, Posterior]

    def table(self) -> list[dict[str, float]]:
        return [f.scores() for f in self.forecasts]


def rolling_origin(origins: Sequence[int] = ORIGINS, *, runs: int = 1000, seed: int = 0, particles: int = 300,
                   generations: int = 5, posteriors: dict[int, Posterior] | None = None,
                   progress: Callable[[str], None] | None = None) -> RollingOrigin:
    """Fit at each origin on years up to it (unless ``posteriors`` gives the fit), forecast, score."""
    hist = defence_share_history()
    fitted = dict(posteriors or {})
    forecasts: list[Forecast] = []
    for origin in origins:
        if origin not in fitted:
            fitted[origin] = fit(Target.nato(origin), particles=particles, generations=generations, seed=seed,
                                 progress=progress)
        codes = {h: scored_allies(origin, h, hist) for h in HORIZONS if origin + h <= max(max(v) for v in hist.values())}
        forecasts += model_forecasts(origin, fitted[origin], codes, hist, runs=runs, seed=seed)
        for h, c in codes.items():
            forecasts += [persistence(origin, h, c, hist), trend(origin, h, c, hist)]
    return RollingOrigin(forecasts, fitted)
