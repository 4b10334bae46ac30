"""Who pays: the losses by group and horizon, and the verdicts on the brief's claims."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis import whopays


def series(runs: int, by_group: dict[str, float], noise: float = 0.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Credibility series [runs, 120] per group: 0.6 less ``by_group[g]`` times months/120."""
    rng = np.random.default_rng(seed)
    months = np.arange(1, 121) / 120.0
    return {f"credibility_{g}": 0.6 - by_group.get(g, 0.0) * months[None, :] + noise * rng.standard_normal((runs, 120))
            for g in whopays.GROUPS}


def test_losses_are_the_paired_differences_at_each_horizon():
    ref = series(4, {})
    fut = series(4, {"baltic": 0.12})
    loss = whopays.losses(fut, ref)
    for h in whopays.HORIZONS:
        assert loss["baltic", h] == pytest.approx(np.full(4, 0.12 * h / 120))
        assert np.all(loss["germany", h] == 0.0)


def test_claims_hold_are_reversed_or_unresolved_by_their_interval_against_the_minimum_effect():
    ref = series(300, {}, noise=0.001, seed=1)
    # the Baltic states lose fast and Germany slowly: every claim but "above the west" is set up to hold
    baltic_first = series(300, {"baltic": 1.2, "germany": 0.12, "western": 1.2}, noise=0.001, seed=2)
    _, claims = whopays.who_pays(baltic_first, ref)
    got = {c["claim"]: c["verdict"] for c in claims}
    assert got["baltic_hit_first"] == "holds"       # 0.030 - 0.003 at 3 months
    assert got["baltic_risk_grows"] == "holds"      # 0.12 - 0.03
    assert got["germany_slow_burn"] == "holds"      # 0.036 - 0.003
    assert got["baltic_above_west"] == "not resolved"  # equal losses
    germany_first = series(300, {"germany": 1.2}, noise=0.001, seed=3)
    got = {c["claim"]: c["verdict"] for c in whopays.who_pays(germany_first, ref)[1]}
    assert got["baltic_hit_first"] == "reversed"


def test_a_contrast_smaller_than_the_minimum_effect_is_not_resolved_however_precise():
    ref = series(1000, {})
    fut = series(1000, {"baltic": 0.2})  # 0.005 at 3 months: real, exact, and too small to matter
    got = {c["claim"]: c for c in whopays.who_pays(fut, ref)[1]}
    c = got["baltic_hit_first"]
    assert c["contrast"] == pytest.approx(0.005) and c["verdict"] == "not resolved"


def test_tables_read_a_folders_series_whatever_the_number_of_runs(tmp_path):
    """Fewer kept runs than months (a quick sweep) still give the tables; too few months none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    runs, months = 5, 120
    cols = {"scenario": [], "design_point": [], "replication": [], "month": []}
    cols.update({f"credibility_{g}": [] for g in whopays.GROUPS})
    for scenario, drop in (("status_quo", 0.0), ("future", 0.1)):
        for r in range(runs):
            for t in range(months):
                cols["scenario"].append(scenario)
                cols["design_point"].append(0)
                cols["replication"].append(r)
                cols["month"].append(t)
                for g in whopays.GROUPS:
                    cols[f"credibility_{g}"].append(0.6 - drop * (t + 1) / months * (g == "baltic"))
    pq.write_table(pa.table(cols), tmp_path / "timeseries.parquet")
    groups, claims = whopays.tables(tmp_path, [("future", "status_quo")])
    assert len(groups) == len(whopays.GROUPS) * len(whopays.HORIZONS) and len(claims) == len(whopays.CLAIMS)
    assert {c["claim"]: c["verdict"] for c in claims}["baltic_risk_grows"] == "not resolved"  # 0.009, below 0.01
