"""A result made with other versions is read with a warning that names them."""

from __future__ import annotations

import json

from sim.cli import _warn_versions
from sim.experiments.results import provenance


def test_a_warning_names_the_versions_that_differ(tmp_path, capsys):
    now = provenance()
    (tmp_path / "manifest.json").write_text(json.dumps({**now, "packages": {**now["packages"], "numpy": "1.0.0"}}))
    _warn_versions(tmp_path)
    err = capsys.readouterr().err
    assert "numpy 1.0.0 (now" in err and "constraints.txt" in err
    (tmp_path / "manifest.json").write_text(json.dumps(now))
    _warn_versions(tmp_path)
    assert capsys.readouterr().err == ""
