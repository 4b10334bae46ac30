"""Read scenario files: YAML in, a validated :class:`~sim.model.scenario.Scenario` out.

Scenario files are written by hand, so every mistake must come back as a short message that
names the file, the line, the field path and what is allowed, never as a traceback. All the
problems found in one file are reported together (:class:`ScenarioError` holds them).

A file may start from another one with ``extends: NAME_OR_PATH`` (a path relative to the file,
or the name of a shipped scenario). Mappings merge key by key, the child winning; ``events``
and ``signposts`` merge by ``id`` (same id replaces, ``{id: X, remove: true}`` deletes, items
without an id are appended); every other list, and every prior, is replaced whole. ``name``
and ``title`` are never inherited.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from sim.model.scenario import EVENT_KINDS, MONTH_RE, Scenario

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
MERGE_BY_ID = {"events": "event", "signposts": "signpost"}
NOT_INHERITED = ("name", "title")
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
# Finding scenario files


def scenario_dirs() -> list[Path]:
    """Folders searched for scenarios given by name."""
    return [SCENARIO_DIR]


def shipped_scenarios() -> list[Path]:
    """The scenario files that come with the repository, sorted."""
    return sorted(p for d in scenario_dirs() if d.is_dir() for p in d.glob("*.yaml"))


def _shipped_names() -> list[str]:
    return [p.stem for p in shipped_scenarios()]


def _looks_like_name(text: str) -> bool:
    return "/" not in text and os.sep not in text and not text.endswith((".yaml", ".yml"))


def _not_found(text: str, where: str = "") -> str:
    """Say that ``text`` names no scenario, and which names would."""
    names = _shipped_names()
    if _looks_like_name(text):
        what = f"no scenario named '{text}' (no {text}.yaml{where} and no shipped scenario of that name)"
    else:
        what = f"the file '{text}' does not exist" + (f" ({where.strip()})" if where else "")
    hint = _suggest(Path(text).stem, names)
    listed = f"shipped scenarios: {', '.join(names)}" if names else (
        f"there are no shipped scenarios in {SCENARIO_DIR}"
    )
    return f"{what}; {hint}{listed}"


def _candidates(text: str, base: Path | None) -> list[Path]:
    given = Path(text).expanduser()
    if given.is_absolute():
        return [given]
    here = base if base is not None else Path()
    found = [here / given]
    if _looks_like_name(text):
        found.append(here / f"{text}.yaml")
        found.extend(d / f"{text}.yaml" for d in scenario_dirs())
    return found


def find_scenario(name_or_path: str | Path, base: Path | None = None) -> Path:
    """The file a scenario name or path refers to.

    A path is taken relative to ``base`` (default: the working folder); a bare name is also
    looked up as ``NAME.yaml`` there and among the shipped scenarios. Raises
    :class:`ScenarioError` naming the shipped scenarios when nothing matches.
    """
    text = str(name_or_path)
    for candidate in _candidates(text, base):
        if candidate.is_file():
            return candidate
    raise ScenarioError([Problem(text, None, "", _not_found(text))])


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# Reading YAML into a tree that remembers where each value came from


@dataclass
class _Node:
    """A value with the file and line it was written on (for a mapping value: its key's line)."""

    value: Any  # dict[key, _Node] | list[_Node] | a plain scalar
    file: str
    line: int | None
    extends: bool = False  # the root of a file that extends another
    index: int | None = None  # for a list item: its position in its own file's list


def _yaml() -> YAML:
    # Round-trip mode is the one that records line numbers (``.lc``) for keys and items.
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _syntax_problem(file: str, err: YAMLError) -> Problem:
    if isinstance(err, DuplicateKeyError):
        key = re.search(r'duplicate key "(.*?)" with value', str(err.problem))
        name = key.group(1) if key else "?"
        mark = err.problem_mark
        return Problem(
            file, mark.line + 1 if mark else None, "",
            f"key '{name}' appears twice in the same mapping; give it once",
        )
    if isinstance(err, MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        message = f"YAML syntax error: {err.problem or err.context}"
        if err.context and err.context_mark and err.problem_mark:
            message += f" ({err.context} that starts on line {err.context_mark.line + 1})"
        return Problem(file, mark.line + 1 if mark else None, "", message)
    return Problem(file, None, "", f"YAML syntax error: {err}")


def _read(path: Path, file: str, problems: list[Problem],
          empty: str = "a scenario needs at least 'name' and 'title'") -> _Node | None:
    """Parse one file; syntax problems are recorded and give None."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        problems.append(Problem(file, None, "", f"cannot read the file: {err.strerror or err}"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        problems.append(Problem(file, line, "", "the file is not UTF-8 text; save it as UTF-8"))
        return None
    try:
        loaded = _yaml().load(text)
    except YAMLError as err:
        problems.append(_syntax_problem(file, err))
        return None
    if loaded is None:
        problems.append(Problem(file, None, "", f"the file is empty; {empty}"))
        return None
    root = _convert(loaded, file, 1, problems)
    if not isinstance(root.value, dict):
        problems.append(Problem(
            file, 1, "",
            f"the top level must be a mapping of fields (name: ..., title: ...), got {_kind_of(_plain(root))}",
        ))
        return None
    return root


def _line_of(container: Any, key: Any, item: bool) -> int | None:
    try:
        line, _col = container.lc.item(key) if item else container.lc.key(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        # Keys brought in by a YAML merge (``<<: *anchor``) have no position of their own.
        return None
    return line + 1


def _convert(obj: Any, file: str, line: int | None, problems: list[Problem]) -> _Node:
    """Turn ruamel's objects into plain Python values, keeping positions alongside."""
    if isinstance(obj, CommentedMap):
        out = {}
        for key, value in obj.items():
            key_line = _line_of(obj, key, item=False) or line
            if not isinstance(key, str | int | float | bool) and key is not None:
                # YAML allows a mapping or a list as a key; no field of ours is named that way
                what = ("a mapping" if hasattr(key, "keys") else
                        "a list" if isinstance(key, Iterable) else type(key).__name__)
                problems.append(Problem(file, key_line, "", f"a key must be a plain name, got {what}"))
                continue
            out[_plain_scalar(key)] = _convert(value, file, key_line, problems)
        return _Node(out, file, line)
    if isinstance(obj, CommentedSeq):
        items = []
        for i, value in enumerate(obj):
            item = _convert(value, file, _line_of(obj, i, item=True) or line, problems)
            item.index = i
            items.append(item)
        return _Node(items, file, line)
    if isinstance(obj, TaggedScalar):
        problems.append(Problem(
            file, line, "", f"YAML tag {obj.tag} is not supported here; write a plain value",
        ))
        return _Node(str(obj.value), file, line)
    if isinstance(obj, dict):
        return _Node({_plain_scalar(k): _convert(v, file, line, problems) for k, v in obj.items()}, file, line)
    if isinstance(obj, list | tuple | set):
        return _Node([_convert(v, file, line, problems) for v in obj], file, line)
    return _Node(_plain_scalar(obj), file, line)


def _plain_scalar(obj: Any) -> Any:
    # ruamel returns subclasses (ScalarFloat, ScalarInt, ScalarBoolean, LiteralScalarString...)
    # that must not reach pydantic or the manifests.
    if isinstance(obj, bool) or type(obj).__name__ == "ScalarBoolean":
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, tuple):
        return tuple(_plain_scalar(x) for x in obj)
    return obj


def _plain(node: _Node) -> Any:
    if isinstance(node.value, dict):
        return {k: _plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(v) for v in node.value]
    return node.value


def _locate(tree: _Node, path: Iterable[str | int]) -> tuple[str, int | None, str]:
    """File and line of the deepest node along ``path`` that exists, and the path as written.

    After a merge, list positions differ from those in the files; the path reports the
    position in the file that holds the item, since that is where the reader will look.
    """
    node: _Node | None = tree
    file, line = tree.file, tree.line
    written: list[str | int] = []
    for seg in path:
        child = _step(node.value, seg) if node is not None else None
        if child is not None:
            file, line = child.file, child.line
            written.append(child.index if isinstance(seg, int) and child.index is not None else seg)
        else:
            written.append(seg)
        node = child
    return file, line, _render(written)


def _step(container: Any, seg: str | int) -> Any:
    """``container[seg]`` if it exists, else None."""
    if isinstance(container, dict):
        return container.get(seg)
    if isinstance(container, list) and isinstance(seg, int) and 0 <= seg < len(container):
        return container[seg]
    return None


def _get(data: Any, path: Iterable[str | int]) -> Any:
    for seg in path:
        data = _step(data, seg)
    return data


# --------------------------------------------------------------------------------------------
# extends: load the parent chain and merge


def _is_prior(node: _Node | None) -> bool:
    return node is not None and isinstance(node.value, dict) and "dist" in node.value


def _merge(parent: _Node, child: _Node) -> _Node:
    """Child over parent: mappings key by key; priors, lists and scalars replaced whole."""
    if not (isinstance(parent.value, dict) and isinstance(child.value, dict)):
        return child
    if _is_prior(parent) or _is_prior(child):
        # A prior is one value: mixing a uniform's bounds into a beta would make nonsense.
        return child
    out = dict(parent.value)
    for key, value in child.value.items():
        out[key] = _merge(out[key], value) if key in out else value
    return _Node(out, child.file, child.line)


def _merge_by_id(key: str, parent: _Node | None, child: _Node, problems: list[Problem]) -> _Node:
    what = MERGE_BY_ID[key]
    inherited = list(parent.value) if parent is not None and isinstance(parent.value, list) else []
    out: list[_Node | None] = list(inherited)
    index: dict[str, int] = {}
    for pos, item in enumerate(inherited):
        iid = item.value.get("id") if isinstance(item.value, dict) else None
        if iid is not None and isinstance(iid.value, str):
            index.setdefault(iid.value, pos)
    known = ", ".join(index) or "none"
    for i, item in enumerate(child.value):
        here = f"{key}[{i}]"
        fields = item.value if isinstance(item.value, dict) else None
        iid_node = fields.get("id") if fields else None
        iid = iid_node.value if iid_node is not None and isinstance(iid_node.value, str) else None
        if fields is not None and "remove" in fields:
            flag = fields["remove"]
            if flag.value is not True:
                problems.append(Problem(
                    flag.file, flag.line, f"{here}.remove",
                    f"'remove' may only be true (it deletes the inherited {what} with this id), got {_show(flag.value)}",
                ))
            elif iid is None:
                problems.append(Problem(
                    item.file, item.line, here,
                    f"'remove: true' needs the 'id' of the inherited {what} to delete",
                ))
            elif set(fields) - {"id", "remove"}:
                extra = ", ".join(sorted(str(k) for k in set(fields) - {"id", "remove"}))
                problems.append(Problem(
                    item.file, item.line, here,
                    f"an item with 'remove: true' takes only 'id'; also found: {extra}",
                ))
            elif iid not in index:
                problems.append(Problem(
                    iid_node.file, iid_node.line, f"{here}.id",
                    f"no inherited {what} with id '{iid}' left to remove; inherited ids: {known}",
                ))
            else:
                out[index.pop(iid)] = None
            continue
        if iid is not None and iid in index:
            out[index.pop(iid)] = item
        else:
            out.append(item)
    return _Node([n for n in out if n is not None], child.file, child.line)


def _merge_root(parent: _Node | None, child: _Node, problems: list[Problem]) -> _Node:
    merged = _merge(parent, child) if parent is not None else child
    for key in MERGE_BY_ID:
        node = child.value.get(key)
        if node is not None and isinstance(node.value, list):
            base = parent.value.get(key) if parent is not None else None
            merged.value[key] = _merge_by_id(key, base, node, problems)
    return merged


def _load_tree(path: Path, file: str, chain: list[Path], problems: list[Problem]) -> _Node | None:
    """A file merged over everything it extends; None if a problem stops the loading."""
    root = _read(path, file, problems)
    if root is None:
        return None
    fields = dict(root.value)
    extends = fields.pop("extends", None)
    root = _Node(fields, root.file, root.line)
    if extends is None:
        return _merge_root(None, root, problems)
    target = extends.value
    if not isinstance(target, str) or not target.strip():
        problems.append(Problem(
            file, extends.line, "extends",
            f"expected the name of a shipped scenario or a path to a .yaml file, got {_show(target)}",
        ))
        return None
    try:
        parent_path = find_scenario(target, base=path.parent)
    except ScenarioError:
        problems.append(Problem(file, extends.line, "extends", _not_found(target, " next to this file")))
        return None
    resolved = parent_path.resolve()
    if resolved in chain:
        cycle = [p.name for p in chain[chain.index(resolved):]] + [resolved.name]
        problems.append(Problem(file, extends.line, "extends", f"extends cycle: {' -> '.join(cycle)}"))
        return None
    if Path(target).is_absolute():
        parent_file = target
    elif parent_path in (path.parent / target, path.parent / f"{target}.yaml"):
        # Name the parent the way the user reached it: relative to how the child was named.
        parent_file = os.path.normpath(os.path.join(os.path.dirname(file), os.path.relpath(parent_path, path.parent)))
    else:
        parent_file = _display(parent_path)
    parent = _load_tree(parent_path, parent_file, [*chain, resolved], problems)
    if parent is None:
        return None
    inherited = {k: v for k, v in parent.value.items() if k not in NOT_INHERITED}
    merged = _merge_root(_Node(inherited, parent.file, parent.line), root, problems)
    merged.extends = True
    return merged


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


def _render(path: Iterable[str | int]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


def _parse_path(text: str) -> list[str | int]:
    return [int(i) if i else name for name, i in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", text)]


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user would have written it in YAML."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_show(v, limit)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_show(v, limit) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return f"a mapping {_show(value)}"
    if isinstance(value, list):
        return f"a list {_show(value)}"
    return _show(value)


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _suggest(word: Any, options: Iterable[str], cutoff: float = 0.7) -> str:
    # 0.7 keeps 'kind' from suggesting 'id'; three-letter codes need 0.6 ('DEV' -> 'DEU').
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'? " if close else ""


def _allies() -> list[str]:
    from sim.model.world import ALLIES

    return list(ALLIES)


def _unknown_code(code: str, home: bool = False) -> str:
    allowed = _allies() + (["home"] if home else [])
    hint = _suggest(code, allowed, cutoff=0.6)
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
    return f"{_show(err.get('input'))} is out of range; allowed: {allowed}"


def _explain(err: dict, walk: _Walk, extends: bool) -> list[tuple[list[str | int], str]]:
    """(path, message) pairs for one pydantic error."""
    kind, path, value, ctx = err["type"], walk.path, err.get("input"), err.get("ctx", {})
    msg = str(err.get("msg", ""))
    got = f", got {_kind_of(value)}"
    name = path[-1] if path else ""
    if kind == "number_or_prior":
        return [(path, f"expected a number or a prior such as {PRIOR_EXAMPLE}, got {_kind_of(value)}")]
    if kind == "signpost_kind":
        return [(path, "a signpost needs 'event: <event kind>' (an event signpost) or "
                       "'series: <series>' with 'at_least' or 'at_most' and 'by' (a series signpost)")]
    if kind == "extra_forbidden":
        allowed = list(walk.owner.model_fields) if walk.owner is not None else []
        hint = _suggest(name, allowed)
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
            return [([*path, disc], f"unknown {what} '{tag}'; {_suggest(tag, allowed)}allowed: {', '.join(allowed)}")]
        allowed = _discriminator_values(walk.tp, disc) or list(EVENT_KINDS)
        if disc == "dist":
            return [(path, f"a prior written as a mapping needs 'dist', one of {', '.join(allowed)} "
                           f"(e.g. {PRIOR_EXAMPLE}); or write a plain number")]
        return [(path, f"missing '{disc}': one of {', '.join(allowed)}")]
    if kind == "literal_error":
        allowed = _quoted(ctx.get("expected", ""))
        return [(path, f"{_show(value)} is not allowed; {_suggest(value, allowed)}allowed: {', '.join(allowed)}")]
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
    short = _show(value)
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


def _collapse(errors: list[dict], data: Any, root: type[BaseModel] = Scenario) -> list[tuple[dict, _Walk]]:
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
        value = _get(data, node)
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
            value = _get(data, walk.path[:depth])
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


def _problems(err: ValidationError, data: Any, tree: _Node, extends: bool,
              root: type[BaseModel] = Scenario) -> list[Problem]:
    found: list[Problem] = []
    for error, walk in _collapse(err.errors(), data, root):
        for path, message in _explain(error, walk, extends):
            if path[-1:] == ["month"] and _get(data, path) is None and _get(data, [*path[:-1], "hazard", "after"]):
                # Scenario._consistent reports a hazard's start month as the event's 'month'.
                path = [*path[:-1], "hazard", "after"]
            file, line, written = _locate(tree, path)
            found.append(Problem(file, line, written, message))
    return found


def _ordered(problems: list[Problem], first: str) -> list[Problem]:
    """Unique problems, the loaded file's first, then by file and line."""
    files: dict[str, int] = {first: 0}
    unique = []
    for p in problems:
        files.setdefault(p.file, len(files))
        if p not in unique:
            unique.append(p)
    return sorted(unique, key=lambda p: (files[p.file], p.line or 0))


# --------------------------------------------------------------------------------------------
# Public entry points


def _resolve_top(path_or_name: str | Path) -> tuple[Path, str]:
    text = str(path_or_name)
    path = Path(text).expanduser()
    if path.is_file():
        return path, text
    found = find_scenario(text)
    return found, _display(found)


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load and validate a scenario file (or a shipped scenario by name).

    Raises :class:`ScenarioError` listing every problem found; never anything else for a bad file.
    """
    path, file = _resolve_top(path_or_name)
    problems: list[Problem] = []
    tree = _load_tree(path, file, [path.resolve()], problems)
    if tree is None:
        raise ScenarioError(_ordered(problems, file))
    # Merge problems leave a usable tree, so the schema still gets to report everything else.
    data = _plain(tree)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        try:
            problems.extend(_problems(err, data, tree, tree.extends))
        except Exception:  # rewording must never hide the problems themselves
            problems.extend(Problem(file, None, _render(e["loc"]), e["msg"]) for e in err.errors())
    except Exception as err:  # a validator tripped on input it did not expect
        problems.append(Problem(
            file, None, "", f"could not check this scenario ({type(err).__name__}: {err})",
        ))
    if problems:
        raise ScenarioError(_ordered(problems, file))
    return scenario


def scenario_hash(path: str | Path) -> str:
    """sha256 over the file's bytes and, recursively, those of what it extends."""
    digest = hashlib.sha256()
    start = find_scenario(path)
    chain: list[Path] = []
    current: Path | None = start
    while current is not None:
        resolved = current.resolve()
        if resolved in chain:
            cycle = " -> ".join([p.name for p in chain[chain.index(resolved):]] + [resolved.name])
            raise ScenarioError([Problem(str(current), None, "extends", f"extends cycle: {cycle}")])
        chain.append(resolved)
        raw = current.read_bytes()
        digest.update(hashlib.sha256(raw).digest())
        problems: list[Problem] = []
        root = _read(current, str(current), problems)
        if root is None:
            raise ScenarioError(problems)
        target = root.value.get("extends")
        current = find_scenario(target.value, base=current.parent) if target is not None else None
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Any YAML file checked by a pydantic model, with the same messages (experiment files use this)


def read_yaml(path: Path, file: str, problems: list[Problem], empty: str) -> _Node | None:
    """Parse a YAML file into a tree that remembers lines; problems are appended, None on failure.

    ``empty`` says what the file needs, for the message about an empty file.
    """
    return _read(path, file, problems, empty)


def validate_yaml(tree: _Node, model: type[BaseModel], problems: list[Problem]) -> Any:
    """``model`` validated from ``tree``, or None with one problem (file, line, path) per mistake."""
    data = _plain(tree)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        try:
            problems.extend(_problems(err, data, tree, False, root=model))
        except Exception:  # rewording must never hide the problems themselves
            problems.extend(Problem(tree.file, None, _render(e["loc"]), e["msg"]) for e in err.errors())
    except Exception as err:  # a validator tripped on input it did not expect
        problems.append(Problem(tree.file, None, "", f"could not check this file ({type(err).__name__}: {err})"))
    return None


def problem_at(tree: _Node, path: list[str | int], message: str) -> Problem:
    """A problem about the value at ``path`` in ``tree``, located at its file and line."""
    file, line, written = _locate(tree, path)
    return Problem(file, line, written, message)


def did_you_mean(word: Any, options: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` when an option is close to ``word``, else ``""``."""
    return _suggest(word, options)
