"""What must hold in every run, whatever the parameters: checked by both engines as a run goes,
and by ``deterrence verify`` on a result folder.

* no NaN or infinity where a number is expected (allies' spending, GDP, capability, dependence;
  every monthly series);
* beliefs (allies' credibility of the guarantee, Russia's belief in US will) in [0, 1];
* troops hosted by each ally non-negative, and troops hosted plus the US forces at home constant
  (troops move, none are made or lost; home may go below zero: troops sent from the US);
* counts of allies (with a deal, at 2%, choosing a strategy) within 0 and the number of allies,
  shares within [0, 1], counts of moves and troops non-negative.

When: at the end of every twelfth month and of the last (:func:`due`), the same months in both
engines so that both report a broken run alike: the monthly series of the months since the last
check, month by month (every month's aggregates, where a NaN anywhere in the allies' state
shows), then the allies' own state (each ally's beliefs and troops). Checking the state every month would cost the
fast engine about 3% of its time; at these months it costs under 1%.

Written once, on arrays whose first axis is the runs (the fast engine's ``[runs, allies]``; the
Mesa engine's one run is a batch of one), as a few whole-array reductions: the check of a month
costs a handful of numpy calls however many runs there are. A violation is raised as
:class:`InvariantViolation`, naming the invariant, the run's seed and the month, so that the
run can be replayed (``AllianceModel(scenario, rng=seed)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ALLY_STATE = ("credibility", "troops_permanent", "troops_rotational", "share", "gdp", "capability",
              "enabler_dependence")  # each ally's, as both engines name it (Russia's belief: per ally, the adversary's)
CHECK_EVERY = 12  # months between checks of the allies' state (and the last month)
TROOPS_TOLERANCE = 1e-6  # relative: moves are sums of tranches in floating point

# Allowed range of a value by its unit (sim.model.outcomes): (low, high, NaN allowed).
# "allies" as the high end means the number of allies.
RANGES: dict[str, tuple[float, float | str, bool]] = {
    "probability": (0.0, 1.0, False),
    "share of allies": (0.0, 1.0, False),
    "0-1": (0.0, 1.0, False),
    "0/1": (0.0, 1.0, False),
    "allies": (0.0, "allies", False),
    "moves": (0.0, np.inf, False),
    "troops": (0.0, np.inf, False),
    "ratio": (0.0, np.inf, False),
    "% of GDP": (0.0, np.inf, False),
    "USD bn per year": (0.0, np.inf, False),
    "months": (0.0, np.inf, True),  # NaN: it never happened
}


class InvariantViolation(ArithmeticError):
    """A run broke an invariant; the message names it, the run's seed and the month."""

    def __init__(self, invariant: str, seed: int | None, month: int | None, detail: str = ""):
        self.invariant, self.seed, self.month = invariant, seed, month
        when = f"in month {month}" if month is not None else "at the end"
        super().__init__(f"invariant broken: {invariant} (seed {seed}, {when}{'; ' + detail if detail else ''}); "
                         f"replay with AllianceModel(scenario, rng={seed})")


def due(month: int, horizon: int) -> bool:
    """Whether the allies' state is checked at the end of ``month`` (0-based)."""
    return (month + 1) % CHECK_EVERY == 0 or month + 1 == horizon


def _first(bad: np.ndarray) -> int | None:
    """Index of the first run where ``bad`` (over runs, or runs x allies) is true."""
    rows = bad.reshape(bad.shape[0], -1).any(axis=1) if bad.ndim > 1 else bad
    hit = np.flatnonzero(rows)
    return int(hit[0]) if hit.size else None


def check_state(month: int, seeds: Sequence[int], *, credibility: np.ndarray, russia_belief: np.ndarray,
                troops_permanent: np.ndarray, troops_rotational: np.ndarray, troops_home: np.ndarray | float,
                troops_total: np.ndarray | float, share: np.ndarray, gdp: np.ndarray, capability: np.ndarray,
                enabler_dependence: np.ndarray) -> None:
    """Raise :class:`InvariantViolation` for the first run whose state breaks an invariant in
    ``month``. Arrays are ``[runs, allies]`` (or ``[allies]`` for one run); ``troops_home`` and
    ``troops_total`` (hosted plus home at the start) are per run."""
    as2 = lambda x: np.asarray(x, dtype=float).reshape(len(seeds), -1)  # noqa: E731
    numbers = (("allies' defence spending share", share), ("allies' GDP", gdp), ("allies' capability", capability),
               ("allies' enabler dependence", enabler_dependence))
    # One reduction over everything first: the common case (nothing wrong) costs little.
    beliefs = (("allies' belief in the guarantee in [0, 1]", credibility),
               ("Russia's belief in US will in [0, 1]", russia_belief))
    perm, rot = as2(troops_permanent), as2(troops_rotational)
    hosted = perm.sum(axis=1) + rot.sum(axis=1)
    home = np.broadcast_to(np.asarray(troops_home, dtype=float), (len(seeds),))
    total = np.broadcast_to(np.asarray(troops_total, dtype=float), (len(seeds),))
    drift = np.abs(hosted + home - total) > TROOPS_TOLERANCE * np.maximum(1.0, np.abs(total))
    lows = min(float(np.min(perm)), float(np.min(rot)), *(float(np.min(as2(b))) for _, b in beliefs))
    highs = max(float(np.max(as2(b))) for _, b in beliefs)
    finite = all(np.isfinite(np.sum(as2(x))) for _, x in numbers)
    if lows >= 0.0 and highs <= 1.0 and finite and not drift.any():
        return
    for name, x in numbers:
        _raise_at(~np.isfinite(as2(x)), f"{name} a finite number", seeds, month)
    for name, b in beliefs:
        b = as2(b)
        _raise_at(~((b >= 0.0) & (b <= 1.0)), name, seeds, month)
    _raise_at((perm < 0) | (rot < 0) | ~np.isfinite(perm) | ~np.isfinite(rot),
              "troops hosted by each ally non-negative", seeds, month)
    _raise_at(drift | ~np.isfinite(hosted + home), "troops hosted plus US forces at home constant", seeds, month)


def _raise_at(bad: np.ndarray, invariant: str, seeds: Sequence[int], month: int | None) -> None:
    run = _first(bad)
    if run is not None:
        raise InvariantViolation(invariant, int(seeds[run]), month)


def series_bounds(units: Mapping[str, str], n_allies: int) -> dict[str, tuple[float, float, bool]]:
    """(low, high, NaN allowed) of each named value from its unit; unknown units: finite only."""
    out = {}
    for name, unit in units.items():
        low, high, nan_ok = RANGES.get(unit, (-np.inf, np.inf, False))
        out[name] = (low, float(n_allies) if high == "allies" else float(high), nan_ok)
    return out


def first_violation(values: Mapping[str, np.ndarray], bounds: Mapping[str, tuple[float, float, bool]]
                    ) -> tuple[int, int | None, str] | None:
    """(run, month or None, invariant) of the first value out of its bounds, or None.

    ``values``: name -> ``[runs, months]`` (monthly series) or ``[runs]`` (outcomes). The run is
    the first that breaks any invariant; its month the first month of that run that does."""
    worst: tuple[int, int | None, str] | None = None
    for name, x in values.items():
        if name not in bounds:
            continue
        low, high, nan_ok = bounds[name]
        x = np.asarray(x, dtype=float)
        if x.size == 0:
            continue
        # two reductions without temporaries first (a NaN makes both NaN); the search only on failure
        lo, hi = (np.nanmin(x), np.nanmax(x)) if nan_ok and not np.isnan(x).all() else (np.min(x), np.max(x))
        if (nan_ok and np.isnan(lo)) or (lo >= low and hi <= high):
            continue
        with np.errstate(invalid="ignore"):
            bad = ~((x >= low) & (x <= high))
        if nan_ok:
            bad &= ~np.isnan(x)
        if not bad.any():
            continue
        run = _first(bad)
        month = int(np.flatnonzero(bad[run])[0]) if bad.ndim > 1 else None
        if worst is None or (run, month if month is not None else -1) < (worst[0], worst[1] if worst[1] is not None else -1):
            span = f"in [{low:g}, {high:g}]" if np.isfinite(high) else f"at least {low:g}"
            worst = (run, month, f"{name} {span}" + ("" if nan_ok else ", a finite number"))
    return worst


def window(month: int) -> int:
    """The first month of the checks made at the end of ``month`` (the months since the last)."""
    return month - month % CHECK_EVERY


def check_series(seeds: Sequence[int], series: Mapping[str, np.ndarray], n_allies: int, first_month: int = 0) -> None:
    """Raise :class:`InvariantViolation` for the first run whose monthly series (``[runs,
    months]`` each, or ``[months]`` for one run, from ``first_month`` on) leave their ranges."""
    from sim.model.outcomes import SERIES

    bounds = series_bounds({name: d.unit for name, d in SERIES.items()}, n_allies)
    found = first_violation({k: np.asarray(v).reshape(len(seeds), -1) for k, v in series.items()}, bounds)
    if found is not None:
        run, month, invariant = found
        raise InvariantViolation(invariant, int(seeds[run]), None if month is None else first_month + month)
