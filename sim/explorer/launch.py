"""Starting the explorer: the Solara server on 127.0.0.1 with every asset served from this machine.

Solara's page loads its front end (Vue, Vuetify, require.js, fonts) from a CDN unless its asset
proxy finds them in ``<prefix>/share/solara/cdn``, which the ``solara-assets`` package fills.
Here the proxy is on, and its CDN is pointed at an address that cannot answer, so an asset
missing from the local copy fails at once (and a test sees it) instead of being fetched; usage
statistics are off. The ``explore`` extra pins versions that fit together (see pyproject.toml).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

SCENARIO_VARIABLE = "DETERRENCE_EXPLORE_SCENARIO"   # the scenario the page shows first (sim.explorer.app)
NO_CDN = "http://127.0.0.1:9/no-cdn/"   # port 9 (discard): refused at once, nothing leaves the machine
VUE2_APP = "@widgetti/solara-vuetify-app@10.1.1"   # the Vue 2 front end Solara serves with ipyvue 1.x


class ExplorerUnavailable(RuntimeError):
    """The explorer's packages are missing or do not fit together."""


def offline_environment(scenario: str) -> dict[str, str]:
    """The environment of the server process: local assets only, no usage statistics."""
    return {
        **os.environ,
        SCENARIO_VARIABLE: scenario,
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_CDN": NO_CDN,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "MPLBACKEND": "Agg",
    }


def check_installation() -> None:
    """Raise :class:`ExplorerUnavailable`, saying what to install, unless the pieces fit."""
    hint = "install the explorer's packages: pip install -e '.[explore]'"
    try:
        versions = {name: metadata.version(name) for name in ("solara", "solara-assets", "ipyvue")}
    except metadata.PackageNotFoundError as err:
        raise ExplorerUnavailable(f"the explorer needs {err.name}; {hint}") from None
    if versions["solara"] != versions["solara-assets"]:
        raise ExplorerUnavailable(f"solara {versions['solara']} with solara-assets {versions['solara-assets']}: the "
                                  f"page's local front end must match solara's version; {hint}")
    if not versions["ipyvue"].startswith("1."):
        # ipyvue 3 switches Solara to its Vue 3 front end, where the draggable grid of Mesa's page
        # fails ("GlobalVue.use is not a function"): the layout is a Vue 2 plugin.
        raise ExplorerUnavailable(f"ipyvue {versions['ipyvue']}: Mesa's page needs ipyvue 1.x (Vue 2); {hint}")
    assets = Path(sys.prefix) / "share" / "solara" / "cdn" / VUE2_APP
    if not assets.is_dir():
        raise ExplorerUnavailable(f"{assets}: Solara's front end is not installed locally; {hint}")


def server_command(*, host: str, port: int, open_browser: bool = False) -> list[str]:
    return [sys.executable, "-m", "solara", "run", "sim.explorer.app", "--host", host, "--port", str(port),
            "--production", "--no-check-version", "--open" if open_browser else "--no-open"]


def serve(scenario: str, *, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True) -> int:
    """Become the explorer's server (this process is replaced by it, so that stopping it, by
    Ctrl-C or a signal, stops the server and leaves nothing behind)."""
    from sim.model.loading import load_scenario

    check_installation()
    load_scenario(scenario)  # a bad scenario is reported here (ScenarioError), not on the page
    print(f"deterrence explorer: http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    command = server_command(host=host, port=port, open_browser=open_browser)
    os.execve(command[0], command, offline_environment(scenario))
    return 0  # pragma: no cover - execve does not return
