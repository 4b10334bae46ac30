"""Fitting the spending parameters to NATO's per-ally series by ABC-SMC (pyabc).

What is fitted: the parameters of the spending rules that the per-ally defence shares of
2014 to the last fitted year can inform (:data:`FITTED`): how fast allies close the gap to their
target share, the largest yearly change, the propensity to follow the Wales pledge and the pull
of peers who do, the response of the weight on security to the threat, and the size of the
perceived threat shocks (Crimea; the full invasion once a year after February 2022 is fitted).
Their priors are those of ``scenarios/calibration_2014.yaml``, uniform ranges set without
reading the series. Every other parameter keeps its judgement prior, drawn afresh in each
simulation (the fit integrates over it).

The distance between a simulated and the observed history (pattern-oriented modelling: two
patterns at once, Grimm et al. 2005) is

    d = RMSE_{allies, years}(simulated share - NATO share) / 0.3
        + mean_{years} |simulated - NATO count of allies at or above 2%| / 2

with shares as yearly means (:mod:`sim.calibration.trajectories`), over the model's allies with a
published figure, years from the first after the start to the last fitted year. 0.3 points is
NATO's own revision between editions, 2 allies a count difference of the same order.

pyabc calls its model once per particle. :class:`BatchSampler` instead proposes a whole batch
of particles first, runs them in one fast-engine call, and then replays the proposals (the same
random draws, restored) against the results: the particles, weights and random stream are those
a one-at-a-time sampler would produce, at the cost of a batch's worth of proposals per round.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.calibration.posterior import Posterior
from sim.calibration.trajectories import yearly_shares
from sim.engines.runner import run_seed
from sim.model.loading import load_scenario
from sim.model.priors import Uniform, as_prior
from sim.model.scenario import Scenario
from sim.model.world import defence_share_history, load_world

PRIOR_SCENARIO = "calibration_2014"
FIRST_YEAR = 2014

FITTED = (
    "allies.adjustment_speed",
    "allies.max_ramp",
    "allies.compliance_base",
    "allies.compliance_peer",
    "allies.threat_sensitivity",
    "events.crimea.threat_change",
    "events.full_invasion.threat_change",
)
"""The parameters the per-ally series inform; the invasion's size only once 2022 is fitted."""

SHARE_SCALE = 0.3
"""Points of GDP: NATO's own revisions between editions (sim/data/README.md)."""
COUNT_SCALE = 2.0
"""Allies: a difference in the count at 2% weighted like 0.3 points of RMSE."""


def fitted_names(last_year: int) -> list[str]:
    """The parameters the years to ``last_year`` can inform: the invasion's size needs 2022."""
    return [n for n in FITTED if not (n == "events.full_invasion.threat_change" and last_year < 2022)]


def history_scenario(last_year: int, prior: str | Scenario = PRIOR_SCENARIO) -> Scenario:
    """The prior scenario cut to January 2014 - December ``last_year``. Events after the cut are
    dropped (a fit to 2021 knows nothing of February 2022)."""
    sc = load_scenario(prior) if isinstance(prior, str) else prior
    months = (last_year - FIRST_YEAR + 1) * 12
    kept = [e.model_dump(exclude_none=True) for e in sc.events if e.month is None or e.month <= f"{last_year}-12"]
    data = sc.model_dump(exclude_none=True)
    data.update(start=f"{FIRST_YEAR}-01", horizon_months=months, events=kept)
    return Scenario.model_validate(data)


def observed_matrix(years: Sequence[int], codes: Sequence[str]) -> np.ndarray:
    """NATO's shares [years, allies], NaN where not published (Germany 2025, Iceland)."""
    hist = defence_share_history()
    return np.array([[hist.get(c, {}).get(y, np.nan) for c in codes] for y in years])


def distance(simulated: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """The distance of each run's history [runs, years, allies] from the observed [years, allies]
    (see the module's docstring); allies and years without a figure are left out."""
    has = np.isfinite(observed)
    diff = np.where(has, simulated - np.where(has, observed, 0.0), 0.0)
    rmse = np.sqrt((diff ** 2).sum(axis=(1, 2)) / has.sum())
    n_sim = ((simulated >= 2.0 - 1e-9) & has).sum(axis=2)
    n_obs = ((observed >= 2.0 - 1e-9) & has).sum(axis=1)
    return rmse / SHARE_SCALE + np.abs(n_sim - n_obs).mean(axis=1) / COUNT_SCALE


@dataclass
class Target:
    """What a fit is fitted to: years, allies, and their shares (NATO's, or a synthetic history)."""

    last_year: int
    years: list[int]
    codes: list[str]
    shares: np.ndarray

    @classmethod
    def nato(cls, last_year: int) -> Target:
        if not FIRST_YEAR < last_year <= 2025:
            raise ValueError(f"the last fitted year must lie in {FIRST_YEAR + 1} to 2025, got {last_year}")
        codes = list(load_world(FIRST_YEAR).iso3)
        years = list(range(FIRST_YEAR + 1, last_year + 1))
        return cls(last_year, years, codes, observed_matrix(years, codes))


@dataclass
class Simulator:
    """Runs batches of histories for given values of the fitted parameters, each with its own
    seed; the other parameters are drawn from their priors by the seed."""

    scenario: Scenario
    target: Target
    names: list[str]
    root: int = 0
    used: int = 0

    def histories(self, values: np.ndarray) -> np.ndarray:
        """[runs, years, allies] for ``values`` [runs, fitted parameters]."""
        seeds = [run_seed(self.root, self.used + k) for k in range(len(values))]
        self.used += len(values)
        fixed = {name: values[:, k] for k, name in enumerate(self.names)}
        years, shares = yearly_shares(self.scenario, seeds, fixed)
        first = years.index(self.target.years[0])
        return shares[:, first:first + len(self.target.years)]

    def distances(self, values: np.ndarray) -> np.ndarray:
        return distance(self.histories(values), self.target.shares)


def _key(name: str) -> str:
    """pyabc stores parameters by name in SQL; dotted names become double underscores."""
    return name.replace(".", "__")


class BatchedModel:
    """A pyabc model that answers from distances computed a batch at a time (see module doc)."""

    def __new__(cls, *args, **kwargs):  # subclass pyabc's Model lazily: pyabc is an optional extra
        import pyabc

        if not issubclass(cls, pyabc.Model):
            cls = type("BatchedModel", (cls, pyabc.Model), {})
        return super().__new__(cls)

    def __init__(self, simulator: Simulator):
        import pyabc

        pyabc.Model.__init__(self, name="deterrence")
        self.simulator = simulator
        self.collecting = False
        self.pending: list[tuple[float, ...]] = []
        self.ready: dict[tuple[float, ...], list[float]] = {}

    def _values(self, pars) -> tuple[float, ...]:
        return tuple(float(pars[_key(n)]) for n in self.simulator.names)

    def sample(self, pars):
        key = self._values(pars)
        if self.collecting:
            self.pending.append(key)
            return {"d": math.inf}
        return {"d": self.ready[key].pop()}

    def run_pending(self) -> None:
        if not self.pending:
            return
        d = self.simulator.distances(np.array(self.pending))
        for key, value in zip(self.pending, d.tolist(), strict=True):
            self.ready.setdefault(key, []).append(value)
        self.pending = []


def _batch_sampler(model: BatchedModel, smallest: int, largest: int):
    import pyabc

    class BatchSampler(pyabc.sampler.Sampler):
        """Proposes a batch, simulates it in one call, then replays the proposals (module doc)."""

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            sample = self._create_empty_sample()
            evaluations, rate = 0, 1.0 if all_accepted else 0.3
            while sample.n_accepted < n:
                size = int(min(max((n - sample.n_accepted) / max(rate, 0.02) * 1.2, smallest), largest))
                state = np.random.get_state()  # noqa: NPY002 - pyabc draws from the legacy global stream
                model.collecting = True
                for _ in range(size):
                    simulate_one()
                model.collecting = False
                model.run_pending()
                np.random.set_state(state)  # noqa: NPY002
                accepted = done = 0
                for _ in range(size):
                    particle = simulate_one()
                    sample.append(particle)
                    done += 1
                    accepted += bool(particle.accepted)
                    if sample.n_accepted >= n:
                        break
                evaluations += done
                rate = max(accepted / done, 0.01)
                model.ready.clear()  # proposals not replayed are dropped, as a serial sampler never made them
            self.nr_evaluations_ = evaluations
            return sample

    return BatchSampler()


def uniform_bounds(scenario: Scenario, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The fitted parameters' prior ranges; each must be uniform in the prior scenario."""
    from sim.model.parameters import judgement_parameters

    priors = judgement_parameters(scenario)
    out = {}
    for name in names:
        p = as_prior(priors[name])
        if not isinstance(p, Uniform):
            raise ValueError(f"{name}: the calibration needs a uniform prior in the prior scenario, got {p.describe()}")
        out[name] = (p.low, p.high)
    return out


def fit(target: Target, *, particles: int = 300, generations: int = 5, seed: int = 0,
        prior: str | Scenario = PRIOR_SCENARIO, batch: tuple[int, int] = (500, 5000),
        progress: Callable[[str], None] | None = None) -> Posterior:
    """ABC-SMC with pyabc: ``particles`` per population, ``generations`` populations, each
    epsilon the median distance of the last population (pyabc's default), an adaptive
    multivariate normal kernel. Same arguments, same posterior, bit for bit."""
    import logging

    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    scenario = history_scenario(target.last_year, prior)
    names = fitted_names(target.last_year)
    bounds = uniform_bounds(scenario, names)
    simulator = Simulator(scenario, target, names, root=seed)
    model = BatchedModel(simulator)
    prior_rv = pyabc.Distribution(**{_key(n): pyabc.RV("uniform", lo, hi - lo) for n, (lo, hi) in bounds.items()})
    np.random.seed(seed)  # noqa: NPY002 - pyabc draws from the legacy global stream
    abc = pyabc.ABCSMC(model, prior_rv, lambda x, x0: x["d"], population_size=particles,
                       sampler=_batch_sampler(model, *batch))
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", {"d": 0.0})
        history = abc.run(max_nr_populations=generations)
        frame, w = history.get_distribution(m=0, t=history.max_t)
        eps = history.get_all_populations()
        info = {"epsilon": [float(x) for x in eps["epsilon"].tolist() if np.isfinite(x)],
                "simulations": int(simulator.used), "particles": particles, "generations": int(history.max_t + 1),
                "seed": seed, "prior_scenario": scenario.name if isinstance(prior, Scenario) else str(prior),
                "years": [target.years[0], target.years[-1]]}
        if progress:
            progress(f"fit to {target.last_year}: {simulator.used} simulations, epsilon {info['epsilon'][-1]:.3f}")
    values = np.column_stack([frame[_key(n)].to_numpy(dtype=float) for n in names])
    return Posterior(names, values, np.asarray(w, dtype=float), bounds, target.last_year, info)


def synthetic_target(last_year: int, truth: dict[str, float], seed: int,
                     prior: str | Scenario = PRIOR_SCENARIO) -> Target:
    """A history made by the model itself at ``truth`` (one run, seed ``seed``), in NATO's
    place: what a recovery test fits."""
    nato = Target.nato(last_year)
    scenario = history_scenario(last_year, prior)
    names = list(truth)
    sim = Simulator(scenario, nato, names, root=seed)
    shares = sim.histories(np.array([[truth[n] for n in names]]))[0]
    return Target(last_year, nato.years, nato.codes, np.where(np.isfinite(nato.shares), shares, np.nan))
