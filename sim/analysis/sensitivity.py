"""Sensitivity indices with chance as a pseudo-parameter: Sobol (variance shares) and Morris
(elementary effects, for screening).

A run's outcome depends on its parameters and on chance (its seed: the random numbers of the
run, and the priors a design does not vary). The designs of :mod:`sim.experiments.design` treat
chance as one more parameter: in a Sobol design the rows an index compares share their seed
unless chance is the parameter being changed, so a parameter's index measures that parameter
and chance gets indices of its own.

Sobol indices (blocks A, B, AB_i of n base points each, chance the last AB block):

* first order, Saltelli et al. (2010), "Variance based sensitivity analysis of model output",
  Computer Physics Communications 181, eq. (b) of table 2: S_i = mean(f_B (f_AB_i - f_A)) / V;
* total order, Jansen (1999), "Analysis of variance designs for model output", Computer Physics
  Communications 117: ST_i = mean((f_A - f_AB_i)^2) / (2 V);

with V the variance of A and B together, outputs centred on their mean, as
``scipy.stats.sobol_indices`` computes them. Chance's total index is the expected variance
across seeds at fixed parameters, as a share of the output's variance: A and AB:chance are two
replications of the same n design points. Intervals: a BCa bootstrap over the base points (A, B
and every AB block resampled together).

Morris (1991), "Factorial sampling plans for preliminary computational experiments",
Technometrics 33: the elementary effect of a factor is the change in the outcome when the
factor alone moves one step (delta, in grid units) along a trajectory, divided by the step and
signed by its direction; mu is their mean, mu* the mean of their absolute values (Campolongo,
Cariboni and Saltelli 2007), sigma their standard deviation. Intervals of mu*: a percentile
bootstrap over trajectories.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

LEVEL = 0.95
BOOTSTRAP = 999


def saltelli_jansen(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices; any leading batch axes.

    ``f_a``, ``f_b``: (..., n); ``f_ab``: (d, ..., n). Returns two arrays (d, ...). An output
    with no variance has no variance to share: its indices are 0, as scipy's.
    """
    both = np.concatenate([f_a, f_b], axis=-1)
    mean = both.mean(axis=-1, keepdims=True)
    var = both.var(axis=-1)
    a, b, ab = f_a - mean, f_b - mean, f_ab - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.mean(b * (ab - a), axis=-1) / var
        total = 0.5 * np.mean((a - ab) ** 2, axis=-1) / var
    return np.where(np.isfinite(first), first, 0.0), np.where(np.isfinite(total), total, 0.0)


def sobol(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, level: float = LEVEL,
          resamples: int = BOOTSTRAP, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """First-order and total Sobol indices from the values at blocks A (n), B (n) and AB (d, n),
    with BCa bootstrap intervals over the n base points (seeded: ``rng``, default seed 0)."""
    f_a, f_b, f_ab = (np.asarray(v, dtype=float) for v in (f_a, f_b, f_ab))
    d, n = f_ab.shape
    first, total = saltelli_jansen(f_a, f_b, f_ab)
    low = high = np.full(2 * d, np.nan)
    if resamples > 0:

        def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
            s, st = saltelli_jansen(f_a[idx], f_b[idx], f_ab[:, idx])
            return np.concatenate([s, st], axis=0)

        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            # A constant outcome has no variance to share out: degenerate, NaN intervals.
            warnings.simplefilter("ignore", RuntimeWarning)
            boot = stats.bootstrap((np.arange(n),), statistic, n_resamples=resamples, confidence_level=level,
                                   method="BCa", vectorized=True, batch=100,
                                   rng=rng if rng is not None else np.random.default_rng(0))
        low, high = np.asarray(boot.confidence_interval.low), np.asarray(boot.confidence_interval.high)
        # Every resample gave the same index (a parameter with no effect at all): that is its interval.
        dist = np.asarray(boot.bootstrap_distribution)
        flat = np.ptp(dist, axis=-1) == 0
        low, high = np.where(flat, dist[:, 0], low), np.where(flat, dist[:, 0], high)
    return {"first_order": first, "first_low": low[:d], "first_high": high[:d],
            "total_order": total, "total_low": low[d:], "total_high": high[d:]}


def morris_step(levels: int) -> float:
    """Morris's step in grid units, levels / (2 (levels - 1)): 2/3 for 4 levels."""
    return levels / (2 * (levels - 1))


def elementary_effects(y: np.ndarray, moved: np.ndarray, direction: np.ndarray, factors: int,
                       levels: int) -> np.ndarray:
    """The elementary effects (trajectories, factors) of trajectories laid out as in
    :func:`sim.experiments.design.morris_trajectories`.

    ``y``, ``moved``, ``direction``: (trajectories, factors + 1) per point: the outcome, the
    factor that moved to reach it (-1 at the start) and the sign of its move (+1 up, -1 down).
    """
    y, moved, direction = (np.asarray(v) for v in (y, moved, direction))
    r = y.shape[0]
    if y.shape != (r, factors + 1) or moved.shape != y.shape or direction.shape != y.shape:
        raise ValueError(f"expected ({r}, {factors + 1}) arrays of outcomes, moved factors and directions, "
                         f"got {y.shape}, {moved.shape}, {direction.shape}")
    ee = np.full((r, factors), np.nan)
    rows = np.repeat(np.arange(r), factors)
    which = moved[:, 1:].ravel()
    ee[rows, which] = (np.diff(y, axis=1) * direction[:, 1:]).ravel() / morris_step(levels)
    return ee


def morris(ee: np.ndarray, *, level: float = LEVEL, resamples: int = BOOTSTRAP,
           rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """mu, mu*, sigma of elementary effects (trajectories, factors), with a percentile bootstrap
    interval of mu* over trajectories (seeded: ``rng``, default seed 0)."""
    ee = np.asarray(ee, dtype=float)
    r, k = ee.shape
    mu, mu_star = ee.mean(axis=0), np.abs(ee).mean(axis=0)
    sigma = ee.std(axis=0, ddof=1) if r > 1 else np.full(k, np.nan)
    low = high = np.full(k, np.nan)
    if resamples > 0 and r > 1:
        rng = rng if rng is not None else np.random.default_rng(0)
        idx = rng.integers(0, r, size=(resamples, r))
        boot = np.abs(ee)[idx].mean(axis=1)  # (resamples, factors)
        low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return {"mu": mu, "mu_star": mu_star, "mu_star_low": low, "mu_star_high": high, "sigma": sigma}


def above(low: np.ndarray, reference_high: float) -> np.ndarray:
    """Whether each interval lies wholly above the reference's interval (NaN: not above)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(low, dtype=float) > float(reference_high)
