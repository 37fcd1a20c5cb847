"""The target's catalog as the writers read it: SQLAlchemy's inspector, names as stored.

Some dialects' reflection leaves a name in its quoted spelling (a doubled backtick in
`` `x``y` `` survives one dialect's ``SHOW CREATE TABLE`` parser). Comparing such a name with the
metadata's would make a present key look missing (and be added twice) or a present column look
absent. Every catalog read of ``finish``, ``held`` and ``schema_diff`` goes through
:class:`TargetInspector`, which applies the target's ``Capabilities.reflected_name``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from paritygen.writers.capabilities import capabilities

_NAME_KEYS = ("name", "referred_table")
_NAME_LIST_KEYS = ("constrained_columns", "referred_columns", "column_names")


Snapshot = dict[tuple[str, str | None, str], Any]
"""(kind, schema, table) -> what the inspector returned: keys read for many tables at once."""

_MULTI = {
    "pk": "get_multi_pk_constraint",
    "unique": "get_multi_unique_constraints",
    "indexes": "get_multi_indexes",
    "fks": "get_multi_foreign_keys",
}


class TargetInspector:
    """The few inspector calls the writers make, with names as the database holds them.

    *snapshot* (from :meth:`snapshot`) answers the key, index and FK questions of the tables it
    holds without a round trip: asked table by table, finishing 240 tables cost about a
    thousand catalog queries (about 10 s); read for all at once, four."""

    def __init__(self, bind: Engine | Connection, snapshot: Snapshot | None = None) -> None:
        self._inspector = sa.inspect(bind)
        self._name = capabilities(bind.dialect.name).reflected_name
        self._snapshot = snapshot or {}

    def snapshot(self, tables: list[sa.Table]) -> Snapshot:
        """PKs, unique constraints, indexes and FKs of *tables* as they are now, one query per
        kind and schema (tables missing in the target are left out: asking about them later
        raises as before)."""
        found: Snapshot = {}
        schemas: dict[str | None, list[str]] = {}
        for table in tables:
            schemas.setdefault(table.schema, []).append(table.name)
        for schema, names in schemas.items():
            present = set(self._inspector.get_table_names(schema=schema))
            names = [n for n in names if n in present]
            if not names:
                continue
            for kind, method in _MULTI.items():
                answers = getattr(self._inspector, method)(schema=schema, filter_names=names)
                for (_schema, table), value in answers.items():
                    found[(kind, schema, table)] = value
        return found

    def _cached(self, kind: str, table: str, schema: str | None) -> Any:
        return self._snapshot.get((kind, schema, table))

    def get_table_names(self, schema: str | None = None) -> list[str]:
        return self._inspector.get_table_names(schema=schema)

    def has_table(self, table: str, schema: str | None = None) -> bool:
        return self._inspector.has_table(table, schema=schema)

    def get_columns(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        return self._clean(self._inspector.get_columns(table, schema=schema))

    def get_pk_constraint(self, table: str, schema: str | None = None) -> dict[str, Any]:
        cached = self._cached("pk", table, schema)
        if cached is None:
            cached = self._inspector.get_pk_constraint(table, schema=schema)
        return self._clean([cached])[0]

    def get_unique_constraints(self, table: str, schema: str | None = None) -> list[dict]:
        cached = self._cached("unique", table, schema)
        if cached is None:
            cached = self._inspector.get_unique_constraints(table, schema=schema)
        return self._clean(cached)

    def get_indexes(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        cached = self._cached("indexes", table, schema)
        if cached is None:
            cached = self._inspector.get_indexes(table, schema=schema)
        return self._clean(cached)

    def get_foreign_keys(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        cached = self._cached("fks", table, schema)
        if cached is None:
            cached = self._inspector.get_foreign_keys(table, schema=schema)
        return self._clean(cached)

    def get_check_constraints(self, table: str, schema: str | None = None) -> list[dict]:
        return self._clean(self._inspector.get_check_constraints(table, schema=schema))

    def _clean(self, entries: list[Any]) -> list[Any]:
        out = []
        for entry in entries:
            entry = dict(entry)
            for key in _NAME_KEYS:
                if isinstance(entry.get(key), str):
                    entry[key] = self._name(entry[key])
            for key in _NAME_LIST_KEYS:
                if entry.get(key):
                    entry[key] = [self._name(n) if isinstance(n, str) else n for n in entry[key]]
            out.append(entry)
        return out
