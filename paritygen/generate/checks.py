"""Simple CHECK constraints: parsed from the profile's SQL text, then enforced on each chunk.

Databases reflect CHECK text in their own spelling: PostgreSQL adds casts and parentheses
(``((amount >= (0)::numeric))``,
``(status)::text = ANY ((ARRAY['new'::character varying])::text[])``),
MariaDB adds backquotes (and ``json_valid(`doc`)`` for JSON columns), SQLite keeps the source text.
The parser reads all of them into a few rule kinds (ranges, IN lists, NOT NULL, column
comparisons) joined by AND; anything else comes back as a :class:`SkippedCheck` with a reason,
never an exception. Generators use single-column rules up front (so distributions stay
faithful) and :func:`apply_checks` is the safety net that makes every parsed rule hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from paritygen.profile.model import Table

RANGE_OPS = frozenset({">", ">=", "<", "<=", "=", "<>"})
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "<>": "<>"}


@dataclass(frozen=True)
class RangeCheck:
    """``column op literal`` (op in >, >=, <, <=, =, <>)."""

    column: str
    op: str
    value: object


@dataclass(frozen=True)
class InCheck:
    """``column IN (literals)``; ``negated`` for NOT IN."""

    column: str
    values: tuple[object, ...]
    negated: bool = False


@dataclass(frozen=True)
class NotNullCheck:
    """``column IS NOT NULL``."""

    column: str


@dataclass(frozen=True)
class CompareCheck:
    """``left op right`` between two columns of the same row."""

    left: str
    op: str
    right: str


@dataclass(frozen=True)
class LengthCheck:
    """``length(column) op n`` (length, char_length, character_length, len)."""

    column: str
    op: str
    value: int
    in_bytes: bool = False
    """``octet_length`` (MariaDB spells ``length()`` so): the bound counts UTF-8 bytes."""


@dataclass(frozen=True)
class _IsNull:
    """``column IS NULL``: only meaningful as a branch of ``... OR column IS NULL``."""

    column: str


@dataclass(frozen=True)
class SkippedCheck:
    """A CHECK the parser does not understand; kept so callers can report it."""

    sqltext: str
    reason: str


CheckRule = RangeCheck | InCheck | NotNullCheck | CompareCheck | LengthCheck | SkippedCheck

LENGTH_FUNCTIONS = frozenset({"length", "char_length", "character_length", "len", "octet_length"})
"""Functions that measure a string, as the dialects spell them (``octet_length`` in bytes)."""


class _Unsupported(Exception):
    """Raised inside the parser; becomes a :class:`SkippedCheck`."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
    |(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<quoted>"(?:[^"]|"")+"|`(?:[^`]|``)+`)
    |(?P<op><>|!=|>=|<=|=|<|>|\(|\)|\[|\]|,|-|\+)
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    )""",
    re.VERBOSE,
)


_CAST = re.compile(
    r"::\s*(?:double\s+precision|character\s+varying|bit\s+varying"
    r"|(?:timestamp|time)(?:\s*\(\d+\))?\s+with(?:out)?\s+time\s+zone"
    r"|[A-Za-z_][A-Za-z0-9_]*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*",
    re.IGNORECASE,
)
"""A PostgreSQL cast (``::numeric``, ``::character varying``, ``::text[]``): meaningless for the
value ranges we enforce, so it is removed before tokenising."""


def _tokens(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    text = _CAST.sub("", text).strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise _Unsupported(f"cannot read {text[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "string":
            out.append(("lit", raw[1:-1].replace("''", "'")))
        elif kind == "number":
            number = float(raw)
            out.append(("lit", int(raw) if re.fullmatch(r"\d+", raw) else number))
        elif kind == "quoted":
            out.append(("ident", raw[1:-1]))
        elif kind == "word":
            upper = raw.upper()
            if upper in {"AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "ANY", "ARRAY"}:
                out.append(("kw", upper))
            elif upper in {"TRUE", "FALSE"}:
                out.append(("lit", upper == "TRUE"))
            else:
                out.append(("ident", raw))
        else:
            out.append(("op", "<>" if raw == "!=" else raw))
    return out


class _Parser:
    """Recursive descent over the token list; only the shapes we can enforce are accepted."""

    def __init__(self, tokens: list[tuple[str, object]], columns: set[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.columns = columns

    def peek(self, offset: int = 0) -> tuple[str, object] | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        token = self.peek()
        if token is None:
            raise _Unsupported("unexpected end")
        self.pos += 1
        return token

    def expect(self, kind: str, value: object) -> None:
        token = self.take()
        if token != (kind, value):
            raise _Unsupported(f"expected {value}, got {token[1]}")

    def parse(self) -> list[CheckRule]:
        rules = self.disjunction()
        if any(isinstance(rule, _IsNull) for rule in rules):
            raise _Unsupported("IS NULL on its own is not supported")
        if self.peek() is not None:
            raise _Unsupported(f"unsupported {self.peek()[1]}")
        return rules

    def disjunction(self) -> list[CheckRule]:
        """Only ``col IS NULL OR cond`` is an OR we can enforce, where every rule of ``cond``
        reads one of the IS NULL columns (``ends IS NULL OR ends > starts``): a comparison with
        a NULL is unknown, which passes a CHECK, so the branch adds nothing and it means
        ``cond``, which leaves NULL rows alone. A NOT NULL on such a column would contradict
        the branch, and a rule on other columns alone would be stricter than the CHECK."""
        branches = [self.conjunction()]
        while self.peek() == ("kw", "OR"):
            self.take()
            branches.append(self.conjunction())
        if len(branches) == 1:
            return branches[0]
        nullable = {b[0].column for b in branches if len(b) == 1 and isinstance(b[0], _IsNull)}
        rest = [b for b in branches if not (len(b) == 1 and isinstance(b[0], _IsNull))]
        if (
            len(rest) == 1
            and nullable
            and all(
                not isinstance(rule, NotNullCheck | _IsNull) and _columns(rule) & nullable
                for rule in rest[0]
            )
        ):
            return rest[0]
        raise _Unsupported("OR is not supported")

    def conjunction(self) -> list[CheckRule]:
        rules = self.predicate()
        while self.peek() == ("kw", "AND"):
            self.take()
            rules += self.predicate()
        return rules

    def predicate(self) -> list[CheckRule]:
        if self.peek() == ("op", "(") and self._parenthesised_predicate():
            self.take()
            rules = self.disjunction()
            self.expect("op", ")")
            return rules
        left = self.operand()
        token = self.take()
        if token == ("kw", "IS"):
            if self.peek() == ("kw", "NULL"):
                self.take()
                return [_IsNull(self.column(left))]
            self.expect("kw", "NOT")
            self.expect("kw", "NULL")
            return [NotNullCheck(self.column(left))]
        negated = False
        if token == ("kw", "NOT"):
            negated = True
            token = self.take()
        if token == ("kw", "BETWEEN"):
            low = self.operand()
            self.expect("kw", "AND")
            high = self.operand()
            if negated:
                raise _Unsupported("NOT BETWEEN is not supported")
            column = self.column(left)
            return [
                RangeCheck(column, ">=", self.literal(low)),
                RangeCheck(column, "<=", self.literal(high)),
            ]
        if token == ("kw", "IN"):
            return [InCheck(self.column(left), tuple(self.literal_list()), negated)]
        if token[0] == "op" and token[1] in RANGE_OPS and not negated:
            if self.peek() == ("kw", "ANY") and token[1] == "=":
                self.take()
                return [InCheck(self.column(left), tuple(self.literal_list()))]
            right = self.operand()
            return [self.comparison(left, str(token[1]), right)]
        raise _Unsupported(f"unsupported operator {token[1]}")

    def _parenthesised_predicate(self) -> bool:
        """Whether the '(' at the cursor opens a predicate, not an operand like ``(amount)``."""
        depth = 0
        for kind, value in self.tokens[self.pos :]:
            if (kind, value) == ("op", "("):
                depth += 1
            elif (kind, value) == ("op", ")"):
                depth -= 1
                if depth == 0:
                    return False
            elif depth >= 1 and (
                (kind == "op" and value in RANGE_OPS) or (kind == "kw" and value != "ARRAY")
            ):
                return True
        return False

    def operand(self) -> tuple[str, object]:
        token = self.take()
        if token == ("op", "("):
            inner = self.operand()
            self.expect("op", ")")
            return inner
        if token == ("op", "-"):
            value = self.operand()
            if value[0] != "lit" or not isinstance(value[1], int | float):
                raise _Unsupported("unary minus on a non-number")
            return ("lit", -value[1])
        if token[0] == "ident" and self.peek() == ("op", "("):
            if str(token[1]).lower() not in LENGTH_FUNCTIONS:
                raise _Unsupported(f"function {token[1]}()")
            self.take()
            inner = self.operand()
            self.expect("op", ")")
            kind = "bytes" if str(token[1]).lower() == "octet_length" else "length"
            return (kind, self.column(inner))
        if token[0] in ("ident", "lit"):
            return token
        raise _Unsupported(f"unexpected {token[1]}")

    def literal_list(self) -> list[object]:
        """``(a, b)``, ``(ARRAY[a, b])``, ``((ARRAY[a, b]))``: PostgreSQL nests and casts."""
        depth = 0
        while self.peek() == ("op", "("):
            self.take()
            depth += 1
        values: list[object] = []
        if self.peek() == ("kw", "ARRAY"):
            self.take()
            self.expect("op", "[")
            close = "]"
        else:
            if depth == 0:
                raise _Unsupported("IN without a list")
            depth -= 1
            close = ")"
        while True:
            values.append(self.literal(self.operand()))
            token = self.take()
            if token == ("op", close):
                break
            if token != ("op", ","):
                raise _Unsupported("malformed list")
        for _ in range(depth):
            self.expect("op", ")")
        return values

    def column(self, token: tuple[str, object]) -> str:
        if token[0] != "ident" or str(token[1]) not in self.columns:
            raise _Unsupported(f"{token[1]!r} is not a column of the table")
        return str(token[1])

    @staticmethod
    def literal(token: tuple[str, object]) -> object:
        if token[0] != "lit":
            raise _Unsupported(f"{token[1]!r} is not a literal")
        return token[1]

    def comparison(self, left, op: str, right) -> CheckRule:
        if left[0] in ("length", "bytes") or right[0] in ("length", "bytes"):
            if left[0] not in ("length", "bytes"):
                left, right, op = right, left, _FLIP[op]
            value = self.literal(right)
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Unsupported("length compared with a non-integer")
            return LengthCheck(str(left[1]), op, value, in_bytes=left[0] == "bytes")
        if left[0] == "ident" and right[0] == "ident":
            return CompareCheck(self.column(left), op, self.column(right))
        if left[0] == "ident":
            return RangeCheck(self.column(left), op, self.literal(right))
        if right[0] == "ident":
            return RangeCheck(self.column(right), _FLIP[op], self.literal(left))
        raise _Unsupported("comparison of two literals")


def _columns(rule: CheckRule) -> set[str]:
    if isinstance(rule, CompareCheck):
        return {rule.left, rule.right}
    return {rule.column} if hasattr(rule, "column") else set()


def parse_check(sqltext: str, columns: set[str]) -> list[CheckRule]:
    """The rules one CHECK's text holds, or a single :class:`SkippedCheck` saying why not."""
    try:
        return _Parser(_tokens(sqltext), columns).parse()
    except _Unsupported as exc:
        return [SkippedCheck(sqltext, str(exc))]
    except (ValueError, IndexError, TypeError) as exc:  # defensive: never crash on odd text
        return [SkippedCheck(sqltext, f"unreadable ({exc.__class__.__name__})")]


def parse_checks(table: Table) -> list[CheckRule]:
    """Every CHECK of *table* as rules; unparsable ones come back as :class:`SkippedCheck`."""
    columns = set(table.columns)
    rules: list[CheckRule] = []
    for check in table.checks:
        rules += parse_check(check.sqltext, columns)
    return rules


def column_rules(rules: list[CheckRule], column: str) -> list[CheckRule]:
    """The single-column rules (ranges, IN lists) that bound *column*."""
    return [r for r in rules if isinstance(r, RangeCheck | InCheck) and r.column == column]


def apply_checks(
    df: pl.DataFrame, rules: list[CheckRule], rng: np.random.Generator
) -> pl.DataFrame:
    """*df* repaired so every parsed rule holds (skipped rules are left alone); see
    :mod:`paritygen.generate.repair`."""
    from paritygen.generate.repair import repair_all

    return repair_all(df, rules, rng)


def count_violations(df: pl.DataFrame, rules: list[CheckRule]) -> int:
    """Rows-times-rules that break a parsed rule (0 after :func:`apply_checks`)."""
    from paritygen.generate.repair import count_violations as count

    return count(df, rules)
