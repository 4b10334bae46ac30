"""The ensemble engine ("fast", sim.engines.fast) against the Mesa engine (sim.engines.mesa.model).

Equality is bit-exact: for the same seed the fast engine's parameters, outcomes (signposts
included) and monthly series are the Mesa engine's, bit for bit (``==``, NaN where NaN), for
every shipped scenario over the full horizon. The pieces that make this so (the random streams,
the reductions over allies) are checked on their own first, and a run's result does not depend
on the batch that computed it. A two-sample comparison of distributions (KS and chi-square) is
marked slow, and so are the whole-run comparisons over many seeds; the fast loop compares a few
runs of the scenario with every event kind.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from sim.engines.fast import run_fast, simulate
from sim.engines.fast.ordered_sums import (
    compensated_sums,
    padded,
    pairwise_sums,
    reputation_sums,
    weighted_sums,
)
from sim.engines.fast.records import AGG, aggregates
from sim.engines.runner import RunFailure, RunResult, run_chunk, run_scenario, run_seed
from sim.model.loading import load_scenario, shipped_scenarios
from sim.model.outcomes import MAIN_OUTCOMES
from sim.model.parameters import draw_parameters, parameter_matrix
from sim.model.rules import credibility, strategy
from sim.model.streams import Streams

SCENARIOS = [p.stem for p in shipped_scenarios()]
# The distribution check (below) on the scenarios that exercise every mechanism: the brief's
# futures and the replay. Every shipped scenario is checked bit for bit.
DISTRIBUTION_SCENARIOS = ["troops_to_poland", "further_withdrawals", "europe_accelerates", "replay_2014"]
# Run seeds as sweeps make them (64-bit: two entropy words) and small ones (one word).
SEEDS = [run_seed(7, k) for k in range(16)] + [0, 1, 2, 1234]


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# ---- the pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffixes", [[()], [(1,)], [(2, 2**31 + 17)], [(3, 0), (3, 2**32 - 1), (3, 5)]])
def test_streams_are_numpys(suffixes):
    """Streams seeds PCG64 as default_rng([seed, *suffix]) does, for one- and two-word seeds,
    and draws its doubles: four streams side by side, and those left over (1 or 3 here) one by one."""
    seeds = [0, 1, 1234, 2**32 - 1, 2**32, 2**63 + 5, 2**64 - 1, *SEEDS[:6]]
    st = Streams(seeds, suffixes)
    first = st.uniforms(4)
    rest = st.draw(np.empty((len(seeds) * len(suffixes), 15)))
    for row, (suffix, seed) in enumerate((sf, s) for sf in suffixes for s in seeds):
        ref = np.random.default_rng([seed, *suffix] if suffix else seed).random(19)
        assert first[row].tobytes() == ref[:4].tobytes()
        assert rest[row].tobytes() == ref[4:].tobytes()


def test_streams_draw_the_months_as_the_model():
    """The engine's chance draws: month after month, 127 doubles of every run, as the model's
    ``rng.random(4n + 3)`` each month; a bad buffer is refused."""
    seeds = [99, 5, run_seed(3, 1)]
    st = Streams(seeds)
    u = np.empty((3, 127))
    rngs = [np.random.default_rng(s) for s in seeds]
    for _month in range(24):
        st.draw(u)
        assert u.tobytes() == np.stack([rng.random(127) for rng in rngs]).tobytes()
    with pytest.raises(ValueError, match=r"C-contiguous float64 array \[3, k\]"):
        st.draw(np.empty((127, 3)).T)


@pytest.mark.parametrize("n", [1, 5, 7, 8, 9, 16, 31, 63, 128, 129, 200, 1000, 4099])
def test_reductions_are_numpys_and_pythons(n):
    """The compiled sums give numpy's pairwise sum of a contiguous row and Python's sum(),
    bit for bit, below 8 terms, in one block of eight running sums, and in numpy's halving
    beyond 128 terms (several levels at 4,099)."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((40, n)) * np.exp(3 * rng.standard_normal((40, n)))
    for y in (x, np.abs(x), np.asfortranarray(x)):
        assert pairwise_sums(y).tobytes() == np.ascontiguousarray(y).sum(axis=-1).tobytes()
        want = np.array([sum(row.tolist()) for row in y])
        assert compensated_sums(y).tobytes() == want.tobytes()
        # one run at a time too (a batch of one must not change the order of any sum)
        assert np.concatenate([compensated_sums(y[i:i + 1]) for i in range(len(y))]).tobytes() == want.tobytes()
        assert np.concatenate([pairwise_sums(y[i:i + 1]) for i in range(len(y))]).tobytes() \
            == np.ascontiguousarray(y).sum(axis=-1).tobytes()


def test_compensated_sum_keeps_what_the_plain_sum_loses():
    """The cases that tell Neumaier's sum from a plain one (Python's docs: sum([0.1] * 10))."""
    tenths, cancelling = np.array([[0.1] * 10]), np.array([[1e100, 1.0, -1e100, 1.0]])
    assert compensated_sums(tenths).tolist() == [1.0] == [sum([0.1] * 10)]
    assert compensated_sums(cancelling).tolist() == [2.0]
    assert pairwise_sums(cancelling).tolist() == [1.0]  # the 1.0 lost to 1e100 stays lost
    # Python's sum() starts from the integer 0: negative zeros sum to +0.0
    for zeros in ([-0.0], [-0.0, -0.0]):
        got = compensated_sums(np.array([zeros]))[0]
        assert math.copysign(1.0, got) == math.copysign(1.0, sum(zeros)) == 1.0


def test_aggregates_are_the_records_sums():
    """ensemble.aggregates, the month's sums and counts in one compiled pass, gives what
    outcomes.snapshot and Recorder.record compute for one run with numpy and Python, bit
    for bit: totals and group sums, products, counts and the compensated sum."""
    rng = np.random.default_rng(11)
    R, n = 37, 31
    scale = np.exp(3 * rng.standard_normal((R, n)))
    cred, ru = rng.random((R, n)), rng.random((R, n))
    share, gdp = rng.choice([1.0, 2.0 - 1e-9, 2.0, 2.5, 3.5], (R, n)) * rng.random((R, n)) ** 0.1, 100 * scale
    cap, dep = scale * rng.random((R, n)), rng.random((R, n))
    usable = cap * (1.0 - dep)
    strat = rng.integers(0, 4, (R, n))
    holds, complies = rng.random((R, n)) < 0.2, rng.random((R, n)) < 0.5
    pledge = rng.choice([2.0, 3.5], R)
    groups = {name: np.sort(rng.choice(n, size, replace=False)) for name, size in
              (("eastern_flank", 9), ("frontline", 4), ("western", 17), ("baltic", 3), ("germany", 1))}
    out = np.empty((R, len(AGG)))
    aggregates(cred, ru, strat, share, gdp, cap, dep, usable, holds, complies, pledge, 2.0 - 1e-9,
                groups["eastern_flank"], groups["frontline"], groups["western"], groups["baltic"],
                groups["germany"], out)
    for r in range(R):
        autonomy = (strat[r] == strategy.AUTONOMY).astype(float)
        want = {
            "credibility": cred[r].sum(), "russia": ru[r].sum(), "gdp_share": (gdp[r] * share[r]).sum(),
            "gdp": gdp[r].sum(), "capability": cap[r].sum(), "usable": usable[r].sum(),
            "gdp_dependence": (gdp[r] * dep[r]).sum(), "gdp_autonomy": (gdp[r] * autonomy).sum(),
            "credibility_eastern_flank": cred[r][groups["eastern_flank"]].sum(),
            "credibility_frontline": cred[r][groups["frontline"]].sum(),
            "credibility_western": cred[r][groups["western"]].sum(),
            "russia_eastern_flank": ru[r][groups["eastern_flank"]].sum(),
            "deals": sum(holds[r].tolist()), "complying": sum(complies[r].tolist()),
            "collective": (strat[r] == strategy.COLLECTIVE).sum(), "autonomy": autonomy.sum(),
            "accommodation": (strat[r] == strategy.ACCOMMODATION).sum(),
            "at_2pct": (share[r] >= 2.0 - 1e-9).sum(), "at_pledge": (share[r] >= pledge[r] - 1e-9).sum(),
            "usable_compensated": sum(usable[r].tolist()),
            "credibility_baltic": cred[r][groups["baltic"]].sum(),
            "credibility_germany": cred[r][groups["germany"]].sum(),
        }
        for name, k in AGG.items():
            assert np.float64(out[r, k]).tobytes() == np.float64(want[name]).tobytes(), (r, name)


@pytest.mark.parametrize("n", [5, 8, 31, 130])
@pytest.mark.parametrize("nonzero", [0, 1, 2, 3, 4, 20, "all"])
def test_weighted_sums_are_the_rules(n, nonzero):
    """weighted_sums gives credibility.received_evidence's sum for every observer: sparse
    evidence (zero terms skipped), dense evidence, and a mix, in each of numpy's regimes of
    summation (under 8 terms, 8 to 128, over 128)."""
    rng = np.random.default_rng(n)
    R = 25
    m = rng.random((R, n, n)) * np.exp(2 * rng.standard_normal((R, n, n)))  # m[r, i, j]
    v = np.zeros((R, n))
    for r in range(R):
        k = n if nonzero == "all" else min(nonzero, n) if r % 2 else min(nonzero, 2, n)
        v[r, rng.choice(n, k, replace=False)] = rng.random(k) * 5
    got = weighted_sums(np.transpose(m, (0, 2, 1)), np.stack([v, v[::-1]]))
    # observers padded with zeros to whole SIMD vectors: the same sums
    assert weighted_sums(padded(np.transpose(m, (0, 2, 1))), np.stack([v, v[::-1]])).tobytes() == got.tobytes()
    for r in range(R):
        for k, vec in enumerate((v[r], v[R - 1 - r])):
            want = credibility.received_evidence(vec[None, :], m[r])
            assert got[k, r].tobytes() == want.tobytes()


@pytest.mark.parametrize("density", [0.02, 0.06, 0.3, 1.0])
def test_reputation_sums_are_the_rules(density):
    """reputation_sums, which makes each weight from a similarity matrix and rho as
    credibility.reputation_matrix does, gives received_evidence's sums over the rule's own
    matrices: evidence with one, two and more nonzero terms, two similarity ranges."""
    rng = np.random.default_rng(int(density * 100))
    n, R = 31, 60
    distance = rng.random(n) * 2500
    ranges, rho = np.array([700.0, 1000.0]), rng.random(R)
    group = rng.integers(0, 2, R)
    similarity = np.stack([credibility.similarity(distance[:, None], distance[None, :], x).T for x in ranges])
    v = rng.random((3, R, n)) * (rng.random((3, R, n)) < density)
    got = reputation_sums(similarity, group, rho, v)
    for r in range(R):
        matrix = credibility.reputation_matrix(distance, rho[r], ranges[group[r]])
        for k in range(3):
            assert got[k, r].tobytes() == credibility.received_evidence(v[k, r][None, :], matrix).tobytes()


def test_three_terms_every_position():
    """Sparse evidence against numpy for every set of three positions among 31 (where the
    pairwise tree joins them depends on the positions)."""
    rng = np.random.default_rng(3)
    n = 31
    combos = list(itertools.combinations(range(n), 3))
    m = rng.random((len(combos), n, n)) * np.exp(3 * rng.standard_normal((len(combos), n, n)))
    v = np.zeros((len(combos), n))
    for r, c in enumerate(combos):
        v[r, list(c)] = rng.random(3) * np.exp(3 * rng.standard_normal(3))
    got = weighted_sums(np.transpose(m, (0, 2, 1)), v[None])[0]
    want = (m * v[:, None, :]).sum(axis=-1)
    assert got.tobytes() == want.tobytes()


def test_parameters_are_draw_parameters():
    sc = load_scenario("further_withdrawals")
    fixed = {"patron.deal_price": 0.7, "events.romania_reduction.troops": 300.0}
    for fx in (None, fixed):
        names, values = parameter_matrix(sc, SEEDS, fx)
        for seed, row in zip(SEEDS, values, strict=True):
            assert dict(zip(names, row.tolist(), strict=True)) == draw_parameters(sc, seed, fx)


# ---- whole runs --------------------------------------------------------------------------------


def assert_same_run(fast: RunResult, mesa: RunResult) -> None:
    assert fast.seed == mesa.seed
    assert fast.parameters == mesa.parameters
    assert list(fast.outcomes) == list(mesa.outcomes)
    bad = {k: (mesa.outcomes[k], fast.outcomes[k]) for k in mesa.outcomes
           if not same(mesa.outcomes[k], fast.outcomes[k])}
    assert not bad, f"seed {mesa.seed}: outcomes differ (mesa, fast): {bad}"
    assert list(fast.series) == list(mesa.series)
    for k, a in mesa.series.items():
        assert np.array_equal(a, fast.series[k], equal_nan=True), f"seed {mesa.seed}: series {k} differs"
        assert a.tobytes() == fast.series[k].tobytes()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_runs_as_mesa_bit_for_bit(scenario):
    """20 seeds x the full horizon: parameters, outcomes (with signposts) and every series
    equal the Mesa engine's bit for bit."""
    sc = load_scenario(scenario)
    fast = run_chunk(sc, SEEDS, engine="fast")
    for seed, f in zip(SEEDS, fast, strict=True):
        assert isinstance(f, RunResult), getattr(f, "error", f)
        assert_same_run(f, run_scenario(sc, seed=seed))


KITCHEN_SINK = """\
extends: status_quo
name: kitchen_sink
title: "Every event kind, hazard driver and troop-order interaction (engine equality test)"
horizon_months: 60
patron:
  conditionality_threshold: 2.0
  conditionality_strictness: {dist: uniform, low: 0.2, high: 0.9}
  deal_appetite: {dist: uniform, low: 0.3, high: 0.9}
allies:
  reconsider_rate: {dist: uniform, low: 0.2, high: 0.5}
  procurement_lag_months: {dist: choice, values: [0, 12, 24, 36]}
beliefs:
  similarity_range_km: {dist: uniform, low: 600, high: 1500}
world:
  overrides:
    LTU: {strategy: deal}
    HUN: {strategy: accommodation}
events:
  - {id: deu_to_pol, kind: relocation, month: 2026-05, host: DEU, to: POL, troops: 5000, duration_months: 9, hub_loss: 0.2}
  - {id: ita_quiet, kind: withdrawal, month: 2026-06, host: ITA, troops: {dist: uniform, low: 500, high: 3000}, duration_months: 4, announce: false}
  - {id: pol_deal, kind: basing_deal, host: POL, troops: {dist: uniform, low: 500, high: 2000}, duration_months: 5, price: 0.3, hazard: {monthly: 0.2, rises_with: months_elapsed, slope: 0.01}}
  - {id: rou_cut, kind: withdrawal, host: ROU, troops: 800, duration_months: 3, hazard: {monthly: 0.05, rises_with: share_with_deal, slope: 0.5}}
  - {id: ltu_to_pol, kind: relocation, host: LTU, to: POL, troops: 600, duration_months: 6, hazard: {monthly: 0.1, rises_with: deterrence_failures, slope: 0.3, after: 2026-08}}
  - {id: halt, kind: halt_deployment, month: 2026-07, host: DEU, troops: 500}
  - {id: reinforce, kind: deployment, month: 2026-10, host: LTU, troops: {dist: uniform, low: 1000, high: 3000}, duration_months: 4}
  - {id: quiet_reinforce, kind: deployment, hazard: {monthly: 0.03}, host: ROU, troops: 800, announce: false}
  - {id: bgr_unpaid, kind: withdrawal, host: BGR, troops: 20, duration_months: 2, hazard: {monthly: 0.0, rises_with: host_not_paying, slope: 0.2}}
  - {id: ltu_offer, kind: basing_deal, host: LTU, price: 0.2, troops: 300, hazard: {monthly: 0.0, rises_with: host_seeks_deal, slope: 0.4}}
  - {id: eu_more, kind: eu_budget, multiplier: 3.0, hazard: {monthly: 0.01, rises_with: autonomy_share, slope: 0.5}}
  - {id: backed_down, kind: crisis, month: 2026-08, host: EST, us_answers: false}
  - {id: stood_firm, kind: crisis, hazard: {monthly: 0.05}, host: POL, us_answers: true, europe_answers: true}
  - {id: priced, kind: guarantee, month: 2026-06, conditional: true, threshold: {dist: uniform, low: 2.0, high: 3.5}, strictness: 0.6}
  - {id: baltic_pledge, kind: guarantee, month: 2026-09, conditional: false, hosts: [EST, LVA, LTU]}
  - {id: all_pledge, kind: guarantee, month: 2027-03, conditional: false}
  - {id: named_priced, kind: guarantee, month: 2027-06, conditional: true, threshold: 3.0, strictness: 0.5, hosts: [DEU, FRA]}
  - {id: budget, kind: eu_budget, month: 2027-01, multiplier: 2.0}
  - {id: c2, kind: sovereign_c2, hazard: {monthly: 0.05}, years: {dist: uniform, low: 3, high: 6}, funding_share: 0.7}
  - {id: tariffs, kind: trade_coercion, month: 2026-10, growth_cost: 0.2, alignment_strain: {dist: uniform, low: 0.5, high: 1.5}}
  - {id: shock, kind: threat_shock, month: 2027-02, absorption_change: -0.3, threat_change: 0.5}
  - {id: leave, kind: exit_notice, hazard: {monthly: 0.01, rises_with: share_below_threshold, slope: 0.05}}
  - {id: pol_law, kind: budget_law, ally: POL, month: 2026-09, path: {2026: 4.8, 2027: 5.5, 2028: 4.2}, source: "test path"}
  - {kind: budget_law, ally: FRA, month: 2025-06, path: {2025: 2.6}, source: "test law made before the start"}
"""


@pytest.mark.slow
def test_same_runs_as_mesa_every_event_kind(tmp_path):
    """A scenario with every event kind, scheduled and hazard-driven (each driver of a hazard),
    announced and not, conditional and unconditional guarantees to all and to named allies,
    troop orders that overlap on the same host (Poland gets troops from a relocation, a basing
    deal and a second relocation at once), a procurement lag of 0 among the choices, and a
    similarity range drawn per run: 30 seeds, bit for bit."""
    path = tmp_path / "kitchen_sink.yaml"
    path.write_text(KITCHEN_SINK)
    sc = load_scenario(path)
    seeds = [run_seed(5, k) for k in range(26)] + [100, 101, 102, 103]
    fast = run_fast(sc, seeds, batch=13)
    for seed, f in zip(seeds, fast, strict=True):
        assert_same_run(f, run_scenario(sc, seed=seed))


def test_same_runs_as_mesa_every_event_kind_few_seeds(tmp_path):
    """The fast loop's engine comparison (the slow tests above and below run every shipped
    scenario with 20 seeds and this one with 30): the scenario with every event kind, three
    seeds (two-word and one-word) over its full horizon, in a batch of two, with and without
    fixed parameters, bit for bit."""
    path = tmp_path / "kitchen_sink.yaml"
    path.write_text(KITCHEN_SINK)
    sc = load_scenario(path)
    seeds = [run_seed(5, 0), run_seed(5, 1), 101]
    for seed, f in zip(seeds, run_fast(sc, seeds, batch=2), strict=True):
        assert_same_run(f, run_scenario(sc, seed=seed))
    fixed = {"patron.deal_appetite": 0.9, "allies.reconsider_rate": 0.3, "events.pol_deal.troops": 2000.0}
    [f] = run_fast(sc, seeds[:1], fixed)
    assert_same_run(f, run_scenario(sc, seed=seeds[0], fixed=fixed))


@pytest.mark.slow
def test_same_runs_as_mesa_with_fixed_parameters():
    """A design point (fixed parameters) runs the same in both engines."""
    sc = load_scenario("troops_to_poland")
    fixed = {"patron.deal_appetite": 0.9, "allies.reconsider_rate": 0.3,
             "events.polish_basing_deal.troops": 2000.0}
    seeds = SEEDS[:6]
    for seed, f in zip(seeds, run_fast(sc, seeds, fixed), strict=True):
        assert_same_run(f, run_scenario(sc, seed=seed, fixed=fixed))


def test_fixed_values_per_run_give_each_run_its_own_design_point(tmp_path):
    """``fixed`` values given one per seed (several design points in one batch, as the sweep's
    executor passes them) give each run what a call with that run's numbers gives, in both
    engines, bit for bit; the batch may cut the arrays anywhere."""
    assert run_fast.per_run_fixed is True
    path = tmp_path / "kitchen_sink.yaml"
    path.write_text(KITCHEN_SINK)
    sc = load_scenario(path)
    seeds = [run_seed(5, 0), run_seed(5, 1), 101]
    per_run = {"patron.deal_appetite": np.array([0.9, 0.1, 0.5]), "allies.reconsider_rate": [0.3, 0.3, 0.05],
               "events.pol_deal.troops": np.array([2000.0, 0.0, 4500.0]), "patron.deal_price": 0.4}

    def at(i):
        return {k: float(np.atleast_1d(v)[i if np.ndim(v) else 0]) for k, v in per_run.items()}

    together = run_fast(sc, seeds, per_run, batch=2)
    for i, (seed, f) in enumerate(zip(seeds, together, strict=True)):
        assert f.parameters["patron.deal_appetite"] == per_run["patron.deal_appetite"][i]
        [alone] = run_fast(sc, [seed], at(i))
        assert_same_run(f, alone)
    assert_same_run(together[1], run_scenario(sc, seed=seeds[1], fixed=at(1)))


def test_fixed_values_per_run_of_the_wrong_length_or_not_finite():
    sc = load_scenario("status_quo").model_copy(update={"horizon_months": 2})
    with pytest.raises(ValueError, match=r"'patron\.deal_price' has 2 values for 3 seeds"):
        run_fast(sc, [1, 2, 3], {"patron.deal_price": [0.1, 0.2]})
    # a value that is not finite fails its own run only; the others are what they are alone
    out = run_fast(sc, [1, 2, 3], {"patron.deal_price": [0.1, np.nan, 0.3]})
    assert isinstance(out[1], RunFailure) and out[1].seed == 2
    assert "'patron.deal_price' is not finite" in out[1].error
    assert_same_run(out[2], run_fast(sc, [3], {"patron.deal_price": 0.3})[0])


@pytest.mark.slow
def test_same_runs_as_mesa_with_fixed_parameters_per_run():
    """Six design points in one call, cut into batches of four, against the Mesa engine run by run."""
    sc = load_scenario("troops_to_poland")
    seeds = SEEDS[:6]
    per_run = {"patron.deal_appetite": np.linspace(0.1, 0.9, 6),
               "events.polish_basing_deal.troops": np.array([0.0, 500, 1000, 2000, 4000, 8000])}
    for i, (seed, f) in enumerate(zip(seeds, run_fast(sc, seeds, per_run, batch=4), strict=True)):
        assert_same_run(f, run_scenario(sc, seed=seed, fixed={k: float(v[i]) for k, v in per_run.items()}))


@pytest.mark.slow
def test_batch_invariance():
    """Run 1234 alone is run 1234 inside a batch of 500, bit for bit, and batches of any size
    give the same runs."""
    sc = load_scenario("further_withdrawals")
    seeds = [run_seed(3, k) for k in range(499)]
    seeds.insert(321, 1234)
    alone = run_fast(sc, [1234])[0]
    inside = run_fast(sc, seeds, batch=500)
    assert_same_run(inside[321], alone)
    small = run_fast(sc, seeds[300:340], batch=7)
    for a, b in zip(small, inside[300:340], strict=True):
        assert_same_run(a, b)
    # the array entry point agrees with the per-run results
    res = simulate(sc, seeds[315:330], series=False)
    assert res.series is None
    for row, r in zip(res.outcomes, inside[315:330], strict=True):
        assert dict(zip(res.outcome_names, row.tolist(), strict=True)) == pytest.approx(r.outcomes, nan_ok=True, abs=0)


def test_batch_invariance_few_runs():
    """The fast loop's batch test (the slow one above uses a batch of 500): run 1234 alone is
    run 1234 inside a batch of 20, and batches of 7 give the same runs, bit for bit."""
    sc = load_scenario("further_withdrawals")
    seeds = [run_seed(3, k) for k in range(19)]
    seeds.insert(11, 1234)
    alone = run_fast(sc, [1234])[0]
    inside = run_fast(sc, seeds, batch=20)
    assert_same_run(inside[11], alone)
    for a, b in zip(run_fast(sc, seeds, batch=7), inside, strict=True):
        assert_same_run(a, b)


def test_failures_are_recorded_per_seed():
    sc = load_scenario("status_quo")
    out = run_chunk(sc, [5, 6], fixed={"patron.no_such_parameter": 1.0}, engine="fast")
    assert [type(r) for r in out] == [RunFailure, RunFailure]
    assert [r.seed for r in out] == [5, 6]
    assert "no_such_parameter" in out[0].error


# ---- distributions -------------------------------------------------------------------------------

DISCRETE = {"deals_final", "probes", "incursions", "deterrence_failure", "allies_at_pledge_final"}


def pooled(table: np.ndarray, least: float = 5.0) -> np.ndarray:
    """A 2 x k table of counts with adjacent values pooled, from the largest down, until every
    expected count is at least ``least``: the chi-square test's own condition (Cochran 1954).
    Counts such as deals are heavy-tailed; unpooled, a few runs in sparse tail cells (a value
    of 17 deals seen once) give p-values far below what the distributions justify."""
    cols = [table[:, j].astype(float) for j in range(table.shape[1])]
    while len(cols) > 1:
        t = np.stack(cols, axis=1)
        expected = t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / t.sum()
        if expected.min() >= least:
            break
        j = int(np.argmin(expected.min(axis=0)))
        k = j - 1 if j == len(cols) - 1 or (j > 0 and cols[j - 1].sum() < cols[j + 1].sum()) else j + 1
        lo, hi = min(j, k), max(j, k)
        cols[lo] = cols[lo] + cols[hi]
        del cols[hi]
    return np.stack(cols, axis=1)


def test_pooling_keeps_counts_and_meets_the_condition():
    table = np.array([[900, 50, 30, 10, 5, 3, 1, 1], [45, 3, 1, 1, 0, 0, 0, 0]])
    out = pooled(table)
    assert out.sum() == table.sum() and (out.sum(axis=1) == table.sum(axis=1)).all()
    expected = out.sum(axis=1, keepdims=True) * out.sum(axis=0, keepdims=True) / out.sum()
    assert expected.min() >= 5 and out.shape[1] >= 2


@pytest.mark.slow
@pytest.mark.parametrize("scenario", DISTRIBUTION_SCENARIOS)
def test_same_distributions_as_mesa(scenario, request):
    """The main outcomes over 2,000 fast runs against 70 Mesa runs with other seeds
    (independent samples): two-sample KS for continuous outcomes, chi-square for counts and
    0/1 outcomes; the scenario fails if any p-value is below 0.001 / (number of outcomes tested)
    (Bonferroni: a family-wise false alarm rate of 0.1% per scenario). The Mesa sample is 70 runs, not 2,000, because the runs
    are equal bit for bit (test_same_runs_as_mesa_bit_for_bit): this test checks that nothing
    outside those seeds departs from the Mesa engine's distributions. About 15 s per scenario, on
    the scenarios that exercise every mechanism (every shipped one is checked bit for bit).
    """
    sc = load_scenario(scenario)
    fast = simulate(sc, [run_seed(11, k) for k in range(2000)], series=False)
    f = {name: fast.outcomes[:, j] for j, name in enumerate(fast.outcome_names)}
    mesa_runs = [run_scenario(sc, seed=run_seed(12, k)) for k in range(70)]
    m = {name: np.array([r.outcomes[name] for r in mesa_runs]) for name in MAIN_OUTCOMES}
    tested = {}
    for name in MAIN_OUTCOMES:
        a, b = f[name][~np.isnan(f[name])], m[name][~np.isnan(m[name])]
        if a.size < 20 or b.size < 20 or (np.ptp(a) == 0 and np.ptp(b) == 0 and a[0] == b[0]):
            continue
        if name in DISCRETE:
            values = np.union1d(a, b)
            table = np.array([[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]])
            table = pooled(table[:, table.sum(axis=0) > 0])
            if table.shape[1] < 2:
                continue
            tested[name] = stats.chi2_contingency(table).pvalue
        else:
            tested[name] = stats.ks_2samp(a, b).pvalue
    assert tested
    alpha = 0.001 / len(tested)
    low = {k: p for k, p in tested.items() if p < alpha}
    assert not low, f"p-values below {alpha:.2g}: {low}"
