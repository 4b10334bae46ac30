"""Statistics of a sweep, for articles: estimates with intervals, paired differences, Sobol indices.

``deterrence summarize DIR`` reads a finished sweep (``docs/outputs.md``) and writes
``DIR/summary/``, each table as CSV and Parquet, in long form (one row per outcome and group):

* ``cells``: per scenario and design point: runs, failed runs, mean with a Student-t confidence
  interval, standard deviation, quantiles (5, 25, 50, 75, 95%), and for 0/1 outcomes the
  probability with a Wilson interval. Left out for a Latin hypercube, Sobol or Morris design with
  one replication per point (a cell of one run has no interval).
* ``scenarios``: the same, pooled over the design points of a Latin hypercube or Sobol design
  (Sobol: blocks A and B), i.e. the uncertainty of the priors propagated to the outcomes.
* ``differences``: each ``compare`` pair a - b, paired by replication (same seeds): the mean
  difference with a Student-t interval on the paired differences and the 5-95% spread of the
  differences across runs, per design point (or pooled over a Latin hypercube, Sobol or Morris
  design), and per scenario for arms.
* ``sobol``: first-order (Saltelli 2010) and total (Jansen 1999) Sobol indices
  (:mod:`sim.analysis.sensitivity`) of each outcome for each scenario and parameter, and of
  ``chance``, the seed as a pseudo-parameter; BCa bootstrap intervals over the base points
  (``scipy.stats.bootstrap``, seeded from the experiment's root seed, so the summary is
  reproducible). ``above_chance``: the total index's interval lies above chance's. A design
  point's value is the mean of its replications; base points where a run failed or the outcome
  is undefined (NaN) are left out, and counted.
* ``morris``: Morris elementary effects (mu, mu*, sigma, with a bootstrap interval of mu*) of
  each outcome for each scenario, parameter and chance; ``above_chance`` as for Sobol, on mu*.

* ``who_pays`` and ``who_pays_claims``: for each ``compare`` pair of scenarios whose monthly
  series were kept, each group's loss of credibility by horizon and the brief's who-pays claims
  with their intervals and verdicts (:mod:`sim.analysis.whopays`).

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

from sim.analysis import whopays
from sim.analysis.sensitivity import above, elementary_effects, morris, saltelli_jansen, sobol
from sim.experiments.design import CHANCE
from sim.experiments.results import atomic_write_table, sha256, write_manifest
from sim.experiments.summary import wilson_interval
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOMES

LEVEL = 0.95
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BOOTSTRAP = 999
SUMMARY_STREAM = 0x73756D6D  # "summ": the bootstrap's numbers, apart from every run's
saltelli = saltelli_jansen    # the name of 0.1.0


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
    """Mean of a - b over the pairs where both are defined, with a Student-t interval (the
    precision of the mean), beside the spread of the differences across runs (5th and 95th
    percentiles: how much a single run's difference varies, which no number of runs shrinks)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    d = describe((a - b)[None, :], level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_a = float(np.mean(a[both])) if both.any() else np.nan
        mean_b = float(np.mean(b[both])) if both.any() else np.nan
    return {"n_pairs": int(both.sum()), "mean_a": mean_a, "mean_b": mean_b, "difference": float(d["mean"][0]),
            "sd": float(d["sd"][0]), "ci_low": float(d["ci_low"][0]), "ci_high": float(d["ci_high"][0]),
            "p05": float(d["p05"][0]), "p95": float(d["p95"][0])}


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
    per_cell = sw.kind not in ("lhs", "sobol", "morris") or sw.replications > 1
    cells, pooled, diffs, sob, mor = [], [], [], [], []
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
        if sw.kind == "morris":
            mor += _morris_rows(sw, x, base, j, level, resamples)
    tables = {"cells": _table(cells), "scenarios": _table(pooled), "differences": _table(diffs),
              "sobol": _table(sob), "morris": _table(mor)}
    if sw.points == 1 and not outcomes:
        pairs = [(c["a"], c["b"]) for c in sw.experiment.get("compare", [])
                 if c["a"] in sw.scenarios and c["b"] in sw.scenarios]
        groups, claims = whopays.tables(folder, pairs)
        tables["who_pays"], tables["who_pays_claims"] = _table(groups), _table(claims)
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
        if sw.kind in ("lhs", "sobol", "morris"):
            # Pooled over the design (Morris: every point of every trajectory).
            pts = sw.pooled_points()
            d = paired_difference(x[sa, pts].ravel(), x[sb, pts].ravel(), level)
            rows.append({**head, "scenario": None, "design_point": None, **base, **d})
            continue
        for p in range(sw.points):
            d = paired_difference(x[sa, p], x[sb, p], level)
            rows.append({**head, "scenario": None, "design_point": p, **base, **d})
    return rows


def _point_values(x: np.ndarray) -> np.ndarray:
    """(scenarios, points): a design point's value is the mean of its replications."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point whose runs all failed: NaN, dropped later
        return np.nanmean(x, axis=2)


def _bootstrap_rng(sw: Sweep, s: int, j: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(sw.manifest["seed_scheme"]["root_seed"],
                                                        spawn_key=(SUMMARY_STREAM, s, j)))


def _sobol_rows(sw: Sweep, x: np.ndarray, base: dict, j: int, level: float, resamples: int) -> list[dict]:
    """One row per parameter and one for chance, whose AB block is last."""
    n, d = sw.sobol_n, len(sw.parameters)
    factors = [*sw.parameters, CHANCE]
    if sw.points != n * (d + 3):
        raise SummaryError(f"{sw.folder}: a Sobol sweep of {n} base points and {d} parameters has "
                           f"{n * (d + 3):,} design points (A, B, one AB block per parameter and one for "
                           f"chance), this one {sw.points:,}: made by an older version; run it again")
    y = _point_values(x)
    rows = []
    for s, scenario in enumerate(sw.scenarios):
        f_a, f_b, f_ab = y[s, :n], y[s, n:2 * n], y[s, 2 * n:].reshape(d + 1, n)
        ok = np.isfinite(f_a) & np.isfinite(f_b) & np.isfinite(f_ab).all(axis=0)
        used = int(ok.sum())
        if used < 8:
            res = {k: np.full(d + 1, np.nan) for k in ("first_order", "first_low", "first_high",
                                                        "total_order", "total_low", "total_high")}
        else:
            res = sobol(f_a[ok], f_b[ok], f_ab[:, ok], level=level, resamples=resamples,
                        rng=_bootstrap_rng(sw, s, j))
        above_chance = above(res["total_low"], res["total_high"][d])
        for i, parameter in enumerate(factors):
            rows.append({"scenario": scenario, **base, "parameter": parameter,
                         **{k: float(v[i]) for k, v in res.items()},
                         "above_chance": bool(above_chance[i]) if i < d else None,
                         "base_points": used, "dropped": n - used})
    return rows


def _morris_rows(sw: Sweep, x: np.ndarray, base: dict, j: int, level: float, resamples: int) -> list[dict]:
    """One row per parameter and one for chance (the trajectory's change of seed)."""
    d = len(sw.parameters)
    factors = [*sw.parameters, CHANCE]
    r = sw.points // (d + 2)
    moved = np.array([factors.index(sw.label(p).split(":", 1)[1]) if not sw.label(p).endswith(":start") else -1
                      for p in range(sw.points)]).reshape(r, d + 2)
    levels = int(sw.experiment["design"].get("levels") or 4)
    y = _point_values(x)
    rows = []
    for s, scenario in enumerate(sw.scenarios):
        values = np.stack([sw.design[name].to_numpy()[s * sw.points:(s + 1) * sw.points] for name in sw.parameters]
                          + [np.arange(sw.points, dtype=float)], axis=1).reshape(r, d + 2, d + 1)
        # A parameter's direction is that of its value (the map from grid to value increases);
        # chance's move has no direction: counted as up (its column is the point's index).
        step = np.diff(values, axis=1)
        direction = np.ones((r, d + 2))
        direction[:, 1:] = np.sign(np.take_along_axis(step, moved[:, 1:, None], axis=2)[:, :, 0])
        yt = y[s].reshape(r, d + 2)
        ok = np.isfinite(yt).all(axis=1)
        used = int(ok.sum())
        ee = elementary_effects(yt[ok], moved[ok], direction[ok], d + 1, levels)
        res = morris(ee, level=level, resamples=resamples, rng=_bootstrap_rng(sw, s, j)) if used >= 2 else \
            {k: np.full(d + 1, np.nan) for k in ("mu", "mu_star", "mu_star_low", "mu_star_high", "sigma")}
        above_chance = above(res["mu_star_low"], res["mu_star_high"][d])
        for i, parameter in enumerate(factors):
            rows.append({"scenario": scenario, **base, "parameter": parameter,
                         **{k: float(v[i]) for k, v in res.items()},
                         "above_chance": bool(above_chance[i]) if i < d else None,
                         "trajectories": used, "dropped": r - used})
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
        lines.append(f"\nSobol indices: largest total index per outcome (first-order/total [{pct}% bootstrap]); "
                     f"chance: the seed's total index; above chance: total index clear of chance's")
        lines += _sensitivity_lines(tables["sobol"].to_pylist(), "total_order", "total_low", "total_high",
                                    lambda r: f"{_num(r['first_order'])}/{_num(r['total_order'])}")
    if "morris" in tables:
        lines.append(f"\nMorris elementary effects: largest mu* per outcome (mu/mu* [{pct}% bootstrap]); "
                     f"chance: the seed's mu*; above chance: mu* clear of chance's")
        lines += _sensitivity_lines(tables["morris"].to_pylist(), "mu_star", "mu_star_low", "mu_star_high",
                                    lambda r: f"{_num(r['mu'])}/{_num(r['mu_star'])}")
    return "\n".join(lines)


def _sensitivity_lines(rows: list[dict], key: str, low: str, high: str, show) -> list[str]:
    lines = []
    for group in dict.fromkeys((r["scenario"], r["outcome"]) for r in rows):
        members = [r for r in rows if (r["scenario"], r["outcome"]) == group]
        chance = next((r for r in members if r["parameter"] == CHANCE), None)
        ranked = sorted((r for r in members if r["parameter"] != CHANCE), key=lambda r: -np.nan_to_num(r[key], nan=-1))
        top = ", ".join(f"{r['parameter']} {show(r)} [{_num(r[low])}, {_num(r[high])}]" for r in ranked[:3])
        lines.append(f"  {group[0]} {group[1]}: {top}")
        if chance is not None:
            above_it = [r["parameter"] for r in ranked if r["above_chance"]]
            lines.append(f"    chance {_num(chance[key])} [{_num(chance[low])}, {_num(chance[high])}]; above chance: "
                         + (", ".join(above_it) if above_it else "none"))
    return lines


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
