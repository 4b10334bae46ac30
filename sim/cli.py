"""The ``deterrence`` command (also ``python -m sim``).

Exit codes: 0 success; 2 bad input (a scenario or experiment file, an argument, an output
folder), with one message per problem and never a traceback; 1 an unexpected failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

from sim.cli_parser import build_parser

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A problem with what the user gave, reported as a message and exit code 2."""




def _read(load, name: str):
    """A scenario or experiment given by name or path; a path the system cannot read is bad input."""
    from sim.experiments.outputs import os_problem

    try:
        return load(name)
    except OSError as err:
        raise BadInput(f"{name[:200]}: cannot be read: {os_problem(err)[:300]}") from None


def _folder(folder: str | Path) -> Path:
    """A folder given as an argument: there, or a clear error (a name too long is not a traceback)."""
    from sim.experiments.outputs import os_problem

    folder = Path(folder)
    try:
        os.stat(folder)
    except (FileNotFoundError, NotADirectoryError):
        raise BadInput(f"{folder}: no such folder") from None
    except OSError as err:
        raise BadInput(f"{folder}: {os_problem(err)}") from None
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a folder")
    return folder


def _not_in_use(folder: str | Path) -> Path:
    from sim.experiments.outputs import in_use

    folder = _folder(folder)
    holder = in_use(folder)
    if holder:
        raise BadInput(f"{folder} is being written by another sweep or command ({holder}); wait for it to finish")
    return folder


def _source(folder: str | Path, command: str, names: list[str] | None = None) -> Path:
    """A result folder a command reads: there, not being written, its files as its manifest says."""
    from sim.experiments.verify import require_intact

    folder = _not_in_use(folder)
    require_intact(folder, names, f"'deterrence {command}'")
    if command in ("report", "compare") and (folder / "summary" / "manifest.json").is_file():
        require_intact(folder / "summary", None, f"'deterrence {command}'")  # Sobol indices, differences
    _warn_versions(folder)
    return folder


def _warn_versions(folder: Path) -> None:
    """Warn (stderr) when the installed deterrence or packages differ from those that made the
    results: the numbers may not be reproducible with this installation (constraints.txt pins CI's)."""
    from sim.experiments.results import provenance

    try:
        made = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return
    now = provenance()
    differ = [f"deterrence {made.get('deterrence')} (now {now['deterrence']})"] if made.get("deterrence") not in (
        None, now["deterrence"]) else []
    for name, was in (made.get("packages") or {}).items():
        if was is not None and now["packages"].get(name) not in (None, was):
            differ.append(f"{name} {was} (now {now['packages'][name]})")
    if differ:
        print(f"warning: {folder} was made with " + ", ".join(differ) + "; rerunning it here may not give the "
              "same numbers (pip install -c constraints.txt gives the tested versions)", file=sys.stderr)


# ---- commands ---------------------------------------------------------------------------------


def cmd_run(args) -> int:
    import pyarrow.parquet as pq

    from sim.experiments.montecarlo import run_monte_carlo
    from sim.experiments.outputs import FolderLock, claim, staged
    from sim.experiments.summary import format_summary, summary_rows
    from sim.model.loading import find_scenario, load_scenario, scenario_hash

    scenario = _read(load_scenario, args.scenario)
    path = find_scenario(args.scenario)
    out = Path(args.out)
    claim(out, "run", force=args.force)
    out.mkdir(parents=True, exist_ok=True)
    # Written beside the folder, then put in its place whole: a killed or failed run leaves the
    # folder as it was.
    with FolderLock(out), staged(out) as tmp:
        counts = run_monte_carlo(
            scenario, tmp, runs=args.runs, seed=args.seed, progress=not args.quiet,
            source={"file": str(path), "sha256": scenario_hash(path)}, engine=args.engine,
        )
    table = pq.read_table(out / "runs.parquet")
    cols = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names
            if name not in ("scenario", "status", "error")}
    print(format_summary(f"{scenario.name} ({scenario.title})", counts["succeeded"], counts["failed"],
                         summary_rows(cols)))
    print(f"\nwrote {out}/runs.parquet, timeseries.parquet, manifest.json")
    return 0


def cmd_validate(args) -> int:
    from sim.experiments.experiment import is_experiment, load_experiment
    from sim.model.loading import ScenarioError, load_scenario

    bad = 0
    for name in args.files:
        try:
            if is_experiment(name):
                exp = load_experiment(name)
                message = (f"experiment {exp.spec.name}: {exp.spec.title}; "
                           f"scenarios: {', '.join(exp.names)}")
            else:
                scenario = load_scenario(name)
                message = f"{scenario.name}: {scenario.title}"
        except ScenarioError as err:  # ExperimentError too
            bad += 1
            for problem in err.problems:
                print(problem, file=sys.stderr)
        except OSError as err:  # a name too long for a path, say
            from sim.experiments.outputs import os_problem

            bad += 1
            print(f"{name[:200]}: cannot be read: {os_problem(err)[:300]}", file=sys.stderr)
        else:
            print(f"{name}: ok ({message})")
    return EXIT_BAD_INPUT if bad else 0


def cmd_schema(args) -> int:
    from sim.model.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "deterrence scenario"
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.out:
        from sim.experiments.outputs import os_problem

        try:
            Path(args.out).write_text(text)
        except OSError as err:
            raise BadInput(f"--out {args.out}: {os_problem(err)}") from None
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args) -> int:
    from sim.model.loading import ScenarioError, load_scenario, shipped_scenarios

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
    from sim.analysis.replay import replay

    print(replay(runs=args.runs, seed=args.seed, scenario=args.scenario).table())
    return 0


def cmd_validate_model(args) -> int:
    from sim.experiments.outputs import claim

    out = Path(args.out)
    claim(out, "validate-model", same=("validate-model",), force=None)  # in use, unwritable, files not its own
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise BadInput("the calibration needs pyabc: pip install -e '.[calibrate]'") from None
    from sim.analysis.validation import Settings, write_report

    settings = Settings.quick(args.seed) if args.quick else Settings.full(args.seed)
    result = write_report(out, settings, progress=lambda m: print(m, flush=True))
    print(f"model CRPS below persistence's in {result['beats_persistence']} of {result['cases']} cases, "
          f"below the trend's in {result['beats_trend']}; its 90% ranges cover {result['coverage_90']:.0%}")
    dressed = result["models"]["model + own errors"]
    print(f"dressed with its own past errors: {dressed['beats_persistence']} and {dressed['beats_trend']} of "
          f"{dressed['cases']}; its 90% ranges cover {dressed['coverage_90']:.0%}")
    print(f"wrote {out / 'validation.md'} ({result['seconds']:.0f} s)")
    return 0


# ---- sweep and summarize (experiment files; sim.experiments.sweep, sim.analysis.statistics) -----------------------


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1




def cmd_sweep(args) -> int:
    from sim.experiments.experiment import describe, load_experiment
    from sim.experiments.sweep import SweepError, TaskFailed, default_engine, run_sweep

    exp = _read(load_experiment, args.experiment)
    if args.replications:
        exp = exp.with_replications(args.replications)
    if args.scheduler and args.executor not in (None, "dask"):
        raise BadInput("--scheduler goes with --executor dask")
    executor = args.executor or ("dask" if args.scheduler else None)
    if executor == "serial" and args.workers not in (None, 1):
        raise BadInput("--executor serial runs in this process: drop --workers, or use --executor process")
    cores = _usable_cores()
    if args.workers and args.workers > cores and executor != "dask":
        # more local processes than cores only add memory and switching (a Dask scheduler's cores
        # are elsewhere, so its --workers is not capped)
        print(f"warning: --workers {args.workers} is more than the {cores} core(s) this process may use; "
              f"using {cores}", file=sys.stderr)
        args.workers = cores
    workers = args.workers or (1 if executor == "serial" else cores)
    from sim.experiments.estimates import estimate, too_much
    from sim.experiments.outputs import claim

    engine = args.engine or default_engine()
    out = Path(args.out) if args.out else None
    est = estimate(exp, engine=engine, workers=workers, chunk=args.chunk)
    if args.dry_run:
        print(describe(exp, est.design_points))
        print(f"  engine {engine}; {est.tasks:,} task(s) of up to {est.chunk:,} runs")
        print("\n".join(est.lines()))
        problems = too_much(est, out)
        if problems:
            print("  this machine cannot hold it: " + "; ".join(problems) + " (a sweep would stop here; --yes runs it)")
        return 0
    if not out:
        raise BadInput("--out DIR is required (the result folder)")
    # A resumed sweep writes only its own files: a file of the user's beside them is no reason to
    # refuse it (--force, which replaces the folder whole, is refused instead)
    there = claim(out, "sweep", force=args.force, same=("sweep",), allow_unfinished=True,
                  keeps_foreign=args.resume and not args.force)
    on_disk = _bytes_under(out) if there.kind in ("results", "unfinished") and not args.force else 0
    if not args.quiet:
        print("\n".join(est.lines()), file=sys.stderr)
    problems = too_much(est, out, on_disk)
    if problems and not args.yes:
        raise BadInput("this machine cannot hold the sweep: " + "; ".join(problems)
                       + ". Use fewer --replications or another --out, or add --yes to run it anyway")
    resume_hint = f"deterrence sweep {args.experiment} --out {args.out} --resume" + (" --force" if args.force else "")
    try:
        result = run_sweep(exp, out, workers=workers, executor=executor, scheduler=args.scheduler,
                           chunk=args.chunk, engine=args.engine, resume=args.resume, progress=not args.quiet,
                           log=lambda message: print(message, file=sys.stderr),
                           replace=args.force and there.kind in ("results", "unfinished"))
    except SweepError as err:
        raise BadInput(str(err)) from None
    except TaskFailed as err:
        from sim.experiments.outputs import os_problem

        cause = err.__cause__
        what = f"stopped: {os_problem(cause)}" if isinstance(cause, OSError) and cause.errno else str(err)
        print(f"deterrence sweep: {what}\nthe finished tasks are kept; complete the sweep with: {resume_hint}",
              file=sys.stderr)
        return 1
    except OSError as err:  # the disk filled, or the folder went away, in this process
        from sim.experiments.outputs import os_problem

        print(f"deterrence sweep: stopped: {os_problem(err)}\nthe finished tasks are kept; once that is "
              f"fixed, complete the sweep with: {resume_hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted; the finished tasks are kept; complete the sweep with: {resume_hint}", file=sys.stderr)
        return 130
    rate = f", {result['runs_per_second']:.1f} runs/s" if result["runs_per_second"] else ""
    print(f"{exp.spec.name}: {result['runs']:,} runs, {result['failed']:,} failed; this call ran {result['ran']:,} "
          f"in {result['seconds']:.1f} s{rate} ({result['engine']} engine, {result['executor']}, "
          f"{result['workers']} worker(s))")
    print(f"wrote {out}/runs.parquet, timeseries.parquet, design.parquet, manifest.json; "
          f"next: deterrence summarize {out}")
    return 0


def _bytes_under(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def cmd_summarize(args) -> int:
    from sim.analysis.statistics import SummaryError, format_summary, summarize, write_summary
    from sim.experiments.outputs import FolderLock, claim, staged

    folder = _not_in_use(args.folder)
    if (folder / "manifest.json").is_file():
        _source(folder, "summarize")
    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else None
    out = folder / "summary"
    claim(out, "summarize", same=("summarize",), force=None, flag=None)
    with FolderLock(folder):  # no sweep --resume, report or other summary meanwhile
        try:
            tables = summarize(folder, level=args.level, resamples=args.bootstrap, outcomes=outcomes)
        except SummaryError as err:
            raise BadInput(str(err)) from None
        with staged(out) as tmp:
            write_summary(folder, tables, level=args.level, resamples=args.bootstrap, out=tmp)
    print(format_summary(folder, tables, args.level))
    print(f"\nwrote {out}/: " + ", ".join(f"{name}.csv, {name}.parquet" for name in tables) + ", manifest.json")
    return 0


def cmd_discover(args) -> int:
    from sim.analysis.discovery import DiscoveryError, discover
    from sim.analysis.where import WhereError
    from sim.experiments.outputs import FolderLock, claim

    options = {"boxes": args.boxes, "min_density": args.density} if args.method == "prim" else {"depth": args.depth}
    if (_folder(args.folder) / "manifest.json").is_file():
        _source(args.folder, "discover", ["runs.parquet"])
    claim(Path(args.out) if args.out else Path(args.folder) / "discover", "discover", same=("discover",), force=None,
          flag="--out" if args.out else None)
    try:
        folder = Path(args.folder)
        with FolderLock(folder) if folder.is_dir() else contextlib.nullcontext():  # no sweep --resume meanwhile
            out, cases, found = discover(Path(args.folder), args.where, method=args.method,
                                         out=Path(args.out) if args.out else None, scenario=args.scenario,
                                         **options)
    except WhereError as err:
        raise BadInput(f"--where: {err}") from None
    except DiscoveryError as err:
        raise BadInput(str(err)) from None
    print(f"{cases.scenario}: {cases.cases:,} of {len(cases.y):,} runs satisfy '{cases.where}'; "
          f"{cases.x.shape[1]} varying parameter(s); {found.method}: {len(found.boxes)} box(es)")
    for box in found.boxes.itertuples(index=False):
        print(f"  box {box.box}: coverage {box.coverage:.2f}, density {box.density:.2f}, mass {box.mass:.2f}")
        for lim in found.limits[found.limits["box"] == box.box].itertuples(index=False):
            print(f"    {lim.parameter}: {lim.low:.4g} to {lim.high:.4g} (runs span {lim.data_low:.4g} to {lim.data_high:.4g})")
    print(f"wrote {out}/: discover.md, boxes.csv, limits.csv, "
          + ("peeling.csv, peeling.png/.pdf" if found.method == "prim" else "tree.txt, tree.png/.pdf")
          + ", manifest.json")
    return 0


def cmd_attribute(args) -> int:
    import time

    from sim.analysis.attribution import (
        OUTCOMES,
        AttributionError,
        check_out,
        run_attribution,
        write_attribution,
    )
    from sim.model.loading import load_scenario
    from sim.model.outcomes import OUTCOMES as DEFINED

    outcomes = args.outcomes.split(",") if args.outcomes else list(OUTCOMES)
    unknown = [o for o in outcomes if o not in DEFINED]
    if unknown:
        raise BadInput(f"--outcomes: unknown outcome(s) {', '.join(unknown)}; allowed: {', '.join(DEFINED)}")
    from sim.experiments.outputs import claim

    claim(Path(args.out), "attribute", same=("attribute",), force=None)  # in use, unwritable, files not its own
    try:
        out = check_out(Path(args.out))
    except AttributionError as err:
        raise BadInput(str(err)) from None
    reference = load_scenario(args.reference)
    futures = [load_scenario(name) for name in args.futures]
    started = time.monotonic()
    try:
        rows = run_attribution(futures, reference, args.replications, args.seed, outcomes)
        write_attribution(out, rows, {
            "reference": reference.name, "futures": [f.name for f in futures], "replications": args.replications,
            "root_seed": args.seed, "outcomes": outcomes, "engine": "fast",
            "argv": ["deterrence", *sys.argv[1:]] if sys.argv[0].endswith(("deterrence", "__main__.py")) else None})
    except (AttributionError, ValueError) as err:
        raise BadInput(str(err)) from None
    print(f"attributed {len(futures)} future(s) against {reference.name}, {args.replications:,} paired runs each, "
          f"in {time.monotonic() - started:.0f} s")
    print(f"wrote {out}/: attribution.md, attribution.csv, attribution.parquet, attribution.png/.pdf, manifest.json")
    return 0


# ---- report and compare (sim.report) ---------------------------------------------------------


def _report_errors(fn):
    """Run a report command; a result folder or odds file it cannot use is bad input (exit 2)."""
    from sim.report import ReportInputError

    try:
        return fn()
    except ReportInputError as err:
        raise BadInput(str(err)) from None


def _command_line(args) -> str:
    """The command as it was run, for the report's reproducibility block."""
    import shlex

    return "deterrence " + shlex.join(args.argv)


def cmd_report(args) -> int:
    from sim.report import build_report

    if (_folder(args.folder) / "runs.parquet").is_file():
        _source(args.folder, "report")
    out = _report_errors(lambda: build_report(Path(args.folder), odds=args.odds, workers=args.workers,
                                              command=_command_line(args), fmt=args.format))
    print(f"wrote {out}/index.html (open it in a browser), figures/ ({'SVG, ' if args.format == 'svg' else ''}PNG, PDF), "
          "tables/ (CSV, Markdown, LaTeX)")
    return 0


def cmd_compare(args) -> int:
    from sim.report import compare

    for folder in args.folders:
        if (_folder(folder) / "runs.parquet").is_file():
            _source(folder, "compare")
    out = _report_errors(lambda: compare([Path(f) for f in args.folders], Path(args.out), odds=args.odds,
                                         workers=args.workers, command=_command_line(args), fmt=args.format))
    print(f"wrote {out}/index.html (open it in a browser), figures/ ({'SVG, ' if args.format == 'svg' else ''}PNG, PDF), "
          "tables/ (CSV, Markdown, LaTeX)")
    return 0


def cmd_verify(args) -> int:
    from sim.experiments.verify import verify

    bad = 0
    for name in args.folders:
        folder = _folder(name)
        checked, problems = verify(folder)
        for line in checked:
            print(f"checked {line}")
        for problem in problems:
            print(f"MISMATCH {problem}", file=sys.stderr)
        print(f"{folder}: " + (f"{len(problems)} problem(s)" if problems else "ok, every file matches its manifest"))
        bad += bool(problems)
    return EXIT_BAD_INPUT if bad else 0


# ---- story and explore (sim.analysis.story, sim.explorer) -------------------------------------


def cmd_story(args) -> int:
    from sim.analysis.story import TOPICS, StoryInputError, tell, tell_recorded
    from sim.analysis.story_figure import FORMATS
    from sim.model.loading import load_scenario

    topics = None
    if args.topics:
        topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
        unknown = [t for t in topics if t not in TOPICS]
        if unknown:
            raise BadInput(f"--topics: unknown {', '.join(unknown)}; allowed: {', '.join(TOPICS)}")
    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        raise BadInput(f"--out {args.out}: the figure is written as {', '.join(FORMATS)}")
    target = Path(args.target)
    if target.is_dir():
        if args.run is None:
            raise BadInput(f"{target} is a result folder: say which run with --run N (a row of runs.parquet, from 0)")
        if args.seed is not None:
            raise BadInput("--seed goes with a scenario; a result folder's run has its own seed (use --run N)")
        try:
            story = tell_recorded(target, args.run)
        except StoryInputError as err:
            raise BadInput(str(err)) from None
    else:
        if args.seed is None:
            raise BadInput("give the run's seed with --seed S (the 'seed' column of runs.parquet), "
                           "or a result folder with --run N")
        if args.run is not None:
            raise BadInput(f"--run goes with a result folder; {args.target} is not a folder")
        story = tell(load_scenario(args.target), args.seed)
    print(story.text(topics))
    if args.out:
        print(f"\nwrote {story.save_figure(Path(args.out))}")
    if story.recorded:
        differ = story.differences()
        if differ:
            print(f"\nthis run differs from the recorded row in {len(differ)} of {len(story.recorded)} outcomes "
                  f"(the code or data changed since the folder was written?):", file=sys.stderr)
            for name, (told, recorded) in list(differ.items())[:10]:
                print(f"  {name}: now {told!r}, recorded {recorded!r}", file=sys.stderr)
            return 1
        print(f"\nthe same outcomes as recorded in runs.parquet ({len(story.recorded)} compared, all equal)")
    return 0


def cmd_explore(args) -> int:
    from sim.explorer.launch import ExplorerUnavailable, serve

    try:
        return serve(args.scenario, host=args.host, port=args.port, open_browser=not args.no_browser)
    except ExplorerUnavailable as err:
        raise BadInput(str(err)) from None


# ---- bench (sim.engines.bench) --------------------------------------------------------------------------


def cmd_bench(args) -> int:
    from sim.engines import bench

    try:
        workers = [int(w) for w in args.workers.split(",")]
    except ValueError:
        raise BadInput(f"--workers: expected comma-separated whole numbers, got {args.workers!r}") from None
    if not workers or min(workers) < 1:
        raise BadInput(f"--workers: each must be at least 1, got {args.workers!r}")
    if args.million:
        bench.million(workers=max(workers))
    elif args.futures:
        bench.futures(workers=max(workers))
    else:
        bench.bench(workers=workers, mesa_runs=args.mesa_runs, fast_runs=args.fast_runs, repeat=args.repeat)
    return 0


# ---- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as run: the report records it
    from sim.experiments.outputs import OutputError
    from sim.experiments.verify import VerifyError
    from sim.model.loading import ScenarioError

    try:
        return args.func(args)
    except ScenarioError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as err:
        print(f"deterrence {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OutputError, VerifyError) as err:
        print(f"deterrence {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # the disk, not the input: what happened, in the user's words, and no traceback
        from sim.experiments.outputs import os_problem

        print(f"deterrence {args.command}: stopped: {os_problem(err)}; nothing was left half-written",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
