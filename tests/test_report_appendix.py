"""The report as an appendix, without drawing: scenarios named by their titles, rare counts
summarised as the probability of any and the counts where there are any (never a negative bound),
the false-discovery-rate adjustment of the differences, how each signpost can fire, deals that
fire and lapse, LaTeX tables split to fit the page, calendar ticks, counts as whole numbers, the
command line recorded, and SVG. The whole report (drawn, compiled with pdflatex on A4 and letter,
and its first screen in headless Chromium) is checked by the slow tests of test_report.py."""

from __future__ import annotations

import math
import re
import types
from html import escape

import numpy as np
import pandas as pd
import pytest
import test_report
from scipy import stats

from sim.experiments.summary import format_summary, is_rare_count, rare_count, summary_rows
from sim.report import data as D
from sim.report import tables as T
from sim.report.figures.fans import calendar_ticks
from sim.report.scenarios import deal_notes, describe, signpost_mark, signpost_status
from sim.report.style import plt

# The fixtures of test_report.py: three scenarios x 12 runs x 24 months, and their runs in one folder.
run_folders = test_report.run_folders
combined = test_report.combined


def _incursions(n: int = 1000, some: int = 23) -> np.ndarray:
    """A heavy-tailed count as the model gives it: none in most runs, about a hundred in a few."""
    x = np.zeros(n)
    x[:some] = 100 + np.arange(some) % 10
    return x


# ---- rare counts --------------------------------------------------------------------------------


def test_a_rare_count_has_no_negative_bound_and_its_mean_inside_its_range():
    x = _incursions()
    assert is_rare_count(x, "moves") and not is_rare_count(x + 1, "moves") and not is_rare_count(x, "% of GDP")
    r = rare_count(x)
    assert r["p_any"] == pytest.approx(0.023)
    ci = stats.binomtest(23, 1000).proportion_ci(method="wilson")
    assert (r["p_low"], r["p_high"]) == pytest.approx((ci.low, ci.high)), "Wilson, from scipy's binomtest"
    some = x[x > 0]
    assert r["mean"] == pytest.approx(some.mean()) and r["median"] == pytest.approx(np.median(some))
    for stat in ("mean", "median"):
        assert some.min() <= r[f"{stat}_low"] <= r[stat] <= r[f"{stat}_high"] <= some.max(), stat
    assert rare_count(x) == r, "a fixed bootstrap seed: the same runs give the same intervals"


def test_run_summary_prints_a_rare_count_as_the_probability_of_any():
    """`deterrence run` printed '0.228 [0, 0]' for incursions: a mean outside its own 5-95% range."""
    rows = dict((name, text) for name, _, text in summary_rows({"incursions": _incursions(),
                                                                 "deals_final": np.arange(1000) % 7 * 1.0}))
    assert rows["incursions"].startswith("P(any) 0.023") and "if any (23 runs): median" in rows["incursions"]
    assert "[-" not in rows["incursions"]
    assert rows["deals_final"].startswith("3"), "an ordinary count keeps its mean [5%, 95% of runs]"
    assert "P(any)" in format_summary("x", 1000, 0, list(summary_rows({"incursions": _incursions()})))


def test_the_report_adds_the_parts_of_a_rare_count(run_folders):
    res = D.load_results([run_folders[0]])
    if "incursions" not in res.rare_counts:
        pytest.skip("no run of these results without an incursion")
    any_, if_any = res.runs["incursions.any"], res.runs["incursions.if_any"]
    assert set(any_.dropna()) <= {0.0, 1.0} and (if_any.dropna() > 0).all()
    assert D.is_probability("incursions.any") and D.unit("incursions.if_any") == D.unit("incursions")
    e = D.estimate(res, res.groups[0], "incursions.if_any")
    assert e.n == int(any_.sum()) and (math.isnan(e.low) or e.low >= 1.0)


# ---- names ------------------------------------------------------------------------------------------


def test_scenarios_are_named_by_their_titles(combined):
    D.load_results([combined])
    assert D.display("troops_to_poland") == "Troops Go to Poland"
    assert D.display("status_quo") == "Status Quo"
    assert D.display("troops_to_poland / hub_kept") == "Troops Go to Poland / hub kept"
    assert D.short_title("Unconditional Presence in Poland: what would change this") == "Unconditional Presence in Poland"


# ---- many comparisons ----------------------------------------------------------------------------


def test_false_discovery_rate_and_family_wise_adjustments():
    p = np.array([0.001, 0.01, 0.03, 0.04, np.nan, 0.5])
    bh = D.adjust(p, "bh")
    assert np.isnan(bh[4])
    assert bh[~np.isnan(p)] == pytest.approx(stats.false_discovery_control(p[~np.isnan(p)], method="bh"))
    holm = D.adjust(p, "holm")
    assert holm[0] == pytest.approx(0.005) and holm[1] == pytest.approx(0.04) and holm[5] == pytest.approx(0.5)
    assert (holm[~np.isnan(p)] >= bh[~np.isnan(p)] - 1e-12).all(), "Holm is the stricter"
    e = D.Estimate(1.0, 0.5, 1.5, 400)
    assert e.p == pytest.approx(2 * stats.t.sf(1.0 / (0.5 / stats.t.ppf(0.975, 399)), 399))


def test_differences_table_counts_the_comparisons_and_adjusts_them(combined):
    res = D.load_results([combined])
    table = T.differences_table(res)
    m = len(table.data)
    assert f"{m:,} comparisons" in table.caption and "Benjamini-Hochberg" in table.caption
    assert {"p", "q_bh", "p_holm", "clear_fdr"} <= set(table.data.columns)
    assert [h.replace("\n", " ") for h in table.headers[1:]] == [D.display(g) for g in res.groups[1:]], "wide"
    cells = [c for row in table.rows for c in row[1:] if c != "n/a"]
    assert len(cells) == m and all("\nq " in c for c in cells)
    assert sum("not clear" in c for c in cells) == int((~table.data["clear_fdr"]).sum())
    ok = table.data.dropna(subset=["p"])
    assert (ok["q_bh"] >= ok["p"] - 1e-12).all() and (ok["p_holm"] >= ok["q_bh"] - 1e-12).all()
    assert "paired by replication and seed" in table.caption


def test_unpaired_differences_are_not_captioned_as_paired(combined):
    res = D.load_results([combined])
    ref = res.runs["group"] == res.reference
    res.runs.loc[ref, "seed"] = res.runs.loc[ref, "seed"] + 1  # two folders run with different seeds
    res.runs.loc[ref, "replication"] = res.runs.loc[ref, "replication"] + 1000
    table = T.differences_table(res)
    assert not table.data["paired"].any()
    assert "paired by replication and seed" not in table.caption and "Welch" in table.caption
    assert all("unpaired" in cell for row in table.rows for cell in row[1:] if cell != "n/a")


# ---- signposts, deals, scenarios ---------------------------------------------------------------------


def _results_with(specs: dict) -> types.SimpleNamespace:
    return types.SimpleNamespace(scenarios=list(specs), specs=specs, start="2026-05", memo={}, groups=list(specs),
                                 runs=pd.DataFrame({"group": []}), reference="status_quo")


SIGNPOSTS = [
    {"id": "second_withdrawal", "label": "A second withdrawal within 90 days", "event": "withdrawal",
     "exclude_host": "DEU", "within_months": 3},
    {"id": "eu_budget", "label": "EU budget doubles", "event": "eu_budget", "requires": []},
    {"id": "hague", "label": "16 allies at 3.5%", "series": "allies_at_pledge", "at_least": 16, "by": "2035-12"},
]


def test_each_signpost_says_how_it_can_happen():
    quiet = {"id": "romania_cut", "kind": "withdrawal", "host": "ROU", "troops": 800, "duration_months": 6,
             "month": "2026-06", "announce": False}
    specs = {
        "status_quo": {"title": "Status Quo", "events": [], "signposts": SIGNPOSTS},
        "quiet": {"title": "Quiet", "events": [quiet], "signposts": SIGNPOSTS},
        "loud": {"title": "Loud", "signposts": SIGNPOSTS, "events": [
            {**quiet, "announce": True, "month": None, "hazard": {"monthly": 0.3}},
            {"id": "budget", "kind": "eu_budget", "month": "2027-01", "multiplier": 2.0}]},
        "decided": {"title": "Decided", "signposts": SIGNPOSTS, "events": [
            {**quiet, "announce": True, "month": None,
             "hazard": {"monthly": 0.1, "rises_with": "host_not_paying", "slope": 0.2}}]},
    }
    res = _results_with(specs)  # not whole scenarios: read as recorded, as an older manifest would be
    status = {k: v.kind for k, v in signpost_status(res).items()}
    assert status[("status_quo", "second_withdrawal")] == "none"
    assert status[("quiet", "second_withdrawal")] == "unannounced"
    assert status[("loud", "second_withdrawal")] == "scripted timing", "a constant hazard: the scenario sets it"
    assert status[("decided", "second_withdrawal")] == "emerges", "a hazard rising with the agents' decisions"
    assert status[("loud", "eu_budget")] == "scripted" and status[("quiet", "hague")] == "series"
    assert signpost_mark(res, "quiet", "second_withdrawal") == " (not announced)"
    assert signpost_mark(res, "loud", "eu_budget") == " (scripted)"
    assert signpost_mark(res, "decided", "second_withdrawal") == ""
    text = describe(res)
    assert any("not announced" in line for line in text[1].scripted)
    assert text[2].chance[0].startswith("800 US troops leave ROU") and "monthly probability of 0.3" in text[2].chance[0]


def test_signposts_of_shipped_scenarios_read_as_the_model_reads_them(combined):
    from sim.model.loading import load_scenario
    from sim.model.outcomes import signpost_origin

    res = D.load_results([combined])
    status = signpost_status(res)
    for name in res.scenarios:
        scenario = load_scenario(name)
        for sp in scenario.signposts:
            origin = signpost_origin(scenario, sp)
            assert status[(name, sp.id)].kind == {"simulated": "series", "cannot happen": "none"}.get(origin, origin)


def test_a_basing_deal_that_fires_and_lapses_is_explained():
    deal = {"id": "polish_basing_deal", "kind": "basing_deal", "host": "POL", "price": 0.3, "troops": 0,
            "hazard": {"monthly": {"dist": "uniform", "low": 0.2, "high": 0.5}}}
    res = _results_with({"troops_to_poland": {"title": "T", "events": [deal], "signposts": [],
                                              "start": "2026-05", "horizon_months": 120}})
    res.runs = pd.DataFrame({"group": ["troops_to_poland"] * 4, "ally.POL.deal": [0.0, 0.0, 0.0, 1.0]})
    (note,) = deal_notes(res, "troops_to_poland")
    assert "lapse" in note and "ODD 7.12" in note and "April 2036" in note
    assert "25.0% of runs" in note, "how often the host still holds a deal at the horizon"


def test_scenarios_say_what_they_assume_apart_from_the_status_quo(combined):
    res = D.load_results([combined])
    text = {s.name: s for s in describe(res)}
    assert text["status_quo"].title.startswith("Status Quo") and "counterfactual" in text["status_quo"].narrative
    fw = text["further_withdrawals"]
    assert any(a.startswith("patron.deal_appetite = 0.3 to 0.7") and "status quo: " in a for a in fw.assumes)
    assert any(s.startswith("May 2026: 5,000 US troops leave DEU for home") for s in fw.scripted)
    assert any("romania_reduction" in c for c in fw.chance)


# ---- tables ---------------------------------------------------------------------------------------


def test_a_table_too_wide_for_the_page_is_split_by_columns():
    headers = ["Ally", "Scenario", "Runs"] + [h for i in range(4) for h in (f"Metric {i}", "95% interval")]
    rows = [["Poland (POL)", "Troops Go to Poland", "10,000"] + ["0.123", "[0.111, 0.135]"] * 4]
    t = T.Table("wide", "Wide", "A caption.", pd.DataFrame(), headers, rows, "llr" + "rl" * 4, keep=3, unit=2)
    parts = T.latex_parts(t)
    assert len(parts) >= 2 and all(p[:3] == [0, 1, 2] for p in parts), "the key columns in every part"
    assert sorted({i for p in parts for i in p[3:]}) == list(range(3, 11)), "every column once"
    assert all((i - 3) % 2 == 0 for p in parts for i in p[3::2]), "a value stays with its interval"
    tex = T.to_latex(t)
    assert tex.count("\\begin{longtable}") == len(parts) and f"(part 1 of {len(parts)})" in tex
    narrow = T.Table("narrow", "N", "c", pd.DataFrame(), headers[:5], [r[:5] for r in rows], "llrrl")
    assert T.latex_parts(narrow) == [[0, 1, 2, 3, 4]]


def test_two_line_cells_and_thousands_separators():
    t = T.Table("x", "X", "c", pd.DataFrame(), ["Outcome", "Troops Go to\nPoland"], [["a", "0.52\n[0.50, 0.54]"]], "lr")
    tex = T.to_latex(t)
    assert "\\begin{tabular}[t]{@{}r@{}}0.52 \\\\{}[0.50, 0.54]\\end{tabular}" in tex, "\\\\{} keeps [ from \\\\[...]"
    assert "| 0.52 [0.50, 0.54] |" in T.to_markdown(t)
    assert T.count(50000) == "50,000" and T.number(12345.0) == "12,345"


def test_outcomes_table_is_wide_with_a_column_per_scenario(combined):
    res = D.load_results([combined])
    table = T.outcomes_table(res)
    assert table.headers[0] == "Outcome (unit)" and len(table.headers) == 1 + len(res.groups)
    assert [h.replace("\n", " ") for h in table.headers[1:]] == [D.display(g) for g in res.groups]
    assert len({row[0] for row in table.rows}) == len(table.rows), "each outcome once"
    assert {"scenario", "estimate", "low", "high"} <= set(table.data.columns), "the CSV keeps the long form"


# ---- figures' axes ------------------------------------------------------------------------------------


def test_time_axes_show_calendar_years():
    fig, ax = plt.subplots()
    calendar_ticks(ax, 120, "2026-05", width_in=1.0)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2030", "2035"], labels
    assert list(ax.get_xticks()) == [44, 104], "January 2030 is month 44 from May 2026"
    calendar_ticks(ax, 24, "2026-05", width_in=3.0)
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Jul 2026", "Jan 2027"]
    plt.close(fig)


def test_count_bands_are_whole_numbers(combined):
    res = D.load_results([combined])
    b = D.bands(res, res.groups[0], "allies_with_deal", counts=True)
    quantiles = b[["p5", "p25", "p50", "p75", "p95"]].to_numpy()
    assert np.array_equal(quantiles, np.round(quantiles)), "no band interpolates fractions of an ally"
    assert "mean" in b


# ---- the page -------------------------------------------------------------------------------------


def test_the_page_opens_with_the_question_and_keeps_a_place_for_the_attribution(combined, tmp_path):
    from sim.report.attribution import NOT_BUILT
    from sim.report.figures import Figure
    from sim.report.html import write_html

    res = D.load_results([combined])
    tables = [T.scenarios_table(res), T.signposts_table(res), T.outcomes_table(res), T.differences_table(res)]
    page = write_html(tmp_path, res, [], tables, ["Heatmaps: none."], [], "deterrence report x", "Report").read_text()
    heads = re.findall(r'<h2 id="([^"]+)">', page)
    assert heads == ["question", "scenarios", "findings", "attribution", "figures", "tables", "reproducibility",
                     "not-in-report"]
    assert escape(NOT_BUILT) in page
    for s in res.scenarios:
        assert f'id="scenario-{s}"' in page and res.specs[s]["title"] in page
    assert page.index('id="table-signposts"') < page.index('id="findings"'), "signposts with the scenarios"
    assert page.index('id="findings"') < page.index('id="table-differences"') < page.index('id="attribution"')
    assert "Status Quo: no difference" not in page, "the reference is not compared with itself"
    fig = Figure("attribution_deals", "Where the deals come from", "A caption.", [tmp_path / "attribution_deals.png"])
    table = T.Table("attribution", "Attribution", "A caption.", pd.DataFrame(), ["Ingredient"], [["troops"]], "l")
    page = write_html(tmp_path, res, [], tables, [], [], "c", "Report", attributed=([fig], [table])).read_text()
    section = page[page.index('id="attribution"'): page.index('id="figures"')]
    assert 'id="fig-attribution_deals"' in section and "Figure 1. Where the deals come from" in section
    assert 'id="table-attribution"' in section and escape(NOT_BUILT) not in page
