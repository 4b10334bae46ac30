"""Runs per second of the futures experiment with 1 and 2 workers, for each engine.

    python experiments/bench_sweep.py                       # Mesa: 40 runs per scenario; fast: 2,000
    python experiments/bench_sweep.py --engines mesa --mesa-replications 20

Each line is one sweep of futures.yaml (five scenarios, 120 months) into a fresh folder:
'runs/s' counts the runs over the time spent running them (worker start-up included), 'wall'
adds planning and consolidation. The sweeps with 1 and 2 workers must write identical files;
the last column says whether they did.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import sys
import tempfile
import time
from pathlib import Path

from sim.engines.runner import ENGINES
from sim.experiments.experiment import load_experiment
from sim.experiments.sweep import default_engine, run_sweep

FILES = ("runs.parquet", "timeseries.parquet", "design.parquet")


def bench(engine: str, replications: int, workers: int, out: Path) -> dict:
    exp = load_experiment("futures").with_replications(replications)
    started = time.perf_counter()
    result = run_sweep(exp, out, workers=workers, engine=engine, progress=False)
    return {**result, "wall": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="mesa,fast", help="comma-separated (default mesa,fast)")
    parser.add_argument("--mesa-replications", type=int, default=40, help="per scenario (default 40)")
    parser.add_argument("--fast-replications", type=int, default=2000, help="per scenario (default 2000)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    args = parser.parse_args(argv)
    default_engine()  # registers the fast engine when it is there
    workers = [int(w) for w in args.workers.split(",")]
    print(f"futures.yaml, 5 scenarios x 120 months; {os.cpu_count()} cores on this machine")
    print(f"{'engine':<6} {'workers':>7} {'runs':>7} {'runs/s':>9} {'wall s':>8}  identical to 1 worker")
    for engine in args.engines.split(","):
        if engine not in ENGINES:
            print(f"{engine:<6} (not available)")
            continue
        reps = args.mesa_replications if engine == "mesa" else args.fast_replications
        with tempfile.TemporaryDirectory() as tmp:
            first: Path | None = None
            for w in workers:
                out = Path(tmp) / f"w{w}"
                r = bench(engine, reps, w, out)
                same = "" if first is None else (
                    "yes" if all(filecmp.cmp(first / f, out / f, shallow=False) for f in FILES) else "NO")
                first = first or out
                print(f"{engine:<6} {w:>7} {r['runs']:>7,} {r['runs_per_second']:>9.1f} {r['wall']:>8.1f}  {same}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
