"""Judgement parameters: their flat names, and each run's draw from the scenario's priors.

Names are dotted paths, the same in YAML, results and designs: ``patron.deal_price``,
``allies.max_ramp``, ``events.germany_withdrawal.troops``, ``events.second_wave.hazard.monthly``.

Each parameter is drawn by name: its uniform is the first double of a stream of its own,
``default_rng([seed, PARAMETER_STREAM, key])`` with ``key`` a 64-bit hash of the full dotted
name (:func:`name_key`), separate from the chance within the run (the two layers of
stochasticity stay separable). So

* every scenario uses the same uniform for the same parameter (common random numbers: paired
  comparisons between scenarios);
* adding, removing or reordering a parameter, in the schema or in a scenario's events, leaves
  every other parameter's draw unchanged.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from sim.model.priors import _Prior, as_prior
from sim.model.scenario import HAZARD_RANGES, Scenario, event_id, month_index
from sim.model.streams import PARAMETER_STREAM, Streams

SECTIONS = ("patron", "beliefs", "allies", "adversary", "pillar")

Fixed = Mapping[str, "float | Sequence[float] | np.ndarray"]
"""Fixed parameter values by name: a number for every run, or one number per run."""


def _section_parameter_names() -> tuple[str, ...]:
    names = []
    for section in SECTIONS:
        cls = Scenario.model_fields[section].annotation
        names += [f"{section}.{field}" for field in cls.model_fields]  # type: ignore[union-attr]
    return tuple(names)


SECTION_PARAMETERS: tuple[str, ...] = _section_parameter_names()
"""Every section parameter, in the fixed order used to draw them."""


def event_prior_fields(event) -> list[tuple[str, _Prior]]:
    """(name suffix, prior) of an event's numeric judgement fields, hazard included."""
    out = []
    for field in type(event).model_fields:
        if field in ("hazard", "id", "label", "month", "kind", "host", "to", "hosts",
                     "duration_months", "announce", "conditional", "tariff_from", "tariff_to"):
            continue
        value = getattr(event, field)
        if isinstance(value, (int, float, _Prior)) and not isinstance(value, bool):
            out.append((field, as_prior(value)))
    if event.hazard is not None:
        out.append(("hazard.monthly", as_prior(event.hazard.monthly)))
        out.append(("hazard.slope", as_prior(event.hazard.slope)))
    return out


def judgement_parameters(scenario: Scenario) -> dict[str, _Prior]:
    """Every judgement parameter of a scenario with its prior, sections first, then events."""
    out: dict[str, _Prior] = {}
    for name in SECTION_PARAMETERS:
        section, field = name.split(".")
        out[name] = as_prior(getattr(getattr(scenario, section), field))
    for i, event in enumerate(scenario.events):
        eid = event_id(event, i)
        for suffix, prior in event_prior_fields(event):
            out[f"events.{eid}.{suffix}"] = prior
    return out


def _range(field) -> tuple[float, float, str] | None:
    extra = field.json_schema_extra if field is not None else None
    if not isinstance(extra, dict) or "range" not in extra:
        return None
    lo, hi = extra["range"]
    return float(lo), float(hi), str(extra.get("unit", ""))


def parameter_ranges(scenario: Scenario) -> dict[str, tuple[float, float, str]]:
    """(low, high, unit) allowed for each judgement parameter of a scenario, from the schema:
    the ranges a scenario file's values are checked against, for checking values given elsewhere
    (an experiment's fixed values, arms and design levels)."""
    out: dict[str, tuple[float, float, str]] = {}
    for name in SECTION_PARAMETERS:
        section, field = name.split(".")
        found = _range(type(getattr(scenario, section)).model_fields[field])
        if found is not None:
            out[name] = found
    for i, event in enumerate(scenario.events):
        eid = event_id(event, i)
        for suffix, _ in event_prior_fields(event):
            if suffix.startswith("hazard."):
                lo, hi = HAZARD_RANGES[suffix.split(".")[1]]
                found = (lo, hi, "probability per month" if suffix == "hazard.monthly" else "per unit of its state")
            else:
                found = _range(type(event).model_fields.get(suffix))
            if found is not None:
                out[f"events.{eid}.{suffix}"] = found
    return out


def identifier(name: str) -> str:
    """A parameter's dotted name as a Python identifier, for tools that need one (keyword
    arguments, EMA Workbench): ``patron.deal_price`` -> ``patron__deal_price``."""
    return name.replace(".", "__")


def from_identifiers(scenario: Scenario, values: dict[str, float]) -> dict[str, float]:
    """``values`` keyed by dotted names, from keys that are dotted names or identifiers
    (:func:`identifier`) of ``scenario``'s parameters. Raises ``TypeError`` naming a key that is neither."""
    known = {identifier(n): n for n in judgement_parameters(scenario)}
    out = {}
    for key, value in values.items():
        name = key if key in known.values() else known.get(key)
        if name is None:
            raise TypeError(f"unknown parameter {key!r} of scenario {scenario.name!r}: give a judgement "
                            f"parameter by dotted name (patron.deal_price) or as an identifier "
                            f"(patron__deal_price); known: {', '.join(sorted(known.values()))}")
        out[name] = value
    return out


def name_key(name: str) -> int:
    """A stable 64-bit integer for a parameter's dotted name (BLAKE2b), keying its stream."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def event_stream_key(eid: str) -> int:
    """A stable integer for an event id (crc32), used to key its random stream."""
    return zlib.crc32(eid.encode("utf-8"))


def parameter_matrix(scenario: Scenario, seeds: Sequence[int], fixed: Fixed | None = None):
    """(names, values [runs, parameters]): each run's parameter values, the priors evaluated at
    uniforms from the run's own streams.

    ``fixed`` sets some parameters to given values (an experiment's design point); the others
    are drawn as always, so fixing one parameter leaves the others unchanged. Each value is a
    number, the same in every run, or a sequence of one number per seed (several design points
    in one batch); every value must be finite.
    """
    priors = judgement_parameters(scenario)
    names = list(priors)
    # one stream per parameter, suffix-major: the uniforms of parameter k are rows k*R .. k*R+R-1
    u = Streams(seeds, [(PARAMETER_STREAM, name_key(name)) for name in names]).uniforms(1)
    u = u.reshape(len(names), len(seeds))
    values = np.empty((len(seeds), len(names)))
    for k, name in enumerate(names):
        values[:, k] = priors[name].ppf(u[k])
    col = {name: k for k, name in enumerate(names)}
    if scenario.prior is not None:  # one uniform per run picks a whole particle (sim.calibration.posterior)
        from sim.calibration.posterior import PARTICLE_NAME, load

        posterior = load(scenario.prior.posterior)
        pick = Streams(seeds, [(PARAMETER_STREAM, name_key(PARTICLE_NAME))]).uniforms(1).reshape(len(seeds))
        drawn = posterior.draw(pick)
        for k, name in enumerate(posterior.names):
            if name in col:
                values[:, col[name]] = drawn[:, k]
    if fixed:
        unknown = sorted(set(fixed) - set(names))
        if unknown:
            raise KeyError(f"unknown parameter(s) {unknown}; known: {sorted(names)}")
        for k, v in fixed.items():
            values[:, col[k]] = fixed_values(k, v, len(seeds))
    return names, values


def fixed_values(name: str, value, runs: int) -> float | np.ndarray:
    """A fixed value as :func:`parameter_matrix` sets it: a float, or a float array of ``runs``
    values; raises ``ValueError`` naming the parameter if it has another shape or length, or a
    value that is not a finite number."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"fixed value of '{name}' is not a number or a sequence of numbers: {value!r}") from None
    if arr.ndim > 1 or (arr.ndim == 1 and len(arr) != runs):
        raise ValueError(f"fixed value of '{name}' has shape {arr.shape}; give one number, or one "
                         f"per run ({runs})")
    bad = np.flatnonzero(~np.isfinite(np.atleast_1d(arr)))
    if len(bad):
        where = "" if arr.ndim == 0 else f" at run {int(bad[0])}"
        raise ValueError(f"fixed value of '{name}' is not finite{where}: {float(np.atleast_1d(arr)[bad[0]])}")
    return float(arr) if arr.ndim == 0 else arr


def draw_parameters(scenario: Scenario, seed: int, fixed: Fixed | None = None) -> dict[str, float]:
    """One run's parameter values (:func:`parameter_matrix` for one seed), by name."""
    names, values = parameter_matrix(scenario, [seed], fixed)
    return dict(zip(names, values[0].tolist(), strict=True))


@dataclass(frozen=True)
class RealisedEvent:
    """An event with its parameters drawn: what the model acts on."""

    id: str
    kind: str
    month: int | None          # months from the start, or None when driven by a hazard
    hazard_start: int          # first month the hazard applies
    rises_with: str
    values: SimpleNamespace    # the event's fields, priors replaced by drawn values
    stream_key: int


def realise(scenario: Scenario, values: dict[str, float]) -> SimpleNamespace:
    """The scenario with every prior replaced by its drawn value, as attribute access:
    ``p.patron.deal_price``, ``p.events[0].values.troops``."""
    ns: dict[str, Any] = {}
    for section in SECTIONS:
        fields = type(getattr(scenario, section)).model_fields
        ns[section] = SimpleNamespace(**{f: values[f"{section}.{f}"] for f in fields})
    events = []
    for i, event in enumerate(scenario.events):
        eid = event_id(event, i)
        data = {f: getattr(event, f) for f in type(event).model_fields if f != "hazard"}
        for suffix, _ in event_prior_fields(event):
            if not suffix.startswith("hazard."):
                data[suffix] = values[f"events.{eid}.{suffix}"]
        hz = event.hazard
        if hz is not None:
            data["hazard_monthly"] = values[f"events.{eid}.hazard.monthly"]
            data["hazard_slope"] = values[f"events.{eid}.hazard.slope"]
        events.append(RealisedEvent(
            id=eid,
            kind=event.kind,
            month=None if event.month is None else month_index(event.month, scenario.start),
            hazard_start=0 if hz is None or hz.after is None else month_index(hz.after, scenario.start),
            rises_with="none" if hz is None else hz.rises_with,
            values=SimpleNamespace(**data),
            stream_key=event_stream_key(eid),
        ))
    ns["events"] = events
    return SimpleNamespace(**ns)
