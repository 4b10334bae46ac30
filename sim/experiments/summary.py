"""A short summary of a result folder: mean and 90% interval of the main outcomes.

The 90% interval here is the spread across runs (5th to 95th percentile), not a confidence
interval of the mean; for 0/1 outcomes the share of runs, with a Wilson 95% interval.
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
    return "\n".join(lines)
