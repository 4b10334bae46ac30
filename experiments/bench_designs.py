"""Runs per second of each kind of design with the fast engine, against plain replications.

    python experiments/bench_designs.py                    # 2,000 runs per design, 2 workers
    python experiments/bench_designs.py --runs 500 --workers 1
    python experiments/bench_designs.py --unbatched 200    # also one design point per engine call
    python experiments/bench_designs.py --repeat 3         # best of 3 sweeps of each design

Each line is one sweep of a small experiment file (written to a temporary folder) of the
scenario further_withdrawals (120 months), about the same number of runs in each:

* replications: no design, ``--runs`` replications;
* grid: 10 x 10 levels of two parameters, ``--runs`` / 100 replications per point;
* lhs: ``--runs`` Latin hypercube points of two parameters (a range and a prior), one run each;
* sobol: N = ``--runs`` / 4 rounded to a power of 2, the same two parameters: N x 5 points
  (blocks A, B, two AB and AB:chance), one run each;
* morris: ``--runs`` / 4 trajectories over the same two parameters, 4 points each, one run each;
* arms: four arms (two parameters, two values each), ``--runs`` / 4 replications per arm;
* one run: one Mesa run (``run_scenario``), the time ``deterrence run --runs 1`` takes to run it.

No monthly series are kept (``timeseries_runs: 0``), so every sweep writes the same kind of
files. 'runs/s' counts the runs over the time spent running them (worker start-up included);
'vs replications' is the ratio to the first line. ``--unbatched N`` adds, for each design, a
sweep of about N runs with the fast engine held to one design point per call (how design sweeps
ran before the fast engine took per-run values), in this process (1 worker: the switch is
patched here, and worker processes would not see it).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from sim.engines.runner import run_scenario
from sim.experiments import executors
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import default_engine, run_sweep
from sim.model.loading import load_scenario

SCENARIO = "further_withdrawals"
A, B, C = "patron.deal_price", "events.germany_withdrawal.troops", "patron.will_base"


def experiment(kind: str, runs: int) -> str:
    head = (f"name: bench_{kind}\ntitle: \"{kind}\"\nscenarios: [{SCENARIO}]\nseed: 7\n"
            f"timeseries_runs: 0\n")
    if kind == "replications":
        return head + f"replications: {runs}\ndesign: {{kind: none}}\n"
    if kind == "grid":
        return head + (f"replications: {max(1, runs // 100)}\ndesign:\n  kind: grid\n  parameters:\n"
                       f"    {A}: {{low: 0, high: 1, levels: 10}}\n"
                       f"    {B}: {{low: 0, high: 35000, levels: 10}}\n")
    if kind == "lhs":
        return head + (f"replications: 1\ndesign:\n  kind: lhs\n  points: {runs}\n  parameters:\n"
                       f"    {A}: {{low: 0, high: 1}}\n    {C}: prior\n")
    if kind == "sobol":
        n = 2 ** max(0, round(math.log2(max(1, runs / 4))))
        return head + (f"replications: 1\ndesign:\n  kind: sobol\n  points: {n}\n  parameters:\n"
                       f"    {A}: {{low: 0, high: 1}}\n    {C}: prior\n")
    if kind == "morris":
        return head + (f"replications: 1\ndesign:\n  kind: morris\n  points: {max(2, runs // 4)}\n  parameters:\n"
                       f"    {A}: {{low: 0, high: 1}}\n    {C}: prior\n")
    if kind == "arms":
        return head + (f"replications: {max(1, runs // 4)}\ndesign:\n  kind: arms\n  arms:\n"
                       f"    cheap: {{{A}: 0.2}}\n    dear: {{{A}: 0.8}}\n"
                       f"    small: {{{B}: 5000}}\n    large: {{{B}: 30000}}\n")
    raise ValueError(kind)


DESIGNS = ("replications", "grid", "lhs", "sobol", "morris", "arms")


def sweep(kind: str, runs: int, workers: int, tmp: Path, tag: str) -> dict:
    path = tmp / f"{kind}-{tag}.yaml"
    path.write_text(experiment(kind, runs))
    exp = load_experiment(path)
    started = time.perf_counter()
    result = run_sweep(exp, tmp / f"{kind}-{tag}", workers=workers, engine="fast", progress=False)
    return {**result, "wall": time.perf_counter() - started, "points": result["runs"] // exp.spec.replications}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000, help="about this many runs per design (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many sweeps per design (default 1)")
    parser.add_argument("--unbatched", type=int, default=0, metavar="N",
                        help="also run each design with about N runs, one design point per engine call")
    args = parser.parse_args(argv)
    default_engine()  # registers the fast engine
    print(f"{SCENARIO}, 120 months, fast engine, {args.workers} workers, best of {args.repeat}; "
          f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"{'design':<13} {'points':>6} {'runs':>6} {'runs/s':>8} {'wall s':>7} {'vs replications':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        # Round after round, every design once a round, so that a machine busy with other work
        # for a while slows every design alike; the fastest sweep of each is kept.
        best: dict[str, dict] = {}
        for k in range(args.repeat):
            for kind in DESIGNS:
                r = sweep(kind, args.runs, args.workers, Path(tmp), f"batched-{k}")
                if kind not in best or r["runs_per_second"] > best[kind]["runs_per_second"]:
                    best[kind] = r
        base = best["replications"]["runs_per_second"]
        for kind, r in best.items():
            print(f"{kind:<13} {r['points']:>6,} {r['runs']:>6,} {r['runs_per_second']:>8.1f} {r['wall']:>7.1f} "
                  f"{r['runs_per_second'] / base:>16.2f}", flush=True)
        if args.unbatched:
            with mock.patch.object(executors, "_takes_per_run_fixed", lambda engine: False):
                for kind in DESIGNS[1:]:
                    r = sweep(kind, args.unbatched, 1, Path(tmp), "unbatched")
                    print(f"{kind + ' 1/call':<13} {'':>6} {r['runs']:>6,} {r['runs_per_second']:>8.1f} "
                          f"{r['wall']:>7.1f} {r['runs_per_second'] / base:>16.2f}   (1 worker)", flush=True)
    scenario = load_scenario(SCENARIO)
    run_scenario(scenario, seed=1, months=2)  # imports and first-call costs out of the timing
    seconds = math.inf
    for k in range(args.repeat):
        started = time.perf_counter()
        run_scenario(scenario, seed=2 + k)
        seconds = min(seconds, time.perf_counter() - started)
    print(f"{'one run':<13} {1:>6} {1:>6} {1 / seconds:>8.1f} {seconds:>7.2f} {1 / seconds / base:>16.4f}"
          "   (Mesa, run_scenario, this process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
