"""A fuzzer of the scenario and experiment loaders, for runs longer than the test suite's.

    python -m tests.fuzz_loader --minutes 10 [--seed 1] [--run] [--timeout 10]

Each input is a shipped scenario or experiment file mutated (a value replaced by another of any
type, NaN, infinity, a huge or negative number, a string, a list, a deep nesting; a line
dropped, duplicated or cut; bytes flipped; an alias; a tab) and loaded as a user's file. Every
outcome is counted: accepted, rejected cleanly (``ScenarioError``: a message naming the file),
a traceback (any other exception: a bug), a hang (no answer within ``--timeout`` seconds). With
``--run``, every accepted scenario is also run (two runs, 24 months, fast engine) and a run that
fails is counted with its message: an accepted input must give a finite result or a named
invariant. The peak memory of the process after the worst input is reported.

Inputs are reproducible from ``--seed``; each traceback, hang and failed run is written to
``--keep`` (default ``fuzz-findings/``) to be replayed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ODD_VALUES = [float("nan"), float("inf"), -float("inf"), 0, -1, 1e308, -1e308, 10**30, True, False, None, "",
              "x" * 300, "2026-13", "1e3", [], {}, [1, 2], {"dist": "normal"}, {"dist": "uniform", "low": 1, "high": 0},
              {"dist": "beta", "a": 0, "b": -1}, {"dist": "choice", "values": []}, 0.5, 2.0, 7, -0.0, 1e-300]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def _paths(tree, prefix=()):
    """Every path (tuple of keys and indices) into a parsed YAML tree, down to 30 levels (a
    nesting the mutations made is not descended into further)."""
    yield prefix
    if len(prefix) >= 30:
        return
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, (*prefix, i))


def _set(tree, path, value):
    if not path:
        return value
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


def _nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def mutate(text: str, rng: random.Random) -> str:
    """One mutated file from ``text`` (see the module docstring)."""
    how = rng.randrange(8)
    if how <= 3:  # a value replaced
        tree = yaml.safe_load(text)
        paths = list(_paths(tree))[1:]
        for _ in range(1 + rng.randrange(3)):
            path = rng.choice(paths)
            choice = rng.randrange(4)
            value = (rng.choice(ODD_VALUES) if choice < 2 else rng.uniform(-1e6, 1e6) if choice == 2
                     else _nested(rng.randrange(1, 60)))
            with contextlib.suppress(KeyError, IndexError, TypeError):
                tree = _set(tree, path, value)
            paths = list(_paths(tree))[1:] or paths
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    lines = text.splitlines()
    if how == 4 and lines:  # a line dropped or duplicated
        i = rng.randrange(len(lines))
        lines[i:i + 1] = [] if rng.random() < 0.5 else [lines[i], lines[i]]
        return "\n".join(lines)
    if how == 5:  # cut short
        return text[:rng.randrange(len(text) + 1)]
    if how == 6:  # bytes flipped
        data = bytearray(text.encode())
        for _ in range(1 + rng.randrange(4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return data.decode("latin-1")
    return text.replace(": ", ": &a ", 1) + "\nz: *a\n" if rng.random() < 0.5 else text.replace("  ", "\t", 1)


def sources() -> list[tuple[str, str]]:
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "experiments").glob("*.yaml"))
    return [(p.name, p.read_text()) for p in files]


def fuzz(seconds: float, seed: int = 0, *, run: bool = False, timeout: float = 10.0,
         keep: Path | None = None) -> dict:
    """Mutated inputs for ``seconds``; the counts (see the module docstring)."""
    from sim.experiments.experiment import is_experiment, load_experiment
    from sim.model.loading import ScenarioError, load_scenario

    rng = random.Random(seed)
    base = sources()
    counts = {"tried": 0, "accepted": 0, "rejected": 0, "tracebacks": 0, "hangs": 0, "runs_failed": 0,
              "runs_ok": 0, "slowest_s": 0.0}
    findings = []
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    old = signal.signal(signal.SIGALRM, _alarm)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in base:  # the files a mutated scenario or experiment may extend or name
            (folder / name).write_text(text)
        k = 0
        while time.monotonic() - started < seconds:
            name, text = rng.choice(base)
            mutated = mutate(text, rng)
            path = folder / f"input_{k}_{name}"
            k += 1
            path.write_bytes(mutated.encode("utf-8", "surrogateescape") if isinstance(mutated, str) else mutated)
            counts["tried"] += 1
            t0 = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                loaded = load_experiment(path) if is_experiment(path) else load_scenario(path)
                counts["accepted"] += 1
                if run and not hasattr(loaded, "spec"):
                    from sim.engines.runner import RunFailure, run_chunk

                    short = loaded.model_copy(update={"horizon_months": min(24, loaded.horizon_months)})
                    for r in run_chunk(short, [1, 2], engine="fast"):
                        if isinstance(r, RunFailure):
                            counts["runs_failed"] += 1
                            findings.append({"kind": "run failed", "input": mutated, "error": r.error[:2000]})
                        else:
                            counts["runs_ok"] += 1
            except ScenarioError:
                counts["rejected"] += 1
            except Hang:
                counts["hangs"] += 1
                findings.append({"kind": "hang", "input": mutated})
            except Exception as err:  # a traceback a user would see: a bug
                counts["tracebacks"] += 1
                findings.append({"kind": "traceback", "input": mutated, "error": f"{type(err).__name__}: {err}"})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            counts["slowest_s"] = max(counts["slowest_s"], time.monotonic() - t0)
            path.unlink(missing_ok=True)
    signal.signal(signal.SIGALRM, old)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts["peak_memory_mb"] = round(peak / 1024, 1)
    counts["peak_growth_mb"] = round((peak - baseline) / 1024, 1)
    counts["slowest_s"] = round(counts["slowest_s"], 3)
    if keep is not None and findings:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"findings-seed{seed}.json").write_text(json.dumps(findings, indent=1, default=str))
    counts["findings"] = len(findings)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz_loader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to fuzz (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mutations (default 0)")
    parser.add_argument("--run", action="store_true", help="also run every accepted scenario (fast engine)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before an input counts as a hang")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"), help="folder for tracebacks and hangs")
    args = parser.parse_args(argv)
    counts = fuzz(args.minutes * 60, args.seed, run=args.run, timeout=args.timeout, keep=args.keep)
    print(json.dumps(counts, indent=2))
    return 1 if counts["tracebacks"] or counts["hangs"] else 0


if __name__ == "__main__":
    sys.exit(main())
