"""Portable column types, defaults and CHECK text translated to one target database.

The profile keeps each column's logical type and the source's own spelling (``sql_type``). Within
one dialect family the source spelling wins (a ``mediumint unsigned`` stays one); across
families the logical type plus the width, precision and length the source declared pick the
nearest type that holds every value (a ``bigint unsigned`` becomes ``bigint``, a ``jsonb`` becomes
``JSON``, an enum becomes ``TEXT`` + CHECK where there is no enum type).

:class:`TypeMapper` is the generic mapping onto SQLAlchemy's portable types; each database module
subclasses it and overrides only what its server spells differently (the way SQLAlchemy's dialect
type compilers refine the generic one). Nothing here names a database: what differs is read from
the target's and the source's :class:`~paritygen.writers.capabilities.Capabilities`.
Whatever cannot be carried over is dropped with a note the caller shows to the user.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa

from paritygen.profile.model import Column
from paritygen.writers.capabilities import Capabilities, capabilities

INT_WIDTHS = {
    "tinyint": 1,
    "smallint": 2,
    "smallserial": 2,
    "year": 2,
    "mediumint": 4,
    "int": 4,
    "integer": 4,
    "serial": 4,
    "bigint": 8,
    "bigserial": 8,
}
"""Bytes of each source integer word; an unsigned one needs the next width where none exists."""

_FSP = re.compile(r"\((\d+)\)")

SPELLED_TYPE = re.compile(
    r"^[a-z][a-z0-9_]*(?: [a-z][a-z0-9_]*)*(?:\(\d+(?:,\s*\d+)?\))?"
    r"(?: with(?:out)? time zone)?(?: unsigned)?(?: zerofill)?(?:\[\d*\])*$"
)
"""A source type spelling the writers may repeat verbatim in DDL: words, one optional
``(n[,m])``, array brackets. A profile is untrusted input; nothing else of it reaches DDL."""


class NativeType(sa.types.UserDefinedType):
    """A source type kept as the source spelled it (``inet``, ``integer[]``, ``tstzrange``,
    ``point``), within its family; only spellings that match :data:`SPELLED_TYPE` are made."""

    cache_ok = True

    def __init__(
        self, spelled: str, value_kind: str | None = None, extension: str | None = None
    ) -> None:
        if not SPELLED_TYPE.match(spelled):
            raise ValueError(f"not a plain type spelling: {spelled!r}")
        self.spelled = spelled
        self.value_kind = value_kind
        """The literal form of the values (a writer may need to convert them, e.g. WKT)."""
        self.extension = extension
        """The database extension that provides the type, created with the tables."""

    def get_col_spec(self, **kw: object) -> str:
        return self.spelled


def cut_identifier(name: str, limit: int) -> str:
    """*name* shortened to *limit* characters deterministically: a prefix plus a hash of the whole
    name, so two long names sharing a prefix stay distinct and reruns give the same result."""
    if len(name) <= limit:
        return name
    digest = f"{zlib.crc32(name.encode('utf-8')):08x}"
    return f"{name[: limit - 9]}_{digest}"


def base_word(sql_type: str) -> str:
    """The first word of a source type (``varchar`` of ``varchar(20)``), lower case."""
    return re.split(r"[\s(]", sql_type.strip().lower(), maxsplit=1)[0]


def type_argument(sql_type: str, default: int) -> int:
    """The first number in parentheses (``6`` of ``datetime(6)``), else *default*."""
    found = _FSP.search(sql_type)
    return int(found.group(1)) if found else default


@dataclass
class TypeContext:
    """One column's translation: what the mapper needs besides the column itself."""

    column: Column
    source: Capabilities
    target: Capabilities
    enum_types: dict[str, sa.Enum]
    """Named enum types made so far (one ``CREATE TYPE`` per name)."""
    enum_name: str
    """Name for the column's enum type (the source's, else ``table_column``)."""

    @property
    def same(self) -> bool:
        """True when source and target share SQL text (the source spelling is kept)."""
        return self.source.family == self.target.family

    @property
    def word(self) -> str:
        return base_word(self.column.sql_type)


class TypeMapper:
    """The generic mapping: SQLAlchemy's portable types, which any database can create."""

    native_words: ClassVar[frozenset[str]] = frozenset()
    """Source type words kept as spelled within the family although they carry no value kind
    (a case-insensitive ``citext``)."""
    extensions: ClassVar[dict[str, str]] = {}
    """Type word -> the extension that provides it (created with the tables)."""

    def column_type(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """The SQLAlchemy type for the column of *ctx* on the target."""
        col = ctx.column
        native = self.native(ctx)
        if native is not None:
            return native
        logical = col.logical_type
        if logical == "string" and ctx.word == "set" and col.enum_values:
            return self.set_type(ctx)
        if logical == "enum" and not col.enum_values:
            return self.string(ctx)
        handler: Callable[[TypeContext], sa.types.TypeEngine] | None = getattr(
            self, _HANDLERS.get(logical, ""), None
        )
        return handler(ctx) if handler is not None else sa.Text()

    def native(self, ctx: TypeContext) -> NativeType | None:
        """The source's own type, within its family, for a database-specific type (None for a
        portable one, or a spelling that is not plain)."""
        col = ctx.column
        if not ctx.same or not (col.value_kind or ctx.word in self.native_words):
            return None
        spelled = col.sql_type.strip().lower()
        if not SPELLED_TYPE.match(spelled):
            return None
        return NativeType(spelled, col.value_kind, self.extensions.get(ctx.word))

    def integer(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """The narrowest width that holds the source's range (an unsigned one doubled)."""
        size = INT_WIDTHS.get(_int_word(ctx.word), 4)
        if ctx.column.unsigned and size < 8:
            size *= 2
        return {1: sa.SmallInteger(), 2: sa.SmallInteger(), 4: sa.Integer()}.get(
            size, sa.BigInteger()
        )

    def floating(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.REAL() if self.single_float(ctx) else sa.Double()

    def single_float(self, ctx: TypeContext) -> bool:
        """True when the source column is a 4-byte float (its family's words say which)."""
        return ctx.word in ctx.source.single_float_words

    def decimal(self, ctx: TypeContext) -> sa.types.TypeEngine:
        col = ctx.column
        scale = col.scale if col.scale is not None else _stats_scale(col)
        precision = col.precision
        if precision is None:
            precision = ctx.target.max_decimal_precision  # an unbounded numeric's digits fit
        return sa.Numeric(precision, scale if precision is not None else None)

    def boolean(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.Boolean()

    def string(self, ctx: TypeContext) -> sa.types.TypeEngine:
        if is_fixed_char(ctx.column) and ctx.column.length:
            return sa.CHAR(ctx.column.length)
        return sa.String(ctx.column.length)

    def set_type(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """A set of labels (a ``SET`` column) as a string wide enough for every member at once
        (``a,b``), which is how such a set's value is printed."""
        labels = tuple(ctx.column.enum_values or ())
        return sa.String(sum(len(v) for v in labels) + max(len(labels) - 1, 0))

    def text(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.Text()

    def enum(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """Labels checked by a CHECK constraint on a string column (no native enum type)."""
        labels = tuple(ctx.column.enum_values or ())
        return sa.Enum(
            *labels,
            native_enum=False,
            create_constraint=True,
            name=ctx.enum_name,
            length=max(len(v) for v in labels),
        )

    def uuid(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.CHAR(36)

    def json(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.JSON()

    def binary(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.LargeBinary()

    def date(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.Date()

    def timestamp(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.DateTime(timezone=ctx.column.timezone)

    def time_of_day(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.Time()

    def btree_indexable(self, type_: sa.types.TypeEngine) -> bool:
        """False for a type with no default B-tree operator class (an index on it is dropped)."""
        return True


_HANDLERS = {
    "integer": "integer",
    "float": "floating",
    "decimal": "decimal",
    "boolean": "boolean",
    "string": "string",
    "text": "text",
    "enum": "enum",
    "uuid": "uuid",
    "json": "json",
    "binary": "binary",
    "date": "date",
    "datetime": "timestamp",
    "time": "time_of_day",
}


def _int_word(word: str) -> str:
    if word in INT_WIDTHS:
        return word
    return "bigint" if "big" in word else "int"


def is_fixed_char(col: Column) -> bool:
    """True for ``char(n)`` / ``character(n)`` / ``nchar(n)`` (blank-padded) source columns."""
    word = base_word(col.sql_type)
    return word in ("char", "bpchar", "nchar") or (
        word == "character" and "varying" not in col.sql_type.lower()
    )


def _stats_scale(col: Column) -> int:
    found = col.stats.max_scale if col.stats is not None else None
    return min(30, found if found is not None else 10)


def column_type(
    col: Column, source: str, target: str, enum_types: dict[str, sa.Enum], enum_name: str
) -> sa.types.TypeEngine:
    """The SQLAlchemy type for *col* on the *target* database, given the *source* dialect."""
    target_caps = capabilities(target)
    ctx = TypeContext(col, capabilities(source), target_caps, enum_types, enum_name)
    return target_caps.types.column_type(ctx)


_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\s+varying|\s+precision|\s+with(?:out)?\s+time\s+zone)?)"
    r"(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?",
    re.IGNORECASE,
)
_LITERAL = re.compile(
    r"^(?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|'(?:[^']|'')*'|true|false)$", re.IGNORECASE
)
_BOOLEAN_WORDS = {"1": True, "0": False, "true": True, "false": False, "b'1'": True, "b'0'": False}
_NOW = re.compile(r"^(?:now\(\)|current_timestamp(?:\(\d*\))?|localtimestamp)$", re.IGNORECASE)


def server_default(
    col: Column, source: str, target: str
) -> tuple[sa.TextClause | None, str | None]:
    """(default for the target or None, note when the source's default was dropped)."""
    text = (col.default or "").strip()
    if not text or text.upper() == "NULL" or col.autoincrement or "nextval(" in text.lower():
        return None, None
    source_caps, target_caps = capabilities(source), capabilities(target)
    if source_caps.family == target_caps.family:
        return sa.text(text), None
    bare = _CAST.sub("", text).strip()
    while bare.startswith("(") and bare.endswith(")"):
        bare = bare[1:-1].strip()
    if _NOW.match(bare):
        return sa.text("CURRENT_TIMESTAMP"), None
    flag = next((w for w in (bare.lower(), bare.strip("'").lower()) if w in _BOOLEAN_WORDS), None)
    if col.logical_type == "boolean" and flag is not None:
        # A TINYINT(1) flag's default is spelled 1 / 0, which a real boolean type refuses.
        return sa.text("TRUE" if _BOOLEAN_WORDS[flag] else "FALSE"), None
    if _LITERAL.match(bare):
        if not target_caps.lob_defaults and col.logical_type in ("text", "json", "binary"):
            name = target_caps.display_name
            return None, f"default {text} dropped: {name} cannot default a TEXT/BLOB/JSON column"
        return sa.text(bare), None
    return None, f"default {text} dropped: not portable to {target_caps.family}"


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<qid>\"(?:[^\"]|\"\")+\"|`(?:[^`]|``)+`|\[[^\]]+\])|(?P<id>[A-Za-z_][A-Za-z0-9_$]*)"
    r"|(?P<op><>|!=|>=|<=|=|<|>|\(|\)|,|\+|-|\*|/))"
)
_KEYWORDS = {"and", "or", "not", "in", "between", "is", "null", "like", "true", "false"}
_ANY_ARRAY = re.compile(
    r"(=|<>)\s*(ANY|ALL)\s*\(\s*\(?\s*ARRAY\s*\[(.*?)\]\s*\)?\s*\)", re.IGNORECASE | re.DOTALL
)


def portable_check(
    sqltext: str, columns: dict[str, str], source: str, target: str, quote: callable
) -> tuple[str | None, str | None]:
    """(CHECK text valid on the target or None, note when dropped).

    Same family: the source text as is. Otherwise only simple predicates survive: comparisons,
    IN lists, BETWEEN, IS [NOT] NULL, LIKE, AND / OR / NOT and arithmetic over this table's
    columns and literals (``::type`` casts and ``= ANY (ARRAY[...])`` are rewritten
    first). Anything with a function call or an unknown name is dropped, with the reason.
    """
    if capabilities(source).family == capabilities(target).family:
        return sqltext, None
    text = _CAST.sub("", sqltext)
    text = _ANY_ARRAY.sub(
        lambda m: ("IN" if m.group(1) == "=" else "NOT IN") + f" ({m.group(3)})", text
    )
    out: list[str] = []
    pos = 0
    lowered = {k.lower(): v for k, v in columns.items()}
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            return None, f"check {sqltext!r} dropped: cannot read it as a portable predicate"
        pos = m.end()
        if m.group("id") or m.group("qid"):
            raw = m.group("id") or m.group("qid")[1:-1]
            if m.group("id") and raw.lower() in _KEYWORDS:
                out.append(raw.upper())
                continue
            if _TOKEN.match(text, pos) and text[pos:].lstrip().startswith("("):
                return None, f"check {sqltext!r} dropped: calls {raw}(), not portable to {target}"
            if raw.lower() not in lowered:
                return None, f"check {sqltext!r} dropped: unknown name {raw!r}"
            out.append(quote(lowered[raw.lower()]))
        else:
            out.append(m.group(0).strip())
    if not out:
        return None, f"check {sqltext!r} dropped: empty"
    return " ".join(out).replace("( ", "(").replace(" )", ")").replace(" ,", ","), None
