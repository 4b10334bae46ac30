"""experiments/referee_table.py: the table of the brief's claims runs, and its verdicts mean what they say."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "referee_table.py"


def load():
    spec = importlib.util.spec_from_file_location("referee_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verdicts_against_the_minimum_effect():
    from sim.analysis import brief_claims

    rt = load()
    assert rt.verdict is brief_claims.verdict
    assert rt.verdict(0.02, 0.04, +1, 0.01) == "agrees"
    assert rt.verdict(-0.04, -0.02, +1, 0.01) == "opposite"
    assert rt.verdict(-0.04, -0.02, -1, 0.01) == "agrees"
    assert rt.verdict(0.005, 0.02, +1, 0.01) == "too small or unclear"
    assert rt.verdict(-0.01, 0.004, 0, 0.005) == "agrees"       # not higher by what matters
    assert rt.verdict(0.006, 0.02, 0, 0.005) == "opposite"
    assert rt.verdict(0.004, 0.013, 0, 0.005) == "too small or unclear"


@pytest.mark.slow
def test_the_table_covers_every_claim_with_a_verdict():
    rt = load()
    rows = rt.table(40)
    claims = [r["claim"] for r in rows]
    for part in ("Troops Go to Poland", "Further Withdrawals", "Europe Accelerates", "What would change this",
                 "Hidden bet 1", "Hidden bet 2", "Hidden bet 3", "View one", "View two", "Who pays"):
        assert any(c.startswith(part) for c in claims), part
    allowed = {"agrees", "opposite", "too small or unclear"}
    assert all(r["verdict"] in allowed or r["verdict"].startswith("a probability") for r in rows)
    text = rt.markdown(rows, 40)
    assert text.count("\n| ") == len(rows) + 1  # header and one line per claim
