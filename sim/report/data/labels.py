"""Names, labels and units of outcomes, series, signposts and scenario parameters, as figures and
tables show them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.outcomes import INDEX, OUTCOMES, SERIES, evidence

if TYPE_CHECKING:
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


# A count that is zero in most runs (incursions) is reported in two parts, each a column the
# report adds to the runs (sim.report.data.results): whether the run had any, and the count in
# the runs that had any.
ANY, IF_ANY = ".any", ".if_any"


def is_probability(name: str) -> bool:
    """A 0/1 outcome, reported as a probability."""
    if name.endswith(ANY) and name.removesuffix(ANY) in OUTCOMES:
        return True
    if name.startswith("signpost."):
        return not name.endswith(".month")
    return name in OUTCOMES and OUTCOMES[name].unit == "0/1"


def label(name: str, res: Results | None = None) -> str:
    """The readable name of an outcome, series or signpost."""
    if name.endswith(ANY) and name.removesuffix(ANY) in OUTCOMES:
        return f"{label(name.removesuffix(ANY))}: at least one"
    if name.endswith(IF_ANY):
        return f"{label(name.removesuffix(IF_ANY))}, in the runs with any"
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
    if name.endswith(ANY) and name.removesuffix(ANY) in OUTCOMES:
        return "probability"
    if name.endswith(IF_ANY):
        return unit(name.removesuffix(IF_ANY))
    if name in OUTCOMES:
        return "probability" if OUTCOMES[name].unit == "0/1" else OUTCOMES[name].unit
    if name in SERIES:
        return SERIES[name].unit
    if name.startswith("signpost."):
        return "months" if name.endswith(".month") else "probability"
    return parameter_unit(name)


def is_index(name: str) -> bool:
    """An outcome no observed series checks (sim.model.outcomes.evidence): the report labels it a
    scenario-relative index. A signpost's probability is the model's forecast, said elsewhere."""
    base = name.removesuffix(ANY).removesuffix(IF_ANY)
    return not base.startswith("signpost.") and (base in OUTCOMES or base in SERIES) and evidence(base) == INDEX


def unit_label(name: str, u: str | None = None) -> str:
    """The unit as a table's row label gives it, with 'index' for a scenario-relative index."""
    u = unit(name) if u is None else u
    return f"{u}; index" if is_index(name) else u


INDEX_NOTE = ("'index': a scenario-relative index of the model; no observed series checks it, so compare "
              "scenarios run with the same seeds rather than read its level, and do not read it as the "
              "probability of a real event (probing was checked against recorded gray-zone incidents "
              "2022-2025 and matches neither their timing nor their targets). Spending outcomes are fitted "
              "to NATO's figures 2014-2025 and scored out of sample (docs/validation.md).")


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


# Scenario name -> its short title, filled from the manifests when results are read (and again
# in a worker process, when the results are unpickled there: see Results.__setstate__).
SHORT_TITLES: dict[str, str] = {}


def short_title(title: str) -> str:
    """The name part of a scenario title: up to its first colon or comma ("Troops Go to Poland,
    Deterrence Nominally Maintained" -> "Troops Go to Poland"), so that panels and legends stay
    narrow; the full title is in the report's list of scenarios."""
    for mark in (": ", ", "):
        title = title.split(mark, 1)[0]
    return title.strip()


def register_titles(titles: dict[str, str | None]) -> None:
    """Scenario name -> title (None: the scenario has none; it is then named in title case)."""
    SHORT_TITLES.clear()
    SHORT_TITLES.update({name: short_title(t) if t else _title_case(name) for name, t in titles.items()})


def _title_case(name: str) -> str:
    small = {"to", "of", "in", "and", "a", "the", "on"}
    words = name.replace("_", " ").split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def display(group: str) -> str:
    """How a scenario or arm is named in figures and tables: a scenario by its title (title case,
    as its file titles it; a scenario without one by its name in title case), an arm by its name,
    'scenario / arm' by both."""
    if " / " in group:
        scenario, arm = group.split(" / ", 1)
        return f"{display(scenario)} / {arm.replace('_', ' ')}"
    base, suffix = group, ""
    if group.endswith(")") and " (" in group:  # "status_quo (folder)": one scenario in two folders
        base, suffix = group.split(" (", 1)
        suffix = f" ({suffix}"
    if base in SHORT_TITLES:
        return SHORT_TITLES[base] + suffix
    return group.replace("_", " ")
