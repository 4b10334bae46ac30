"""``python -m sim`` is the ``deterrence`` command."""

import sys

from sim.cli import main

sys.exit(main())
