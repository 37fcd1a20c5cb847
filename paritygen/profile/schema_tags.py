"""The schema and PII tags of a database, without its statistics: what ``mask`` needs when it is
given no profile.

Why not a full profile: mask copies production's own rows, so it needs the tables (to create
them), their keys (dependency order, FK remapping) and which columns are personal, not the
distributions. A full profile reads a sample of every table and groups every FK (a scan of the
largest tables); this reads the catalog and the first :data:`TAG_SAMPLE_ROWS` rows of each table
for the value-based tags (an e-mail column called ``contact``), in the same read-only session the
profiler uses. Row counts are the catalog's estimates (they size progress bars only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from paritygen import __version__
from paritygen.db import describe_db_error
from paritygen.errors import ConfigError, ConnectionFailed, safe_url
from paritygen.profile import classify, dialects, read
from paritygen.profile.model import FORMAT, Profile, Source, Table
from paritygen.profile.reflect import DEFAULT_SCHEMA, list_tables, reflect_tables

TAG_SAMPLE_ROWS = 2000
"""Rows read per table for the value-based tags (the classifier looks at 2,000 values)."""


def schema_and_tags(
    engine: sa.Engine, *, schema: str | None = None, tables: Sequence[str] | None = None
) -> Profile:
    """A profile of *engine*'s tables with schema, estimated row counts and PII tags only."""
    try:
        with engine.connect() as conn:
            try:
                return _read(conn, schema, tables)
            finally:
                conn.rollback()
    except sa.exc.DBAPIError as exc:
        raise ConnectionFailed(
            f"reading the schema of {safe_url(engine.url)} failed: {describe_db_error(exc)}"
        ) from None


def _read(conn: sa.Connection, schema: str | None, tables: Sequence[str] | None) -> Profile:
    dialects.start_session(conn)
    schema = schema or DEFAULT_SCHEMA.get(conn.dialect.name)
    available = list_tables(sa.inspect(conn), schema)
    if not available:
        raise ConfigError(f"{safe_url(conn.engine.url)} has no tables")
    unknown = [t for t in tables or () if t not in available]
    if unknown:
        raise ConfigError(f"--tables: no table {unknown[0]!r} in the source")
    names = [t for t in available if not tables or t in set(tables)]
    reflected, _notes = reflect_tables(conn, schema, names)
    catalog_schema = schema or dialects.current_schema(conn)
    out: dict[str, Table] = {}
    for name in names:
        out[name] = _tagged(conn, reflected[name], schema, catalog_schema)
    url = conn.engine.url
    return Profile(
        format=FORMAT,
        source=Source(
            dialect=conn.dialect.name,
            server_version=dialects.server_version(conn),
            database=url.database if url.get_backend_name() != "sqlite" else None,
            schema=catalog_schema,
            captured_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            paritygen_version=__version__,
        ),
        tables=out,
    )


def _tagged(
    conn: sa.Connection, table: Table, schema: str | None, catalog_schema: str | None
) -> Table:
    """*table* with its columns' semantic / PII tags (names first, then the first rows' values)
    and the catalog's row estimate."""
    ref = dialects.quote_table(conn, schema, table.name)
    textual = [c for c in table.columns.values() if c.logical_type in classify.TEXTUAL]
    data = {}
    if textual:
        data, _ = read.read_table(conn, ref, textual, None, limit=TAG_SAMPLE_ROWS)
    columns = {}
    for name, column in table.columns.items():
        values = data[name].values if name in data else None
        semantic, pii = classify.decide(name, column.logical_type, values)
        columns[name] = dataclasses.replace(column, semantic=semantic, pii=pii)
    estimate = dialects.catalog_rows(conn, catalog_schema, table.name)
    if estimate is None:
        estimate = dialects.count_rows(conn, ref)
    return dataclasses.replace(
        table, columns=columns, row_count=max(0, estimate), row_count_method="catalog"
    )
