"""Statistics of a sweep, for articles: estimates with intervals, paired differences, Sobol indices.

``deterrence summarize DIR`` reads a finished sweep (``docs/outputs.md``) and writes
``DIR/summary/``, each table as CSV and Parquet, in long form (one row per outcome and group):

* ``cells``: per scenario and design point: runs, failed runs, mean with a Student-t confidence
  interval, standard deviation, quantiles (5, 25, 50, 75, 95%), and for 0/1 outcomes the
  probability with a Wilson interval. Left out for a Latin hypercube or Sobol design with one
  replication per point (a cell of one run has no interval).
* ``scenarios``: the same, pooled over the design points of a Latin hypercube or Sobol design
  (Sobol: blocks A and B), i.e. the uncertainty of the priors propagated to the outcomes.
* ``differences``: each ``compare`` pair a - b, paired by replication (same seeds): the mean
  difference with a Student-t interval on the paired differences, per design point (or pooled
  over a Latin hypercube or Sobol design), and per scenario for arms.
* ``sobol``: first-order and total Sobol indices (``scipy.stats.sobol_indices``, Saltelli 2010)
  of each outcome for each scenario and parameter, with BCa bootstrap intervals over the base
  points (``scipy.stats.bootstrap``, seeded from the experiment's root seed, so the summary is
  reproducible). A design point's value is the mean of its replications; base points where a
  run failed or the outcome is undefined (NaN) are left out, and counted.

Runs that failed are counted in every table (``failed``) and left out of the estimates; an
outcome that is NaN by definition (no deal, no first month) is left out of ``n``.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from scipy import stats

from sim.experiments.results import atomic_write_table, sha256, write_manifest
from sim.experiments.summary import wilson_interval
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOMES

LEVEL = 0.95
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BOOTSTRAP = 999
SUMMARY_STREAM = 0x73756D6D  # "summ": the bootstrap's numbers, apart from every run's


class SummaryError(Exception):
    """The folder holds no finished sweep, or not one this module can read."""


# --------------------------------------------------------------------------------------------
# Estimators (pure functions, checked for coverage in the tests)


def mean_interval(x: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean; NaN values are left out."""
    d = describe(np.asarray(x, dtype=float)[None, :], level)
    return float(d["mean"][0]), float(d["ci_low"][0]), float(d["ci_high"][0])


def describe(x: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """Per row of ``x`` (groups x runs, NaN left out): n, mean, sd, t interval, quantiles."""
    x = np.asarray(x, dtype=float)
    n = np.sum(~np.isnan(x), axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # empty groups give NaN, as they should
        mean = np.nanmean(x, axis=1)
        sd = np.nanstd(x, axis=1, ddof=1)
        q = np.nanquantile(x, QUANTILES, axis=1) if x.shape[1] else np.full((len(QUANTILES), len(x)), np.nan)
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
    sd = np.where(n > 1, sd, np.nan)
    out = {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}
    for k, p in enumerate(QUANTILES):
        out[f"p{round(p * 100):02d}"] = q[k]
    return out


def wilson(successes: np.ndarray, n: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals (``sim.experiments.summary.wilson_interval``) for arrays of counts;
    exactly 0 (1) when no run (every run) succeeds."""
    pairs = [wilson_interval(int(k), int(m), float(level))
             for k, m in zip(np.ravel(successes), np.ravel(n), strict=True)]
    low = np.array([p[0] for p in pairs], dtype=float).reshape(np.shape(n))
    high = np.array([p[1] for p in pairs], dtype=float).reshape(np.shape(n))
    return low, high


def paired_difference(a: np.ndarray, b: np.ndarray, level: float = LEVEL) -> dict[str, float]:
    """Mean of a - b over the pairs where both are defined, with a Student-t interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    d = describe((a - b)[None, :], level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_a = float(np.mean(a[both])) if both.any() else np.nan
        mean_b = float(np.mean(b[both])) if both.any() else np.nan
    return {"n_pairs": int(both.sum()), "mean_a": mean_a, "mean_b": mean_b, "difference": float(d["mean"][0]),
            "sd": float(d["sd"][0]), "ci_low": float(d["ci_low"][0]), "ci_high": float(d["ci_high"][0])}


def sobol(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, level: float = LEVEL,
          resamples: int = BOOTSTRAP, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """First-order and total Sobol indices from the values at blocks A (n), B (n) and AB (d, n).

    Point estimates by ``scipy.stats.sobol_indices`` (Saltelli 2010); it takes n a power of 2,
    so when runs were dropped the same estimator is computed here (:func:`saltelli`). Intervals:
    a BCa bootstrap over the n base points (A, B and every AB_i resampled together), seeded.
    """
    f_a, f_b, f_ab = (np.asarray(v, dtype=float) for v in (f_a, f_b, f_ab))
    d, n = f_ab.shape
    if n >= 2 and n & (n - 1) == 0:
        res = stats.sobol_indices(func={"f_A": f_a[None], "f_B": f_b[None], "f_AB": f_ab[:, None]}, n=n)
        first, total = np.atleast_1d(res.first_order), np.atleast_1d(res.total_order)
    else:
        first, total = saltelli(f_a, f_b, f_ab)
    low = high = np.full(2 * d, np.nan)
    if resamples > 0:

        def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
            s, st = saltelli(f_a[idx], f_b[idx], f_ab[:, idx])
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


def saltelli(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saltelli (2010) first-order and total indices, as ``scipy.stats.sobol_indices`` computes
    them (outputs centred on the mean of A and B; variance of A and B); any leading batch axes.

    ``f_a``, ``f_b``: (..., n); ``f_ab``: (d, ..., n). Returns two arrays (d, ...).
    """
    both = np.concatenate([f_a, f_b], axis=-1)
    mean = both.mean(axis=-1, keepdims=True)
    var = both.var(axis=-1)
    a, b, ab = f_a - mean, f_b - mean, f_ab - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.mean(b * (ab - a), axis=-1) / var
        total = 0.5 * np.mean((a - ab) ** 2, axis=-1) / var
    # As scipy: no variance means no index.
    return np.where(np.isfinite(first), first, 0.0), np.where(np.isfinite(total), total, 0.0)


def is_binary(outcome: str) -> bool:
    """0/1 outcomes: reported as probabilities with Wilson intervals."""
    if outcome in OUTCOMES:
        return OUTCOMES[outcome].unit == "0/1"
    return outcome.startswith("signpost.") and not outcome.endswith(".month")


def unit_of(outcome: str) -> str:
    if outcome in OUTCOMES:
        return OUTCOMES[outcome].unit
    return "months" if outcome.endswith(".month") else "0/1"


# --------------------------------------------------------------------------------------------
# Reading a sweep


class Sweep:
    """A finished sweep folder, read column by column (an outcome at a time)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        path = self.folder / "manifest.json"
        if not path.exists():
            hint = (" (the sweep is not finished: complete it with 'deterrence sweep EXPERIMENT --out "
                    f"{folder} --resume')") if (self.folder / "sweep.json").exists() else ""
            raise SummaryError(f"{folder}: no manifest.json, so no finished sweep here{hint}")
        self.manifest = json.loads(path.read_text())
        if self.manifest.get("command") != "sweep":
            raise SummaryError(f"{folder}: holds the results of '{self.manifest.get('command')}', not of a sweep")
        self.experiment = self.manifest["experiment"]["resolved"]
        self.scenarios = [s["name"] for s in self.manifest["scenarios"]]
        d = self.manifest["design"]
        self.kind, self.points, self.sobol_n = d["kind"], d["design_points"], d["sobol_base_points"]
        self.parameters = d["parameters"]
        self.replications = d["replications"]
        self.outcomes = self.manifest["outcomes"]
        self.design = pq.read_table(self.folder / "design.parquet")
        self.file = pq.ParquetFile(self.folder / "runs.parquet")
        shape = (len(self.scenarios), self.points, self.replications)
        ids = self.file.read(columns=["design_point", "replication", "status"])
        expected = np.broadcast_to(np.arange(self.points)[None, :, None], shape).ravel()
        if ids.num_rows != int(np.prod(shape)) or not np.array_equal(ids["design_point"].to_numpy(), expected):
            raise SummaryError(f"{folder}/runs.parquet does not hold the {np.prod(shape):,} runs of its manifest "
                               f"in order; re-run the consolidation with 'deterrence sweep ... --resume'")
        self.shape = shape
        self.failed = np.asarray(ids["status"].to_numpy(zero_copy_only=False) == "failed").reshape(shape)

    def values(self, outcome: str) -> np.ndarray:
        """(scenarios, design points, replications); NaN for failed runs."""
        col = self.file.read(columns=[outcome])[outcome].to_numpy(zero_copy_only=False)
        return np.asarray(col, dtype=float).reshape(self.shape)

    def pooled_points(self) -> np.ndarray:
        """Design points pooled in the 'scenarios' table: all of an LHS; blocks A and B of a Sobol design."""
        return np.arange(2 * self.sobol_n) if self.kind == "sobol" else np.arange(self.points)

    def label(self, point: int) -> str | None:
        return self.design["label"][point].as_py()


# --------------------------------------------------------------------------------------------
# Tables


def _stats_columns(x: np.ndarray, failed: np.ndarray, binary: bool, level: float) -> dict[str, np.ndarray]:
    d = describe(x, level)
    out = {"runs": np.full(len(x), x.shape[1]), "failed": failed.sum(axis=1), **d}
    if binary:
        k = np.nansum(x, axis=1)
        out["probability"] = np.where(d["n"] > 0, k / np.maximum(d["n"], 1), np.nan)
        out["wilson_low"], out["wilson_high"] = wilson(k, d["n"], level)
    else:
        out["probability"] = out["wilson_low"] = out["wilson_high"] = np.full(len(x), np.nan)
    return out


def _table(rows: list[dict]) -> pa.Table:
    if not rows:
        return pa.table({})
    cols = {k: [r.get(k) for r in rows] for k in rows[0]}
    return pa.table({k: pa.array(v) for k, v in cols.items()})


def _long(keys: dict[str, list], columns: dict[str, np.ndarray]) -> list[dict]:
    n = len(next(iter(keys.values())))
    out = []
    for i in range(n):
        row = {k: v[i] for k, v in keys.items()}
        for k, v in columns.items():
            value = v[i]
            row[k] = int(value) if k in ("runs", "failed", "n") else float(value)
        out.append(row)
    return out


def summarize(folder: Path, *, level: float = LEVEL, resamples: int = BOOTSTRAP,
              outcomes: list[str] | None = None) -> dict[str, pa.Table]:
    """The summary tables of a finished sweep (see the module docstring)."""
    sw = Sweep(folder)
    names = outcomes or sw.outcomes
    unknown = [n for n in names if n not in sw.outcomes]
    if unknown:
        raise SummaryError(f"outcome(s) not in this sweep: {', '.join(unknown)}; kept: {', '.join(sw.outcomes)}")
    S, P, _ = sw.shape
    per_cell = sw.kind not in ("lhs", "sobol") or sw.replications > 1
    cells, pooled, diffs, sob = [], [], [], []
    for j, outcome in enumerate(names):
        x = sw.values(outcome)
        binary = is_binary(outcome)
        base = {"outcome": outcome, "unit": unit_of(outcome)}
        if per_cell:
            keys = {"scenario": [s for s in sw.scenarios for _ in range(P)],
                    "design_point": [p for _ in sw.scenarios for p in range(P)],
                    "label": [sw.label(p) for _ in sw.scenarios for p in range(P)]}
            for name in sw.parameters:  # design.parquet has one row per cell, in the same order
                keys[name] = [float(v) for v in sw.design[name].to_numpy()]
            keys.update({k: [v] * (S * P) for k, v in base.items()})
            cols = _stats_columns(x.reshape(S * P, -1), sw.failed.reshape(S * P, -1), binary, level)
            cells += _long(keys, cols)
        if sw.kind in ("lhs", "sobol"):
            pts = sw.pooled_points()
            cols = _stats_columns(x[:, pts].reshape(S, -1), sw.failed[:, pts].reshape(S, -1), binary, level)
            pooled += _long({"scenario": sw.scenarios, **{k: [v] * S for k, v in base.items()}}, cols)
        diffs += _differences(sw, x, base, level)
        if sw.kind == "sobol":
            sob += _sobol_rows(sw, x, base, j, level, resamples)
    tables = {"cells": _table(cells), "scenarios": _table(pooled), "differences": _table(diffs), "sobol": _table(sob)}
    return {k: v for k, v in tables.items() if v.num_rows}


def _differences(sw: Sweep, x: np.ndarray, base: dict, level: float) -> list[dict]:
    rows = []
    arms = [sw.label(p) for p in range(sw.points)] if sw.kind == "arms" else []
    for pair in sw.experiment.get("compare", []):
        a, b = pair["a"], pair["b"]
        head = {"comparison": f"{a} - {b}", "a": a, "b": b}
        if a in arms:
            pa_, pb_ = arms.index(a), arms.index(b)
            for s, scenario in enumerate(sw.scenarios):
                d = paired_difference(x[s, pa_], x[s, pb_], level)
                rows.append({**head, "scenario": scenario, "design_point": None, **base, **d})
            continue
        sa, sb = sw.scenarios.index(a), sw.scenarios.index(b)
        if sw.kind in ("lhs", "sobol"):
            pts = sw.pooled_points()
            d = paired_difference(x[sa, pts].ravel(), x[sb, pts].ravel(), level)
            rows.append({**head, "scenario": None, "design_point": None, **base, **d})
            continue
        for p in range(sw.points):
            d = paired_difference(x[sa, p], x[sb, p], level)
            rows.append({**head, "scenario": None, "design_point": p, **base, **d})
    return rows


def _sobol_rows(sw: Sweep, x: np.ndarray, base: dict, j: int, level: float, resamples: int) -> list[dict]:
    n, d = sw.sobol_n, len(sw.parameters)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point whose runs all failed: NaN, dropped below
        y = np.nanmean(x, axis=2)  # (scenarios, points): a point's value is its replications' mean
    for s, scenario in enumerate(sw.scenarios):
        f_a, f_b, f_ab = y[s, :n], y[s, n:2 * n], y[s, 2 * n:].reshape(d, n)
        ok = np.isfinite(f_a) & np.isfinite(f_b) & np.isfinite(f_ab).all(axis=0)
        used = int(ok.sum())
        if used < 8:
            res = {k: np.full(d, np.nan) for k in ("first_order", "first_low", "first_high",
                                                    "total_order", "total_low", "total_high")}
        else:
            rng = np.random.default_rng(np.random.SeedSequence(sw.manifest["seed_scheme"]["root_seed"],
                                                               spawn_key=(SUMMARY_STREAM, s, j)))
            res = sobol(f_a[ok], f_b[ok], f_ab[:, ok], level=level, resamples=resamples, rng=rng)
        for i, parameter in enumerate(sw.parameters):
            rows.append({"scenario": scenario, **base, "parameter": parameter,
                         **{k: float(v[i]) for k, v in res.items()}, "base_points": used, "dropped": n - used})
    return rows


# --------------------------------------------------------------------------------------------
# Writing and printing


def write_summary(folder: Path, tables: dict[str, pa.Table], *, level: float, resamples: int,
                  out: Path | None = None) -> Path:
    """``DIR/summary/<table>.csv`` and ``.parquet`` for each table, and a manifest (in ``out``
    instead, when given: the command writes a new folder that then replaces ``DIR/summary``)."""
    folder = Path(folder)
    out = Path(out) if out is not None else folder / "summary"
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.*"):
        if stale.stem not in tables and stale.suffix in (".csv", ".parquet"):
            stale.unlink()
    files = []
    for name, table in tables.items():
        atomic_write_table(table, out / f"{name}.parquet")
        tmp = out / f".{name}.csv.tmp-{os.getpid()}"
        pacsv.write_csv(table, tmp)
        os.replace(tmp, out / f"{name}.csv")
        files += [f"{name}.parquet", f"{name}.csv"]
    source = json.loads((folder / "manifest.json").read_text())
    write_manifest(out, {
        "command": "summarize",
        "source": {"folder": str(folder), "manifest_sha256": sha256(folder / "manifest.json"),
                   "experiment": source["experiment"]["name"]},
        "confidence_level": level, "bootstrap_resamples": resamples,
        "counts": source["counts"],
    }, files)
    return out


def format_summary(folder: Path, tables: dict[str, pa.Table], level: float = LEVEL, limit: int = 8) -> str:
    """A short text account: failures, then the main outcomes, differences and Sobol indices."""
    sw_manifest = json.loads((Path(folder) / "manifest.json").read_text())
    counts = sw_manifest["counts"]
    pct = round(level * 100)
    lines = [f"{sw_manifest['experiment']['name']}: {counts['runs']:,} runs, {counts['failed']:,} failed"]
    for scenario, c in counts["by_scenario"].items():
        if c["failed"]:
            lines.append(f"  {scenario}: {c['failed']:,} of {c['runs']:,} runs failed (see runs.parquet, status/error)")
    groups = tables.get("cells", tables.get("scenarios"))
    if groups is not None:
        rows = groups.to_pylist()
        single = all(r.get("design_point", 0) == 0 for r in rows)  # no design: name the scenario only
        keys = list(dict.fromkeys(_group_name(r, single) for r in rows))
        shown = keys[:limit]
        main = [o for o in MAIN_OUTCOMES if any(r["outcome"] == o for r in rows)] or list(
            dict.fromkeys(r["outcome"] for r in rows))[:12]
        lines.append(f"\nmean [{pct}% CI]; 0/1 outcomes: probability [Wilson {pct}%]"
                     + (f"; first {limit} of {len(keys)} groups" if len(keys) > limit else ""))
        by = {(_group_name(r, single), r["outcome"]): r for r in rows}
        for g in shown:
            lines.append(f"  {g}")
            for o in main:
                r = by.get((g, o))
                if r is not None:
                    lines.append(f"    {o:<36} {_estimate(r)}")
    if "differences" in tables:
        rows = tables["differences"].to_pylist()
        single = all(r["design_point"] in (0, None) for r in rows)
        groups: dict[str, list[dict]] = {}
        for r in rows:
            where = r["scenario"] or (f"point {r['design_point']}" if r["design_point"] is not None and not single
                                      else "")
            groups.setdefault(f"{r['comparison']}" + (f" ({where})" if where else ""), []).append(r)
        lines.append(f"\npaired differences a - b [{pct}% CI]"
                     + (f"; first {limit} of {len(groups)} groups" if len(groups) > limit else ""))
        main = [o for o in MAIN_OUTCOMES if any(r["outcome"] == o for r in rows)] or list(
            dict.fromkeys(r["outcome"] for r in rows))[:12]
        for g, members in list(groups.items())[:limit]:
            lines.append(f"  {g}")
            by_outcome = {r["outcome"]: r for r in members}
            for o in main:
                r = by_outcome.get(o)
                if r is not None:
                    lines.append(f"    {o:<36} {_num(r['difference'], signed=True)} "
                                 f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]  n={r['n_pairs']}")
    if "sobol" in tables:
        lines.append(f"\nSobol indices: largest total index per outcome (first-order, total [{pct}% bootstrap])")
        rows = tables["sobol"].to_pylist()
        for key in dict.fromkeys((r["scenario"], r["outcome"]) for r in rows):
            group = sorted((r for r in rows if (r["scenario"], r["outcome"]) == key),
                           key=lambda r: -np.nan_to_num(r["total_order"], nan=-1))
            top = ", ".join(f"{r['parameter']} {_num(r['first_order'])}/{_num(r['total_order'])} "
                            f"[{_num(r['total_low'])}, {_num(r['total_high'])}]" for r in group[:3])
            lines.append(f"  {key[0]} {key[1]}: {top}")
    return "\n".join(lines)


def _group_name(row: dict, single: bool = False) -> str:
    if "design_point" not in row or single:
        return row["scenario"]
    label = f" {row['label']}" if row.get("label") else ""
    return f"{row['scenario']} / point {row['design_point']}{label}"


def _estimate(r: dict) -> str:
    fail = f"  ({r['failed']} failed)" if r["failed"] else ""
    if r["probability"] is not None and not np.isnan(r["probability"]):
        return f"{_num(r['probability'])} [{_num(r['wilson_low'])}, {_num(r['wilson_high'])}]  n={r['n']}{fail}"
    return f"{_num(r['mean'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]  n={r['n']}{fail}"


def _num(v: float | None, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "nan"
    return f"{v:+.3g}" if signed else f"{v:.3g}"
