"""The validation report (``deterrence validate-model``): calibration and out-of-sample skill.

One folder: ``validation.md`` (and ``validation.html``), ``skill.csv`` (the rolling-origin
scores), ``forecast_2026_2027.csv`` (every method's forecast of each ally's share in the two
years after 2025, the last NATO figure: median, 50% and 90% ranges), ``figures/`` (CRPS by origin against the baselines; each fitted parameter's posterior
against its prior), ``posteriors/<origin>/`` and ``posteriors/2014-2025/`` (the fits, Parquet
and manifest, :mod:`sim.calibration.posterior`) and ``manifest.json``. The same settings and
seed give the same numbers.
"""

from __future__ import annotations

import csv
import html
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis import forecast as forecasts
from sim.analysis.forecast import (
    DRESSED,
    FUTURE_ORIGIN,
    HORIZONS,
    METHODS,
    MODELS,
    ORIGINS,
    RollingOrigin,
)
from sim.calibration import posterior as posteriors
from sim.calibration.fit import COUNT_SCALE, SHARE_SCALE, Target, fit


@dataclass(frozen=True)
class Settings:
    """How hard the validation works: particles and populations per fit, model runs per origin,
    and runs per earlier start year of the hindcasts that give the model its own past errors."""

    particles: int
    generations: int
    runs: int
    seed: int = 0
    hindcast_runs: int = 200

    @classmethod
    def quick(cls, seed: int = 0) -> Settings:
        return cls(particles=100, generations=3, runs=300, seed=seed, hindcast_runs=200)

    @classmethod
    def full(cls, seed: int = 0) -> Settings:
        return cls(particles=400, generations=6, runs=2000, seed=seed, hindcast_runs=400)


def skill_rows(ro: RollingOrigin) -> list[dict]:
    order = {m: k for k, m in enumerate(METHODS)}
    return sorted(ro.table(), key=lambda r: (r["origin"], r["horizon"], order[r["method"]]))


def skill_markdown(rows: list[dict]) -> str:
    """The skill table: per origin and horizon, each method's MAE, CRPS and coverage."""
    lines = ["| origin | horizon | method | allies | MAE | CRPS | 50% range covers | 90% range covers | 90% width |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['origin']} | +{r['horizon']} | {r['method']} | {r['allies']} | {r['mae']:.3f} | "
                     f"{r['crps']:.3f} | {r['coverage_50']:.0%} | {r['coverage_90']:.0%} | {r['width_90']:.2f} |")
    return "\n".join(lines)


def verdict(rows: list[dict], model: str = "model") -> dict[str, float]:
    """Counts a reader asks for first: cases where a model variant's CRPS beats each baseline,
    and its coverage pooled over origins and horizons (weighted by allies)."""
    by = {(r["origin"], r["horizon"], r["method"]): r for r in rows}
    cases = sorted({(o, h) for o, h, _ in by})
    own = [by[(o, h, model)] for o, h in cases]
    n = sum(r["allies"] for r in own)
    return {
        "cases": len(cases),
        "beats_persistence": sum(by[(o, h, model)]["crps"] < by[(o, h, "persistence")]["crps"] for o, h in cases),
        "beats_trend": sum(by[(o, h, model)]["crps"] < by[(o, h, "trend")]["crps"] for o, h in cases),
        "coverage_50": sum(r["coverage_50"] * r["allies"] for r in own) / n,
        "coverage_90": sum(r["coverage_90"] * r["allies"] for r in own) / n,
        **{f"{m}_coverage_90": sum(by[(o, h, m)]["coverage_90"] * by[(o, h, m)]["allies"] for o, h in cases) / n
           for m in ("persistence", "trend")},
    }


def verdicts(rows: list[dict]) -> dict:
    """The raw model's verdict at the top level (as before), each variant's under ``models``."""
    return {**verdict(rows), "models": {m: verdict(rows, m) for m in MODELS}}


def verdict_markdown(v: dict) -> str:
    lines = ["| forecaster | CRPS below persistence's | CRPS below the trend's | 50% ranges cover | 90% ranges cover |",
             "|---|---|---|---|---|"]
    for m, x in v["models"].items():
        lines.append(f"| {m} | {x['beats_persistence']} of {x['cases']} | {x['beats_trend']} of {x['cases']} | "
                     f"{x['coverage_50']:.0%} | {x['coverage_90']:.0%} |")
    return "\n".join(lines)


FUTURE_COLUMNS = ("method", "origin", "year", "ally", "point", "median", "low_50", "high_50", "low_90", "high_90")


def future_rows(made: list[forecasts.Forecast]) -> list[dict]:
    order = {m: k for k, m in enumerate(METHODS)}
    rows = [r for f in made for r in f.ranges()]
    return sorted(rows, key=lambda r: (r["ally"], r["year"], order[r["method"]]))


def future_markdown(rows: list[dict]) -> str:
    """Per ally and year, each method's median (50% range; 90% range)."""
    cells = {(r["ally"], r["year"], r["method"]): r for r in rows}
    keys = sorted({(r["ally"], r["year"]) for r in rows})
    lines = ["| ally | year | " + " | ".join(METHODS) + " |", "|---|---|" + "---|" * len(METHODS)]
    for ally, year in keys:
        row = [f"{c['median']:.2f} ({c['low_50']:.2f}-{c['high_50']:.2f}; {c['low_90']:.2f}-{c['high_90']:.2f})"
               if (c := cells.get((ally, year, m))) else "" for m in METHODS]
        lines.append(f"| {ally} | {year} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def posterior_rows(post: posteriors.Posterior) -> list[dict]:
    """Each fitted parameter: its uniform prior and the posterior's 5%, 50% and 95% quantiles."""
    q = post.quantiles([0.05, 0.5, 0.95])
    return [{"name": n, "prior": list(post.priors[n]), "q05": float(q[0, k]), "median": float(q[1, k]),
             "q95": float(q[2, k])} for k, n in enumerate(post.names)]


def posterior_markdown(rows: list[dict]) -> str:
    """The posterior against the prior, from :func:`posterior_rows` (or their saved JSON)."""
    lines = ["| parameter | prior (uniform) | posterior median | 90% credible interval | interval / prior width |",
             "|---|---|---|---|---|"]
    for r in rows:
        lo, hi = r["prior"]
        lines.append(f"| `{r['name']}` | {lo:g} to {hi:g} | {r['median']:.3g} | {r['q05']:.3g} to {r['q95']:.3g} | "
                     f"{(r['q95'] - r['q05']) / (hi - lo):.2f} |")
    return "\n".join(lines)


def _figures(rows: list[dict], post: posteriors.Posterior, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    fig, axes = plt.subplots(1, len(HORIZONS), figsize=(9, 3.4), sharey=True)
    for ax, h in zip(np.atleast_1d(axes), HORIZONS, strict=True):
        origins = sorted({r["origin"] for r in rows if r["horizon"] == h})
        for k, m in enumerate(METHODS):
            vals = [next(r["crps"] for r in rows if r["origin"] == o and r["horizon"] == h and r["method"] == m)
                    for o in origins]
            width = 0.8 / len(METHODS)
            ax.bar(np.arange(len(origins)) + (k - (len(METHODS) - 1) / 2) * width, vals, width, label=m)
        ax.set_xticks(range(len(origins)), [str(o) for o in origins])
        ax.set_title(f"{h} year{"s" if h > 1 else ""} ahead")
        ax.set_xlabel("origin")
    np.atleast_1d(axes)[0].set_ylabel("CRPS, points of GDP (lower is better)")
    np.atleast_1d(axes)[0].legend(frameon=False)
    fig.tight_layout()
    fig.savefig(folder / "skill_crps.png", dpi=120, metadata={"Software": None})
    plt.close(fig)
    names.append("skill_crps.png")

    k = len(post.names)
    cols = min(k, 4)
    fig, axes = plt.subplots(int(np.ceil(k / cols)), cols, figsize=(3.0 * cols, 2.4 * np.ceil(k / cols)), squeeze=False)
    for i, name in enumerate(post.names):
        ax = axes.flat[i]
        lo, hi = post.priors[name]
        ax.hist(post.particles[:, i], bins=20, range=(lo, hi), weights=post.weights / post.weights.sum(),
                color="C0", alpha=0.8, label="posterior")
        ax.axhline(1.0 / 20, color="0.3", linestyle="--", linewidth=1, label="prior")
        ax.set_title(name.split(".", 1)[1], fontsize=9)
        ax.set_xlim(lo, hi)
    for ax in list(axes.flat)[k:]:
        ax.axis("off")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "posterior_vs_prior.png", dpi=120, metadata={"Software": None})
    plt.close(fig)
    names.append("posterior_vs_prior.png")
    return names


def write_report(out: Path, settings: Settings, origins=ORIGINS, progress=print) -> dict:
    """Fit, forecast, score and write the validation folder; returns the verdict and timings."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ro = forecasts.rolling_origin(origins, runs=settings.runs, seed=settings.seed, particles=settings.particles,
                        generations=settings.generations, progress=progress, hindcast_runs=settings.hindcast_runs)
    future = future_rows(forecasts.future_forecasts(runs=settings.runs, seed=settings.seed,
                                          hindcast_runs=settings.hindcast_runs))
    final = fit(Target.nato(2025), particles=settings.particles, generations=settings.generations,
                seed=settings.seed, progress=progress)
    from sim.analysis.replay import replay

    replayed = replay(runs=10 if settings.runs < 1000 else 50, seed=settings.seed).table()
    from sim.analysis.probing import probing_markdown

    probing = probing_markdown(runs=100 if settings.runs < 1000 else 400, seed=settings.seed)
    seconds = time.monotonic() - started
    rows = skill_rows(ro)
    v = verdicts(rows)
    files = []
    with open(out / "skill.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([{k: (round(x, 6) if isinstance(x, float) else x) for k, x in r.items()} for r in rows])
    files.append("skill.csv")
    with open(out / "forecast_2026_2027.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(FUTURE_COLUMNS))
        w.writeheader()
        w.writerows([{k: (round(r[k], 6) if isinstance(r[k], float) else r[k]) for k in FUTURE_COLUMNS} for r in future])
    files.append("forecast_2026_2027.csv")
    for origin, post in sorted(ro.posteriors.items()):
        posteriors.save(post, out / "posteriors" / f"2014-{origin}")
    posteriors.save(final, out / "posteriors" / "2014-2025")
    files += [f"posteriors/{p.parent.name}/{p.name}" for p in sorted((out / "posteriors").glob("*/*"))]
    files += [f"figures/{f}" for f in _figures(rows, final, out / "figures")]
    md = report_markdown(rows, v, final, settings, replayed, future) + "\n" + probing
    (out / "validation.md").write_text(md)
    (out / "validation.html").write_text(_html(md))
    files += ["validation.md", "validation.html"]
    from sim.experiments.results import write_manifest

    write_manifest(out, {"command": "validate-model", "kind": "validation", "settings": vars(settings), "origins": list(origins),
                         "verdict": v, "future": {"origin": FUTURE_ORIGIN, "posterior": "calibration/2014-2025 (shipped)",
                                                  "file": "forecast_2026_2027.csv"}}, files)
    return {**v, "seconds": seconds}


def report_markdown(rows: list[dict], v: dict, final: posteriors.Posterior, s: Settings, replayed: str = "",
                    future: list[dict] | None = None) -> str:
    dressed = v["models"][DRESSED]
    return f"""# Validation: calibration and out-of-sample skill

Settings: {s.particles} particles x {s.generations} populations per fit, {s.runs} model runs per
origin, {s.hindcast_runs} runs per earlier start year for the model's own past errors, seed
{s.seed}. Data: NATO, *Defence Expenditure of NATO Countries (2014-2025)*, Aug 2025
edition (2024 and 2025 are NATO estimates; figures move by up to 0.3-0.4 points between editions).

## Rolling-origin skill (each ally's share of GDP, 1 and 2 years ahead)

For each origin the spending parameters are fitted only on 2014 to the origin, the model starts
from the shares observed at the origin, and the only later fact it is given is the February 2022
invasion (for the origin 2021). Persistence and the linear trend take their ranges from their own
past errors before the origin. "{DRESSED}" is the model's ensemble with one of the model's
own past errors added to each run: the errors of the same forecaster (the origin's posterior)
started at each earlier year and run one or two years to a target no later than the origin
(ensemble dressing, Roulston and Smith 2003). MAE is of the point forecast (the median); CRPS of the whole
predictive sample (written in `sim/analysis/forecast.py`). Lower is better for both.

{skill_markdown(rows)}

{verdict_markdown(v)}

**In short.** The model alone has a CRPS lower than persistence's in {v['beats_persistence']} of
{v['cases']} origin-horizon cases and lower than the trend's in {v['beats_trend']}; its 90% ranges
cover {v['coverage_90']:.0%} of the figures. Dressed with its own past errors: {dressed['beats_persistence']}
and {dressed['beats_trend']} of {v['cases']}, 90% ranges covering {dressed['coverage_90']:.0%}
(persistence's 90% ranges: {v['persistence_coverage_90']:.0%}; the trend's: {v['trend_coverage_90']:.0%}).

![CRPS by origin](figures/skill_crps.png)

## Forecast of 2026 and 2027 (out of sample: NATO has not published them)

From the origin {FUTURE_ORIGIN}: the posterior fitted on 2014-2025 (shipped,
`sim/data/calibration/2014-2025`), each ally's share observed in {FUTURE_ORIGIN} (allies without a
{FUTURE_ORIGIN} figure are left out), the budget laws made by {FUTURE_ORIGIN} (Germany, Poland,
Lithuania: `scenarios/budget_laws.yaml`) as floors. Each cell: median (50% range; 90% range),
% of GDP. Also in `forecast_2026_2027.csv`.

{future_markdown(future or [])}

## Posterior against prior (fit on 2014-2025)

ABC-SMC (pyabc), {final.info.get('simulations', '?')} simulations, final epsilon
{final.info.get('epsilon', [float('nan')])[-1]:.3f}. Distance: RMSE of the per-ally yearly shares / {SHARE_SCALE}
points + mean absolute difference of the count of allies at or above 2% / {COUNT_SCALE:g}
(`sim/calibration/fit.py`). An interval / prior width near 1 means the data say little about
the parameter.

{posterior_markdown(posterior_rows(final))}

![posterior against prior](figures/posterior_vs_prior.png)

Every parameter not in this table keeps its judgement prior (the schema's `source: judgement`;
`docs/ODD.md`, section 8): no series here can inform it. Credibility, deals and deterrence
failure are not checked against data, and probing is checked below against recorded incidents
without matching them; the futures' figures for all four are scenario-relative indices, not
probabilities of real events.

## The replay of 2014-2025 (in sample, the replay's judgement priors)

`deterrence replay` (`scenarios/replay_2014.yaml`): a check of shape, not a test (its priors were
set knowing these figures).

```
{replayed}
```

Closed forms and directions of effect are asserted by the test suite (`tests/test_rules_*.py`,
`tests/test_directions.py`, `tests/test_mechanisms.py`; `docs/validation.md` sections 1-2).
"""


def _html(md: str) -> str:
    """A plain HTML page of the Markdown: tables as tables, figures as images, the rest as text."""
    out, table = [], []

    def flush():
        if table:
            rows = [r.strip().strip("|").split("|") for r in table if not set(r.replace("|", "").strip()) <= set("-")]
            out.append("<table>" + "".join(
                "<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{html.escape(c.strip())}</{'th' if i == 0 else 'td'}>"
                                 for c in r) + "</tr>" for i, r in enumerate(rows)) + "</table>")
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("!["):
            alt, src = line[2:].split("](", 1)
            out.append(f'<p><img src="{html.escape(src.rstrip(")"))}" alt="{html.escape(alt)}"></p>')
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    flush()
    return ("<!doctype html><meta charset='utf-8'><title>Validation</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 8px}"
            "table{border-collapse:collapse}tr:nth-child(even){background:#f3f3f3}</style>" + "\n".join(out))


def quoted_numbers(folder: Path) -> dict:
    """What the documentation quotes from a validation folder (``experiments/reproduce.py``):
    settings, the skill table, the verdicts, the posterior against its prior, the 2026-2027
    forecast. Read from the folder's files, so any folder ``validate-model`` wrote will do."""
    import json

    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())

    def read(name: str) -> list[dict]:
        with open(folder / name, newline="") as fh:
            return [{k: (v if k in ("method", "ally") else (int(v) if v.lstrip("-").isdigit() else float(v)))
                     for k, v in r.items()} for r in csv.DictReader(fh)]

    post = posteriors.load(folder / "posteriors" / "2014-2025")
    return {
        "settings": manifest["settings"], "commit": manifest.get("commit"), "version": manifest.get("deterrence"),
        "skill": read("skill.csv"), "verdict": manifest["verdict"], "forecast": read("forecast_2026_2027.csv"),
        "posterior": {"simulations": post.info.get("simulations"), "epsilon": (post.info.get("epsilon") or [None])[-1],
                      "parameters": posterior_rows(post)},
    }
