"""The small statistics the report shows: probabilities and means with their intervals, paired
differences, the experiment's compare pairs, and the bands of the monthly series."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.summary import rare_count, wilson_interval
from sim.report.data.labels import IF_ANY, display, is_probability
from sim.report.data.results import ALLY_COLUMN, KEYS, Results

# ---- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    @property
    def p(self) -> float:
        """Two-sided p value of 'the true value is zero' read off the 95% interval (a t or
        normal interval is symmetric: its half-width is 1.96 standard errors, or t's quantile):
        for a difference, what the false-discovery-rate adjustment needs."""
        if math.isnan(self.low) or math.isnan(self.high) or self.n < 2:
            return math.nan
        half = (self.high - self.low) / 2
        if half <= 0:
            return 1.0 if self.value == 0 else 0.0
        se = half / float(stats.t.ppf(0.975, self.n - 1))
        return float(2 * stats.t.sf(abs(self.value) / se, self.n - 1))


def adjust(ps, method: str = "bh") -> np.ndarray:
    """Adjusted p values of a family of comparisons: Benjamini-Hochberg's false-discovery-rate
    adjustment (``method='bh'``, scipy.stats.false_discovery_control) or Holm's family-wise one
    (``'holm'``). NaN stays NaN and is not counted in the family."""
    ps = np.asarray(ps, dtype=float)
    out = np.full(ps.shape, np.nan)
    ok = ~np.isnan(ps)
    if not ok.any():
        return out
    if method == "bh":
        out[ok] = stats.false_discovery_control(ps[ok], method="bh")
    elif method == "holm":
        order = np.argsort(ps[ok], kind="stable")
        m = int(ok.sum())
        held = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ps[ok][order]))
        adjusted = np.empty(m)
        adjusted[order] = held
        out[ok] = adjusted
    else:
        raise ValueError(f"adjustment {method!r}: use 'bh' or 'holm'")
    return out


def rare(res: Results, group: str, base: str) -> dict[str, float]:
    """A rare count of one group (see sim.experiments.summary.rare_count)."""
    key = ("rare", group, base)
    if key not in res.memo:
        res.memo[key] = rare_count(res.runs.loc[res.runs["group"] == group, base])
    return res.memo[key]


def probability(x) -> Estimate:
    """Share of runs with 1, with the Wilson 95% interval."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    k = round(float(x.sum()))
    lo, hi = wilson_interval(k, x.size)
    return Estimate(k / x.size if x.size else math.nan, lo, hi, int(x.size))


def mean(x) -> Estimate:
    """Mean across runs with its t-based 95% confidence interval."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if x.size < 2:
        return Estimate(m, math.nan, math.nan, int(x.size))
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Estimate(m, m - half, m + half, int(x.size))


def estimate(res: Results, group: str, name: str) -> Estimate:
    """The probability or mean of ``name`` in ``group``; for ``<count>.if_any`` (a rare count in
    the runs with any) the mean with its percentile-bootstrap interval (never below zero)."""
    if name.endswith(IF_ANY):
        r = rare(res, group, name.removesuffix(IF_ANY))
        return Estimate(r["mean"], r["mean_low"], r["mean_high"], int(r["any"]))
    x = res.runs.loc[res.runs["group"] == group, name] if name in res.runs else []
    return probability(x) if is_probability(name) else mean(x)


def paired(res: Results, group: str, name: str, ref: str | None = None) -> tuple[Estimate, bool]:
    """Difference of ``group`` against ``ref`` (by default the reference) for outcome ``name``.

    Runs are paired when they share replication and seed (common random numbers); when no run
    pairs up the difference of the two means is given with Welch's interval, and False returned.
    """
    ref = res.reference if ref is None else ref
    cols = ["replication", "seed"] if "seed" in res.runs else ["replication"]
    rows_a, rows_b = _pairs(res, group, ref, cols)
    values = res.runs[name].to_numpy(float)
    x, y = values[rows_a], values[rows_b]
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() >= 2:
        return mean(x[both] - y[both]), True
    a = res.runs.loc[res.runs["group"] == group, name]
    b = res.runs.loc[res.runs["group"] == ref, name]
    x, y = a.dropna().to_numpy(float), b.dropna().to_numpy(float)
    if x.size < 2 or y.size < 2:
        return Estimate(math.nan, math.nan, math.nan, 0), False
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    d = float(x.mean() - y.mean())
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1)) if se > 0 else 1.0
    half = float(stats.t.ppf(0.975, dof) * se)
    return Estimate(d, d - half, d + half, int(min(x.size, y.size))), False


def _pairs(res: Results, group: str, ref: str, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``res.runs`` of the runs of ``group`` and ``ref`` that pair up on ``cols``,
    pair by pair in the order of ``a.merge(b, on=cols)`` (pairs with a key missing left out):
    worked out once per two groups, for every outcome."""
    key = ("pairs", group, ref, tuple(cols))
    if key not in res.memo:
        at = np.arange(len(res.runs))
        in_a, in_b = (res.runs["group"] == group).to_numpy(), (res.runs["group"] == ref).to_numpy()
        a = res.runs.loc[in_a, cols].assign(_row_a=at[in_a])
        b = res.runs.loc[in_b, cols].assign(_row_b=at[in_b])
        both = a.merge(b, on=cols).dropna(subset=cols)
        res.memo[key] = both["_row_a"].to_numpy(), both["_row_b"].to_numpy()
    return res.memo[key]


# ---- the experiment's compare pairs ---------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One row of a paired-differences figure: ``a - b`` of an experiment's compare pair, within
    one scenario for a pair of arms (the same pair is then one row per scenario)."""

    a: str                # as the experiment names them (arms or scenarios)
    b: str
    group_a: str          # the report's groups holding the two sides
    group_b: str
    scenario: str | None  # for a pair of arms: the scenario both sides ran in

    @property
    def name(self) -> str:
        """As ``deterrence summarize`` names it."""
        return f"{self.a} - {self.b}"

    @property
    def label(self) -> str:
        return f"{display(self.a)} \u2212 {display(self.b)}"


def comparisons(res: Results) -> list[Comparison]:
    """The experiment's compare pairs whose two sides are in the results, in the experiment's
    order; a pair of arms once per scenario (in the report's scenario order)."""
    out = []
    by_parts = {parts: g for g, parts in res.group_parts.items()}
    for a, b in res.compare:
        if res.group_by == "arm" and a in res.arms and b in res.arms:
            for scen in res.scenarios:
                ga, gb = by_parts.get((scen, a)), by_parts.get((scen, b))
                if ga in res.groups and gb in res.groups:
                    out.append(Comparison(a, b, ga, gb, scen))
        elif a in res.groups and b in res.groups:
            out.append(Comparison(a, b, a, b, None))
    return out


def compared(res: Results, comp: Comparison, name: str) -> tuple[Estimate, str]:
    """The paired difference ``a - b`` of outcome ``name`` for one comparison, and where it came
    from: 'summary' (the sweep's summary/differences, one row pooled over the whole cell) or
    'runs' (computed here the same way: run by run, paired by replication and seed, mean with a
    t-based interval). A grid's summary gives one row per design point; the report pools the
    design points, so it computes those from the runs."""
    d = res.differences
    if d is not None:
        # A row for the whole cell: pooled (no design point), or the only design point there is.
        points = res.runs.loc[res.runs["group"].isin([comp.group_a, comp.group_b]), "design_point"].unique()
        whole = d["design_point"].isna() | ((d["design_point"] == points[0]) if len(points) == 1 else False)
        rows = d[(d["comparison"] == comp.name) & (d["outcome"] == name) & whole]
        if comp.scenario is not None:
            rows = rows[rows["scenario"].astype(str) == comp.scenario]
        else:
            rows = rows[rows["scenario"].isna()]
        if len(rows) == 1:
            r = rows.iloc[0]
            return Estimate(float(r["difference"]), float(r["ci_low"]), float(r["ci_high"]), int(r["n_pairs"])), "summary"
    e, _ = paired(res, comp.group_a, name, ref=comp.group_b)
    return e, "runs"


def compared_by_point(res: Results, comp: Comparison, name: str) -> tuple[pd.DataFrame, str]:
    """The paired difference ``a - b`` at each design point (a grid's cells): a table indexed by
    design point with value, low, high and pairs, and its source ('summary' when the sweep's
    summary has a row for every design point, else 'runs', computed the same way)."""
    d = res.differences
    points = sorted(res.runs.loc[res.runs["group"].isin([comp.group_a, comp.group_b]), "design_point"].unique())
    if d is not None and comp.scenario is None:
        rows = d[(d["comparison"] == comp.name) & (d["outcome"] == name) & d["design_point"].notna()]
        rows = rows.assign(design_point=rows["design_point"].astype(int)).drop_duplicates("design_point")
        if set(rows["design_point"]) >= set(points):
            t = rows.set_index("design_point").loc[points]
            return pd.DataFrame({"value": t["difference"].astype(float), "low": t["ci_low"].astype(float),
                                 "high": t["ci_high"].astype(float), "pairs": t["n_pairs"].astype(int)}), "summary"
    cols = ["design_point", "replication", "seed"] if "seed" in res.runs else ["design_point", "replication"]
    a = res.runs.loc[res.runs["group"] == comp.group_a, [*cols, name]]
    b = res.runs.loc[res.runs["group"] == comp.group_b, [*cols, name]]
    both = a.merge(b, on=cols, suffixes=("", "_b")).dropna()
    out = {}
    for point in points:
        sel = both[both["design_point"] == point]
        e = mean(sel[name].to_numpy(float) - sel[f"{name}_b"].to_numpy(float))
        out[point] = (e.value, e.low, e.high, e.n)
    table = pd.DataFrame.from_dict(out, orient="index", columns=["value", "low", "high", "pairs"])
    table.index.name = "design_point"
    return table, "runs"


def bands(res: Results, group: str, name: str, counts: bool = False) -> pd.DataFrame | None:
    """Per month: 5th, 25th, 50th, 75th and 95th percentiles of ``name`` across runs, and the
    mean. ``counts``: the percentiles are values some run had (``inverted_cdf``), so a band of a
    count of allies runs between whole allies instead of interpolating fractions of one."""
    rows = res.series[res.series["group"] == group]
    if rows.empty or name not in rows:
        return None
    wide = rows.pivot_table(index=list(KEYS), columns="month", values=name, aggfunc="first")
    x = wide.to_numpy(float)
    q = np.nanquantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0, method="inverted_cdf" if counts else "linear")
    out = pd.DataFrame(q.T, index=wide.columns.astype(int), columns=["p5", "p25", "p50", "p75", "p95"])
    out["mean"] = np.nanmean(x, axis=0)
    return out


def ally_outcomes(res: Results) -> list[str]:
    """Metrics that a result folder gives per ally (``ally.<ISO3>.<metric>`` columns)."""
    metrics = {m.group(2) for c in res.runs.columns if (m := ALLY_COLUMN.match(c))}
    return sorted(metrics)
