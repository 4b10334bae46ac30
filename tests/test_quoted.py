"""The numbers README.md and docs/ quote are what experiments/reproduce.py produced, and what the
model gives now (sim/report/quoted.py)."""

from __future__ import annotations

import pytest

from sim.report import quoted


def test_every_quoted_block_is_rendered_from_its_saved_results():
    """No block of the documentation is edited by hand, none lacks a renderer, and every renderer
    has its block."""
    assert quoted.problems() == []


def test_a_hand_edited_number_is_found(tmp_path, monkeypatch):
    from sim.report import quoted_blocks

    doc = tmp_path / "doc.md"
    body = quoted.render("replay-table")
    assert body == quoted_blocks.replay_table(quoted.load("replay")) + "\n"
    edited = body.replace("|", "| 9", 1)
    doc.write_text(f"# x\n<!-- generated:replay-table -->\n{edited}<!-- /generated:replay-table -->\n")
    monkeypatch.setattr(quoted, "ROOT", tmp_path)
    monkeypatch.setattr(quoted, "DOCUMENTS", ("doc.md",))
    found = quoted.problems()
    assert any("doc.md: block 'replay-table' differs" in p for p in found)
    # rewriting restores the rendering, and leaves the text around the block alone
    quoted.write_documents({"replay"})
    assert doc.read_text() == f"# x\n<!-- generated:replay-table -->\n{body}<!-- /generated:replay-table -->\n"


@pytest.mark.slow
def test_the_replay_quoted_is_the_replay_the_model_gives():
    import json
    from dataclasses import asdict

    from sim.analysis.replay import replay

    saved = quoted.load("replay")
    now = json.loads(json.dumps(asdict(replay(runs=saved["runs"], seed=saved["seed"]))))
    assert now == {k: saved[k] for k in now}, (
        "docs/validation.md's replay table is stale: python experiments/reproduce.py --only replay")


@pytest.mark.slow
def test_the_probing_scores_quoted_are_the_ones_the_model_gives():
    from sim.analysis.probing import probing_markdown

    saved = quoted.load("probing")
    assert probing_markdown(runs=saved["runs"], seed=saved["seed"]) == saved["markdown"], (
        "docs/validation.md's probing section is stale: python experiments/reproduce.py --only probing")


@pytest.mark.slow
def test_a_row_of_the_findings_is_the_one_the_model_gives():
    """A spot check of docs/findings.md (the whole table takes minutes): the further withdrawals'
    deals row, recomputed on the same seeds."""
    from sim.analysis import brief_claims

    saved = quoted.load("findings")
    claim = "Further Withdrawals: deterrence fractures: allies conclude bilateral deals"
    want = next(r for r in saved["rows"] if r["claim"] == claim)
    runs = brief_claims.Runs(saved["replications"])
    x = runs("further_withdrawals")[0]["deals_final"] - runs("status_quo")[0]["deals_final"]
    m, lo, hi, _, _ = brief_claims.describe(x)
    assert want["figure"].startswith(f"deals_final: {brief_claims.fmt(m, '')} [{brief_claims.fmt(lo, '')}, "
                                     f"{brief_claims.fmt(hi, '')}]"), want["figure"]



def test_the_mechanisms_table_from_made_up_measurements():
    """The table's cells from (low, mean, high) per part, in the claim's order of parts; backing
    down with its base and the rise in percent."""
    from sim.analysis import mechanisms

    data = {key: {"1": {p: [-0.1, 0.2, 0.5] for p in claim.parts}} for key, claim in mechanisms.CLAIMS.items()}
    data["backing_down"]["1"]["answered"] = [7.0, 8.0, 9.0]
    table = mechanisms.table_markdown(data, roots=[1])
    assert table.splitlines()[0].endswith("| root 1 |") and len(table.splitlines()) == 2 + len(mechanisms.CLAIMS)
    assert "| +0.200 [-0.100, +0.500] / +0.200 [-0.100, +0.500] |" in table      # Fearon: 12 / 24 months
    assert "+0.20 [-0.10, +0.50] on 8.0 (+2.5%)" in table
    lo, m, hi = mechanisms.interval(mechanisms.np.array([1.0, 2.0, 3.0]))
    assert m == 2.0 and abs((hi - m) - 1.96 / mechanisms.np.sqrt(3)) < 1e-12 and abs((m - lo) - (hi - m)) < 1e-12
