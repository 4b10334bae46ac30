"""Attribution: each future's difference from the status quo decomposed into its ingredients, and
who pays, in the report's section "Attribution".

The report reads what other commands wrote beside the results, it runs nothing itself:

* ``DIR/attribution/`` from ``deterrence attribute --out DIR/attribution`` (its figure, redrawn
  into the report, and a table of every ingredient's effect on the headline outcomes);
* ``DIR/summary/who_pays_claims.parquet`` from ``deterrence summarize`` on a sweep that kept
  monthly series (the brief's who-pays claims with their verdicts).

``attribution(res, out)`` returns ``(figures, tables)``, or None when the folder has neither; the
page then says how to add them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.report import data as D
from sim.report.figures.common import Figure
from sim.report.files import write_atomic
from sim.report.tables import Table, number

NOT_BUILT = ("Not in these results: run 'deterrence attribute --out DIR/attribution' (each future's ingredients "
             "switched off one at a time, paired) and 'deterrence summarize DIR' (who pays), then rebuild the "
             "report to show what each difference comes from.")

OUTCOMES = ("credibility_final", "probes", "deterrence_failure", "deals_final", "cohesion_final",
            "spending_share_final")
"""The outcomes in the report's attribution table (the CSV of DIR/attribution has them all)."""


def attribution_table(df: pd.DataFrame, info: dict) -> Table:
    outcomes = [o for o in OUTCOMES if o in set(df["outcome"])]
    recs, rows = [], []
    for (future, ingredient), part in df.groupby(["future", "ingredient"], sort=False):
        row = [D.display(future), ingredient]
        for o in outcomes:
            r = part[part["outcome"] == o].iloc[0]
            row.append(f"{number(r['mean'])} [{number(r['ci_low'], r['mean'])}, {number(r['ci_high'], r['mean'])}]")
            recs.append({"future": future, "ingredient": ingredient, "outcome": o, "effect": r["mean"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p05": r["p05"], "p95": r["p95"],
                         "switched_off": r["switched_off"]})
        rows.append(row)
    caption = (f"Each ingredient's effect: the future less the future without it, mean over "
               f"{info.get('replications', 0):,} paired runs (root seed {info.get('root_seed')}) with its 95% "
               "interval; 'total' is the future less the reference, 'interaction' what the one-at-a-time effects "
               "leave. Every ingredient is a scripted input; the model's mechanisms decide what it does. The "
               "5-95% spread across runs and the events each ingredient switches off are in the CSV "
               "(deterrence attribute).")
    return Table("attribution", "What each future's difference comes from", caption, pd.DataFrame(recs),
                 ["Future", "Ingredient", *[D.label(o) for o in outcomes]], rows,
                 "p{2.6cm}p{2.4cm}" + "r" * len(outcomes), rule_on=0, keep=2, unit=1)


def who_pays_table(claims: pd.DataFrame) -> Table:
    rows = [[D.display(r.future), r.text, f"{r.contrast:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
             f"{r.p05:+.2f} to {r.p95:+.2f}", r.verdict] for r in claims.itertuples(index=False)]
    caption = ("The brief's who-pays claims as contrasts of credibility losses against the reference (paired, "
               "by horizon): a claim holds when its 95% interval lies above the minimum effect of "
               f"{claims['min_effect'].iloc[0]:g}, is reversed below its negative, and is otherwise not resolved. "
               "Over the prior of beliefs.dependence_attention (sim.analysis.whopays).")
    return Table("who_pays", "Who pays: the brief's claims", caption, claims,
                 ["Future", "Claim", "Contrast [95%]", "5-95% of runs", "Verdict"], rows,
                 "p{2.4cm}p{6cm}rrl", rule_on=0, keep=1, unit=1)


def attribution(res: D.Results, out: Path) -> tuple[list, list] | None:
    """(figures, tables) of the attribution section, or None when the results have neither."""
    from sim.analysis.attribution_figures import attribution_figure

    figures, tables = [], []
    folder = D.beside(res, "attribution", "attribution.parquet", "manifest.json")
    if folder is not None:
        df = pd.read_parquet(folder / "attribution.parquet")
        info = json.loads((folder / "manifest.json").read_text())
        files = attribution_figure(df, out / "attribution")
        title = "What drives each future's difference from the status quo"
        caption = ("Each ingredient of a future switched off in turn, the same seeds in every arm (deterrence "
                   f"attribute, {info.get('replications', 0):,} paired runs): bars are effects with 95% intervals; "
                   "black the total difference, grey what the one-at-a-time effects leave (interaction).")
        txt = write_atomic(out / "attribution.txt", f"{title}\n\n{caption}\n")
        figures.append(Figure("attribution", title, caption, [*files, txt]))
        tables.append(attribution_table(df, info))
    claims = D.beside(res, "summary/who_pays_claims.parquet")
    if claims is not None:
        tables.append(who_pays_table(pd.read_parquet(claims)))
    return (figures, tables) if figures or tables else None
