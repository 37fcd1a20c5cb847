"""Did production leak into staging? Identifying values and whole rows, looked up in the source.

Only possible with ``--source``: the profile holds no raw PII by design. Staging values are
sampled (bounded), then looked up in production in batches with ``IN (...)``, so the source sees a
few indexed lookups, never a full copy of anything.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from paritygen.profile.model import Column, Profile, Table

IDENTIFYING = ("email", "phone", "iban", "card", "street", "national_id")
"""Semantic tags (substrings) whose values identify a person on their own."""

BIRTH = ("birth",)
"""Semantic tags of birth dates: only a few ten thousand exist, so a birth date alone matches
production by chance; it is checked together with the table's other PII columns instead."""

SAMPLE_VALUES = 10_000
"""Staging values sampled per identifying column."""
SAMPLE_ROWS = 1_000
"""Staging rows sampled per table for whole-row copies."""
BATCH = 500
"""Values per ``IN (...)`` lookup in the source."""


@dataclass(frozen=True)
class Finding:
    """One privacy measure: ``found`` of ``sampled`` staging values (or rows) are in production."""

    table: str
    column: str | None
    measure: str  # pii_leak | row_copies
    found: int
    sampled: int
    detail: str


def _tagged(column: Column, tags: Sequence[str]) -> bool:
    semantic = (column.semantic or "").lower()
    return bool(semantic) and any(tag in semantic for tag in tags)


def pii_leaks(
    source: sa.Engine,
    target: sa.Engine,
    profile: Profile,
    tables: dict[str, sa.Table],
    source_tables: dict[str, sa.Table],
) -> Iterator[Finding | str]:
    """Yield a :class:`Finding` per identifying column, or a note (str) when one is not checked."""
    for name, table in profile.tables.items():
        staging, production = tables.get(name), source_tables.get(name)
        if staging is None or production is None:
            continue
        pii = [c for c in table.columns.values() if c.name in staging.c and c.name in production.c]
        for column in pii:
            if _tagged(column, IDENTIFYING):
                yield _lookup(source, target, name, [column.name], staging, production)
        births = [c for c in pii if _tagged(c, BIRTH)]
        partners = [c.name for c in pii if c.pii and not _tagged(c, BIRTH)]
        for column in births:
            if partners:
                yield _lookup(source, target, name, [column.name, *partners], staging, production)
            else:
                yield (
                    f"{name}.{column.name}: pii_leak not measured: a birth date alone does not"
                    " identify anyone and the table has no other PII column to pair it with"
                )


def _normal(value: Any) -> Any:
    """One comparable form for a value read from either database (drivers differ in types)."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        return round(float(value), 9)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, set | frozenset):  # a MySQL SET: its members, in one order
        return tuple(sorted(str(member) for member in value))
    if isinstance(value, dict | list):  # JSON documents, compared as canonical text
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _lookup(
    source: sa.Engine,
    target: sa.Engine,
    name: str,
    columns: list[str],
    staging: sa.Table,
    production: sa.Table,
) -> Finding:
    """Sample distinct staging tuples of *columns*; count those present in production."""
    key = staging.c[columns[0]]
    sample = (
        sa.select(*(staging.c[c] for c in columns))
        .where(*(staging.c[c].is_not(None) for c in columns))
        .distinct()
        .limit(SAMPLE_VALUES)
    )
    with target.connect() as conn:
        rows = {tuple(_normal(v) for v in row) for row in conn.execute(sample)}
    # An empty string identifies no one (Sakila's addresses without a phone hold ''): equal
    # blanks in both databases are no leak.
    rows = {row for row in rows if not any(isinstance(v, str) and not v.strip() for v in row)}
    found = _present(source, production, columns, rows, key.name)
    label = " + ".join(columns)
    return Finding(
        name,
        columns[0],
        "pii_leak",
        found,
        len(rows),
        f"{found} of {len(rows)} sampled staging values of {label} exist in production",
    )


def _present(
    source: sa.Engine, production: sa.Table, columns: list[str], rows: set[tuple], key: str
) -> int:
    """How many of *rows* (tuples over *columns*) exist in *production*: batched IN lookups on
    the first column, the rest compared here (portable, and one index lookup per batch)."""
    ordered = sorted(rows, key=repr)
    first = columns.index(key)
    found = 0
    with source.connect() as conn:
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start : start + BATCH]
            keys = list({row[first] for row in batch})
            query = sa.select(*(production.c[c] for c in columns)).where(
                production.c[key].in_(keys)
            )
            existing = {tuple(_normal(v) for v in row) for row in conn.execute(query)}
            found += sum(1 for row in batch if row in existing)
    return found


def row_copies(
    source: sa.Engine,
    target: sa.Engine,
    profile: Profile,
    tables: dict[str, sa.Table],
    source_tables: dict[str, sa.Table],
    min_rows: int,
) -> Iterator[Finding]:
    """Share of sampled staging rows equal, column for column, to a production row.

    Only for synthetic tables (rule mode ``generate``) of at least *min_rows* rows: masked tables
    keep their non-PII columns by design, reference tables (kept as their rows in the profile)
    and tiny lookup tables legitimately repeat production.
    """
    for name, table in profile.tables.items():
        staging, production = tables.get(name), source_tables.get(name)
        if staging is None or production is None or table.row_count < min_rows:
            continue
        if profile.table_rule(name).mode != "generate" or table.reference_rows is not None:
            continue  # a reference table comes out verbatim by design (no personal value)
        columns = [c for c in table.columns if c in staging.c and c in production.c]
        keys = set(table.primary_key).union(*(fk.columns for fk in table.foreign_keys))
        if not columns or set(columns) <= keys:
            # Only key columns (a junction table): staging keeps production's key ranges and
            # fan-out by design, so equal rows say nothing about leaked data.
            continue
        key = _lookup_key(table, columns)
        with target.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(staging)).scalar() or 0
            query = sa.select(*(staging.c[c] for c in columns))
            stride = max(1, int(total) // SAMPLE_ROWS)
            if stride > 1 and _integer_key(table, key):
                # Spread the sample over the key range instead of taking the first rows.
                query = query.where(staging.c[key] % stride == 0)
            result = conn.execute(query.limit(SAMPLE_ROWS))
            rows = [tuple(_normal(v) for v in row) for row in result]
        with_key = [row for row in rows if row[columns.index(key)] is not None]
        found = _present(source, production, columns, set(with_key), key) if with_key else 0
        # Count duplicates of the sample the same way as the sample counts them.
        distinct = len(set(with_key))
        share_found = found / distinct if distinct else 0.0
        copies = round(share_found * len(rows))
        yield Finding(
            name,
            None,
            "row_copies",
            copies,
            len(rows),
            f"{copies} of {len(rows)} sampled staging rows equal a production row",
        )


def _lookup_key(table: Table, columns: list[str]) -> str:
    """The most selective column to look rows up by: a one-column PK, else the most distinct."""
    if len(table.primary_key) == 1 and table.primary_key[0] in columns:
        return table.primary_key[0]

    def distinct(name: str) -> int:
        stats = table.columns[name].stats
        return stats.distinct_count if stats else 0

    return max(columns, key=distinct)


def _integer_key(table: Table, key: str) -> bool:
    return table.columns[key].logical_type == "integer"
