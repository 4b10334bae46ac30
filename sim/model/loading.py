"""Read scenario files: YAML in, a validated :class:`~sim.model.scenario.Scenario` out.

Scenario files are written by hand, so every mistake must come back as a short message that
names the file, the line, the field path and what is allowed, never as a traceback. All the
problems found in one file are reported together (:class:`ScenarioError` holds them).

A file may start from another one with ``extends: NAME_OR_PATH`` (a path relative to the file,
or the name of a shipped scenario). Mappings merge key by key, the child winning; ``events``
and ``signposts`` merge by ``id`` (same id replaces, ``{id: X, remove: true}`` deletes, items
without an id are appended); every other list, and every prior, is replaced whole. ``name``
and ``title`` are never inherited. ``extends`` takes a .yaml or .yml file; a file it reaches that is
not a scenario is named in the message, never quoted.

This module finds scenario files, follows ``extends`` and merges, and validates the result. It
uses :mod:`sim.model.yamlfile` (YAML read into a tree that remembers lines) and
:mod:`sim.model.problems` (:class:`Problem`, :class:`ScenarioError` and the wording of
validation errors); the names other modules import from here are re-exported.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.model.problems import (
    NAME_PATTERN,
    PRIOR_EXAMPLE,
    Problem,
    ScenarioError,
    collapse,
    explain,
    get,
    render,
    show,
    suggest,
)
from sim.model.scenario import Scenario
from sim.model.yamlfile import Node, locate, plain, read

__all__ = [
    "MERGE_BY_ID",
    "NAME_PATTERN",
    "NOT_INHERITED",
    "PRIOR_EXAMPLE",
    "SCENARIO_DIR",
    "Problem",
    "ScenarioError",
    "did_you_mean",
    "find_scenario",
    "load_scenario",
    "not_a_scenario_file",
    "problem_at",
    "read_yaml",
    "scenario_dirs",
    "scenario_hash",
    "shipped_scenarios",
    "validate_yaml",
]

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
MERGE_BY_ID = {"events": "event", "signposts": "signpost"}
NOT_INHERITED = ("name", "title")


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
    hint = suggest(Path(text).stem, names)
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
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a name too long for a path, or one the filesystem refuses: not there
            continue
    raise ScenarioError([Problem(text, None, "", _not_found(text))])


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# extends: load the parent chain and merge


def _is_prior(node: Node | None) -> bool:
    return node is not None and isinstance(node.value, dict) and "dist" in node.value


def _merge(parent: Node, child: Node) -> Node:
    """Child over parent: mappings key by key; priors, lists and scalars replaced whole."""
    if not (isinstance(parent.value, dict) and isinstance(child.value, dict)):
        return child
    if _is_prior(parent) or _is_prior(child):
        # A prior is one value: mixing a uniform's bounds into a beta would make nonsense.
        return child
    out = dict(parent.value)
    for key, value in child.value.items():
        out[key] = _merge(out[key], value) if key in out else value
    return Node(out, child.file, child.line)


def _merge_by_id(key: str, parent: Node | None, child: Node, problems: list[Problem]) -> Node:
    what = MERGE_BY_ID[key]
    inherited = list(parent.value) if parent is not None and isinstance(parent.value, list) else []
    out: list[Node | None] = list(inherited)
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
                    f"'remove' may only be true (it deletes the inherited {what} with this id), got {show(flag.value)}",
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
    return Node([n for n in out if n is not None], child.file, child.line)


def _merge_root(parent: Node | None, child: Node, problems: list[Problem]) -> Node:
    merged = _merge(parent, child) if parent is not None else child
    for key in MERGE_BY_ID:
        node = child.value.get(key)
        if node is not None and isinstance(node.value, list):
            base = parent.value.get(key) if parent is not None else None
            merged.value[key] = _merge_by_id(key, base, node, problems)
    return merged


SCENARIO_SUFFIXES = (".yaml", ".yml")


def not_a_scenario_file(path: Path, name: str) -> str | None:
    """Why ``path`` (as the user named it) cannot be a scenario file, judged by its name; or None."""
    if path.suffix.lower() in SCENARIO_SUFFIXES:
        return None
    return (f"'{name}' is not a scenario file: expected the name of a shipped scenario or a path "
            f"to a .yaml or .yml scenario file")


def _load_tree(path: Path, file: str, chain: list[Path], problems: list[Problem],
               extended: bool = False) -> Node | None:
    """A file merged over everything it extends; None if a problem stops the loading.

    A file reached through ``extends`` (``extended``) may not be a scenario at all: its
    content is never quoted in a message, and it must have scenario fields at the top level.
    """
    root = read(path, file, problems, echo=not extended)
    if root is None:
        return None
    if extended and not set(root.value) & (set(Scenario.model_fields) | {"extends"}):
        problems.append(Problem(
            file, None, "",
            "this file is extended as a scenario but is not one: expected a mapping of scenario "
            f"fields ({', '.join(list(Scenario.model_fields)[:6])}, ...) at the top level",
        ))
        return None
    fields = dict(root.value)
    extends = fields.pop("extends", None)
    root = Node(fields, root.file, root.line)
    if extends is None:
        return _merge_root(None, root, problems)
    target = extends.value
    if not isinstance(target, str) or not target.strip():
        problems.append(Problem(
            file, extends.line, "extends",
            f"expected the name of a shipped scenario or a path to a .yaml file, got {show(target)}",
        ))
        return None
    try:
        parent_path = find_scenario(target, base=path.parent)
    except ScenarioError:
        problems.append(Problem(file, extends.line, "extends", _not_found(target, " next to this file")))
        return None
    refused = not_a_scenario_file(parent_path, target)
    if refused is not None:
        problems.append(Problem(file, extends.line, "extends", refused))
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
    parent = _load_tree(parent_path, parent_file, [*chain, resolved], problems, extended=True)
    if parent is None:
        return None
    inherited = {k: v for k, v in parent.value.items() if k not in NOT_INHERITED}
    merged = _merge_root(Node(inherited, parent.file, parent.line), root, problems)
    merged.extends = True
    return merged


# --------------------------------------------------------------------------------------------
# Validation errors, placed in the files


def _problems(err: ValidationError, data: Any, tree: Node, extends: bool,
              root: type[BaseModel] = Scenario) -> list[Problem]:
    found: list[Problem] = []
    for error, walk in collapse(err.errors(), data, root):
        for path, message in explain(error, walk, extends):
            if path[-1:] == ["month"] and get(data, path) is None and get(data, [*path[:-1], "hazard", "after"]):
                # Scenario._consistent reports a hazard's start month as the event's 'month'.
                path = [*path[:-1], "hazard", "after"]
            file, line, written = locate(tree, path)
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
    data = plain(tree)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        try:
            problems.extend(_problems(err, data, tree, tree.extends))
        except Exception:  # rewording must never hide the problems themselves
            problems.extend(Problem(file, None, render(e["loc"]), e["msg"]) for e in err.errors())
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
        problems: list[Problem] = []
        root = read(current, str(current), problems)  # bounded: refuses what it should not read
        if root is None:
            raise ScenarioError(problems)
        digest.update(hashlib.sha256(current.read_bytes()).digest())
        target = root.value.get("extends")
        current = find_scenario(target.value, base=current.parent) if target is not None else None
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Any YAML file checked by a pydantic model, with the same messages (experiment files use this)


def read_yaml(path: Path, file: str, problems: list[Problem], empty: str) -> Node | None:
    """Parse a YAML file into a tree that remembers lines; problems are appended, None on failure.

    ``empty`` says what the file needs, for the message about an empty file.
    """
    return read(path, file, problems, empty)


def validate_yaml(tree: Node, model: type[BaseModel], problems: list[Problem]) -> Any:
    """``model`` validated from ``tree``, or None with one problem (file, line, path) per mistake."""
    data = plain(tree)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        try:
            problems.extend(_problems(err, data, tree, False, root=model))
        except Exception:  # rewording must never hide the problems themselves
            problems.extend(Problem(tree.file, None, render(e["loc"]), e["msg"]) for e in err.errors())
    except Exception as err:  # a validator tripped on input it did not expect
        problems.append(Problem(tree.file, None, "", f"could not check this file ({type(err).__name__}: {err})"))
    return None


def problem_at(tree: Node, path: list[str | int], message: str) -> Problem:
    """A problem about the value at ``path`` in ``tree``, located at its file and line."""
    file, line, written = locate(tree, path)
    return Problem(file, line, written, message)


def did_you_mean(word: Any, options: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` when an option is close to ``word``, else ``""``."""
    return suggest(word, options)
