#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv with Python >= 3.12 and install
# the project with the extras given as arguments (default: test). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-python.sh
extras="${1:-test}"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# constraints.txt pins every package to the versions CI tested (manifests record what ran)
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[${extras}]"
# the fast engine's compiled kernels: built once here (about 10 s) and cached, not in the first sweep
.venv/bin/python -c 'from sim.engines.fast import compile_kernels; print(f"fast engine kernels ready ({compile_kernels():.1f} s)")'
