"""Portable column types, defaults and CHECK text translated to one target dialect.

The profile keeps each column's logical type and the source's own spelling (``sql_type``). Within
one dialect family the source spelling wins (a MariaDB ``mediumint unsigned`` stays one); across
families the logical type plus the width, precision and length the source declared pick the
nearest type that holds every value (a ``bigint unsigned`` becomes PostgreSQL ``bigint``, a
PostgreSQL ``jsonb`` becomes MariaDB ``JSON``, an enum becomes ``TEXT`` + CHECK on SQLite).
Whatever cannot be carried over is dropped with a note the caller shows to the user.
"""

from __future__ import annotations

import re
import zlib

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from paritygen.profile.model import Column

FAMILIES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
"""Dialect name (SQLAlchemy's or the profile's) -> family whose SQL text is interchangeable."""

MAX_IDENTIFIER = {"postgresql": 63, "mysql": 64, "sqlite": 63}
"""Longest identifier per family: https://www.postgresql.org/docs/current/limits.html,
https://mariadb.com/kb/en/identifier-names/#maximum-length; SQLite has none, 63 keeps names
portable."""

MYSQL_INDEX_CHARS = 768
"""Characters of string columns one InnoDB index may hold: its key is at most 3072 bytes with
DYNAMIC rows (the default since MariaDB 10.2.2 / MySQL 5.7.9), and utf8mb4 takes up to 4 bytes a
character (https://mariadb.com/kb/en/innodb-limitations/#limitations-on-size)."""

_INT_WORDS = (
    "tinyint",
    "smallint",
    "mediumint",
    "bigint",
    "int",
    "integer",
    "serial",
    "bigserial",
    "smallserial",
    "year",
)
_FSP = re.compile(r"\((\d+)\)")


def family(dialect_name: str) -> str:
    """The family of a dialect name; unknown names are their own family."""
    return FAMILIES.get(dialect_name.lower(), dialect_name.lower())


def cut_identifier(name: str, limit: int) -> str:
    """*name* shortened to *limit* characters deterministically: a prefix plus a hash of the whole
    name, so two long names sharing a prefix stay distinct and reruns give the same result."""
    if len(name) <= limit:
        return name
    digest = f"{zlib.crc32(name.encode('utf-8')):08x}"
    return f"{name[: limit - 9]}_{digest}"


def _base_word(sql_type: str) -> str:
    return re.split(r"[\s(]", sql_type.strip().lower(), maxsplit=1)[0]


def _fsp(sql_type: str, default: int) -> int:
    found = _FSP.search(sql_type)
    return int(found.group(1)) if found else default


def column_type(
    col: Column, source: str, target: str, enum_types: dict[str, sa.Enum], enum_name: str
) -> sa.types.TypeEngine:
    """The SQLAlchemy type for *col* on the *target* family, given the *source* family."""
    same = family(source) == target
    word = _base_word(col.sql_type)
    logical = col.logical_type
    if logical == "integer":
        return _integer(col, word, same, target)
    if logical == "float":
        single = word in ("real", "float4") or (word == "float" and family(source) == "mysql")
        if target == "mysql":
            return mysql.FLOAT() if single else mysql.DOUBLE()
        return sa.REAL() if single else sa.Double()
    if logical == "decimal":
        scale = col.scale if col.scale is not None else _stats_scale(col)
        precision = col.precision
        if target == "mysql" and precision is None:
            precision = 65  # DECIMAL's maximum; an unbounded PostgreSQL numeric fits its digits
        return sa.Numeric(precision, scale if precision is not None else None)
    if logical == "boolean":
        return sa.Boolean()
    if logical == "string" and word == "set" and col.enum_values:
        return _set(col, same, target)
    if logical == "string":
        return _string(col, word, target)
    if logical == "text":
        if target == "mysql":
            if same and word in ("tinytext", "text", "mediumtext", "longtext"):
                return {
                    "tinytext": mysql.TINYTEXT,
                    "text": mysql.TEXT,
                    "mediumtext": mysql.MEDIUMTEXT,
                }.get(word, mysql.LONGTEXT)()
            return mysql.LONGTEXT()
        return sa.Text()
    if logical == "enum" and col.enum_values:
        return _enum(col, target, enum_types, enum_name)
    if logical == "enum":
        return _string(col, word, target)
    if logical == "uuid":
        return postgresql.UUID(as_uuid=False) if target == "postgresql" else sa.CHAR(36)
    if logical == "json":
        if target == "postgresql":
            return postgresql.JSONB() if word == "jsonb" or not same else postgresql.JSON()
        return mysql.JSON() if target == "mysql" else sa.JSON()
    if logical == "binary":
        return _binary(col, word, same, target)
    if logical == "date":
        return sa.Date()
    if logical == "datetime":
        if target == "mysql":
            fsp = _fsp(col.sql_type, 0) if same else 6
            if same and word == "timestamp":
                return mysql.TIMESTAMP(fsp=fsp)
            return mysql.DATETIME(fsp=fsp)
        if target == "postgresql":
            precision = _fsp(col.sql_type, 6) if same else 6
            return postgresql.TIMESTAMP(timezone=col.timezone, precision=precision)
        return sa.DateTime(timezone=col.timezone)
    if logical == "time":
        if target == "mysql":
            return mysql.TIME(fsp=_fsp(col.sql_type, 0) if same else 6)
        if target == "postgresql":
            return postgresql.TIME(timezone=col.timezone)
        return sa.Time()
    return sa.Text()


def _stats_scale(col: Column) -> int:
    found = col.stats.max_scale if col.stats is not None else None
    return min(30, found if found is not None else 10)


def _integer(col: Column, word: str, same: bool, target: str) -> sa.types.TypeEngine:
    if word not in _INT_WORDS:
        word = "bigint" if "big" in word else "int"
    if target == "sqlite":
        return sa.Integer()  # one INTEGER affinity; INTEGER PRIMARY KEY aliases the rowid
    if target == "mysql":
        if word == "year" and same:
            return mysql.YEAR()
        if word == "bit" and same:  # BIT(n) holds n bits: written as numbers (writers/mysql.py)
            found = _FSP.search(col.sql_type)
            return mysql.BIT(int(found.group(1)) if found else 1)
        cls = {
            "tinyint": mysql.TINYINT,
            "smallint": mysql.SMALLINT,
            "smallserial": mysql.SMALLINT,
            "mediumint": mysql.MEDIUMINT,
            "bigint": mysql.BIGINT,
            "bigserial": mysql.BIGINT,
        }
        return cls.get(word, mysql.INTEGER)(unsigned=col.unsigned)
    # PostgreSQL has no unsigned types: take the next width that holds the unsigned range.
    widths = {
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
    size = widths.get(word, 4)
    if col.unsigned and size < 8:
        size *= 2
    return {1: sa.SmallInteger(), 2: sa.SmallInteger(), 4: sa.Integer()}.get(size, sa.BigInteger())


def _string(col: Column, word: str, target: str) -> sa.types.TypeEngine:
    fixed = word in ("char", "bpchar", "nchar") or (
        word == "character" and "varying" not in col.sql_type.lower()
    )
    length = col.length
    if target == "mysql" and length is None:
        seen = col.stats.length.max if col.stats is not None and col.stats.length else 0
        length = max(255, seen)
        if length > 16383:  # beyond a utf8mb4 VARCHAR's row budget
            return mysql.LONGTEXT()
    if fixed and length:
        return sa.CHAR(length)
    return sa.String(length)


def _set(col: Column, same: bool, target: str) -> sa.types.TypeEngine:
    """A MySQL ``SET('a','b')`` stays one within the family; elsewhere a string wide enough for
    every member at once (``a,b``), which is how MySQL itself prints a set's value."""
    labels = tuple(col.enum_values or ())
    if same and target == "mysql":
        return mysql.SET(*labels)
    return sa.String(sum(len(v) for v in labels) + max(len(labels) - 1, 0))


def _enum(col: Column, target: str, cache: dict[str, sa.Enum], name: str) -> sa.types.TypeEngine:
    labels = tuple(col.enum_values or ())
    if target == "mysql":
        return mysql.ENUM(*labels)
    if target == "postgresql":
        known = cache.get(name)
        if known is not None and tuple(known.enums) == labels:
            return known
        if known is not None:  # same name, other labels: a distinct, deterministic type name
            name = cut_identifier(f"{name}_{zlib.crc32('|'.join(labels).encode()):08x}", 63)
        made = postgresql.ENUM(*labels, name=name)
        cache[name] = made
        return made
    return sa.Enum(
        *labels,
        native_enum=False,
        create_constraint=True,
        name=name,
        length=max(len(v) for v in labels),
    )


def _binary(col: Column, word: str, same: bool, target: str) -> sa.types.TypeEngine:
    if target != "mysql":
        return sa.LargeBinary()
    if same:
        blobs = {
            "tinyblob": mysql.TINYBLOB,
            "blob": mysql.BLOB,
            "mediumblob": mysql.MEDIUMBLOB,
            "longblob": mysql.LONGBLOB,
        }
        if word in blobs:
            return blobs[word]()
        if word == "binary" and col.length:
            return mysql.BINARY(col.length)
    if col.length:
        return mysql.VARBINARY(col.length)
    return mysql.LONGBLOB()


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
    if family(source) == target:
        return sa.text(text), None
    bare = _CAST.sub("", text).strip()
    while bare.startswith("(") and bare.endswith(")"):
        bare = bare[1:-1].strip()
    if _NOW.match(bare):
        return sa.text("CURRENT_TIMESTAMP"), None
    flag = next((w for w in (bare.lower(), bare.strip("'").lower()) if w in _BOOLEAN_WORDS), None)
    if col.logical_type == "boolean" and flag is not None:
        # MySQL spells a flag's default 1 / 0 (TINYINT(1)); PostgreSQL's boolean refuses them.
        return sa.text("TRUE" if _BOOLEAN_WORDS[flag] else "FALSE"), None
    if _LITERAL.match(bare):
        if target == "mysql" and col.logical_type in ("text", "json", "binary"):
            return None, f"default {text} dropped: MySQL cannot default a TEXT/BLOB/JSON column"
        return sa.text(bare), None
    return None, f"default {text} dropped: not portable to {target}"


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
    columns and literals (PostgreSQL's ``::type`` casts and ``= ANY (ARRAY[...])`` are rewritten
    first). Anything with a function call or an unknown name is dropped, with the reason.
    """
    if family(source) == target:
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
