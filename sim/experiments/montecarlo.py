"""Monte Carlo replications of one scenario in this process, streamed to a result folder.

``deterrence run`` calls :func:`run_monte_carlo`. Each replication k uses the seed
``run_seed(root, k)`` (:mod:`sim.engines.runner`): parameters drawn from the priors, then chance within
the run. A run that raises is recorded with its seed and error and does not stop the others.
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from sim.calibration.posterior import provenance as posterior_provenance
from sim.engines.runner import RunFailure, RunResult, run_chunk, run_seed
from sim.experiments.results import StreamingParquet, runs_table, timeseries_table, write_manifest
from sim.model.outcomes import outcome_names
from sim.model.parameters import judgement_parameters
from sim.model.scenario import Scenario

CHUNK = 50
FAST_CHUNK = 1000  # the fast engine runs a chunk as one batch: larger chunks, fewer numpy calls per run


def run_monte_carlo(
    scenario: Scenario, out: Path, *, runs: int, seed: int, source: dict | None = None,
    progress: bool = True, chunk: int | None = None, engine: str = "mesa",
) -> dict:
    """Run ``runs`` replications; write runs.parquet, timeseries.parquet and manifest.json.

    Returns the manifest's counts. ``source`` describes the scenario file (path, sha256).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chunk = chunk or (CHUNK if engine == "mesa" else FAST_CHUNK)
    runs_file = StreamingParquet(out / "runs.parquet")
    series_file = StreamingParquet(out / "timeseries.parquet")
    pnames = list(judgement_parameters(scenario))
    failed = 0
    onames = outcome_names(scenario)
    try:
        with tqdm(total=runs, desc=scenario.name, unit="run", disable=not progress,
                  dynamic_ncols=True, smoothing=0.1) as bar:
            for first in range(0, runs, chunk):
                reps = list(range(first, min(first + chunk, runs)))
                seeds = [run_seed(seed, rep) for rep in reps]
                chunk_out = run_chunk(scenario, seeds, engine=engine)
                results = [r if isinstance(r, RunResult) else None for r in chunk_out]
                errors = [r.error if isinstance(r, RunFailure) else None for r in chunk_out]
                failed += sum(e is not None for e in errors)
                bar.update(len(reps))
                runs_file.write(runs_table(scenario.name, 0, reps, seeds, results, errors, pnames, onames))
                series_file.write(timeseries_table(scenario.name, 0, reps, results, scenario.start))
    except BaseException:
        runs_file.abort()
        series_file.abort()
        raise
    runs_file.close()
    series_file.close()
    counts = {"runs": runs, "succeeded": runs - failed, "failed": failed}
    write_manifest(out, {
        "command": "run",
        "scenario": {"name": scenario.name, "title": scenario.title, **(source or {}),
                     "resolved": scenario.model_dump(mode="json"), "prior_posterior": posterior_provenance(scenario)},
        "engine": engine,
        "seed_scheme": {"root_seed": seed, "run_seed": "SeedSequence(root, spawn_key=(0, replication)).generate_state(1, uint64)[0]",
                        "parameters": "default_rng([run_seed, 1]) for sections, default_rng([run_seed, 2, crc32(event id)]) per event",
                        "chance": "Mesa model rng = default_rng(run_seed)"},
        "counts": counts,
    }, ["runs.parquet", "timeseries.parquet"])
    return counts


