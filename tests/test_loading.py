"""Scenario files: every mistake comes back as one Problem with file, line, path and what is allowed."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from sim.model.loading import (
    Problem,
    ScenarioError,
    find_scenario,
    load_scenario,
    scenario_hash,
    shipped_scenarios,
)
from sim.model.priors import Beta, Uniform
from sim.model.scenario import Patron, Scenario


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path | str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def only(path: Path | str) -> Problem:
    found = problems(path)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


# --------------------------------------------------------------------------------------------
# Valid files


def test_minimal_scenario_gets_all_defaults(tmp_path):
    path = write(tmp_path, "minimal.yaml", """
        name: minimal
        title: Just a name and a title
    """)
    scenario = load_scenario(path)
    assert scenario == Scenario(name="minimal", title="Just a name and a title")
    assert scenario.horizon_months == 120
    assert scenario.patron == Patron()
    assert scenario.events == [] and scenario.signposts == []


def test_values_reach_pydantic_as_plain_python(tmp_path):
    path = write(tmp_path, "plain.yaml", """
        name: plain
        title: Plain
        horizon_months: 1_20
        patron:
          deal_price: 0.5
          deal_appetite: {dist: uniform, low: 0.2, high: 0.3}
    """)
    scenario = load_scenario(path)
    assert type(scenario.horizon_months) is int and scenario.horizon_months == 120
    assert type(scenario.patron.deal_price) is float
    assert scenario.patron.deal_appetite == Uniform(dist="uniform", low=0.2, high=0.3)


# --------------------------------------------------------------------------------------------
# Unknown fields, wrong types, ranges


def test_unknown_key_names_the_closest_field(tmp_path):
    path = write(tmp_path, "typo.yaml", """
        name: typo
        title: Typo
        patron:
          deal_pryce: 0.5
    """)
    problem = only(path)
    assert problem.file == str(path)
    assert problem.line == 4
    assert problem.path == "patron.deal_pryce"
    assert problem.message == "unknown field 'deal_pryce'; did you mean 'deal_price'?"
    assert str(problem) == f"{path}:4: patron.deal_pryce: unknown field 'deal_pryce'; did you mean 'deal_price'?"


def test_unknown_key_without_close_match_lists_the_allowed_fields(tmp_path):
    path = write(tmp_path, "far.yaml", """
        name: far
        title: Far
        world:
          zebra: 1
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "world.zebra")
    assert "allowed: calibration_year, overrides" in problem.message


def test_wrong_type_for_a_prior_is_one_problem_saying_what_was_given(tmp_path):
    path = write(tmp_path, "type.yaml", """
        name: wrong_type
        title: Wrong type
        patron:
          attention: high
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "patron.attention")
    assert "expected a number or a prior such as {dist: uniform" in problem.message
    assert "got 'high'" in problem.message


def test_wrong_type_for_plain_fields(tmp_path):
    path = write(tmp_path, "types.yaml", """
        name: types
        title: Types
        horizon_months: lots
        patron: 3
        start: 2026-13
    """)
    found = {p.path: p for p in problems(path)}
    assert set(found) == {"horizon_months", "patron", "start"}
    assert "expected a whole number, got 'lots'" in found["horizon_months"].message
    assert "expected a mapping" in found["patron"].message and found["patron"].line == 4
    assert "YYYY-MM" in found["start"].message and "'2026-13'" in found["start"].message


def test_value_out_of_range(tmp_path):
    path = write(tmp_path, "range.yaml", """
        name: out_of_range
        title: Out of range
        patron:
          deal_appetite: 1.5
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "patron.deal_appetite")
    assert "1.5" in problem.message and "allowed range 0 to 1" in problem.message


def test_prior_whose_support_exceeds_the_range(tmp_path):
    path = write(tmp_path, "support.yaml", """
        name: support
        title: Support
        patron:
          protection_value: {dist: uniform, low: 0.5, high: 20}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "patron.protection_value")
    assert "0.5 to 20" in problem.message and "allowed range 0 to 10" in problem.message


def test_plain_field_out_of_range_states_the_whole_range(tmp_path):
    path = write(tmp_path, "horizon.yaml", """
        name: horizon
        title: Horizon
        horizon_months: 700
    """)
    problem = only(path)
    assert problem.path == "horizon_months"
    assert problem.message == "700 is out of range; allowed: 1 to 600"


def test_literal_error_lists_the_allowed_values(tmp_path):
    path = write(tmp_path, "literal.yaml", """
        name: literal
        title: Literal
        world:
          overrides:
            POL: {alignment: atlanticst}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (5, "world.overrides.POL.alignment")
    assert "did you mean 'atlanticist'?" in problem.message
    assert "allowed: atlanticist, europeanist, russia_leaning" in problem.message


# --------------------------------------------------------------------------------------------
# Priors


def test_prior_with_reversed_bounds(tmp_path):
    path = write(tmp_path, "reversed.yaml", """
        name: reversed
        title: Reversed
        patron:
          deal_price: {dist: uniform, low: 0.9, high: 0.2}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "patron.deal_price")
    assert "low < high" in problem.message and "low=0.9" in problem.message


def test_unknown_distribution(tmp_path):
    path = write(tmp_path, "dist.yaml", """
        name: gauss
        title: Gauss
        patron:
          will_base:
            dist: gauss
            mean: 1
            sd: 1
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (5, "patron.will_base.dist")
    assert problem.message == (
        "unknown distribution 'gauss'; allowed: uniform, normal, beta, triangular, choice, fixed"
    )


def test_prior_missing_a_parameter_or_with_an_extra_one(tmp_path):
    path = write(tmp_path, "params.yaml", """
        name: params
        title: Params
        allies:
          max_ramp: {dist: uniform, low: 0.3}
          depreciation: {dist: uniform, low: 0.05, high: 0.1, mode: 0.07}
    """)
    found = {p.path: p for p in problems(path)}
    assert set(found) == {"allies.max_ramp.high", "allies.depreciation.mode"}
    assert found["allies.max_ramp.high"].message == "missing required field 'high'"
    assert found["allies.max_ramp.high"].line == 4
    assert found["allies.depreciation.mode"].line == 5
    assert "allowed: dist, low, high" in found["allies.depreciation.mode"].message


# --------------------------------------------------------------------------------------------
# Countries, events, signposts


def test_unknown_country_code_in_overrides(tmp_path):
    path = write(tmp_path, "override.yaml", """
        name: override
        title: Override
        world:
          overrides:
            DEU: {defence_share: 2.5}
            DEV: {defence_share: 3.0}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (6, "world.overrides.DEV")
    assert "unknown country code 'DEV'" in problem.message
    assert "did you mean 'DEU'?" in problem.message and "POL" in problem.message


def test_unknown_country_code_in_an_event_host(tmp_path):
    path = write(tmp_path, "host.yaml", """
        name: host
        title: Host
        events:
          - kind: withdrawal
            month: 2027-01
            troops: 1000
          - kind: withdrawal
            month: 2027-01
            host: GER
            troops: 1000
    """)
    found = problems(path)
    # events[0] lacks its host: the schema stops there, so fix it and look again.
    assert [(p.path, p.line) for p in found] == [("events[0].host", 4)]
    path.write_text(path.read_text().replace("  - kind: withdrawal\n    month", "  - kind: withdrawal\n    host: DEU\n    month", 1))
    problem = only(path)
    assert (problem.line, problem.path) == (10, "events[1].host")
    assert "unknown country code 'GER'" in problem.message and "allowed: ALB" in problem.message


def test_event_month_beyond_the_horizon(tmp_path):
    path = write(tmp_path, "late.yaml", """
        name: late
        title: Late
        horizon_months: 12
        events:
          - kind: exit_notice
            month: 2031-01
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (6, "events[0].month")
    assert "2031-01 is outside the simulated months 2026-05 to 2027-04" in problem.message


def test_event_with_both_month_and_hazard(tmp_path):
    path = write(tmp_path, "both.yaml", """
        name: both
        title: Both
        events:
          - kind: exit_notice
            month: 2027-01
            hazard: {monthly: 0.01}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "events[0]")
    assert "exactly one of 'month' or 'hazard'" in problem.message


def test_unknown_event_kind(tmp_path):
    path = write(tmp_path, "kind.yaml", """
        name: kind
        title: Kind
        events:
          - {kind: withdrawl, host: DEU, month: 2027-01, troops: 100}
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (4, "events[0].kind")
    assert "unknown event kind 'withdrawl'; did you mean 'withdrawal'?" in problem.message


def test_signpost_of_neither_sort_is_one_problem(tmp_path):
    path = write(tmp_path, "signpost.yaml", """
        name: signpost
        title: Signpost
        signposts:
          - {id: ok, label: fine, event: exit_notice}
          - {id: vague, label: neither event nor series}
          - {id: series, label: no bound, series: cohesion, by: 2030-01}
    """)
    found = problems(path)
    assert [(p.path, p.line) for p in found] == [("signposts[1]", 5), ("signposts[2]", 6)]
    assert "'event: <event kind>'" in found[0].message
    assert "exactly one of 'at_least' or 'at_most'" in found[1].message


def test_signpost_with_a_deadline_before_the_start_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, "early.yaml", """
        name: early
        title: Early
        start: 2026-05
        signposts:
          - {id: on_time, label: fine, event: exit_notice, by: 2026-05}
          - {id: too_early, label: before the start, event: exit_notice, by: 2025-12}
          - {id: series_early, label: before the start, series: cohesion, at_least: 0.5, by: 2026-04}
    """)
    found = problems(path)
    assert [str(p) for p in found] == [
        f"{path}:6: signposts[1].by: signpost 'too_early' has its deadline 2025-12 before the start 2026-05, "
        "so it could never be met; give a month from 2026-05 on",
        f"{path}:7: signposts[2].by: signpost 'series_early' has its deadline 2026-04 before the start "
        "2026-05, so it could never be met; give a month from 2026-05 on",
    ]


def test_an_inherited_signpost_before_a_later_start_names_the_parent_line(tmp_path):
    write(tmp_path, "parent.yaml", """
        name: parent
        title: Parent
        signposts:
          - {id: by_2027, label: by 2027, event: exit_notice, by: 2027-01}
    """)
    child = write(tmp_path, "child.yaml", """
        extends: parent
        name: child
        title: Child
        start: 2028-01
    """)
    (problem,) = problems(child)
    assert (problem.file, problem.line, problem.path) == (str(tmp_path / "parent.yaml"), 4, "signposts[0].by")
    assert "signpost 'by_2027' has its deadline 2027-01 before the start 2028-01" in problem.message


@pytest.mark.parametrize(("text", "path", "message"), [
    ("horizon_months: true", "horizon_months", "expected a whole number, got true"),
    ("horizon_months: 12.5", "horizon_months", "expected a whole number, got 12.5"),
    ("world: {calibration_year: true}", "world.calibration_year", "expected a whole number, got true"),
    ("world: {overrides: {POL: {gdp_usd_bn: .inf}}}", "world.overrides.POL.gdp_usd_bn",
     "expected a finite number, got inf"),
    ("patron: {deal_price: .nan}", "patron.deal_price", "expected a number or a prior"),
    ("patron: {deal_price: {dist: uniform, low: 0.1, high: .nan}}", "patron.deal_price.high",
     "expected a finite number, got nan"),
    ("patron: {deal_price: {dist: normal, mean: .nan, sd: 1, low: 0, high: 1}}", "patron.deal_price.mean",
     "expected a finite number, got nan"),
    ("patron: {deal_price: {dist: beta, a: .inf, b: 2}}", "patron.deal_price.a", "expected a finite number, got inf"),
    ("patron: {deal_price: {dist: triangular, low: 0, mode: .nan, high: 1}}", "patron.deal_price.mode",
     "expected a finite number, got nan"),
    ("patron: {deal_price: {dist: choice, values: [0.5, .nan]}}", "patron.deal_price.values[1]",
     "expected a finite number, got nan"),
    ("patron: {deal_price: {dist: choice, values: [0.5, 1], weights: [1, .inf]}}", "patron.deal_price.weights[1]",
     "expected a finite number, got inf"),
    ("patron: {deal_price: {dist: uniform, low: true, high: 1}}", "patron.deal_price.low",
     "expected a number, got true"),
    ("signposts: [{id: s, label: S, series: cohesion, at_least: .nan, by: 2027-01}]", "signposts[0].at_least",
     "expected a finite number, got nan"),
])
def test_whole_and_finite_numbers_are_strict(tmp_path, text, path, message):
    problem = only(write(tmp_path, "strict.yaml", f"name: strict\ntitle: Strict\n{text}\n"))
    assert (problem.line, problem.path) == (3, path)
    assert message in problem.message, problem.message


def test_several_problems_in_one_file_are_reported_together(tmp_path):
    path = write(tmp_path, "two.yaml", """
        name: two
        title: Two
        patron:
          deal_pryce: 0.5
        beliefs:
          forgetting: 2
    """)
    found = problems(path)
    assert [(p.path, p.line) for p in found] == [("patron.deal_pryce", 4), ("beliefs.forgetting", 6)]
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).splitlines() == [str(p) for p in found]


def test_line_of_a_deeply_nested_key(tmp_path):
    path = write(tmp_path, "nested.yaml", """
        name: nested
        title: Nested
        # a comment line, to be sure lines are counted from the file
        events:
          - id: first
            kind: exit_notice
            month: 2027-01
          - id: second
            kind: eu_budget
            hazard:
              rises_with: months_elapsed
              monthly:
                dist: uniform
                low: 0.1
                high: 1.5
    """)
    problem = only(path)
    assert problem.path == "events[1].hazard.monthly"
    assert problem.line == 12
    assert "monthly hazard must lie in 0 to 1" in problem.message


# --------------------------------------------------------------------------------------------
# YAML itself


def test_yaml_syntax_error_gives_its_line(tmp_path):
    path = write(tmp_path, "syntax.yaml", """
        name: syntax
        title: Syntax
        patron:
          deal_price: [0.5
          attention: 0.7
    """)
    problem = only(path)
    assert problem.line == 5
    assert problem.message.startswith("YAML syntax error")
    assert "line 4" in problem.message


def test_tab_indentation_is_a_syntax_error(tmp_path):
    path = tmp_path / "tab.yaml"
    path.write_text("name: tab\ntitle: Tab\npatron:\n\tdeal_price: 1\n")
    problem = only(path)
    assert problem.line == 4 and "YAML syntax error" in problem.message


def test_duplicate_key(tmp_path):
    path = write(tmp_path, "dup.yaml", """
        name: dup
        title: Dup
        patron:
          deal_price: 0.5
          deal_price: 0.6
    """)
    problem = only(path)
    assert problem.line == 5 and "'deal_price' appears twice" in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("- name: x\n", "top level must be a mapping"),
        ("just a sentence\n", "top level must be a mapping"),
    ],
)
def test_file_that_is_not_a_mapping(tmp_path, text, words):
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    assert words in only(path).message


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: x\ntitle: Fran\xe7ais\n".encode("latin-1"))
    problem = only(path)
    assert problem.line == 2 and "UTF-8" in problem.message


def test_missing_file_names_the_shipped_scenarios(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    problem = only(missing)
    assert problem.file == str(missing)
    assert "does not exist" in problem.message
    assert "shipped scenarios" in problem.message
    with pytest.raises(ScenarioError):
        find_scenario("no_such_scenario_anywhere")


def test_missing_name_and_title(tmp_path):
    path = write(tmp_path, "anon.yaml", """
        narrative: Nobody named this one.
    """)
    found = problems(path)
    assert [p.path for p in found] == ["name", "title"]
    assert all(p.message.startswith("missing required field") for p in found)


def test_error_pickles_with_its_problems(tmp_path):
    err = ScenarioError([Problem("x.yaml", 3, "patron.deal_price", "bad"), Problem("x.yaml", None, "", "worse")])
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems
    assert str(again) == "x.yaml:3: patron.deal_price: bad\nx.yaml: worse"


# --------------------------------------------------------------------------------------------
# extends


def test_extends_cycle_of_two_files(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\ntitle: A\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\ntitle: B\n")
    problem = only(tmp_path / "a.yaml")
    assert problem.path == "extends" and problem.line == 1
    assert "a.yaml -> b.yaml -> a.yaml" in problem.message


def test_file_extending_itself(tmp_path):
    write(tmp_path, "me.yaml", "name: me\ntitle: Me\nextends: me\n")
    problem = only(tmp_path / "me.yaml")
    assert (problem.path, problem.line) == ("extends", 3)
    assert "me.yaml -> me.yaml" in problem.message


def test_extends_a_file_that_does_not_exist(tmp_path):
    write(tmp_path, "orphan.yaml", "name: orphan\ntitle: Orphan\nextends: parents/gone.yaml\n")
    problem = only(tmp_path / "orphan.yaml")
    assert (problem.path, problem.line) == ("extends", 3)
    assert "does not exist" in problem.message


BASE = """
    name: base
    title: Base
    horizon_months: 60
    patron:
      deal_price: 0.5
      deal_appetite: {dist: uniform, low: 0.1, high: 0.2}
    world:
      overrides:
        DEU: {defence_share: 2.0, fiscal_ceiling: 4}
    events:
      - {id: first, kind: exit_notice, month: 2027-01}
      - {id: second, kind: exit_notice, month: 2027-02}
      - {id: third, kind: exit_notice, month: 2027-03}
      - {kind: eu_budget, month: 2027-04}
    signposts:
      - {id: exit, label: Exit notice, event: exit_notice}
"""


def test_extends_merges_mappings_deeply_and_lists_by_id(tmp_path):
    write(tmp_path, "common/base.yaml", BASE)
    path = write(tmp_path, "child.yaml", """
        extends: common/base.yaml
        name: child
        title: Child
        patron:
          deal_appetite: {dist: beta, a: 2, b: 5}
        world:
          overrides:
            DEU: {defence_share: 3.0}
            POL: {defence_share: 4.5}
        events:
          - {id: second, kind: eu_budget, month: 2028-02, multiplier: 3}
          - {id: third, remove: true}
          - {kind: exit_notice, month: 2029-01}
    """)
    scenario = load_scenario(path)
    assert (scenario.name, scenario.title, scenario.horizon_months) == ("child", "Child", 60)
    # Mappings merge key by key; a prior is replaced whole, not mixed with the parent's.
    assert scenario.patron.deal_price == 0.5
    assert scenario.patron.deal_appetite == Beta(dist="beta", a=2, b=5)
    assert scenario.world.overrides["DEU"].defence_share == 3.0
    assert scenario.world.overrides["DEU"].fiscal_ceiling == 4
    assert scenario.world.overrides["POL"].defence_share == 4.5
    # Events: 'second' replaced in place, 'third' removed, the id-less one appended.
    assert [(e.id, e.kind, e.month) for e in scenario.events] == [
        ("first", "exit_notice", "2027-01"),
        ("second", "eu_budget", "2028-02"),
        (None, "eu_budget", "2027-04"),
        (None, "exit_notice", "2029-01"),
    ]
    assert [s.id for s in scenario.signposts] == ["exit"]


def test_extends_by_shipped_name_or_sibling_name(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    path = write(tmp_path, "sibling.yaml", "extends: base\nname: sibling\ntitle: Sibling\n")
    assert len(load_scenario(path).events) == 4


def test_hazard_start_beyond_the_horizon_points_at_the_hazard(tmp_path):
    path = write(tmp_path, "after.yaml", """
        name: after
        title: After
        events:
          - kind: exit_notice
            hazard:
              monthly: 0.01
              after: 2040-01
    """)
    problem = only(path)
    assert (problem.line, problem.path) == (7, "events[0].hazard.after")
    assert "2040-01 is outside the simulated months" in problem.message


def test_extends_a_shipped_scenario_by_name(tmp_path):
    if "status_quo" not in [p.stem for p in shipped_scenarios()]:
        pytest.skip("no shipped status_quo scenario yet")
    shipped = load_scenario("status_quo")
    path = write(tmp_path, "variant.yaml", """
        extends: status_quo
        name: variant
        title: Variant
        patron:
          deal_price: 1.0
    """)
    variant = load_scenario(path)
    assert variant.patron.deal_price == 1.0
    assert variant.events == shipped.events and variant.allies == shipped.allies


def test_name_and_title_are_not_inherited(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    path = write(tmp_path, "nameless.yaml", "extends: base.yaml\nnarrative: no name\n")
    found = problems(path)
    assert [p.path for p in found] == ["name", "title"]
    assert all(p.file == str(path) for p in found)
    assert "not inherited" in found[0].message


def test_problem_in_a_parent_names_the_parent_and_its_line(tmp_path):
    write(tmp_path, "base.yaml", BASE.replace("deal_price: 0.5", "deal_price: 0.5\n      deal_apetite: 0.3"))
    path = write(tmp_path, "kid.yaml", """
        extends: base.yaml
        name: kid
        title: Kid
        events:
          - {id: fourth, kind: exit_notice, month: 2027-05, zzz: 1}
    """)
    found = problems(path)
    assert [(Path(p.file).name, p.line, p.path) for p in found] == [
        ("kid.yaml", 5, "events[0].zzz"),
        ("base.yaml", 6, "patron.deal_apetite"),
    ]
    assert found[1].file == str(tmp_path / "base.yaml")
    assert "did you mean 'deal_appetite'?" in found[1].message


def test_syntax_error_in_a_parent(tmp_path):
    write(tmp_path, "broken.yaml", "name: broken\ntitle: [Broken\n")
    path = write(tmp_path, "heir.yaml", "extends: broken.yaml\nname: heir\ntitle: Heir\n")
    problem = only(path)
    assert problem.file == str(tmp_path / "broken.yaml")
    assert "YAML syntax error" in problem.message


def test_removing_an_id_that_is_not_inherited(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    path = write(tmp_path, "remover.yaml", """
        extends: base.yaml
        name: remover
        title: Remover
        events:
          - {id: fourth, remove: true}
          - {id: first, remove: yes}
    """)
    found = problems(path)
    assert [(p.path, p.line) for p in found] == [("events[0].id", 5), ("events[1].remove", 6)]
    assert "no inherited event with id 'fourth'" in found[0].message
    assert "first, second, third" in found[0].message


def test_scenario_hash_covers_what_a_file_extends(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\ntitle: Child\n")
    before = scenario_hash(child)
    assert before == scenario_hash(str(child)) and len(before) == 64
    assert before != scenario_hash(base)
    base.write_text(base.read_text().replace("horizon_months: 60", "horizon_months: 61"))
    assert scenario_hash(child) != before


# --------------------------------------------------------------------------------------------
# Shipped scenarios


def test_shipped_scenarios_load_by_path_and_by_name():
    for path in shipped_scenarios():
        assert path.suffix == ".yaml" and path.parent.name == "scenarios"
        assert load_scenario(path) == load_scenario(path.stem)
        assert find_scenario(path.stem).resolve() == path.resolve()


def test_mapping_as_key_is_a_problem_not_a_traceback(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text("name: x\ntitle: X\npatron: {{a: 1}: x}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert any("a key must be a plain name, got a mapping" in p.message and p.line == 3
               for p in info.value.problems)
