"""Defaults and CHECKs from a profile, parsed and re-rendered: a profile is data, never code.

A profile is a file people mail around and commit, so the text of a column default, a CHECK or
a generated column's expression is untrusted. None of it reaches a database as written: it is
parsed by sqlglot (a real SQL parser) into an expression tree, every node is checked against an
allow-list, column references must name a column of the table, and the tree is rendered again
for the target dialect, identifiers quoted. Anything else (several statements, a sub-query, an
unknown function, a name that is not a column) is dropped with a one-line note saying why.

    'x'); CREATE TABLE pwned(i int); --      -> not one expression: dropped
    (1 = 1) OR pg_sleep(10) IS NULL          -> calls pg_sleep(): dropped
    ((status)::text = ANY (ARRAY['a','b']))  -> "status" IN ('a', 'b') on MariaDB / SQLite

Across databases the tree is also what makes a CHECK portable: PostgreSQL's ``= ANY (ARRAY[..])``
becomes ``IN (..)``, casts are rendered in the target's type names, functions under the target's
name (``char_length`` / ``length``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlglot is imported on the first expression: most schemas have none
    from sqlglot import exp

SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
"""Our database families -> sqlglot's dialect names (others: sqlglot's generic SQL)."""


@functools.lru_cache(maxsize=1)
def _nodes() -> dict[str, tuple[type[exp.Expression], ...]]:
    """sqlglot's node classes by role, built on first use: importing sqlglot costs about 0.15 s
    of every run's start-up, and a schema without defaults, CHECKs or index expressions never
    parses one.

    - ``operators``, ``values``, ``functions``: allowed in any family;
    - ``same_family_only``: kept only when source and target are the same database (no
      faithful translation);
    - ``same_family_kinds``: within one database family (a PostgreSQL profile into
      PostgreSQL), any operator and any function sqlglot knows by name (``split_part``,
      ``concat``, ``CASE``, date arithmetic): those are the SQL library, pure values. Server
      functions with effects (``pg_sleep``, ``lo_import``, ``pg_read_file``, ``dblink``,
      ``sys_exec``) are not among them: sqlglot knows them only as ``Anonymous`` calls, which
      must be on :data:`ANONYMOUS_FUNCTIONS`;
    - ``never``, in any family: queries, other objects, parameters, file access.
    """
    from sqlglot import exp

    return {
        "operators": (
            exp.Paren, exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT,
            exp.LTE, exp.Is, exp.In, exp.Between, exp.Like, exp.Add, exp.Sub, exp.Mul, exp.Div,
            exp.Mod, exp.Neg, exp.Tuple,
        ),
        "values": (
            exp.Literal, exp.Null, exp.Boolean, exp.BitString, exp.HexString, exp.Cast,
            exp.DataType, exp.DataTypeParam, exp.Identifier,
        ),
        "functions": (
            exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Lower, exp.Upper,
            exp.Length, exp.Trim, exp.Abs, exp.Coalesce, exp.Round, exp.Floor, exp.Ceil,
        ),
        "same_family_only": (
            exp.RegexpLike, exp.RegexpILike, exp.ILike, exp.Any, exp.All, exp.Array, exp.Uuid,
        ),
        "same_family_kinds": (
            exp.Binary, exp.Unary, exp.Predicate, exp.Func, exp.Interval, exp.Bracket, exp.Var,
        ),
        "never": (
            exp.Query, exp.Subquery, exp.Exists, exp.Dot, exp.Command, exp.Placeholder,
            exp.Parameter, exp.Table, exp.Star, exp.ReadCSV, exp.ReadParquet, exp.ToFile,
        ),
    }  # fmt: skip


ANONYMOUS_FUNCTIONS = frozenset({"json_valid", "char_length", "octet_length", "btrim"})
"""Functions sqlglot has no node for that a CHECK may call (checked by lower-case name)."""

INDEX_FUNCTIONS = ANONYMOUS_FUNCTIONS | {"to_tsvector", "setweight"}
"""Also allowed in an index's expressions: the full-text functions an index is built over."""

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]*$")


class Dropped(Exception):
    """The expression is not allowed; ``str()`` is the reason."""


def dialect_of(family: str) -> str | None:
    return SQLGLOT_DIALECTS.get(family)


def safe_expression(
    text: str,
    source: str,
    target: str,
    *,
    columns: dict[str, str] | None = None,
    functions: frozenset[str] = ANONYMOUS_FUNCTIONS,
) -> str:
    """*text* (written for database family *source*) parsed, checked and rendered for
    *target*; *columns* maps the column names it may use to their names in the target (None:
    no column may be named, as in a default); *functions* are the calls sqlglot has no node
    for that may appear. Raises :class:`Dropped` with the reason."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel, SqlglotError

    nodes = _nodes()
    try:
        parsed = sqlglot.parse(text, read=dialect_of(source))
    except SqlglotError:
        raise Dropped("not a single SQL expression") from None
    if len(parsed) != 1 or parsed[0] is None or isinstance(parsed[0], exp.Command):
        raise Dropped("not a single SQL expression")
    same = source == target
    tree = parsed[0] if same else _portable(parsed[0])
    allowed = nodes["operators"] + nodes["values"] + nodes["functions"]
    if same:
        allowed += nodes["same_family_only"] + nodes["same_family_kinds"]
    known = {name.lower(): real for name, real in (columns or {}).items()}
    for node in tree.walk():
        if isinstance(node, nodes["never"]):
            raise Dropped(f"{node.key} is not allowed in a profile's expression")
        if isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise Dropped(f"names another table ({node.sql()})")
            name = node.name.lower()
            if name not in known:
                raise Dropped(f"unknown name {node.name!r}" if columns is not None
                              else "a default cannot read a column")  # fmt: skip
            continue
        if isinstance(node, exp.Anonymous):
            if str(node.this).lower() not in functions:
                raise Dropped(f"calls {node.this}(), which is not allowed")
            continue
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.USERDEFINED:
            kind = node.args.get("kind")
            if not same or not _PLAIN_NAME.match(str(getattr(kind, "this", kind) or "")):
                raise Dropped(f"casts to a type of the source's own ({node.sql()})")
            continue
        if not isinstance(node, allowed):
            raise Dropped(f"{node.key} is not allowed in a portable expression")
    tree = tree.transform(_renamer(known))
    try:
        return tree.sql(dialect=dialect_of(target), identify=True,
                        unsupported_level=ErrorLevel.RAISE)  # fmt: skip
    except SqlglotError as exc:
        raise Dropped(f"not expressible on {target} ({exc})") from None


def _portable(tree: exp.Expression) -> exp.Expression:
    """PostgreSQL's ``x = ANY (ARRAY[..])`` / ``x <> ALL (ARRAY[..])`` as ``IN`` / ``NOT IN``."""
    from sqlglot import exp

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.EQ | exp.NEQ):
            right = node.expression
            while isinstance(right, exp.Paren | exp.Cast):
                right = right.this
            wrapper = exp.Any if isinstance(node, exp.EQ) else exp.All
            if isinstance(right, wrapper | exp.Anonymous):
                if isinstance(right, exp.Anonymous) and str(right.this).upper() != "ALL":
                    return node
                inner = right.this if not isinstance(right, exp.Anonymous) else (
                    right.expressions[0] if right.expressions else None)  # fmt: skip
                while isinstance(inner, exp.Paren | exp.Cast):
                    inner = inner.this
                if isinstance(inner, exp.Array):
                    found = exp.In(this=node.this, expressions=list(inner.expressions))
                    return found if isinstance(node, exp.EQ) else exp.Not(this=found)
        return node

    return tree.transform(rewrite)


def _renamer(known: dict[str, str]) -> Callable[[exp.Expression], exp.Expression]:
    from sqlglot import exp

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name.lower() in known:
            return exp.column(known[node.name.lower()], quoted=True)
        return node

    return rename
