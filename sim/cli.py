"""The ``deterrence`` command (also ``python -m sim``).

Exit codes: 0 success; 2 bad input (a scenario or experiment file, an argument, an output
folder), with one message per problem and never a traceback; 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A problem with what the user gave, reported as a message and exit code 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise BadInput(f"--out {path}: exists and is not a folder")
    return path


# ---- commands ---------------------------------------------------------------------------------


def cmd_run(args) -> int:
    import pyarrow.parquet as pq

    from sim.loading import find_scenario, load_scenario, scenario_hash
    from sim.montecarlo import run_monte_carlo
    from sim.summary import format_summary, summary_rows

    scenario = load_scenario(args.scenario)
    path = find_scenario(args.scenario)
    out = _out_dir(Path(args.out))
    counts = run_monte_carlo(
        scenario, out, runs=args.runs, seed=args.seed, progress=not args.quiet,
        source={"file": str(path), "sha256": scenario_hash(path)},
    )
    table = pq.read_table(out / "runs.parquet")
    cols = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names
            if name not in ("scenario", "status", "error")}
    print(format_summary(f"{scenario.name} ({scenario.title})", counts["succeeded"], counts["failed"],
                         summary_rows(cols)))
    print(f"\nwrote {out}/runs.parquet, timeseries.parquet, manifest.json")
    return 0


def cmd_validate(args) -> int:
    from sim.loading import ScenarioError, load_scenario

    bad = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as err:
            bad += 1
            for problem in err.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{name}: ok ({scenario.name}: {scenario.title})")
    return EXIT_BAD_INPUT if bad else 0


def cmd_schema(args) -> int:
    from sim.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "deterrence scenario"
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args) -> int:
    from sim.loading import ScenarioError, load_scenario, shipped_scenarios

    paths = shipped_scenarios()
    width = max((len(p.stem) for p in paths), default=10)
    for path in paths:
        try:
            title = load_scenario(path).title
        except ScenarioError:
            title = "(invalid: run 'deterrence validate' on it)"
        print(f"{path.stem:<{width}}  {title}")
    return 0


def cmd_replay(args) -> int:
    from sim.replay import replay

    print(replay(runs=args.runs, seed=args.seed, scenario=args.scenario).table())
    return 0


# ---- entry point ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--out", required=True, help="result folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files; one message per problem; exit 2 if any is bad.")
    p.add_argument("files", nargs="+", help="scenario files or shipped names")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("list", help="the shipped scenarios with their titles")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("replay", help="replay 2014-2025 and score it against NATO's published figures",
                       description="Run the replay scenario from 2014 conditions with only the known "
                                   "shocks (Crimea, the 2022 invasion) and compare, year by year, "
                                   "allies at 2%% and the Europe+Canada share with NATO's figures.")
    p.add_argument("--runs", type=_positive_int, default=50, help="replications (default 50)")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--scenario", default="replay_2014", help="replay scenario (default replay_2014)")
    p.set_defaults(func=cmd_replay)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.loading import ScenarioError

    try:
        return args.func(args)
    except ScenarioError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as err:
        print(f"deterrence {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
