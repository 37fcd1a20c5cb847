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


class TargetInspector:
    """The few inspector calls the writers make, with names as the database holds them."""

    def __init__(self, bind: Engine | Connection) -> None:
        self._inspector = sa.inspect(bind)
        self._name = capabilities(bind.dialect.name).reflected_name

    def get_table_names(self, schema: str | None = None) -> list[str]:
        return self._inspector.get_table_names(schema=schema)

    def has_table(self, table: str, schema: str | None = None) -> bool:
        return self._inspector.has_table(table, schema=schema)

    def get_columns(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        return self._clean(self._inspector.get_columns(table, schema=schema))

    def get_pk_constraint(self, table: str, schema: str | None = None) -> dict[str, Any]:
        return self._clean([self._inspector.get_pk_constraint(table, schema=schema)])[0]

    def get_unique_constraints(self, table: str, schema: str | None = None) -> list[dict]:
        return self._clean(self._inspector.get_unique_constraints(table, schema=schema))

    def get_indexes(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        return self._clean(self._inspector.get_indexes(table, schema=schema))

    def get_foreign_keys(self, table: str, schema: str | None = None) -> list[dict[str, Any]]:
        return self._clean(self._inspector.get_foreign_keys(table, schema=schema))

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
