"""Experiment files and their designs: the shipped files load, every mistake is named with its
file and line, and designs have the layout and values they promise."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.posterior import load as load_posterior
from sim.cli import main
from sim.experiments.design import build_design
from sim.experiments.experiment import ExperimentError, load_experiment, shipped_experiments
from sim.model.parameters import judgement_parameters

SHORT = """\
extends: status_quo
name: short
title: "Status quo, one year"
horizon_months: 12
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "short.yaml").write_text(SHORT)
    return tmp_path


def write(folder: Path, text: str, name: str = "exp.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    return [str(p) for p in err.value.problems]


HEAD = "name: e\ntitle: t\nscenarios: [short.yaml]\nreplications: 4\nseed: 1\n"


# ---- the shipped experiments ----------------------------------------------------------------


def test_shipped_experiments_load_with_the_designs_they_describe():
    names = {p.stem for p in shipped_experiments()}
    assert {"futures", "withdrawal_x_conditionality", "hidden_bets", "sensitivity"} <= names

    futures = load_experiment("futures")
    assert futures.names == ["status_quo", "troops_to_poland", "further_withdrawals", "europe_accelerates",
                             "unconditional_poland"]
    assert futures.spec.replications == 10_000 and futures.spec.seed == 20260512
    assert build_design(futures).points == 1

    grid = build_design(load_experiment("withdrawal_x_conditionality"))
    assert grid.points == 48
    troops, threshold = grid.values[0][:, 0], grid.values[0][:, 1]
    assert sorted(set(troops)) == [0, 5000, 10000, 15000, 20000, 25000, 30000, 35000]
    assert sorted(set(threshold)) == [0, 1, 2, 3, 4, 5]

    bets = load_experiment("hidden_bets")
    design = build_design(bets)
    assert design.labels == ("hub_kept", "hub_lost", "enablers_dependent", "enablers_sovereign",
                             "russia_reads_signal", "russia_reads_opportunity")
    assert set(design.seed_points) == {0}  # arms are paired: same seeds
    assert design.fixed(0, 1) == {"events.germany_withdrawal.hub_loss": 0.137}
    assert design.fixed(0, 3) == {"pillar.initial_enabler_dependence": 0.2, "pillar.min_enabler_dependence": 0.2}
    assert [(c.a, c.b) for c in bets.spec.compare] == [
        ("hub_lost", "hub_kept"), ("enablers_dependent", "enablers_sovereign"),
        ("russia_reads_opportunity", "russia_reads_signal")]

    sens = load_experiment("sensitivity")
    priors = judgement_parameters(sens.scenarios[0])
    fitted = set(load_posterior(sens.scenarios[0].prior.posterior).names)   # drawn by each run's particle
    assert list(sens.varied) == [n for n, p in priors.items() if not p.is_fixed and n not in fitted]
    assert fitted & set(priors) and not fitted & set(sens.varied)


@pytest.mark.parametrize(("name", "per_point"), [("sensitivity", 3), ("screening", 2)])
def test_the_sensitivity_experiments_say_how_many_priors_and_runs_they_have(name, per_point):
    """Their comments count the priors and the runs; a change of the model's priors must update them."""
    exp = load_experiment(name)
    comment = " ".join(line.lstrip("# ") for line in exp.path.read_text().splitlines() if line.startswith("#"))
    priors = int(re.search(r"the (\d+) priors of", comment).group(1))
    points, runs = re.search(r"(\d+) x (?:\(\d+ \+ \d\)|\d+) = ([\d,]+) runs", comment).groups()
    assert priors == len(exp.varied), f"{name}.yaml says {priors} priors, it has {len(exp.varied)}"
    assert int(points) == exp.spec.design.points
    assert int(runs.replace(",", "")) == exp.spec.design.points * (len(exp.varied) + per_point)


def test_replications_can_be_overridden():
    exp = load_experiment("futures").with_replications(40)
    assert exp.spec.replications == 40 and exp.spec.seed == 20260512


# ---- problems, with file and line ------------------------------------------------------------


def test_a_parameter_a_scenario_does_not_have_names_file_line_parameter_and_scenario(folder):
    path = write(folder, HEAD + "design:\n  kind: grid\n  parameters:\n"
                               "    events.germany_withdrawal.troops: {values: [0, 5000]}\n")
    assert problems(path) == [
        f"{path}:9: design.parameters.events.germany_withdrawal.troops: parameter "
        "'events.germany_withdrawal.troops' does not exist in scenario 'short'; "
        "it has no event 'germany_withdrawal' (its events: none)"]


def test_a_misspelt_parameter_gets_a_suggestion(folder):
    path = write(folder, HEAD + "fixed: {patron.deal_apetite: 0.2}\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:6: fixed.patron.deal_apetite:")
    assert "did you mean 'patron.deal_appetite'?" in message


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("scenarioz: [x]\n", 6, "unknown field 'scenarioz'; did you mean 'scenarios'?"),
    ("design: {kind: gird}\n", 6, "'gird' is not allowed; did you mean 'grid'?"),
    ("design:\n  kind: grid\n  parameters: {patron.attention: prior}\n", 8,
     "a grid takes {values: [...]} or {low, high, levels}, got prior"),
    ("design:\n  kind: grid\n  parameters: {patron.attention: {low: 0.9, high: 0.1, levels: 3}}\n", 8,
     "a range needs low < high, got low=0.9, high=0.1"),
    ("design:\n  kind: grid\n  parameters: {patron.attention: banana}\n", 8, "expected 'prior', a range"),
    ("design:\n  kind: sobol\n  points: 100\n  all_priors: true\n", 8,
     "a Sobol design needs a power of 2 base points (balance), got 100; e.g. 128"),
    ("design:\n  kind: lhs\n  parameters: {patron.attention: prior}\n", 7, "needs 'points'"),
    ("design:\n  kind: morris\n  points: 4\n  levels: 5\n  all_priors: true\n", 9,
     "Morris levels must be an even number (the step is levels / (2 (levels - 1))), got 5; e.g. 6"),
    ("design:\n  kind: morris\n  points: 1\n  all_priors: true\n", 8, "a Morris design needs at least 2 trajectories"),
    ("design:\n  kind: lhs\n  points: 4\n  levels: 4\n  all_priors: true\n", 9,
     "a 'lhs' design does not take 'levels'"),
    ("design:\n  kind: none\n  points: 4\n", 8, "a 'none' design does not take 'points'"),
    ("design:\n  kind: arms\n", 7, "an 'arms' design needs 'arms'"),
    ("design:\n  kind: lhs\n  points: 8\n  parameters: {patron.exit_will_penalty: prior}\n", 9,
     "has a fixed value (3) in scenario 'short': no prior to vary over"),
    ("fixed: {patron.attention: 1.5}\n", 6, "1.5 is outside the allowed range of 'patron.attention', 0 to 1"),
    ("outcomes: [cohesion_final, cohesion_fnal]\n", 6, "unknown outcome 'cohesion_fnal'; did you mean 'cohesion_final'?"),
    ("compare: [{a: short, b: long}]\n", 6, "'long' is neither a scenario nor an arm of this experiment"),
    ("replications: 0\n", 5, "replications: 0 is out of range; allowed: >= 1"),
    # the same checks as a scenario file: whole numbers, finite numbers, each field's range
    ("replications: true\n", 5, "replications: expected a whole number, got true"),
    ("replications: 2.5\n", 5, "replications: expected a whole number, got 2.5"),
    ("timeseries_runs: true\n", 6, "timeseries_runs: expected a whole number, got true"),
    ("fixed: {patron.attention: .nan}\n", 6, "fixed.patron.attention: expected a finite number, got nan"),
    ("fixed: {patron.attention: .inf}\n", 6, "fixed.patron.attention: expected a finite number, got inf"),
    ("fixed: {patron.attention: true}\n", 6, "fixed.patron.attention: expected a number, got true"),
    ("design:\n  kind: grid\n  parameters:\n    patron.deal_price: {values: [0.5, 9]}\n", 9,
     "design.parameters.patron.deal_price.values[1]: 9 is outside the allowed range of 'patron.deal_price', "
     "0 to 5 (% of GDP per year)"),
    ("design:\n  kind: grid\n  parameters:\n    patron.deal_price: {values: [0.5, .nan]}\n", 9,
     "design.parameters.patron.deal_price.values[1]: expected a finite number, got nan"),
    ("design:\n  kind: grid\n  parameters:\n    patron.deal_price: {low: 0, high: 1, levels: true}\n", 9,
     "design.parameters.patron.deal_price.levels: expected a whole number, got true"),
    ("design:\n  kind: lhs\n  points: 8\n  parameters:\n    patron.deal_price: {low: -1, high: 1}\n", 10,
     "design.parameters.patron.deal_price.low: -1 is outside the allowed range of 'patron.deal_price', 0 to 5"),
    ("design:\n  kind: arms\n  arms:\n    a: {patron.attention: 0.5}\n    b: {patron.attention: 2}\n", 10,
     "design.arms.b.patron.attention: 2 is outside the allowed range of 'patron.attention', 0 to 1 (0-1)"),
    ("design:\n  kind: arms\n  arms:\n    a: {patron.attention: 0.5}\n    b: {patron.attention: .inf}\n", 10,
     "design.arms.b.patron.attention: expected a finite number, got inf"),
    ("fixed: {beliefs.forgetting: 7}\n", 6,
     "fixed.beliefs.forgetting: 7 is outside the allowed range of 'beliefs.forgetting', 0.5 to 1 (per month)"),
])
def test_each_mistake_is_one_problem_at_its_line(folder, text, line, expected):
    head = HEAD
    if text.startswith("replications"):
        head = HEAD.replace("replications: 4\n", "")
    path = write(folder, head + text)
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:{line}:"), found
    if expected:
        assert expected in found[0]


def test_event_values_are_held_to_the_ranges_of_their_event_kind(folder):
    path = write(folder, HEAD.replace("[short.yaml]", "[further_withdrawals]")
                 + "fixed: {events.romania_reduction.hazard.monthly: 7}\n"
                 + "design:\n  kind: grid\n  parameters:\n"
                 + "    events.germany_withdrawal.troops: {values: [0, -5000]}\n"
                 + "    events.payment_for_presence.threshold: {low: 0, high: 12, levels: 3}\n")
    assert problems(path) == [
        f"{path}:6: fixed.events.romania_reduction.hazard.monthly: 7 is outside the allowed range of "
        "'events.romania_reduction.hazard.monthly', 0 to 1 (probability per month)",
        f"{path}:10: design.parameters.events.germany_withdrawal.troops.values[1]: -5000 is outside the "
        "allowed range of 'events.germany_withdrawal.troops', 0 to 100000 (troops)",
        f"{path}:11: design.parameters.events.payment_for_presence.threshold.high: 12 is outside the allowed "
        "range of 'events.payment_for_presence.threshold', 0 to 10 (% of GDP)",
    ]


def test_a_missing_scenario_and_an_empty_file(folder):
    path = write(folder, HEAD.replace("[short.yaml]", "[short.yaml, no_such_future]"))
    (message,) = problems(path)
    assert message.startswith(f"{path}:3: scenarios[1]: no scenario named 'no_such_future'")
    assert problems(write(folder, "")) == [f"{folder / 'exp.yaml'}: the file is empty; an experiment needs "
                                           "name, title, scenarios, replications and seed"]


def test_problems_of_a_named_scenario_are_reported_with_its_own_file(folder):
    (folder / "broken.yaml").write_text("extends: status_quo\nname: broken\ntitle: b\npatron: {atention: 1}\n")
    path = write(folder, HEAD.replace("[short.yaml]", "[broken.yaml]"))
    found = problems(path)
    assert found[0] == f"{path}:3: scenarios[0]: scenario 'broken.yaml' has problems (below)"
    assert any("broken.yaml:4: patron.atention: unknown field 'atention'; did you mean 'attention'?" in p
               for p in found[1:])


def test_all_priors_needs_the_same_parameters_in_every_scenario(folder):
    path = write(folder, HEAD.replace("[short.yaml]", "[short.yaml, troops_to_poland]")
                 + "design: {kind: sobol, points: 8, all_priors: true}\n")
    found = problems(path)
    assert found and all("is not a parameter of scenario 'short'" in p for p in found)
    assert any("'events.payment_for_presence.threshold'" in p for p in found)


def test_the_command_line_reports_problems_with_exit_code_2(folder, capsys):
    path = write(folder, HEAD + "fixed: {patron.deal_apetite: 0.2}\n")
    assert main(["sweep", str(path), "--out", str(folder / "out"), "--dry-run"]) == 2
    assert "did you mean 'patron.deal_appetite'?" in capsys.readouterr().err
    assert main(["sweep", "no_such_experiment", "--dry-run"]) == 2
    assert "shipped experiments: " in capsys.readouterr().err
    assert not (folder / "out").exists()


# ---- designs ---------------------------------------------------------------------------------


def design_of(folder: Path, text: str):
    return build_design(load_experiment(write(folder, HEAD + text)))


def test_a_grid_is_the_full_factorial_product_first_parameter_slowest(folder):
    d = design_of(folder, "design:\n  kind: grid\n  parameters:\n"
                          "    patron.attention: {values: [0.6, 0.9]}\n"
                          "    patron.deal_price: {low: 0.2, high: 0.8, levels: 3}\n")
    assert d.names == ("patron.attention", "patron.deal_price")
    assert d.values[0].tolist() == [[0.6, 0.2], [0.6, 0.5], [0.6, 0.8], [0.9, 0.2], [0.9, 0.5], [0.9, 0.8]]
    assert d.seed_points.tolist() == list(range(6))
    assert d.fixed(0, 4) == {"patron.attention": 0.9, "patron.deal_price": 0.5}


def test_latin_hypercube_has_one_point_in_each_stratum_and_is_reproducible(folder):
    text = ("design:\n  kind: lhs\n  points: 20\n  parameters:\n"
            "    patron.attention: {low: 0, high: 1}\n    patron.deal_price: prior\n")
    d = design_of(folder, text)
    x = d.values[0]
    assert sorted(np.floor(x[:, 0] * 20).astype(int)) == list(range(20))
    prior_u = (x[:, 1] - 0.2) / 0.6  # deal_price: uniform(0.2, 0.8) in status_quo
    assert sorted(np.floor(prior_u * 20).astype(int)) == list(range(20))
    assert np.array_equal(design_of(folder, text).values[0], x)


def test_sobol_design_is_laid_out_as_blocks_a_b_ab_and_chance(folder):
    d = design_of(folder, "design:\n  kind: sobol\n  points: 8\n  parameters:\n"
                          "    patron.attention: {low: 0, high: 1}\n    patron.deal_price: {low: 0, high: 1}\n"
                          "    allies.max_ramp: prior\n")
    n, k = 8, 3
    x = d.values[0]
    assert d.points == n * (k + 3) and d.sobol_n == n
    assert d.labels[:n] == ("A",) * n and d.labels[n:2 * n] == ("B",) * n
    assert d.labels[2 * n:3 * n] == ("AB:patron.attention",) * n and d.labels[-n:] == ("AB:chance",) * n
    a, b = x[:n], x[n:2 * n]
    base, seeds = np.arange(n), d.seed_points
    for i in range(k):
        ab = x[(2 + i) * n:(3 + i) * n]
        assert np.array_equal(ab[:, i], b[:, i])
        assert np.array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
        assert np.array_equal(seeds[(2 + i) * n:(3 + i) * n], base)  # A's chance: only parameter i differs
    assert np.array_equal(x[-n:], a)  # AB:chance: A's parameters ...
    assert np.array_equal(seeds[-n:], seeds[n:2 * n]) and np.array_equal(seeds[n:2 * n], n + base)  # ... B's chance
    assert np.array_equal(seeds[:n], base)


def test_designs_other_than_sobol_keep_their_seed_points(folder):
    grid = design_of(folder, "design:\n  kind: grid\n  parameters:\n    patron.attention: {values: [0.6, 0.9]}\n")
    lhs = design_of(folder, "design: {kind: lhs, points: 5, parameters: {patron.attention: prior}}\n")
    arms = design_of(folder, "design: {kind: arms, arms: {a: {patron.attention: 0.6}, b: {patron.attention: 0.9}}}\n")
    assert grid.seed_points.tolist() == [0, 1] and lhs.seed_points.tolist() == [0, 1, 2, 3, 4]
    assert arms.seed_points.tolist() == [0, 0]


def test_prior_mapped_values_follow_each_scenarios_own_prior(folder):
    (folder / "wide.yaml").write_text(SHORT.replace("name: short", "name: wide")
                                      + "patron: {deal_price: {dist: uniform, low: 0.0, high: 1.0}}\n")
    d = build_design(load_experiment(write(folder, HEAD.replace("[short.yaml]", "[short.yaml, wide.yaml]")
                                          + "design: {kind: lhs, points: 10, parameters: {patron.deal_price: prior}}\n")))
    short, wide = d.values[0][:, 0], d.values[1][:, 0]
    assert np.allclose((short - 0.2) / 0.6, wide)  # the same quantile of each scenario's prior
    table = d.table(["short", "wide"]).to_pydict()
    assert table["scenario"] == ["short"] * 10 + ["wide"] * 10
    assert table["patron.deal_price"] == [*short, *wide]
