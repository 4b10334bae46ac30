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
  2023 also Vilnius's "at least 2%", the same floor), and so do national budget laws made by the
  origin (``budget_law`` events of ``scenarios/budget_laws.yaml``; all were made in 2025). The
  point is the median run;
* **model + own errors**: the model's ensemble dressed with the model's own past errors, as the
  baselines' ranges come from theirs. At the origin the same forecaster (the origin's posterior)
  is started at every earlier year t with the shares observed at t and run h years, for every
  t with t + h <= the origin; each ally's residual, NATO's figure minus the median run, goes
  into a pool per horizon, and every member of the ensemble gets one residual drawn from the
  pool (seeded). This is kernel dressing of an ensemble (Roulston and Smith 2003, "Combining
  dynamical and statistical ensembles", Tellus A 55; Wang and Bishop 2005, QJRMS 131) with the
  empirical residuals as kernel, in the spirit of split-conformal intervals (Vovk et al. 2005):
  what the ensemble lacks (the year-to-year variation of national budgets, revisions, the bias
  of the median run) is taken from how the model erred before the origin. The residuals are of
  the median run, so they already hold part of the ensemble's own spread: the dressed sample
  counts that part twice (Wang and Bishop shrink the kernel for this); with the raw ranges
  several times narrower than the residuals' the excess is small, and it is measured, not
  assumed. The point is the dressed sample's median (so the dressing also removes the median
  run's past bias). Residuals of years up to the origin only: the posterior is fitted on the
  same years, so the hindcasts are in sample for the parameters and may err less than the
  forecast will.

Scores per origin and horizon, over the allies with a figure: mean absolute error of the
point, the continuous ranked probability score of the sample (CRPS, written here:
E|X - y| - E|X - X'| / 2 over the sample, with its weights), and the share of figures inside
the central 50% and 90% ranges of the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sim.calibration.fit import FIRST_YEAR, PRIOR_SCENARIO, Posterior, Target, fit
from sim.calibration.trajectories import yearly_shares
from sim.engines.runner import run_seed
from sim.model.loading import SCENARIO_DIR, load_scenario
from sim.model.scenario import Scenario
from sim.model.world import ALLIES, defence_share_history, load_world

ORIGINS = (2017, 2019, 2021, 2023)
HORIZONS = (1, 2)
DRESSED = "model + own errors"
MODELS = ("model", DRESSED)
METHODS = (*MODELS, "persistence", "trend")
LAWS_SCENARIO = "budget_laws"
HINDCAST_RUNS = 200


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
    observed: np.ndarray     # [allies] NATO's figure for origin + horizon (NaN where not yet published)
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

    def ranges(self) -> list[dict]:
        """Per ally: the median and the 50% and 90% ranges of the predictive sample."""
        q = np.quantile(self.samples, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
        return [{"method": self.method, "origin": self.origin, "year": self.origin + self.horizon, "ally": c,
                 "point": float(self.point[k]), "median": float(q[2, k]), "low_50": float(q[1, k]),
                 "high_50": float(q[3, k]), "low_90": float(q[0, k]), "high_90": float(q[4, k])}
                for k, c in enumerate(self.codes)]


def _observed(hist: dict[str, dict[int, float]], codes: Sequence[str], year: int) -> np.ndarray:
    return np.array([hist.get(c, {}).get(year, np.nan) for c in codes], dtype=float)


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
    return Forecast("persistence", origin, horizon, list(codes), _observed(hist, codes, origin + horizon),
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
    return Forecast("trend", origin, horizon, list(codes), _observed(hist, codes, origin + horizon),
                    point, point[:, None] + np.array(errors)[None, :])


def laws_made_by(origin: int, scenario: str = LAWS_SCENARIO) -> list[dict]:
    """The ``budget_law`` events of a scenario file made by December of ``origin``, as written
    (paths by year, the month the law was made): the expansion into yearly floors depends on
    the forecast's start, so it is left to :func:`origin_scenario`."""
    from sim.model.yamlfile import plain, read

    path = SCENARIO_DIR / f"{scenario}.yaml"
    problems: list = []
    tree = read(path, path.name, problems)
    if tree is None:
        raise ValueError(f"cannot read the budget laws in {path}: {problems}")
    events = (plain(tree) or {}).get("events") or []
    return [dict(e) for e in events
            if isinstance(e, dict) and e.get("kind") == "budget_law" and str(e.get("month")) <= f"{origin}-12"]


def origin_scenario(origin: int, horizon: int = max(HORIZONS), prior: str | Scenario = PRIOR_SCENARIO,
                    laws: Sequence[dict] = ()) -> Scenario:
    """The model at the origin: January after it, for ``horizon`` years, with the origin's data,
    Russia's spending share of the origin (SIPRI), only the shocks in the window, and the budget
    ``laws`` given (those made by the origin, :func:`laws_made_by`). After February 2022 the war
    already absorbs part of Russia's force at the start (the replay's pre-war range plus the
    invasion's)."""
    sc = load_scenario(prior) if isinstance(prior, str) else prior
    start, end = f"{origin + 1}-01", f"{origin + horizon}-12"
    data = sc.model_dump(exclude_none=True)
    data["world"] = {**data.get("world", {}), "calibration_year": origin}
    data["adversary"] = {**data["adversary"], "defence_share": float(load_world(origin).russia_defence_share)}
    if origin >= 2022:
        data["adversary"]["ukraine_absorption"] = {"dist": "uniform", "low": 0.4, "high": 0.8}
    data["events"] = [e for e in data.get("events", []) if e.get("month") and start <= e["month"] <= end]
    data["events"] += [{**law, "month": str(law["month"])} for law in laws if str(law["month"]) <= f"{origin}-12"]
    data.update(name=f"forecast_from_{origin}", start=start, horizon_months=12 * horizon)
    return Scenario.model_validate(data)


def model_forecasts(origin: int, posterior: Posterior | None, codes_by_horizon: dict[int, list[str]],
                    hist: dict[str, dict[int, float]], runs: int = 1000, seed: int = 0,
                    prior: str | Scenario = PRIOR_SCENARIO, laws: Sequence[dict] = ()) -> list[Forecast]:
    """The model's forecasts from ``origin``: one fast-engine batch of ``runs`` runs, each with
    a particle of ``posterior`` (or every parameter from its prior, if None)."""
    sc = origin_scenario(origin, max(codes_by_horizon), prior, laws)
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
        out.append(Forecast("model", origin, h, list(codes), _observed(hist, codes, origin + h),
                            np.median(samples, axis=1), samples))
    return out


def hindcast_errors(origin: int, posterior: Posterior | None, hist: dict[str, dict[int, float]],
                    runs: int = HINDCAST_RUNS, seed: int = 0, prior: str | Scenario = PRIOR_SCENARIO,
                    horizons: Sequence[int] = HORIZONS) -> dict[int, np.ndarray]:
    """The model's own past errors at ``origin``, per horizon: NATO's figure minus the median run,
    for each ally, of the forecasts made with ``posterior`` from every year t since 2014 with
    t + h <= origin (started at the shares observed at t, with the laws made by t). Nothing
    after the origin is read: the targets are at most the origin's year."""
    pooled: dict[int, list[np.ndarray]] = {h: [] for h in horizons}
    for t in range(FIRST_YEAR, origin):
        codes = {h: scored_allies(t, h, hist) for h in horizons if t + h <= origin}
        codes = {h: c for h, c in codes.items() if c}
        if not codes:
            continue
        for f in model_forecasts(t, posterior, codes, hist, runs=runs, seed=seed, prior=prior, laws=laws_made_by(t)):
            pooled[f.horizon].append(f.observed - f.point)
    return {h: np.concatenate(v) for h, v in pooled.items() if v}


def dress(f: Forecast, errors: np.ndarray, seed: int = 0) -> Forecast:
    """The model's ensemble with one of its own past errors (``errors``, drawn with replacement,
    seeded by the origin and horizon) added to each member of each ally's sample."""
    errors = np.asarray(errors, dtype=float)
    if errors.size == 0:
        raise ValueError(f"no past errors to dress the forecast from {f.origin}, {f.horizon} year(s) ahead")
    pick = np.random.default_rng([seed, f.origin, f.horizon, 7]).integers(errors.size, size=f.samples.shape)
    samples = f.samples + errors[pick]
    return replace(f, method=DRESSED, point=np.median(samples, axis=1), samples=samples)


def model_variants(origin: int, posterior: Posterior | None, codes_by_horizon: dict[int, list[str]],
                   hist: dict[str, dict[int, float]], runs: int = 1000, seed: int = 0,
                   hindcast_runs: int = HINDCAST_RUNS, prior: str | Scenario = PRIOR_SCENARIO) -> list[Forecast]:
    """The model alone and the model dressed with its own errors before the origin, from
    ``origin``, with the budget laws made by the origin."""
    raw = model_forecasts(origin, posterior, codes_by_horizon, hist, runs=runs, seed=seed, prior=prior,
                          laws=laws_made_by(origin))
    errors = hindcast_errors(origin, posterior, hist, runs=hindcast_runs, seed=seed, prior=prior,
                             horizons=sorted(codes_by_horizon))
    return raw + [dress(f, errors[f.horizon], seed) for f in raw]


@dataclass(frozen=True)
class RollingOrigin:
    """Every forecast of a rolling-origin evaluation, and the posteriors fitted at each origin."""

    forecasts: list[Forecast]
    posteriors: dict[int, Posterior]

    def table(self) -> list[dict[str, float]]:
        return [f.scores() for f in self.forecasts]


def rolling_origin(origins: Sequence[int] = ORIGINS, *, runs: int = 1000, seed: int = 0, particles: int = 300,
                   generations: int = 5, posteriors: dict[int, Posterior] | None = None,
                   progress: Callable[[str], None] | None = None, hindcast_runs: int = HINDCAST_RUNS) -> RollingOrigin:
    """Fit at each origin on years up to it (unless ``posteriors`` gives the fit), forecast, score."""
    hist = defence_share_history()
    fitted = dict(posteriors or {})
    forecasts: list[Forecast] = []
    for origin in origins:
        if origin not in fitted:
            fitted[origin] = fit(Target.nato(origin), particles=particles, generations=generations, seed=seed,
                                 progress=progress)
        codes = {h: scored_allies(origin, h, hist) for h in HORIZONS if origin + h <= max(max(v) for v in hist.values())}
        forecasts += model_variants(origin, fitted[origin], codes, hist, runs=runs, seed=seed,
                                    hindcast_runs=hindcast_runs)
        for h, c in codes.items():
            forecasts += [persistence(origin, h, c, hist), trend(origin, h, c, hist)]
    return RollingOrigin(forecasts, fitted)


FUTURE_ORIGIN = 2025
FUTURE_POSTERIOR = "calibration/2014-2025"


def future_forecasts(posterior: Posterior | None = None, origin: int = FUTURE_ORIGIN, *, runs: int = 1000,
                     seed: int = 0, hindcast_runs: int = HINDCAST_RUNS,
                     hist: dict[str, dict[int, float]] | None = None) -> list[Forecast]:
    """Every method's forecast of the years after the last published one: from ``origin``
    (default 2025, the shipped posterior fitted on 2014-2025 unless ``posterior`` is given), each
    ally with a figure at the origin, one and two years ahead; ``observed`` is NaN until NATO
    publishes those years. The budget laws made by the origin count."""
    from sim.calibration import posterior as posteriors

    hist = defence_share_history() if hist is None else hist
    post = posteriors.load(FUTURE_POSTERIOR) if posterior is None else posterior
    codes = [c for c in ALLIES if hist.get(c, {}).get(origin, 0) > 0]
    by_h = {h: codes for h in HORIZONS}
    out = model_variants(origin, post, by_h, hist, runs=runs, seed=seed, hindcast_runs=hindcast_runs)
    for h in HORIZONS:
        out += [persistence(origin, h, codes, hist), trend(origin, h, codes, hist)]
    order = {m: k for k, m in enumerate(METHODS)}
    return sorted(out, key=lambda f: (f.horizon, order[f.method]))
