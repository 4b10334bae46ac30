"""Market prices for signposts (``--odds FILE``), set beside the simulated probabilities.

The file is a small CSV with columns ``signpost, price, source, date``: a signpost id of the
scenarios, the price read as a probability (0 to 1; a price quoted in cents or percent, 0 to
100, is divided by 100 when every price of the file is above 1), where it came from and when.
Lines starting with '#' are comments (``experiments/odds_example.csv`` is an example with
illustrative prices, not market data).
"""

from __future__ import annotations

import csv
import difflib
import math
from pathlib import Path

import pandas as pd

from sim.report import data as D

REQUIRED = ("signpost", "price")
COLUMNS = ("signpost", "price", "source", "date")


def read_odds(path: Path, known: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Read and check an odds file against the signpost ids ``known`` in the results.

    Returns the prices of known signposts and a note for each priced signpost the results lack
    (a sweep keeps only its experiment's outcomes); a file none of whose signposts is in the
    results, or with a malformed row, is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise D.ReportInputError(f"--odds {path}: no such file")
    with open(path, newline="", encoding="utf-8") as f:
        numbered = [(i, line) for i, line in enumerate(f, start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise D.ReportInputError(f"--odds {path}: empty file; expected columns {', '.join(COLUMNS)}")
    reader = csv.DictReader(line for _, line in numbered)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise D.ReportInputError(f"--odds {path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    rows, problems, absent = [], [], []
    for (lineno, _), raw in zip(numbered[1:], reader, strict=False):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        sid = row.get("signpost", "").removeprefix("signpost.")
        try:
            price = float(row.get("price", ""))
        except ValueError:
            problems.append(f"line {lineno}: price {row.get('price', '')!r} is not a number")
            continue
        if not math.isfinite(price) or price < 0 or price > 100:
            problems.append(f"line {lineno}: price {price:g} is not a probability (0 to 1) or a percent (0 to 100)")
            continue
        if sid not in known:
            close = difflib.get_close_matches(sid, known, n=1)
            absent.append(f"{sid!r} (line {lineno})" + (f", did you mean {close[0]!r}?" if close else ""))
            continue
        rows.append({"signpost": sid, "price": price, "source": row.get("source", ""), "date": row.get("date", "")})
    if problems:
        raise D.ReportInputError(f"--odds {path}: " + "; ".join(problems))
    if not rows:
        have = f"signposts in these results: {', '.join(known)}" if known else "these results have no signposts"
        raise D.ReportInputError(f"--odds {path}: no priced signpost is in these results ({have})")
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    if (df["price"] > 1).all():
        df["price"] = df["price"] / 100.0
    elif (df["price"] > 1).any():
        raise D.ReportInputError(f"--odds {path}: prices mix probabilities (0 to 1) and percents; use one scale")
    dup = df["signpost"][df["signpost"].duplicated()].unique()
    if len(dup):
        raise D.ReportInputError(f"--odds {path}: more than one price for {', '.join(dup)}")
    notes = [f"Market price of a signpost not in these results: {a}" for a in absent]
    return df, notes


def compare_odds(res: D.Results, odds: pd.DataFrame) -> pd.DataFrame:
    """One row per priced signpost and scenario: probability, Wilson 95% interval, price, and
    whether the price lies outside the interval (and on which side)."""
    rows = []
    for _, o in odds.iterrows():
        col = f"signpost.{o['signpost']}"
        for g in res.groups:
            sel = res.runs.loc[res.runs["group"] == g, col] if col in res.runs else pd.Series(dtype=float)
            if sel.notna().sum() == 0:
                continue
            e = D.probability(sel)
            verdict = ("consistent" if e.low <= o["price"] <= e.high
                       else "model higher" if e.low > o["price"] else "model lower")
            rows.append({"signpost": o["signpost"], "group": g, "runs": e.n, "probability": e.value,
                         "low": e.low, "high": e.high, "price": o["price"], "source": o["source"],
                         "date": o["date"], "verdict": verdict})
    return pd.DataFrame(rows, columns=["signpost", "group", "runs", "probability", "low", "high", "price",
                                       "source", "date", "verdict"])


def disagreements(comparison: pd.DataFrame, res: D.Results) -> list[str]:
    """Sentences naming each scenario and signpost where the price lies outside the interval."""
    out = []
    for _, r in comparison[comparison["verdict"] != "consistent"].iterrows():
        side = "above" if r["verdict"] == "model higher" else "below"
        out.append(f"{D.display(r['group'])}: '{D.label('signpost.' + r['signpost'], res).removeprefix('Signpost: ')}' "
                   f"simulated at {r['probability']:.2f} [{r['low']:.2f}, {r['high']:.2f}], "
                   f"{side} the market price {r['price']:.2f}.")
    return out
