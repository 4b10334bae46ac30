"""Numbers quoted in README.md and docs/: generated blocks, the data they come from, and a check.

Every table or sentence of figures that the documentation quotes from a run of the model sits
between two marker comments::

    <!-- generated:skill-table -->
    ...
    <!-- /generated:skill-table -->

and is rendered from the saved results of one job, ``docs/generated/<job>.json``, by a function
registered in :data:`BLOCKS`. ``python experiments/reproduce.py`` reruns the jobs, saves their
results and rewrites every block; nobody edits a block by hand. Two checks keep the quoted
numbers honest: the fast test suite renders every block from its JSON and compares it with the
documentation (a hand-edited number fails), and the tests that rerun a job's computation (the
mechanism tests, the replay test) compare what they measure with the saved JSON (a model change
that moves a quoted number fails until the job is rerun).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "generated"
DOCUMENTS = ("README.md", "docs/validation.md", "docs/findings.md", "docs/outputs.md", "docs/ODD.md")

_BLOCK = re.compile(r"<!-- generated:(?P<name>[a-z0-9-]+) -->\n(?P<body>.*?)<!-- /generated:(?P=name) -->", re.S)


@dataclass(frozen=True)
class Block:
    job: str                           # docs/generated/<job>.json
    render: Callable[[dict], str]      # the block's Markdown from the job's data


BLOCKS: dict[str, Block] = {}


def block(name: str, job: str):
    """Register a renderer for the block ``name`` from ``job``'s saved data."""
    def register(fn: Callable[[dict], str]) -> Callable[[dict], str]:
        BLOCKS[name] = Block(job, fn)
        return fn
    return register


def load(job: str) -> dict:
    path = GENERATED / f"{job}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved results for the job '{job}'; run "
                                f"python experiments/reproduce.py --only {job}")
    return json.loads(path.read_text(encoding="utf-8"))


def save(job: str, data: dict) -> Path:
    GENERATED.mkdir(parents=True, exist_ok=True)
    path = GENERATED / f"{job}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def render(name: str) -> str:
    _register_all()
    text = BLOCKS[name].render(load(BLOCKS[name].job))
    return text if text.endswith("\n") else text + "\n"


def blocks_in(text: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def rewrite(text: str, jobs: set[str] | None = None) -> str:
    """The text with every block (of ``jobs``, or all) rendered afresh."""
    _register_all()
    def sub(m: re.Match) -> str:
        name = m["name"]
        if name not in BLOCKS or (jobs is not None and BLOCKS[name].job not in jobs):
            return m.group(0)
        try:
            return f"<!-- generated:{name} -->\n{render(name)}<!-- /generated:{name} -->"
        except FileNotFoundError:  # the job has not run yet: problems() says so
            return m.group(0)
    return _BLOCK.sub(sub, text)


def write_documents(jobs: set[str] | None = None) -> list[str]:
    """Rewrite the blocks of ``jobs`` in every document; the documents changed."""
    changed = []
    for rel in DOCUMENTS:
        path = ROOT / rel
        if not path.is_file():
            continue
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, jobs)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(rel)
    return changed


def problems() -> list[str]:
    """Each block of the documents that differs from its rendering, or that has no renderer,
    and each renderer whose block no document has."""
    _register_all()
    found, out = set(), []
    for rel in DOCUMENTS:
        path = ROOT / rel
        if not path.is_file():
            continue
        for name, body in blocks_in(path.read_text(encoding="utf-8")).items():
            found.add(name)
            if name not in BLOCKS:
                out.append(f"{rel}: block '{name}' has no renderer in sim.report.quoted")
                continue
            try:
                want = render(name)
            except FileNotFoundError as err:
                out.append(f"{rel}: block '{name}': {err}")
                continue
            if body != want:
                out.append(f"{rel}: block '{name}' differs from docs/generated/{BLOCKS[name].job}.json "
                           f"(edited by hand, or the JSON is newer: python experiments/reproduce.py "
                           f"--only {BLOCKS[name].job} --docs-only)")
    out += [f"block '{n}' is quoted in no document" for n in sorted(set(BLOCKS) - found)]
    return out


def _register_all() -> None:
    """Import the modules whose renderers register blocks."""
    import sim.report.quoted_blocks  # noqa: F401
