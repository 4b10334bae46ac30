"""Is a result folder what its manifest says? ``deterrence verify DIR``, and the check that
``summarize``, ``report`` and ``compare`` make of what they read.

* every file the manifest lists is there, with its size and sha256 (and so is every folder
  written into it later with a manifest of its own: ``summary/``, ``report/``, ``discover/``,
  ``attribution/``);
* ``runs.parquet`` holds the runs the manifest counts (runs, failed), and every successful run's
  outcomes lie in their ranges; ``timeseries.parquet``'s monthly series too: the invariants of
  :mod:`sim.model.invariants`, as far as they can be read from the outputs.

A folder whose files do not match is refused by the commands that read it, with the files named,
so that a report never describes other data than its own (its reproducibility statement repeats
the manifest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.experiments.outputs import MANIFEST, read_manifest
from sim.experiments.results import sha256

N_ALLIES = 31  # allies other than the US: counts of allies lie within it


class VerifyError(Exception):
    """A result folder whose files do not match its manifest; the message names them."""


def file_problems(folder: Path, names: list[str] | None = None, manifest: dict | None = None) -> list[str]:
    """Files of ``folder`` (all listed, or ``names``) missing or different from the manifest."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else read_manifest(folder)
    if manifest is None:
        what = "is not valid JSON or not a deterrence manifest" if (folder / MANIFEST).exists() else "is missing"
        return [f"{folder / MANIFEST} {what}"]
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    problems = []
    for name in (names if names is not None else sorted(listed)):
        path = folder / name
        info = listed.get(name)
        if not isinstance(info, dict):
            if path.exists():
                problems.append(f"{path}: not listed in {folder / MANIFEST}")
            continue
        if not path.is_file():
            problems.append(f"{path}: listed in the manifest but missing")
            continue
        size = path.stat().st_size
        if info.get("bytes") is not None and size != info["bytes"]:
            problems.append(f"{path}: {size:,} bytes, the manifest says {info['bytes']:,}")
            continue
        digest = sha256(path)
        if digest != info.get("sha256"):
            problems.append(f"{path}: sha256 {digest[:12]}..., the manifest says {str(info.get('sha256'))[:12]}...")
    return problems


def require_intact(folder: Path, names: list[str] | None = None, command: str = "this command") -> dict:
    """The folder's manifest, if the files ``names`` (default: every listed file present among the
    results) match it; else :class:`VerifyError` naming the files."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if names is None and manifest is not None:
        names = [n for n in (manifest.get("files") or {}) if "/" not in n]
    problems = file_problems(folder, names, manifest)
    if problems:
        raise VerifyError(f"{folder} does not match its manifest, so {command} will not read it:\n  "
                          + "\n  ".join(problems)
                          + "\nThe files were changed, replaced or damaged after they were written: restore them, "
                            f"or write the folder again; 'deterrence verify {folder}' checks it")
    return manifest


def run_problems(folder: Path, manifest: dict) -> list[str]:
    """The invariants that can be read from ``runs.parquet`` and ``timeseries.parquet``."""
    import pyarrow.parquet as pq

    from sim.model import invariants
    from sim.model.outcomes import OUTCOMES, SERIES

    folder = Path(folder)
    problems = []
    runs_path = folder / "runs.parquet"
    if runs_path.is_file():
        try:  # column by column: a sweep of millions of runs is never held whole
            runs = pq.ParquetFile(runs_path)
            names = runs.schema_arrow.names
            column = lambda name: np.asarray(runs.read(columns=[name])[name].to_numpy(zero_copy_only=False))  # noqa: E731
            status = column("status") if "status" in names else None
        except Exception as err:  # damaged beyond its footer
            return [f"{runs_path}: cannot be read ({type(err).__name__}: {err})"]
        rows = runs.metadata.num_rows
        counts = manifest.get("counts") or {}
        if isinstance(counts.get("runs"), int) and rows != counts["runs"]:
            problems.append(f"{runs_path}: {rows:,} runs, the manifest counts {counts['runs']:,}")
        if status is not None and isinstance(counts.get("failed"), int):
            failed = int((status == "failed").sum())
            if failed != counts["failed"]:
                problems.append(f"{runs_path}: {failed:,} failed runs, the manifest counts {counts['failed']:,}")
        units = {name: d.unit for name, d in OUTCOMES.items() if name in names}
        units.update({c: ("months" if c.endswith(".month") else "0/1") for c in names if c.startswith("signpost.")})
        ok = status == "ok" if status is not None else np.ones(rows, bool)
        bounds = invariants.series_bounds(units, N_ALLIES)
        for name in units:
            found = invariants.first_violation({name: column(name).astype(float)[ok]}, bounds)
            if found is not None:
                row = int(np.flatnonzero(ok)[found[0]])
                seed = column("seed")[row] if "seed" in names else "?"
                problems.append(f"{runs_path}: run {row} (seed {seed}) breaks an invariant: {found[2]}")
                break
    series_path = folder / "timeseries.parquet"
    if series_path.is_file():
        try:
            series = pq.ParquetFile(series_path)
            names = [n for n in SERIES if n in series.schema_arrow.names]
        except Exception as err:
            return [*problems, f"{series_path}: cannot be read ({type(err).__name__}: {err})"]
        bounds = invariants.series_bounds({n: SERIES[n].unit for n in names}, N_ALLIES)
        for name in names:
            values = np.asarray(series.read(columns=[name])[name].to_numpy(zero_copy_only=False), float)
            found = invariants.first_violation({name: values[:, None]}, bounds)
            if found is not None:
                row = found[0]
                keys = [k for k in ("scenario", "design_point", "replication", "month") if k in series.schema_arrow.names]
                at = series.read(columns=keys).slice(row, 1).to_pylist()[0] if keys else {}
                where = ", ".join(f"{k} {v}" for k, v in at.items())
                problems.append(f"{series_path}: row {row} ({where}) breaks an invariant: {found[2]}")
                break
    return problems


def posterior_mismatches(folder: Path, manifest: dict) -> tuple[list[str], list[str]]:
    """Each posterior the result's scenarios drew from, against the one installed now: a rerun
    with a refitted posterior of the same name would not give these runs."""
    from sim.calibration.posterior import FILE, resolve
    from sim.experiments.results import sha256

    records = manifest.get("scenarios") or [manifest.get("scenario") or {}]
    checked, problems = [], []
    for rec in records:
        want = rec.get("prior_posterior") if isinstance(rec, dict) else None
        if not want:
            continue
        try:
            have = sha256(resolve(want["posterior"]) / FILE)
        except FileNotFoundError:
            problems.append(f"{folder}: scenario {rec.get('name')} drew from the posterior {want['posterior']}, "
                            "which is not installed here")
            continue
        if have != want.get("sha256"):
            problems.append(f"{folder}: scenario {rec.get('name')} drew from {want['posterior']} with sha256 "
                            f"{str(want.get('sha256'))[:12]}..., the installed one has {have[:12]}... (refitted "
                            "since: a rerun gives other numbers)")
        else:
            checked.append(f"{folder}: scenario {rec.get('name')}'s posterior {want['posterior']} is the installed one")
    return checked, problems


def verify(folder: Path) -> tuple[list[str], list[str]]:
    """(what was checked, problems) for a result folder and the folders written into it."""
    folder = Path(folder)
    checked, problems = [], []
    manifest = read_manifest(folder)
    problems += file_problems(folder, None, manifest)
    if manifest is None:
        return checked, problems
    listed = sorted(manifest.get("files") or {})
    checked.append(f"{folder}: {len(listed)} file(s) against {MANIFEST} ('deterrence {manifest.get('command')}')")
    extra = [p.name for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")
             and p.name not in listed and p.name not in (MANIFEST, "sweep.json")]
    if extra:
        checked.append(f"{folder}: not in the manifest, not checked: {', '.join(extra)}")
    if manifest.get("command") in ("run", "sweep"):
        problems += run_problems(folder, manifest)
        checked.append(f"{folder}: the runs' invariants (counts, ranges of outcomes and monthly series)")
        posterior_checked, posterior_problems = posterior_mismatches(folder, manifest)
        checked += posterior_checked
        problems += posterior_problems
    for sub in ("summary", "report", "discover", "attribution"):
        if (folder / sub / MANIFEST).is_file() and sub not in {n.split("/")[0] for n in listed}:
            c, p = verify(folder / sub)
            checked += c
            problems += p
    return checked, problems
