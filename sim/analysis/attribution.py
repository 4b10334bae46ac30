"""Attribution: what drives each future's difference from the status quo, by paired switch-off.

A future differs from its reference (the status quo) by *ingredients*: its scripted events,
grouped by what they are (troop moves, the basing deal, the guarantee policy, the European
programme, trade coercion, exit, threat shocks), and its own priors (parameters whose prior
differs from the reference's, such as a higher deal appetite). Each ingredient is switched off
in turn (its events removed, or its priors set back to the reference's) and the future rerun
with the same seeds; the ingredient's effect is the paired difference

    effect(i) = Y(future) - Y(future without i)

with its 95% interval and the 5-95% spread across runs. The total is Y(future) - Y(reference);
what the one-at-a-time effects do not add up to is reported as the *interaction* (ingredients
that work only together, or that offset each other). Every ingredient is a scripted input:
the scenario says it happens (on a month, or by a hazard); the model's mechanisms decide what it
does. A future's difference that no ingredient explains is produced by the interactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.model.parameters import SECTIONS
from sim.model.scenario import Scenario

INGREDIENTS: dict[str, tuple[str, ...]] = {
    "troop moves": ("withdrawal", "relocation", "halt_deployment", "deployment"),
    "basing deal": ("basing_deal",),
    "guarantee policy": ("guarantee",),
    "European programme": ("eu_budget", "sovereign_c2"),
    "trade coercion": ("trade_coercion",),
    "exit": ("exit_notice",),
    "threat shocks": ("threat_shock",),
    "crises": ("crisis",),
    "budget laws": ("budget_law",),
}
"""Ingredients made of events, by the event kinds that make them."""

PRIORS = "the future's own priors"

OUTCOMES = ("credibility_final", "credibility_eastern_flank_final", "russia_belief_final", "probes",
            "deterrence_failure", "deals_final", "cohesion_final", "spending_share_final",
            "enabler_dependence_5y")
"""The outcomes attributed by default: the futures' headline outcomes."""

LEVEL = 0.95


@dataclass(frozen=True)
class Ingredient:
    name: str
    what: str            # the events or priors it switches off, for the table
    without: Scenario    # the future with this ingredient switched off


def _prior_differences(future: Scenario, reference: Scenario) -> dict[str, dict[str, object]]:
    """{section: {field: the reference's prior}} where the future's prior differs."""
    out: dict[str, dict[str, object]] = {}
    for section in SECTIONS:
        mine, theirs = getattr(future, section), getattr(reference, section)
        for field in type(mine).model_fields:
            if getattr(mine, field) != getattr(theirs, field):
                out.setdefault(section, {})[field] = getattr(theirs, field)
    return out


def ingredients(future: Scenario, reference: Scenario) -> list[Ingredient]:
    """The ingredients by which ``future`` differs from ``reference``, each with the future
    without it. Events the reference also has (same id and content) are not ingredients."""
    shared = {e.model_dump_json() for e in reference.events}
    own = [e for e in future.events if e.model_dump_json() not in shared]
    out = []
    for name, kinds in INGREDIENTS.items():
        mine = [e for e in own if e.kind in kinds]
        if mine:
            kept = [e for e in future.events if e not in mine]
            out.append(Ingredient(name, ", ".join(e.id or e.kind for e in mine),
                                  future.model_copy(update={"events": kept})))
    unknown = sorted({e.kind for e in own} - {k for kinds in INGREDIENTS.values() for k in kinds})
    if unknown:
        raise ValueError(f"attribution: event kind(s) {unknown} belong to no ingredient; add them to "
                         f"sim.analysis.attribution.INGREDIENTS")
    diff = _prior_differences(future, reference)
    if diff:
        update = {s: getattr(future, s).model_copy(update=fields) for s, fields in diff.items()}
        what = ", ".join(f"{s}.{f}" for s, fields in diff.items() for f in fields)
        out.append(Ingredient(PRIORS, what, future.model_copy(update=update)))
    return out


def _describe(x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return {"mean": float(x.mean()) if x.size else np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "p05": np.nan, "p95": np.nan, "n_pairs": int(x.size)}
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + LEVEL / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    p5, p95 = np.percentile(x, [5, 95])
    return {"mean": m, "ci_low": m - half, "ci_high": m + half, "p05": float(p5), "p95": float(p95),
            "n_pairs": int(x.size)}


def attribute(future: Scenario, reference: Scenario, seeds: Sequence[int], run,
              outcomes: Sequence[str] = OUTCOMES) -> list[dict]:
    """Rows (one per ingredient and outcome, plus 'total' and 'interaction') for one future.

    ``run(scenario, seeds)`` returns ``{outcome: array over seeds}`` (NaN for a failed run):
    the fast engine's batch in practice, any engine in the tests."""
    full, ref = run(future, seeds), run(reference, seeds)
    parts = [(ing, run(ing.without, seeds)) for ing in ingredients(future, reference)]
    rows = []
    for outcome in outcomes:
        total = full[outcome] - ref[outcome]
        head = {"future": future.name, "reference": reference.name, "outcome": outcome}
        t = _describe(total)
        rows.append({**head, "ingredient": "total", "switched_off": "", **t, "share_of_total": 1.0})
        summed = np.zeros_like(total)
        for ing, without in parts:
            effect = full[outcome] - without[outcome]
            summed = summed + effect
            d = _describe(effect)
            share = d["mean"] / t["mean"] if t["mean"] not in (0.0,) and np.isfinite(t["mean"]) else np.nan
            rows.append({**head, "ingredient": ing.name, "switched_off": ing.what, **d, "share_of_total": share})
        d = _describe(total - summed)
        share = d["mean"] / t["mean"] if t["mean"] != 0.0 and np.isfinite(t["mean"]) else np.nan
        rows.append({**head, "ingredient": "interaction", "switched_off": "", **d, "share_of_total": share})
    return rows


# --------------------------------------------------------------------------------------------
# The command: run, write, draw


class AttributionError(Exception):
    """Bad input to ``deterrence attribute`` (a message for the user, exit code 2)."""


def fast_runner(fixed: dict[str, float] | None = None):
    """``run(scenario, seeds)`` on the fast engine, in one batch: {outcome: array}."""
    from sim.engines.fast import simulate

    def run(scenario: Scenario, seeds: Sequence[int]) -> dict[str, np.ndarray]:
        res = simulate(scenario, seeds, fixed, series=False)
        return {name: res.outcomes[:, k] for k, name in enumerate(res.outcome_names)}

    return run


def run_attribution(futures: Sequence[Scenario], reference: Scenario, replications: int, root_seed: int,
                    outcomes: Sequence[str] = OUTCOMES) -> list[dict]:
    """Every future's attribution rows, with the same seeds everywhere (replication k of the
    futures' sweeps: :func:`sim.engines.runner.run_seed`)."""
    from sim.engines.runner import run_seed

    seeds = [run_seed(root_seed, k) for k in range(replications)]
    run = fast_runner()
    rows = []
    for future in futures:
        rows += attribute(future, reference, seeds, run, outcomes)
    return rows


def check_out(out):
    """``out`` as a Path if it is new, empty or an earlier attribution's (which is replaced
    whole); else an error that names what is there, before any work is done."""
    import json
    from pathlib import Path

    out = Path(out)
    if out.exists():
        try:
            command = json.loads((out / "manifest.json").read_text()).get("command")
        except (OSError, ValueError):
            command = None
        if not out.is_dir() or (any(out.iterdir()) and command != "attribute"):
            raise AttributionError(f"{out}: exists and does not hold an earlier 'deterrence attribute' result; "
                                   "choose another --out (nothing was written)")
    return out


def write_attribution(out, rows: list[dict], info: dict) -> list[str]:
    """``attribution.parquet`` and ``.csv``, a figure per outcome group, ``attribution.md`` and
    a manifest, written into a new folder beside ``out`` and renamed into place whole."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import pandas as pd
    import pyarrow as pa

    from sim.experiments.results import atomic_write_table, write_manifest

    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        df = pd.DataFrame(rows)
        atomic_write_table(pa.Table.from_pandas(df, preserve_index=False), tmp / "attribution.parquet")
        df.to_csv(tmp / "attribution.csv", index=False, float_format="%.6g")
        (tmp / "attribution.md").write_text(markdown(df), encoding="utf-8")
        from sim.analysis.attribution_figures import attribution_figure

        files = ["attribution.parquet", "attribution.csv", "attribution.md"]
        for p in attribution_figure(df, tmp / "attribution"):
            files.append(p.name)
        write_manifest(tmp, {"command": "attribute", **info}, files)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return files


def markdown(df) -> str:
    """The attribution as Markdown tables, one per future: rows ingredients, columns outcomes,
    each cell the mean effect with its 95% interval, and the 5-95% spread across runs below."""
    from sim.model.outcomes import OUTCOMES as DEFINED

    lines = ["# Attribution by paired switch-off", "",
             "Each cell: the ingredient's effect on the outcome, Y(future) - Y(future without it), "
             "mean [95% interval]; below it, in parentheses, the 5-95% spread of the paired "
             "differences across runs. 'total' is the future less the reference; 'interaction' what "
             "the one-at-a-time effects do not add up to. Every ingredient is a scripted input.", ""]
    for future, part in df.groupby("future", sort=False):
        outcomes = list(dict.fromkeys(part["outcome"]))
        lines += [f"## {future} (reference: {part['reference'].iloc[0]})", "",
                  "| ingredient | switched off | " + " | ".join(outcomes) + " |",
                  "|---|---|" + "---|" * len(outcomes)]
        for ing, rows in part.groupby("ingredient", sort=False):
            cells = []
            for o in outcomes:
                r = rows[rows["outcome"] == o].iloc[0]
                cells.append(f"{r['mean']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] "
                             f"({r['p05']:+.2f} to {r['p95']:+.2f})")
            lines.append(f"| {ing} | {rows['switched_off'].iloc[0]} | " + " | ".join(cells) + " |")
        lines += ["", "Units: " + "; ".join(f"{o}: {DEFINED[o].unit}" for o in outcomes if o in DEFINED), ""]
    return "\n".join(lines)
