"""Schema reflection: SQLAlchemy's inspector output turned into the profile's portable model, once.

This is the only module that talks to the inspector (the SQLAlchemy model in STYLE.md): every
other stage reads :class:`~paritygen.profile.model.Table` / ``Column``. Dialect knowledge lives
here as documented constants and small overrides, not as branches scattered over the code base.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql as mysql_types
from sqlalchemy.dialects import postgresql as pg_types
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.exc import CompileError

from paritygen.profile.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LogicalType,
    Table,
    UniqueConstraint,
)

DEFAULT_SCHEMA = {"postgresql": "public"}
"""Schema profiled when none is given; other dialects use the URL's database (inspector default)."""

SEQUENCE_DEFAULT = re.compile(r"^\s*nextval\(", re.IGNORECASE)
"""PostgreSQL ``serial`` columns: the default names a sequence of the source, which a target does
not have; the column is recorded as ``autoincrement`` instead and the default is dropped."""

JSON_VALID_CHECK = re.compile(r"json_valid\(\s*[`\"]?(?P<col>[^`\")]+)[`\"]?\s*\)", re.IGNORECASE)
"""MariaDB stores JSON as LONGTEXT guarded by ``CHECK (json_valid(col))``
(https://mariadb.com/kb/en/json-data-type/); such a column is logically ``json``."""

# Order matters: subclasses before their bases (Float subclasses Numeric, Text subclasses String,
# MySQL SET subclasses String, Enum subclasses String).
_TYPE_MAP: tuple[tuple[type, LogicalType], ...] = (
    (sa.Boolean, "boolean"),
    (sa.Enum, "enum"),
    (mysql_types.SET, "string"),
    (mysql_types.YEAR, "integer"),
    (sa.Integer, "integer"),
    (sa.Float, "float"),
    (sa.Numeric, "decimal"),
    (sa.DateTime, "datetime"),
    (sa.Date, "date"),
    (sa.Time, "time"),
    (sa.Uuid, "uuid"),
    (sa.JSON, "json"),
    (sa.ARRAY, "text"),
    (sa.LargeBinary, "binary"),
    (sa.types._Binary, "binary"),
    (sa.Text, "text"),
    (sa.String, "string"),
)

_NAME_OVERRIDES: dict[str, LogicalType] = {
    # Types SQLAlchemy reflects as generic/NullType or as a class outside the map above.
    "UUID": "uuid",
    "JSONB": "json",
    "JSON": "json",
    "BIT": "integer",  # MySQL BIT(n): a number of n bits (PostgreSQL's bit strings: below)
    "INTERVAL": "float",  # seconds (read as such, see profile/read.py); value_kind interval
    "INET": "string",
    "CIDR": "string",
    "MACADDR": "string",
    "MACADDR8": "string",
    "MONEY": "decimal",
    "TSVECTOR": "text",
    "XML": "text",
    "HSTORE": "text",
}

VALUE_KINDS = {
    "INTERVAL": "interval",
    "MONEY": "money",
    "INET": "inet",
    "CIDR": "cidr",
    "MACADDR": "macaddr",
    "MACADDR8": "macaddr8",
    "TSVECTOR": "tsvector",
    "XML": "xml",
    "HSTORE": "hstore",
}
"""Reflected type class name -> ``Column.value_kind`` (the literal form generators make)."""

PG_GEOMETRIC = frozenset({"point", "line", "lseg", "box", "path", "polygon", "circle"})
"""PostgreSQL's geometric types, each its own literal form
(https://www.postgresql.org/docs/current/datatype-geometric.html)."""

MYSQL_SPATIAL = frozenset(
    {
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    }
)
"""MariaDB / MySQL spatial types, written and read as WKT (https://mariadb.com/kb/en/
geometry-types/)."""

CATALOG_TYPES = {
    "postgresql": (
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = COALESCE(:schema, current_schema()) AND a.attnum > 0"
        " AND NOT a.attisdropped"
    ),
    "mysql": (
        "SELECT table_name, column_name, column_type FROM information_schema.columns"
        " WHERE table_schema = COALESCE(:schema, DATABASE())"
    ),
}
"""The type as the catalog spells it, for columns SQLAlchemy reflects as ``NullType`` (xml,
geometric and spatial types): https://www.postgresql.org/docs/current/functions-info.html
(format_type), https://mariadb.com/kb/en/information-schema-columns-table/."""


def logical_type_of(sql_type: sa.types.TypeEngine[Any]) -> LogicalType:
    """The portable logical type of a reflected SQLAlchemy type (``text`` when unknown)."""
    name = type(sql_type).__name__.upper()
    if isinstance(sql_type, mysql_types.TINYINT) and getattr(sql_type, "display_width", None) == 1:
        # MySQL's BOOLEAN is TINYINT(1); the display width is the only trace of the intent
        # (https://dev.mysql.com/doc/refman/8.0/en/numeric-type-syntax.html).
        return "boolean"
    if name == "BIT" and getattr(sql_type, "length", None) == 1:
        return "boolean"  # BIT(1) is how MySQL schemas (and some PostgreSQL ones) spell a flag
    if isinstance(sql_type, pg_types.BIT):
        return "string"  # a bit string: '0101'
    if isinstance(sql_type, pg_types.ranges.AbstractRange):
        return "text"
    if name in _NAME_OVERRIDES:
        return _NAME_OVERRIDES[name]
    for cls, logical in _TYPE_MAP:
        if isinstance(sql_type, cls):
            if (
                logical == "string"
                and getattr(sql_type, "length", None) is None
                and not isinstance(sql_type, mysql_types.SET)
            ):
                return "text"
            return logical
    return "text"


_QUOTED = re.compile(r"('(?:[^']|'')*')")


def sql_type_text(sql_type: sa.types.TypeEngine[Any], dialect: sa.engine.Dialect) -> str:
    """The type as the source spells it, lower-cased outside quoted enum labels."""
    try:
        text = sql_type.compile(dialect=dialect)
    except (CompileError, NotImplementedError, AttributeError):
        text = type(sql_type).__name__
    parts = _QUOTED.split(text)
    return "".join(p if i % 2 else re.sub(r",\s+", ",", p.lower()) for i, p in enumerate(parts))


def _enum_values(sql_type: sa.types.TypeEngine[Any]) -> tuple[tuple[str, ...] | None, str | None]:
    if isinstance(sql_type, mysql_types.SET):
        return tuple(sql_type.values), None
    if isinstance(sql_type, sa.Enum):
        # Only PostgreSQL enums are named types; MySQL ENUM / SQLite CHECK-enums have no name.
        name = sql_type.name if sql_type.native_enum and sql_type.name else None
        return tuple(sql_type.enums), name
    return None, None


def value_kind_of(
    sql_type: sa.types.TypeEngine[Any], spelled: str, dialect_name: str
) -> str | None:
    """The literal form of a database-specific type (``Column.value_kind``), else None."""
    if isinstance(sql_type, sa.ARRAY):
        return "array"
    if isinstance(sql_type, pg_types.BIT) and getattr(sql_type, "length", None) != 1:
        return "varbit" if sql_type.varying else "bit"
    if isinstance(sql_type, pg_types.ranges.AbstractMultiRange):
        return "multirange"
    if isinstance(sql_type, pg_types.ranges.AbstractRange):
        return "range"
    kind = VALUE_KINDS.get(type(sql_type).__name__.upper())
    if kind is not None:
        return kind
    word = re.split(r"[\s(]", spelled.strip().lower(), maxsplit=1)[0]
    if dialect_name == "postgresql" and word in PG_GEOMETRIC | {"xml"}:
        return word
    if dialect_name == "mysql" and word in MYSQL_SPATIAL:
        return "geometry"
    return None


def _column(
    info: dict[str, Any],
    dialect: sa.engine.Dialect,
    pk: Sequence[str],
    spelled: str | None = None,
) -> Column:
    """*spelled*: the catalog's spelling, used when SQLAlchemy does not know the type."""
    declared = info["type"]
    # A PostgreSQL domain (CREATE DOMAIN posint AS integer CHECK ...) is its base type.
    sql_type = declared.data_type if isinstance(declared, pg_types.DOMAIN) else declared
    logical = logical_type_of(sql_type)
    type_text = sql_type_text(declared, dialect)
    if isinstance(sql_type, sa.types.NullType) and spelled:
        type_text = spelled.lower()
    kind = value_kind_of(sql_type, type_text, dialect.name)
    default = info.get("default")
    default = None if default is None else str(default)
    autoincrement = bool(info.get("identity")) or info.get("autoincrement") is True
    if default is not None and SEQUENCE_DEFAULT.match(default):
        autoincrement, default = True, None
    if dialect.name == "sqlite" and len(pk) == 1 and pk[0] == info["name"] and logical == "integer":
        # INTEGER PRIMARY KEY is SQLite's rowid alias: filled by the database when omitted
        # (https://www.sqlite.org/lang_createtable.html#rowid).
        autoincrement = sql_type_text(sql_type, dialect) == "integer"
    enum_values, enum_name = _enum_values(sql_type)
    precision = getattr(sql_type, "precision", None) if logical in ("decimal", "float") else None
    scale = getattr(sql_type, "scale", None) if logical == "decimal" else None
    length = getattr(sql_type, "length", None) if logical in ("string", "binary", "text") else None
    if kind == "money":
        precision, scale = None, 2
    if isinstance(sql_type, mysql_types.SET):
        length = None  # reflected as the longest member; a value may hold them all ('a,b')
    computed = info.get("computed") or {}
    generated = computed.get("sqltext")
    return Column(
        name=info["name"],
        logical_type=logical,
        sql_type=type_text,
        nullable=bool(info.get("nullable", True)),
        default=default,
        autoincrement=autoincrement,
        length=length if isinstance(length, int) else None,
        precision=precision if isinstance(precision, int) else None,
        scale=scale if isinstance(scale, int) else None,
        unsigned=bool(getattr(sql_type, "unsigned", False)),
        timezone=bool(getattr(sql_type, "timezone", False)),
        enum_values=enum_values,
        enum_name=enum_name,
        generated=None if generated is None else str(generated),
        generated_stored=bool(computed.get("persisted")),
        value_kind=kind,
    )


def _catalog_types(conn: Connection, schema: str | None) -> dict[tuple[str, str], str]:
    """(table, column) -> the catalog's spelling of its type (see :data:`CATALOG_TYPES`)."""
    sql = CATALOG_TYPES.get(conn.dialect.name)
    if sql is None:
        return {}
    rows = conn.execute(sa.text(sql), {"schema": schema}).all()
    return {(str(t), str(c)): str(spelled) for t, c, spelled in rows}


MARIADB_COLUMN_CHECKS = (
    "SELECT table_name, constraint_name, check_clause FROM information_schema.check_constraints"
    " WHERE constraint_schema = COALESCE(:schema, DATABASE()) AND level = 'Column'"
)
"""MariaDB's column-level CHECKs (``doc longtext CHECK (json_valid(doc))``), which SQLAlchemy's
MySQL reflection does not report; the LEVEL column exists on MariaDB only
(https://mariadb.com/kb/en/information-schema-check_constraints-table/)."""


def _mariadb_column_checks(
    conn: Connection, schema: str | None, names: Sequence[str]
) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
    if conn.dialect.name != "mysql" or not getattr(conn.dialect, "is_mariadb", False):
        return {}
    wanted = set(names)
    found: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    rows = conn.execute(sa.text(MARIADB_COLUMN_CHECKS), {"schema": schema}).all()
    for table, name, clause in rows:
        if table in wanted:
            found.setdefault((schema, table), []).append({"name": name, "sqltext": clause})
    return found


PG_PARTITIONS = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relispartition AND n.nspname = :schema"
)
"""PostgreSQL partitions: their rows are the partitioned table's rows, so only that table is
profiled (counted whole; its bytes sum the partitions', see dialects.py)
(https://www.postgresql.org/docs/current/ddl-partitioning.html)."""


RUN_STATE_TABLE = "_paritygen_run"
"""The run stage's state table (paritygen.run.state.STATE_TABLE), never profiled."""


def list_tables(inspector: Inspector, schema: str | None) -> list[str]:
    """Base tables (not views, not partitions of a partitioned table) of *schema*, by name."""
    names = inspector.get_table_names(schema=schema)
    if inspector.dialect.name == "postgresql" and isinstance(inspector.bind, Connection):
        wanted = schema or inspector.default_schema_name
        parts = {r[0] for r in inspector.bind.execute(sa.text(PG_PARTITIONS), {"schema": wanted})}
        names = [n for n in names if n not in parts]
    # paritygen's own run state (paritygen/run/state.py) in a staging database is not data.
    return sorted(n for n in names if n != RUN_STATE_TABLE)


def index_kind(options: dict[str, Any]) -> str | None:
    """The index method from the inspector's dialect options (None: the default B-tree)."""
    kind = options.get("postgresql_using") or options.get("mysql_prefix")
    kind = str(kind).lower() if kind else None
    return None if kind in (None, "btree") else kind


def reflect_tables(
    conn: Connection,
    schema: str | None,
    names: Sequence[str],
    left_out: list[str] | None = None,
) -> tuple[dict[str, Table], list[str]]:
    """Reflect *names* of *schema* into model tables; also the notes about what was left out.

    Foreign keys to tables outside *names* (or in another schema) are left out, with a note, so
    the profile stays self-contained and valid. Expression and partial indexes are carried as
    text (``Index.expressions`` / ``where``); one whose expressions SQLAlchemy cannot read is
    appended to *left_out* when given.
    """
    left_out = [] if left_out is None else left_out
    inspector = sa.inspect(conn)
    dialect = conn.dialect
    wanted = set(names)
    kw: dict[str, Any] = {"schema": schema, "filter_names": list(names)}
    with warnings.catch_warnings():
        # xml, geometric and spatial types: spelled from the catalog instead (CATALOG_TYPES).
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        columns = inspector.get_multi_columns(**kw)
    unknown = any(
        isinstance(c["type"], sa.types.NullType) for cols in columns.values() for c in cols
    )
    spelled = _catalog_types(conn, schema) if unknown else {}
    pks = inspector.get_multi_pk_constraint(**kw)
    fks = inspector.get_multi_foreign_keys(**kw)
    uniques = inspector.get_multi_unique_constraints(**kw)
    indexes = inspector.get_multi_indexes(**kw)
    try:
        checks = inspector.get_multi_check_constraints(**kw)
    except NotImplementedError:
        checks = {}
    if dialect.name == "mysql":
        for found in (columns, pks, fks, uniques, indexes):
            _undouble_backticks(found)
    for key, extra in _mariadb_column_checks(conn, schema, names).items():
        checks.setdefault(key, [])
        known = {str(c["sqltext"]) for c in checks[key]}
        checks[key] = [*checks[key], *(c for c in extra if c["sqltext"] not in known)]
    try:
        comments = inspector.get_multi_table_comment(**kw)
    except NotImplementedError:
        comments = {}
    notes: list[str] = []
    out: dict[str, Table] = {}
    for name in names:
        key = (schema, name)
        pk = tuple(pks.get(key, {}).get("constrained_columns") or ())
        cols = {
            c["name"]: _column(c, dialect, pk, spelled.get((name, c["name"])))
            for c in columns.get(key, [])
        }
        table_checks = tuple(
            CheckConstraint(sqltext=str(c["sqltext"]), name=c.get("name"))
            for c in checks.get(key, [])
        )
        for check in table_checks:  # MariaDB JSON: LONGTEXT + CHECK (json_valid(col))
            match = JSON_VALID_CHECK.search(check.sqltext)
            if (
                match
                and match.group("col") in cols
                and cols[match.group("col")].logical_type
                in (
                    "text",
                    "string",
                )
            ):
                col = cols[match.group("col")]
                cols[col.name] = _replace(col, logical_type="json")
        foreign = []
        for fk in fks.get(key, []):
            ref_schema = fk.get("referred_schema")
            if fk["referred_table"] not in wanted or (ref_schema not in (None, schema)):
                notes.append(
                    f"{name}: foreign key {tuple(fk['constrained_columns'])} -> "
                    f"{fk['referred_table']} left out (referenced table not profiled)"
                )
                continue
            options = fk.get("options") or {}
            foreign.append(
                ForeignKey(
                    columns=tuple(fk["constrained_columns"]),
                    ref_table=fk["referred_table"],
                    ref_columns=tuple(fk["referred_columns"]),
                    name=fk.get("name"),
                    on_delete=(options.get("ondelete") or None),
                    on_update=(options.get("onupdate") or None),
                )
            )
        unique = [
            UniqueConstraint(columns=tuple(u["column_names"]), name=u.get("name"))
            for u in uniques.get(key, [])
        ]
        seen = {u.columns for u in unique}
        plain = []
        for ix in indexes.get(key, []):
            cols_ix = ix.get("column_names") or []
            options = ix.get("dialect_options") or {}
            expressions = tuple(ix.get("expressions") or ()) if None in cols_ix else ()
            where = _predicate(options)
            if (not cols_ix or None in cols_ix) and len(expressions) != len(cols_ix):
                notes.append(f"{name}: expression index {ix.get('name')} left out")
                left_out.append(f"expression index {ix.get('name')} on {name}")
                continue
            columns_ix = tuple(c for c in cols_ix if c is not None)
            if expressions or where:
                # Carried as data (elements and predicate as text), re-rendered for the target
                # through the expression allow-list when the schema is built.
                plain.append(
                    Index(
                        columns=columns_ix, name=ix.get("name"), kind=index_kind(options),
                        expressions=expressions, where=where,
                        unique=True if ix.get("unique") else None,
                    )
                )  # fmt: skip
                continue
            if ix.get("unique"):
                if ix.get("duplicates_constraint") or columns_ix in seen or columns_ix == pk:
                    continue
                seen.add(columns_ix)
                unique.append(UniqueConstraint(columns=columns_ix, name=ix.get("name"), index=True))
            else:
                plain.append(
                    Index(columns=columns_ix, name=ix.get("name"), kind=index_kind(options))
                )
        comment = comments.get(key, {}).get("text") if comments else None
        out[name] = Table(
            name=name,
            columns=cols,
            primary_key=pk,
            foreign_keys=tuple(foreign),
            unique_constraints=tuple(unique),
            indexes=tuple(plain),
            checks=table_checks,
            comment=comment,
        )
    return out, notes


PREDICATE_OPTIONS = ("postgresql_where", "sqlite_where")
"""SQLAlchemy's reflected ``dialect_options`` keys holding a partial index's predicate."""


def _predicate(options: dict[str, Any]) -> str | None:
    """A partial index's predicate as the server prints it (``(deleted_at IS NULL)``)."""
    for key in PREDICATE_OPTIONS:
        text = options.get(key)
        if text:
            return str(text)
    return None


_NAME_KEYS = ("name", "referred_table")
_NAME_LIST_KEYS = ("constrained_columns", "referred_columns", "column_names")


def undouble_backticks(name: str) -> str:
    """A MySQL name as it is: SQLAlchemy parses ``SHOW CREATE TABLE`` without undoing the
    doubled backtick of a quoted name (`` `x``y` `` reflects as ``x``y``), and a query then asks
    for a column that does not exist (https://mariadb.com/kb/en/identifier-names/)."""
    return name.replace("``", "`")


def _undouble_backticks(found: dict[Any, Any]) -> None:
    """Fix every name in one ``get_multi_*`` result in place (see :func:`undouble_backticks`)."""
    for entries in found.values():
        for entry in entries if isinstance(entries, list) else [entries]:
            for key in _NAME_KEYS:
                if isinstance(entry.get(key), str):
                    entry[key] = undouble_backticks(entry[key])
            for key in _NAME_LIST_KEYS:
                if entry.get(key):
                    entry[key] = [
                        undouble_backticks(n) if isinstance(n, str) else n for n in entry[key]
                    ]


def _replace(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for the frozen pydantic dataclasses of the model."""
    import dataclasses

    return dataclasses.replace(obj, **changes)
