"""Regenerate every figure and table that README.md and docs/ quote from runs of the model.

    python experiments/reproduce.py                      # every job (about 10 minutes on 2 cores)
    python experiments/reproduce.py --only mechanisms,replay
    python experiments/reproduce.py --only validation --validation-from DIR   # a validate-model folder
    python experiments/reproduce.py --docs-only          # re-render the blocks from the saved JSON

Each job runs what its numbers come from, saves them to ``docs/generated/<job>.json`` and
rewrites the documentation's blocks between ``<!-- generated:NAME -->`` markers
(``sim/report/quoted.py``). The sweeps and the validation report go to ``--work``
(default ``results/reproduce``), each folder with its manifest. Speed figures
(docs/performance.md) are measurements of a machine, not results, and are not regenerated here:
``deterrence bench`` gives them.

Jobs: mechanisms (the mechanism tests' intervals at three seeds), replay (2014-2025 against
NATO), probing (gray-zone probing against recorded incidents), findings (docs/findings.md, the
brief's claims, calibrated and on judgement priors), deal_cascade (PRIM on a Latin hypercube of
further_withdrawals), sensitivity (Sobol indices that stand above chance), validation (calibration and rolling-origin skill: `deterrence
validate-model`, about 11 minutes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from sim.report import quoted

ROOT = Path(__file__).resolve().parents[1]


def job_mechanisms(work: Path, args) -> dict:
    from sim.analysis import mechanisms

    return {"roots": list(mechanisms.ROOTS), "runs": mechanisms.RUNS, "results": mechanisms.results()}


REPLAY_RUNS, REPLAY_SEED = 40, 0


def job_replay(work: Path, args) -> dict:
    from sim.analysis.replay import replay

    return {**asdict(replay(runs=REPLAY_RUNS, seed=REPLAY_SEED)), "seed": REPLAY_SEED}


PROBING_RUNS, PROBING_SEED = 400, 0


def job_probing(work: Path, args) -> dict:
    from sim.analysis.probing import probing_markdown

    return {"runs": PROBING_RUNS, "seed": PROBING_SEED,
            "markdown": probing_markdown(runs=PROBING_RUNS, seed=PROBING_SEED)}


FINDINGS_REPLICATIONS = 2000


def job_findings(work: Path, args) -> dict:
    from sim.analysis.brief_claims import table

    return {"replications": FINDINGS_REPLICATIONS, "rows": table(FINDINGS_REPLICATIONS),
            "judgement_rows": table(FINDINGS_REPLICATIONS, calibrated=False)}


CASCADE_WHERE = "deals_final >= 25"


def _deterrence(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "sim", *argv], check=True, cwd=ROOT)


def job_deal_cascade(work: Path, args) -> dict:
    import pandas as pd

    from sim.model.documentation import describe_prior
    from sim.model.loading import load_scenario
    from sim.model.parameters import judgement_parameters

    out = work / "deal_cascade"
    _deterrence("sweep", "experiments/deal_cascade.yaml", "--out", str(out), "--force", "--workers", str(args.workers))
    _deterrence("discover", str(out), "--where", CASCADE_WHERE, "--boxes", "2")
    boxes = pd.read_csv(out / "discover" / "boxes.csv")
    limits = pd.read_csv(out / "discover" / "limits.csv")
    priors = judgement_parameters(load_scenario("further_withdrawals"))
    first = limits[limits["box"] == 1]
    rows = []
    for r in first.itertuples():
        qp = min(x for x in (r.qp_lower, r.qp_upper) if pd.notna(x)) if pd.notna(r.qp_lower) or pd.notna(r.qp_upper) else float("nan")
        rows.append({"parameter": r.parameter, "low": float(r.low), "high": float(r.high),
                     "prior": describe_prior(priors[r.parameter]) if r.parameter in priors else "posterior",
                     "qp": float(qp)})
    runs = int(json.loads((out / "manifest.json").read_text())["counts"]["runs"])
    cases = int(json.loads((out / "discover" / "manifest.json").read_text())["counts"]["cases"])
    return {"runs": runs, "cases": cases, "where": CASCADE_WHERE,
            "boxes": [{k: (int(v) if k in ("box", "restricted") else float(v)) for k, v in b.items()
                       if k in ("box", "coverage", "density", "mass", "restricted")}
                      for b in boxes.to_dict("records")],
            "limits": rows}


def job_sensitivity(work: Path, args) -> dict:
    import pandas as pd

    out = work / "sensitivity"
    _deterrence("sweep", "experiments/sensitivity.yaml", "--out", str(out), "--force", "--yes",
                "--workers", str(args.workers))
    _deterrence("summarize", str(out))
    table = pd.read_parquet(out / "summary" / "sobol.parquet")
    rows = []
    for r in table.to_dict("records"):
        rows.append({k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()
                     if k in ("outcome", "parameter", "first_order", "total_order", "total_low", "total_high",
                              "above_chance")})
    manifest = json.loads((out / "manifest.json").read_text())
    return {"runs": int(manifest["counts"]["runs"]), "base_points": int(manifest["design"]["sobol_base_points"]),
            "parameters": len(manifest["design"]["parameters"]), "rows": rows}


def job_validation(work: Path, args) -> dict:
    from sim.analysis.validation import quoted_numbers

    folder = Path(args.validation_from) if args.validation_from else work / "validation"
    if not args.validation_from:
        if (folder / "manifest.json").is_file():  # this script's own earlier run: replaced whole
            shutil.rmtree(folder)
        _deterrence("validate-model", "--out", str(folder))
    return quoted_numbers(folder)


JOBS = {"mechanisms": job_mechanisms, "replay": job_replay, "probing": job_probing, "findings": job_findings,
        "deal_cascade": job_deal_cascade, "sensitivity": job_sensitivity, "validation": job_validation}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated jobs ({', '.join(JOBS)}); default all")
    parser.add_argument("--docs-only", action="store_true", help="re-render the blocks from docs/generated/*.json")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "reproduce")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--validation-from", help="use this validate-model folder instead of running it")
    args = parser.parse_args(argv)
    jobs = list(JOBS) if not args.only else [j.strip() for j in args.only.split(",")]
    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        print(f"reproduce: unknown job(s) {', '.join(unknown)}; jobs: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.docs_only:
        for job in jobs:
            t0 = time.perf_counter()
            try:
                data = JOBS[job](args.work, args)
            except subprocess.CalledProcessError as err:
                print(f"reproduce: job '{job}' failed: {' '.join(err.cmd[1:])} exited with {err.returncode}; "
                      "its saved results and the documents are left as they were", file=sys.stderr)
                return 1
            path = quoted.save(job, data)
            print(f"{job}: {path.relative_to(ROOT)} ({time.perf_counter() - t0:.0f} s)")
    changed = quoted.write_documents(set(jobs))
    print("documents rewritten: " + (", ".join(changed) if changed else "none (already current)"))
    problems = quoted.problems()
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
