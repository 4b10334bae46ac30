"""The shipped scenarios: each validates and runs, and each future shows its signature.

Signatures (issue 3) are checked in a Monte Carlo against the status quo with paired runs
(common random numbers: replication k has the same seed in every scenario), with a 95%
interval of the paired mean difference that must exclude zero:

* further_withdrawals: more bilateral deals and lower cohesion;
* europe_accelerates: lower enabler dependence at five years;
* unconditional_poland: higher eastern-flank credibility than troops_to_poland.

The signatures and signposts (2,000 runs of five scenarios, half a minute) are marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines.runner import RunResult, run_chunk, run_seed
from sim.model.loading import load_scenario, shipped_scenarios

RUNS = 60
ROOT = 20260512


def _engine() -> str:
    try:
        import sim.engines.fast  # noqa: F401
    except ImportError:
        return "mesa"
    return "fast"


@pytest.fixture(scope="module")
def outcomes():
    engine = _engine()
    runs = RUNS if engine == "mesa" else 2000
    seeds = [run_seed(ROOT, k) for k in range(runs)]
    out = {}
    for name in ("status_quo", "troops_to_poland", "further_withdrawals", "europe_accelerates",
                 "unconditional_poland"):
        results = run_chunk(load_scenario(name), seeds, engine=engine)
        assert all(isinstance(r, RunResult) for r in results), name
        out[name] = {k: np.array([r.outcomes[k] for r in results]) for k in results[0].outcomes}
    return out


def paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of a - b with a normal 95% interval (paired by replication)."""
    d = a - b
    half = 1.959964 * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half


def test_every_shipped_scenario_validates_and_runs():
    paths = shipped_scenarios()
    assert {p.stem for p in paths} >= {"status_quo", "troops_to_poland", "further_withdrawals",
                                       "europe_accelerates", "unconditional_poland"}
    for path in paths:
        scenario = load_scenario(path)
        assert scenario.narrative and scenario.sources, f"{path.name} needs a narrative and quotes"
        [result] = run_chunk(scenario, [run_seed(1, 0)], engine="mesa")
        assert isinstance(result, RunResult), getattr(result, "error", "")
        assert len(result.series["cohesion"]) == scenario.horizon_months


def test_futures_quote_the_brief():
    brief = {
        "troops_to_poland": "Poland pays for basing costs",
        "further_withdrawals": "Romania, Bulgaria, and the Baltic states",
        "europe_accelerates": "sovereign satellite and software capability over 5 years",
        "unconditional_poland": "full unconditional US troop presence in Poland",
    }
    for name, words in brief.items():
        quotes = " ".join(s.quote for s in load_scenario(name).sources)
        assert words in quotes, name


@pytest.mark.slow
def test_further_withdrawals_more_deals_less_cohesion(outcomes):
    fw, sq = outcomes["further_withdrawals"], outcomes["status_quo"]
    mean, lo, hi = paired_interval(fw["deals_final"], sq["deals_final"])
    assert lo > 0, f"deals: {mean:.3f} [{lo:.3f}, {hi:.3f}]"
    mean, lo, hi = paired_interval(fw["cohesion_final"], sq["cohesion_final"])
    assert hi < 0, f"cohesion: {mean:.3f} [{lo:.3f}, {hi:.3f}]"


@pytest.mark.slow
def test_europe_accelerates_lowers_enabler_dependence_at_five_years(outcomes):
    ea, sq = outcomes["europe_accelerates"], outcomes["status_quo"]
    mean, lo, hi = paired_interval(ea["enabler_dependence_5y"], sq["enabler_dependence_5y"])
    assert hi < 0, f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"


@pytest.mark.slow
def test_unconditional_poland_raises_eastern_flank_credibility(outcomes):
    up, tp = outcomes["unconditional_poland"], outcomes["troops_to_poland"]
    mean, lo, hi = paired_interval(up["credibility_eastern_flank_final"], tp["credibility_eastern_flank_final"])
    assert lo > 0, f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"


@pytest.mark.slow
def test_signposts_of_the_brief_are_recorded(outcomes):
    tp = outcomes["troops_to_poland"]
    fw = outcomes["further_withdrawals"]
    ea = outcomes["europe_accelerates"]
    sq = outcomes["status_quo"]
    # Signposts that the scenario makes possible happen in some runs; in the status quo they cannot.
    assert tp["signpost.polish_basing_deal_before_june"].mean() > 0
    assert fw["signpost.second_withdrawal_within_90_days"].mean() > 0
    # the EU budget doubling is the pillar's decision, its chance rising with demand for autonomy
    assert 0.2 < ea["signpost.eu_budget_doubles_with_c2"].mean() < 1.0
    for sp in ("polish_basing_deal_before_june", "second_withdrawal_within_90_days", "eu_budget_doubles_with_c2"):
        assert sq[f"signpost.{sp}"].sum() == 0
    # a signpost's month is recorded exactly when it happened
    happened = fw["signpost.second_withdrawal_within_90_days"] == 1
    months = fw["signpost.second_withdrawal_within_90_days.month"]
    assert np.all(months[happened] <= 3) and np.all(np.isnan(months[~happened]))


def test_signposts_say_whether_they_are_scripted_or_emerge():
    """A signpost is as scripted as the least scripted event that can produce it: the brief's
    signposts emerge from decisions in the futures that carry them; none can happen in the
    status quo; a fixed month is scripted; a constant hazard is scripted timing."""
    from sim.model.outcomes import signpost_origin

    def origins(name):
        s = load_scenario(name)
        return {sp.id: signpost_origin(s, sp) for sp in s.signposts}

    assert origins("troops_to_poland")["polish_basing_deal_before_june"] == "emerges"
    assert origins("further_withdrawals")["second_withdrawal_within_90_days"] == "emerges"
    assert origins("europe_accelerates")["eu_budget_doubles_with_c2"] == "emerges"
    assert origins("troops_to_poland")["hague_majority_on_time"] == "simulated"
    assert set(origins("status_quo").values()) == {"cannot happen", "simulated"}
    s = load_scenario("troops_to_poland")
    deal = next(sp for sp in s.signposts if sp.id == "polish_basing_deal_before_june")
    fixed = [e.model_copy(update={"month": "2026-05", "hazard": None}) if e.kind == "basing_deal" else e
             for e in s.events]
    assert signpost_origin(s.model_copy(update={"events": fixed}), deal) == "scripted"
    flat = [e.model_copy(update={"hazard": e.hazard.model_copy(update={"rises_with": "none"})})
            if e.kind == "basing_deal" else e for e in s.events]
    assert signpost_origin(s.model_copy(update={"events": flat}), deal) == "scripted timing"
