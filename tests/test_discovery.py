"""Scenario discovery (``deterrence discover``): the --where grammar, PRIM and CART on data whose
cases are a known box, and the command on a small Latin hypercube sweep."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis import discovery, discovery_figures
from sim.analysis.discovery import DiscoveryError, choose_box, run_cart
from sim.analysis.where import BoolOp, Comparison, WhereError, evaluate, parse, tokenize, where
from sim.cli import main

# ---- the grammar -----------------------------------------------------------------------------

COLS = {"a": np.array([1.0, 5.0, 9.0, np.nan]), "b": np.array([0.0, 1.0, 0.0, 1.0]),
        "signpost.x.month": np.array([3.0, np.nan, 7.0, 1.0])}


@pytest.mark.parametrize(("text", "expected"), [
    ("a >= 5", [False, True, True, False]),
    ("a<5", [True, False, False, False]),
    ("a == 9", [False, False, True, False]),
    ("a != 9", [True, True, False, False]),          # NaN satisfies no comparison, != included
    ("5 <= a", [False, True, True, False]),          # number first: mirrored
    ("a > 2 and b == 0", [False, False, True, False]),
    ("a < 2 or b == 1", [True, True, False, True]),
    ("A > 2 AND b == 0", None),                      # names are case-sensitive: 'A' is unknown
    ("signpost.x.month <= 3", [True, False, False, True]),
    ("a > -1.5e0", [True, True, True, False]),
    ("((a > 2))", [False, True, True, False]),
])
def test_where_valid(text, expected):
    if expected is None:
        with pytest.raises(WhereError, match="unknown outcome 'A'"):
            where(text, COLS)
        return
    assert where(text, COLS).tolist() == expected


def test_where_precedence():
    # and binds tighter than or: a < 2 or (b == 1 and a > 6)
    node = parse("a < 2 or b == 1 and a > 6")
    assert isinstance(node, BoolOp) and node.op == "or"
    assert node.parts[0] == Comparison("a", "<", 2.0)
    assert isinstance(node.parts[1], BoolOp) and node.parts[1].op == "and"
    assert where("a < 2 or b == 1 and a > 6", COLS).tolist() == [True, False, False, False]
    assert where("(a < 2 or b == 1) and a > 6", COLS).tolist() == [False, False, False, False]
    assert where("a > 0 and b == 0 or b == 1", COLS).tolist() == [True, True, True, True]


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("a >=", "expected a number, found the end"),
    ("a = 5", "unexpected '='"),
    ("a >= 5 and", "expected an outcome name or '\\(', found the end"),
    ("(a >= 5", "expected '\\)'"),
    ("a >= 5)", "expected 'and', 'or' or the end"),
    ("a >= b", "expected a number, found 'b'"),
    ("a >= 5 b < 1", "expected 'and', 'or'"),
    ("not a >= 5", "expected a comparison"),
    ("a >= '5'", "unexpected \"'\""),
    ("a >= 5; b < 1", "unexpected ';'"),
])
def test_where_invalid(text, message):
    with pytest.raises(WhereError, match=message):
        where(text, COLS)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "a.__class__ > 1", "open('x') > 1", "a[0] > 1", "lambda: 1",
    "a > 1 if True else 0", "a > 0x10", "a @ 1",
])
def test_where_never_executes(text, monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):  # pragma: no cover - reached only if the parser executed text
        raise AssertionError("the expression was executed")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(WhereError):
        where(text, COLS)


def test_where_error_suggests_close_names():
    with pytest.raises(WhereError, match=r"unknown outcome 'deals_fnal' \(did you mean 'deals_final'\?\)"):
        where("deals_fnal >= 8", {"deals_final": np.zeros(2), "probes": np.zeros(2)})


def test_tokens_keep_dotted_names_and_signed_numbers():
    kinds = [(t.kind, t.text) for t in tokenize("signpost.a_b.month>=-2.5 or x<1e3")]
    assert kinds == [("name", "signpost.a_b.month"), ("op", ">="), ("number", "-2.5"), ("or", "or"),
                     ("name", "x"), ("op", "<"), ("number", "1e3"), ("end", "")]


def test_evaluate_is_plain_numpy():
    assert evaluate(Comparison("a", ">", 4.0), COLS).dtype == bool


# ---- the methods on a known box --------------------------------------------------------------


def known_box(n: int = 1000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Four uniform parameters; the cases are exactly x1 > 0.7 and x2 < 0.3."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 4)), columns=["patron.x1", "beliefs.x2", "allies.x3", "pillar.x4"])
    return x, ((x["patron.x1"] > 0.7) & (x["beliefs.x2"] < 0.3)).to_numpy()


@pytest.mark.slow  # importing ema_workbench alone takes 3 to 6 s
def test_prim_recovers_a_known_box():
    pytest.importorskip("ema_workbench", reason="PRIM needs the 'ema' extra")
    x, y = known_box(500)
    found = discovery.run_prim(x, y)
    box = found.boxes.iloc[0]
    assert box["coverage"] > 0.85 and box["density"] > 0.85
    limits = found.limits.set_index("parameter")
    assert set(limits.index) == {"patron.x1", "beliefs.x2"}
    assert limits.loc["patron.x1", "low"] == pytest.approx(0.7, abs=0.05)
    assert limits.loc["beliefs.x2", "high"] == pytest.approx(0.3, abs=0.05)
    assert limits.loc["patron.x1", "qp_lower"] < 1e-6 and np.isnan(limits.loc["patron.x1", "qp_upper"])
    t = found.trajectory
    assert t["chosen"].sum() == 1 and t["coverage"].iloc[0] == 1.0  # starts from every run


def test_prim_missing_library_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ema(name, *args, **kwargs):
        if name.startswith("ema_workbench"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ema)
    x, y = known_box(100)
    with pytest.raises(DiscoveryError, match=r'pip install -e "\.\[ema\]".*--method cart'):
        discovery.run_prim(x, y)


def test_cart_recovers_a_known_box():
    x, y = known_box()
    found = run_cart(x, y, depth=2)
    assert len(found.boxes) == 1
    box = found.boxes.iloc[0]
    assert box["coverage"] > 0.95 and box["density"] > 0.95
    limits = found.limits.set_index("parameter")
    assert set(limits.index) == {"patron.x1", "beliefs.x2"}
    assert limits.loc["patron.x1", "low"] == pytest.approx(0.7, abs=0.03)
    assert limits.loc["beliefs.x2", "high"] == pytest.approx(0.3, abs=0.03)
    assert "patron.x1" in found.tree and "class: case" in found.tree


def test_choose_box():
    t = pd.DataFrame({"coverage": [1.0, 0.9, 0.7, 0.5], "density": [0.2, 0.6, 0.85, 0.95], "res_dim": [0, 1, 2, 3]})
    assert choose_box(t, 0.8) == 2      # most coverage among the dense enough
    assert choose_box(t, 0.99) == 3     # none dense enough: the densest


def test_no_case_is_an_error():
    x, _ = known_box(50)
    with pytest.raises(DiscoveryError, match="no run satisfies"):
        run_cart(x, np.zeros(50, bool))


def test_peeling_figure(tmp_path):
    t = pd.DataFrame({"box": [1, 1, 1, 2, 2], "step": [0, 1, 2, 0, 1], "coverage": [1.0, 0.9, 0.7, 0.3, 0.2],
                      "density": [0.2, 0.5, 0.9, 0.3, 0.6], "restricted": [0, 1, 2, 0, 1],
                      "chosen": [False, False, True, False, True]})
    png, pdf = discovery_figures.peeling_figure(t, tmp_path / "peeling", title="x > 1", min_density=0.8)
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"


# ---- the command on a result folder ----------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    """A result folder as 'deterrence run' writes it, made by hand: 300 runs of one scenario, a
    constant parameter, a failed run, and cases exactly where x1 > 0.7 and x2 < 0.3."""
    x, y = known_box(300, seed=3)
    runs = pd.DataFrame({"scenario": "s", "design_point": np.int32(0), "replication": np.arange(300),
                         "seed": np.arange(300, dtype=np.uint64), "status": "ok", "error": None})
    runs = pd.concat([runs, x, pd.DataFrame({"patron.fixed": 1.0, "deals_final": np.where(y, 10.0, 1.0),
                                             "probes": np.arange(300.0)})], axis=1)
    runs.loc[5, "status"] = "failed"
    runs.loc[5, ["deals_final", "probes"]] = np.nan
    out = tmp_path / "results"
    out.mkdir()
    runs.to_parquet(out / "runs.parquet")
    return out


def test_cli_cart_writes_its_files(folder, capsys):
    assert main(["discover", str(folder), "--where", "deals_final >= 8", "--method", "cart", "--depth", "2"]) == 0
    printed = capsys.readouterr().out
    assert "of 299 runs satisfy 'deals_final >= 8'; 4 varying parameter(s); cart: 1 box(es)" in printed
    assert "box 1: coverage 0.97, density 1.00" in printed and "    patron.x1: 0.68" in printed
    out = folder / "discover"
    files = {"boxes.csv", "limits.csv", "tree.txt", "tree.png", "tree.pdf", "discover.md"}
    assert {p.name for p in out.iterdir()} == {*files, "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "discover" and manifest["method"] == "cart" and set(manifest["files"]) == files
    assert manifest["counts"] == {"runs": 300, "failed": 1, "used": 299, "cases": int(known_box(300, 3)[1].sum())
                                  - int(known_box(300, 3)[1][5])}
    assert manifest["left_out"]["constant"] == ["patron.fixed"]
    assert manifest["parameters"] == ["patron.x1", "beliefs.x2", "allies.x3", "pillar.x4"]
    assert set(pd.read_csv(out / "limits.csv")["parameter"]) == {"patron.x1", "beliefs.x2"}
    md = (out / "discover.md").read_text()
    assert "## Boxes" in md and "`patron.x1`" in md and "patron.fixed" not in md
    # the same call again replaces its own files, with the same bytes
    first = (out / "boxes.csv").read_bytes(), (out / "tree.png").read_bytes()
    assert main(["discover", str(folder), "--where", "deals_final >= 8", "--method", "cart", "--depth", "2"]) == 0
    assert ((out / "boxes.csv").read_bytes(), (out / "tree.png").read_bytes()) == first


@pytest.mark.parametrize(("where_text", "message"), [
    ("deals_fnal >= 8", "did you mean 'deals_final'"),
    ("__import__('os').system('true')", "unexpected"),
    ("deals_final >=", "expected a number"),
    ("deals_final >= 8 or", "expected an outcome name"),
    ("patron.x1 > 0.5", "unknown outcome 'patron.x1'"),   # a parameter, not an outcome
])
def test_cli_bad_where_exits_2(folder, tmp_path, capsys, where_text, message):
    out = tmp_path / "bad"
    assert main(["discover", str(folder), "--where", where_text, "--method", "cart", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("deterrence discover: --where:")
    assert not out.exists()


def test_cli_refuses_a_folder_it_did_not_make(folder, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert main(["discover", str(folder), "--where", "probes > 1", "--method", "cart", "--out", str(mine)]) == 2
    assert "holds files deterrence did not write (notes.txt)" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_cli_no_such_folder_scenario_or_case(folder, tmp_path, capsys):
    assert main(["discover", str(tmp_path / "nothing"), "--where", "probes > 1", "--method", "cart"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["discover", str(folder), "--where", "probes > 1", "--method", "cart", "--scenario", "t"]) == 2
    assert "no scenario 't'" in capsys.readouterr().err
    assert main(["discover", str(folder), "--where", "probes > 1000", "--method", "cart"]) == 2
    assert "no run satisfies" in capsys.readouterr().err
    assert not (folder / "discover").exists()


# ---- the command on a small Latin hypercube sweep ---------------------------------------------

EXPERIMENT = """\
name: deal_lhs
title: "Deals under further withdrawals over three deal priors"
scenarios: [further_withdrawals]
replications: 10
seed: 20260512
timeseries_runs: 0
design:
  kind: lhs
  points: 20
  parameters:
    patron.deal_appetite: prior
    patron.deal_price: prior
    allies.deal_threat_weight: prior
outcomes: [deals_final, deterrence_failure, probes]
"""


@pytest.fixture(scope="module")
def lhs_sweep(tmp_path_factory):
    """200 runs (20 design points x 10 replications), fast engine, in this process."""
    root = tmp_path_factory.mktemp("discover")
    (root / "deal_lhs.yaml").write_text(EXPERIMENT)
    out = root / "sweep"
    assert main(["sweep", str(root / "deal_lhs.yaml"), "--out", str(out), "--engine", "fast",
                 "--executor", "serial", "--quiet"]) == 0
    return out


@pytest.mark.slow
def test_cli_cart_on_a_sweep(lhs_sweep, tmp_path, capsys):
    out = tmp_path / "cart"
    assert main(["discover", str(lhs_sweep), "--where", "deals_final >= 8", "--method", "cart",
                 "--out", str(out)]) == 0
    assert "box 1: coverage" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {"boxes.csv", "limits.csv", "tree.txt", "tree.png", "tree.pdf",
                                               "discover.md", "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "discover" and manifest["method"] == "cart"
    assert manifest["counts"]["used"] == 200
    params = manifest["parameters"]
    assert {"patron.deal_appetite", "patron.deal_price", "allies.deal_threat_weight"} <= set(params)
    assert "patron.conditionality_threshold" not in params  # fixed in the scenario: a constant
    assert all("." in p for p in params)
    assert set(manifest["files"]) == {"boxes.csv", "limits.csv", "tree.txt", "tree.png", "tree.pdf", "discover.md"}
    assert "## Boxes" in (out / "discover.md").read_text()
    # the same call again replaces its own files: the same bytes
    first = (out / "boxes.csv").read_bytes(), (out / "tree.png").read_bytes()
    assert main(["discover", str(lhs_sweep), "--where", "deals_final >= 8", "--method", "cart",
                 "--out", str(out)]) == 0
    assert ((out / "boxes.csv").read_bytes(), (out / "tree.png").read_bytes()) == first


@pytest.mark.slow
def test_cli_prim_on_a_sweep(lhs_sweep, capsys):
    pytest.importorskip("ema_workbench", reason="PRIM needs the 'ema' extra")
    assert main(["discover", str(lhs_sweep), "--where", "deals_final >= 8 or deterrence_failure == 1"]) == 0
    out = lhs_sweep / "discover"  # the default
    names = {p.name for p in out.iterdir()}
    assert {"boxes.csv", "limits.csv", "peeling.csv", "peeling.png", "peeling.pdf", "discover.md",
            "manifest.json"} <= names
    limits = pd.read_csv(out / "limits.csv")
    assert list(limits.columns) == ["box", "parameter", "low", "high", "data_low", "data_high", "qp_lower", "qp_upper"]
    trajectory = pd.read_csv(out / "peeling.csv")
    assert trajectory["chosen"].sum() == 1


def test_the_report_shows_a_discovery_written_beside_the_results(tmp_path):
    """DIR/discover/ (deterrence discover) becomes the report's peeling figure and boxes table."""
    import json as _json
    from types import SimpleNamespace

    import pandas as pd

    from sim.report.discovery import discovery

    folder, figs = tmp_path / "results", tmp_path / "figures"
    figs.mkdir()
    res = SimpleNamespace(folders=[folder])
    assert discovery(res, figs) is None
    d = folder / "discover"
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(_json.dumps({"command": "discover", "where": "deals_final >= 25",
                                                  "method": "prim", "counts": {"cases": 40, "used": 100}}))
    pd.DataFrame([{"box": 1, "coverage": 0.6, "density": 0.8, "mass": 0.3, "runs": 30, "cases": 24,
                   "restricted": 1}]).to_csv(d / "boxes.csv", index=False)
    pd.DataFrame([{"box": 1, "parameter": "allies.peer_weight", "low": 2.5, "high": 4.0, "data_low": 2.0,
                   "data_high": 4.0, "qp_lower": 0.001, "qp_upper": None}]).to_csv(d / "limits.csv", index=False)
    pd.DataFrame([{"box": 1, "coverage": c, "density": 0.4 + 0.4 * (1 - c), "mass": c / 2, "restricted": r,
                   "chosen": c == 0.6} for c, r in ((1.0, 0), (0.8, 1), (0.6, 1))]).to_csv(d / "peeling.csv", index=False)
    figures, tables = discovery(res, figs)
    assert [f.name for f in figures] == ["discovery_peeling"] and (figs / "discovery_peeling.png").is_file()
    [table] = tables
    assert table.rows == [["1", "0.60", "0.80", "allies.peer_weight", "2.50 to 4.00", "2.00 to 4.00", "0.001"]]


def test_cart_refuses_a_condition_every_run_satisfies():
    """Found by the property tests: a tree cannot tell cases from no other runs."""
    import numpy as np
    import pandas as pd

    from sim.analysis.discovery import DiscoveryError, run_cart

    x = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0)[::-1]})
    with pytest.raises(DiscoveryError, match="every run satisfies"):
        run_cart(x, np.ones(20, dtype=bool))
