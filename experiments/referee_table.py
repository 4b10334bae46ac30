"""The brief's claims against the model, as a table (sim/analysis/brief_claims.py).

    python experiments/referee_table.py [--replications 2000] [--out FILE] [--judgement]

docs/findings.md is written by `python experiments/reproduce.py --only findings`, which runs it
twice (calibrated and on judgement priors) and adds what the calibration changed.
"""

import sys

from sim.analysis.brief_claims import MIN, main, markdown, table, verdict

__all__ = ["MIN", "main", "markdown", "table", "verdict"]

if __name__ == "__main__":
    sys.exit(main())
