"""Per-run invariants (sim.model.invariants): each one named when broken, with the run's seed and
month; the same message from both engines; a run that breaks one fails, it is not recorded
with NaN beside plausible numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.engines.runner import RunFailure, RunResult, run_chunk
from sim.model import invariants
from sim.model.invariants import InvariantViolation, check_series, check_state
from sim.model.loading import load_scenario
from sim.model.outcomes import SERIES

R, N = 4, 31
SEEDS = [11, 12, 13, 14]


def state(**change):
    rng = np.random.default_rng(0)
    s = {"credibility": rng.random((R, N)), "russia_belief": rng.random((R, N)),
         "troops_permanent": rng.random((R, N)) * 1000, "troops_rotational": rng.random((R, N)) * 100,
         "troops_home": np.zeros(R), "share": rng.random((R, N)) * 3, "gdp": rng.random((R, N)) * 1000,
         "capability": rng.random((R, N)), "enabler_dependence": rng.random((R, N))}
    s["troops_total"] = (s["troops_permanent"] + s["troops_rotational"]).sum(axis=1)
    for key, (run, ally, value) in change.items():
        s[key] = s[key].copy()
        if s[key].ndim == 2:
            s[key][run, ally] = value
        else:
            s[key][run] = value
    return s


def test_a_consistent_state_passes():
    check_state(5, SEEDS, **state())
    s = state()
    # troops moved from one host to another and home: hosted plus home stays the same
    moved = 0.5 * s["troops_permanent"][1, 3]
    s["troops_permanent"][1, 3] -= moved
    s["troops_rotational"][1, 7] += 0.6 * moved
    s["troops_home"] = np.array([0.0, 0.4 * moved, 0.0, 0.0])
    check_state(5, SEEDS, **s)
    s["troops_home"][1] -= 1000.0  # sent from the US: home below zero is allowed...
    s["troops_rotational"][1, 7] += 1000.0  # ...when the hosts have them
    check_state(5, SEEDS, **s)


@pytest.mark.parametrize(("change", "named"), [
    ({"share": (2, 5, np.nan)}, "allies' defence spending share a finite number"),
    ({"capability": (1, 0, np.inf)}, "allies' capability a finite number"),
    ({"credibility": (2, 4, 1.2)}, "allies' belief in the guarantee in [0, 1]"),
    ({"russia_belief": (3, 4, -0.1)}, "Russia's belief in US will in [0, 1]"),
    ({"troops_permanent": (2, 9, -5.0)}, "troops hosted by each ally non-negative"),
    ({"troops_home": (2, None, 800.0)}, "troops hosted plus US forces at home constant"),
])
def test_each_broken_invariant_is_named_with_the_seed_and_month(change, named):
    key, (run, ally, value) = next(iter(change.items()))
    s = state(**change) if ally is not None else state(**{key: (run, 0, value)})
    with pytest.raises(InvariantViolation) as err:
        check_state(17, SEEDS, **s)
    assert named in str(err.value) and f"seed {SEEDS[run]}" in str(err.value) and "month 17" in str(err.value)
    assert err.value.seed == SEEDS[run] and err.value.month == 17 and err.value.invariant == named


def test_series_checks_find_the_first_run_and_month_and_allow_only_their_ranges():
    months = 12
    series = {name: np.full((R, months), 0.5) for name in SERIES}
    check_series(SEEDS, series, N, first_month=24)
    series["allies_with_deal"][:, :] = 31.0  # every ally: allowed
    check_series(SEEDS, series, N)
    series["allies_with_deal"][2, 7] = 32.0
    series["cohesion"][3, 1] = np.nan
    with pytest.raises(InvariantViolation, match=r"allies_with_deal in \[0, 31\].*seed 13, in month 31"):
        check_series(SEEDS, series, N, first_month=24)
    series["allies_with_deal"][2, 7] = 3.0
    with pytest.raises(InvariantViolation, match=r"cohesion in \[0, 1\], a finite number \(seed 14, in month 1\)"):
        check_series(SEEDS, series, N)
    series["cohesion"][3, 1] = 0.5
    series["probes"][0, 0] = -1.0
    with pytest.raises(InvariantViolation, match=r"probes at least 0.*seed 11, in month 0"):
        check_series(SEEDS, series, N)


def test_the_checks_fall_on_every_twelfth_month_and_the_last():
    assert [t for t in range(30) if invariants.due(t, 30)] == [11, 23, 29]
    assert [invariants.window(t) for t in (11, 23, 29)] == [0, 12, 24]


def test_both_engines_stop_a_broken_run_with_the_same_message(monkeypatch):
    """A rule made to give beliefs above 1 (as a bug could): both engines fail the run, naming
    the invariant, the seed and the month, with the same words."""
    from sim.model.rules import credibility

    beta_mean = credibility.beta_mean
    monkeypatch.setattr(credibility, "beta_mean", lambda a, b: 1.5 * beta_mean(a, b))
    scenario = load_scenario("status_quo").model_copy(update={"horizon_months": 14})
    errors = {}
    for engine in ("fast", "mesa"):
        out = run_chunk(scenario, [3, 4], engine=engine)
        assert all(isinstance(r, RunFailure) for r in out), engine
        errors[engine] = [r.error.splitlines()[0] for r in out]
    assert errors["fast"] == errors["mesa"]
    # a belief above 1: in a monthly series of beliefs (month by month) or in an ally's (month 11)
    assert re.match(r"InvariantViolation: invariant broken: .*in \[0, 1\].* \(seed 3, in month \d+\); "
                    r"replay with AllianceModel\(scenario, rng=3\)$", errors["fast"][0]), errors["fast"][0]


def test_a_scenario_that_divides_by_zero_fails_its_runs_instead_of_recording_nan(tmp_path):
    """The schema refuses a zero depreciation; a scenario built around the schema from Python
    (model_copy does not validate) fails its runs with a named invariant, never records NaN."""
    from sim.model.loading import ScenarioError

    path = tmp_path / "broken.yaml"
    path.write_text("extends: status_quo\nname: broken\ntitle: t\nhorizon_months: 12\n"
                    "allies: {depreciation: 0.0}\n")
    with pytest.raises(ScenarioError):
        load_scenario(path)
    base = load_scenario("status_quo").model_copy(update={"horizon_months": 12})
    scenario = base.model_copy(update={"allies": base.allies.model_copy(update={"depreciation": 0.0})})
    out = run_chunk(scenario, [1, 2, 3], engine="fast")
    for r in out:
        if isinstance(r, RunResult):  # a run that completes has finite outcomes in their ranges
            values = np.array([v for k, v in r.outcomes.items() if not k.endswith("month")], dtype=float)
            assert np.isfinite(values[~np.isnan(values)]).all()
        else:
            assert "invariant broken" in r.error and f"seed {r.seed}" in r.error
    assert any(isinstance(r, RunFailure) for r in out)
