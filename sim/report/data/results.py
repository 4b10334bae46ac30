"""Reading result folders (from ``run`` or ``sweep``, one or several) into :class:`Results`: the
runs put in comparison groups, the monthly series, the design, and what the sweep's summary
holds (Sobol indices, the compare pairs' differences)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.data.labels import ANY, IF_ANY, register_titles
from sim.report.style import REFERENCE, scenario_order

MAX_GROUPS = 8
KEYS = ("_folder", "design_point", "replication")
ALLY_COLUMN = re.compile(r"^ally\.([A-Z]{3})\.(.+)$")
"""Per-ally outcomes, if a result folder has them: ``ally.<ISO3>.<metric>`` (e.g. ``ally.POL.deal``)."""


class ReportInputError(Exception):
    """A result folder or an odds file the report cannot use; the message says why."""


@dataclass
class Results:
    """One or more result folders, read and joined, with runs put in comparison groups."""

    folders: list[Path]
    runs: pd.DataFrame                    # successful runs, one row each, with 'group'
    failed: pd.DataFrame                  # failed runs (seed and error kept)
    series: pd.DataFrame                  # monthly rows of the runs that kept time series
    manifests: dict[str, dict]            # folder label -> manifest.json
    design: pd.DataFrame | None = None
    sobol: pd.DataFrame | None = None
    groups: list[str] = field(default_factory=list)
    group_by: str = "scenario"
    signpost_labels: dict[str, str] = field(default_factory=dict)
    start: str | None = None
    design_kind: str | None = None        # from a sweep's manifest: none, arms, grid, lhs, sobol
    design_parameters: list[str] = field(default_factory=list)
    summary_info: dict = field(default_factory=dict)  # summary/manifest.json: confidence level, resamples
    scenarios: list[str] = field(default_factory=list)  # in the brief's order, then the others
    arms: list[str] = field(default_factory=list)       # an arms sweep's arms, in the design's order
    group_parts: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # group -> (scenario, arm)
    compare: list[tuple[str, str]] = field(default_factory=list)  # the experiment's compare pairs (a, b)
    differences: pd.DataFrame | None = None  # summary/differences, when current (see read_differences)
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # what is worked out once (runs as read)
    specs: dict[str, dict] = field(default_factory=dict)  # scenario name -> its resolved file (manifests)
    experiment: dict = field(default_factory=dict)        # the experiment's name, title, resolved file
    rare_counts: list[str] = field(default_factory=list)  # counts reported as P(any) and if any (see labels)
    figure_formats: tuple[str, ...] = ("png", "pdf")      # files of each figure; the page shows the first

    def __setstate__(self, state: dict) -> None:
        # In a worker process the results arrive pickled: the scenario titles that name the
        # groups in figures must be known there too.
        from sim.report.style import set_figure_formats

        self.__dict__.update(state)
        register_titles({name: spec.get("title") for name, spec in self.specs.items()}
                        | {s: None for s in self.scenarios if s not in self.specs})
        set_figure_formats(self.figure_formats)

    @property
    def reference(self) -> str | None:
        """The group that differences are taken against: the status quo, when present."""
        return REFERENCE if REFERENCE in self.groups else None

    def scenario_of(self, group: str) -> str:
        return self.group_parts.get(group, (group, None))[0]

    def arm_of(self, group: str) -> str | None:
        return self.group_parts.get(group, (group, None))[1]

    def n_runs(self, group: str) -> int:
        return int((self.runs["group"] == group).sum())

    def n_series_runs(self, group: str) -> int:
        if "group" not in self.series:  # a sweep that kept no monthly series
            return 0
        if "series_runs" not in self.memo:  # runs (KEYS) with monthly rows, by group
            runs = self.series.drop_duplicates([*KEYS, "group"])
            self.memo["series_runs"] = runs["group"].value_counts().to_dict()
        return int(self.memo["series_runs"].get(group, 0))


# ---- reading ----------------------------------------------------------------------------------


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:  # a truncated or foreign file: say which one
        raise ReportInputError(f"{path}: cannot be read as Parquet ({type(err).__name__}: {err})") from None


def _read_folder(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, pd.DataFrame | None, Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportInputError(f"{folder}: no such folder (give a folder written by 'deterrence run' or 'deterrence sweep')")
    runs_path = folder / "runs.parquet"
    if not runs_path.is_file():
        raise ReportInputError(f"{folder}: no runs.parquet here; is it a folder written by 'deterrence run' or 'deterrence sweep'?")
    runs = _read_parquet(runs_path)
    missing = {"scenario", "replication", "status"} - set(runs.columns)
    if missing:
        raise ReportInputError(f"{runs_path}: missing column(s) {', '.join(sorted(missing))}")
    series_path = folder / "timeseries.parquet"
    series = _read_parquet(series_path) if series_path.is_file() else pd.DataFrame()
    manifest = {}
    if (folder / "manifest.json").is_file():
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except json.JSONDecodeError as err:
            raise ReportInputError(f"{folder / 'manifest.json'}: not valid JSON ({err})") from None
    design = _read_parquet(folder / "design.parquet") if (folder / "design.parquet").is_file() else None
    return runs, series, manifest, design, folder / "summary"


def _folder_labels(folders: list[Path]) -> list[str]:
    """Short unique labels for folders: their names, with the parent added when names repeat."""
    labels = [f.resolve().name for f in folders]
    if len(set(labels)) < len(labels):
        labels = [f"{f.resolve().parent.name}/{f.resolve().name}" for f in folders]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} #{i + 1}" for i, lab in enumerate(labels)]
    return labels


def load_results(folders: list[Path]) -> Results:
    """Read result folders (one from ``run`` or ``sweep``, or several to compare)."""
    folders = [Path(f) for f in folders]
    if not folders:
        raise ReportInputError("no result folder given")
    labels = _folder_labels(folders)
    parts = [_read_folder(f) for f in folders]
    # The same scenario in two folders (say two seeds) must stay apart: name it by its folder.
    seen: dict[str, int] = {}
    for runs, *_ in parts:
        for name in runs["scenario"].unique():
            seen[name] = seen.get(name, 0) + 1
    runs_all, series_all, designs, sobols, manifests = [], [], [], [], {}
    summary_info: dict = {}
    for label, (runs, series, manifest, design, summary) in zip(labels, parts, strict=True):
        rename = {s: f"{s} ({label})" for s in runs["scenario"].unique() if seen[s] > 1}
        for df in (runs, series):
            if len(df):
                df.insert(0, "_folder", label)
                df["scenario"] = df["scenario"].replace(rename)
        if "design_point" not in runs:
            runs["design_point"] = 0
        if len(series) and "design_point" not in series:
            series["design_point"] = 0
        runs_all.append(runs)
        series_all.append(series)
        manifests[label] = manifest
        if design is not None:
            design = design.copy()
            design.insert(0, "_folder", label)
            designs.append(design)
        sobol = read_sobol(summary)
        if sobol is not None:
            sobols.append(sobol)
        if (summary / "manifest.json").is_file() and (sobol is not None or len(folders) == 1):
            summary_info = json.loads((summary / "manifest.json").read_text())
    runs = pd.concat(runs_all, ignore_index=True, sort=False)
    series = pd.concat([s for s in series_all if len(s)], ignore_index=True, sort=False) if any(
        len(s) for s in series_all) else pd.DataFrame(columns=[*KEYS, "scenario", "month"])
    design = pd.concat(designs, ignore_index=True, sort=False) if designs else None
    res = Results(folders=folders, runs=runs[runs["status"] == "ok"].copy(),
                  failed=runs[runs["status"] != "ok"].copy(), series=series, manifests=manifests,
                  design=design, sobol=pd.concat(sobols, ignore_index=True) if sobols else None,
                  summary_info=summary_info)
    if res.runs.empty:
        raise ReportInputError(f"{', '.join(map(str, folders))}: no successful run to report on")
    kinds = {m.get("design", {}).get("kind") for m in manifests.values() if isinstance(m.get("design"), dict)}
    if len(kinds) == 1 and len(folders) == 1:
        d = next(iter(manifests.values()))["design"]
        res.design_kind = d.get("kind")
        res.design_parameters = [p for p in d.get("parameters", []) if res.design is not None and p in res.design]
    _assign_groups(res)
    if len(folders) == 1:
        # Compare pairs name scenarios or arms of one experiment: they mean nothing across folders.
        manifest = next(iter(manifests.values()))
        experiment = manifest.get("experiment", {}) if isinstance(manifest.get("experiment"), dict) else {}
        pairs = (experiment.get("resolved") or {}).get("compare") or []
        res.compare = [(str(p["a"]), str(p["b"])) for p in pairs if isinstance(p, dict) and "a" in p and "b" in p]
        if res.compare:
            res.differences = read_differences(folders[0])
    res.rare_counts = _add_rare_counts(res)
    res.signpost_labels = _signpost_labels(manifests)
    res.specs = _scenario_specs(manifests)
    register_titles({name: spec.get("title") for name, spec in res.specs.items()}
                    | {s: None for s in res.scenarios if s not in res.specs})
    if len(folders) == 1 and isinstance(next(iter(manifests.values())).get("experiment"), dict):
        res.experiment = next(iter(manifests.values()))["experiment"]
    res.start = _start_month(res, manifests)
    return res


def _assign_groups(res: Results) -> None:
    """Runs are compared by scenario (pooled over the design points of a grid, Latin hypercube
    or Sobol design); a sweep of named arms is compared by arm (and scenario, if several).

    Groups are ordered by scenario (the brief's order), then by arm in the order of the design,
    so that the arms of one bet (say hub kept, hub lost) stand next to each other."""
    res.group_by = "scenario"
    res.runs["group"] = res.runs["scenario"].astype(str)
    res.scenarios = scenario_order(res.runs["scenario"].astype(str).unique())
    parts = {s: (s, None) for s in res.scenarios}
    if res.design_kind == "arms" and res.design is not None and "label" in res.design:
        on = ["_folder", "design_point"] + (["scenario"] if "scenario" in res.design.columns else [])
        arms = res.design[[*on, "label"]].drop_duplicates(on).rename(columns={"label": "_arm"})
        res.runs = res.runs.merge(arms, on=on, how="left")
        several = res.runs["scenario"].nunique() > 1
        arm = res.runs["_arm"].fillna("").astype(str)
        res.runs["group"] = (res.runs["scenario"].astype(str) + " / " + arm) if several else arm
        res.arms = list(dict.fromkeys(res.design.sort_values("design_point", kind="stable")["label"]
                                      .fillna("").astype(str)))
        parts = {g: (s, a) for g, s, a in
                 res.runs[["group", "scenario", "_arm"]].fillna("").astype(str).drop_duplicates().itertuples(index=False)}
        res.runs = res.runs.drop(columns="_arm")
        res.group_by = "arm"
    if len(res.series) and "month" in res.series:
        keys = ["_folder", "scenario", "design_point"]
        lookup = res.runs[[*keys, "group"]].drop_duplicates(keys)
        res.series = res.series.merge(lookup, on=keys, how="left")
        res.series["group"] = res.series["group"].fillna(res.series["scenario"]).astype(str)
    res.group_parts = parts
    if res.group_by == "arm":
        rank_s = {s: i for i, s in enumerate(res.scenarios)}
        rank_a = {a: i for i, a in enumerate(res.arms)}
        res.groups = sorted(res.runs["group"].unique(),
                            key=lambda g: (rank_s.get(parts[g][0], 0), rank_a.get(parts[g][1], len(rank_a)), g))
    else:
        res.groups = scenario_order(res.runs["group"].unique())


def _signpost_labels(manifests: dict[str, dict]) -> dict[str, str]:
    """Signpost id -> label, from the scenarios recorded in the manifests."""
    out: dict[str, str] = {}

    def visit(node):
        if isinstance(node, dict):
            for sp in node.get("signposts", []) if isinstance(node.get("signposts"), list) else []:
                if isinstance(sp, dict) and "id" in sp and sp.get("label"):
                    out.setdefault(sp["id"], str(sp["label"]))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for label in sorted(manifests):
        visit(manifests[label])
    return out


def _add_rare_counts(res: Results) -> list[str]:
    """The main outcomes that are counts zero in most runs (sim.experiments.summary.is_rare_count,
    over every run of the report), each given two columns: ``<name>.any`` (0/1) and
    ``<name>.if_any`` (the count where it is above zero, else NaN)."""
    from sim.experiments.summary import is_rare_count
    from sim.model.outcomes import MAIN_OUTCOMES, OUTCOMES

    names = [n for n in MAIN_OUTCOMES if n in res.runs and is_rare_count(res.runs[n], OUTCOMES[n].unit)]
    for n in names:
        x = res.runs[n].to_numpy(float)
        res.runs[n + ANY] = np.where(np.isnan(x), np.nan, (x > 0).astype(float))
        res.runs[n + IF_ANY] = np.where(x > 0, x, np.nan)
    return names


def _scenario_specs(manifests: dict[str, dict]) -> dict[str, dict]:
    """Scenario name -> its resolved scenario (title, narrative, events, signposts, parameters),
    as the manifests record it; the first folder's where several hold one scenario."""
    out: dict[str, dict] = {}
    for label in sorted(manifests):
        m = manifests[label]
        entries = m.get("scenarios") if isinstance(m.get("scenarios"), list) else [m.get("scenario")]
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("resolved"), dict) and entry.get("name"):
                out.setdefault(str(entry["name"]), entry["resolved"])
    return out


def _start_month(res: Results, manifests: dict[str, dict]) -> str | None:
    if len(res.series) and "date" in res.series:
        first = res.series.loc[res.series["month"] == 0, "date"]
        if len(first):
            return str(sorted(first.unique())[0])
    for label in sorted(manifests):
        start = manifests[label].get("scenario", {}).get("resolved", {}).get("start")
        if start:
            return str(start)
    return None


def read_sobol(summary: Path) -> pd.DataFrame | None:
    """Sobol indices from a summary folder, as long rows (outcome, parameter, index, estimate,
    low, high) with index 'S1' (first order) or 'ST' (total). Wide tables (S1, S1_low, ...,
    or SALib's S1_conf half-widths) and long ones (index, estimate, low, high) are read."""
    if not Path(summary).is_dir():
        return None
    files = sorted(p for p in Path(summary).iterdir() if "sobol" in p.name.lower() and p.suffix in (".parquet", ".csv"))
    files.sort(key=lambda p: p.suffix != ".parquet")  # the Parquet copy first when both exist
    if not files:
        return None
    df = _read_parquet(files[0]) if files[0].suffix == ".parquet" else pd.read_csv(files[0])
    return normalise_sobol(df, files[0])


def normalise_sobol(df: pd.DataFrame, where: Path | str = "sobol table") -> pd.DataFrame:
    cols = {c.lower(): c for c in df.columns}
    param = next((cols[c] for c in ("parameter", "factor", "name", "input") if c in cols), None)
    if "outcome" not in cols or param is None:
        raise ReportInputError(f"{where}: a Sobol table needs 'outcome' and 'parameter' columns")
    rows = []
    scen = df[cols["scenario"]].astype(str) if "scenario" in cols else pd.Series("", index=df.index)
    if "first_order" in cols or "total_order" in cols:  # the layout of 'deterrence summarize'
        for idx, k in (("S1", "first"), ("ST", "total")):
            if f"{k}_order" in cols:
                rows.append(pd.DataFrame({
                    "scenario": scen, "outcome": df[cols["outcome"]], "parameter": df[param], "index": idx,
                    "estimate": df[cols[f"{k}_order"]].astype(float),
                    "low": df[cols[f"{k}_low"]].astype(float) if f"{k}_low" in cols else np.nan,
                    "high": df[cols[f"{k}_high"]].astype(float) if f"{k}_high" in cols else np.nan}))
        return pd.concat(rows, ignore_index=True)
    if "index" in cols:
        kind = df[cols["index"]].astype(str).str.lower().map(
            {"s1": "S1", "first": "S1", "first_order": "S1", "st": "ST", "total": "ST", "total_order": "ST"})
        est = df[cols.get("estimate", cols.get("value", ""))] if ("estimate" in cols or "value" in cols) else None
        if est is None or "low" not in cols or "high" not in cols:
            raise ReportInputError(f"{where}: a long Sobol table needs estimate, low and high columns")
        out = pd.DataFrame({"scenario": scen, "outcome": df[cols["outcome"]], "parameter": df[param], "index": kind,
                            "estimate": est, "low": df[cols["low"]], "high": df[cols["high"]]})
        return out.dropna(subset=["index"]).reset_index(drop=True)
    for idx in ("S1", "ST"):
        k = idx.lower()
        if k not in cols:
            continue
        est = df[cols[k]].astype(float)
        if f"{k}_low" in cols and f"{k}_high" in cols:
            lo, hi = df[cols[f"{k}_low"]].astype(float), df[cols[f"{k}_high"]].astype(float)
        elif f"{k}_conf" in cols:
            lo, hi = est - df[cols[f"{k}_conf"]].astype(float), est + df[cols[f"{k}_conf"]].astype(float)
        else:
            lo = hi = pd.Series(np.nan, index=df.index)
        rows.append(pd.DataFrame({"scenario": scen, "outcome": df[cols["outcome"]], "parameter": df[param], "index": idx,
                                  "estimate": est, "low": lo, "high": hi}))
    if not rows:
        raise ReportInputError(f"{where}: no S1 or ST column in the Sobol table")
    return pd.concat(rows, ignore_index=True)


def read_differences(folder: Path) -> pd.DataFrame | None:
    """``summary/differences`` of a sweep folder, if 'deterrence summarize' wrote it from the
    sweep's current manifest (a summary older than a re-run sweep would not match its runs:
    then None, and the report computes the differences from the runs)."""
    summary = Path(folder) / "summary"
    files = [summary / "differences.parquet", summary / "differences.csv"]
    path = next((f for f in files if f.is_file()), None)
    if path is None or not (summary / "manifest.json").is_file() or not (Path(folder) / "manifest.json").is_file():
        return None
    try:
        info = json.loads((summary / "manifest.json").read_text())
    except json.JSONDecodeError:
        return None
    source = info.get("source", {}).get("manifest_sha256") if isinstance(info.get("source"), dict) else None
    if source != hashlib.sha256((Path(folder) / "manifest.json").read_bytes()).hexdigest():
        return None
    if not math.isclose(float(info.get("confidence_level", 0.95)), 0.95):
        return None  # every interval of the report is a 95% one: recompute rather than mix levels
    df = _read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    needed = {"comparison", "outcome", "n_pairs", "difference", "ci_low", "ci_high"}
    if not needed <= set(df.columns):
        return None
    for col in ("scenario", "design_point"):
        if col not in df:
            df[col] = None
    return df


def sha256_of_sources(manifests: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(folder, file, sha256) of every scenario or experiment file named in the manifests."""
    out: set[tuple[str, str, str]] = set()

    def visit(label, node):
        if isinstance(node, dict):
            if isinstance(node.get("sha256"), str) and isinstance(node.get("file"), str):
                out.add((label, node["file"], node["sha256"]))
            for key, value in node.items():
                if key != "files":  # the result files' own hashes are listed separately
                    visit(label, value)
        elif isinstance(node, list):
            for value in node:
                visit(label, value)

    for label, manifest in manifests.items():
        visit(label, manifest)
    return sorted(out)


def beside(res, relative: str, *needs: str) -> Path | None:
    """The first ``<folder>/<relative>`` of ``res.folders`` that holds every file in ``needs``
    (or, without ``needs``, that is a file): what another command wrote beside the results (an
    attribution, a scenario discovery, a summary's table)."""
    for folder in res.folders:
        path = Path(folder) / relative
        if (all((path / n).is_file() for n in needs) if needs else path.is_file()):
            return path
    return None
