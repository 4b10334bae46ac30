"""Experiment files: the scenarios to compare, what to vary and how, how many runs, which seed.

An experiment file is YAML, checked like a scenario file (every mistake reported with its file,
line and field path)::

    name: withdrawal_x_conditionality
    title: "Size of the Germany withdrawal against the conditionality threshold"
    scenarios: [troops_to_poland, further_withdrawals]   # shipped names, or paths from this file
    replications: 500              # runs per cell (scenario x design point)
    seed: 20260512                 # root seed of every run's seed
    outcomes: [deals_final, cohesion_final]   # kept in runs.parquet (default: all)
    timeseries_runs: 200           # monthly series kept for the first N replications of each cell
    fixed: {patron.attention: 0.8} # set in every run
    design:
      kind: grid                   # none | grid | lhs | sobol | morris | arms
      parameters:
        events.germany_withdrawal.troops: {low: 0, high: 35000, levels: 8}
        events.payment_for_presence.threshold: {values: [0, 1, 2, 3, 4, 5]}
    compare:                       # paired differences a - b (same seeds)
      - {a: further_withdrawals, b: troops_to_poland}

Design kinds (the design points are shared by every scenario; :mod:`sim.experiments.design` builds them):

* ``none``: one design point; replications only (compare scenarios).
* ``grid``: full factorial over each parameter's ``values`` or ``{low, high, levels}``.
* ``lhs`` / ``sobol``: ``points`` from ``scipy.stats.qmc``; each parameter is ``prior`` (the
  scenario's own prior, through its quantile function) or a range ``{low, high}`` (uniform);
  ``all_priors: true`` varies every parameter the scenarios give a prior (not a fixed value).
  A Sobol design has ``points`` = N (a power of 2) base points laid out as blocks A, B, one
  AB block per parameter and one for chance: N x (d + 3) design points, for Sobol indices.
* ``morris``: ``points`` = r trajectories of elementary effects (screening), over ``levels``
  grid levels (an even number, default 4); parameters as for ``lhs``: r x (d + 2) design points.
* ``arms``: named sets of fixed values (``arms: {hub_kept: {events.x.hub_loss: 0}, ...}``),
  paired by replication: every arm uses the same seeds, so ``compare`` gives paired differences.

Parameter names are the dotted names of :mod:`sim.model.parameters` (``patron.deal_price``,
``events.germany_withdrawal.troops``); a name a scenario does not have is a problem that names
the file, the line, the parameter and the scenario. Every value given for a parameter (fixed,
an arm's, a grid's values, a range's low and high) must be a finite number within the range a
scenario file is held to (:func:`~sim.model.parameters.parameter_ranges`); counts are whole
numbers, so ``replications: true`` is not 1.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.model.loading import (
    NAME_PATTERN,
    Problem,
    ScenarioError,
    did_you_mean,
    find_scenario,
    load_scenario,
    not_a_scenario_file,
    problem_at,
    read_yaml,
    scenario_hash,
    validate_yaml,
)
from sim.model.outcomes import outcome_names
from sim.model.parameters import judgement_parameters, parameter_ranges
from sim.model.priors import Number, Whole
from sim.model.scenario import Scenario

EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "experiments"
DESIGN_KINDS = ("none", "grid", "lhs", "sobol", "morris", "arms")


class ExperimentError(ScenarioError):
    """An experiment could not be loaded; ``problems`` says why, one entry per problem.

    A subclass of :class:`ScenarioError` so the command line reports both the same way
    (messages, exit code 2), including problems in the scenarios an experiment names.
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Vary(_Strict):
    """How one parameter varies: ``prior``, ``{low, high}``, ``{low, high, levels}`` or ``{values}``."""

    prior: bool = Field(False, description="use the scenario's own prior (lhs, sobol, morris)")
    low: Number | None = None
    high: Number | None = None
    levels: Whole | None = Field(None, ge=2, description="evenly spaced values from low to high (grid)")
    values: list[Number] | None = Field(None, min_length=1, description="the values to take (grid)")

    @model_validator(mode="before")
    @classmethod
    def _word(cls, data):
        # The bare word `prior` is the natural way to write "the scenario's prior".
        if data == "prior":
            return {"prior": True}
        if not isinstance(data, dict):
            raise ValueError("expected 'prior', a range {low: 0, high: 1} (with 'levels: N' in a grid) "
                             f"or {{values: [0, 1]}}, got {data!r}")
        return data

    @model_validator(mode="after")
    def _consistent(self):
        ranged = self.low is not None or self.high is not None
        if self.prior and (ranged or self.levels is not None or self.values is not None):
            raise ValueError("'prior' takes the scenario's prior; give no low, high, levels or values with it")
        if self.values is not None and (ranged or self.levels is not None):
            raise ValueError("give either 'values' or 'low' and 'high', not both")
        if ranged and (self.low is None or self.high is None):
            raise ValueError("a range needs both 'low' and 'high'")
        if ranged and not self.low < self.high:
            raise ValueError(f"a range needs low < high, got low={self.low:g}, high={self.high:g}")
        if self.levels is not None and not ranged:
            raise ValueError("'levels' needs 'low' and 'high'")
        if not (self.prior or ranged or self.values is not None):
            raise ValueError("say how the parameter varies: 'prior', {low, high}, {low, high, levels} or {values}")
        return self

    def describe(self) -> str:
        if self.prior:
            return "prior"
        if self.values is not None:
            return "values " + ", ".join(f"{v:g}" for v in self.values)
        levels = f", {self.levels} levels" if self.levels else ""
        return f"{self.low:g} to {self.high:g}{levels}"


class Design(_Strict):
    """What varies between the design points of an experiment, and how they are chosen."""

    kind: Literal["none", "grid", "lhs", "sobol", "morris", "arms"] = "none"
    parameters: dict[str, Vary] = Field(default_factory=dict, description="parameter name -> how it varies")
    all_priors: bool = Field(False, description="lhs, sobol, morris: vary every parameter with a prior")
    points: Whole | None = Field(None, ge=1, description="lhs: design points; sobol: base points N (a power of 2); "
                                                         "morris: trajectories")
    levels: Whole | None = Field(None, ge=2, description="morris: grid levels, an even number (default 4)")
    arms: dict[str, dict[str, Number]] = Field(default_factory=dict, description="arm name -> fixed values")


class Compare(_Strict):
    """A paired difference a - b between two scenarios, or between two arms."""

    a: str
    b: str


class Experiment(_Strict):
    """The schema of an experiment file."""

    name: str = Field(pattern=NAME_PATTERN, description="short identifier")
    title: str
    description: str | None = None
    scenarios: list[str] = Field(min_length=1, description="shipped scenario names or paths from this file")
    replications: Whole = Field(ge=1, description="runs per cell (scenario x design point)")
    seed: Whole = Field(ge=0, description="root seed")
    outcomes: list[str] | None = Field(None, min_length=1, description="outcomes kept (default: all)")
    timeseries_runs: Whole = Field(200, ge=0, description="monthly series kept for the first N replications of each cell")
    fixed: dict[str, Number] = Field(default_factory=dict, description="parameter values set in every run")
    design: Design = Field(default_factory=Design)
    compare: list[Compare] = Field(default_factory=list)


EXPERIMENT_ONLY = frozenset(Experiment.model_fields) - frozenset(Scenario.model_fields)
"""Top-level fields that make a file an experiment (``scenarios``, ``replications``, ...)."""


@dataclass(frozen=True)
class LoadedExperiment:
    """An experiment with its scenarios loaded and every name checked against them."""

    spec: Experiment
    path: Path
    file: str                      # the file as the user named it (for messages)
    sha256: str
    scenarios: tuple[Scenario, ...]
    scenario_files: tuple[Path, ...]
    scenario_hashes: tuple[str, ...]
    varied: tuple[str, ...]        # the design's parameters, in order (all_priors resolved)
    parameters: tuple[str, ...]    # every drawn parameter of any scenario: runs.parquet columns
    outcomes: tuple[str, ...]      # the outcomes kept

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def with_replications(self, replications: int) -> LoadedExperiment:
        """The same experiment with another replication count (``--replications``)."""
        return replace(self, spec=self.spec.model_copy(update={"replications": replications}))


# --------------------------------------------------------------------------------------------
# Finding and loading


def find_experiment(name_or_path: str | Path) -> Path:
    """An experiment file by path, or by name among the shipped ones in ``experiments/``."""
    text = str(name_or_path)
    for candidate in (Path(text).expanduser(), EXPERIMENT_DIR / text, EXPERIMENT_DIR / f"{text}.yaml"):
        if candidate.is_file():
            return candidate
    shipped = ", ".join(p.stem for p in shipped_experiments()) or "none"
    raise ExperimentError([Problem(text, None, "", f"no experiment file '{text}'; shipped experiments: {shipped}")])


def is_experiment(name_or_path: str | Path) -> bool:
    """Whether ``name_or_path`` is an experiment rather than a scenario: a file whose top level
    has a field that only experiments have (``scenarios``, ``replications``...), or the name of
    a shipped experiment that is not also a scenario's. Anything unreadable is not one (the
    scenario loader then says what is wrong with it)."""
    from ruamel.yaml import YAML

    text = str(name_or_path)
    path = Path(text).expanduser()
    if not path.is_file():
        try:
            find_scenario(text)
            return False
        except ScenarioError:
            pass
        try:
            path = find_experiment(text)
        except ExperimentError:
            return False
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except Exception:
        return False
    return isinstance(data, dict) and bool(EXPERIMENT_ONLY & set(data))


def shipped_experiments() -> list[Path]:
    return sorted(EXPERIMENT_DIR.glob("*.yaml")) if EXPERIMENT_DIR.is_dir() else []


def load_experiment(name_or_path: str | Path) -> LoadedExperiment:
    """Load and check an experiment file and the scenarios it names.

    Raises :class:`ExperimentError` listing every problem found (including the problems of
    its scenarios); never anything else for a bad file.
    """
    path = find_experiment(name_or_path)
    file = str(name_or_path) if Path(str(name_or_path)).is_file() else str(path)
    problems: list[Problem] = []
    tree = read_yaml(path, file, problems, "an experiment needs name, title, scenarios, replications and seed")
    if tree is None:
        raise ExperimentError(problems)
    spec: Experiment | None = validate_yaml(tree, Experiment, problems)
    if spec is None:
        raise ExperimentError(problems)
    _check_shape(spec, tree, problems)
    scenarios, files = _load_scenarios(spec, path, tree, problems)
    if problems:
        raise ExperimentError(problems)
    varied = _check_against_scenarios(spec, scenarios, tree, problems)
    outcomes = _check_outcomes(spec, scenarios, tree, problems)
    _check_compare(spec, scenarios, tree, problems)
    if problems:
        raise ExperimentError(problems)
    parameters: dict[str, None] = {}
    for s in scenarios:
        parameters.update(dict.fromkeys(judgement_parameters(s)))
    return LoadedExperiment(
        spec=spec, path=path, file=file, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        scenarios=tuple(scenarios), scenario_files=tuple(files),
        scenario_hashes=tuple(scenario_hash(f) for f in files), varied=tuple(varied),
        parameters=tuple(parameters), outcomes=tuple(outcomes),
    )


def _load_scenarios(spec: Experiment, path: Path, tree, problems: list[Problem]):
    scenarios, files, seen = [], [], {}
    for i, ref in enumerate(spec.scenarios):
        try:
            found = find_scenario(ref, base=path.parent)
        except ScenarioError as err:
            problems.append(problem_at(tree, ["scenarios", i], err.problems[0].message))
            continue
        refused = not_a_scenario_file(found, ref)
        if refused is not None:
            problems.append(problem_at(tree, ["scenarios", i], refused))
            continue
        try:
            scenario = load_scenario(found)
        except ScenarioError as err:
            problems.append(problem_at(tree, ["scenarios", i], f"scenario '{ref}' has problems (below)"))
            problems.extend(err.problems)
            continue
        if scenario.name in seen:
            problems.append(problem_at(tree, ["scenarios", i], f"scenario '{scenario.name}' is listed twice "
                                                              f"(also scenarios[{seen[scenario.name]}])"))
            continue
        seen[scenario.name] = i
        scenarios.append(scenario)
        files.append(found)
    return scenarios, files


# --------------------------------------------------------------------------------------------
# Checks that need more than one field


def _check_shape(spec: Experiment, tree, problems: list[Problem]) -> None:
    """What each design kind takes; names used twice."""
    d = spec.design
    kind = d.kind

    def bad(path: list, message: str) -> None:
        problems.append(problem_at(tree, ["design", *path], message))

    takes = {"none": set(), "grid": {"parameters"}, "lhs": {"parameters", "all_priors", "points"},
             "sobol": {"parameters", "all_priors", "points"}, "morris": {"parameters", "all_priors", "points", "levels"},
             "arms": {"arms"}}[kind]
    given = {"parameters": bool(d.parameters), "all_priors": d.all_priors, "points": d.points is not None,
             "levels": d.levels is not None, "arms": bool(d.arms)}
    for field, present in given.items():
        if present and field not in takes:
            bad([field], f"a '{kind}' design does not take '{field}'" + (
                f"; it takes {', '.join(sorted(takes))}" if takes else "; set 'kind' to grid, lhs, sobol, morris or arms"))
    if kind == "grid" and not d.parameters:
        bad(["kind"], "a grid needs 'parameters' with {values: [...]} or {low, high, levels} each")
    if kind in ("lhs", "sobol", "morris"):
        if not (d.parameters or d.all_priors):
            bad(["kind"], f"a '{kind}' design needs 'parameters' or 'all_priors: true'")
        if d.points is None:
            what = {"sobol": "base points N (a power of 2; runs = N x (parameters + 3) x replications)",
                    "morris": "trajectories r (runs = r x (parameters + 2) x replications)"}.get(kind, "design points")
            bad(["kind"], f"a '{kind}' design needs 'points': the number of {what}")
        elif kind == "sobol" and (d.points < 2 or d.points & (d.points - 1)):
            near = 2 ** max(1, round(math.log2(max(d.points, 1))))
            bad(["points"], f"a Sobol design needs a power of 2 base points (balance), got {d.points}; e.g. {near}")
        elif kind == "morris" and d.points < 2:
            bad(["points"], f"a Morris design needs at least 2 trajectories (for a spread), got {d.points}")
    if kind == "morris" and d.levels is not None and d.levels % 2:
        bad(["levels"], f"Morris levels must be an even number (the step is levels / (2 (levels - 1))), "
                        f"got {d.levels}; e.g. {d.levels + 1}")
    if kind == "arms":
        if not d.arms:
            bad(["kind"], "an 'arms' design needs 'arms': named sets of fixed values, e.g. "
                          "{with_hub: {events.germany_withdrawal.hub_loss: 0}, without_hub: {...: 1}}")
        for arm in d.arms:
            if not _is_name(arm):
                bad(["arms", arm], "an arm name is lowercase letters, digits and '_', starting with a letter")
    for name, vary in d.parameters.items():
        if kind == "grid" and (vary.prior or (vary.low is not None and vary.levels is None)):
            bad(["parameters", name], "a grid takes {values: [...]} or {low, high, levels}, "
                                      f"got {vary.describe()}")
        if kind in ("lhs", "sobol", "morris") and (vary.values is not None or vary.levels is not None):
            bad(["parameters", name], f"a '{kind}' design takes 'prior' or {{low, high}}, got {vary.describe()}")
        if name in spec.fixed:
            bad(["parameters", name], f"'{name}' is also in 'fixed'; a parameter is either varied or fixed")
    for arm, values in d.arms.items():
        for name in values:
            if name in spec.fixed:
                bad(["arms", arm, name], f"'{name}' is also in 'fixed'; set it in the arms or in 'fixed'")
    if spec.outcomes is not None:
        for i, name in enumerate(spec.outcomes):
            if name in spec.outcomes[:i]:
                problems.append(problem_at(tree, ["outcomes", i], f"outcome '{name}' is listed twice"))


def _is_name(text: str) -> bool:
    return re.fullmatch(NAME_PATTERN, text) is not None


def _uses(spec: Experiment) -> list[tuple[list, str, list[tuple[list, float]]]]:
    """(path in the file, parameter name, [(path, value)] of its explicit values) for every
    parameter an experiment sets."""
    out = [(["fixed", n], n, [(["fixed", n], v)]) for n, v in spec.fixed.items()]
    for n, vary in spec.design.parameters.items():
        here = ["design", "parameters", n]
        if vary.values is not None:
            values = [([*here, "values", i], v) for i, v in enumerate(vary.values)]
        elif vary.low is not None and vary.high is not None:
            values = [([*here, "low"], vary.low), ([*here, "high"], vary.high)]
        else:
            values = []
        out.append((here, n, values))
    for arm, fixed in spec.design.arms.items():
        out += [(["design", "arms", arm, n], n, [(["design", "arms", arm, n], v)]) for n, v in fixed.items()]
    return out


def _check_against_scenarios(spec: Experiment, scenarios: list[Scenario], tree, problems) -> list[str]:
    """Every parameter named exists in every scenario, and every value given for it lies in the
    range a scenario file would be held to; 'prior' needs a prior. Returns the varied names."""
    priors = [judgement_parameters(s) for s in scenarios]
    ranges = [parameter_ranges(s) for s in scenarios]
    for path, name, values in _uses(spec):
        for s, known in zip(scenarios, priors, strict=True):
            if name not in known:
                problems.append(problem_at(tree, path, _unknown_parameter(name, s, known)))
        for where, v in values:
            for allowed in dict.fromkeys(r[name] for r in ranges if name in r):
                lo, hi, unit = allowed
                if not lo <= v <= hi:
                    problems.append(problem_at(tree, where, f"{v:g} is outside the allowed range of '{name}', "
                                                            f"{lo:g} to {hi:g}" + (f" ({unit})" if unit else "")))
    for name, vary in spec.design.parameters.items():
        if vary.prior:
            for s, known in zip(scenarios, priors, strict=True):
                if name in known and known[name].is_fixed:
                    problems.append(problem_at(
                        tree, ["design", "parameters", name],
                        f"'{name}' has a fixed value ({known[name].describe()}) in scenario '{s.name}': "
                        f"no prior to vary over; give a range {{low, high}}"))
    varied = list(spec.design.parameters) if spec.design.kind != "arms" else []
    if spec.design.kind == "arms":
        for values in spec.design.arms.values():
            varied += [n for n in values if n not in varied]
    if spec.design.all_priors:
        varied += _all_priors(spec, scenarios, priors, tree, problems)
    return varied


def _unknown_parameter(name: str, scenario: Scenario, known: dict) -> str:
    """Why ``name`` is not a parameter of ``scenario``, and what is."""
    head = f"parameter '{name}' does not exist in scenario '{scenario.name}'; "
    hint = did_you_mean(name, known)
    if hint:
        return head + hint.rstrip()
    parts = name.split(".")
    if parts[0] == "events":
        prefix = ".".join(parts[:2]) + "."
        events = sorted({k.split(".")[1] for k in known if k.startswith("events.")})
        mine = [k[len(prefix):] for k in known if k.startswith(prefix)]
        if not mine:
            return head + f"it has no event '{parts[1] if len(parts) > 1 else ''}' (its events: {', '.join(events) or 'none'})"
        return head + f"event '{parts[1]}' has: {', '.join(mine)}"
    fields = [k.split(".", 1)[1] for k in known if k.startswith(parts[0] + ".")]
    if fields:
        return head + f"'{parts[0]}' has: {', '.join(fields)}"
    return head + "names are <section>.<field> (sections: patron, beliefs, allies, adversary, pillar) or events.<id>.<field>"


def _all_priors(spec, scenarios, priors, tree, problems) -> list[str]:
    """Every parameter with a prior in some scenario; it must have one in every scenario.

    Parameters a scenario draws from a fitted posterior are left out: each run draws its
    particle with its own seed (sim.calibration.posterior), so the design keeps their joint
    distribution, and Sobol and Morris count them with chance. To vary one over a range
    instead, list it under ``parameters``."""
    fitted = _fitted(scenarios)
    names: list[str] = []
    for known in priors:
        names += [n for n, p in known.items() if not p.is_fixed and n not in names
                  and n not in spec.design.parameters and n not in spec.fixed and n not in fitted]
    for name in names:
        for s, known in zip(scenarios, priors, strict=True):
            if name not in known or known[name].is_fixed:
                what = "is not a parameter of" if name not in known else "has a fixed value in"
                problems.append(problem_at(
                    tree, ["design", "all_priors"],
                    f"'{name}' has a prior in another scenario but {what} scenario '{s.name}'; "
                    f"list the parameters to vary under 'parameters' instead"))
    return names


def _fitted(scenarios: list[Scenario]) -> set[str]:
    """The parameters some scenario draws from a fitted posterior."""
    from sim.calibration.posterior import load

    return {name for s in scenarios if s.prior is not None for name in load(s.prior.posterior).names}


def _check_outcomes(spec: Experiment, scenarios: list[Scenario], tree, problems) -> list[str]:
    known: list[str] = []
    for s in scenarios:
        known += [n for n in outcome_names(s) if n not in known]
    if spec.outcomes is None:
        return known
    for i, name in enumerate(spec.outcomes):
        if name not in known:
            problems.append(problem_at(tree, ["outcomes", i], f"unknown outcome '{name}'; "
                                                              f"{did_you_mean(name, known)}known: {', '.join(known)}"))
    return list(dict.fromkeys(spec.outcomes))


def _check_compare(spec: Experiment, scenarios: list[Scenario], tree, problems) -> None:
    names = [s.name for s in scenarios]
    arms = list(spec.design.arms)
    for i, pair in enumerate(spec.compare):
        kinds = []
        for side in ("a", "b"):
            value = getattr(pair, side)
            if value in names:
                kinds.append("scenario")
            elif value in arms:
                kinds.append("arm")
            else:
                options = names + arms
                problems.append(problem_at(tree, ["compare", i, side], f"'{value}' is neither a scenario nor an "
                                                                     f"arm of this experiment; "
                                                                     f"{did_you_mean(value, options)}"
                                                                     f"known: {', '.join(options)}"))
        if len(kinds) == 2 and kinds[0] != kinds[1]:
            problems.append(problem_at(tree, ["compare", i], "compare two scenarios or two arms, not one of each"))
        if pair.a == pair.b:
            problems.append(problem_at(tree, ["compare", i], f"a and b are both '{pair.a}'"))


def describe(exp: LoadedExperiment, design_points: int) -> str:
    """A few lines saying what the experiment will run."""
    spec = exp.spec
    cells = len(exp.scenarios) * design_points
    runs = cells * spec.replications
    lines = [f"{spec.name}: {spec.title}",
             f"  scenarios: {', '.join(exp.names)}",
             f"  design: {spec.design.kind}, {design_points} design point(s)"
             + (f" over {len(exp.varied)} parameter(s)" if exp.varied else ""),
             f"  runs: {len(exp.scenarios)} scenario(s) x {design_points} point(s) x "
             f"{spec.replications} replication(s) = {runs:,}",
             f"  root seed {spec.seed}; outcomes kept: {len(exp.outcomes)}; "
             + (f"time series for the first {spec.timeseries_runs} replications of each cell"
                if spec.timeseries_runs else "no time series")]
    return "\n".join(lines)
