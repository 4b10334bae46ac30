#!/usr/bin/env bash
# Set up the environment and run the whole test suite (the README's test command; CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,explore  # the explorer's end-to-end test runs in CI too
.venv/bin/python -m pytest -q "$@"
