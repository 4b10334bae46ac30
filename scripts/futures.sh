#!/usr/bin/env bash
# The main job: set up, compare the brief's futures (experiments/futures.yaml, 10,000 paired
# runs per scenario) and write the report. Results in results/futures/, report in
# results/futures/report/index.html. Extra arguments go to `deterrence sweep`
# (e.g. --replications 1000 for a quicker look).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
out="${OUT:-results/futures}"
.venv/bin/deterrence sweep experiments/futures.yaml --out "$out" --resume "$@"
.venv/bin/deterrence summarize "$out"
# what drives each future (paired switch-off, 2,000 runs per arm): shown in the report's attribution section
.venv/bin/deterrence attribute --out "$out/attribution"
.venv/bin/deterrence report "$out"
echo "report: $out/report/index.html"
