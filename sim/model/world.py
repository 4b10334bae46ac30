"""Calibration data: the allies, the US and Russia as they stood in a year from 2014 to 2025.

Reads the CSV files in ``sim/data/`` (each row keeps its ``source``; see ``sim/data/README.md``):
NATO, *Defence Expenditure of NATO Countries (2014-2025)*, Aug 2025 edition, Table 3 and the
personnel table; World Bank WDI NY.GDP.MKTP.CD; DMDC location reports (Mar 2024-Dec 2025) and
press figures for rotational forces; SIPRI Military Expenditure Database; IISS *The Military
Balance 2025*. Every gap filled is stated, one sentence each, in ``World.gaps``.
"""

from __future__ import annotations

import csv
import functools
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

ALLIES: tuple[str, ...] = (
    "ALB", "BEL", "BGR", "CAN", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA",
    "GBR", "GRC", "HRV", "HUN", "ISL", "ITA", "LTU", "LUX", "LVA", "MKD", "MNE",
    "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "SWE", "TUR",
)  # fmt: skip
HISTORY_YEARS = range(2014, 2026)
ALIGNMENTS = ("atlanticist", "europeanist", "russia_leaning")

# The World Bank copy ends in 2023. 4% a year is an assumption of the order of IMF World Economic
# Outlook projections for Europe and Canada (about 1-2% real growth plus about 2% inflation); it
# ignores exchange-rate moves against the dollar, which were large in 2025.
NOMINAL_GDP_GROWTH = 0.04
LAST_GDP_YEAR = 2023

# Blank in NATO's Aug 2025 edition (German budget not adopted by its cut-off); NATO's Annual
# Report of March 2026 gives about 2.4 (see sim/data/README.md).
DEU_2025_DEFENCE_SHARE = 2.4

# The only Russian personnel row is IISS early 2025 (1,134,000); its note gives the pre-war
# estimate of 900,000, which is nearer in time than the 2025 figure for years before the 2022
# invasion.
RUSSIA_PREWAR_PERSONNEL = 900_000.0
FULL_INVASION_YEAR = 2022

# The data's own note calls this a likely exercise or prepositioning artefact: every other
# quarter shows 10-14 Marines in Norway.
_DMDC_ARTEFACTS = {("NOR", "2024-03-31"): "1,367 Marine Corps active duty"}

EARTH_RADIUS_KM = 6371.0

_SIPRI_DB = "SIPRI Military Expenditure Database"
_DMDC = "dmdc_active_duty_permanently_assigned"
_PRESS_TOTAL = "press_estimate_total_incl_rotational"


@dataclass(frozen=True, eq=False)
class World:
    """The calibrated state of the allies (``ALLIES`` order), the US and Russia in ``year``."""

    year: int
    iso3: tuple[str, ...]
    name: tuple[str, ...]
    gdp_usd_bn: np.ndarray
    defence_share: np.ndarray
    personnel_k: np.ndarray
    distance_km: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    land_border: np.ndarray
    us_troops_permanent: np.ndarray
    us_troops_rotational: np.ndarray
    alignment: tuple[str, ...]
    logistics_hub: np.ndarray
    russia_gdp_usd_bn: float
    russia_defence_share: float
    russia_milex_usd_bn: float
    russia_personnel: float
    us_defence_share: float
    gaps: tuple[str, ...]
    sources: Mapping[str, str]

    @property
    def n(self) -> int:
        return len(self.iso3)

    def index(self, iso3: str) -> int:
        """Position of ``iso3`` in the arrays; KeyError naming the valid codes otherwise."""
        try:
            return self.iso3.index(iso3)
        except ValueError:
            valid = ", ".join(self.iso3)
            raise KeyError(f"unknown ally {iso3!r}; valid codes: {valid}") from None


# ---------------------------------------------------------------------------------------------
# Reading


@functools.cache
def _rows(filename: str) -> tuple[dict[str, str], ...]:
    with (DATA_DIR / filename).open(newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def _num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


@functools.cache
def _nato() -> dict[tuple[str, int], dict[str, str]]:
    table = {(r["iso3"], int(r["year"])): r for r in _rows("nato_defence_expenditure.csv")}
    missing = [(c, y) for c in (*ALLIES, "USA") for y in HISTORY_YEARS if (c, y) not in table]
    if missing:
        raise ValueError(f"nato_defence_expenditure.csv lacks rows for {missing}")
    return table


def _by_iso3(filename: str) -> dict[str, dict[str, str]]:
    table = {r["iso3"]: r for r in _rows(filename)}
    missing = [c for c in ALLIES if c not in table]
    if missing:
        raise ValueError(f"{filename} lacks rows for {missing}")
    return table


def _label(iso3: str) -> str:
    return f"{_nato()[iso3, HISTORY_YEARS.start]['country']} ({iso3})"


def _cite(row: dict[str, str]) -> str:
    """A press row's source without its URL, and the figure's date where the source lacks it."""
    short = row["source"].split(" http")[0].strip()
    return short if row["date"] in short else f"{short}, figure for {row['date']}"


# ---------------------------------------------------------------------------------------------
# Allies: GDP, defence share, personnel


def _carry_forward(
    iso3: str, field: str, column: str, year: int, unit: str, gaps: list[str]
) -> float:
    nato = _nato()
    for earlier in range(year - 1, HISTORY_YEARS.start - 1, -1):
        value = _num(nato[iso3, earlier][column])
        if value is not None:
            name = nato[iso3, year]["country"]
            gaps.append(
                f"{name} ({iso3}), {field}, {year}: blank in NATO's Aug 2025 edition; carried "
                f"forward from {earlier} ({value:g} {unit}, same source)."
            )
            return value
    raise ValueError(f"{iso3} {column}: no value in or before {year} to carry forward")


def _ally_series(year: int, gaps: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nato = _nato()
    gdp, share, personnel = [], [], []
    for iso3 in ALLIES:
        row = nato[iso3, year]
        if iso3 == "ISL":
            s, p = 0.0, 0.0
        else:
            s = _num(row["defence_pct_gdp"])
            if s is None and iso3 == "DEU" and year == 2025:
                s = DEU_2025_DEFENCE_SHARE
                gaps.append(
                    f"Germany (DEU), defence_share, 2025: blank in NATO's Aug 2025 edition (budget "
                    f"not adopted by the cut-off); set to {DEU_2025_DEFENCE_SHARE} % of GDP from "
                    f"NATO's Annual Report (March 2026)."
                )
            elif s is None:
                s = _carry_forward(iso3, "defence_share", "defence_pct_gdp", year, "% of GDP", gaps)
            p = _num(row["personnel_k"])
            if p is None:
                p = _carry_forward(iso3, "personnel_k", "personnel_k", year, "thousand", gaps)
        if year <= LAST_GDP_YEAR:
            g = _num(row["gdp_usd_bn"])
            if g is None:
                g = _carry_forward(iso3, "gdp_usd_bn", "gdp_usd_bn", year, "USD bn", gaps)
        else:
            base = _num(nato[iso3, LAST_GDP_YEAR]["gdp_usd_bn"])
            if base is None:
                raise ValueError(f"{iso3}: no {LAST_GDP_YEAR} GDP to grow forward")
            g = base * (1.0 + NOMINAL_GDP_GROWTH) ** (year - LAST_GDP_YEAR)
        gdp.append(g)
        share.append(s)
        personnel.append(p)
    gaps.append(
        f"Iceland (ISL), defence_share and personnel_k, {year}: Iceland has no armed forces and "
        f"NATO reports no defence expenditure for it; both set to 0 (it remains a member that "
        f"spends nothing)."
    )
    if year > LAST_GDP_YEAR:
        gaps.append(
            f"All 31 allies, gdp_usd_bn, {year}: the World Bank WDI series (NY.GDP.MKTP.CD) in the "
            f"data ends in {LAST_GDP_YEAR}; {LAST_GDP_YEAR} GDP grown at an assumed "
            f"{NOMINAL_GDP_GROWTH:.0%} a year nominal in USD (NOMINAL_GDP_GROWTH, of the order of "
            f"IMF WEO projections; an assumption, not a forecast)."
        )
    return np.array(gdp), np.array(share), np.array(personnel)


# ---------------------------------------------------------------------------------------------
# US troops


def _permanent_troops(year: int, gaps: list[str]) -> np.ndarray:
    by_host: dict[str, dict[str, float]] = {}
    for r in _rows("us_troops_europe.csv"):
        if r["measure"] == _DMDC:
            by_host.setdefault(r["iso3"], {})[r["date"]] = float(r["value"])
    dates = sorted({d for host in by_host.values() for d in host})
    year_end = f"{year}-12-31"
    eligible = [d for d in dates if d <= year_end]
    quarter = eligible[-1] if eligible else dates[0]
    if not eligible:
        gaps.append(
            f"All 31 allies, us_troops_permanent, {year}: the DMDC series in the data begins in "
            f"{dates[0][:7]}; that earliest quarter is used (a replay sets troops by scenario)."
        )
    troops = []
    for iso3 in ALLIES:
        host = by_host.get(iso3, {})
        used = quarter
        if (iso3, quarter) in _DMDC_ARTEFACTS:
            used = min(d for d in host if d > quarter)
            gaps.append(
                f"{_label(iso3)}, us_troops_permanent, {year}: DMDC {quarter[:7]} "
                f"({host[quarter]:,.0f}) includes {_DMDC_ARTEFACTS[iso3, quarter]}, a likely "
                f"exercise or prepositioning artefact (the data's note); the next quarter, "
                f"{used[:7]} ({host[used]:,.0f}), is used instead."
            )
        troops.append(host.get(used, 0.0))
    return np.array(troops)


def _press_total(rows: list[dict[str, str]], year: int) -> tuple[dict[str, str], bool]:
    """The latest press total dated on or before the year's end, else the earliest (a gap)."""
    rows = sorted(rows, key=operator.itemgetter("date"))
    eligible = [r for r in rows if r["date"] <= f"{year}-12-31"]
    return (eligible[-1], False) if eligible else (rows[0], True)


def _rotational_troops(year: int, permanent: np.ndarray, gaps: list[str]) -> np.ndarray:
    press: dict[str, list[dict[str, str]]] = {}
    baltic: list[dict[str, str]] = []
    for r in _rows("us_troops_europe.csv"):
        if r["measure"] != _PRESS_TOTAL:
            continue
        if r["iso3"] in ALLIES:
            press.setdefault(r["iso3"], []).append(r)
        elif r["country"].startswith("Baltic states"):
            baltic.append(r)

    totals: dict[str, tuple[float, str]] = {}
    carried: list[str] = []
    for iso3, rows in press.items():
        r, back = _press_total(rows, year)
        totals[iso3] = (float(r["value"]), _cite(r))
        if back:
            carried.append(iso3)
    if baltic and "LTU" in totals:
        r, back = _press_total(baltic, year)
        rest = (float(r["value"]) - totals["LTU"][0]) / 2.0
        why = (
            f"half of the Baltic total of 'up to' {float(r['value']):,.0f} ({_cite(r)}) "
            f"less Lithuania's {totals['LTU'][0]:,.0f}"
        )
        for iso3 in ("EST", "LVA"):
            totals.setdefault(iso3, (rest, why))
            if back:
                carried.append(iso3)

    rotational = np.zeros(len(ALLIES))
    for iso3, (total, why) in sorted(totals.items()):
        i = ALLIES.index(iso3)
        rotational[i] = max(0.0, total - permanent[i])
        gaps.append(
            f"{_label(iso3)}, us_troops_rotational, {year}: press total {total:,.0f} ({why}) "
            f"less DMDC permanent {permanent[i]:,.0f} = {rotational[i]:,.0f}."
        )
    if carried:
        gaps.append(
            f"{', '.join(_label(c) for c in sorted(carried))}, us_troops_rotational, {year}: "
            f"no press figure dated on or before {year}; the earliest 2025 figure is carried "
            f"back unchanged (a replay sets troops by scenario)."
        )
    brigade = (
        "left from Oct 2025" if year >= 2025 else "is split by host in the data only for Romania"
    )
    gaps.append(
        f"The other {len(ALLIES) - len(totals)} allies, us_troops_rotational, {year}: no per-host "
        f"press figure; set to 0. The itemised rotational total ({rotational.sum():,.0f}) is "
        f"below the press 'roughly 20,000' of Oct 2025 (Stars and Stripes, 31 Oct 2025), partly "
        f"because the brigade of about 3,000 in Romania, Bulgaria, Hungary and Slovakia {brigade}, "
        f"partly because some rotations have no reported host."
    )
    return rotational


# ---------------------------------------------------------------------------------------------
# Russia and the US


def _russia_metric(metric: str, year: int) -> float | None:
    """SIPRI's own database row where there is one, else the secondary report."""
    rows = [
        r for r in _rows("russia_military.csv") if r["metric"] == metric and int(r["year"]) == year
    ]
    if not rows:
        return None
    rows.sort(key=lambda r: not r["source"].startswith(_SIPRI_DB))
    return float(rows[0]["value"])


def _russia(year: int, gaps: list[str]) -> tuple[float, float, float, float]:
    share = _russia_metric("milex_pct_gdp", year)
    milex = _russia_metric("milex_usd_current", year)
    if share is None or milex is None:
        raise ValueError(f"russia_military.csv lacks SIPRI spending for {year}")
    share_pct, milex_bn = share, milex / 1000.0
    gdp = _russia_metric("gdp_usd_current", year)
    if gdp is not None:
        gdp_bn = gdp
    else:
        gdp_bn = milex_bn / (share_pct / 100.0)
        gaps.append(
            f"Russia, russia_gdp_usd_bn, {year}: World Bank GDP in the data ends in "
            f"{LAST_GDP_YEAR}; derived as SIPRI spending / SIPRI share ({milex_bn:,.1f} / "
            f"{share_pct:g} % = {gdp_bn:,.0f} USD bn) so that the three Russian figures agree."
        )
    rows = [r for r in _rows("russia_military.csv") if r["metric"] == "active_personnel_estimate"]
    (iiss,) = rows
    iiss_year, iiss_value = int(iiss["year"]), float(iiss["value"])
    if year == iiss_year:
        personnel = iiss_value
    elif year < FULL_INVASION_YEAR:
        personnel = RUSSIA_PREWAR_PERSONNEL
        gaps.append(
            f"Russia, russia_personnel, {year}: no figure for the year; the pre-war IISS estimate "
            f"of {RUSSIA_PREWAR_PERSONNEL:,.0f} (cited with the {iiss_year} figure) is used."
        )
    else:
        personnel = iiss_value
        gaps.append(
            f"Russia, russia_personnel, {year}: no figure for the year; the nearest wartime "
            f"figure, IISS early {iiss_year} ({iiss_value:,.0f}), is used."
        )
    return gdp_bn, share_pct, milex_bn, personnel


def _frozen(values, dtype=np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


_SOURCES = {
    "defence_share": "NATO, Defence Expenditure of NATO Countries (2014-2025), Aug 2025 edition, "
    "Table 3 (2024-2025 are estimates; revisions of up to 0.3-0.4 points between editions; "
    "pre-July-2026 definition, not 'core')",
    "personnel_k": "NATO, Defence Expenditure of NATO Countries, Aug 2025 edition, personnel table",
    "gdp_usd_bn": "World Bank WDI NY.GDP.MKTP.CD (to 2023), grown forward at NOMINAL_GDP_GROWTH",
    "distance_km": "haversine from the capital to Moscow, R = 6371 km, capital coordinates from a "
    "public country-capitals table (capitals_distance_to_moscow.csv)",
    "lat": "public country-capitals coordinate table (capitals_distance_to_moscow.csv)",
    "lon": "public country-capitals coordinate table (capitals_distance_to_moscow.csv)",
    "land_border": "author's coding from standard geography (RUS incl. Kaliningrad, or BLR)",
    "us_troops_permanent": "DMDC Military and Civilian Personnel by Service/Agency by "
    "State/Country, total active duty, permanently assigned (via meflynn/troopdata)",
    "us_troops_rotational": "press totals (Stars and Stripes, romaniajournal.ro, resurgamhub.org, "
    "english.realtribune.ru; 2025) less DMDC permanent",
    "alignment": "judgement coding (sim/data/alignment.csv; see docs/ODD.md)",
    "logistics_hub": "judgement coding of US staging value (sim/data/alignment.csv)",
    "russia_defence_share": "SIPRI Military Expenditure Database (Apr 2025 release) to 2024; 2025: "
    "SIPRI Apr 2026 release as reported by ICAEW (May 2026); SIPRI definition, not NATO's",
    "russia_milex_usd_bn": "SIPRI, current USD (same releases as russia_defence_share)",
    "russia_gdp_usd_bn": "World Bank WDI NY.GDP.MKTP.CD to 2023; later years SIPRI spending / "
    "SIPRI share",
    "russia_personnel": "IISS, The Military Balance 2025 (via Sasakawa Peace Foundation): about "
    "1,134,000 active in early 2025; pre-war estimate 900,000",
    "us_defence_share": "NATO, Defence Expenditure of NATO Countries, Aug 2025 edition, Table 3",
}


# ---------------------------------------------------------------------------------------------
# Public functions


@functools.lru_cache(maxsize=len(HISTORY_YEARS))
def load_world(year: int = 2025) -> World:
    """The calibrated World for ``year`` (2014-2025); cached, and immutable for that reason."""
    try:
        y = operator.index(year)
    except TypeError:
        y = None
    if y is None or isinstance(year, bool) or y not in HISTORY_YEARS:
        raise ValueError(
            f"year must be an integer from {HISTORY_YEARS.start} to {HISTORY_YEARS.stop - 1}, "
            f"got {year!r}"
        )
    gaps: list[str] = []
    gdp, share, personnel = _ally_series(y, gaps)
    permanent = _permanent_troops(y, gaps)
    rotational = _rotational_troops(y, permanent, gaps)
    russia_gdp, russia_share, russia_milex, russia_personnel = _russia(y, gaps)

    capitals = _by_iso3("capitals_distance_to_moscow.csv")
    coding = _by_iso3("alignment.csv")
    alignment = tuple(coding[c]["alignment"] for c in ALLIES)
    hub = _frozen([float(coding[c]["logistics_hub"]) for c in ALLIES])
    bad = [c for c, a in zip(ALLIES, alignment, strict=True) if a not in ALIGNMENTS]
    if bad or np.any((hub < 0) | (hub > 1)):
        raise ValueError(f"alignment.csv: bad alignment for {bad} or logistics_hub outside [0, 1]")

    nato = _nato()
    return World(
        year=y,
        iso3=ALLIES,
        name=tuple(nato[c, y]["country"] for c in ALLIES),
        gdp_usd_bn=_frozen(gdp),
        defence_share=_frozen(share),
        personnel_k=_frozen(personnel),
        distance_km=_frozen([float(capitals[c]["dist_capital_to_moscow_km"]) for c in ALLIES]),
        lat=_frozen([float(capitals[c]["lat"]) for c in ALLIES]),
        lon=_frozen([float(capitals[c]["lon"]) for c in ALLIES]),
        land_border=_frozen(
            [bool(capitals[c]["land_border_with_russia_or_belarus"].strip()) for c in ALLIES],
            dtype=bool,
        ),
        us_troops_permanent=_frozen(permanent),
        us_troops_rotational=_frozen(rotational),
        alignment=alignment,
        logistics_hub=hub,
        russia_gdp_usd_bn=russia_gdp,
        russia_defence_share=russia_share,
        russia_milex_usd_bn=russia_milex,
        russia_personnel=russia_personnel,
        us_defence_share=float(nato["USA", y]["defence_pct_gdp"]),
        gaps=tuple(gaps),
        sources=MappingProxyType(dict(_SOURCES)),
    )


def defence_share_history() -> dict[str, dict[int, float]]:
    """Defence % of GDP as published (NATO Aug 2025 edition, Table 3), iso3 -> {year: value}.

    All 32 members including the USA, as NATO's own counts of allies at 2% include it. Blanks are
    left out: Germany 2025, and Iceland entirely (no armed forces), so Iceland has no key.
    """
    history: dict[str, dict[int, float]] = {}
    for r in _rows("nato_defence_expenditure.csv"):
        value = _num(r["defence_pct_gdp"])
        if value is not None and math.isfinite(value):
            history.setdefault(r["iso3"], {})[int(r["year"])] = value
    return history


def pairwise_distance_km(world: World) -> np.ndarray:
    """Great-circle distance between capitals, [n, n] km (haversine, R = 6371 km)."""
    lat = np.radians(world.lat)
    lon = np.radians(world.lon)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    d = (d + d.T) / 2.0  # exact symmetry despite rounding
    np.fill_diagonal(d, 0.0)
    return d
