"""What is wrong with a scenario (or experiment) file, and how to say it.

:class:`Problem` is one mistake with its file, line and field path; :class:`ScenarioError`
carries all of a file's problems. The rest turns pydantic's validation errors into messages a
person can act on: the field path as written in the file, and what is allowed there.
Placing the problems at lines of the file is :mod:`sim.model.yamlfile`'s part; putting the two
together is :mod:`sim.model.loading`'s.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.model.scenario import EVENT_KINDS, MONTH_RE, Scenario

PRIOR_EXAMPLE = "{dist: uniform, low: 0.1, high: 0.4}"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


# --------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` says why, one entry per problem."""

    def __init__(self, problems: list[Problem]):
        # The problems are the only argument, so the error pickles across processes intact.
        super().__init__(list(problems))
        self.problems: list[Problem] = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------------------------
# Paths and values as the user wrote them


def step(container: Any, seg: str | int) -> Any:
    """``container[seg]`` if it exists, else None."""
    if isinstance(container, dict):
        return container.get(seg)
    if isinstance(container, list) and isinstance(seg, int) and 0 <= seg < len(container):
        return container[seg]
    return None


def get(data: Any, path: Iterable[str | int]) -> Any:
    for seg in path:
        data = step(data, seg)
    return data


def render(path: Iterable[str | int]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


def _parse_path(text: str) -> list[str | int]:
    return [int(i) if i else name for name, i in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", text)]


def show(value: Any, limit: int = 60) -> str:
    """A value as the user would have written it in YAML."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {show(v, limit)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(show(v, limit) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return f"a mapping {show(value)}"
    if isinstance(value, list):
        return f"a list {show(value)}"
    return show(value)


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def suggest(word: Any, options: Iterable[str], cutoff: float = 0.7) -> str:
    # 0.7 keeps 'kind' from suggesting 'id'; three-letter codes need 0.6 ('DEV' -> 'DEU').
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'? " if close else ""


# --------------------------------------------------------------------------------------------
# Turning pydantic's errors into problems a person can act on


@dataclass
class _Walk:
    """Where a pydantic ``loc`` points, in the user's terms."""

    path: list[str | int]
    tags: list[tuple[int, str, str]]  # (depth in path, tag, "prior" | "choice" | "kind")
    owner: type[BaseModel] | None  # model holding the last path element
    field: FieldInfo | None  # that element's field, when it is one
    tp: Any  # the type reached


def _strip(tp: Any) -> Any:
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    # ``list[str]`` and friends are not classes, and issubclass() would raise on them.
    return isinstance(tp, type) and not get_args(tp) and issubclass(tp, BaseModel)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _literals(model: type[BaseModel], name: str) -> tuple:
    field = model.model_fields.get(name)
    if field is None or get_origin(field.annotation) is not Literal:
        return ()
    return get_args(field.annotation)


def _member_for_tag(union: Any, seg: Any) -> tuple[Any, str] | None:
    """The union member a tag in ``loc`` selects, and what sort of tag it is."""
    if not isinstance(seg, str):
        return None
    for member in get_args(union):
        base = _strip(member)
        if seg.startswith("tagged-union[") and _is_union(base):
            return base, "prior"
        if not isinstance(base, type):
            continue
        name = base.__name__
        if seg == name or seg.endswith(f", {name}]"):
            return base, "prior" if base is float else "choice"
        if _is_model(base) and any(seg in _literals(base, d) for d in ("kind", "dist")):
            return base, "kind"
    return None


def _walk(loc: tuple, root: type[BaseModel] = Scenario) -> _Walk:
    """Follow ``loc`` through the schema, separating the union tags pydantic inserts from fields."""
    walk = _Walk([], [], None, None, root)
    for seg in loc:
        tp = _strip(walk.tp)
        if _is_union(tp):
            hit = _member_for_tag(tp, seg)
            if hit is not None:
                walk.tp = hit[0]
                walk.tags.append((len(walk.path), seg, hit[1]))
                continue
            tp = None
        walk.path.append(seg)
        if _is_model(tp):
            walk.owner, walk.field = tp, tp.model_fields.get(seg) if isinstance(seg, str) else None
            walk.tp = walk.field.annotation if walk.field is not None else None
        elif get_origin(tp) in (list, dict):
            walk.owner, walk.field = None, None
            walk.tp = get_args(tp)[-1]
        else:
            walk.owner, walk.field, walk.tp = None, None, None
    return walk


def _allies() -> list[str]:
    from sim.model.world import ALLIES

    return list(ALLIES)


def _unknown_code(code: str, home: bool = False) -> str:
    allowed = _allies() + (["home"] if home else [])
    hint = suggest(code, allowed, cutoff=0.6)
    return f"unknown country code '{code}'; {hint}allowed: {', '.join(allowed)}"


def _field_bounds(field: FieldInfo | None) -> str | None:
    if field is None:
        return None
    lo = hi = None
    lo_strict = hi_strict = False
    for meta in field.metadata:
        for attr, strict in (("ge", False), ("gt", True)):
            if getattr(meta, attr, None) is not None:
                lo, lo_strict = getattr(meta, attr), strict
        for attr, strict in (("le", False), ("lt", True)):
            if getattr(meta, attr, None) is not None:
                hi, hi_strict = getattr(meta, attr), strict
    if lo is not None and hi is not None and not (lo_strict or hi_strict):
        return f"{lo:g} to {hi:g}"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_strict else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_strict else '<='} {hi:g}")
    return " and ".join(parts) or None


def _patterns(field: FieldInfo | None) -> set[str]:
    """Regex patterns declared on a field, including inside ``Month | None``."""
    if field is None:
        return set()
    found = {getattr(m, "pattern", None) for m in field.metadata}

    def visit(tp: Any) -> None:
        if get_origin(tp) is Annotated:
            for meta in get_args(tp)[1:]:
                if isinstance(meta, FieldInfo):
                    found.update(getattr(m, "pattern", None) for m in meta.metadata)
            visit(get_args(tp)[0])
        for arg in get_args(tp) if _is_union(tp) else ():
            visit(arg)

    visit(field.annotation)
    found.discard(None)
    return found


def _discriminator_values(tp: Any, disc: str) -> list[str]:
    tp = _strip(tp)
    members = get_args(tp) if _is_union(tp) else (tp,)
    values: list[str] = []
    for member in members:
        base = _strip(member)
        if _is_model(base):
            values.extend(_literals(base, disc))
        elif _is_union(base):
            values.extend(_discriminator_values(base, disc))
    return values


def _range_message(err: dict, walk: _Walk) -> str:
    ctx = err.get("ctx", {})
    allowed = _field_bounds(walk.field)
    if allowed is None:
        words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
        allowed = " and ".join(f"{words[k]} {v:g}" for k, v in ctx.items() if k in words)
    return f"{show(err.get('input'))} is out of range; allowed: {allowed}"


def explain(err: dict, walk: _Walk, extends: bool) -> list[tuple[list[str | int], str]]:
    """(path, message) pairs for one pydantic error."""
    kind, path, value, ctx = err["type"], walk.path, err.get("input"), err.get("ctx", {})
    msg = str(err.get("msg", ""))
    got = f", got {kind_of(value)}"
    name = path[-1] if path else ""
    if kind == "number_or_prior":
        return [(path, f"expected a number or a prior such as {PRIOR_EXAMPLE}, got {kind_of(value)}")]
    if kind == "signpost_kind":
        return [(path, "a signpost needs 'event: <event kind>' (an event signpost) or "
                       "'series: <series>' with 'at_least' or 'at_most' and 'by' (a series signpost)")]
    if kind == "extra_forbidden":
        allowed = list(walk.owner.model_fields) if walk.owner is not None else []
        hint = suggest(name, allowed)
        tail = hint.rstrip() if hint else f"allowed: {', '.join(allowed)}"
        return [(path, f"unknown field '{name}'; {tail}")]
    if kind == "missing":
        desc = walk.field.description if walk.field is not None else None
        message = f"missing required field '{name}'" + (f" ({desc})" if desc else "")
        if extends and path in (["name"], ["title"]):
            message += "; a file that extends another must give its own (it is not inherited)"
        return [(path, message)]
    if kind in ("value_error", "assertion_error"):
        text = re.sub(r"^(Value error|Assertion failed), ", "", msg)
        if not path:
            return _split_model_problems(text)
        codes = re.match(r"unknown country code (.*?); allowed:", text)
        if codes and isinstance(value, dict):
            return [([*path, c], _unknown_code(c)) for c in codes.group(1).split(", ")]
        return [(path, text)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = (_quoted(ctx.get("discriminator", "")) or ["kind"])[0]
        what = {"kind": "event kind", "dist": "distribution"}.get(disc, disc)
        if kind == "union_tag_invalid":
            allowed = _quoted(ctx.get("expected_tags", ""))
            tag = ctx.get("tag")
            return [([*path, disc], f"unknown {what} '{tag}'; {suggest(tag, allowed)}allowed: {', '.join(allowed)}")]
        allowed = _discriminator_values(walk.tp, disc) or list(EVENT_KINDS)
        if disc == "dist":
            return [(path, f"a prior written as a mapping needs 'dist', one of {', '.join(allowed)} "
                           f"(e.g. {PRIOR_EXAMPLE}); or write a plain number")]
        return [(path, f"missing '{disc}': one of {', '.join(allowed)}")]
    if kind == "literal_error":
        allowed = _quoted(ctx.get("expected", ""))
        return [(path, f"{show(value)} is not allowed; {suggest(value, allowed)}allowed: {', '.join(allowed)}")]
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        if pattern == MONTH_RE.pattern:
            return [(path, f"expected a month written YYYY-MM, such as '2027-01'{got}")]
        if pattern == NAME_PATTERN:
            return [(path, f"expected lowercase letters, digits and '_', starting with a letter, such as 'us_drawdown'{got}")]
        return [(path, f"{msg}{got}")]
    if kind == "string_type":
        if MONTH_RE.pattern in _patterns(walk.field):
            return [(path, f"expected a month written YYYY-MM, such as '2027-01'{got}")]
        return [(path, f"expected text{got}")]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return [(path, _range_message(err, walk))]
    simple = {
        "float_type": "expected a number", "float_parsing": "expected a number",
        "int_type": "expected a whole number", "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "bool_type": "expected true or false", "bool_parsing": "expected true or false",
        "list_type": "expected a list (one '- ' item per line, or [a, b])",
        "dict_type": "expected a mapping of fields (key: value)",
        "model_type": "expected a mapping of fields (key: value)",
        "model_attributes_type": "expected a mapping of fields (key: value)",
        "invalid_key": "expected a plain name as key",
        "finite_number": "expected a finite number",
    }
    if kind in simple:
        return [(path, simple[kind] + got)]
    if kind == "too_short":
        return [(path, f"needs at least {ctx.get('min_length', 1)} item(s){got}")]
    short = show(value)
    return [(path, msg + (f", got {short}" if len(short) <= 40 else ""))]


def _split_model_problems(text: str) -> list[tuple[list[str | int], str]]:
    """Scenario._consistent joins its findings with '; ', each led by a field path."""
    out = []
    parts = re.split(r"; (?=[A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*: )", text)
    for part in parts:
        match = re.match(r"([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*): (.*)$", part, re.S)
        if not match:
            out.append(([], part))
            continue
        path, message = _parse_path(match.group(1)), match.group(2)
        code = re.fullmatch(r"unknown country code '(.*)'", message)
        if code:
            message = _unknown_code(code.group(1), home=path[-1] == "to")
        out.append((path, message))
    return out


def collapse(errors: list[dict], data: Any, root: type[BaseModel] = Scenario) -> list[tuple[dict, _Walk]]:
    """Keep one account of each union: the alternative the user evidently meant."""
    walked = [(err, _walk(tuple(err["loc"]), root)) for err in errors]

    # Alternatives between models (event vs series signpost): keep the one with fewest errors.
    by_node: dict[tuple, dict[str, list]] = {}
    for err, walk in walked:
        first = next((t for t in walk.tags if t[2] == "choice"), None)
        if first is not None:
            by_node.setdefault(tuple(walk.path[: first[0]]), {}).setdefault(first[1], []).append(id(err))
    drop_ids: set[int] = set()
    synthetic: list[tuple[dict, _Walk]] = []
    for node, members in by_node.items():
        value = get(data, node)
        all_ids = {i for ids in members.values() for i in ids}
        if node[:1] == ("signposts",) and isinstance(value, dict) and not {"event", "series"} & set(value):
            drop_ids |= all_ids
            synthetic.append(({"type": "signpost_kind", "loc": node, "input": value}, _Walk(list(node), [], None, None, None)))
            continue
        best = min(members.values(), key=len)
        drop_ids |= all_ids - set(best)

    out: list[tuple[dict, _Walk]] = []
    for err, walk in walked:
        if id(err) in drop_ids:
            continue
        prior = next((t for t in walk.tags if t[2] == "prior"), None)
        if prior is not None:
            depth, tag = prior[0], prior[1]
            value = get(data, walk.path[:depth])
            if isinstance(value, dict):
                # A mapping was meant as a distribution; "not a number" is noise.
                if tag == "float":
                    continue
            else:
                if tag != "float":
                    continue
                err = {**err, "type": "number_or_prior", "input": value}
        out.append((err, walk))
    return out + synthetic
