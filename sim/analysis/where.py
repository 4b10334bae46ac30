"""The ``--where`` grammar of ``deterrence discover``: which runs are the case of interest.

A condition on a run's outcomes, e.g. ``deals_final >= 8`` or
``deterrence_failure == 1 or (probes > 20 and cohesion_final < 0.4)``::

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "(" expression ")" | comparison
    comparison := NAME OP NUMBER | NUMBER OP NAME
    OP         := "<" | "<=" | ">" | ">=" | "==" | "!="

``and`` binds tighter than ``or``, as in Python and SQL. NAME is an outcome column of
``runs.parquet`` (letters, digits, ``_`` and ``.``: ``signpost.baltic_cut.month``); NUMBER a
decimal number (``8``, ``-0.5``, ``1e3``). A run whose outcome is undefined (NaN: no first deal,
a failed run) satisfies no comparison, ``!=`` included.

Parsed by a tokeniser and a recursive-descent parser into a small tree that is evaluated on
numpy arrays: nothing in the text is ever executed (no ``eval``, no ``DataFrame.query``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from sim.model.loading import did_you_mean

OPERATORS: dict[str, Callable] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}  # 8 <= x is x >= 8
KEYWORDS = ("and", "or")

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_.\d]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<paren>[()])
""", re.VERBOSE)


class WhereError(ValueError):
    """A ``--where`` expression that cannot be parsed, or names no outcome of the folder."""


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, op, paren, and, or, end
    text: str
    pos: int


@dataclass(frozen=True)
class Comparison:
    name: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.value:g}"


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]

    def __str__(self) -> str:
        inner = f" {self.op} ".join(f"({p})" if isinstance(p, BoolOp) else str(p) for p in self.parts)
        return inner


Node = Comparison | BoolOp


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; anything else (quotes, brackets, calls, ``=``) is an error."""
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise WhereError(_at(text, pos, f"unexpected {text[pos]!r}; expected an outcome name, a comparison "
                                            f"({', '.join(OPERATORS)}), a number, 'and', 'or' or parentheses"))
        kind = m.lastgroup
        if kind != "space":
            word = m.group()
            if kind == "name" and word.lower() in KEYWORDS:
                kind = word.lower()
            tokens.append(Token(kind, word, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse(text: str) -> Node:
    """The tree of a ``--where`` expression (names not checked yet: see :func:`check_names`)."""
    if not text or not text.strip():
        raise WhereError("empty expression; e.g. --where \"deals_final >= 8\"")
    parser = _Parser(text, tokenize(text))
    node = parser.expression()
    parser.expect("end", "'and', 'or' or the end of the expression")
    return node


class _Parser:
    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens, self.i = text, tokens, 0

    @property
    def here(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, what: str) -> Token:
        if self.here.kind != kind:
            found = "the end" if self.here.kind == "end" else repr(self.here.text)
            raise WhereError(_at(self.text, self.here.pos, f"expected {what}, found {found}"))
        return self.take()

    def expression(self) -> Node:
        parts = [self.term()]
        while self.here.kind == "or":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self.here.kind == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def factor(self) -> Node:
        if self.here.kind == "paren" and self.here.text == "(":
            self.take()
            node = self.expression()
            if not (self.here.kind == "paren" and self.here.text == ")"):
                found = "the end" if self.here.kind == "end" else repr(self.here.text)
                raise WhereError(_at(self.text, self.here.pos, f"expected ')', found {found}"))
            self.take()
            return node
        if self.here.kind == "number":  # 8 <= deals_final
            value = float(self.take().text)
            op = self.expect("op", "a comparison (" + ", ".join(OPERATORS) + ")").text
            name = self.expect("name", "an outcome name").text
            return Comparison(name, MIRROR[op], value)
        name = self.expect("name", "an outcome name or '('")
        op = self.expect("op", "a comparison (" + ", ".join(OPERATORS) + ")").text
        value = float(self.expect("number", "a number").text)
        return Comparison(name.text, op, value)


def _at(text: str, pos: int, message: str) -> str:
    return f"{message} at character {pos + 1}:\n  {text}\n  {' ' * pos}^"


def names(node: Node) -> list[str]:
    """The outcome names an expression reads, in order, once each."""
    if isinstance(node, Comparison):
        return [node.name]
    return list(dict.fromkeys(n for p in node.parts for n in names(p)))


def check_names(node: Node, known: Iterable[str]) -> None:
    """A :class:`WhereError` naming each unknown outcome, with the closest known ones."""
    known = list(known)
    unknown = [n for n in names(node) if n not in known]
    if unknown:
        lines = []
        for name in unknown:
            hint = did_you_mean(name, known)
            lines.append(f"unknown outcome '{name}'" + (f" ({hint.strip()})" if hint else ""))
        shown = [k for k in known if not k.startswith("ally.")]
        allies = len(known) - len(shown)
        listing = ", ".join(shown) + (f", and {allies} per-ally outcomes ally.<ISO3>.<name>" if allies else "")
        raise WhereError("; ".join(lines) + "\n  outcomes in this folder: " + listing)


def evaluate(node: Node, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """The boolean array of the runs that satisfy ``node``; NaN satisfies no comparison."""
    if isinstance(node, Comparison):
        x = np.asarray(columns[node.name], dtype=float)
        with np.errstate(invalid="ignore"):
            return OPERATORS[node.op](x, node.value) & ~np.isnan(x)
    parts = [evaluate(p, columns) for p in node.parts]
    combine = np.logical_and if node.op == "and" else np.logical_or
    out = parts[0]
    for p in parts[1:]:
        out = combine(out, p)
    return out


def where(text: str, columns: Mapping[str, np.ndarray], known: Iterable[str] | None = None) -> np.ndarray:
    """Parse ``text``, check its names against ``known`` (default: the columns), evaluate it."""
    node = parse(text)
    check_names(node, known if known is not None else columns.keys())
    return evaluate(node, columns)
