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
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile.dialects import SAMPLE_SEED, dialect_sql
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
    see :func:`_read_mysql`; other databases stream rows through a server-side cursor in chunks.
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
        return _read_mysql(conn, table_ref, source, columns, sample_fraction, limit, key), method
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


def _copy_out(raw: Any, sql: str, emit: Callable[[bytes], None]) -> None:
    """Stream ``COPY ... TO STDOUT`` through libpq, one C call per row, to *emit* in batches of
    about :data:`SPOOL_BATCH_BYTES` whole rows.

    Why: the server sends one message per row; psycopg's ``Copy.read()`` costs about twice the
    client CPU of calling libpq's ``PQgetCopyData`` directly (benchmarks/PROFILER.md), and at a
    million rows that is the difference between matching ``psql`` and trailing it. The
    connection's transaction (read-only snapshot) is used as is; every result is consumed before
    returning, so psycopg finds the connection in the state it left it.
    """
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
        pending: list[bytes] = []
        size = 0
        get = pgconn.get_copy_data
        append = pending.append
        while True:
            nbytes, block = get(0)  # blocking: one row per call
            if nbytes < 0:
                break
            append(bytes(block))
            size += nbytes
            if size >= SPOOL_BATCH_BYTES:
                emit(b"".join(pending))
                pending.clear()
                size = 0
        if pending:
            emit(b"".join(pending))
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

    with ThreadPoolExecutor(max_workers=1) as pool:
        parts: list[Future[tuple[list[pl.Series], list[int], int]]] = []
        try:
            _copy_out(raw, sql, lambda buffer: parts.append(pool.submit(parse, buffer)))
        except psycopg.Error as exc:  # raised on the driver connection: wrap as SQLAlchemy would
            raise sa.exc.DBAPIError(sql, None, exc) from None
        parsed = [part.result() for part in parts]
    rows = sum(height for _, _, height in parsed)
    data = {}
    for i, column in enumerate(columns):
        series = (
            pl.concat([values[i] for values, _, _ in parsed], rechunk=True)
            if parsed
            else _from_copy_text(pl.Series([], dtype=pl.String), column.logical_type)
        )
        data[column.name] = ColumnData(
            values=series.rename(column.name),
            nulls=sum(nulls[i] for _, nulls, _ in parsed),
            rows=rows,
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


MYSQL_TYPE_EXPRESSIONS: dict[str, str] = {
    # Read by the declared type before the logical one. BIT(n) is a binary string: its number
    # (https://mariadb.com/kb/en/bit/); spatial values are WKB bytes: their WKT text
    # (https://mariadb.com/kb/en/st_astext/). Raw, either would make the row undecodable.
    "bit": "CAST({col} AS UNSIGNED)",
    **dict.fromkeys(
        (
            "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
            "multipolygon", "geometrycollection",
        ),
        "ST_AsText({col})",
    ),
}  # fmt: skip


def _mysql_expression(column: Column, by_logical: dict[str, str], quoted: str) -> str:
    """The field expression of *column* in the MariaDB/MySQL fast paths."""
    word = re.split(r"[\s(]", column.sql_type.strip().lower(), maxsplit=1)[0]
    template = MYSQL_TYPE_EXPRESSIONS.get(word) or by_logical.get(column.logical_type, "{col}")
    return template.format(col=quoted)


MYSQL_FIELD_SEPARATOR = "\x1f"
"""ASCII unit separator between the fields of the packed MariaDB/MySQL row."""
MYSQL_NULL_MARK = "\x1e"
"""ASCII record separator standing for NULL in nullable columns of the packed row (a text value
consisting of exactly this control character would be read as NULL)."""
MYSQL_PACKED_EXPRESSIONS: dict[str, str] = {
    **MYSQL_JSON_EXPRESSIONS,
    # Integer microseconds, exact; divided by 1e6 in polars (a double rendered by the server as
    # text may be cut to 15 significant digits).
    "datetime": "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {col})",
}
"""Per logical type, the field expression inside ``CONCAT_WS`` of the MariaDB/MySQL fast path."""


def _mysql_fetch(conn: Connection, sql: str) -> Iterator[list[str]]:
    """Batches of the single text field of each row, streamed (unbuffered) from the server.

    PyMySQL's unbuffered cursor is used directly: SQLAlchemy's Row objects cost as much again
    per row as PyMySQL's own parsing.
    """
    raw = conn.connection.driver_connection
    if conn.dialect.driver == "pymysql":
        import pymysql.cursors

        cursor = raw.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(FETCH_CHUNK):
                yield [row[0] for row in rows]
        finally:
            cursor.close()
        return
    result = conn.execution_options(
        stream_results=True, max_row_buffer=FETCH_CHUNK
    ).exec_driver_sql(sql)
    try:
        for part in result.partitions(FETCH_CHUNK):
            yield [row[0] for row in part]
    finally:
        result.close()


def _read_mysql_packed(
    conn: Connection, source: str, columns: Sequence[Column]
) -> dict[str, ColumnData] | None:
    """One ``CONCAT_WS`` text per row, split by polars; None when a value held the separator.

    Why: PyMySQL parses every field in Python, so one field per row instead of one per column is
    what makes the read fast; ``CONCAT_WS`` costs the server less than half of ``JSON_ARRAY``
    (measured in benchmarks/PROFILER.md). Used when the table has no integer key for
    :func:`_read_mysql_ranges` (``GROUP_CONCAT`` grouped by an expression instead of a key range
    costs the server a temporary table and was slower than this).
    """
    sql = f"SELECT {_packed_row_sql(conn, columns)} FROM {source}"
    names = [f"f{i}" for i in range(len(columns))]
    chunks: list[list[pl.Series]] = [[] for _ in columns]
    nulls = [0] * len(columns)
    rows = 0
    # closing(): the cursor is closed (and the rest of the result drained) on every exit.
    with closing(_mysql_fetch(conn, sql)) as batches:
        for batch in batches:
            frame = _split_packed(batch, names)
            if frame is None:
                return None
            rows += frame.height
            for i, column in enumerate(columns):
                text = frame.get_column(names[i])
                nulls[i] += text.null_count()
                values = _from_copy_text(text, column.logical_type)
                if column.logical_type == "datetime":
                    values = values / 1e6
                chunks[i].append(values)
    data = {}
    for i, column in enumerate(columns):
        series = (
            pl.concat(chunks[i])
            if chunks[i]
            else _from_copy_text(pl.Series([], dtype=pl.String), column.logical_type)
        )
        data[column.name] = ColumnData(values=series.rename(column.name), nulls=nulls[i], rows=rows)
    return data


def _split_packed(batch: list[Any], names: list[str]) -> pl.DataFrame | None:
    """Packed rows as a frame of text columns, parsed by polars in one call; None if ambiguous.

    Rows are joined with the group separator (0x1D) and read as CSV without quoting: fields split
    on 0x1F, NULLs marked 0x1E. A value holding 0x1D or 0x1F changes the separator counts, which
    are checked exactly, so such a batch is never misread.
    """
    if any(row is None for row in batch):
        return None
    return _parse_packed(b"\x1d".join(bytes(row) for row in batch), len(batch), names)


def _parse_packed(buffer: bytes, rows: int, names: list[str]) -> pl.DataFrame | None:
    """*rows* packed rows joined by 0x1D as a frame of text columns; None unless exact."""
    if buffer.count(b"\x1d") != rows - 1:
        return None
    if buffer.count(b"\x1f") != rows * (len(names) - 1):
        return None
    try:
        frame = pl.read_csv(
            buffer,
            has_header=False,
            separator="\x1f",
            eol_char="\x1d",
            quote_char=None,
            schema={name: pl.String for name in names},
            null_values=MYSQL_NULL_MARK,
            empty_string_is_null=False,
            raise_if_empty=False,
            encoding="utf8-lossy",
        )
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.height == rows else None


RANGE_TARGET_ROWS = 50_000
"""Rows the server packs into one ``GROUP_CONCAT`` value per key range (a few MB)."""
RANGE_MAX_BYTES = 256 << 20
"""Largest packed value asked for (also kept below the server's ``max_allowed_packet``)."""


def _packed_row_sql(conn: Connection, columns: Sequence[Column]) -> str:
    """``CAST(CONCAT_WS(0x1F, field, ...) AS BINARY)``: one binary value per row."""
    prep = conn.dialect.identifier_preparer
    exprs = []
    for c in columns:
        expr = _mysql_expression(c, MYSQL_PACKED_EXPRESSIONS, prep.quote(c.name))
        exprs.append(f"IFNULL({expr}, _utf8mb4 x'1e')" if c.nullable else expr)
    # BINARY: PyMySQL hands the bytes over without decoding them.
    return f"CAST(CONCAT_WS(_utf8mb4 x'1f', {', '.join(exprs)}) AS BINARY)"


def _read_mysql_ranges(
    conn: Connection,
    table_ref: str,
    key: str,
    columns: Sequence[Column],
    fraction: float | None,
    limit: int | None,
) -> dict[str, ColumnData] | None:
    """The table read as consecutive ranges of its integer key, each range one packed value.

    Why: PyMySQL parses every row packet in Python (about 2 µs each); ``GROUP_CONCAT`` over a
    primary-key range lets the server pack ~50,000 rows into one value, so the client does a few
    dozen round trips instead of a million packet reads and the read runs at the speed of the
    ``mariadb`` client (benchmarks/PROFILER.md). A range whose value would exceed
    ``max_allowed_packet`` is halved; None (the caller falls back to one value per row) when a
    value holds a separator or a single row is too large.
    """
    prep = conn.dialect.identifier_preparer
    quoted_key = prep.quote(key)
    raw = conn.connection.driver_connection
    names = [f"f{i}" for i in range(len(columns))]
    row_sql = _packed_row_sql(conn, columns)
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT MIN({quoted_key}), MAX({quoted_key}) FROM {table_ref}")
        low, high = cursor.fetchone()
        if low is None:
            return None
        cursor.execute("SELECT @@max_allowed_packet")
        (packet,) = cursor.fetchone()
        cap = max(1024, min(RANGE_MAX_BYTES, int(packet) - (1 << 16)))
        cursor.execute(f"SET SESSION group_concat_max_len = {cap}")  # session only: nothing kept
        low, high = int(low), int(high)
        step = max(1, RANGE_TARGET_ROWS if fraction is None else int(RANGE_TARGET_ROWS / fraction))
        rows = 0
        parsed: list[Future[tuple[list[pl.Series], list[int], int]]] = []

        def convert(frame: pl.DataFrame) -> tuple[list[pl.Series], list[int], int]:
            texts = [frame.get_column(n) for n in names]
            values = []
            for text, column in zip(texts, columns, strict=True):
                value = _from_copy_text(text, column.logical_type)
                values.append(value / 1e6 if column.logical_type == "datetime" else value)
            return values, [t.null_count() for t in texts], frame.height

        with ThreadPoolExecutor(max_workers=1) as pool:
            start = low
            while start <= high and (limit is None or rows < limit):
                stop = min(high + 1, start + step)
                sample = (
                    ""
                    if fraction is None
                    else (f" AND RAND({(SAMPLE_SEED + start) % (1 << 31)}) < {fraction:.9f}")
                )
                cursor.execute(
                    f"SELECT COUNT(*), GROUP_CONCAT({row_sql} SEPARATOR 0x1d) FROM {table_ref}"
                    f" WHERE {quoted_key} >= {start} AND {quoted_key} < {stop}{sample}"
                )
                count, blob = cursor.fetchone()
                count = int(count)
                if count and (blob is None or len(blob) >= cap):  # truncated: halve the range
                    if stop - start <= 1:
                        return None
                    step = max(1, (stop - start) // 2)
                    continue
                if count:
                    frame = _parse_packed(bytes(blob), count, names)
                    if frame is None:
                        return None
                    parsed.append(pool.submit(convert, frame))
                    rows += count
                # Aim the next range at RANGE_TARGET_ROWS from the density just seen.
                width = stop - start
                step = (
                    width * 4
                    if count == 0
                    else max(1, min(width * 4, int(width * RANGE_TARGET_ROWS / count)))
                )
                start = stop
            results = [part.result() for part in parsed]
    data = {}
    total = sum(height for _, _, height in results)
    for i, column in enumerate(columns):
        series = (
            pl.concat([values[i] for values, _, _ in results], rechunk=True)
            if results
            else _from_copy_text(pl.Series([], dtype=pl.String), column.logical_type)
        )
        data[column.name] = ColumnData(
            values=series.rename(column.name),
            nulls=sum(nulls[i] for _, nulls, _ in results),
            rows=total,
        )
    return data


MYSQL_CHARSET_MIX_ERRORS = frozenset({1267, 1270, 1271})
"""Illegal mix of collations: columns of incompatible character sets cannot share one
``CONCAT_WS`` (https://mariadb.com/kb/en/mariadb-error-codes/); ``JSON_ARRAY`` converts each."""


def _read_mysql(
    conn: Connection,
    table_ref: str,
    source: str,
    columns: Sequence[Column],
    sample_fraction: float | None,
    limit: int | None,
    key: str | None,
) -> dict[str, ColumnData]:
    """The fastest MariaDB/MySQL path that is exact for this table: key ranges, then one packed
    value per row, then one JSON array per row. Driver errors surface as SQLAlchemy's."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    sampled = sample_fraction is not None and sample_fraction < 1.0

    def fallback_on_charsets(exc: Exception) -> None:
        code = exc.args[0] if exc.args else None
        if code not in MYSQL_CHARSET_MIX_ERRORS:
            raise exc

    try:
        data = None
        if key is not None and conn.dialect.driver == "pymysql":
            try:
                data = _read_mysql_ranges(
                    conn, table_ref, key, columns, sample_fraction if sampled else None, limit
                )
            except dbapi_error as exc:
                fallback_on_charsets(exc)
        if data is None:  # no integer key, a separator byte in a value, or a huge row
            try:
                data = _read_mysql_packed(conn, source, columns)
            except dbapi_error as exc:
                fallback_on_charsets(exc)
        if data is None:
            data = _read_mysql_json(conn, source, columns)
    except dbapi_error as exc:  # raised on the driver connection: wrap as SQLAlchemy would
        raise sa.exc.DBAPIError(None, None, exc) from None
    return data


def _read_mysql_json(
    conn: Connection, source: str, columns: Sequence[Column]
) -> dict[str, ColumnData]:
    """One ``JSON_ARRAY(...)`` text per row, decoded by polars.

    PyMySQL parses every field in Python; one field per row instead of one per column makes the
    read 2-3x faster, and JSON keeps NULLs, quoting and Unicode exact.
    """
    prep = conn.dialect.identifier_preparer
    exprs = [_mysql_expression(c, MYSQL_JSON_EXPRESSIONS, prep.quote(c.name)) for c in columns]
    sql = f"SELECT JSON_ARRAY({', '.join(exprs)}) FROM {source}"
    chunks: list[list[pl.Series]] = [[] for _ in columns]
    nulls = [0] * len(columns)
    rows = 0
    list_type = pl.List(pl.String)
    with closing(_mysql_fetch(conn, sql)) as batches:
        for batch in batches:
            rows += len(batch)
            decoded = pl.Series(batch, dtype=pl.String).str.json_decode(list_type)
            for i, column in enumerate(columns):
                text = decoded.list.get(i)
                nulls[i] += text.null_count()
                chunks[i].append(_from_copy_text(text, column.logical_type))
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
