"""Gray-zone probing against observed incidents (sim/analysis/probing.py) and its data file."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from sim.analysis import probing
from sim.analysis.probing import (
    Incident,
    IncidentDataError,
    ReplayProbes,
    absence_verdict,
    load_incidents,
    model_ratio,
    model_share,
    observed_ratios,
    ratio_bar,
    ratio_verdict,
    share_verdict,
    spearman_permutation,
)

# ------------------------------------------------------------------------------------------------
# The data file


def test_every_row_parses_and_names_its_source():
    rows = load_incidents()
    assert len(rows) >= 40
    for r in rows:
        assert r.publisher and r.url.startswith("http") and r.quote and r.note and r.date, r.id
    # the sources the issue names are all there
    assert {"csis", "iiss", "ap", "icct"} <= {r.source for r in rows}


@pytest.mark.parametrize(("row_id", "value", "phrase"), [
    ("csis_2023", 12, "2023 (12 attacks)"),
    ("csis_2024", 34, "2024 (34 attacks)"),
    ("csis_hun", 0, "Hungary, have not faced any recorded attacks"),
    ("ap_total_2025_12", 145, "145 incidents"),
    ("icct_total", 151, "at least 151 hostile operations"),
    ("iiss_deu", 12, "(12 actes recensés)"),
    ("nato_scr_2022", 570, "570 times"),
])
def test_figures_match_the_phrase_they_were_read_from(row_id, value, phrase):
    row = {r.id: r for r in load_incidents()}[row_id]
    assert row.value == value
    assert phrase in row.quote


def test_a_blank_figure_stays_blank():
    """Poland's ICCT count is not in the stored page: the row says so rather than guessing."""
    row = {r.id: r for r in load_incidents()}["icct_pol"]
    assert row.value is None and row.bound == "most"


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=probing.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def _row(**change):
    row = dict(id="x_2024", measure="sabotage_attacks", period_start="2024-01", period_end="2024-12",
               country="EUROPE", value="3", bound="exact", publisher="P", title="T", date="2025-01",
               url="https://example.org/a", quote="three attacks", note="a count")
    row.update(change)
    return row


@pytest.mark.parametrize(("change", "words"), [
    ({"country": "XXX"}, ["country 'XXX'", "allowed"]),
    ({"url": ""}, ["field 'url' is empty"]),
    ({"period_start": "2024"}, ["period_start '2024'", "YYYY-MM"]),
    ({"value": "many"}, ["value 'many' is not a number"]),
    ({"period_end": "2023-12"}, ["before period_start"]),
])
def test_a_bad_row_is_named_with_its_line_and_field(tmp_path, change, words):
    path = _write(tmp_path / "bad.csv", [_row(), _row(id="x_2025", **change)])
    with pytest.raises(IncidentDataError) as err:
        load_incidents(path)
    assert f"{path}:3" in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_a_repeated_id_is_refused(tmp_path):
    with pytest.raises(IncidentDataError, match="repeats"):
        load_incidents(_write(tmp_path / "dup.csv", [_row(), _row()]))


# ------------------------------------------------------------------------------------------------
# The scoring functions on made-up inputs


def _incident(id_, measure, year, value, country="EUROPE", bound="exact", last=None):
    start, end = (f"{year}-01", f"{year}-12") if last is None else (f"{year}-01", f"{last}-12")
    return Incident(id_, measure, start, end, country, value, bound, "P", "T", "d", "https://e.org", "q", "n")


def test_observed_ratios_from_consecutive_counts_and_stated_growth():
    rows = [
        _incident("s_2022", "attacks", 2022, 0.0),     # a zero earlier year gives no ratio
        _incident("s_2023", "attacks", 2023, 12.0),
        _incident("s_2024", "attacks", 2024, 34.0),
        _incident("s_2026", "attacks", 2026, 5.0),     # not consecutive with 2024
        _incident("t_2024", "attacks", 2024, 99.0),    # another source: never paired with s_
        _incident("g_growth", "attack_growth_factor", 2022, 4.0, bound="approx", last=2023),
    ]
    ratios = {(r.ids, r.first_year, r.last_year): r.value for r in observed_ratios(rows)}
    assert ratios == {(("g_growth",), 2022, 2023): 4.0, (("s_2023", "s_2024"), 2023, 2024): 34 / 12}


@pytest.mark.parametrize(("observed", "bar"), [
    (4.0, 2.0), (26.0, 2.0), (2.83, math.sqrt(2.83)), (0.0, 0.5), (0.53, math.sqrt(0.53)), (0.1, 0.5),
])
def test_ratio_bar_is_half_the_log_change_capped_at_a_doubling(observed, bar):
    assert ratio_bar(observed) == pytest.approx(bar)


@pytest.mark.parametrize(("observed", "low", "high", "verdict"), [
    (4.0, 2.1, 3.0, "agrees"),
    (4.0, 1.0, 1.5, "disagrees"),
    (4.0, 1.5, 2.5, "inconclusive"),
    (0.5, 0.5, 0.6, "agrees"),          # bar sqrt(0.5) = 0.71
    (0.0, 0.9, 1.2, "disagrees"),
    (1.0, 0.9, 1.1, "inconclusive"),    # no observed change: nothing to match
])
def test_ratio_verdict(observed, low, high, verdict):
    assert ratio_verdict(observed, low, high) == verdict


def test_share_and_absence_verdicts():
    assert share_verdict(0.5, 0.26, 0.30) == "agrees"
    assert share_verdict(0.5, 0.10, 0.24) == "disagrees"
    assert share_verdict(0.5, 0.20, 0.30) == "inconclusive"
    assert absence_verdict(31, 0.001, 0.010) == "agrees"       # bar 0.5 / 31 = 0.016
    assert absence_verdict(31, 0.035, 0.041) == "disagrees"
    assert absence_verdict(31, 0.010, 0.020) == "inconclusive"


def test_spearman_with_exact_permutation_p():
    rho, p = spearman_permutation([1, 2, 3, 4], [10, 20, 30, 40])
    assert rho == pytest.approx(1.0) and p == pytest.approx(1 / 24)
    rho, p = spearman_permutation([1, 2, 3, 4], [40, 30, 20, 10])
    assert rho == pytest.approx(-1.0) and p == pytest.approx(1.0)
    with pytest.raises(ValueError, match="equal length"):
        spearman_permutation([1, 2, 3], [1, 2])


def _made_up_probes():
    # two identical runs (so the bootstrap interval collapses on the point), years 2022-2023,
    # allies A, B, C: 2022 -> 1, 1, 2 probes; 2023 -> 4, 0, 4
    one = np.array([[1.0, 1.0, 2.0], [4.0, 0.0, 4.0]])
    return ReplayProbes([2022, 2023], ["AAA", "BBB", "CCC"], np.stack([one, one]), seed=0)


def test_model_ratio_and_share_on_made_up_runs():
    rp = _made_up_probes()
    rng = np.random.default_rng(0)
    assert model_ratio(rp, 2022, 2023, (), rng) == pytest.approx((2.0, 2.0, 2.0))         # 8 / 4
    assert model_ratio(rp, 2022, 2023, ["AAA"], rng) == pytest.approx((4.0, 4.0, 4.0))
    assert model_share(rp, 2022, 2023, ["AAA", "BBB"], rng) == pytest.approx((0.5, 0.5, 0.5))  # 6 / 12
    assert model_share(rp, 2023, 2023, ["BBB"], rng) == pytest.approx((0.0, 0.0, 0.0))


def _target_checks(model_counts):
    """A source counting Europe (10) and four allies (4, 3, 2 and none), against made-up runs."""
    iso = ["AAA", "BBB", "CCC", "DDD"]
    rp = ReplayProbes([2022], iso, np.array([[model_counts]] * 3, dtype=float), seed=0)
    rows = [_incident("z_total", "ops", 2022, 10.0)] + [
        _incident(f"z_{c.lower()}", "ops", 2022, v, country=c) for c, v in zip(iso, (4.0, 3.0, 2.0, 0.0), strict=True)]
    return {c.what.split(":")[1].split(",")[0].strip(): c.verdict
            for c in probing.target_checks(rows, rp, np.random.default_rng(0))}


def test_target_checks_agree_with_a_model_that_targets_as_the_data_do():
    # share 9 of 10 observed, 9 of 9 in the model; none in DDD; rho = 1 with exact p = 1/24
    assert _target_checks([4, 3, 2, 0]) == {"share on AAA": "agrees", "none in DDD": "agrees",
                                            "rank of AAA": "agrees"}


def test_target_checks_disagree_with_a_model_that_targets_the_other_way():
    # the model probes DDD most: share on AAA-CCC 3 of 13, DDD 10 of 13, rho = -1
    assert _target_checks([0, 1, 2, 10]) == {"share on AAA": "disagrees", "none in DDD": "disagrees",
                                             "rank of AAA": "disagrees"}


# ------------------------------------------------------------------------------------------------
# End to end, a few runs


def test_replay_probes_add_up_to_the_engines_probes_per_ally():
    """The per-year counts (December running totals, differenced) sum to each ally's probes over
    the run as the fast engine reports them."""
    from sim.engines.runner import run_chunk, run_seed
    from sim.model.loading import load_scenario

    rp = probing.replay_probes(runs=3, seed=5)
    assert rp.years == list(range(2014, 2026)) and rp.probes.shape == (3, 12, 31)
    assert (rp.probes >= 0).all() and (rp.probes == np.round(rp.probes)).all()
    results = run_chunk(load_scenario("replay_2014"), [run_seed(5, k) for k in range(3)], engine="fast")
    for k, res in enumerate(results):
        engine = [res.outcomes[f"ally.{c}.probes"] for c in rp.iso3]
        np.testing.assert_array_equal(rp.probes[k].sum(axis=0), engine)
        np.testing.assert_array_equal(rp.probes[k].sum(axis=1), res.series["probes"].reshape(12, 12).sum(axis=1))


def test_markdown_section_lists_every_check():
    s = probing.score(runs=4, seed=1)
    md = probing.probing_markdown(s)
    assert md.startswith("## Gray-zone probing against observed incidents")
    assert sum(line.startswith("| ") and "|---" not in line for line in md.splitlines()) == len(s.checks) + 1
    assert len(s.checks) >= 10 and {c.kind for c in s.checks} == {"timing", "targets"}
    assert all(c.verdict in ("agrees", "disagrees", "inconclusive") for c in s.checks)
    assert probing.probing_markdown(probing.score(runs=4, seed=1)) == md     # the same bits again
