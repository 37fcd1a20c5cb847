"""Streaming whole tables out of the source, exactly, for ``mask``: one consistent snapshot,
bounded memory, values in the chunk contract of :mod:`paritygen.generate.base`.

Where the profiler reads values to *measure* them (dates as day numbers), mask copies them, so
every value must come back exactly: decimals stay text (no float rounding), timestamps keep their
microseconds, binary its bytes. A value the parser cannot read is an error naming the column, never
a silent NULL.

The snapshot is the profiler's read-only session (:func:`paritygen.profile.dialects.start_session`):
PostgreSQL ``REPEATABLE READ, READ ONLY`` and MariaDB ``START TRANSACTION WITH CONSISTENT
SNAPSHOT, READ ONLY``, what ``pg_dump`` and ``mariadb-dump --single-transaction`` use, so every
table is read as of one instant and FKs hold even while production is being written.

Fast paths, each parsed by polars in bulk: PostgreSQL ``COPY (SELECT ...) TO STDOUT`` (CSV);
MariaDB one ``CONCAT_WS`` value per row through an unbuffered cursor (a row holding the separator
characters falls back to the typed cursor); anything else a server-side cursor of typed rows.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.errors import LoadError
from paritygen.profile.dialects import dialect_sql, start_session
from paritygen.profile.model import Column
from paritygen.profile.read import FETCH_CHUNK, copy_out
from paritygen.profile.read_mysql import (
    MYSQL_FIELD_SEPARATOR,
    MYSQL_NULL_MARK,
    _mysql_expression,
    _mysql_fetch,
    _parse_packed,
)

COPY_TYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "decimal": pl.String(),  # exact: the target parses the text into its own DECIMAL
    "boolean": pl.Boolean(),
    "string": pl.String(),
    "text": pl.String(),
    "enum": pl.String(),
    "uuid": pl.String(),
    "json": pl.String(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "time": pl.Time(),
    "binary": pl.Binary(),
}
"""The chunk contract for copied values (decimals as text, the rest as generators make them)."""

POSTGRES_SESSION = ("SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'")
"""Zone-aware timestamps read as UTC; dates as ISO text whatever the server's default."""

POSTGRES_EXPRESSIONS: dict[str, str] = {
    "boolean": "{col}::int",
    "binary": "encode({col}, 'hex')",
}
"""SELECT expressions of PostgreSQL's COPY path ({col} is the quoted column); timestamptz
columns are read ``AT TIME ZONE 'UTC'`` (naive UTC, the chunk contract's form)."""

MYSQL_EXPRESSIONS: dict[str, str] = {
    "boolean": "({col} + 0)",
    "binary": "HEX({col})",
    "json": "CONCAT('', {col})",
    "datetime": "DATE_FORMAT({col}, '%Y-%m-%d %H:%i:%s.%f')",
}
"""Field expressions inside MariaDB's ``CONCAT_WS`` (BIT and spatial as the profiler reads them)."""

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
FIRST_BATCH_BYTES = 256 << 10
"""The first COPY batch handed on (later ones double up to 8 MB): the copy's pipeline of read,
mask and write starts on the first rows, not after the first 8 MB."""
QUEUE_BATCHES = 2
"""Parsed batches waiting for the consumer: memory stays at a few batches per table."""


@contextlib.contextmanager
def snapshot(engine: sa.Engine) -> Iterator[Snapshot]:
    """One read-only, consistent snapshot of the source for the whole copy (module docstring);
    every connection is rolled back at the end, nothing is ever committed."""
    with engine.connect() as conn:
        start_session(conn)
        _copy_session(conn)
        try:
            yield Snapshot(engine, conn)
        finally:
            conn.rollback()


def _copy_session(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for statement in POSTGRES_SESSION:
            conn.exec_driver_sql(statement)


SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]+$")
"""What an exported snapshot id looks like (``00000003-0000001B-1``); anything else is refused."""


class Snapshot:
    """The source as of one instant, for one or several readers.

    Where the database exports snapshots (PostgreSQL's ``pg_export_snapshot``, as ``pg_dump
    --jobs`` does), each :meth:`reader` is a session of its own started in the same snapshot,
    so tables can be read side by side; elsewhere (MariaDB has no such export) every reader is
    the one snapshot connection, handed out one at a time.
    """

    def __init__(self, engine: sa.Engine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn
        self._lock = threading.Lock()
        spec = dialect_sql(conn)
        self._import = spec.import_snapshot
        self.exported: str | None = None
        if spec.export_snapshot_sql is not None:
            value = str(conn.exec_driver_sql(spec.export_snapshot_sql).scalar())
            self.exported = value if SNAPSHOT_ID.match(value) else None

    @property
    def parallel(self) -> bool:
        """Whether readers get sessions of their own (tables can be read at once)."""
        return self.exported is not None

    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection reading the snapshot (see the class docstring)."""
        if self.exported is None:
            with self._lock:
                yield self.conn
            return
        with self.engine.connect() as conn:
            for statement in self._import:
                conn.exec_driver_sql(statement.format(snapshot=self.exported))
            _copy_session(conn)
            try:
                yield conn
            finally:
                conn.rollback()


def stream_table(
    conn: Connection, table_ref: str, columns: Sequence[Column], label: str,
    *, as_text: bool = False,
) -> Iterator[pl.DataFrame]:  # fmt: skip
    """Every row of the table, in batches of about :data:`FETCH_CHUNK` rows (or 8 MB of COPY
    text), as frames named after *columns* and typed per :data:`COPY_TYPES`.

    *as_text* (a target of the same database kind): values stay the server's own text, which
    the same server's bulk load reads back exactly, so nothing is parsed or re-printed but
    binary where the read path ships hex (MariaDB). About twice the copy speed of the typed
    path on PostgreSQL; a cross-database copy must use the typed one."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        yield from _postgres(conn, table_ref, columns, label, as_text)
    elif conn.dialect.name == "mysql" and conn.dialect.driver == "pymysql":
        yield from _mysql(conn, table_ref, columns, label, as_text)
    else:
        yield from _typed_cursor(conn, f"SELECT {_select_list(conn, columns)} FROM {table_ref}",
                                 columns, label)  # fmt: skip


def raw_copy_format(conn: Connection) -> str | None:
    """The bulk text format this source can hand out untouched (:func:`stream_raw`), or None.

    PostgreSQL: COPY's own ``text`` format, what ``pg_dump`` writes and ``psql`` restores
    (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"). Text rather than
    binary: the target parses it into its own column types, so a column whose type differs a
    little (``int`` read, ``bigint`` created) still loads, where binary COPY would refuse."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return "text"
    return None


def stream_raw(conn: Connection, table_ref: str, columns: Sequence[Column]) -> Iterator[bytes]:
    """The table's rows as the server prints them (:func:`raw_copy_format`), in blocks of whole
    rows (about 8 MB), read in a thread so the caller writes one block while the next arrives.

    For a table with nothing to mask going to a target of the same kind: no value is parsed or
    re-printed in Python, the copy costs what ``pg_dump | psql`` costs. In the text format a
    row is one line (newlines inside values are escaped), so a block's rows are its ``\\n``s."""
    if raw_copy_format(conn) is None:
        raise LoadError(f"{table_ref}: this source cannot hand out its rows as raw COPY text")
    sql = f"COPY (SELECT {_select_list(conn, columns)} FROM {table_ref}) TO STDOUT"
    raw = conn.connection.driver_connection

    import psycopg

    def produce(emit: Any) -> None:
        try:
            copy_out(raw, sql, emit, release_gil=True, first_batch_bytes=FIRST_BATCH_BYTES)
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError(sql, None, exc) from None

    yield from _threaded(produce, lambda block: block)


def _select_list(conn: Connection, columns: Sequence[Column]) -> str:
    return ", ".join(conn.dialect.identifier_preparer.quote(c.name) for c in columns)


def parse_text(text: pl.Series, column: Column, label: str) -> pl.Series:
    """Server text of one column as its chunk-contract series; unreadable text is an error."""
    logical = column.logical_type
    if logical == "integer":
        out = text.cast(pl.Int64, strict=False)
    elif logical == "float":
        out = text.cast(pl.Float64, strict=False)
    elif logical == "boolean":
        out = text.cast(pl.Int64, strict=False).cast(pl.Boolean)
    elif logical == "date":
        out = text.str.to_date("%Y-%m-%d", strict=False)
    elif logical == "datetime":
        out = text.str.slice(0, 26).str.to_datetime(DATETIME_FORMAT, time_unit="us", strict=False)
    elif logical == "time":
        out = text.str.to_time("%H:%M:%S%.f", strict=False)
    elif logical == "binary":
        out = text.str.decode("hex", strict=False)
    else:
        return text.rename(column.name)
    if out.null_count() != text.null_count():
        bad = text.filter(out.is_null() & text.is_not_null()).head(1).to_list()
        raise LoadError(
            f"{label}.{column.name}: the source holds a value paritygen cannot copy as"
            f" {logical} ({'a value like ' + repr(bad[0][:20]) if bad else 'unreadable'});"
            " set the column's rule to mode: null or constant, or skip the table"
        )
    return out.rename(column.name)


def _frame(
    texts: Sequence[pl.Series], columns: Sequence[Column], label: str, as_text: bool = False
) -> pl.DataFrame:
    return pl.DataFrame(
        [
            t.rename(c.name) if as_text and c.logical_type != "binary" else parse_text(t, c, label)
            for t, c in zip(texts, columns, strict=True)
        ]
    )


def _postgres(
    conn: Connection, table_ref: str, columns: Sequence[Column], label: str, as_text: bool
) -> Iterator[pl.DataFrame]:
    prep = conn.dialect.identifier_preparer
    exprs = []
    for c in columns:
        quoted = prep.quote(c.name)
        if as_text:  # the server's own text: what COPY FROM reads back (zones as +00: UTC)
            exprs.append(quoted)
        elif c.logical_type == "datetime" and c.timezone:
            exprs.append(f"({quoted} AT TIME ZONE 'UTC')")
        else:
            exprs.append(POSTGRES_EXPRESSIONS.get(c.logical_type, "{col}").format(col=quoted))
    sql = f"COPY (SELECT {', '.join(exprs)} FROM {table_ref}) TO STDOUT (FORMAT csv)"
    raw = conn.connection.driver_connection
    names = [f"c{i}" for i in range(len(columns))]
    schema = {n: pl.String for n in names}

    def parse(buffer: bytes) -> pl.DataFrame:
        # CSV: NULL is an unquoted empty field, the empty string a quoted one (polars agrees).
        frame = pl.read_csv(buffer, has_header=False, schema=schema, quote_char='"')
        if as_text:
            return frame.rename(dict(zip(names, [c.name for c in columns], strict=True)))
        return _frame([frame.get_column(n) for n in names], columns, label)

    import psycopg

    def produce(emit: Any) -> None:
        try:
            copy_out(raw, sql, emit, release_gil=True, first_batch_bytes=FIRST_BATCH_BYTES)
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError(sql, None, exc) from None

    yield from _threaded(produce, parse)


def _threaded(produce: Any, parse: Any) -> Iterator[Any]:
    """Run the blocking reader *produce(emit)* in a thread; parse and yield its batches here.

    A bounded queue keeps memory flat: the reader blocks while :data:`QUEUE_BATCHES` batches
    wait. If the consumer stops early, the reader is drained to the end of its result (the
    connection must be left clean) and joined.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()
    end = object()

    def emit(buffer: bytes) -> None:
        while not stop.is_set():
            try:
                slots.put(buffer, timeout=0.1)
                return
            except queue.Full:
                continue

    def run() -> None:
        try:
            produce(emit)
            emit(end)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            emit(exc)  # type: ignore[arg-type]

    thread = threading.Thread(target=run, name="paritygen-source", daemon=True)
    thread.start()
    try:
        while True:
            got = slots.get()
            if got is end:
                return
            if isinstance(got, BaseException):
                raise got
            yield parse(got)
    finally:
        stop.set()
        thread.join()


def _mysql(
    conn: Connection, table_ref: str, columns: Sequence[Column], label: str, as_text: bool
) -> Iterator[pl.DataFrame]:
    prep = conn.dialect.identifier_preparer
    exprs = []
    for c in columns:
        expr = _mysql_expression(c, MYSQL_EXPRESSIONS, prep.quote(c.name))
        exprs.append(f"IFNULL({expr}, _utf8mb4 x'1e')" if c.nullable else expr)
    sql = f"SELECT CAST(CONCAT_WS(_utf8mb4 x'1f', {', '.join(exprs)}) AS BINARY) FROM {table_ref}"
    names = [f"f{i}" for i in range(len(columns))]
    batches = _mysql_fetch(conn, sql)
    try:
        for batch in batches:
            frame = None
            if all(row is not None for row in batch):
                frame = _parse_packed(b"\x1d".join(bytes(r) for r in batch), len(batch), names)
            if frame is None:  # a value holds 0x1D: split row by row
                frame = _split_rows(batch, names, label)
            yield _frame([frame.get_column(n) for n in names], columns, label, as_text)
    finally:
        batches.close()  # type: ignore[attr-defined]


def _split_rows(batch: list[Any], names: list[str], label: str) -> pl.DataFrame:
    """Packed rows split one by one; a value holding the field separator 0x1F cannot be told
    from two fields and is refused in one line instead of being misread."""
    fields: list[list[str | None]] = [[] for _ in names]
    for row in batch:
        parts = bytes(row).decode("utf-8", errors="replace").split(MYSQL_FIELD_SEPARATOR)
        if len(parts) != len(names):
            raise LoadError(
                f"table {label}: a text value holds the control character 0x1F, which the"
                " MariaDB read path cannot split; set that column's rule to mode: null"
            )
        for i, part in enumerate(parts):
            fields[i].append(None if part == MYSQL_NULL_MARK else part)
    return pl.DataFrame(
        {n: pl.Series(f, dtype=pl.String) for n, f in zip(names, fields, strict=False)}
    )


def _typed_cursor(
    conn: Connection, sql: str, columns: Sequence[Column], label: str
) -> Iterator[pl.DataFrame]:
    result = conn.execution_options(
        stream_results=True, max_row_buffer=FETCH_CHUNK
    ).exec_driver_sql(sql)
    try:
        for part in result.partitions(FETCH_CHUNK):
            yield pl.DataFrame(
                [
                    convert_python(list(values), column, label)
                    for values, column in zip(zip(*part, strict=True), columns, strict=True)
                ]
            )
    finally:
        result.close()


def convert_python(values: list[Any], column: Column, label: str) -> pl.Series:
    """Driver values of one column as its chunk-contract series (text parsed strictly)."""
    dtype = COPY_TYPES[column.logical_type]
    if all(v is None or isinstance(v, str) for v in values) and dtype != pl.String:
        return parse_text(pl.Series(values, dtype=pl.String), column, label)
    if dtype == pl.String:
        return pl.Series(
            column.name,
            [None if v is None else v if isinstance(v, str) else _text(v) for v in values],
            dtype=pl.String,
        )
    if dtype == pl.Binary:
        return pl.Series(
            column.name,
            [None if v is None else v.encode() if isinstance(v, str) else bytes(v) for v in values],
            dtype=pl.Binary,
        )
    try:
        return pl.Series(column.name, values, dtype=dtype, strict=False)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        return parse_text(pl.Series([None if v is None else str(v) for v in values]), column, label)


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)
