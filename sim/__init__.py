"""deterrence: an agent-based simulator of alliance deterrence (NATO allies, the US, Russia).

The public API is small::

    from sim import load_scenario, AllianceModel, run_scenario
    model = AllianceModel(load_scenario("troops_to_poland"), rng=1)
    model.run()
    model.outcomes()["credibility_eastern_flank_final"]
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deterrence")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from sim.engines.mesa.model import AllianceModel
from sim.engines.runner import RunResult, run_scenario
from sim.model.loading import ScenarioError, load_scenario

__all__ = ["AllianceModel", "RunResult", "ScenarioError", "__version__", "load_scenario", "run_scenario"]
