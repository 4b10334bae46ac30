"""A short summary of a result folder: mean and 90% interval of the main outcomes.

The 90% interval here is the spread across runs (5th to 95th percentile), not a confidence
interval of the mean; for 0/1 outcomes the share of runs, with a Wilson 95% interval. A count
that is zero in most runs and large in a few (incursions: none in 90-99% of runs, a hundred in
some) has a mean outside its own 5-95% range: it is given as the probability of any (Wilson)
and, in the runs with any, the median and mean with bootstrap 95% intervals (``rare_count``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

from sim.model.outcomes import MAIN_OUTCOMES, OUTCOMES


@functools.lru_cache(maxsize=4096)
def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927, JASA 22(158)) at confidence ``level`` for ``successes``
    out of ``n``: ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``, exactly
    0 (1) when no run (every run) succeeds; NaN for no run."""
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return (max(0.0, float(ci.low)), min(1.0, float(ci.high)))


RARE_SHARE = 0.5  # a count that is zero in at least this share of runs is summarised as rare
COUNT_UNITS = ("moves", "allies")
BOOTSTRAP_RESAMPLES = 999
BOOTSTRAP_SEED = 20260512  # fixed: the same runs give the same intervals, byte for byte


def is_rare_count(x, unit: str) -> bool:
    """A count (allies, moves) that is zero in at least RARE_SHARE of the runs with a value."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return unit in COUNT_UNITS and x.size > 0 and bool((x == 0).mean() >= RARE_SHARE)


def bootstrap_interval(x: np.ndarray, statistic, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` (a numpy reduction taking ``axis``): it
    lies within the range of the values, so a count's interval is never negative. NaN for fewer
    than two values or when they are all alike (then there is nothing to resample)."""
    x = np.asarray(x, dtype=float)
    if x.size < 2 or np.all(x == x[0]):
        return (math.nan, math.nan) if x.size < 2 else (float(x[0]), float(x[0]))
    res = stats.bootstrap((x,), statistic, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=level,
                          method="percentile", vectorized=True, rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def rare_count(x) -> dict[str, float]:
    """A rare count: ``runs``, ``any`` (runs with at least one), ``p_any`` with its Wilson
    interval (``p_low``, ``p_high``), and in the runs with any the ``median`` and ``mean`` with
    percentile-bootstrap 95% intervals (``median_low`` ...)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    some = x[x > 0]
    lo, hi = wilson_interval(some.size, x.size)
    out = {"runs": x.size, "any": some.size, "p_any": some.size / x.size if x.size else math.nan,
           "p_low": lo, "p_high": hi}
    for name, fn in (("median", np.median), ("mean", np.mean)):
        out[name] = float(fn(some)) if some.size else math.nan
        out[f"{name}_low"], out[f"{name}_high"] = bootstrap_interval(some, fn)
    return out


def rare_count_text(r: dict[str, float]) -> str:
    """'P(any) 0.050 [0.03, 0.07]; if any (20 runs): median 104 [101, 106], mean 104.3 [102, 106]'."""
    text = f"P(any) {r['p_any']:.3f}  [{r['p_low']:.3f}, {r['p_high']:.3f}]"
    if not r["any"]:
        return text + "; none in any run"
    fmt = lambda v: "n/a" if math.isnan(v) else f"{v:,.3g}"  # noqa: E731
    return (text + f"; if any ({r['any']:,} runs): median {fmt(r['median'])} [{fmt(r['median_low'])}, "
            f"{fmt(r['median_high'])}], mean {fmt(r['mean'])} [{fmt(r['mean_low'])}, {fmt(r['mean_high'])}]")


def summary_rows(columns: dict[str, np.ndarray]) -> list[tuple[str, str, str]]:
    """(outcome, unit, 'mean [p5, p95]' or 'p [wilson]') for the main outcomes and signposts."""
    rows = []
    names = [n for n in MAIN_OUTCOMES if n in columns]
    names += [n for n in columns if n.startswith("signpost.") and not n.endswith(".month")]
    for name in names:
        x = np.asarray(columns[name], dtype=float)
        x = x[~np.isnan(x)]
        if x.size == 0:
            rows.append((name, "", "no successful run"))
            continue
        unit = OUTCOMES[name].unit if name in OUTCOMES else "0/1"
        if unit == "0/1":
            k = int(x.sum())
            lo, hi = wilson_interval(k, x.size)
            rows.append((name, "probability", f"{k / x.size:.3f}  [{lo:.3f}, {hi:.3f}]"))
        elif is_rare_count(x, unit):
            rows.append((name, unit, rare_count_text(rare_count(x))))
        else:
            p5, p95 = np.percentile(x, [5, 95])
            rows.append((name, unit, f"{x.mean():.3g}  [{p5:.3g}, {p95:.3g}]"))
    return rows


def format_summary(title: str, n_ok: int, n_failed: int, rows) -> str:
    w = max(len(r[0]) for r in rows) if rows else 10
    u = max(len(r[1]) for r in rows) if rows else 5
    lines = [f"{title}: {n_ok} runs" + (f", {n_failed} failed" if n_failed else ""),
             f"{'outcome':<{w}}  {'unit':<{u}}  mean  [5%, 95% of runs]  (0/1: share [Wilson 95%])"]
    lines += [f"{a:<{w}}  {b:<{u}}  {c}" for a, b, c in rows]
    if any(c.startswith("P(any)") for _, _, c in rows):
        lines.append("P(any): a count that is zero in most runs, as the share of runs with any [Wilson 95%] and, "
                     "in those runs, its median and mean [percentile bootstrap 95%]")
    return "\n".join(lines)
