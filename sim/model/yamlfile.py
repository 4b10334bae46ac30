"""Reading YAML into a tree that remembers where each value came from.

A :class:`Node` holds a value with the file and line it was written on, so that a problem found
after merging (``extends``) and validating can still name the place to look.

Reading is bounded, since a file may come from anyone: at most :data:`MAX_BYTES` are read,
nesting deeper than :data:`MAX_DEPTH` is refused before anything is built, and YAML anchors and
aliases (``&name``, ``*name``, ``<<: *name``) are refused outright: no scenario needs them, and
an alias can expand a 1 KB file into gigabytes (a "billion laughs").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from sim.model.problems import Problem, kind_of, render, step

MAX_BYTES = 256_000
"""Largest scenario or experiment file read: a scenario is a few KB, and reading 1 MB of YAML
takes ruamel some 20 s."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (a scenario needs about 5 levels)."""


@dataclass
class Node:
    """A value with the file and line it was written on (for a mapping value: its key's line)."""

    value: Any  # dict[key, Node] | list[Node] | a plain scalar
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


def _bounded(text: str, file: str) -> Problem | None:
    """A problem if the YAML nests too deep or uses anchors or aliases; None if it is plain.

    Looks at the parser's events only (no recursion, nothing built), before the file is loaded.
    """
    depth = 0
    for event in _yaml().parse(text):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            sign = "*" if isinstance(event, AliasEvent) else "&"
            return Problem(
                file, line, "",
                f"YAML anchors and aliases ({sign}{event.anchor}) are not supported; write the value "
                "out in full where it is used (to share a scenario's settings, use 'extends')",
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(
                    file, line, "",
                    f"the YAML is nested more than {MAX_DEPTH} levels deep (the limit); a scenario or "
                    "experiment needs a few levels: check the indentation and the brackets",
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return None


def _read_bounded(path: Path) -> bytes:
    # Read at most one byte past the limit: enough to know the file is too large.
    with path.open("rb") as f:
        return f.read(MAX_BYTES + 1)


def read(path: Path, file: str, problems: list[Problem],
          empty: str = "a scenario needs at least 'name' and 'title'", echo: bool = True) -> Node | None:
    """Parse one file; syntax problems are recorded and give None.

    ``echo=False`` keeps the file's content out of the messages (a file that may not be ours).
    """
    try:
        raw = _read_bounded(path)
    except OSError as err:
        problems.append(Problem(file, None, "", f"cannot read the file: {err.strerror or err}"))
        return None
    if len(raw) > MAX_BYTES:
        problems.append(Problem(
            file, None, "",
            f"the file is larger than {MAX_BYTES:,} bytes, the limit for a scenario or experiment file "
            "(a scenario is a few KB); check that this is the file you meant",
        ))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        problems.append(Problem(file, line, "", "the file is not UTF-8 text; save it as UTF-8"))
        return None
    try:
        refused = _bounded(text, file)
        if refused is not None:
            problems.append(refused)
            return None
        loaded = _yaml().load(text)
    except YAMLError as err:
        problems.append(_syntax_problem(file, err))
        return None
    except RecursionError:  # not expected below MAX_DEPTH; never a traceback
        problems.append(Problem(file, None, "", f"the YAML is nested too deeply to read (limit {MAX_DEPTH} levels)"))
        return None
    if loaded is None:
        problems.append(Problem(file, None, "", f"the file is empty; {empty}"))
        return None
    root = _convert(loaded, file, 1, problems)
    if not isinstance(root.value, dict):
        got = f", got {kind_of(plain(root))}" if echo else "; this file is not a scenario"
        problems.append(Problem(
            file, 1, "", f"the top level must be a mapping of fields (name: ..., title: ...){got}",
        ))
        return None
    return root


def _line_of(container: Any, key: Any, item: bool) -> int | None:
    try:
        line, _col = container.lc.item(key) if item else container.lc.key(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        # Defensive: every key of a round-trip mapping has a position (merge keys are refused).
        return None
    return line + 1


def _convert(obj: Any, file: str, line: int | None, problems: list[Problem]) -> Node:
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
        return Node(out, file, line)
    if isinstance(obj, CommentedSeq):
        items = []
        for i, value in enumerate(obj):
            item = _convert(value, file, _line_of(obj, i, item=True) or line, problems)
            item.index = i
            items.append(item)
        return Node(items, file, line)
    if isinstance(obj, TaggedScalar):
        problems.append(Problem(
            file, line, "", f"YAML tag {obj.tag} is not supported here; write a plain value",
        ))
        return Node(str(obj.value), file, line)
    if isinstance(obj, dict):
        return Node({_plain_scalar(k): _convert(v, file, line, problems) for k, v in obj.items()}, file, line)
    if isinstance(obj, list | tuple | set):
        return Node([_convert(v, file, line, problems) for v in obj], file, line)
    return Node(_plain_scalar(obj), file, line)


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


def plain(node: Node) -> Any:
    if isinstance(node.value, dict):
        return {k: plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [plain(v) for v in node.value]
    return node.value


def locate(tree: Node, path: Iterable[str | int]) -> tuple[str, int | None, str]:
    """File and line of the deepest node along ``path`` that exists, and the path as written.

    After a merge, list positions differ from those in the files; the path reports the
    position in the file that holds the item, since that is where the reader will look.
    """
    node: Node | None = tree
    file, line = tree.file, tree.line
    written: list[str | int] = []
    for seg in path:
        child = step(node.value, seg) if node is not None else None
        if child is not None:
            file, line = child.file, child.line
            written.append(child.index if isinstance(seg, int) and child.index is not None else seg)
        else:
            written.append(seg)
        node = child
    return file, line, render(written)
