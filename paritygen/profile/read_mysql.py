"""MariaDB / MySQL fast paths of :mod:`paritygen.profile.read`.

PyMySQL parses every row in Python, which made reading the dominant cost of profiling; here the
server packs many rows into one value (``GROUP_CONCAT`` of ``CONCAT_WS`` per key range, or one
``CONCAT_WS`` value per row) and polars parses the text in bulk, with ``JSON_ARRAY`` as the exact
fallback. Figures: benchmarks/PROFILER.md.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import closing
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile.dialects import SAMPLE_SEED
from paritygen.profile.model import Column
from paritygen.profile.read import (
    FETCH_CHUNK,
    ColumnData,
    _from_copy_text,
    column_data,
    from_parts,
    parser_pool,
)

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
    return column_data(columns, chunks, nulls, rows)


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

_SESSION_CAP: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
"""The ``group_concat_max_len`` each driver connection was given (read per table, it cost two
round trips per table)."""


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
        cursor.execute(
            f"SELECT MIN({quoted_key}), MAX({quoted_key}), @@max_allowed_packet FROM {table_ref}"
        )
        low, high, packet = cursor.fetchone()
        if low is None:
            return None
        cap = max(1024, min(RANGE_MAX_BYTES, int(packet) - (1 << 16)))
        if _SESSION_CAP.get(raw) != cap:  # once per session, not once per table
            cursor.execute(f"SET SESSION group_concat_max_len = {cap}")  # session only
            _SESSION_CAP[raw] = cap
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

        pool = parser_pool()
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
    return from_parts(columns, results)


MYSQL_CHARSET_MIX_ERRORS = frozenset({1267, 1270, 1271})
"""Illegal mix of collations: columns of incompatible character sets cannot share one
``CONCAT_WS`` (https://mariadb.com/kb/en/mariadb-error-codes/); ``JSON_ARRAY`` converts each."""


def read_mysql(
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
    return column_data(columns, chunks, nulls, rows)
