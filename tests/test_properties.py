"""Property-based tests (hypothesis) of the scenario and experiment loaders and of the command's
arguments: whatever a user writes, the answer is a loaded file or a clean rejection
(``ScenarioError``, exit code 2), never a traceback, and the answer comes at once.

Bounded for the fast loop: a fixed number of examples each, a deadline per example, about ten
seconds in all. For longer runs of the loaders: ``python -m tests.fuzz_loader --minutes 10``.
Run with ``-s`` to see the counts of inputs tried, accepted and rejected.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.experiment import load_experiment
from sim.model.loading import ScenarioError, load_scenario
from sim.model.scenario import Scenario

COUNTS: Counter = Counter()
HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]
# The fast loop: a few dozen examples each, derandomised (the same inputs every run), a deadline
# per example; about five seconds in all. The slow variants (-m slow) try ten times as many.
SETTINGS = settings(max_examples=25, deadline=3000, derandomize=True, suppress_health_check=HEALTH)
MANY = settings(max_examples=150, deadline=3000, derandomize=True, suppress_health_check=HEALTH)


def properties(fast: settings = SETTINGS, **strategies):
    """A property as two tests: the fast loop's, and one with ten times the examples, random
    ones, marked slow."""

    def make(body):
        return fast(given(**strategies)(body)), pytest.mark.slow(MANY(given(**strategies)(body)))

    return make
FOLDER = Path(tempfile.mkdtemp(prefix="deterrence-properties-"))

SECTIONS = {name: list(Scenario.model_fields[name].annotation.model_fields)
            for name in ("patron", "beliefs", "allies", "adversary", "pillar")}
FIELDS = st.sampled_from([(s, f) for s, fields in SECTIONS.items() for f in fields])

numbers = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, True, False]))
scalars = st.one_of(numbers, st.none(), st.text(max_size=20), st.sampled_from(["2026-05", "2026-13", "prior", "nan"]))
priors = st.fixed_dictionaries({"dist": st.sampled_from(["uniform", "normal", "beta", "choice", "lognormal", "x"])},
                               optional={"low": numbers, "high": numbers, "mean": numbers, "sd": numbers,
                                         "a": numbers, "b": numbers, "values": st.lists(numbers, max_size=3)})
plausible = st.one_of(st.sampled_from([0.5, 0.3, 0.1, 0.9, 1, 2, 100]), st.integers(1, 6), numbers)  # valid at times
values = st.recursive(st.one_of(scalars, priors), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


RESULTS = FOLDER / "results"


@pytest.fixture(scope="module", autouse=True)
def results_folder():
    """A small result folder for the commands that read one (verify, summarize, discover)."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "status_quo", "--runs", "8", "--out", str(RESULTS), "--quiet"]) == 0


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nproperty tests:", dict(sorted(COUNTS.items())))


def _write(text: str, name: str = "input.yaml") -> Path:
    path = FOLDER / name
    path.write_text(text)
    return path


def _dump(tree) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


def _load(loader, path: Path, kind: str) -> None:
    COUNTS[f"{kind}: tried"] += 1
    try:
        loader(path)
    except ScenarioError as err:
        COUNTS[f"{kind}: rejected cleanly"] += 1
        assert err.problems and all(str(p) for p in err.problems)
    else:
        COUNTS[f"{kind}: accepted"] += 1


def _scenario_file(changes, top):
    tree: dict = {"extends": "status_quo", "name": "prop", "title": "property test"}
    tree.update(top)
    for (section, field), value in changes:
        tree.setdefault(section, {}) if isinstance(tree.get(section), dict) else tree.update({section: {}})
        tree[section][field] = value
    try:
        text = _dump(tree)
    except yaml.YAMLError:
        return
    _load(load_scenario, _write(text), "scenario")


def _any_text(text):
    _load(load_scenario, _write(text), "text")


GOOD_DESIGNS = [
    {"kind": "none"},
    {"kind": "grid", "parameters": {"patron.deal_price": {"values": [0.2, 0.4]}}},
    {"kind": "grid", "parameters": {"patron.deal_price": {"low": 0.1, "high": 0.5, "levels": 3}}},
    {"kind": "lhs", "parameters": {"patron.deal_price": {"low": 0.1, "high": 0.5}}, "points": 4},
    {"kind": "sobol", "parameters": {"patron.deal_price": "prior", "beliefs.forgetting": "prior"}, "points": 4},
    {"kind": "arms", "arms": {"cheap": {"patron.deal_price": 0.1}, "dear": {"patron.deal_price": 0.6}}},
]


def _experiment_file(design, replications, seed, where, value):
    """A valid experiment, and the same with one field given any value."""
    tree = {"name": "prop", "title": "property test", "scenarios": ["status_quo"], "replications": replications,
            "seed": seed, "timeseries_runs": 1, "design": {k: (dict(v) if isinstance(v, dict) else v)
                                                           for k, v in design.items()}}
    if where == "design.value" and "parameters" in tree["design"]:
        tree["design"]["parameters"]["patron.deal_price"] = value
    elif where is not None and where.startswith("design."):
        tree["design"][where.split(".")[1]] = value
    elif where is not None:
        tree[where] = value
    try:
        text = _dump(tree)
    except yaml.YAMLError:
        return
    _load(load_experiment, _write(text, "experiment.yaml"), "experiment")


# ---- the command's arguments -----------------------------------------------------------------------

words = st.one_of(st.sampled_from(["1", "2", "3", "fast", "mesa", "serial", "process", "0.9", "cart", "prim",
                                   "deals_final >= 8", "credibility_final"]),
                  st.integers(-10**15, 10**15).map(str), st.floats().map(lambda x: "nan" if math.isnan(x) else repr(x)),
                  st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
                  st.sampled_from(["", "-1", "0", "1", "2", "1e3", "0x10", "true", "--", "-", "status_quo", "futures",
                                   "y" * 300, "/proc/x", "a/../../b"]))
OPTIONS = {
    "run": ["--runs", "--seed", "--engine"],
    "sweep": ["--replications", "--workers", "--chunk", "--engine", "--executor", "--scheduler"],
    "summarize": ["--level", "--bootstrap", "--outcomes"],
    "report": ["--workers", "--odds"],
    "compare": ["--workers", "--odds"],
    "discover": ["--where", "--boxes", "--density", "--depth", "--scenario"],
    "validate": [],
    "verify": [],
    "schema": ["--out"],
}


VALID = {"--engine": ["fast", "mesa"], "--executor": ["serial", "process"], "--level": ["0.9", "0.95"],
         "--method": ["cart"], "--where": ["deals_final >= 8", "probes > 1"], "--outcomes": ["credibility_final"],
         "--density": ["0.8"], "--odds": [str(Path(__file__).resolve().parents[1] / "experiments" / "odds_example.csv")]}


@st.composite
def argument_lists(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    args = [command]
    if command in ("run",):
        args.append(draw(st.sampled_from(["status_quo", "no_such_scenario", "", "y" * 300])))
    elif command == "sweep":
        args += [draw(st.sampled_from(["futures", "futures", "hidden_bets", "no_such_experiment", "status_quo", "y" * 300])),
                 "--dry-run"]
    elif command in ("summarize", "report", "discover", "verify"):
        names = ["missing", "input.yaml", "", "y" * 300] + (["results"] * 4 if command != "report" else [])  # no drawing
        args.append(str(FOLDER / draw(st.sampled_from(names))))
        if command == "discover":
            args += ["--where", draw(words), "--method", "cart", "--out", str(FOLDER / "discover")]
    elif command == "compare":
        args += [str(FOLDER / draw(st.sampled_from(["missing", "y" * 300]))), "--out", str(FOLDER / "input.yaml" / "out")]
    elif command == "schema":  # --out a path of the words' (below a plain file: never written over)
        args += ["--out", str(_write("x", "plain") / draw(st.sampled_from(["s.json", "y" * 300])))]
        return args
    elif command == "validate":
        args += draw(st.lists(words, min_size=1, max_size=2))
    if OPTIONS[command]:
        for option in draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=3)):
            args += [option, draw(st.one_of(st.sampled_from(VALID.get(option, ["1"])), words))]
    if command == "run":  # never any work: a folder below a plain file is refused first
        args += ["--out", str(_write("x", "plain") / "out"), "--quiet"]
    return args


def _any_arguments(argv):
    COUNTS["arguments: tried"] += 1
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse: a bad option value, --help
            code = exit.code
    assert code in (0, 2), (argv, code, err.getvalue()[-500:])
    assert "Traceback" not in err.getvalue(), argv
    COUNTS[f"arguments: exit {code}"] += 1
    if code == 2:
        assert err.getvalue().strip(), f"exit 2 without a message: {argv}"


TOP_FIELDS = ["start", "horizon_months", "extends", "events", "signposts", "world", "unknown_field"]
test_a_scenario_file_loads_or_is_rejected_cleanly, test_scenario_files_many = properties(
    changes=st.lists(st.tuples(FIELDS, st.one_of(plausible, values)), max_size=3),
    top=st.dictionaries(st.sampled_from(TOP_FIELDS), st.one_of(plausible, values), max_size=1))(_scenario_file)
test_any_text_as_a_scenario_file_loads_or_is_rejected_cleanly, test_texts_many = properties(
    text=st.text(max_size=400))(_any_text)
test_an_experiment_file_loads_or_is_rejected_cleanly, test_experiment_files_many = properties(
    design=st.sampled_from(GOOD_DESIGNS), replications=st.integers(1, 5), seed=st.integers(0, 10**6),
    where=st.sampled_from([None, "replications", "seed", "timeseries_runs", "design.kind", "design.points",
                           "design.parameters", "design.value", "fixed", "outcomes", "compare", "scenarios"]),
    value=st.one_of(plausible, values))(_experiment_file)
test_any_arguments_give_a_result_or_exit_code_2_never_a_traceback, test_arguments_many = properties(
    settings(SETTINGS, max_examples=60), argv=argument_lists())(_any_arguments)
