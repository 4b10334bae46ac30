"""The model in the EMA Workbench (optional extra: ``pip install -e ".[ema]"``).

>>> from ema_workbench import perform_experiments
>>> from sim.ema import model
>>> experiments, outcomes = perform_experiments(model("troops_to_poland"), scenarios=100)  # doctest: +SKIP

:func:`model` turns a scenario into an EMA ``Model`` whose uncertainties are the scenario's
judgement priors (:func:`sim.model.parameters.judgement_parameters`), and whose function runs
one experiment with the fast engine (the same run as the Mesa engine for the same seed and
parameter values) and returns the named outcomes.

How each prior becomes an uncertainty:

* ``uniform``: ``RealParameter(low, high)``;
* ``choice``: ``CategoricalParameter`` over its values (EMA samples the categories with equal
  weight: a weighted choice gets a warning);
* ``beta``, ``triangular``, truncated ``normal``: ``RealParameter.from_dist`` with the same
  distribution in ``scipy.stats``, so EMA's samplers (LHS, Monte Carlo: through its quantile
  function) draw from the prior itself, and samplers that need bounds get its support;
* a fixed value is not an uncertainty; an untruncated normal (no finite support) is skipped
  with a warning. Either keeps its value or prior in every run: a parameter EMA does not set is
  drawn from its prior with the run's seed, as always.

EMA needs Python identifiers: a parameter's dotted name becomes ``patron__deal_price``
(:func:`sim.model.parameters.identifier`; ``names`` on the returned model maps them back), and
an outcome ``ally.POL.deal`` becomes ``ally__POL__deal``. The ``seed`` uncertainty
(``IntegerParameter``) is the run's seed: it seeds the chance within the run and the priors of
parameters EMA does not set, so an experiment is repeated by repeating its row, and
replications are experiments with the same values and other seeds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

from scipy import stats

with warnings.catch_warnings():  # "ipyparallel not installed": an evaluator we do not use
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    import ema_workbench as ema

from sim.engines.fast import run_fast
from sim.engines.runner import RunFailure
from sim.model.loading import load_scenario
from sim.model.outcomes import MAIN_OUTCOMES, outcome_names
from sim.model.parameters import identifier, judgement_parameters
from sim.model.priors import Beta, Choice, Fixed, Normal, Triangular, Uniform, _Prior
from sim.model.scenario import Scenario

SEED_BOUNDS = (0, 2**31 - 1)
"""The range of the ``seed`` uncertainty."""


def _category(value: float, i: int, taken: set[str]):
    name = "_" + format(value, "g").replace(".", "_").replace("-", "m").replace("+", "")
    if not name.isidentifier() or name in taken:
        name = f"_{i}"
    taken.add(name)
    return ema.em_framework.parameters.Category(name, value)


def uncertainty(name: str, prior: _Prior):
    """The EMA parameter for one prior, named by its identifier; None (with a warning) when it
    has none (see the module's docstring)."""
    ident = identifier(name)
    if isinstance(prior, Fixed):
        return None
    if isinstance(prior, Uniform):
        return ema.RealParameter(ident, prior.low, prior.high)
    if isinstance(prior, Choice):
        values = list(dict.fromkeys(prior.values))
        if len(values) < 2:
            return None
        if prior.weights is not None and len(set(prior.weights)) > 1:
            warnings.warn(f"{name}: EMA samples the choices {values} with equal weights, not the "
                          f"prior's weights {prior.weights}", stacklevel=3)
        taken: set[str] = set()
        return ema.CategoricalParameter(ident, [_category(v, i, taken) for i, v in enumerate(values)])
    if isinstance(prior, Beta):
        dist = stats.beta(prior.a, prior.b, loc=prior.low, scale=prior.high - prior.low)
    elif isinstance(prior, Triangular):
        width = prior.high - prior.low
        dist = stats.triang((prior.mode - prior.low) / width, loc=prior.low, scale=width)
    elif isinstance(prior, Normal) and math.isfinite(prior.support()[0]) and math.isfinite(prior.support()[1]):
        a, b = ((x - prior.mean) / prior.sd for x in prior.support())
        dist = stats.truncnorm(a, b, loc=prior.mean, scale=prior.sd)
    else:
        warnings.warn(f"{name}: {prior.describe()} has no finite support; not an EMA uncertainty "
                      f"(drawn from its prior with each run's seed)", stacklevel=3)
        return None
    return ema.RealParameter.from_dist(ident, dist)


class _Experiment:
    """One experiment: a picklable callable (for EMA's multiprocessing evaluator)."""

    def __init__(self, scenario: Scenario, names: dict[str, str], outcomes: dict[str, str],
                 fixed: dict[str, float]):
        self.scenario, self.names, self.outcomes, self.fixed = scenario, names, outcomes, fixed

    def __call__(self, seed: int, **values) -> dict[str, float]:
        fixed = {**self.fixed, **{self.names[k]: float(v) for k, v in values.items()}}
        [result] = run_fast(self.scenario, [int(seed)], fixed)
        if isinstance(result, RunFailure):
            raise RuntimeError(f"run with seed {seed} failed: {result.error}")
        return {ident: result.outcomes[name] for ident, name in self.outcomes.items()}


def model(scenario: Scenario | str | Path, outcomes: Sequence[str] = MAIN_OUTCOMES,
          name: str | None = None, *, fixed: dict[str, float] | None = None) -> ema.Model:
    """An EMA Workbench ``Model`` of ``scenario`` (an object, a shipped name or a path).

    ``outcomes``: outcome names (:mod:`sim.model.outcomes`, signposts and per-ally outcomes
    included), each a ``ScalarOutcome`` named by its identifier. ``name``: the model's name
    (default: the scenario's). ``fixed``: parameters set in every experiment, by dotted name
    (not uncertainties). The model's ``names`` maps each uncertainty's identifier to its
    dotted name.
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    known = outcome_names(spec)
    unknown = [o for o in outcomes if o not in known]
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown} of scenario {spec.name!r}")
    fixed = dict(fixed or {})
    priors = judgement_parameters(spec)
    bad = sorted(set(fixed) - set(priors))
    if bad:
        raise KeyError(f"unknown parameter(s) {bad} of scenario {spec.name!r}")
    parameters, names = [], {}
    for dotted, prior in priors.items():
        if dotted in fixed:
            continue
        p = uncertainty(dotted, prior)
        if p is not None:
            parameters.append(p)
            names[p.name] = dotted
    if len(set(names)) != len(parameters) or "seed" in names:
        raise ValueError(f"two parameters of {spec.name!r} have the same identifier")
    outcome_ids = {identifier(o): o for o in outcomes}
    m = ema.Model(name or spec.name, function=_Experiment(spec, names, outcome_ids, fixed))
    m.uncertainties = [ema.IntegerParameter("seed", *SEED_BOUNDS), *parameters]
    m.outcomes = [ema.ScalarOutcome(ident) for ident in outcome_ids]
    m.names = names
    return m
