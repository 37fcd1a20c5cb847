"""SQLite's bulk path: the stdlib driver's ``executemany`` in one large transaction per chunk.

SQLite has no bulk loader; what makes inserts fast is few transactions, prepared statements and
not syncing to disk on every commit. Values are converted in polars (vectorised) into exactly the
text SQLAlchemy's SQLite types store (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS.ffffff``,
``HH:MM:SS.ffffff``, booleans as 0/1), so the fast path and the generic writer leave the same
table contents.

Per-connection PRAGMAs for the load (https://www.sqlite.org/pragma.html), restored afterwards:
- ``synchronous = OFF``: no fsync per commit; an application crash cannot corrupt the file, only
  an OS crash or power loss could, and a staging load is rerun from scratch then anyway;
- ``cache_size = -262144`` (256 MB) and ``temp_store = MEMORY``: fewer page reads;
- ``foreign_keys = OFF``: the generator guarantees FK targets and the nullable edge of a cycle is
  filled by ``update`` afterwards, which a per-row check would reject while it is pending;
- ``ignore_check_constraints = ON``: a source CHECK the generator cannot read (a function, a
  pattern) must not fail the load; the CHECK stays in the schema for the rows written later.
``journal_mode`` stays at its default (DELETE): pages new to an empty table are not journalled, so
WAL or MEMORY would save little and change the file's mode for the user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from paritygen.errors import LoadError
from paritygen.registry import writers
from paritygen.writers.base import SqlAlchemyWriter, column_list, pipelined, update_table
from paritygen.writers.capabilities import Capabilities
from paritygen.writers.sqltypes import TypeContext, TypeMapper

_PRAGMAS = {
    "synchronous": "OFF",
    "cache_size": "-262144",
    "temp_store": "MEMORY",
    "foreign_keys": "OFF",
    "ignore_check_constraints": "ON",
}


def sqlite_rows(table: sa.Table, chunk: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The chunk as tuples of values in the text forms SQLAlchemy's SQLite types store."""
    exprs: list[pl.Expr] = []
    for name, dtype in chunk.schema.items():
        if name not in table.c:
            raise LoadError(f"chunk column {name!r} is not a column of table {table.name}")
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            col = col.dt.to_string("%Y-%m-%d %H:%M:%S%.6f")
        elif dtype == pl.Date:
            col = col.dt.to_string("%Y-%m-%d")
        elif dtype == pl.Time:
            col = col.dt.to_string("%H:%M:%S%.6f")
        elif dtype == pl.Boolean:
            col = col.cast(pl.Int8)
        exprs.append(col.alias(name))
    return chunk.select(exprs).rows()


class SQLiteTypes(TypeMapper):
    """One INTEGER affinity for every width (https://www.sqlite.org/datatype3.html): an
    ``INTEGER PRIMARY KEY`` then aliases the rowid."""

    def integer(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.Integer()


CAPABILITIES = Capabilities(
    family="sqlite",
    display_name="SQLite",
    dialect=sqlite.dialect,
    types=SQLiteTypes(),
    bulk_path="sqlite3 executemany",
    # SQLite has no identifier limit; keep names portable to the strictest server we write.
    max_identifier_length=63,
    # SQLite cannot add a PK, unique constraint or FK to an existing table
    # (https://www.sqlite.org/lang_altertable.html), so those are always created with it; only
    # non-unique indexes are built after the load.
    constraints_after_load=True,
    deferred=frozenset({"index"}),
    alter_add_constraint=False,
    checks_fks_during_load=False,  # _PRAGMAS: foreign_keys = OFF
    # The JSON type is plain TEXT here; json_valid() keeps it JSON (https://www.sqlite.org/
    # json1.html#jvalid). IS NULL first: json_valid(NULL) was 0 before 3.45.
    json_check="{column} IS NULL OR json_valid({column})",
    # https://www.sqlite.org/expridx.html, https://www.sqlite.org/partialindex.html
    expression_indexes=True,
    partial_index_option="sqlite_where",
    analyze_sql="ANALYZE {table}",  # https://www.sqlite.org/lang_analyze.html
    truncate_sql="DELETE FROM {tables}",  # https://www.sqlite.org/lang_delete.html
)


@writers.register("sqlite")
class SQLiteWriter(SqlAlchemyWriter):
    """executemany of prepared INSERTs, one transaction per chunk, PRAGMAs tuned for the load."""

    caps: ClassVar[Capabilities] = CAPABILITIES

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        try:
            conn.commit()  # PRAGMA foreign_keys is a no-op inside a transaction
            before = {k: conn.execute(f"PRAGMA {k}").fetchone()[0] for k in _PRAGMAS}
            for key, value in _PRAGMAS.items():
                conn.execute(f"PRAGMA {key} = {value}")
            try:
                yield conn
            finally:
                conn.rollback()
                for key, value in before.items():
                    conn.execute(f"PRAGMA {key} = {value}")
        finally:
            raw.close()

    def _encode(self, table: sa.Table, chunk: pl.DataFrame) -> tuple[str, list[tuple[Any, ...]]]:
        target = self.engine.dialect.identifier_preparer.format_table(table)
        marks = ", ".join("?" * chunk.width)
        names = column_list(self.engine, [table.c[n].name for n in chunk.columns])
        sql = f"INSERT INTO {target} ({names}) VALUES ({marks})"
        return sql, sqlite_rows(table, chunk)

    def _write(self, session: Any, table: sa.Table, payload: tuple[str, list[Any]]) -> None:
        sql, rows = payload
        try:
            session.executemany(sql, rows)
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
        """Insert the (key, value) pairs into a keyed temporary table, then one
        ``UPDATE ... FROM`` (SQLite >= 3.33)."""
        q = self.engine.dialect.identifier_preparer
        temp = update_table(table, keys + values)
        tmp = q.quote(temp.name)
        target = q.format_table(table)
        rows = 0
        try:
            session.execute(
                f"CREATE TEMP TABLE {tmp} ({column_list(self.engine, keys + values)}, "
                f"PRIMARY KEY ({column_list(self.engine, keys)}))"
            )
            for count, payload in pipelined(chunks, lambda c: (c.height, self._encode(temp, c))):
                session.executemany(*payload)
                rows += count
            sets = ", ".join(f"{q.quote(v)} = s.{q.quote(v)}" for v in values)
            match = " AND ".join(f"{target}.{q.quote(k)} = s.{q.quote(k)}" for k in keys)
            session.execute(f"UPDATE {target} SET {sets} FROM {tmp} AS s WHERE {match}")
            session.execute(f"DROP TABLE {tmp}")
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return rows
