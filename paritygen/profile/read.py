"""Reading a table once: streamed in chunks (or its in-database sample) into polars series.

Why: pulling rows into Python is the expensive part of profiling, so each table is read exactly
once and every statistic is computed from that read. PostgreSQL and MariaDB have fast paths that
let the server render values in the units of :mod:`paritygen.profile.values` and parse its text
with polars in bulk (COPY; key-range ``GROUP_CONCAT`` or one ``CONCAT_WS`` value per row, with
``JSON_ARRAY`` as the exact fallback); any other database goes through a server-side cursor.
Figures: benchmarks/PROFILER.md.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile.dialects import dialect_sql
from paritygen.profile.model import Column
from paritygen.profile.values import NUMERIC, TEMPORAL

FETCH_CHUNK = 50_000
"""Rows per streamed batch: large enough to amortise round trips, small enough for flat memory."""


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
        if column.value_kind == "interval":  # timedelta from the driver: seconds
            values = [v.total_seconds() if isinstance(v, dt.timedelta) else v for v in values]
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

POSTGRES_KIND_EXPRESSIONS: dict[str, str] = {
    # An interval is profiled as seconds (logical float), money as its number: the text forms
    # ('1 day 02:00:00', '$1,234.50') are not numbers polars can parse.
    "interval": "date_part('epoch', {col})",
    "money": "{col}::numeric",
}
"""Per ``Column.value_kind``, a COPY expression that wins over the logical type's."""


def postgres_expression(column: Column) -> str:
    """The SELECT expression (``{col}`` placeholder) that reads *column* in profile units."""
    kind = POSTGRES_KIND_EXPRESSIONS.get(column.value_kind or "")
    return kind or POSTGRES_COPY_EXPRESSIONS.get(column.logical_type, "{col}")


SPOOL_BATCH_BYTES = 8 << 20
"""COPY output is parsed in batches of about this size (text is never held whole)."""


def read_table(
    conn: Connection,
    table_ref: str,
    columns: Sequence[Column],
    sample_fraction: float | None,
    limit: int | None = None,
    key: str | None = None,
) -> tuple[dict[str, ColumnData], str | None]:
    """Read the table (or its in-database sample) once; (column data, sample method label).

    *limit* caps an unsampled read (the caller checks whether the table was larger). *key*, an
    integer primary-key column, lets MariaDB/MySQL ship many rows per value (key ranges).

    PostgreSQL streams ``COPY (SELECT ...) TO STDOUT`` in batches that polars parses while the
    next batch arrives (about 10x faster than fetching rows through the driver); MariaDB/MySQL
    see :func:`paritygen.profile.read_mysql.read_mysql`; other databases stream rows through a
    server-side cursor in chunks.
    """
    source, method = table_ref, None
    spec = dialect_sql(conn)
    if sample_fraction is not None and sample_fraction < 1.0 and spec.sample is not None:
        source, method = spec.sample(table_ref, sample_fraction)
    elif limit is not None:
        source = f"{table_ref} LIMIT {int(limit)}"
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return _read_postgres_copy(conn, source, columns), method
    if conn.dialect.name == "mysql":
        from paritygen.profile.read_mysql import read_mysql

        return read_mysql(conn, table_ref, source, columns, sample_fraction, limit, key), method
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


def copy_out(
    raw: Any, sql: str, emit: Callable[[bytes], None], *, release_gil: bool = False,
    first_batch_bytes: int | None = None,
) -> None:  # fmt: skip
    """Stream ``COPY ... TO STDOUT`` through libpq, one C call per row, to *emit* in batches of
    about :data:`SPOOL_BATCH_BYTES` whole rows: the one COPY-read loop of the profiler and of
    :mod:`paritygen.profile.stream`. Each row is appended to one growing ``bytearray`` (no
    ``bytes`` object and list entry per row): half the loop's CPU, which holds the GIL
    (0.24 -> 0.13 s for the 1 M order lines of benchmarks/mask_throughput.py).

    Why: the server sends one message per row; psycopg's ``Copy.read()`` costs about twice the
    client CPU of calling libpq's ``PQgetCopyData`` directly (benchmarks/PROFILER.md), and at a
    million rows that is the difference between matching ``psql`` and trailing it. The
    connection's transaction (read-only snapshot) is used as is; every result is consumed before
    returning, so psycopg finds the connection in the state it left it.

    *release_gil*: a blocking ``PQgetCopyData`` holds the GIL while it waits for the network,
    which stalls a thread writing the previous block into a target (measured: a copy then took
    the time of reading plus writing). With it, the reader waits in ``select`` (GIL released)
    and drains what arrived; without it (the profiler, whose parsing threads run in polars
    outside the GIL), one blocking call per row costs the least CPU.

    *first_batch_bytes*: the first batch is emitted at this size and each next one at twice the
    last, up to :data:`SPOOL_BATCH_BYTES`, so a consumer (mask, writing while it reads) starts
    on the first rows at once instead of after the first 8 MB.
    """
    import select

    from psycopg import pq  # imported here: MariaDB and SQLite users never load psycopg

    pgconn = raw.pgconn
    with raw.lock:
        pgconn.send_query(sql.encode(raw.info.encoding))
        first = pgconn.get_result()
        if first is None or first.status != pq.ExecStatus.COPY_OUT:
            error = first
            while pgconn.get_result() is not None:
                continue
            raise _result_error(error, raw)
        batch = bytearray()  # rows appended in place: no bytes object and list entry per row
        limit = min(first_batch_bytes or SPOOL_BATCH_BYTES, SPOOL_BATCH_BYTES)
        get, consume = pgconn.get_copy_data, pgconn.consume_input
        mode = 1 if release_gil else 0  # libpq's async flag: 0 blocks until a row is complete
        while True:
            nbytes, block = get(mode)
            if nbytes > 0:
                batch += block
                if len(batch) >= limit:
                    emit(bytes(batch))
                    batch.clear()
                    limit = min(2 * limit, SPOOL_BATCH_BYTES)
                continue
            if nbytes == 0:  # (async only) nothing complete buffered: wait, GIL released
                select.select([pgconn.socket], [], [])
                consume()
                continue
            break
        if batch:
            emit(bytes(batch))
        error = None
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK and error is None:
                error = result
        if error is not None:
            raise _result_error(error, raw)


def _result_error(result: Any, raw: Any) -> Exception:
    import psycopg

    if result is None:
        return psycopg.OperationalError("COPY did not start")
    return psycopg.errors.error_from_result(result, encoding=raw.info.encoding)


_PARSER: ThreadPoolExecutor | None = None
_PARSER_LOCK = threading.Lock()


def parser_pool() -> ThreadPoolExecutor:
    """The process's parsing threads: batches are parsed there while the next one streams in
    (two, for tables read side by side). Shared by every table read, because starting a
    thread per table was a fixed cost that grew with the number of tables."""
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            _PARSER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="paritygen-parse")
        return _PARSER


def _read_postgres_copy(
    conn: Connection, source: str, columns: Sequence[Column]
) -> dict[str, ColumnData]:
    prep = conn.dialect.identifier_preparer
    exprs = [postgres_expression(c).format(col=prep.quote(c.name)) for c in columns]
    sql = f"COPY (SELECT {', '.join(exprs)} FROM {source}) TO STDOUT (FORMAT csv, NULL '\\N')"
    raw = conn.connection.driver_connection
    names = [f"c{i}" for i in range(len(columns))]
    schema = {n: pl.String for n in names}

    def parse(buffer: bytes) -> tuple[list[pl.Series], list[int], int]:
        frame = pl.read_csv(
            buffer,
            has_header=False,
            schema=schema,
            null_values="\\N",
            empty_string_is_null=False,
            quote_char='"',
        )
        texts = [frame.get_column(n) for n in names]
        values = [_from_copy_text(t, c.logical_type) for t, c in zip(texts, columns, strict=True)]
        return values, [t.null_count() for t in texts], frame.height

    # Each batch of whole rows is parsed on a worker thread while the next one streams in
    # (polars releases the GIL), so parsing hides behind the network read.
    import psycopg

    pool = parser_pool()
    parts: list[Future[tuple[list[pl.Series], list[int], int]]] = []
    try:
        copy_out(raw, sql, lambda buffer: parts.append(pool.submit(parse, buffer)))
    except psycopg.Error as exc:  # raised on the driver connection: wrap as SQLAlchemy would
        for part in parts:
            part.cancel()
        raise sa.exc.DBAPIError(sql, None, exc) from None
    parsed = [part.result() for part in parts]
    return from_parts(columns, parsed)


def column_data(
    columns: Sequence[Column], chunks: list[list[pl.Series]], nulls: list[int], rows: int
) -> dict[str, ColumnData]:
    """Each column's parsed pieces as one :class:`ColumnData` (a typed empty series when the
    table had no rows), shared by every read path."""
    data = {}
    for i, column in enumerate(columns):
        series = (
            pl.concat(chunks[i], rechunk=True)
            if chunks[i]
            else _from_copy_text(pl.Series([], dtype=pl.String), column.logical_type)
        )
        data[column.name] = ColumnData(values=series.rename(column.name), nulls=nulls[i], rows=rows)
    return data


def from_parts(
    columns: Sequence[Column], parts: list[tuple[list[pl.Series], list[int], int]]
) -> dict[str, ColumnData]:
    """:func:`column_data` of batches parsed apart: (values per column, NULLs per column, rows)."""
    return column_data(
        columns,
        [[values[i] for values, _, _ in parts] for i in range(len(columns))],
        [sum(nulls[i] for _, nulls, _ in parts) for i in range(len(columns))],
        sum(height for _, _, height in parts),
    )


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
