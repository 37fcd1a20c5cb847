"""Reference tables: small lookup tables with no personal data, kept in the profile verbatim.

Why: the k >= 5 rule protects people, but a 10-row product list, 6 stores or 25 countries hold
nobody, and their values are what queries filter on (``WHERE region = 'EMEA'``). Dropping them
made staging answer other queries than production. So a table qualifies when
- it has at most ``Settings.reference_rows`` rows (default 1,000; 0 disables),
- no column is personal (``Column.pii``, found by name *and* by values, or set in ``rules:``),
- every table it references qualifies too (a store's FK to a table of people would otherwise
  leak which person it points at; and its FK values must exist in staging),
- and no composite FK points at it (children find parents column by column).

Values are stored as exact JSON scalars (:func:`exact_scalar`): decimals as text, so
``numeric(38,10)`` survives, temporal values as ISO-8601 (UTC for zone-aware ones), binary as hex.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from paritygen.profile.model import Column, Table

DEFAULT_REFERENCE_ROWS = 1_000
"""Largest table kept verbatim unless ``profile --reference-rows`` says otherwise."""


def reference_tables(tables: Mapping[str, Table], limit: int) -> set[str]:
    """Names of the tables kept verbatim (see the module docstring), parents before children
    not required: the set is the fixpoint of "qualifies and every parent qualifies"."""
    if limit <= 0:
        return set()
    composite_targets = {
        fk.ref_table for t in tables.values() for fk in t.foreign_keys if len(fk.columns) > 1
    }
    chosen = {
        name
        for name, table in tables.items()
        if 0 < table.row_count <= limit
        and table.row_count_method == "exact"
        and table.sample_method is None
        and not any(column.pii for column in table.columns.values())
        and name not in composite_targets
    }
    changed = True
    while changed:
        changed = False
        for name in sorted(chosen):
            if any(fk.ref_table not in chosen for fk in tables[name].foreign_keys):
                chosen.discard(name)
                changed = True
    return chosen


def exact_scalar(value: Any) -> Any:
    """A driver value as an exact JSON scalar (see the module docstring)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # MariaDB TIME
        seconds = value.total_seconds()
        return (dt.datetime(2000, 1, 1) + dt.timedelta(seconds=seconds)).time().isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, set | frozenset):  # MariaDB SET
        return ",".join(sorted(map(str, value)))
    return str(value)


def literal_expression(dialect: str, column: Column) -> str:
    """How a column is selected so its value can be written back as it is: a database-specific
    type (``value_kind``) as its text literal (arrays, ranges, hstore, xml; WKT for spatial
    values), intervals as seconds and money as its number, BIT(n) as its number."""
    if dialect == "postgresql" and column.value_kind:
        from paritygen.profile.read import POSTGRES_KIND_EXPRESSIONS

        return POSTGRES_KIND_EXPRESSIONS.get(column.value_kind, "CAST({col} AS text)")
    if dialect == "mysql":
        from paritygen.profile.read_mysql import MYSQL_TYPE_EXPRESSIONS

        word = column.sql_type.strip().lower().split("(", 1)[0].split(" ", 1)[0]
        return MYSQL_TYPE_EXPRESSIONS.get(word, "{col}")
    return "{col}"


def read_rows(conn: sa.Connection, ref: str, table: Table, limit: int) -> tuple[tuple, ...] | None:
    """The table's rows as exact scalars, sorted by primary key (else by every column); None
    when it holds more than *limit* rows after all (the catalog count was stale)."""
    prep = conn.dialect.identifier_preparer
    names = [c for c, column in table.columns.items() if column.generated is None]
    selected = ", ".join(
        literal_expression(conn.dialect.name, table.columns[c]).format(col=prep.quote(c))
        for c in names
    )
    result = conn.execute(sa.text(f"SELECT {selected} FROM {ref}"))  # noqa: S608 (quoted)
    raw = result.fetchmany(limit + 1)
    if len(raw) > limit:
        return None
    rows = [tuple(exact_scalar(v) for v in row) for row in raw]
    position = {name: i for i, name in enumerate(names)}
    order = [position[c] for c in table.primary_key if c in position] or list(range(len(names)))

    def key(row: tuple) -> tuple:
        return tuple(
            (row[i] is None, type(row[i]).__name__, 0 if row[i] is None else row[i]) for i in order
        )

    try:
        rows.sort(key=key)
    except TypeError:
        rows.sort(key=lambda row: tuple(str(row[i]) for i in order))
    if len(names) != len(table.columns):  # generated columns: the target computes them
        full = list(table.columns)
        rows = [tuple(row[position[c]] if c in position else None for c in full) for row in rows]
    return tuple(rows)
