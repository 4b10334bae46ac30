"""Names, labels and units of outcomes, series, signposts and scenario parameters, as figures and
tables show them."""

from __future__ import annotations

from sim.model.outcomes import OUTCOMES, SERIES
from sim.report.data.results import Results

# ---- names, labels and units (from the registries in sim.model.outcomes) -------------------------------


def _resolve_same(registry: dict, name: str) -> str:
    """A description, with 'the same, X' spelt out from the entry it refers back to."""
    names = list(registry)
    text = registry[name].description.rstrip(".")
    if text.lower().startswith("the same"):
        i = names.index(name)
        base = next((registry[n].description.rstrip(".") for n in reversed(names[:i])
                     if not registry[n].description.lower().startswith("the same")), "")
        rest = text[len("the same"):].lstrip(" ,:")
        text = f"{base} ({rest})" if rest else base
    return text[:1].upper() + text[1:]


def is_probability(name: str) -> bool:
    """A 0/1 outcome, reported as a probability."""
    if name.startswith("signpost."):
        return not name.endswith(".month")
    return name in OUTCOMES and OUTCOMES[name].unit == "0/1"


def label(name: str, res: Results | None = None) -> str:
    """The readable name of an outcome, series or signpost."""
    if name in OUTCOMES:
        text = _resolve_same(OUTCOMES, name)
        if text.startswith("1 if "):  # a 0/1 outcome reads as an event: name it, then say what it is
            text = f"{name.replace('_', ' ').capitalize()}: {text[5:]}"
        return text
    if name in SERIES:
        return _resolve_same(SERIES, name)
    if name.startswith("signpost."):
        sid = name.split(".")[1]
        text = (res.signpost_labels.get(sid) if res else None) or sid.replace("_", " ")
        return f"Signpost: {text}" + (" (month)" if name.endswith(".month") else "")
    return name


def unit(name: str) -> str:
    if name in OUTCOMES:
        return "probability" if OUTCOMES[name].unit == "0/1" else OUTCOMES[name].unit
    if name in SERIES:
        return SERIES[name].unit
    if name.startswith("signpost."):
        return "months" if name.endswith(".month") else "probability"
    return parameter_unit(name)


def parameter_unit(name: str) -> str:
    """The unit of a scenario parameter (dotted name), read from the scenario schema."""
    from sim.model.scenario import Scenario

    parts = name.split(".")
    if len(parts) == 2 and parts[0] in Scenario.model_fields:
        section = Scenario.model_fields[parts[0]].annotation
        info = getattr(section, "model_fields", {}).get(parts[1])
        extra = getattr(info, "json_schema_extra", None) or {}
        if isinstance(extra, dict) and extra.get("unit"):
            return str(extra["unit"])
    field_name = parts[-1]
    if field_name == "troops":
        return "troops"
    if field_name in ("monthly",):
        return "probability per month"
    if field_name in ("years",):
        return "years"
    description = _event_field_description(field_name)
    for text in ("% of GDP", "0-1"):
        if text in description:
            return text
    return "as in the scenario file"


def _event_field_description(field_name: str) -> str:
    import typing

    from sim.model.scenario import Scenario

    for member in typing.get_args(typing.get_args(Scenario.model_fields["events"].annotation)[0]):
        for cls in (member, *typing.get_args(member)):
            info = getattr(cls, "model_fields", {}).get(field_name)
            if info is not None and info.description:
                return info.description
    return ""


def display(group: str) -> str:
    """How a scenario or arm is named in figures and tables."""
    return group.replace("_", " ")
