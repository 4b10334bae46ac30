"""Who pays: each group's loss of credibility against the status quo, by horizon, and the brief's
claims about who pays, each tested with its interval.

The brief ("Who Pays"): the Baltic states take an "immediate credibility hit" and their
"operational risk grows over months as withdrawal is implemented"; for Germany the consequences
are "medium to long-term ... slow-burn". The model can represent this since allies read
evidence about the guarantee with the attention their dependence on US escalation dominance
gives them (:func:`sim.model.rules.credibility.attention`; ``beliefs.dependence_attention``).
Whether the claims hold is what this module measures; nothing in the model is tuned to them.

A loss is the paired difference ``reference - future`` of a group's mean credibility at a
horizon (the same seeds in both: common random numbers), so a positive loss is a hit. Each
claim is a contrast of losses with a minimum size that matters, fixed before any run:
:data:`MIN_EFFECT` (one point of credibility, 0.01, the smallest difference the report prints
as a difference). A claim *holds* when its 95% interval lies above the minimum, is *reversed*
when it lies below its negative, and is otherwise *not resolved* (too small or too uncertain).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

HORIZONS = (3, 12, 36, 120)
"""Months from the start at which losses are read (the month's index is the horizon - 1)."""

GROUPS = ("baltic", "germany", "frontline", "eastern_flank", "western")
"""Groups with a credibility series (``credibility_<group>`` in :mod:`sim.model.outcomes`)."""

MIN_EFFECT = 0.01
LEVEL = 0.95


@dataclass(frozen=True)
class Claim:
    """A claim of the brief as a contrast of losses: loss(group, horizon) - loss(versus, at)."""

    id: str
    text: str
    group: str
    horizon: int
    versus: str
    versus_horizon: int


CLAIMS = (
    Claim("baltic_hit_first", "The Baltic states take the immediate credibility hit: at 3 months "
          "they have lost more than Germany", "baltic", 3, "germany", 3),
    Claim("baltic_above_west", "The Baltic states lose more than the allies outside the eastern "
          "flank at 3 months", "baltic", 3, "western", 3),
    Claim("baltic_risk_grows", "The Baltic states' loss grows over months as the withdrawal is "
          "implemented: larger at 12 months than at 3", "baltic", 12, "baltic", 3),
    Claim("germany_slow_burn", "Germany pays slowly: its loss is larger at 36 months than at 3",
          "germany", 36, "germany", 3),
)


def _interval(x: np.ndarray) -> tuple[float, float, float, float, float]:
    """Mean, t interval of the mean, and the 5-95% spread of ``x`` across runs."""
    x = x[np.isfinite(x)]
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + LEVEL / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else np.nan
    p5, p95 = np.percentile(x, [5, 95])
    return m, m - half, m + half, float(p5), float(p95)


def losses(future: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[tuple[str, int], np.ndarray]:
    """Per run, each group's loss at each horizon: reference - future (series [runs, months],
    rows paired by replication)."""
    out = {}
    for g in GROUPS:
        k = f"credibility_{g}"
        for h in HORIZONS:
            out[g, h] = reference[k][:, h - 1] - future[k][:, h - 1]
    return out


def verdict(low: float, high: float) -> str:
    if low >= MIN_EFFECT:
        return "holds"
    if high <= -MIN_EFFECT:
        return "reversed"
    return "not resolved"


def who_pays(future: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> tuple[list[dict], list[dict]]:
    """(losses by group and horizon, claims): rows of dicts, for one future against the reference."""
    loss = losses(future, reference)
    rows = []
    for (g, h), x in loss.items():
        m, lo, hi, p5, p95 = _interval(x)
        rows.append({"group": g, "horizon_months": h, "loss": m, "ci_low": lo, "ci_high": hi,
                     "p05": p5, "p95": p95, "n_pairs": int(np.isfinite(x).sum())})
    claims = []
    for c in CLAIMS:
        m, lo, hi, p5, p95 = _interval(loss[c.group, c.horizon] - loss[c.versus, c.versus_horizon])
        claims.append({"claim": c.id, "text": c.text, "contrast": m, "ci_low": lo, "ci_high": hi,
                       "p05": p5, "p95": p95, "min_effect": MIN_EFFECT, "verdict": verdict(lo, hi)})
    return rows, claims


def series_by_scenario(timeseries: Path) -> dict[str, dict[str, np.ndarray]]:
    """A sweep's ``timeseries.parquet`` as {scenario: {series: [replications, months]}}, rows in
    replication order (design point 0: the futures' replications)."""
    import pyarrow.parquet as pq

    names = [f"credibility_{g}" for g in GROUPS]
    t = pq.read_table(timeseries, columns=["scenario", "design_point", "replication", "month", *names])
    df = t.to_pandas()
    df = df[df["design_point"] == 0]
    out: dict[str, dict[str, np.ndarray]] = {}
    for scenario, part in df.groupby("scenario", sort=False):
        part = part.sort_values(["replication", "month"])
        reps, months = part["replication"].nunique(), part["month"].nunique()
        out[str(scenario)] = {k: part[k].to_numpy().reshape(reps, months) for k in names}
    return out


def tables(folder: Path, pairs: list[tuple[str, str]]) -> tuple[list[dict], list[dict]]:
    """The who-pays tables of a result folder for each ``(future, reference)`` pair of scenarios
    whose monthly series it kept (empty when it kept none)."""
    path = Path(folder) / "timeseries.parquet"
    if not path.exists():
        return [], []
    names = {a for pair in pairs for a in pair}
    series = series_by_scenario(path)
    if not names <= set(series) or any(next(iter(series[s].values())).shape[1] < max(HORIZONS) for s in names):
        return [], []
    groups, claims = [], []
    for future, reference in pairs:
        a, b = series[future], series[reference]
        n = min(len(a["credibility_baltic"]), len(b["credibility_baltic"]))
        rows, cl = who_pays({k: v[:n] for k, v in a.items()}, {k: v[:n] for k, v in b.items()})
        head = {"future": future, "reference": reference}
        groups += [{**head, **r} for r in rows]
        claims += [{**head, **r} for r in cl]
    return groups, claims
