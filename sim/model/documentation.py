"""The parameter tables of the model description, generated from the scenario schema.

Section 8 of ``docs/ODD.md`` lists every judgement parameter with its unit, allowed range,
default prior, meaning and source. Those tables are not written by hand: they are made here from
the pydantic models of :mod:`sim.model.scenario` (each ``param(...)`` or ``bounded(...)`` field's
description and ``json_schema_extra``), the same information ``deterrence schema`` exposes, and
written into the ODD between two marker comments::

    <!-- parameter-tables:start -->
    ...
    <!-- parameter-tables:end -->

Regenerate them after a change to the schema::

    python -m sim.model.documentation --write docs/ODD.md

``--check docs/ODD.md`` exits with 1 if the file's tables differ from the schema's (the test
suite checks the same); without arguments the tables are printed.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import typing
from pathlib import Path

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from sim.model.priors import (
    Beta,
    Choice,
    Fixed,
    Normal,
    Prior,
    Triangular,
    Uniform,
    _Prior,
    as_prior,
)
from sim.model.scenario import Event, Scenario, Section

START = "<!-- parameter-tables:start -->"
END = "<!-- parameter-tables:end -->"
NOTICE = ("<!-- Generated from sim/model/scenario.py; do not edit by hand. "
          "Regenerate: python -m sim.model.documentation --write docs/ODD.md -->")
REGENERATE = "python -m sim.model.documentation --write docs/ODD.md"

# The description that param() and bounded() write: "<meaning> [<unit>; allowed <lo> to <hi>...]".
_DESCRIPTION = re.compile(r"^(?P<meaning>.*?) \[[^\[\]]*\]$", re.S)


# --------------------------------------------------------------------------------------------
# Formatting


def number(x: float) -> str:
    """A number as the tables write it: integers without a decimal point, others shortest."""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def describe_prior(prior: _Prior) -> str:
    """A prior in words: ``uniform(0.6, 0.9)``, ``0 (fixed)``, ``choice{12, 24, 36}``."""
    if isinstance(prior, Fixed):
        return f"{number(prior.value)} (fixed)"
    if isinstance(prior, Uniform):
        return f"uniform({number(prior.low)}, {number(prior.high)})"
    if isinstance(prior, Normal):
        text = f"normal(mean {number(prior.mean)}, sd {number(prior.sd)}"
        if prior.low is not None or prior.high is not None:
            lo = "-inf" if prior.low is None else number(prior.low)
            hi = "inf" if prior.high is None else number(prior.high)
            text += f", truncated to {lo}..{hi}"
        return text + ")"
    if isinstance(prior, Beta):
        text = f"beta(a {number(prior.a)}, b {number(prior.b)}"
        if (prior.low, prior.high) != (0.0, 1.0):
            text += f", on {number(prior.low)}..{number(prior.high)}"
        return text + ")"
    if isinstance(prior, Triangular):
        return f"triangular({number(prior.low)}, mode {number(prior.mode)}, {number(prior.high)})"
    if isinstance(prior, Choice):
        text = "choice{" + ", ".join(number(v) for v in prior.values)
        if prior.weights is not None:
            text += "; weights " + ", ".join(number(w) for w in prior.weights)
        return text + "}"
    return prior.describe()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------------------------
# What the schema says about a field


def meaning(field: FieldInfo) -> str:
    """The field's meaning: its description without the ``[unit; allowed ...]`` suffix."""
    description = field.description or ""
    match = _DESCRIPTION.match(description)
    return match.group("meaning") if match else description


def _extra(field: FieldInfo) -> dict:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def sections() -> list[tuple[str, type[Section]]]:
    """The scenario's parameter sections (``patron``, ``beliefs``, ...) in declaration order."""
    out = []
    for name, field in Scenario.model_fields.items():
        cls = field.annotation
        if isinstance(cls, type) and issubclass(cls, Section):
            out.append((name, cls))
    return out


def event_classes() -> list[tuple[str, type[BaseModel]]]:
    """(kind, model) of every event kind, in the order of the ``Event`` union."""
    union = typing.get_args(Event)[0]
    out = []
    for cls in typing.get_args(union):
        (kind,) = typing.get_args(cls.model_fields["kind"].annotation)
        out.append((kind, cls))
    return out


def section_rows(section: str, cls: type[Section]) -> list[list[str]]:
    """One row per parameter of a section, sorted by name."""
    defaults = cls()  # the defaults, validated as a scenario's values would be
    rows = []
    for name in sorted(cls.model_fields):
        field = cls.model_fields[name]
        extra = _extra(field)
        if "range" not in extra:
            raise ValueError(f"{section}.{name} has no allowed range in the schema (param(...))")
        lo, hi = extra["range"]
        rows.append([
            f"`{section}.{name}`",
            extra.get("unit", ""),
            f"{number(lo)} to {number(hi)}",
            describe_prior(as_prior(getattr(defaults, name))),
            meaning(field),
            extra.get("source", ""),
        ])
    return rows


def event_rows() -> tuple[list[list[str]], list[str]]:
    """Rows of the event-parameter table, and the kinds that have no bounded numeric field."""
    rows, without = [], []
    for kind, cls in event_classes():
        bounded_fields = [(n, f) for n, f in cls.model_fields.items() if "range" in _extra(f)]
        if not bounded_fields:
            without.append(kind)
        for name, field in bounded_fields:
            extra = _extra(field)
            lo, hi = extra["range"]
            if field.is_required():
                default = "required"
            elif isinstance(field.default, (int, float)):
                default = number(field.default)
            else:
                prior = TypeAdapter(Prior).validate_python(field.default)
                default = describe_prior(as_prior(prior))
            rows.append([f"`{kind}`", f"`{name}`", extra.get("unit", ""),
                         f"{number(lo)} to {number(hi)}", default, meaning(field)])
    return rows, without


def parameter_tables() -> str:
    """The Markdown of section 8's tables: one per parameter section, then event parameters."""
    lines: list[str] = []
    for section, cls in sections():
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines += [f"**`{section}`** — {doc}", ""]
        header = ["parameter", "unit", "allowed range", "default prior", "meaning", "source"]
        lines += _table(header, section_rows(section, cls))
        lines.append("")
    rows, without = event_rows()
    lines += ["**Event parameters** (`events.<id>.<field>`), by event kind in the order of the "
              "schema.", ""]
    lines += _table(["kind", "field", "unit", "allowed range", "default", "meaning"], rows)
    if without:
        names = ", ".join(f"`{k}`" for k in without)
        lines += ["", f"Kinds with no numeric field: {names}."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The ODD file


def generated_block() -> str:
    """What stands between the markers, markers included."""
    return f"{START}\n{NOTICE}\n\n{parameter_tables()}{END}"


def _span(text: str, path: str | Path = "docs/ODD.md") -> tuple[int, int]:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start or text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"{path}: needs exactly one '{START}' followed by one '{END}'")
    return start, end + len(END)


def current_block(text: str, path: str | Path = "docs/ODD.md") -> str:
    """The block between the markers (markers included) as the file has it."""
    start, end = _span(text, path)
    return text[start:end]


def regenerate(text: str, path: str | Path = "docs/ODD.md") -> str:
    """``text`` with the block between the markers replaced by the schema's tables."""
    start, end = _span(text, path)
    return text[:start] + generated_block() + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.model.documentation",
        description="Section 8's parameter tables of docs/ODD.md, generated from the schema.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE",
                       help="replace the tables between the markers in FILE")
    group.add_argument("--check", metavar="FILE",
                       help="exit 1 if FILE's tables differ from the schema's")
    args = parser.parse_args(argv)
    if args.write is None and args.check is None:
        sys.stdout.write(parameter_tables())
        return 0
    path = Path(args.write or args.check)
    try:
        text = path.read_text(encoding="utf-8")
        new = regenerate(text, path)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{path}: parameter tables differ from the schema; run: {REGENERATE}",
                  file=sys.stderr)
            return 1
        print(f"{path}: parameter tables match the schema")
        return 0
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"{path}: parameter tables rewritten")
    else:
        print(f"{path}: parameter tables already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
