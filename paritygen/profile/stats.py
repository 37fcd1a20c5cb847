"""Measurements: row counts, bytes, column statistics from one streamed read, FK fan-out in SQL.

Why this shape: pulling rows into Python is the expensive part of profiling, so each table is read
once (or a sample of it, drawn *inside* the database when the table exceeds ``sample_rows``) and
every column statistic is computed from that one read in polars/numpy. Counts run in SQL; fan-out
is grouped from the read FK columns, or in SQL when the child table was only sampled.

Dialect knowledge is data: :data:`DIALECTS` holds each database's read-only session, catalog
queries and sampling clause, with links to the vendor documentation.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile.model import (
    Column,
    ColumnStats,
    FanoutStats,
    LengthStats,
    ShapeStats,
    ValueFrequency,
)
from paritygen.profile.values import NUMERIC, ORDERED, TEMPORAL, from_number

FETCH_CHUNK = 50_000
"""Rows per streamed batch: large enough to amortise round trips, small enough for flat memory."""

QUANTILE_POINTS = 101
LENGTH_QUANTILE_POINTS = 21
MAX_COMMON_VALUES = 200
"""Most-common values kept per column (the categorical bar covers columns of <= 200 values)."""
MAX_VALUE_CHARS = 200
"""Longer values are never kept as most-common values (they are text, not categories)."""
SHAPE_MAX_LENGTH = 32
"""Shape patterns are computed for short codes only."""
SHAPE_MIN_SHARE = 0.5
"""A shape is recorded when one pattern covers at least this share of the non-NULL values."""
FANOUT_BUCKETS = 20
"""Parent-key position buckets for :attr:`FanoutStats.position_weights`."""
TOP_PARENT_SHARE = 0.01
"""The 'heaviest parents' of :attr:`FanoutStats.top_share`: the top 1 % of parents by children."""
SAMPLE_SEED = 20240601
"""Fixed seed of the in-database sample, so two profiles of the same data agree (PG, MariaDB)."""
STATEMENT_TIMEOUT_SECONDS = 3600
"""Per-statement limit set on the source so a runaway query cannot load production for hours."""
SYSTEM_SAMPLE_RATIO = 50
"""PostgreSQL: tables more than this many times ``sample_rows`` are sampled by block (SYSTEM),
which reads only the chosen pages; smaller ones row by row (BERNOULLI), which scans but is
unbiased for clustered data (https://www.postgresql.org/docs/current/sql-select.html#SQL-FROM)."""


@dataclass(frozen=True)
class DialectSQL:
    """What the profiler needs to know about one database, as data."""

    session: tuple[str, ...]
    """Statements run first on the profiling connection: read-only, consistent, time-limited."""
    optional_session: tuple[str, ...] = ()
    """Statements that may fail on some server versions (MySQL vs MariaDB variable names)."""
    version_sql: str = "SELECT 1"
    row_estimate_sql: str | None = None
    """Catalog row estimate (``--estimate-rows``), params :schema and :table; None: count."""
    bytes_sql: str | None = None
    """Data and index bytes, params :schema and :table; None when the database has no catalog."""
    current_schema_sql: str | None = None
    sample: Callable[[str, float], tuple[str, str]] | None = None
    """(FROM/WHERE text for a table reference and fraction, method label)."""


def _pg_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    method = "SYSTEM" if fraction < 1.0 / SYSTEM_SAMPLE_RATIO else "BERNOULLI"
    percent = f"{fraction * 100:.6f}"
    return (
        f"{table_ref} TABLESAMPLE {method} ({percent}) REPEATABLE ({SAMPLE_SEED})",
        f"TABLESAMPLE {method}",
    )


def _mysql_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    # RAND(N) with a constant seed is repeatable per query
    # (https://mariadb.com/kb/en/rand/); the filter runs in the server, rows never leave it.
    return f"{table_ref} WHERE RAND({SAMPLE_SEED}) < {fraction:.9f}", "RAND()"


def _sqlite_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    # random() is a 64-bit integer; the modulo keeps abs() away from its overflow at INT64_MIN.
    threshold = max(1, int(round(fraction * 1_000_000)))
    return f"{table_ref} WHERE abs(random() % 1000000) < {threshold}", "random()"


DIALECTS: dict[str, DialectSQL] = {
    # https://www.postgresql.org/docs/current/sql-set-transaction.html
    "postgresql": DialectSQL(
        session=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'",
        ),
        version_sql="SHOW server_version",
        row_estimate_sql=(
            "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relname = :table"
        ),
        bytes_sql=(
            "SELECT pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relname = :table"
        ),
        current_schema_sql="SELECT current_schema()",
        sample=_pg_sample,
    ),
    # https://mariadb.com/kb/en/set-transaction/ and https://mariadb.com/kb/en/aborting-statements/
    "mysql": DialectSQL(
        session=(
            "SET SESSION TRANSACTION READ ONLY",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ),
        optional_session=(
            f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_SECONDS}",  # MariaDB
            f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_SECONDS * 1000}",  # MySQL
            "SET SESSION time_zone = '+00:00'",  # TIMESTAMP columns read as UTC
        ),
        version_sql="SELECT VERSION()",
        row_estimate_sql=(
            "SELECT table_rows FROM information_schema.tables"
            " WHERE table_schema = :schema AND table_name = :table"
        ),
        bytes_sql=(
            "SELECT data_length, index_length FROM information_schema.tables"
            " WHERE table_schema = :schema AND table_name = :table"
        ),
        current_schema_sql="SELECT DATABASE()",
        sample=_mysql_sample,
    ),
    # The file is opened with ?mode=ro (run.py); query_only also refuses writes on this connection
    # (https://www.sqlite.org/pragma.html#pragma_query_only).
    "sqlite": DialectSQL(
        session=("PRAGMA query_only = ON",),
        version_sql="SELECT sqlite_version()",
        sample=_sqlite_sample,
    ),
}

GENERIC = DialectSQL(session=())
"""Any other SQLAlchemy database: exact counts, no bytes, full reads."""


def dialect_sql(conn: Connection) -> DialectSQL:
    """The constants for *conn*'s database (generic ones for an unknown dialect)."""
    return DIALECTS.get(conn.dialect.name, GENERIC)


def start_session(conn: Connection) -> None:
    """Make the connection read-only, snapshot-consistent and time-limited before any read."""
    spec = dialect_sql(conn)
    for statement in spec.session:
        conn.exec_driver_sql(statement)
    for statement in spec.optional_session:
        # Only on MariaDB/MySQL, where a failed SET leaves the transaction usable.
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            continue


def server_version(conn: Connection) -> str | None:
    """The server's own version string (e.g. ``10.11.6-MariaDB``)."""
    try:
        return str(conn.exec_driver_sql(dialect_sql(conn).version_sql).scalar())
    except sa.exc.DBAPIError:
        return None


def current_schema(conn: Connection) -> str | None:
    """The schema (PostgreSQL) or database (MariaDB) tables are read from by default."""
    sql = dialect_sql(conn).current_schema_sql
    return None if sql is None else conn.exec_driver_sql(sql).scalar()


def quote_table(conn: Connection, schema: str | None, name: str) -> str:
    """``schema.table`` quoted for the dialect."""
    prep = conn.dialect.identifier_preparer
    ref = prep.quote(name)
    return f"{prep.quote_schema(schema)}.{ref}" if schema else ref


def count_rows(
    conn: Connection, table_ref: str, schema: str | None, name: str, estimate: bool
) -> tuple[int, str]:
    """(row count, method): exact ``count(*)``, or the catalog estimate when asked and known."""
    sql = dialect_sql(conn).row_estimate_sql
    if estimate and sql is not None and schema is not None:
        value = conn.execute(sa.text(sql), {"schema": schema, "table": name}).scalar()
        if value is not None and int(value) >= 0:
            return int(value), "catalog"
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table_ref}").scalar() or 0), "exact"


def table_bytes(conn: Connection, schema: str | None, name: str) -> tuple[int | None, int | None]:
    """(data bytes, index bytes) from the catalog; (None, None) where there is none."""
    sql = dialect_sql(conn).bytes_sql
    if sql is None or schema is None:
        return None, None
    row = conn.execute(sa.text(sql), {"schema": schema, "table": name}).first()
    if row is None:
        return None, None
    return (None if row[0] is None else int(row[0]), None if row[1] is None else int(row[1]))


# --- reading -------------------------------------------------------------------------------------


@dataclass
class ColumnData:
    """One column as read: NULLs counted on the raw values, values converted for measuring.

    ``values`` holds numbers (Float64 or Int64) for numeric and temporal columns (the units of
    :mod:`paritygen.profile.values`), Boolean for booleans, Binary for binary and String for the
    rest. Values the converter could not read (a malformed SQLite date) are nulls in ``values``
    but not counted in ``nulls``.
    """

    values: pl.Series
    nulls: int
    rows: int


def _to_text(values: list[Any]) -> pl.Series:
    first = next((v for v in values if v is not None), None)
    if first is None or isinstance(first, str):
        series = pl.Series(values, dtype=pl.String, strict=False)
        if series.null_count() == values.count(None):
            return series

    def text(v: Any) -> str | None:
        if v is None:
            return None
        if isinstance(v, str):
            return v
        if isinstance(v, dict | list):
            return json.dumps(v, ensure_ascii=False, default=str)
        if isinstance(v, bytes | bytearray | memoryview):
            return bytes(v).decode("utf-8", errors="replace")
        if isinstance(v, set | frozenset):
            return ",".join(sorted(map(str, v)))
        return str(v)

    return pl.Series([text(v) for v in values], dtype=pl.String)


def _to_temporal(values: list[Any], logical: str) -> pl.Series:
    try:
        series = pl.Series(values, strict=False)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        series = pl.Series(
            [v if isinstance(v, dt.date | dt.time | dt.timedelta) else None for v in values],
            strict=False,
        )
    if series.dtype in (pl.String, pl.Object):
        series = _to_text(values)
        if logical == "time":
            series = series.str.to_time(strict=False)
        else:
            series = series.str.slice(0, 26).str.replace("T", " ").str.to_datetime(strict=False)
    if series.dtype == pl.Null:
        return pl.Series([None] * len(values), dtype=pl.Float64)
    if logical == "date":
        if isinstance(series.dtype, pl.Datetime):
            series = series.dt.date()
        return series.cast(pl.Int32).cast(pl.Float64)
    if logical == "datetime":
        if series.dtype == pl.Date:
            series = series.cast(pl.Datetime("us"))
        return series.dt.epoch("us").cast(pl.Float64) / 1e6
    if isinstance(series.dtype, pl.Duration):  # MySQL TIME arrives as timedelta
        return series.dt.total_microseconds().cast(pl.Float64) / 1e6
    return series.cast(pl.Int64).cast(pl.Float64) / 1e9


def convert_values(values: list[Any], column: Column) -> pl.Series:
    """Raw driver values of one column as the polars series :class:`ColumnData` describes."""
    logical = column.logical_type
    if logical == "integer":
        series = pl.Series(values, dtype=pl.Int64, strict=False)
        if series.null_count() != values.count(None):  # unsigned BIGINT beyond int64, or text
            series = pl.Series(values, dtype=pl.Float64, strict=False)
        return series
    if logical in ("float", "decimal"):
        return pl.Series(values, dtype=pl.Float64, strict=False)
    if logical in TEMPORAL:
        return _to_temporal(values, logical)
    if logical == "boolean":
        series = pl.Series(values, strict=False)
        return series if series.dtype == pl.Boolean else series.cast(pl.Boolean, strict=False)
    if logical == "binary":
        return pl.Series(
            [
                None if v is None else bytes(v) if not isinstance(v, str) else v.encode()
                for v in values
            ],
            dtype=pl.Binary,
        )
    return _to_text(values)


POSTGRES_COPY_EXPRESSIONS: dict[str, str] = {
    # PostgreSQL renders these in the units of profile/values.py, so polars only parses numbers:
    # https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-EXTRACT
    "date": "({col} - DATE '1970-01-01')",
    # date_part returns double precision; extract() returns numeric since PG 14 and is 3x slower.
    "datetime": "date_part('epoch', {col})",
    "time": "date_part('epoch', {col})",
    "boolean": "{col}::int",
    "binary": "encode({col}, 'hex')",
}
"""Per logical type, the SELECT expression of the COPY fast path ({col} is the quoted column)."""

SPOOL_BATCH_BYTES = 8 << 20
"""COPY output is spooled to a temporary file in batches of this size (memory stays flat)."""


def read_table(
    conn: Connection,
    table_ref: str,
    columns: Sequence[Column],
    sample_fraction: float | None,
) -> tuple[dict[str, ColumnData], str | None]:
    """Read the table (or its in-database sample) once; (column data, sample method label).

    PostgreSQL streams ``COPY (SELECT ...) TO STDOUT`` into a temporary file that polars parses
    (about 10x faster than fetching rows through the driver); other databases stream rows through
    a server-side cursor in chunks.
    """
    source, method = table_ref, None
    spec = dialect_sql(conn)
    if sample_fraction is not None and sample_fraction < 1.0 and spec.sample is not None:
        source, method = spec.sample(table_ref, sample_fraction)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return _read_postgres_copy(conn, source, columns), method
    if conn.dialect.name == "mysql":
        return _read_mysql_json(conn, source, columns), method
    prep = conn.dialect.identifier_preparer
    select_list = ", ".join(prep.quote(c.name) for c in columns)
    chunks: list[list[pl.Series]] = [[] for _ in columns]
    nulls = [0] * len(columns)
    rows = 0
    result = conn.execution_options(
        stream_results=True, max_row_buffer=FETCH_CHUNK
    ).exec_driver_sql(f"SELECT {select_list} FROM {source}")
    try:
        for part in result.partitions(FETCH_CHUNK):
            rows += len(part)
            for i, values in enumerate(zip(*part, strict=True)):
                raw = list(values)
                nulls[i] += raw.count(None)
                chunks[i].append(convert_values(raw, columns[i]))
    finally:
        result.close()
    data = {}
    for i, column in enumerate(columns):
        series = pl.concat(chunks[i]) if chunks[i] else convert_values([], column)
        data[column.name] = ColumnData(values=series, nulls=nulls[i], rows=rows)
    return data, method


def _read_postgres_copy(
    conn: Connection, source: str, columns: Sequence[Column]
) -> dict[str, ColumnData]:
    prep = conn.dialect.identifier_preparer
    exprs = [
        POSTGRES_COPY_EXPRESSIONS.get(c.logical_type, "{col}").format(col=prep.quote(c.name))
        for c in columns
    ]
    sql = f"COPY (SELECT {', '.join(exprs)} FROM {source}) TO STDOUT (FORMAT csv, NULL '\\N')"
    raw = conn.connection.driver_connection
    with tempfile.TemporaryFile() as spool:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            # psycopg hands over one row per message: batch the file writes.
            pending: list[bytes] = []
            size = 0
            while block := copy.read():
                pending.append(bytes(block))
                size += len(block)
                if size >= SPOOL_BATCH_BYTES:
                    spool.write(b"".join(pending))
                    pending, size = [], 0
            spool.write(b"".join(pending))
        rows_bytes = spool.tell()
        spool.seek(0)
        names = [f"c{i}" for i in range(len(columns))]
        if rows_bytes == 0:
            frame = pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in names})
        else:
            frame = pl.read_csv(
                spool,
                has_header=False,
                schema={n: pl.String for n in names},
                null_values="\\N",
                empty_string_is_null=False,
                quote_char='"',
            )
    data = {}
    for name, column in zip(names, columns, strict=True):
        text = frame[name]
        data[column.name] = ColumnData(
            values=_from_copy_text(text, column.logical_type).rename(column.name),
            nulls=text.null_count(),
            rows=frame.height,
        )
    return data


MYSQL_JSON_EXPRESSIONS: dict[str, str] = {
    # Numbers in the units of profile/values.py, computed without the session time zone
    # (https://mariadb.com/kb/en/timestampdiff/); JSON columns as plain text, binary as hex.
    "date": "DATEDIFF({col}, '1970-01-01')",
    "datetime": "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {col}) / 1e6",
    "time": "TIME_TO_SEC({col})",
    "binary": "HEX({col})",
    # CONCAT makes a JSON-typed value plain text, so JSON_ARRAY quotes it instead of nesting it.
    "json": "CONCAT('', {col})",
    "text": "CONCAT('', {col})",
}
"""Per logical type, the expression inside ``JSON_ARRAY(...)`` of the MariaDB/MySQL fast path."""


def _read_mysql_json(
    conn: Connection, source: str, columns: Sequence[Column]
) -> dict[str, ColumnData]:
    """One ``JSON_ARRAY(...)`` text per row, decoded by polars.

    PyMySQL parses every field in Python; one field per row instead of one per column makes the
    read 2-3x faster, and JSON keeps NULLs, quoting and Unicode exact.
    """
    prep = conn.dialect.identifier_preparer
    exprs = [
        MYSQL_JSON_EXPRESSIONS.get(c.logical_type, "{col}").format(col=prep.quote(c.name))
        for c in columns
    ]
    sql = f"SELECT JSON_ARRAY({', '.join(exprs)}) FROM {source}"
    chunks: list[list[pl.Series]] = [[] for _ in columns]
    nulls = [0] * len(columns)
    rows = 0
    list_type = pl.List(pl.String)
    result = conn.execution_options(
        stream_results=True, max_row_buffer=FETCH_CHUNK
    ).exec_driver_sql(sql)
    try:
        for part in result.partitions(FETCH_CHUNK):
            rows += len(part)
            decoded = pl.Series([row[0] for row in part], dtype=pl.String).str.json_decode(
                list_type
            )
            for i, column in enumerate(columns):
                text = decoded.list.get(i)
                nulls[i] += text.null_count()
                chunks[i].append(_from_copy_text(text, column.logical_type))
    finally:
        result.close()
    data = {}
    for i, column in enumerate(columns):
        series = (
            pl.concat(chunks[i])
            if chunks[i]
            else _from_copy_text(pl.Series([], dtype=pl.String), column.logical_type)
        )
        data[column.name] = ColumnData(values=series.rename(column.name), nulls=nulls[i], rows=rows)
    return data


def _from_copy_text(text: pl.Series, logical: str) -> pl.Series:
    """Text of the fast paths (COPY, JSON_ARRAY) as the series :class:`ColumnData` describes."""
    if logical == "integer":
        ints = text.cast(pl.Int64, strict=False)
        return (
            ints if ints.null_count() == text.null_count() else text.cast(pl.Float64, strict=False)
        )
    if logical in NUMERIC or logical in TEMPORAL:
        numbers = text.cast(pl.Float64, strict=False)
        return numbers.set(numbers.is_infinite().fill_null(False), None)  # PG 'infinity'
    if logical == "boolean":
        return text.cast(pl.Int8, strict=False).cast(pl.Boolean)
    if logical == "binary":
        return text.str.decode("hex", strict=False)
    return text


def exact_min_max(conn: Connection, table_ref: str, column: str) -> tuple[Any, Any]:
    """Exact MIN/MAX of one column: an index lookup when the column leads an index."""
    name = conn.dialect.identifier_preparer.quote(column)
    row = conn.exec_driver_sql(f"SELECT MIN({name}), MAX({name}) FROM {table_ref}").first()
    return (row[0], row[1]) if row is not None else (None, None)


# --- column statistics ---------------------------------------------------------------------------


def estimate_distinct(sample_distinct: int, singletons: int, sample_size: int, total: float) -> int:
    """Haas-Stokes "Duj1" estimator, the one PostgreSQL's ANALYZE uses.

    ``D = n·d / (n − f1 + f1·n/N)`` with n sampled non-NULL values, d distinct among them, f1
    values seen exactly once and N non-NULL rows in the table (Haas, Naughton, Seshadri, Stokes,
    VLDB 1995). A sample of all-unique values gives N; one with no singletons gives d.
    """
    if sample_size <= 0 or total <= sample_size:
        return sample_distinct
    n, d, f1 = float(sample_size), float(sample_distinct), float(singletons)
    denominator = n - f1 + f1 * n / total
    estimate = n * d / denominator if denominator > 0 else total
    return int(round(min(max(estimate, d), total)))


def quantiles(values: np.ndarray, points: int) -> np.ndarray:
    """Equi-depth quantiles at ranks ``i / (points - 1)`` (linear interpolation)."""
    return np.quantile(values, np.linspace(0.0, 1.0, points))


SHAPE_SAMPLE = 5_000
"""Values a shape share is estimated from (regex classes over millions of values are slow)."""


def shape_of(strings: pl.Series) -> pl.Series:
    """Character classes: upper-case letter A, other letter a, digit 9, anything else itself."""
    shapes = (
        strings.str.replace_all(r"[A-Z]", "A")
        .str.replace_all(r"[a-z]", "a")
        .str.replace_all(r"[0-9]", "9")
    )
    if not shapes.str.contains(r"[^\x00-\x7F]").any():  # Unicode classes are slow: only if needed
        return shapes
    return (
        shapes.str.replace_all(r"\p{Lu}", "A")
        .str.replace_all(r"[\p{L}--A]", "a")
        .str.replace_all(r"\p{Nd}", "9")
    )


def _scale_stats(numbers: np.ndarray, declared_scale: int | None) -> tuple[int, int]:
    """(max decimal places seen, max integer digits seen), robust to binary float noise."""
    if numbers.size == 0:
        return 0, 0
    largest = float(np.max(np.abs(numbers)))
    integer_digits = len(str(int(largest))) if largest >= 1 else 0
    upper = declared_scale if declared_scale is not None else 10
    for places in range(upper + 1):
        scaled = numbers * (10.0**places)
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places, integer_digits
    return upper, integer_digits


def _year_only(iso: str, logical: str) -> str:
    year = iso[:4]
    return f"{year}-01-01" if logical == "date" else f"{year}-01-01T00:00:00"


def column_stats(
    column: Column,
    data: ColumnData,
    *,
    total_rows: int,
    sampled: bool,
    min_group_size: int,
    pii: bool,
) -> ColumnStats:
    """Every statistic of one column from its read values; PII columns keep shape only."""
    logical = column.logical_type
    rows = data.rows
    null_fraction = data.nulls / rows if rows else 0.0
    values = data.values.drop_nulls()
    present = values.len()
    keeps_values = not pii and logical not in ("binary", "json", "boolean")
    distinct = values.n_unique() if present else 0
    counts = None
    # Counting each value (a hash aggregation with a sort) is only needed for most-common values
    # and the singletons of the estimator; an all-distinct column (keys, e-mails) has neither.
    if present and (distinct < present or min_group_size <= 1) and (keeps_values or sampled):
        counts = values.value_counts(sort=True, name="count")
    if sampled and present:
        singletons = present if counts is None else int((counts["count"] == 1).sum())
        distinct = estimate_distinct(
            distinct, singletons, present, total_rows * (1 - null_fraction)
        )
    fields: dict[str, Any] = {
        "null_fraction": min(1.0, max(0.0, null_fraction)),
        "distinct_count": distinct,
        "method": "sample" if sampled else "exact",
        "sampled_rows": rows if sampled else None,
    }
    if present == 0:
        return ColumnStats(**fields)
    if logical == "boolean":
        fields["true_fraction"] = float(values.cast(pl.Float64).mean())
    if logical in ORDERED:
        numbers = values.cast(pl.Float64).to_numpy()
        if not pii:
            fields["quantiles"] = tuple(
                from_number(float(q), logical) for q in quantiles(numbers, QUANTILE_POINTS)
            )
            fields["min"] = from_number(float(numbers.min()), logical)
            fields["max"] = from_number(float(numbers.max()), logical)
        elif logical in TEMPORAL and present >= min_group_size * QUANTILE_POINTS:
            # Birth dates and similar: year-level quantiles only, and only when every quantile
            # stands for at least k rows (docs/profile.md, "PII policy").
            fields["quantiles"] = tuple(
                _year_only(from_number(float(q), logical), logical)
                for q in quantiles(numbers, QUANTILE_POINTS)
            )
        if logical in ("decimal", "float") and logical in NUMERIC:
            places, digits = _scale_stats(numbers, column.scale if logical == "decimal" else None)
            fields["max_scale"], fields["max_integer_digits"] = places, digits
    if values.dtype in (pl.String, pl.Binary):
        lengths = values.str.len_chars() if values.dtype == pl.String else values.bin.size()
        length_arr = lengths.cast(pl.Float64).to_numpy()
        fields["length"] = LengthStats(
            min=int(length_arr.min()),
            max=int(length_arr.max()),
            mean=float(length_arr.mean()),
            quantiles=tuple(
                round(float(q), 3) for q in quantiles(length_arr, LENGTH_QUANTILE_POINTS)
            ),
        )
        if values.dtype == pl.String and length_arr.max() <= SHAPE_MAX_LENGTH:
            sample = values if present <= SHAPE_SAMPLE else values.sample(SHAPE_SAMPLE, seed=0)
            shapes = shape_of(sample).value_counts(sort=True, name="count")
            share = float(shapes["count"][0]) / sample.len()
            if share >= SHAPE_MIN_SHARE:
                fields["shape"] = ShapeStats(pattern=str(shapes[values.name][0]), share=share)
    if keeps_values and counts is not None:
        fields["most_common"] = _most_common(counts, values.name, logical, present, min_group_size)
    return ColumnStats(**fields)


def _most_common(
    counts: pl.DataFrame, name: str, logical: str, present: int, min_group_size: int
) -> tuple[ValueFrequency, ...]:
    """Values seen at least k times (k-anonymity of the category), the most frequent first."""
    kept = counts.filter(pl.col("count") >= min_group_size).head(MAX_COMMON_VALUES * 2)
    out: list[ValueFrequency] = []
    for value, count in kept.iter_rows():
        if logical in ORDERED:
            value = from_number(float(value), logical)
        elif isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            continue
        out.append(ValueFrequency(value=value, frequency=count / present))
        if len(out) == MAX_COMMON_VALUES:
            break
    return tuple(out)


# --- foreign-key fan-out -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyEdges:
    """A parent key's inner bucket edges (``FANOUT_BUCKETS - 1``), in two spaces."""

    converted: list[Any]
    """Comparable with the child's read values (:class:`ColumnData` units)."""
    native: list[Any]
    """Driver-native bind values for the SQL path."""


def key_edges(values: pl.Series, column: Column, buckets: int = FANOUT_BUCKETS) -> KeyEdges:
    """Edges that cut the parent's keys into *buckets* groups of equal size, in key order."""
    present = values.drop_nulls()
    if present.len() == 0 or present.dtype == pl.Binary or column.logical_type == "boolean":
        return KeyEdges([], [])
    if present.dtype == pl.String:
        ordered = present.sort()
        idx = [int(round(i * (ordered.len() - 1) / buckets)) for i in range(1, buckets)]
        picked = [ordered[i] for i in idx]
        return KeyEdges(picked, list(picked))
    points = quantiles(present.cast(pl.Float64).to_numpy(), buckets + 1)[1:-1]
    if column.logical_type == "integer":
        points = np.floor(points)
    return KeyEdges([float(p) for p in points], [_native(float(p), column) for p in points])


def fanout_from_values(
    keys: Sequence[pl.Series],
    edges: Sequence[Any],
    *,
    parent_rows: int,
    child_rows_total: int,
    parent_method: str,
) -> FanoutStats:
    """Fan-out from a child table that was read completely: the same figures as
    :func:`fanout_stats`, grouped in polars instead of a second pass over the table in SQL."""
    frame = pl.DataFrame({f"k{i}": key for i, key in enumerate(keys)}).drop_nulls()
    groups = frame.group_by(frame.columns).agg(pl.len().alias("fanout_n"))
    if edges and groups.height:
        first = groups["k0"].to_numpy()
        order = np.array(edges, dtype=object if groups["k0"].dtype == pl.String else np.float64)
        bucket = np.searchsorted(order, first, side="right")
    else:
        bucket = np.zeros(groups.height, dtype=np.int64)
    histogram = (
        pl.DataFrame({"n": groups["fanout_n"], "b": pl.Series(bucket, dtype=pl.Int64)})
        .group_by(["n", "b"])
        .agg(pl.len().alias("parents"))
    )
    return fanout_from_histogram(
        [(int(n), int(b), int(p)) for n, b, p in histogram.iter_rows()],
        parent_rows=parent_rows,
        child_rows_total=child_rows_total,
        buckets=len(edges) + 1 if edges else 0,
        method="exact" if parent_method == "exact" else parent_method,
    )


def _native(number: float, column: Column) -> Any:
    logical = column.logical_type
    if logical == "integer":
        return int(math.floor(number))
    if logical == "decimal":
        return decimal.Decimal(repr(number))
    if logical == "date":
        return dt.date.fromisoformat(from_number(number, "date"))
    if logical == "datetime":
        value = dt.datetime.fromisoformat(from_number(number, "datetime"))
        return value.replace(tzinfo=dt.UTC) if column.timezone else value
    if logical == "time":
        return dt.time.fromisoformat(from_number(number, "time"))
    return number


def fanout_stats(
    conn: Connection,
    child_ref: str,
    columns: Sequence[str],
    *,
    child_rows_total: int,
    parent_rows: int,
    edges: Sequence[Any],
    parent_method: str,
) -> FanoutStats:
    """Children per parent for one FK, exact, from one GROUP BY over the child table.

    The database returns the count histogram (how many parents have n children, per key-position
    bucket), never one row per parent, so memory stays flat whatever the table size. Parents
    without children are ``parent_rows`` minus the parents seen in the child (FKs enforced).
    """
    prep = conn.dialect.identifier_preparer
    quoted = [prep.quote(c) for c in columns]
    not_null = " AND ".join(f"{q} IS NOT NULL" for q in quoted)
    if edges:
        whens = " ".join(f"WHEN g.k0 < :e{i} THEN {i}" for i in range(len(edges)))
        bucket = f"CASE {whens} ELSE {len(edges)} END"
    else:
        bucket = "0"
    sql = (
        f"SELECT g.fanout_n, {bucket} AS bucket, count(*) AS parents FROM "
        f"(SELECT {quoted[0]} AS k0, count(*) AS fanout_n FROM {child_ref}"
        f" WHERE {not_null} GROUP BY {', '.join(quoted)}) g GROUP BY g.fanout_n, bucket"
    )
    params = {f"e{i}": edge for i, edge in enumerate(edges)}
    rows = conn.execute(sa.text(sql), params).all()
    return fanout_from_histogram(
        [(int(n), int(b), int(p)) for n, b, p in rows],
        parent_rows=parent_rows,
        child_rows_total=child_rows_total,
        buckets=len(edges) + 1 if edges else 0,
        method="exact" if parent_method == "exact" else parent_method,
    )


def fanout_from_histogram(
    histogram: Sequence[tuple[int, int, int]],
    *,
    parent_rows: int,
    child_rows_total: int,
    buckets: int,
    method: str = "exact",
) -> FanoutStats:
    """FanoutStats from (children per parent, position bucket, parents) triples."""
    hist: dict[int, int] = {}
    by_bucket = np.zeros(max(buckets, 1), dtype=np.float64)
    for n, bucket, parents in histogram:
        hist[n] = hist.get(n, 0) + parents
        by_bucket[min(bucket, by_bucket.size - 1)] += n * parents
    with_children = sum(hist.values())
    child_rows = sum(n * p for n, p in hist.items())
    parents_total = max(parent_rows, with_children)
    childless = parents_total - with_children
    null_rows = max(0, child_rows_total - child_rows)
    if parents_total == 0:
        return FanoutStats(
            parent_rows=parent_rows,
            child_rows=child_rows,
            null_fraction=null_rows / child_rows_total if child_rows_total else 0.0,
            childless_fraction=0.0,
            max=0,
            mean=0.0,
            quantiles=(),
            method=method,  # type: ignore[arg-type]
        )
    sizes = np.array([0, *sorted(hist)], dtype=np.int64)
    weights = np.array([childless, *(hist[n] for n in sorted(hist))], dtype=np.int64)
    cumulative = np.cumsum(weights)
    positions = np.rint(np.linspace(0, parents_total - 1, QUANTILE_POINTS)).astype(np.int64)
    qs = sizes[np.searchsorted(cumulative, positions, side="right")]
    top = max(1, math.ceil(TOP_PARENT_SHARE * parents_total))
    desc_sizes, desc_weights = sizes[::-1], weights[::-1]
    before = np.cumsum(desc_weights) - desc_weights
    taken = np.clip(top - before, 0, desc_weights)
    top_children = float(np.sum(taken * desc_sizes))
    position_weights: tuple[float, ...] = ()
    if buckets and child_rows:
        position_weights = tuple(round(float(w) / child_rows, 6) for w in by_bucket)
    return FanoutStats(
        parent_rows=parent_rows,
        child_rows=child_rows,
        null_fraction=min(1.0, null_rows / child_rows_total) if child_rows_total else 0.0,
        childless_fraction=childless / parents_total,
        max=int(sizes[-1]),
        mean=child_rows / parents_total,
        quantiles=tuple(float(q) for q in qs),
        top_share=min(1.0, top_children / child_rows) if child_rows else 0.0,
        position_weights=position_weights,
        method=method,  # type: ignore[arg-type]
    )
