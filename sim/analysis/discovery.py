"""Scenario discovery: which combinations of assumptions produce the case of interest?

``deterrence discover DIR --where "deals_final >= 8"`` reads ``DIR/runs.parquet`` (one row per
run: drawn parameters and outcomes), marks the runs where the condition holds (the grammar:
``sim.analysis.where``) and describes them by the parameters that vary across runs, as boxes
in parameter space (Bryant & Lempert 2010; Kwakkel & Jaxa-Rozen 2016):

* ``prim``: the Patient Rule Induction Method (Friedman & Fisher 1999) of the EMA Workbench
  (``ema_workbench.analysis.prim``, the optional extra ``ema``). Its peeling trajectory trades
  coverage (the share of all cases inside the box) against density (the share of the box's runs
  that are cases); a box is chosen on it: the one of highest coverage with density at least
  ``min_density``, else the densest. Each restricted parameter has quasi-p values (one-sided
  binomial tests of the box against the box without that restriction, Bryant & Lempert 2010):
  small values mean the restriction matters.
* ``cart``: a classification tree (scikit-learn's ``DecisionTreeClassifier``, Breiman et al.
  1984); each leaf that predicts the case is a box, with its coverage and density.

Only parameters that vary across the runs are considered (constants cannot explain anything),
under their dotted names; failed runs are left out, and a run whose outcome is undefined (NaN)
is not a case.
"""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.analysis import where as where_grammar
from sim.experiments.results import sha256, write_manifest
from sim.model.loading import did_you_mean
from sim.model.outcomes import OUTCOMES

METHODS = ("prim", "cart")
NOT_PARAMETERS = ("scenario", "design_point", "replication", "seed", "status", "error")
EMA_HINT = ('PRIM needs the EMA Workbench, an optional extra: pip install -e ".[ema]" '
            '(or pip install ema_workbench); or use --method cart')
MIN_DENSITY = 0.8
MASS_MIN = 0.05


class DiscoveryError(Exception):
    """Bad input: no runs, an unknown scenario or outcome, a folder that may not be written."""


def is_outcome(name: str) -> bool:
    """Outcome columns of runs.parquet: ``sim.model.outcomes.OUTCOMES``, signposts, per-ally ones."""
    return name in OUTCOMES or name.startswith(("signpost.", "ally."))


@dataclass
class Cases:
    """The runs used: ``x`` the varying parameters (one column each), ``y`` the case of interest."""

    x: pd.DataFrame
    y: np.ndarray
    where: str
    scenario: str
    runs: int                  # runs in the folder (of the scenario)
    failed: int                # of which failed, left out
    constants: list[str]       # parameters left out: the same in every run
    incomplete: list[str]      # parameters left out: undefined (NaN) in some run

    @property
    def cases(self) -> int:
        return int(self.y.sum())


def load_cases(folder: Path, where: str, scenario: str | None = None) -> Cases:
    """Read ``folder/runs.parquet`` and mark the runs where ``where`` holds."""
    path = Path(folder) / "runs.parquet"
    if not path.is_file():
        raise DiscoveryError(f"{folder}: no runs.parquet here (the --out folder of 'deterrence run' or "
                             "'deterrence sweep')")
    runs = pq.read_table(path).to_pandas()
    outcomes = [c for c in runs.columns if is_outcome(c)]
    node = where_grammar.parse(where)
    where_grammar.check_names(node, outcomes)
    names = sorted(set(runs["scenario"]))
    if scenario is None:
        if len(names) > 1:
            raise DiscoveryError(f"{folder} holds {len(names)} scenarios ({', '.join(names)}); "
                                 "choose one with --scenario NAME")
        scenario = names[0] if names else ""
    elif scenario not in names:
        hint = did_you_mean(scenario, names)
        raise DiscoveryError(f"no scenario '{scenario}' in {folder}; {hint}it holds: {', '.join(names)}")
    runs = runs[runs["scenario"] == scenario]
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise DiscoveryError(f"{folder}: no successful run of '{scenario}'")
    params = [c for c in runs.columns if c not in NOT_PARAMETERS and not is_outcome(c)]
    x = ok[params].astype(float)
    incomplete = [c for c in params if x[c].isna().any()]
    constants = [c for c in params if c not in incomplete and x[c].nunique() <= 1]
    x = x.drop(columns=incomplete + constants).reset_index(drop=True)
    if x.shape[1] == 0:
        raise DiscoveryError(f"{folder}: no parameter varies across the runs of '{scenario}', so none can "
                             "explain the cases; sweep over priors (e.g. design: lhs) first")
    y = where_grammar.evaluate(node, {c: ok[c].to_numpy(float) for c in outcomes})
    return Cases(x=x, y=np.asarray(y, dtype=bool), where=str(where), scenario=scenario, runs=len(runs),
                 failed=len(runs) - len(ok), constants=constants, incomplete=incomplete)


@dataclass
class Discovery:
    """What a method found: ``boxes`` (one row each), ``limits`` (one row per box and restricted
    parameter); ``trajectory`` for PRIM, ``tree`` (text) and ``model`` for CART."""

    method: str
    boxes: pd.DataFrame
    limits: pd.DataFrame
    options: dict
    trajectory: pd.DataFrame | None = None
    tree: str | None = None
    model: object = None
    library: dict = field(default_factory=dict)


BOX_COLUMNS = ["box", "coverage", "density", "mass", "runs", "cases", "restricted"]
LIMIT_COLUMNS = ["box", "parameter", "low", "high", "data_low", "data_high"]


# --------------------------------------------------------------------------------------------
# PRIM (ema_workbench)


def _ema_prim():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its import warns about optional parallel back ends
            from ema_workbench.analysis import prim
    except ImportError:
        raise DiscoveryError(EMA_HINT) from None
    return prim


def choose_box(trajectory: pd.DataFrame, min_density: float = MIN_DENSITY) -> int:
    """The step of highest coverage with density >= ``min_density`` (ties: denser, then fewer
    restrictions); if no step is that dense, the densest (ties: higher coverage)."""
    t = trajectory.reset_index(drop=True)
    dense = t[t["density"] >= min_density]
    if len(dense):
        order = dense.sort_values(["coverage", "density", "res_dim"], ascending=[False, False, True], kind="stable")
    else:
        order = t.sort_values(["density", "coverage"], ascending=[False, False], kind="stable")
    return int(order.index[0])


def run_prim(x: pd.DataFrame, y: np.ndarray, *, boxes: int = 1, min_density: float = MIN_DENSITY,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = MASS_MIN) -> Discovery:
    """Up to ``boxes`` PRIM boxes, each found on the runs outside the boxes before it."""
    prim = _ema_prim()
    y = np.asarray(y, dtype=bool)
    if not y.any():
        raise DiscoveryError("no run satisfies --where: nothing to discover (loosen the condition)")
    rows, limits, steps = [], [], []
    with warnings.catch_warnings():
        # pandas deprecations inside the library (its use of inplace=...), not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        p = prim.Prim(x, y.copy(), peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        init = p.box_init
        for number in range(1, boxes + 1):
            box = p.find_box()
            if box is None:
                break
            t = box.peeling_trajectory.reset_index(drop=True)
            i = choose_box(t, min_density)
            box.select(i)
            chosen = t.iloc[i]
            for j, step in t.iterrows():
                steps.append({"box": number, "step": j, "coverage": step["coverage"], "density": step["density"],
                              "mass": step["mass"], "restricted": int(step["res_dim"]), "runs": int(step["n"]),
                              "cases": int(step["k"]), "chosen": j == i})
            _stats, lims = box.inspect(i, style="data")[0]
            rows.append({"box": number, "coverage": chosen["coverage"], "density": chosen["density"],
                         "mass": chosen["mass"], "runs": int(chosen["n"]), "cases": int(chosen["k"]),
                         "restricted": int(chosen["res_dim"])})
            for name in lims.index:
                low, high, qp_low, qp_high = (float(v) for v in lims.loc[name].to_numpy())
                limits.append({"box": number, "parameter": name, "low": low, "high": high,
                               "data_low": float(init.loc[0, name]), "data_high": float(init.loc[1, name]),
                               "qp_lower": qp_low, "qp_upper": qp_high})
            if not y[p.yi_remaining].any() or len(box.yi) == 0:
                break
    limits = pd.DataFrame(limits, columns=[*LIMIT_COLUMNS, "qp_lower", "qp_upper"])
    if len(limits):  # the most significant restriction of each box first
        limits["_qp"] = limits[["qp_lower", "qp_upper"]].min(axis=1, skipna=True)
        limits = limits.sort_values(["box", "_qp"], kind="stable").drop(columns="_qp").reset_index(drop=True)
    options = {"boxes": boxes, "min_density": min_density, "peel_alpha": peel_alpha, "paste_alpha": paste_alpha,
               "mass_min": mass_min, "objective": "lenient1"}
    return Discovery("prim", pd.DataFrame(rows, columns=BOX_COLUMNS),
                     limits, options,
                     trajectory=pd.DataFrame(steps), library={"ema_workbench": _version("ema_workbench")})


# --------------------------------------------------------------------------------------------
# CART (scikit-learn)


def run_cart(x: pd.DataFrame, y: np.ndarray, *, depth: int = 3, min_leaf: float = MASS_MIN) -> Discovery:
    """A classification tree of at most ``depth`` levels, each leaf holding at least ``min_leaf``
    of the runs; every leaf predicting the case is a box."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    y = np.asarray(y, dtype=bool)
    if not y.any():
        raise DiscoveryError("no run satisfies --where: nothing to discover (loosen the condition)")
    if y.all():
        raise DiscoveryError("every run satisfies --where: nothing to tell the cases from (tighten the condition)")
    model = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(1, int(np.ceil(min_leaf * len(y)))),
                                   random_state=0)
    model.fit(x.to_numpy(), y.astype(int))
    t = model.tree_
    names = list(x.columns)
    lo0, hi0 = x.min().to_numpy(float), x.max().to_numpy(float)
    leaf_of = model.apply(x.to_numpy())
    rows, limits = [], []

    def walk(node: int, lo: np.ndarray, hi: np.ndarray, restricted: tuple[int, ...]) -> None:
        if t.children_left[node] == -1:  # a leaf: count its runs and cases from the data
            inside = leaf_of == node
            n, k = int(inside.sum()), int(y[inside].sum())
            if n and k / n > 0.5:
                number = len(rows) + 1
                rows.append({"box": number, "coverage": k / y.sum(), "density": k / n, "mass": n / len(y),
                             "runs": n, "cases": k, "restricted": len(set(restricted)), "leaf": node})
                for d in sorted(set(restricted), key=restricted.index):
                    limits.append({"box": number, "parameter": names[d], "low": lo[d], "high": hi[d],
                                   "data_low": lo0[d], "data_high": hi0[d]})
            return
        d, cut = int(t.feature[node]), float(t.threshold[node])
        left_hi, right_lo = hi.copy(), lo.copy()
        left_hi[d], right_lo[d] = min(hi[d], cut), max(lo[d], cut)   # left: x <= cut; right: x > cut
        walk(int(t.children_left[node]), lo, left_hi, (*restricted, d))
        walk(int(t.children_right[node]), right_lo, hi, (*restricted, d))

    walk(0, lo0.copy(), hi0.copy(), ())
    boxes = pd.DataFrame(rows, columns=[*BOX_COLUMNS, "leaf"])
    boxes = boxes.sort_values(["coverage", "density"], ascending=False, kind="stable").reset_index(drop=True)
    renumber = {old: new for new, old in enumerate(boxes["box"], start=1)}
    boxes["box"] = boxes["box"].map(renumber)
    limits = pd.DataFrame(limits, columns=LIMIT_COLUMNS)
    limits["box"] = limits["box"].map(renumber)
    limits = limits.sort_values("box", kind="stable").reset_index(drop=True)
    text = export_text(model, feature_names=names, class_names=["other", "case"], show_weights=True, decimals=3)
    return Discovery("cart", boxes, limits, {"depth": depth, "min_leaf": min_leaf, "random_state": 0},
                     tree=text, model=model, library={"scikit-learn": _version("scikit-learn")})


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
# Writing OUT


def prepare_out(out: Path) -> Path:
    """``out`` made ready: new, empty, or a folder an earlier ``discover`` wrote (its files are
    removed); any other non-empty folder is refused."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DiscoveryError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        manifest = out / "manifest.json"
        try:
            info = json.loads(manifest.read_text())
        except (OSError, ValueError):
            info = {}
        if info.get("command") != "discover":
            raise DiscoveryError(f"{out}: not empty, and not written by 'deterrence discover'; "
                                 "choose another --out (nothing was written)")
        for name in [*info.get("files", {}), "manifest.json"]:
            target = out / name
            if target.is_file() and target.resolve().parent == out.resolve():
                target.unlink()
        for extra in ("peeling.pdf", "tree.pdf"):
            (out / extra).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_discovery(folder: Path, out: Path, cases: Cases, found: Discovery) -> list[str]:
    """Tables (CSV, Markdown), figures (PNG, PDF) and ``manifest.json`` in ``out``."""
    from sim.analysis import discovery_figures as figures

    files = []
    found.boxes.drop(columns=["leaf"], errors="ignore").to_csv(out / "boxes.csv", index=False, float_format="%.6g")
    found.limits.to_csv(out / "limits.csv", index=False, float_format="%.6g")
    files += ["boxes.csv", "limits.csv"]
    if found.trajectory is not None:
        found.trajectory.to_csv(out / "peeling.csv", index=False, float_format="%.6g")
        figures.peeling_figure(found.trajectory, out / "peeling", title=cases.where,
                               min_density=found.options.get("min_density"))
        files += ["peeling.csv", "peeling.png", "peeling.pdf"]
    if found.tree is not None:
        (out / "tree.txt").write_text(found.tree)
        figures.tree_figure(found.model, list(cases.x.columns), out / "tree")
        files += ["tree.txt", "tree.png", "tree.pdf"]
    (out / "discover.md").write_text(markdown(cases, found))
    files.append("discover.md")
    source = Path(folder) / "runs.parquet"
    write_manifest(out, {
        "command": "discover",
        "source": {"folder": str(folder), "runs.parquet": sha256(source)},
        "where": cases.where, "scenario": cases.scenario, "method": found.method, "options": found.options,
        "library": found.library,
        "parameters": list(cases.x.columns), "left_out": {"constant": cases.constants,
                                                          "undefined_in_some_run": cases.incomplete},
        "counts": {"runs": cases.runs, "failed": cases.failed, "used": len(cases.y), "cases": cases.cases},
    }, files)
    return [*files, "manifest.json"]


def _fmt(v) -> str:
    if isinstance(v, float | np.floating):
        return "" if np.isnan(v) else f"{v:.3g}"
    return str(v)


def _table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(_fmt(v) for v in row) + " |\n" for row in df.itertuples(index=False))


def markdown(cases: Cases, found: Discovery) -> str:
    """The boxes and their limits as Markdown, with what was asked and how."""
    used = len(cases.y)
    lines = [f"# Scenario discovery: `{cases.where}`\n",
             f"Scenario `{cases.scenario}`: {used:,} runs used ({cases.failed:,} failed left out), "
             f"{cases.cases:,} of them cases ({cases.cases / used:.1%}). Method: {found.method} "
             f"({', '.join(f'{k} {v}' for k, v in found.options.items())}). "
             f"Parameters considered ({cases.x.shape[1]}): {', '.join(f'`{c}`' for c in cases.x.columns)}.\n"]
    if cases.constants:
        lines.append(f"Left out as constant across runs: {len(cases.constants)} parameter(s).\n")
    if found.method == "prim":
        lines.append(f"Each box is the step of its peeling trajectory with the highest coverage among those "
                     f"with density at least {found.options['min_density']:g} (else the densest); later boxes "
                     "are found on the runs outside the earlier ones. Coverage: share of all cases inside "
                     "the box; density: share of the box's runs that are cases; mass: share of all runs. "
                     "qp: quasi-p values of each restriction's lower and upper limit (Bryant & Lempert 2010); "
                     "empty where that side is not restricted.\n")
    else:
        lines.append("Each box is a leaf of the tree that predicts the case; limits from the splits on its "
                     "path (left: x <= cut). Coverage: share of all cases in the leaf; density: share of the "
                     "leaf's runs that are cases; mass: share of all runs.\n")
    boxes = found.boxes.drop(columns=["leaf"], errors="ignore")
    lines += ["## Boxes\n", _table(boxes) if len(boxes) else "No box predicts the case.\n", "\n## Limits\n"]
    lines.append(_table(found.limits) if len(found.limits) else "No restricted parameter.\n")
    if found.tree is not None:
        lines += ["\n## Tree\n", "```\n" + found.tree + "```\n"]
    return "\n".join(lines)


def discover(folder: Path, where: str, *, method: str = "prim", out: Path | None = None,
             scenario: str | None = None, **options) -> tuple[Path, Cases, Discovery]:
    """Read, analyse, write: the whole command. Returns the output folder, the cases and the result."""
    if method not in METHODS:
        raise DiscoveryError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}")
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{folder}: no such folder")
    cases = load_cases(folder, where, scenario)
    if method == "prim":
        _ema_prim()  # before any output folder is made
        found = run_prim(cases.x, cases.y, **options)
    else:
        found = run_cart(cases.x, cases.y, **options)
    out = Path(out) if out is not None else folder / "discover"
    fresh = not out.exists() or (out.is_dir() and not any(out.iterdir()))
    prepare_out(out)
    try:
        write_discovery(folder, out, cases, found)
    except BaseException:
        if fresh:  # leave nothing half-written in a folder this call made
            shutil.rmtree(out, ignore_errors=True)
        raise
    return out, cases, found
