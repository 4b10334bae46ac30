"""The model in the ecosystem's own tools: Mesa's run_model and batch_run, the EMA Workbench,
and ``deterrence validate`` on experiment files."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import AllianceModel, load_scenario, run_scenario
from sim.cli import main
from sim.experiments.experiment import is_experiment, shipped_experiments
from sim.model.outcomes import MAIN_SERIES

ROOT = Path(__file__).resolve().parents[1]


def short(name: str = "status_quo", months: int = 6):
    return load_scenario(name).model_copy(update={"horizon_months": months})


def same(a: dict, b: dict) -> bool:
    """Equal dicts of floats, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


# --------------------------------------------------------------------------------------------
# Mesa: run_model, running, the DataCollector, rng and keyword arguments


def test_run_model_stops_at_the_horizon_with_the_outcomes_of_run():
    spec = short("troops_to_poland", 12)
    model = AllianceModel(spec, rng=5)
    assert model.running
    model.run_model()
    assert not model.running and model.time == 12 and model.month == 11
    other = AllianceModel(spec, rng=5)
    other.run()
    assert same(model.outcomes(), other.outcomes())
    assert same(model.outcomes(), run_scenario(spec, seed=5).outcomes)
    # The DataCollector holds the main series, one row per month, as the recorder has them.
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(MAIN_SERIES) and len(frame) == 12
    series = model.timeseries()
    for name in MAIN_SERIES:
        assert np.array_equal(frame[name].to_numpy(), series[name], equal_nan=True), name
    assert model.datacollector._collection_steps == [float(t) for t in range(1, 13)]


def test_rng_none_draws_a_seed_and_records_it():
    a, b = AllianceModel(short()), AllianceModel(short())
    assert isinstance(a.seed, int) and 0 <= a.seed < 2**64 and a.seed != b.seed
    again = AllianceModel(short(), rng=a.seed)
    assert again.values == a.values
    with pytest.raises(ValueError, match="non-negative integer seed"):
        AllianceModel(short(), rng=1.5)


def test_scenario_by_name_and_parameters_by_keyword():
    by_name = AllianceModel("troops_to_poland", rng=3)
    assert by_name.spec == load_scenario("troops_to_poland")
    assert by_name.values == AllianceModel(load_scenario("troops_to_poland"), rng=3).values
    # dotted names (as batch_run passes them), identifiers and fixed= together
    model = AllianceModel("troops_to_poland", rng=3, fixed={"patron.attention": 0.5},
                          patron__deal_price=0.3, **{"events.germany_withdrawal.troops": 9000})
    expected = AllianceModel("troops_to_poland", rng=3, fixed={
        "patron.attention": 0.5, "patron.deal_price": 0.3, "events.germany_withdrawal.troops": 9000})
    assert model.values == expected.values
    assert model.values["patron.deal_price"] == 0.3
    with pytest.raises(TypeError, match="unknown parameter 'patron__deal_pryce'"):
        AllianceModel("troops_to_poland", rng=3, patron__deal_pryce=0.3)


BATCH_RUN = """
import json, mesa
from sim import AllianceModel, load_scenario
short = load_scenario("status_quo").model_copy(update={"horizon_months": 6})
# Objects go in a list (batch_run iterates over each value); max_steps is past the horizon,
# so the runs end because model.running becomes False.
rows = mesa.batch_run(AllianceModel, {"scenario": [short], "patron.deal_price": [0.2, 0.4]},
                      rng=[11, 12], max_steps=1000, number_processes=1,
                      data_collection_period=1, display_progress=False)
# A shipped scenario by name, cut short by max_steps; the last step only.
last = mesa.batch_run(AllianceModel, {"scenario": "status_quo"}, rng=[11], max_steps=6,
                      number_processes=1, display_progress=False)
print(json.dumps({"rows": [{k: v for k, v in r.items() if k != "scenario"} for r in rows],
                  "last": last}))
"""


@pytest.mark.slow
def test_batch_run_gives_the_runs_of_run_scenario():
    """mesa.batch_run sets the 'spawn' start method for the whole process: a subprocess."""
    proc = subprocess.run([sys.executable, "-c", BATCH_RUN], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    rows = out["rows"]
    assert len(rows) == 2 * 2 * 6
    keys = {"RunId", "iteration", "Step", "rng", "patron.deal_price", *MAIN_SERIES}
    assert all(set(r) == keys for r in rows)
    spec = short()
    for seed in (11, 12):
        for price in (0.2, 0.4):
            mine = [r for r in rows if r["rng"] == seed and r["patron.deal_price"] == price]
            assert [r["Step"] for r in mine] == [1, 2, 3, 4, 5, 6]
            series = run_scenario(spec, seed=seed, fixed={"patron.deal_price": price}).series
            for r in mine:
                for name in MAIN_SERIES:
                    assert r[name] == series[name][int(r["Step"]) - 1], (seed, price, name)
    [last] = out["last"]
    assert last["scenario"] == "status_quo" and last["Step"] == 6 and last["rng"] == 11
    full = run_scenario(load_scenario("status_quo"), seed=11, months=6).series
    assert all(last[name] == full[name][5] for name in MAIN_SERIES)


# --------------------------------------------------------------------------------------------
# EMA Workbench


def test_ema_experiments_are_the_fast_engine_runs():
    pytest.importorskip("ema_workbench")
    from ema_workbench import perform_experiments

    from sim.ema import model
    from sim.engines.fast import run_fast

    spec = short("europe_accelerates", 6)
    outcomes = ["cohesion_final", "credibility_eastern_flank_final", "probes", "ally.POL.deal"]
    with pytest.warns(UserWarning, match="equal weights") if _has_weighted_choice(spec) else _nothing():
        m = model(spec, outcomes=outcomes, fixed={"patron.attention": 0.7})
    assert m.name == "europe_accelerates"
    names = m.names
    assert names["patron__deal_price"] == "patron.deal_price" and "patron__attention" not in names
    kinds = {type(p).__name__ for p in m.uncertainties}
    assert {"IntegerParameter", "RealParameter", "CategoricalParameter"} <= kinds
    experiments, out = perform_experiments(m, scenarios=8, log_progress=False)
    assert set(out) == {"cohesion_final", "credibility_eastern_flank_final", "probes", "ally__POL__deal"}
    assert len(experiments) == 8 and all(len(v) == 8 for v in out.values())
    seeds = experiments["seed"].astype(int).tolist()
    assert len(set(seeds)) == 8
    for i, seed in enumerate(seeds):
        fixed = {"patron.attention": 0.7, **{names[c]: float(experiments[c].iloc[i]) for c in names}}
        [run] = run_fast(spec, [seed], fixed)
        for name in outcomes:
            assert out[name.replace(".", "__")][i] == run.outcomes[name] or (
                np.isnan(run.outcomes[name]) and np.isnan(out[name.replace(".", "__")][i])), (i, name)


def test_ema_uncertainties_follow_the_priors():
    pytest.importorskip("ema_workbench")
    from sim.ema import uncertainty
    from sim.model.priors import Beta, Choice, Fixed, Normal, Triangular, Uniform

    u = uncertainty("patron.deal_price", Uniform(dist="uniform", low=0.1, high=0.3))
    assert u.name == "patron__deal_price" and (u.lower_bound, u.upper_bound) == (0.1, 0.3)
    c = uncertainty("allies.procurement_lag_months", Choice(dist="choice", values=[12, 24, 36]))
    assert [cat.value for cat in c.categories] == [12, 24, 36]
    for prior in (Beta(dist="beta", a=2, b=5, low=0, high=2),
                  Triangular(dist="triangular", low=0, mode=1, high=4),
                  Normal(dist="normal", mean=1, sd=0.5, low=0, high=3)):
        p = uncertainty("x.y", prior)
        q = np.array([0.05, 0.5, 0.95])
        assert np.allclose(p.dist.ppf(q), prior.ppf(q)), prior
        assert (p.lower_bound, p.upper_bound) == pytest.approx(prior.support())
    assert uncertainty("x.y", Fixed(value=1.0)) is None
    with pytest.warns(UserWarning, match="no finite support"):
        assert uncertainty("x.y", Normal(dist="normal", mean=0, sd=1)) is None


# EMA Workbench 3.0's PRIM calls DataFrame.drop(inplace=True), which pandas 3 deprecates.
@pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
def test_prim_runs_on_experiments():
    pytest.importorskip("ema_workbench")
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim

    from sim.ema import model

    m = model(short("troops_to_poland", 3), outcomes=["cohesion_final"])
    experiments, out = perform_experiments(m, scenarios=40, log_progress=False)
    x = experiments[[p.name for p in m.uncertainties if type(p).__name__ == "RealParameter"]]
    # A synthetic outcome of interest with a known box: the upper third of deal_price.
    price = x["patron__deal_price"]
    y = (price > price.quantile(2 / 3)).to_numpy()
    box = prim.Prim(x, y, peel_alpha=0.1).find_box()
    assert box.coverage > 0.5 and box.density > 0.9
    assert box.box_lims[-1]["patron__deal_price"].iloc[0] > price.min()  # restricted from below
    assert np.isfinite(out["cohesion_final"]).all()


def _has_weighted_choice(spec) -> bool:
    from sim.model.parameters import judgement_parameters

    return any(p.dist == "choice" and p.weights and len(set(p.weights)) > 1
               for p in judgement_parameters(spec).values())


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --------------------------------------------------------------------------------------------
# deterrence validate on experiment files


@pytest.mark.parametrize("path", shipped_experiments(), ids=lambda p: p.stem)
def test_validate_accepts_every_shipped_experiment(path, capsys):
    assert is_experiment(path)
    assert main(["validate", str(path)]) == 0
    assert f"{path}: ok (experiment {path.stem}:" in capsys.readouterr().out


def test_validate_experiment_by_name_and_scenarios_unchanged(capsys):
    assert is_experiment("futures") and not is_experiment("status_quo")
    assert main(["validate", "futures", "status_quo"]) == 0
    out = capsys.readouterr().out
    assert "futures: ok (experiment futures:" in out and "status_quo: ok (status_quo:" in out


def test_validate_bad_experiment(tmp_path, capsys):
    bad = tmp_path / "bad_experiment.yaml"
    bad.write_text("name: bad\ntitle: Bad\nscenarios: [status_quo, nope]\nreplications: 2\nseed: 1\n"
                   "design:\n  kind: grid\n  parameters:\n    patron.deal_pryce: {values: [1, 2]}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: scenarios[1]: no scenario named 'nope'" in err
    assert "unknown field 'scenarios'" not in err
    bad.write_text("name: bad\ntitle: Bad\nscenarios: [status_quo]\nreplications: 0\nseed: 1\n")
    assert main(["validate", str(bad)]) == 2
    assert f"{bad}:4: replications" in capsys.readouterr().err


@pytest.mark.slow
def test_the_mesa_and_ema_example_runs():
    """The "From Mesa and EMA Workbench" code of docs/tools.md (the README points there), as
    written (fewer EMA scenarios)."""
    pytest.importorskip("ema_workbench")
    text = (ROOT / "docs" / "tools.md").read_text()
    section = text[text.index("## From Mesa and EMA Workbench"):]
    start = section.index("```python\n") + len("```python\n")
    code = section[start:section.index("\n```", start)]
    assert "scenarios=100" in code
    code = code.replace("scenarios=100", "scenarios=4") + (
        "\nassert len(rows) == 4 and rows[0]['Step'] == 120 and 'cohesion' in rows[0]"
        "\nassert len(experiments) == 4 and len(outcomes['deals_final']) == 4\nprint('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr
