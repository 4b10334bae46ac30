"""What the report says about the scenarios compared: each one's title and narrative, what it
assumes (the parameters it sets apart from the status quo) and what it scripts (events on a
fixed date) or leaves to chance (events with a monthly hazard); how each signpost can fire in
each scenario; and what a deal concluded by an event means for the allies' outcomes.

Everything is read from the resolved scenarios the result folders' manifests record, so the
report describes the scenarios that were run, not the files as they are now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.scenario import month_label
from sim.report import data as D
from sim.report.style import REFERENCE

# Sections of a scenario whose values are assumptions (the rest is naming, sources, events).
ASSUMPTION_SECTIONS = ("patron", "allies", "beliefs", "adversary", "pillar", "world")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass
class ScenarioText:
    name: str
    title: str
    narrative: str
    assumes: list[str] = field(default_factory=list)   # parameters set apart from the status quo
    scripted: list[str] = field(default_factory=list)  # events on a fixed date
    chance: list[str] = field(default_factory=list)    # events with a monthly hazard
    notes: list[str] = field(default_factory=list)     # what a reader must know (deals that lapse)


def calendar(month: str) -> str:
    """'2026-05' -> 'May 2026'."""
    year, m = month.split("-")
    return f"{MONTHS[int(m) - 1]} {year}"


def prior_text(value, unit: str = "") -> str:
    """A value or prior as a reader reads it: 0.3, '0.3 to 0.7% of GDP (uniform)', 'one of 12,
    24, 36'; ``unit`` follows the number(s)."""
    if isinstance(value, dict) and "dist" in value:
        dist = value["dist"]
        if dist == "uniform":
            return f"{_num(value['low'])} to {_num(value['high'])}{unit} (uniform)"
        if dist == "normal":
            return f"normal, mean {_num(value['mean'])}, sd {_num(value['sd'])}"
        if dist == "choice":
            return "one of " + ", ".join(_num(v) for v in value.get("values", []))
        rest = ", ".join(f"{k} {_num(v)}" for k, v in sorted(value.items()) if k != "dist")
        return f"{dist} ({rest})"
    if not isinstance(value, dict | list):
        return _num(value) + unit
    if isinstance(value, dict):
        return "; ".join(f"{k}: {prior_text(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(prior_text(v) for v in value)
    return _num(value)


def _num(v) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "no", None: "none"}[v]
    if isinstance(v, int | float):
        if float(v).is_integer() and abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:g}"
    return str(v)


def _flatten(node, prefix: str = "") -> dict[str, object]:
    """Dotted name -> value; a prior (a dict with 'dist') is one value."""
    if isinstance(node, dict) and "dist" not in node:
        out = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: node}


def assumptions(spec: dict, base: dict | None) -> list[str]:
    """The parameters ``spec`` sets apart from ``base`` (the status quo), as sentences."""
    if base is None or spec is base:
        return []
    lines = []
    for section in ASSUMPTION_SECTIONS:
        mine, theirs = _flatten(spec.get(section) or {}, section), _flatten(base.get(section) or {}, section)
        for name in sorted(mine):
            if mine[name] != theirs.get(name):
                was = f" (status quo: {prior_text(theirs[name])})" if name in theirs else ""
                lines.append(f"{name} = {prior_text(mine[name])}{was}")
    for key in ("start", "horizon_months"):
        if spec.get(key) != base.get(key):
            lines.append(f"{key} = {spec.get(key)} (status quo: {base.get(key)})")
    return lines


def event_text(event: dict) -> str:
    """One event of a scenario as a sentence (without its timing)."""
    kind, v = event.get("kind"), event
    host, troops = v.get("host"), v.get("troops")
    n = lambda key, unit="": prior_text(v.get(key), unit)  # noqa: E731
    if kind in ("withdrawal", "relocation"):
        to = v.get("to", "home")
        where = "home" if to in (None, "home") else to
        text = f"{n('troops')} US troops leave {host} for {where} over {v.get('duration_months')} months"
        if v.get("hub_loss") not in (None, 0, 0.0):
            text += f" (share of {host}'s logistics hub lost: {n('hub_loss')})"
    elif kind == "guarantee":
        whom = f" for {', '.join(v['hosts'])}" if v.get("hosts") else ""
        text = (f"the US guarantee{whom} made conditional on spending of {n('threshold', '% of GDP')}, strictness "
                f"{n('strictness')}" if v.get("conditional") else f"an unconditional US guarantee{whom}")
    elif kind == "basing_deal":
        text = f"a basing deal for {host}, at {n('price', '% of GDP')} a year"
        if troops not in (None, 0, 0.0):
            text += f", with {n('troops')} more US troops"
    elif kind == "eu_budget":
        text = f"the EU defence budget multiplied by {n('multiplier')}"
    elif kind == "sovereign_c2":
        text = f"a sovereign European command-and-control programme over {n('years')} years"
    elif kind == "halt_deployment":
        text = f"the planned deployment of {n('troops')} US troops to {host} halted"
    elif kind == "trade_coercion":
        text = f"US tariffs raised from {n('tariff_from', '%')} to {n('tariff_to', '%')}"
    elif kind == "exit_notice":
        text = "a formal US notice of leaving the alliance (effective a year later)"
    elif kind == "threat_shock":
        text = f"a shock to the threat from Russia ({n('threat_change')})"
    else:
        text = str(kind).replace("_", " ")
    if v.get("announce") is False:
        text += "; not announced (no signpost reads it)"
    return f"{text} [{v.get('id')}]"


def _hazard_text(hazard: dict) -> str:
    text = f"a monthly probability of {prior_text(hazard.get('monthly'))}"
    if hazard.get("rises_with") not in (None, "none"):
        text += f", rising with {str(hazard['rises_with']).replace('_', ' ')} (slope {prior_text(hazard.get('slope'))})"
    return text


def describe(res: D.Results) -> list[ScenarioText]:
    """The scenarios of the results, in the report's order, as the manifests record them."""
    base = res.specs.get(REFERENCE)
    out = []
    for name in res.scenarios:
        spec = res.specs.get(name)
        if spec is None:
            out.append(ScenarioText(name, D.display(name), "Not recorded in the results' manifest."))
            continue
        text = ScenarioText(name, str(spec.get("title") or D.display(name)), str(spec.get("narrative") or "").strip())
        text.assumes = assumptions(spec, base) if name != REFERENCE else []
        for event in spec.get("events") or []:
            if event.get("month"):
                text.scripted.append(f"{calendar(event['month'])}: {event_text(event)}")
            elif event.get("hazard"):
                text.chance.append(f"{event_text(event)}: {_hazard_text(event['hazard'])}")
        text.notes = deal_notes(res, name)
        prior = spec.get("prior") or None
        if name == REFERENCE or prior != ((base or {}).get("prior") or None):
            text.notes.insert(0, prior_note(prior))
        out.append(text)
    return out


def prior_note(prior: dict | None) -> str:
    """Which parameters a scenario's runs draw from a fitted posterior, and which are judgement."""
    if not prior:
        return ("Every parameter is drawn from its judgement prior (no fitted posterior): the allies' spending "
                "parameters too.")
    return (f"The allies' spending parameters (adjustment speed, largest yearly change, the pull of the pledge "
            f"and of peers, the response to the threat) are drawn jointly from the posterior "
            f"{prior.get('posterior')}, fitted to NATO's per-ally defence shares 2014-2025 (docs/validation.md, "
            f"section 4); every other parameter is a judgement prior. docs/findings.md compares the brief's "
            f"claims on judgement priors alone.")


# ---- signposts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignpostStatus:
    kind: str   # 'scripted', 'scripted timing', 'emerges', 'unannounced', 'none', 'series'
    text: str


# A signpost's probability is a finding of the model only when it emerges from the agents'
# decisions or is read from a series; these kinds are set by the scenario instead.
SET_BY_SCENARIO = ("scripted", "scripted timing")
WORDS = {"scripted": "scripted", "scripted timing": "scripted timing", "emerges": "emerges",
         "unannounced": "not announced", "none": "cannot happen", "series": "series"}


def _matches(sp: dict, event: dict) -> bool:
    kinds = {sp.get("event")} | ({"relocation"} if sp.get("event") == "withdrawal" else set())
    host = event.get("host")
    return (event.get("kind") in kinds and (sp.get("host") is None or host == sp["host"])
            and (sp.get("exclude_host") is None or host != sp["exclude_host"]))


def _origin(spec: dict, sp: dict) -> str:
    """sim.model.outcomes.signpost_origin of the recorded scenario (the model's own reading of
    where a signpost comes from); worked out from the recorded dict when it no longer validates
    against the current schema (results of an older version)."""
    from pydantic import ValidationError

    from sim.model.outcomes import DECISION_DRIVERS, signpost_origin
    from sim.model.scenario import Scenario

    try:
        scenario = Scenario.model_validate(spec)
        signpost = next(s for s in scenario.signposts if s.id == sp.get("id"))
        return signpost_origin(scenario, signpost)
    except (ValidationError, StopIteration):  # an older manifest: read the dict as recorded
        if "series" in sp:
            return "simulated"
        found = []
        for e in spec.get("events") or []:
            if _matches(sp, e):
                rises = (e.get("hazard") or {}).get("rises_with")
                found.append(3 if e.get("month") else 1 if rises in DECISION_DRIVERS else 2)
        return {1: "emerges", 2: "scripted timing", 3: "scripted"}[min(found)] if found else "cannot happen"


def signpost_status(res: D.Results) -> dict[tuple[str, str], SignpostStatus]:
    """How each signpost can happen in each scenario, as the model reads it
    (sim.model.outcomes.signpost_origin): 'emerges' (its event's chance rises with the agents'
    decisions), 'scripted timing' (its event is scripted, only its month left to chance),
    'scripted' (a fixed month: every run, by construction), 'none' (no event can produce it),
    'series' (read from a monthly series); and 'unannounced' when the events of its kind are
    there but not announced (announce: false), so that it cannot fire from them."""
    from sim.model.outcomes import ORIGINS

    if "signpost_status" in res.memo:
        return res.memo["signpost_status"]
    out: dict[tuple[str, str], SignpostStatus] = {}
    for name in res.scenarios:
        spec = res.specs.get(name)
        if spec is None:
            continue
        for sp in spec.get("signposts") or []:
            sid = sp.get("id")
            origin = _origin(spec, sp)
            matching = [e for e in spec.get("events") or [] if "series" not in sp and _matches(sp, e)]
            if matching and all(e.get("announce", True) is False for e in matching):
                ids = ", ".join(str(e.get("id")) for e in matching)
                out[(name, sid)] = SignpostStatus("unannounced", f"its event ({ids}) is not announced here "
                                                                 "(announce: false), so it cannot fire from it")
                continue
            kind = {"simulated": "series", "cannot happen": "none"}.get(origin, origin)
            text = ORIGINS.get(origin, origin)
            if kind in SET_BY_SCENARIO:
                ids = ", ".join(str(e.get("id")) for e in matching)
                text = (f"{text} ({ids}): its probability is set by the scenario, not found by the model"
                        + (" (it happens in every run)" if kind == "scripted" else ""))
            out[(name, sid)] = SignpostStatus(kind, text)
    res.memo["signpost_status"] = out
    return out


def signpost_mark(res: D.Results, scenario: str, sid: str) -> str:
    """A short mark for a table cell: ' (scripted)', ' (scripted timing)', ' (not announced)',
    ' (cannot happen)' or ''."""
    status = signpost_status(res).get((scenario, sid))
    if status is None:
        return ""
    return f" ({WORDS[status.kind]})" if status.kind in (*SET_BY_SCENARIO, "unannounced", "none") else ""


# ---- deals -------------------------------------------------------------------------------------


def deal_notes(res: D.Results, scenario: str) -> list[str]:
    """For each basing deal a scenario's events conclude: that the deal can fire and lapse, and
    how often the host still holds one at the horizon (when the results have it per ally)."""
    spec = res.specs.get(scenario) or {}
    notes = []
    for event in spec.get("events") or []:
        if event.get("kind") != "basing_deal":
            continue
        host = event.get("host")
        when = (f"in {calendar(event['month'])}" if event.get("month")
                else f"by chance ({_hazard_text(event['hazard'])})" if event.get("hazard") else "")
        held = ""
        col = f"ally.{host}.deal"
        group = scenario if scenario in res.groups else None
        if group is not None and col in res.runs:
            e = D.probability(res.runs.loc[res.runs["group"] == group, col])
            held = f" Here {host} holds a deal at the horizon in {e.value:.1%} of runs [{e.low:.1%}, {e.high:.1%}]."
        notes.append(f"The event '{event.get('id')}' concludes a basing deal for {host} {when}. A deal lasts only "
                     f"while the ally keeps choosing the deal strategy (ODD 7.12): when it turns to another "
                     f"strategy, the deal ends. So the deal fires and may lapse, and 'ends holding a deal' counts "
                     f"deals still held at the horizon ({calendar(month_label(int(spec.get('horizon_months', 120)) - 1, str(spec.get('start', '2026-05'))))}), "
                     f"not deals ever concluded.{held}")
    return notes
