"""The writer protocol, the pipelined load loop and the generic SQLAlchemy writer.

A writer moves chunks (polars DataFrames following the chunk contract of
:mod:`paritygen.generate.base`) into one table. Its database's capabilities are one frozen
:class:`~paritygen.writers.capabilities.Capabilities` on the class (``caps``), as dlt does for its
destinations, so callers read ``writer.constraints_after_load`` instead of asking which database
they talk to. :func:`open_writer` picks the class registered in :data:`paritygen.registry.writers`
whose ``caps`` name the engine's dialect and falls back to the generic writer, which works on any
database SQLAlchemy reaches (``executemany`` of ``table.insert()``, one transaction per chunk).

Generation overlaps with loading: :func:`pipelined` consumes the chunk iterator (and encodes each
chunk) in a producer thread that feeds a bounded queue, while the calling thread writes. numpy,
polars and socket I/O release the GIL, so one core generates while the server ingests. At most
``depth + 2`` chunks are alive at once, so memory stays flat whatever the row count.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from paritygen.db import describe_db_error
from paritygen.errors import LoadError, ParitygenError
from paritygen.registry import writers
from paritygen.writers.capabilities import GENERIC, Capabilities, capabilities

QUEUE_DEPTH = 2
"""Encoded chunks waiting for the database: two keep the server busy while bounding memory."""

log = logging.getLogger("paritygen")

_P = TypeVar("_P")
_END = object()


@runtime_checkable
class Writer(Protocol):
    """What the generate and mask stages need from a writer."""

    caps: ClassVar[Capabilities]
    """What the database can do and how it is spoken to (:mod:`paritygen.writers.capabilities`)."""

    @property
    def constraints_after_load(self) -> bool: ...

    @property
    def checks_fks_during_load(self) -> bool: ...

    def load(self, table: sa.Table, chunks: Iterable[pl.DataFrame]) -> int:
        """Append every chunk to *table*; return the rows written."""
        ...

    def update(
        self,
        table: sa.Table,
        key_columns: Sequence[str],
        value_columns: Sequence[str],
        chunks: Iterable[pl.DataFrame],
    ) -> int:
        """Set *value_columns* of the rows matched by *key_columns*; return the rows sent."""
        ...


class _Failure:
    """An exception raised in the producer thread, carried to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def pipelined(
    items: Iterable[Any],
    encode: Callable[[Any], _P],
    depth: int = QUEUE_DEPTH,
    discard: Callable[[_P], None] | None = None,
) -> Iterator[_P]:
    """Yield ``encode(item)`` for each item, computed ahead in a producer thread.

    At most *depth* encoded items wait in the queue (plus one being encoded and one being
    written). An exception on the producer side is re-raised here, in the consumer; when the
    consumer stops early (an error while writing, or ``close()``), the producer stops at its next
    item and the thread is joined before this generator finishes, so no work runs on after a
    failure. Payloads made but never consumed go to *discard* (e.g. to delete a temporary file).
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                payload = encode(item)
                del item  # the chunk is encoded: not alive while the next one is made
                if not put(payload):
                    if discard is not None:
                        discard(payload)
                    return
                del payload  # the queue and the writer hold it, and free it once written
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            put(_Failure(exc))

    thread = threading.Thread(target=produce, name="paritygen-producer", daemon=True)
    thread.start()
    try:
        while True:
            got = slots.get()
            if got is _END:
                return
            if isinstance(got, _Failure):
                raise got.exc
            yield got
    finally:
        stop.set()
        thread.join()
        while discard is not None and not slots.empty():
            left = slots.get_nowait()
            if left is not _END and not isinstance(left, _Failure):
                discard(left)


def naive_utc(chunk: pl.DataFrame) -> pl.DataFrame:
    """Zone-aware datetime columns as naive UTC, the chunk contract's form (``Datetime("us")``),
    so every encoder prints the same instant whatever zone a generator attached."""
    aware = [
        name
        for name, dtype in chunk.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    if not aware:
        return chunk
    return chunk.with_columns(
        pl.col(n).dt.convert_time_zone("UTC").dt.replace_time_zone(None) for n in aware
    )


def quote_name(engine: Engine, name: str) -> str:
    """*name* quoted for the engine's dialect when it needs it."""
    return engine.dialect.identifier_preparer.quote(name)


def column_list(engine: Engine, names: Sequence[str]) -> str:
    """``a, "B", c`` for a column list in hand-written SQL."""
    return ", ".join(quote_name(engine, n) for n in names)


def update_table(table: sa.Table, columns: Sequence[str]) -> sa.Table:
    """A fresh, uniquely named table of *table*'s *columns* with their types: the staging
    table each writer's ``update`` fills with (key, value) pairs before one joined UPDATE."""
    return sa.Table(
        f"paritygen_update_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(c, table.c[c].type) for c in columns),
    )


def load_failure(table: sa.Table, rows_done: int, exc: BaseException) -> LoadError:
    """One line saying what failed and what state the target is left in."""
    reason = describe_db_error(exc)
    if not isinstance(exc, DBAPIError):
        reason = f"{exc.__class__.__name__}: {reason}"
    return LoadError(
        f"loading table {table.name} failed after {rows_done} committed rows: {reason} "
        "(rerun with --if-exists truncate to start the table again)"
    )


class SqlAlchemyWriter:
    """The generic writer: ``executemany`` of ``table.insert()``, one transaction per chunk.

    Fast writers subclass it and override the three hooks ``_session`` (a connection set up for
    bulk work), ``_encode`` (chunk -> payload, run in the producer thread) and ``_write`` (payload
    -> database, run in the calling thread, committing the chunk).
    """

    caps: ClassVar[Capabilities] = GENERIC
    """Each database module hangs its own :class:`Capabilities` here; an unknown database gets
    the generic ones (constraints in place, which is safe everywhere)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def constraints_after_load(self) -> bool:
        """True when creating PK / unique / indexes / FKs after the load is faster than before;
        see :func:`paritygen.writers.schema.create_tables`."""
        return self.caps.constraints_after_load

    @property
    def checks_fks_during_load(self) -> bool:
        """False when the load session turns FK checks off: tables then load in any order, so a
        cycle of NOT NULL FKs needs no special care even into existing tables."""
        return self.caps.checks_fks_during_load

    @property
    def concurrent_sessions(self) -> bool:
        """True when several sessions may load tables (and build keys) at once (``--jobs``)."""
        return self.caps.concurrent_sessions

    # -- public API ---------------------------------------------------------------------------
    def load(self, table: sa.Table, chunks: Iterable[pl.DataFrame]) -> int:
        """Append every chunk to *table* through the writer's bulk path; return rows written."""
        rows = 0
        try:
            with self._session() as session:
                encoded = pipelined(
                    chunks, lambda c: self._encode_counted(table, c), discard=self._discard_counted
                )
                for count, payload in encoded:
                    self._write(session, table, payload)
                    rows += count
                    del payload  # written: freed before waiting for the next one
        except ParitygenError:
            raise
        except Exception as exc:  # driver errors (psycopg, PyMySQL, sqlite3), I/O, encoding
            raise load_failure(table, rows, exc) from exc
        log.info("%s: %d rows through %s", table.name, rows, self.caps.bulk_path)
        return rows

    def update(
        self,
        table: sa.Table,
        key_columns: Sequence[str],
        value_columns: Sequence[str],
        chunks: Iterable[pl.DataFrame],
    ) -> int:
        """Set *value_columns* of existing rows matched on *key_columns* (fills the nullable edge
        of an FK cycle after both tables are loaded). Returns the rows sent."""
        keys, values = list(key_columns), list(value_columns)
        if not keys or not values:
            raise LoadError(f"update of {table.name} needs key and value columns")
        wanted = keys + values
        rows = 0
        try:
            with self._session() as session:
                selected = (naive_utc(c.select(wanted)) for c in chunks)  # runs in the producer
                rows = self._update(session, table, keys, values, selected)
        except ParitygenError:
            raise
        except Exception as exc:  # driver errors (psycopg, PyMySQL, sqlite3), I/O, encoding
            raise load_failure(table, rows, exc) from exc
        return rows

    # -- hooks ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        with self.engine.connect() as conn:
            yield conn

    def _encode_counted(self, table: sa.Table, chunk: pl.DataFrame) -> tuple[int, Any]:
        return chunk.height, self._encode(table, naive_utc(chunk))

    def _discard_counted(self, counted: tuple[int, Any]) -> None:
        self._discard(counted[1])

    def _discard(self, payload: Any) -> None:
        """Release a payload that will never be written (the load failed first)."""

    def _encode(self, table: sa.Table, chunk: pl.DataFrame) -> Any:
        return python_rows(table, chunk)

    def _write(self, session: Any, table: sa.Table, payload: Any) -> None:
        if payload:
            session.execute(insert_statement(table, payload[0]), payload)
        session.commit()

    def _update(
        self,
        session: Any,
        table: sa.Table,
        keys: list[str],
        values: list[str],
        chunks: Iterable[pl.DataFrame],
    ) -> int:
        """Generic: ``executemany`` of one UPDATE per row, a transaction per chunk."""
        stmt = (
            sa.update(table)
            .where(sa.and_(*(table.c[k] == sa.bindparam(f"k_{i}") for i, k in enumerate(keys))))
            .values({v: sa.bindparam(f"v_{i}") for i, v in enumerate(values)})
        )
        rename = {k: f"k_{i}" for i, k in enumerate(keys)} | {
            v: f"v_{i}" for i, v in enumerate(values)
        }
        rows = 0
        for count, payload in pipelined(chunks, lambda c: (c.height, python_rows(table, c))):
            if payload:
                session.execute(stmt, [{rename[k]: v for k, v in r.items()} for r in payload])
            session.commit()
            rows += count
        return rows


def python_rows(table: sa.Table, chunk: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python values for SQLAlchemy.

    JSON columns arrive as JSON text and are parsed, because SQLAlchemy's JSON type serialises
    the Python value itself; the JSON text ``null`` becomes ``JSON.NULL`` so that it stays a JSON
    null while a polars null stays SQL NULL (see :func:`insert_statement`).
    """
    for name in chunk.columns:
        if name not in table.c:
            raise LoadError(f"chunk column {name!r} is not a column of table {table.name}")
    json_cols = [c for c in chunk.columns if isinstance(table.c[c].type, sa.types.JSON)]
    # Zone-aware columns get aware UTC datetimes, so the driver never applies the session zone.
    aware = [
        c
        for c, dtype in chunk.schema.items()
        if isinstance(dtype, pl.Datetime) and getattr(table.c[c].type, "timezone", False)
    ]
    if aware:
        chunk = chunk.with_columns(pl.col(c).dt.replace_time_zone("UTC") for c in aware)
    rows = chunk.to_dicts()
    for name in json_cols:
        for row in rows:
            text = row[name]
            if text is not None:
                value = json.loads(text)
                row[name] = sa.JSON.NULL if value is None else value
    return rows


def insert_statement(table: sa.Table, sample: dict[str, Any]) -> sa.Insert:
    """``table.insert()`` whose JSON columns map Python None to SQL NULL (SQLAlchemy's JSON
    default would store the JSON text ``null`` for a missing value). The insert goes through a
    shadow copy of the table with those column types changed; same name, same SQL."""
    if not any(isinstance(c.type, sa.types.JSON) for c in table.columns):
        return table.insert()
    shadow = sa.Table(
        table.name,
        sa.MetaData(),
        *(
            sa.Column(
                c.name,
                _json_none_as_null(c.type) if isinstance(c.type, sa.types.JSON) else c.type,
                key=c.key,
            )
            for c in table.columns
        ),
        schema=table.schema,
    )
    return shadow.insert()


def _json_none_as_null(type_: sa.types.JSON) -> sa.types.JSON:
    copy = type_.copy()
    copy.none_as_null = True
    return copy


writers.register("generic")(SqlAlchemyWriter)


def open_writer(engine: Engine) -> Writer:
    """The writer registered for the engine's dialect (``postgresql``, ``mysql``, ``sqlite``,
    or a third party's), else the generic SQLAlchemy writer."""
    from paritygen.writers import load_builtin

    name = engine.dialect.name.lower()
    load_builtin(name)
    for registered in writers:
        cls = writers.get(registered)
        if name == registered or name in getattr(cls, "caps", GENERIC).names():
            return cls(engine)
    return SqlAlchemyWriter(engine)


def relax_commits(engine: Engine) -> str | None:
    """Start every new connection of *engine* with its database's ``relaxed_commit_sql``, if
    it has one (see :class:`~paritygen.writers.capabilities.Capabilities`): PostgreSQL's flush
    per commit took 1.4-2.9 s of a 240-table run's state writes alone here. The connection
    already pooled is let go so none keeps the server's setting. Returns the statement that
    makes one transaction's commit durable again (the run's last), None when nothing was
    relaxed."""
    caps = capabilities(engine.dialect.name)
    statement = caps.relaxed_commit_sql
    if statement is None:
        return None

    def relax(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        dbapi_connection.commit()  # a rollback on the pool's return would undo the SET

    sa.event.listen(engine, "connect", relax)
    engine.pool.dispose()
    return caps.durable_commit_sql
