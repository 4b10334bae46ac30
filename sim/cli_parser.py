"""The arguments of the ``deterrence`` command: one subparser per command, each naming the
function of :mod:`sim.cli` that carries it out. Kept apart from the commands so that each is
read in one place."""

from __future__ import annotations

import argparse


def _whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``, the bad value in the message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_nonnegative_int = _whole_number(0)


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.95), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``deterrence`` command's arguments, each subcommand calling its function in :mod:`sim.cli`."""
    from sim import cli as C

    parser = argparse.ArgumentParser(
        prog="deterrence",
        description="Agent-based simulator of alliance deterrence: NATO allies, the US and Russia.",
    )
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"deterrence {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="Monte Carlo replications of one scenario",
                       description="Run N replications of a scenario (parameters drawn from its priors, "
                                   "then chance within each run) and write runs.parquet, "
                                   "timeseries.parquet and manifest.json to --out.")
    p.add_argument("scenario", help="a scenario file, or the name of a shipped scenario (see 'deterrence list')")
    p.add_argument("--runs", type=_positive_int, default=100, help="replications (default 100)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="root seed (default 0)")
    p.add_argument("--out", required=True, help="result folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true",
                   help="replace the results already in --out (whole, once the new ones are complete)")
    p.add_argument("--engine", choices=("fast", "mesa"), default="fast",
                   help="fast (vectorised, default) or mesa (the reference, agent by agent): the same runs "
                        "bit for bit")
    p.set_defaults(func=C.cmd_run)

    p = sub.add_parser("validate", help="check scenario and experiment files",
                       description="Check scenario and experiment files (an experiment with the "
                                   "scenarios it names); one message per problem; exit 2 if any is bad.")
    p.add_argument("files", nargs="+", help="scenario or experiment files, or shipped names")
    p.set_defaults(func=C.cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=C.cmd_schema)

    p = sub.add_parser("list", help="the shipped scenarios with their titles")
    p.set_defaults(func=C.cmd_list)

    p = sub.add_parser("replay", help="replay 2014-2025 and score it against NATO's published figures",
                       description="Run the replay scenario from 2014 conditions with only the known "
                                   "shocks (Crimea, the 2022 invasion) and compare, year by year, "
                                   "allies at 2% and the Europe+Canada share with NATO's figures.")
    p.add_argument("--runs", type=_positive_int, default=50, help="replications (default 50)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="root seed (default 0)")
    p.add_argument("--scenario", default="replay_2014", help="replay scenario (default replay_2014)")
    p.set_defaults(func=C.cmd_replay)

    p = sub.add_parser("validate-model", help="calibrate by ABC-SMC and score rolling-origin forecasts against baselines",
                       description="Fit the spending parameters on years up to each origin (2017, 2019, 2021, "
                                   "2023) and on 2014-2025, forecast each ally's share 1 and 2 years ahead, "
                                   "score against persistence and a linear trend (MAE, CRPS, coverage), and "
                                   "write a report with the posteriors (needs the 'calibrate' extra).")
    p.add_argument("--out", default="validation", help="output folder (default ./validation)")
    p.add_argument("--quick", action="store_true", help="small fits and fewer runs: a few minutes, for CI")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="root seed (default 0)")
    p.set_defaults(func=C.cmd_validate_model)

    # ---- sweep and summarize
    p = sub.add_parser("sweep", help="run an experiment file: many runs, in parallel, resumable",
                       description="Run every run of an experiment (scenarios x design points x replications), "
                                   "streamed to --out in Parquet shards, then consolidated into runs.parquet, "
                                   "timeseries.parquet, design.parquet and manifest.json. Results are identical "
                                   "whatever the workers, chunk size or executor. See docs/outputs.md.")
    p.add_argument("experiment", help="an experiment file, or the name of one in experiments/")
    p.add_argument("--out", help="result folder (new or empty; or the folder of a sweep to --resume)")
    p.add_argument("--workers", type=_positive_int, help="parallel workers (default: every core)")
    p.add_argument("--replications", type=_positive_int,
                   help="replications per cell, instead of the file's (for a quick look)")
    p.add_argument("--resume", action="store_true", help="complete an interrupted sweep in --out")
    p.add_argument("--chunk", type=_positive_int,
                   help="runs per task (default: 100 with the Mesa engine, 1000 with others; less for small sweeps)")
    p.add_argument("--executor", choices=["serial", "process", "dask"],
                   help="serial (in this process), process (default with several workers) or dask")
    p.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786); with --executor dask")
    p.add_argument("--engine", choices=("fast", "mesa"),
                   help="fast (vectorised, default) or mesa (the reference): the same runs bit for bit")
    p.add_argument("--dry-run", action="store_true",
                   help="check the experiment and print the plan, with its disk and memory; run nothing")
    p.add_argument("--force", action="store_true",
                   help="replace the results already in --out (whole, once the new sweep is complete)")
    p.add_argument("--yes", action="store_true",
                   help="run even when the estimate says the machine's memory or disk cannot hold the sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=C.cmd_sweep)

    p = sub.add_parser("summarize", help="statistics of a finished sweep, as CSV and Parquet",
                       description="Means with confidence intervals, quantiles, probabilities with Wilson "
                                   "intervals, paired differences and Sobol indices of a sweep's outcomes, "
                                   "written to DIR/summary/.")
    p.add_argument("folder", help="the --out folder of a finished sweep")
    p.add_argument("--level", type=_level, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--bootstrap", type=_nonnegative_int, default=999,
                   help="bootstrap resamples for Sobol intervals (default 999; 0: none)")
    p.add_argument("--outcomes", help="comma-separated outcomes (default: every outcome kept)")
    p.set_defaults(func=C.cmd_summarize)

    p = sub.add_parser("discover", help="scenario discovery: which parameters produce an outcome (PRIM, CART)",
                       description="Scenario discovery on a result folder: the runs where --where holds are "
                                   "described by boxes over the parameters that vary across runs, with PRIM "
                                   "(peeling trajectory, coverage, density, quasi-p values; needs the 'ema' "
                                   "extra) or CART (a classification tree). Writes tables, figures and "
                                   "manifest.json to --out (default DIR/discover/).")
    p.add_argument("folder", help="a result folder with runs.parquet (e.g. a sweep with design: lhs)")
    p.add_argument("--where", required=True,
                   help='the case of interest: outcome comparisons with and/or and parentheses, '
                        'e.g. "deals_final >= 8" or "deterrence_failure == 1 or probes > 20"')
    p.add_argument("--method", choices=("prim", "cart"), default="prim", help="prim (default) or cart")
    p.add_argument("--out", help="output folder (default DIR/discover/); new, empty or an earlier discover's")
    p.add_argument("--scenario", help="the scenario to analyse, when the folder holds several")
    p.add_argument("--boxes", type=_positive_int, default=1, help="prim: boxes to find, one after another (default 1)")
    p.add_argument("--density", type=_level, default=0.8,
                   help="prim: the chosen box is the one of highest coverage with at least this density (default 0.8)")
    p.add_argument("--depth", type=_positive_int, default=3, help="cart: depth of the tree (default 3)")
    p.set_defaults(func=C.cmd_discover)

    p = sub.add_parser("attribute", help="what drives each future's difference from the status quo (paired switch-off)",
                       description="Each future's ingredients (troop moves, the basing deal, the guarantee policy, "
                                   "the European programme, trade coercion, exit, threat shocks, its own priors) "
                                   "switched off one at a time, rerun with the same seeds on the fast engine: each "
                                   "ingredient's effect with its 95%% interval and the 5-95%% spread across runs, "
                                   "the total and the interaction. Writes attribution.md/.csv/.parquet, a figure "
                                   "and manifest.json to --out.")
    p.add_argument("futures", nargs="*", default=["troops_to_poland", "further_withdrawals", "europe_accelerates",
                                                  "unconditional_poland"],
                   help="scenarios to attribute (names or files; default: the brief's futures and unconditional_poland)")
    p.add_argument("--reference", default="status_quo", help="the scenario differences are taken from (default status_quo)")
    p.add_argument("--replications", type=_whole_number(2), default=2000, help="paired runs per scenario (default 2000)")
    p.add_argument("--seed", type=_nonnegative_int, default=20260512, help="root seed (default: futures.yaml's, 20260512)")
    p.add_argument("--outcomes", help="comma-separated outcomes (default: the futures' headline outcomes)")
    p.add_argument("--out", required=True, help="output folder: new, empty, or an earlier attribute's (replaced whole)")
    p.set_defaults(func=C.cmd_attribute)

    # ---- report and compare
    p = sub.add_parser("report", help="figures, tables and an HTML page of a result folder",
                       description="Write DIR/report/: fan charts, forest plots of outcomes and paired "
                                   "differences, heatmaps of two-parameter sweeps, Sobol indices, a tile map of "
                                   "the allies, tables in CSV, Markdown and LaTeX, and index.html. The same "
                                   "results give byte-identical files.")
    p.add_argument("folder", help="a result folder from 'deterrence run' or 'deterrence sweep'")
    p.add_argument("--odds", help="CSV of market prices for signposts (columns signpost, price, source, date)")
    p.add_argument("--workers", type=_positive_int,
                   help="processes drawing the figures (default: every core, at most 4); same files whatever the number")
    p.add_argument("--format", choices=["png", "svg"], default="png",
                   help="figures shown on the page: png (default) or svg (also written; PNG and PDF always are)")
    p.set_defaults(func=C.cmd_report)

    p = sub.add_parser("compare", help="one report comparing several result folders",
                       description="The report of 'deterrence report' for several result folders side by side.")
    p.add_argument("folders", nargs="+", help="result folders from 'deterrence run' or 'deterrence sweep'")
    p.add_argument("--out", required=True, help="folder for the report")
    p.add_argument("--odds", help="CSV of market prices for signposts (columns signpost, price, source, date)")
    p.add_argument("--workers", type=_positive_int,
                   help="processes drawing the figures (default: every core, at most 4); same files whatever the number")
    p.add_argument("--format", choices=["png", "svg"], default="png",
                   help="figures shown on the page: png (default) or svg (also written; PNG and PDF always are)")
    p.set_defaults(func=C.cmd_compare)

    p = sub.add_parser("verify", help="check a result folder against its manifest and the runs' invariants",
                       description="Check every file of result folders against the sha256 and sizes in their "
                                   "manifests (and summary/, report/, discover/ inside them), and the runs' "
                                   "invariants that can be read from runs.parquet and timeseries.parquet. "
                                   "Exit 2 if anything does not match.")
    p.add_argument("folders", nargs="+", help="result folders")
    p.set_defaults(func=C.cmd_verify)

    # ---- story and explore
    p = sub.add_parser("story", help="one run told month by month, with each ally's path",
                       description="Run one run again on the Mesa engine and print its dated log: events "
                                   "(withdrawals, relocations, guarantees, deals...), the patron's policy, troops "
                                   "moving, deals asked for, granted, refused and ended, strategy changes, Russia's "
                                   "probes and incursions with their answers, signposts as they are reached; then "
                                   "its outcomes. From a result folder (--run N) the outcomes are checked against "
                                   "the recorded row (exit 1 if they differ).")
    p.add_argument("target", help="a scenario (file or shipped name) with --seed, or a result folder with --run")
    p.add_argument("--seed", type=_nonnegative_int, help="the run's seed (the 'seed' column of runs.parquet)")
    p.add_argument("--run", type=_nonnegative_int, help="a row of the folder's runs.parquet, counting from 0")
    p.add_argument("--out", help="also draw each ally's monthly path to this file (.png, .svg or .pdf)")
    p.add_argument("--topics", help="only these kinds of line, comma-separated: "
                                    "event, policy, troops, deal, strategy, move, signpost")
    p.set_defaults(func=C.cmd_story)

    p = sub.add_parser("explore", help="an interactive page to watch the model run (Mesa SolaraViz)",
                       description="Start a local web page (Mesa's SolaraViz, served offline) to run the model "
                                   "month by month: a scenario picker, sliders for the main levers, play, step "
                                   "and reset, the allies as a tile map, the main series, the event log and the "
                                   "outcomes. Needs the 'explore' extra: pip install -e '.[explore]'.")
    p.add_argument("scenario", nargs="?", default="troops_to_poland",
                   help="the scenario shown first (default troops_to_poland)")
    p.add_argument("--port", type=_whole_number(1), default=8765, help="port on 127.0.0.1 (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=C.cmd_explore)

    # ---- bench (sim.engines.bench)
    p = sub.add_parser("bench", help="runs per second and peak memory of the Mesa and fast engines",
                       description="Both engines on the scenarios of experiments/futures.yaml, with 1 and 2 "
                                   "worker processes, side by side: runs per second, peak resident memory, and "
                                   "the ratio. --million measures a one-million-run sweep (fast engine, "
                                   "outcomes only); --futures times futures.yaml end to end: 'sweep', "
                                   "'summarize' and 'report', each as a user runs it.")
    p.add_argument("--mesa-runs", type=_positive_int, default=8, help="Mesa runs per scenario (default 8)")
    p.add_argument("--fast-runs", type=_positive_int, default=2000, help="fast runs per scenario (default 2000)")
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    p.add_argument("--repeat", type=_positive_int, default=2,
                   help="interleaved measurements of each; the best is shown (default 2)")
    p.add_argument("--million", action="store_true", help="instead: a one-million-run sweep's peak memory")
    p.add_argument("--futures", action="store_true", help="instead: futures.yaml end to end, sweep + summarize + report (2 workers)")
    p.set_defaults(func=C.cmd_bench)
    return parser
