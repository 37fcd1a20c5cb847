"""PostgreSQL's bulk path: ``COPY ... FROM STDIN`` through psycopg 3, binary where it can be.

Binary COPY (:mod:`paritygen.writers.pg_binary`) for every chunk whose columns all have a
binary form (integers, floats, scaled numerics, booleans, dates, timestamps, times, text types,
json/jsonb, enums, bytea, uuid): the server's ``recv`` functions cost less than its text
parsers (the 200,000-row fact of the warehouse benchmark: 0.22-0.72 s against 0.77-1.12 s,
interleaved; benchmarks/RESULTS.md, "Warehouse load, round 5"). The target's column types come
from its catalog, once per table (binary data must match the column's type exactly). Any other
chunk goes as CSV, as before: a chunk is columnar; polars writes it as CSV in Rust (GIL released,
so it overlaps with the socket write of the previous chunk).

CSV encoding rules (https://www.postgresql.org/docs/current/sql-copy.html, "CSV Format"):
- NULL is an unquoted empty field, the empty string is ``""`` (polars quotes it);
- text with commas, quotes, newlines is quoted with doubled quotes; backslashes are literal in CSV;
- bytea goes as hex text ``\\x0a1b`` (https://www.postgresql.org/docs/current/datatype-binary.html);
- timestamps go as ``YYYY-MM-DD HH:MI:SS.ffffff``; zone-aware columns get an explicit ``+00``
  so the session's TimeZone never shifts them (the chunk contract holds UTC instants);
- floats are printed by polars with the shortest round-trip repr, so decimals rounded to their
  scale print exactly (``12.30`` arrives as 12.3 and is stored as 12.30);
- booleans, dates, times, uuid, json/jsonb and enum labels are plain text PostgreSQL parses.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from paritygen.errors import LoadError, ParitygenError
from paritygen.registry import writers
from paritygen.writers import pg_binary, pg_dump
from paritygen.writers.base import (
    SqlAlchemyWriter,
    column_list,
    load_failure,
    pipelined,
    update_table,
)
from paritygen.writers.capabilities import DEFERRABLE, Capabilities
from paritygen.writers.sqltypes import TypeContext, TypeMapper, cut_identifier, type_argument

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"
TIME_FORMAT = "%H:%M:%S%.6f"


def encode_csv(table: sa.Table, chunk: pl.DataFrame) -> bytes:
    """The chunk as COPY-ready CSV bytes (no header), columns in the chunk's order."""
    exprs: list[pl.Expr] = []
    for name, dtype in chunk.schema.items():
        if name not in table.c:
            raise LoadError(f"chunk column {name!r} is not a column of table {table.name}")
        col = pl.col(name)
        if dtype == pl.Binary:
            col = pl.concat_str(pl.lit("\\x"), col.bin.encode("hex"))
        elif isinstance(dtype, pl.Datetime) and getattr(table.c[name].type, "timezone", False):
            col = col.dt.to_string(DATETIME_FORMAT + "+00")
        exprs.append(col.alias(name))
    buffer = io.BytesIO()
    chunk.select(exprs).write_csv(
        buffer,
        include_header=False,
        # A lone unquoted \. line ends COPY data: only a one-column row can be exactly that.
        quote_style="non_numeric" if chunk.width == 1 else "necessary",
        null_value="",
        datetime_format=DATETIME_FORMAT,
        date_format="%Y-%m-%d",
        time_format=TIME_FORMAT,
    )
    return buffer.getvalue()


class PostgresTypes(TypeMapper):
    """PostgreSQL's own types where the generic mapping would lose something."""

    native_words: ClassVar[frozenset[str]] = frozenset({"citext"})
    # https://www.postgresql.org/docs/current/citext.html, .../hstore.html
    extensions: ClassVar[dict[str, str]] = {"citext": "citext", "hstore": "hstore"}

    def uuid(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return postgresql.UUID(as_uuid=False)

    def json(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """``jsonb`` unless the source said ``json`` (which keeps key order and duplicates)."""
        return postgresql.JSONB() if ctx.word == "jsonb" or not ctx.same else postgresql.JSON()

    def enum(self, ctx: TypeContext) -> sa.types.TypeEngine:
        """A named ``CREATE TYPE .. AS ENUM``, shared by the columns that share the name
        (https://www.postgresql.org/docs/current/datatype-enum.html)."""
        labels = tuple(ctx.column.enum_values or ())
        name = ctx.enum_name
        known = ctx.enum_types.get(name)
        if known is not None and tuple(known.enums) == labels:
            return known
        if known is not None:  # same name, other labels: a distinct, deterministic type name
            digest = zlib.crc32("|".join(labels).encode())
            name = cut_identifier(f"{name}_{digest:08x}", ctx.target.max_identifier_length)
        made = postgresql.ENUM(*labels, name=name)
        ctx.enum_types[name] = made
        return made

    def timestamp(self, ctx: TypeContext) -> sa.types.TypeEngine:
        precision = type_argument(ctx.column.sql_type, 6) if ctx.same else 6
        return postgresql.TIMESTAMP(timezone=ctx.column.timezone, precision=precision)

    def time_of_day(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return postgresql.TIME(timezone=ctx.column.timezone)

    def btree_indexable(self, type_: sa.types.TypeEngine) -> bool:
        """False for ``json`` (no equality, so no B-tree operator class:
        https://www.postgresql.org/docs/current/datatype-json.html#JSON-INDEXING); the source's
        index on such a column was GIN or on an expression."""
        return not (isinstance(type_, sa.JSON) and not isinstance(type_, postgresql.JSONB))


def move_sequences(conn: Connection, table: sa.Table) -> None:
    """``setval`` every identity / serial sequence of *table* past its largest key
    (https://www.postgresql.org/docs/current/functions-sequence.html)."""
    q = conn.dialect.identifier_preparer
    target = q.format_table(table)
    for col in table.columns:
        if col.identity is not None or (col.autoincrement is True and col.primary_key):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                    f"COALESCE(MAX({q.quote(col.name)}), 0) + 1, false) FROM {target}"
                ),
                {"t": target, "c": col.name},
            )


def validate_foreign_keys(conn: Connection, table: sa.Table) -> None:
    """``VALIDATE CONSTRAINT`` every FK of *table* not yet checked: it takes SHARE UPDATE
    EXCLUSIVE on the table and ROW SHARE on the parent, so FKs of different tables to one
    parent are checked side by side, where ``ADD FOREIGN KEY`` (SHARE ROW EXCLUSIVE on both)
    checks one at a time (https://www.postgresql.org/docs/current/sql-altertable.html)."""
    q = conn.dialect.identifier_preparer
    target = q.format_table(table)
    names = (
        conn.execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"
                " AND contype = 'f' AND NOT convalidated ORDER BY conname"
            ),
            {"t": target},
        )
        .scalars()
        .all()
    )
    for name in names:
        conn.exec_driver_sql(f"ALTER TABLE {target} VALIDATE CONSTRAINT {q.quote(name)}")


CAPABILITIES = Capabilities(
    family="postgresql",
    aliases=("postgres",),
    display_name="PostgreSQL",
    dialect=postgresql.dialect,
    types=PostgresTypes(),
    bulk_path="COPY FROM STDIN (FORMAT binary, else csv)",
    # https://www.postgresql.org/docs/current/limits.html (NAMEDATALEN - 1)
    max_identifier_length=63,
    # Measured: building the PK and indexes after COPY beats maintaining them row by row, and FK
    # checks run once as a join instead of one trigger call per row. CHECKs too: a source CHECK
    # the generator cannot read (a regex, a function) must not fail the load; finish_tables adds
    # it validated, else NOT VALID (kept for future rows).
    constraints_after_load=True,
    concurrent_sessions=True,
    deferred=DEFERRABLE,
    # https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
    # (DDL is transactional: one failing CREATE rolls back every one before it)
    batch_ddl=True,
    # https://www.postgresql.org/docs/current/wal-async-commit.html: an asynchronous commit
    # risks only the last transactions on a server crash, never consistency (WAL is replayed
    # in order); the run's closing state write is synchronous and flushes all before it.
    relaxed_commit_sql="SET synchronous_commit TO off",
    durable_commit_sql="SET LOCAL synchronous_commit TO on",
    identity_columns=True,
    # https://www.postgresql.org/docs/current/indexes-types.html
    index_kinds=frozenset({"gin", "gist", "brin", "hash", "spgist"}),
    index_kind_option="postgresql_using",
    # https://www.postgresql.org/docs/current/indexes-expressional.html, .../indexes-partial.html
    expression_indexes=True,
    partial_index_option="postgresql_where",
    # https://www.postgresql.org/docs/current/sql-createextension.html
    create_extension_sql="CREATE EXTENSION IF NOT EXISTS {name}",
    # https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT
    not_valid_suffix=" NOT VALID",
    # After a bulk load the planner's statistics are stale; a load test against unanalysed
    # tables would run other plans than production (https://www.postgresql.org/docs/current/
    # sql-analyze.html).
    analyze_sql="ANALYZE {table}",
    # One statement naming exactly the run's tables, no CASCADE; identities restart
    # (https://www.postgresql.org/docs/current/sql-truncate.html).
    truncate_sql="TRUNCATE {tables} RESTART IDENTITY",
    truncate_many=True,
    move_sequences=move_sequences,
    validate_foreign_keys=validate_foreign_keys,
    statistics_beside_ddl=True,  # sequences are their own objects: no ALTER TABLE
    schema_tool=pg_dump.SCHEMA_TOOL,
)


CATALOG_TYPES = (
    "SELECT a.attname, t.typname, t.typtype, a.atttypmod FROM pg_attribute a"
    " JOIN pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
)
"""Each column's type name, kind (``b`` base, ``e`` enum, ``d`` domain...) and modifier
(https://www.postgresql.org/docs/current/catalog-pg-attribute.html)."""


@writers.register("postgresql")
class PostgresWriter(SqlAlchemyWriter):
    """COPY FROM STDIN (binary, else CSV), pipelined with generation; one transaction per
    chunk."""

    caps: ClassVar[Capabilities] = CAPABILITIES
    raw_copy_format: ClassVar[str] = "text"
    """The COPY format :meth:`load_raw` reads: a PostgreSQL source's own text (``mask``)."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self._target_types: dict[str, dict[str, pg_binary.TargetType]] = {}
        """Column types of each table being loaded (by ``Table.key``), for binary COPY."""

    def load(self, table: sa.Table, chunks: Iterable[pl.DataFrame]) -> int:
        """As :meth:`SqlAlchemyWriter.load`, binary where the table's types allow."""
        self._target_types[table.key] = self._catalog_types(table)
        try:
            return super().load(table, chunks)
        finally:
            self._target_types.pop(table.key, None)

    def _catalog_types(self, table: sa.Table) -> dict[str, pg_binary.TargetType]:
        """The table's column types as the target's catalog has them (empty when it cannot
        tell: every chunk then goes as CSV)."""
        target = self.engine.dialect.identifier_preparer.format_table(table)
        try:
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql(CATALOG_TYPES, (target,)).all()
        except sa.exc.DBAPIError:
            return {}
        return {name: pg_binary.target_type(typname, typtype, typmod)
                for name, typname, typtype, typmod in found}  # fmt: skip

    def load_raw(
        self, table: sa.Table, columns: list[str], blocks: Iterable[bytes],
        progress: Callable[[int], None] | None = None,
    ) -> int:  # fmt: skip
        """COPY text of *columns* from a PostgreSQL source written as is, in one transaction
        (a crash leaves nothing of it); returns the rows the server counted. *progress* gets
        each block's rows (one line per row in the text format)."""
        target = self.engine.dialect.identifier_preparer.format_table(table)
        sql = f"COPY {target} ({column_list(self.engine, columns)}) FROM STDIN"
        rows = 0
        try:
            with self._session() as session:
                try:
                    with session.cursor() as cur:
                        cur.execute("SET LOCAL synchronous_commit = off")
                        with cur.copy(sql) as copy:
                            for block in blocks:
                                copy.write(block)
                                if progress is not None:
                                    progress(block.count(b"\n"))
                        rows = cur.rowcount
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except ParitygenError:
            raise
        except Exception as exc:  # psycopg's errors, the source's (as DBAPIError), I/O
            raise load_failure(table, 0, exc) from exc
        return rows

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        raw = self.engine.raw_connection()
        try:
            yield raw.driver_connection
        finally:
            raw.close()

    def _encode(self, table: sa.Table, chunk: pl.DataFrame) -> tuple[str, bytes | memoryview]:
        target = self.engine.dialect.identifier_preparer.format_table(table)
        types = self._target_types.get(table.key)
        if types:
            by_key = {n: types.get(table.c[n].name) for n in chunk.columns if n in table.c}
            if len(by_key) == chunk.width and pg_binary.binary_plan(by_key, chunk):
                encoded = pg_binary.encode_binary(by_key, chunk)
                if encoded is not None:
                    order, data = encoded
                    names = column_list(self.engine, [table.c[n].name for n in order])
                    return f"COPY {target} ({names}) FROM STDIN (FORMAT binary)", data
        sql = (
            f"COPY {target} ({column_list(self.engine, [table.c[n].name for n in chunk.columns])}) "
            "FROM STDIN (FORMAT csv)"
        )
        return sql, encode_csv(table, chunk)

    def _write(
        self, session: Any, table: sa.Table, payload: tuple[str, bytes | memoryview]
    ) -> None:
        sql, data = payload
        try:
            with session.cursor() as cur:
                # Only the last commits could be lost on a server crash, never consistency:
                # https://www.postgresql.org/docs/current/wal-async-commit.html
                cur.execute("SET LOCAL synchronous_commit = off")
                with cur.copy(sql) as copy:
                    copy.write(data)
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def _update(
        self,
        session: Any,
        table: sa.Table,
        keys: list[str],
        values: list[str],
        chunks: Iterable[pl.DataFrame],
    ) -> int:
        """COPY the (key, value) pairs into a temporary table, then one ``UPDATE ... FROM``."""
        q = self.engine.dialect.identifier_preparer
        temp = update_table(table, keys + values)
        target = q.format_table(table)
        rows = 0
        try:
            with session.cursor() as cur:
                cur.execute(
                    f"CREATE TEMP TABLE {q.quote(temp.name)} AS SELECT "
                    f"{column_list(self.engine, keys + values)} FROM {target} WITH NO DATA"
                )
            for count, payload in pipelined(chunks, lambda c: (c.height, self._encode(temp, c))):
                sql, data = payload
                with session.cursor() as cur, cur.copy(sql) as copy:
                    copy.write(data)
                rows += count
            sets = ", ".join(f"{q.quote(v)} = s.{q.quote(v)}" for v in values)
            match = " AND ".join(f"t.{q.quote(k)} = s.{q.quote(k)}" for k in keys)
            with session.cursor() as cur:
                cur.execute(f"ANALYZE {q.quote(temp.name)}")
                cur.execute(
                    f"UPDATE {target} AS t SET {sets} FROM {q.quote(temp.name)} AS s WHERE {match}"
                )
                cur.execute(f"DROP TABLE {q.quote(temp.name)}")
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return rows
