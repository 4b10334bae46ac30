"""Gray-zone probing in the 2014-2025 replay, scored against observed Russian gray-zone incidents.

The model's Russia probes one ally in some months (``sim/model/russia.py``); the replay
(``scenarios/replay_2014.yaml``) runs it through the years in which European governments,
think tanks and the press counted Russian sabotage, hostile operations, airspace violations and
NATO's intercepts of Russian aircraft (``sim/data/observed/grayzone_incidents.csv``, every row
with its source and the phrase it was read from).

A model probe is an abstract test of an ally's protection, not any one of these incidents, so
only **shapes** are compared, never levels (a few model probes a year against tens of recorded
incidents says nothing):

* **timing**: each observed change from one year to another (a ratio of two yearly counts of
  the same source, or a growth factor the source gives) against the same ratio of the model's
  mean probes per year, with a bootstrap interval over runs;
* **targets**: the share of a source's incidents that fell on the allies it names, the absence
  of incidents in an ally (Hungary), and, where a source gives counts for at least four allies,
  the rank correlation of those counts with the model's probes per ally.

Each check has its size that matters fixed here, before any run, from the data alone:

* a ratio agrees if the model moves the same way by at least half the observed change on the
  log scale, the observed change capped at a factor of four (so the bar is at most a doubling
  or a halving): bar = sqrt(observed) clipped to [1/2, 2];
* a named-allies share agrees if the model's share reaches at least half the observed share;
* an ally with no incidents agrees if the model gives it less than half the average ally's
  share of probes;
* a rank correlation agrees if Spearman's rho >= 0.5 with an exact one-sided permutation
  p-value <= 0.10, and disagrees if rho <= 0.

The verdict is "agrees" when the model's 90% interval lies wholly on the observed side of the
bar, "disagrees" when it lies wholly on the other side, and "inconclusive" otherwise.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from sim.model.world import ALLIES, DATA_DIR

OBSERVED = DATA_DIR / "observed" / "grayzone_incidents.csv"
COLUMNS = ("id", "measure", "period_start", "period_end", "country", "value", "bound", "publisher", "title",
           "date", "url", "quote", "note")
EUROPE = "EUROPE"
LEVEL = 0.90          # central range of the model's bootstrap intervals
BOOTSTRAP = 1000      # resamples of the runs
MIN_RANKED = 4        # allies with counts needed for a rank correlation


class IncidentDataError(ValueError):
    """The incidents file is malformed; the message names the file, row, field and value."""


@dataclass(frozen=True)
class Incident:
    """One sourced figure: what is counted, where, when, how much, and who said so."""

    id: str
    measure: str
    period_start: str     # YYYY-MM
    period_end: str       # YYYY-MM
    country: str          # an ally's ISO3, "EUROPE", or allies joined by "+"
    value: float | None   # None: the source gives no figure (the quote says what it does give)
    bound: str            # exact, approx, at_least, more_than, or the source's own word
    publisher: str
    title: str
    date: str
    url: str
    quote: str
    note: str

    @property
    def first_year(self) -> int:
        return int(self.period_start[:4])

    @property
    def last_year(self) -> int:
        return int(self.period_end[:4])

    @property
    def allies(self) -> tuple[str, ...]:
        """The allies the row is about (empty for Europe as a whole)."""
        return () if self.country == EUROPE else tuple(self.country.split("+"))

    @property
    def source(self) -> str:
        """The series the row belongs to: its id up to the first underscore (csis, iiss, ap, ...)."""
        return self.id.split("_", 1)[0]

    @property
    def calendar_year(self) -> bool:
        return self.period_start.endswith("-01") and self.period_end.endswith("-12") and self.first_year == self.last_year


def _month(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12


def load_incidents(path: str | Path = OBSERVED) -> list[Incident]:
    """Read and check the incidents file; a bad row raises :class:`IncidentDataError`."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise IncidentDataError(f"{path}: columns are {reader.fieldnames}; expected {list(COLUMNS)}")
        out, seen = [], set()
        for line, row in enumerate(reader, start=2):
            where = f"{path}:{line}"
            for field in ("id", "measure", "country", "bound", "publisher", "url", "quote", "note"):
                if not (row[field] or "").strip():
                    raise IncidentDataError(f"{where}: field '{field}' is empty; every row needs it")
            if row["id"] in seen:
                raise IncidentDataError(f"{where}: id '{row['id']}' repeats an earlier row")
            seen.add(row["id"])
            for field in ("period_start", "period_end"):
                if not _month(row[field]):
                    raise IncidentDataError(f"{where}: {field} '{row[field]}' is not a month YYYY-MM")
            if row["period_end"] < row["period_start"]:
                raise IncidentDataError(f"{where}: period_end '{row['period_end']}' is before period_start "
                                        f"'{row['period_start']}'")
            if not row["url"].startswith(("http://", "https://")):
                raise IncidentDataError(f"{where}: url '{row['url'][:80]}' is not a web address")
            if row["country"] != EUROPE:
                unknown = [c for c in row["country"].split("+") if c not in ALLIES]
                if unknown:
                    raise IncidentDataError(f"{where}: country '{row['country']}' names {unknown}, not allies; "
                                            f"allowed: an ally's ISO3 code, '{EUROPE}', or codes joined by '+'")
            value = None
            if row["value"].strip():
                try:
                    value = float(row["value"])
                except ValueError:
                    raise IncidentDataError(f"{where}: value '{row['value']}' is not a number "
                                            f"(leave it blank where the source gives none)") from None
                if not math.isfinite(value) or value < 0:
                    raise IncidentDataError(f"{where}: value {row['value']} must be a finite count or ratio >= 0")
            out.append(Incident(row["id"], row["measure"], row["period_start"], row["period_end"], row["country"],
                                value, row["bound"], row["publisher"], row["title"], row["date"], row["url"],
                                row["quote"], row["note"]))
    return out


# ------------------------------------------------------------------------------------------------
# What the data say


@dataclass(frozen=True)
class ObservedRatio:
    """A change between two calendar years in one source's count: later year over earlier."""

    ids: tuple[str, ...]
    measure: str
    country: str
    first_year: int
    last_year: int
    value: float
    bound: str


def observed_ratios(incidents: Sequence[Incident]) -> list[ObservedRatio]:
    """Every ratio the data give: the growth factors sources state, and the ratio of each pair of
    consecutive calendar years that one source counts for the same measure and place (the
    earlier count must be positive)."""
    out = [ObservedRatio((r.id,), r.measure, r.country, r.first_year, r.last_year, r.value, r.bound)
           for r in incidents if r.measure.endswith("growth_factor") and r.value is not None]
    yearly: dict[tuple[str, str, str], dict[int, Incident]] = {}
    for r in incidents:
        if r.calendar_year and r.value is not None and not r.measure.endswith("growth_factor"):
            yearly.setdefault((r.source, r.measure, r.country), {})[r.first_year] = r
    for (_, measure, country), by_year in sorted(yearly.items()):
        for y in sorted(by_year):
            a, b = by_year[y], by_year.get(y + 1)
            if b is not None and a.value > 0:
                bound = "exact" if a.bound == b.bound == "exact" else f"{a.bound}/{b.bound}"
                out.append(ObservedRatio((a.id, b.id), measure, country, y, y + 1, b.value / a.value, bound))
    return out


def ratio_bar(observed: float) -> float:
    """The model's ratio that counts as agreeing: half the observed change on the log scale, the
    observed change capped at a factor of 4, so the bar lies in [1/2, 2]."""
    if observed <= 0:
        return 0.5
    return float(np.clip(math.sqrt(observed), 0.5, 2.0))


def ratio_verdict(observed: float, low: float, high: float) -> str:
    """Whether a model ratio with interval [low, high] moved as the observed one did."""
    bar = ratio_bar(observed)
    if observed > 1:
        return "agrees" if low >= bar else "disagrees" if high < bar else "inconclusive"
    if observed < 1:
        return "agrees" if high <= bar else "disagrees" if low > bar else "inconclusive"
    return "inconclusive"  # no observed change has no direction to match


def share_verdict(observed_share: float, low: float, high: float) -> str:
    """A named-allies share agrees if the model reaches at least half the observed share."""
    bar = 0.5 * observed_share
    return "agrees" if low >= bar else "disagrees" if high < bar else "inconclusive"


def absence_verdict(n_allies: int, low: float, high: float) -> str:
    """An ally with no incidents: the model should give it under half the average ally's share."""
    bar = 0.5 / n_allies
    return "agrees" if high < bar else "disagrees" if low >= bar else "inconclusive"


def rank_verdict(rho: float, p: float) -> str:
    return "agrees" if rho >= 0.5 and p <= 0.10 else "disagrees" if rho <= 0 else "inconclusive"


def spearman_permutation(observed: Sequence[float], model: Sequence[float]) -> tuple[float, float]:
    """Spearman's rho and its exact one-sided permutation p-value (the share of orderings of the
    model's values whose rho is at least the one found); for the handful of allies sources name."""
    x, y = np.asarray(observed, dtype=float), np.asarray(model, dtype=float)
    if len(x) != len(y) or len(x) < 3:
        raise ValueError(f"a rank correlation needs two series of equal length >= 3, not {len(x)} and {len(y)}")
    if len(x) > 8:
        raise ValueError(f"exact permutations are enumerated for at most 8 allies, not {len(x)}")
    rho = float(stats.spearmanr(x, y).statistic)
    perms = [float(stats.spearmanr(x, y[list(p)]).statistic) for p in itertools.permutations(range(len(y)))]
    return rho, float(np.mean(np.asarray(perms) >= rho - 1e-12))


# ------------------------------------------------------------------------------------------------
# What the model does


@dataclass(frozen=True)
class ReplayProbes:
    """Probes in a batch of replay runs: ``probes[run, year, ally]`` for each calendar year."""

    years: list[int]
    iso3: list[str]
    probes: np.ndarray
    seed: int

    def columns(self, allies: Sequence[str]) -> np.ndarray:
        """Indices of ``allies`` (every ally if empty)."""
        return np.arange(len(self.iso3)) if not allies else np.array([self.iso3.index(c) for c in allies])

    def rows(self, first: int, last: int) -> np.ndarray:
        """Indices of the calendar years first..last that the replay covers."""
        return np.array([k for k, y in enumerate(self.years) if first <= y <= last], dtype=int)


def replay_probes(runs: int = 400, seed: int = 0, scenario: str = "replay_2014") -> ReplayProbes:
    """Run the replay on the fast engine and keep each ally's probes per calendar year."""
    from sim.engines.fast.batch import Batch
    from sim.engines.runner import run_seed
    from sim.model.loading import load_scenario
    from sim.model.streams import Streams

    class _ProbeBatch(Batch):
        """A batch that also keeps each ally's running count of probes at each month's end."""

        def record(self, t: int) -> None:
            super().record(t)
            self.probes_so_far[t] = self.probes_by_ally

    spec = load_scenario(scenario)
    year0, month0 = (int(x) for x in spec.start.split("-"))
    if month0 != 1 or spec.horizon_months % 12:
        raise ValueError(f"probes per calendar year need a scenario of whole years from January, "
                         f"not {spec.start} for {spec.horizon_months} months")
    seeds = [run_seed(seed, k) for k in range(runs)]
    with np.errstate(all="ignore"):
        batch = _ProbeBatch(spec, seeds, None)
        batch.probes_so_far = np.zeros((batch.T, batch.R, batch.n))
        batch.run(Streams(batch.seeds))
    december = batch.probes_so_far[11::12]                       # [years, runs, allies], running totals
    per_year = np.diff(december, axis=0, prepend=0.0)
    years = [year0 + k for k in range(len(december))]
    return ReplayProbes(years, list(batch.world.iso3), per_year.transpose(1, 0, 2), seed)


def _interval(samples: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(samples, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)


def _resamples(runs: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, runs, size=(BOOTSTRAP, runs))


def model_ratio(rp: ReplayProbes, first: int, last: int, allies: Sequence[str] = (),
                rng: np.random.Generator | None = None) -> tuple[float, float, float]:
    """Mean probes (over runs) against ``allies`` in year ``last`` over year ``first``, with the
    bootstrap interval over runs: (point, low, high)."""
    rng = rng or np.random.default_rng(rp.seed)
    cols = rp.columns(allies)
    a = rp.probes[:, rp.years.index(first), cols].sum(axis=1)
    b = rp.probes[:, rp.years.index(last), cols].sum(axis=1)
    idx = _resamples(len(a), rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = b[idx].mean(axis=1) / a[idx].mean(axis=1)
    lo, hi = _interval(boot[np.isfinite(boot)]) if np.isfinite(boot).any() else (math.nan, math.nan)
    return float(b.mean() / a.mean()) if a.mean() > 0 else math.nan, lo, hi


def model_share(rp: ReplayProbes, first: int, last: int, allies: Sequence[str],
                rng: np.random.Generator | None = None) -> tuple[float, float, float]:
    """Share of all probes in years first..last that fell on ``allies``, pooled over runs, with the
    bootstrap interval over runs: (point, low, high)."""
    rng = rng or np.random.default_rng(rp.seed)
    window = rp.probes[:, rp.rows(first, last), :].sum(axis=1)   # [runs, allies]
    group = window[:, rp.columns(allies)].sum(axis=1)
    total = window.sum(axis=1)
    idx = _resamples(len(total), rng)
    boot = group[idx].sum(axis=1) / total[idx].sum(axis=1)
    return (float(group.sum() / total.sum()), *_interval(boot))


def model_per_ally(rp: ReplayProbes, first: int, last: int, allies: Sequence[str]) -> np.ndarray:
    """Mean probes per run against each of ``allies`` over years first..last."""
    return rp.probes[:, rp.rows(first, last), :][:, :, rp.columns(allies)].sum(axis=1).mean(axis=0)


# ------------------------------------------------------------------------------------------------
# The checks


@dataclass(frozen=True)
class Check:
    """One comparison: what the data say, what the model does, the bar, and the verdict."""

    kind: str           # timing or targets
    what: str
    observed: str
    model: str
    bar: str
    verdict: str
    sources: str


def _window(r: Incident, rp: ReplayProbes) -> tuple[int, int]:
    """The calendar years a source's period touches, within the replay (which ends in December 2025)."""
    return max(r.first_year, rp.years[0]), min(r.last_year, rp.years[-1])


def _years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _sources(incidents: Sequence[Incident], ids: Sequence[str]) -> str:
    by_id = {r.id: r for r in incidents}
    return "; ".join(dict.fromkeys(f"{by_id[i].publisher} ({by_id[i].date.split(' ')[0]})" for i in ids))


def timing_checks(incidents: Sequence[Incident], rp: ReplayProbes, rng: np.random.Generator) -> list[Check]:
    """Every observed year-to-year ratio the replay covers, against the model's."""
    out = []
    for ratio in observed_ratios(incidents):
        if ratio.first_year not in rp.years or ratio.last_year not in rp.years:
            continue
        allies = () if ratio.country == EUROPE else ratio.country.split("+")
        point, lo, hi = model_ratio(rp, ratio.first_year, ratio.last_year, allies, rng)
        where = "Europe" if ratio.country == EUROPE else ratio.country
        bar = ratio_bar(ratio.value)
        out.append(Check(
            "timing", f"{ratio.measure.replace('_', ' ')}, {where}, {ratio.last_year} / {ratio.first_year}",
            f"{ratio.value:.2f} ({ratio.bound})", f"{point:.2f} [{lo:.2f}, {hi:.2f}]",
            f"{'>=' if ratio.value > 1 else '<='} {bar:.2f}", ratio_verdict(ratio.value, lo, hi),
            _sources(incidents, ratio.ids)))
    return out


def target_checks(incidents: Sequence[Incident], rp: ReplayProbes, rng: np.random.Generator) -> list[Check]:
    """Named-allies shares, allies with no incidents, and rank correlations per source and period."""
    out = []
    n = len(rp.iso3)
    for r in incidents:   # shares a source states for a group of allies
        if r.measure.startswith("share_of") and r.value is not None:
            first, last = _window(r, rp)
            if first > last:   # a period the replay does not reach
                continue
            point, lo, hi = model_share(rp, first, last, r.allies, rng)
            out.append(Check("targets", f"share on {', '.join(r.allies)}, {_years(first, last)}",
                             f"{'> ' if r.bound == 'more_than' else ''}{r.value:.2f}",
                             f"{point:.3f} [{lo:.3f}, {hi:.3f}]", f">= {0.5 * r.value:.2f}",
                             share_verdict(r.value, lo, hi), _sources(incidents, [r.id])))
    groups: dict[tuple[str, str, str, str], list[Incident]] = {}
    for r in incidents:
        if not r.measure.startswith("share_of") and not r.measure.endswith("growth_factor"):
            groups.setdefault((r.source, r.measure, r.period_start, r.period_end), []).append(r)
    for (_, measure, _, _), rows in sorted(groups.items()):
        total = next((r for r in rows if r.country == EUROPE and r.value), None)
        counted = [r for r in rows if len(r.allies) == 1 and r.value is not None]
        if not counted:
            continue
        first, last = _window(rows[0], rp)
        if first > last:
            continue
        named = [r for r in counted if r.value > 0]
        if total is not None and named:
            observed = sum(r.value for r in named) / total.value
            allies = [r.country for r in named]
            point, lo, hi = model_share(rp, first, last, allies, rng)
            out.append(Check("targets", f"{measure.replace('_', ' ')}: share on {', '.join(allies)}, "
                                        f"{_years(first, last)}",
                             f"{observed:.2f}", f"{point:.3f} [{lo:.3f}, {hi:.3f}]", f">= {0.5 * observed:.2f}",
                             share_verdict(observed, lo, hi),
                             _sources(incidents, [total.id] + [r.id for r in named])))
        # an ally's absence speaks to targeting only where the source counted across allies
        across = total is not None or len(counted) > 1
        for r in counted:
            if across and r.value == 0 and r.bound == "exact":
                point, lo, hi = model_share(rp, first, last, r.allies, rng)
                out.append(Check("targets", f"{measure.replace('_', ' ')}: none in {r.country}, {_years(first, last)}",
                                 "0", f"{point:.3f} [{lo:.3f}, {hi:.3f}] (average ally {1 / n:.3f})",
                                 f"< {0.5 / n:.3f}", absence_verdict(n, lo, hi), _sources(incidents, [r.id])))
        if len(counted) >= MIN_RANKED:
            allies = [r.country for r in counted]
            rho, p = spearman_permutation([r.value for r in counted], model_per_ally(rp, first, last, allies))
            out.append(Check("targets", f"{measure.replace('_', ' ')}: rank of {', '.join(allies)}, "
                                        f"{_years(first, last)}",
                             ", ".join(f"{r.country} {r.value:g}" for r in counted),
                             f"Spearman {rho:+.2f}, exact p = {p:.2f}", "rho >= 0.5 and p <= 0.10",
                             rank_verdict(rho, p), _sources(incidents, [r.id for r in counted])))
    return out


@dataclass(frozen=True)
class ProbingScore:
    """The replay's probing scored against the observed incidents."""

    checks: list[Check]
    per_year: dict[int, tuple[float, float, float]]   # all allies: mean, 5%, 95% over runs
    runs: int
    seed: int
    rows: int
    sources: int

    def counts(self) -> dict[str, int]:
        return {v: sum(c.verdict == v for c in self.checks) for v in ("agrees", "disagrees", "inconclusive")}


def score(runs: int = 400, seed: int = 0, path: str | Path = OBSERVED) -> ProbingScore:
    """Run the replay ``runs`` times (fast engine) and score its probing against the data."""
    incidents = load_incidents(path)
    rp = replay_probes(runs, seed)
    rng = np.random.default_rng([seed, 13])   # the bootstrap's own stream, apart from the runs'
    checks = timing_checks(incidents, rp, rng) + target_checks(incidents, rp, rng)
    totals = rp.probes.sum(axis=2)
    per_year = {y: (float(totals[:, k].mean()), *map(float, np.quantile(totals[:, k], [0.05, 0.95])))
                for k, y in enumerate(rp.years)}
    return ProbingScore(checks, per_year, runs, seed, len(incidents), len({r.url for r in incidents}))


def probing_markdown(result: ProbingScore | None = None, *, runs: int = 400, seed: int = 0) -> str:
    """The validation report's section on gray-zone probing (runs the replay unless given a score)."""
    s = result or score(runs, seed)
    c = s.counts()
    lines = [
        "## Gray-zone probing against observed incidents",
        "",
        f"The replay of 2014-2025 (`replay_2014`, {s.runs} fast-engine runs, root seed {s.seed}) against "
        f"`sim/data/observed/grayzone_incidents.csv` ({s.rows} figures from {s.sources} stored pages: "
        "CSIS, IISS, AP, ICCT and GLOBSEC counts of Russian sabotage and hostile operations, Estonia's "
        "airspace violations, NATO's intercepts of Russian aircraft). A model probe is an abstract test of "
        "an ally's protection, so only shapes are compared: year-to-year ratios and the allies targeted. "
        "Bars are fixed from the data before any run (`sim/analysis/probing.py`); intervals are 90% "
        "bootstraps over runs.",
        "",
        f"**{c['agrees']} of {len(s.checks)} checks agree, {c['disagrees']} disagree, "
        f"{c['inconclusive']} are inconclusive** ("
        + "; ".join(f"{kind}: {sum(k.verdict == 'agrees' for k in s.checks if k.kind == kind)} of "
                    f"{sum(k.kind == kind for k in s.checks)} agree" for kind in ("timing", "targets")) + ").",
        "",
        "| check | observed | model | bar | verdict | source |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {k.what} | {k.observed} | {k.model} | {k.bar} | {k.verdict} | {k.sources} |" for k in s.checks]
    lines += ["", "Model probes per year, all allies (mean [5%, 95%] over runs): " + ", ".join(
        f"{y} {m:.1f} [{lo:.0f}, {hi:.0f}]" for y, (m, lo, hi) in s.per_year.items()) + ".", ""]
    return "\n".join(lines)
