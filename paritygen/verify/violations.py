"""Constraint violations in the target, counted with SQL (what a profile cannot tell).

The rules come from the *production* profile, not from the target's own schema: a staging schema
that lost its unique index or its FK must still be held to production's constraints. Every query
is an aggregate that the database runs in one scan (anti-join, GROUP BY ... HAVING, SUM(CASE)),
so memory stays flat however large the target is. The SQL is built with SQLAlchemy Core, which
quotes and spells it for each dialect; nothing here branches on the dialect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from paritygen.profile.model import Profile, Table

STRING_TYPES = frozenset({"string"})
"""Logical types whose declared ``length`` is a bound a value may exceed (SQLite does not enforce
it, and neither does a MariaDB session outside strict mode)."""


@dataclass(frozen=True)
class Violation:
    """A count of rows breaking one of production's constraints in the target."""

    table: str
    column: str | None
    measure: str  # orphans | duplicates | not_null | check | length
    count: int
    detail: str


@dataclass(frozen=True)
class Skipped:
    """A constraint that could not be checked on the target, and why."""

    table: str
    column: str | None
    measure: str
    reason: str


def _scalar(engine: sa.Engine, query: sa.Select) -> int:
    """Run one aggregate in its own connection (a failed statement must not poison the others:
    PostgreSQL aborts the whole transaction on the first error)."""
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    return int(value or 0)


def count_violations(
    engine: sa.Engine, profile: Profile, tables: dict[str, sa.Table]
) -> Iterator[Violation | Skipped]:
    """Yield one :class:`Violation` per constraint checked (count 0 included) or a
    :class:`Skipped` when the target cannot evaluate it. *tables*: reflected target tables."""
    for name, table in profile.tables.items():
        target = tables.get(name)
        if target is None:
            continue
        yield from _not_null(engine, table, target)
        yield from _duplicates(engine, table, target)
        yield from _orphans(engine, table, target, tables)
        yield from _checks(engine, table, target)
        yield from _lengths(engine, table, target)


def _not_null(engine: sa.Engine, table: Table, target: sa.Table) -> Iterator[Violation | Skipped]:
    names = [
        c.name
        for c in table.columns.values()
        if (not c.nullable or c.name in table.primary_key) and c.name in target.c
    ]
    if not names:
        return
    sums = [sa.func.sum(sa.case((target.c[n].is_(None), 1), else_=0)) for n in names]
    with engine.connect() as conn:
        row = conn.execute(sa.select(*sums).select_from(target)).one()
    for name, value in zip(names, row, strict=True):
        count = int(value or 0)
        yield Violation(table.name, name, "not_null", count, f"{count} NULLs in a NOT NULL column")


def _duplicates(engine: sa.Engine, table: Table, target: sa.Table) -> Iterator[Violation]:
    keys: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key:
        keys.append(("primary key", table.primary_key))
    for uc in table.unique_constraints:
        keys.append((f"unique {uc.name or ','.join(uc.columns)}", uc.columns))
    for label, columns in keys:
        if not all(c in target.c for c in columns):
            continue
        cols = [target.c[c] for c in columns]
        groups = (
            sa.select(*cols, sa.func.count().label("n"))
            .where(*(c.is_not(None) for c in cols))
            .group_by(*cols)
            .having(sa.func.count() > 1)
            .subquery()
        )
        query = sa.select(
            sa.func.coalesce(sa.func.sum(groups.c.n - 1), 0), sa.func.count()
        ).select_from(groups)
        with engine.connect() as conn:
            extra, repeated = conn.execute(query).one()
        extra = int(extra or 0)
        yield Violation(
            table.name,
            ",".join(columns),
            "duplicates",
            extra,
            f"{label}: {int(repeated or 0)} key values repeated, {extra} surplus rows",
        )


def _orphans(
    engine: sa.Engine, table: Table, target: sa.Table, tables: dict[str, sa.Table]
) -> Iterator[Violation | Skipped]:
    for fk in table.foreign_keys:
        column = ",".join(fk.columns)
        parent_table = tables.get(fk.ref_table)
        if parent_table is None or not all(c in target.c for c in fk.columns):
            yield Skipped(table.name, column, "orphans", f"{fk.ref_table} is not in the target")
            continue
        if not all(c in parent_table.c for c in fk.ref_columns):
            yield Skipped(table.name, column, "orphans", f"{fk.ref_table} lacks the key columns")
            continue
        parent = parent_table.alias("parent")  # an alias keeps self-references apart
        child_cols = [target.c[c] for c in fk.columns]
        join = sa.and_(
            *(target.c[c] == parent.c[r] for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        )
        query = (
            sa.select(sa.func.count())
            .select_from(target.outerjoin(parent, join))
            .where(*(c.is_not(None) for c in child_cols), parent.c[fk.ref_columns[0]].is_(None))
        )
        if fk.condition is not None:  # a polymorphic FK holds on its type's rows (bound value)
            if fk.condition.column not in target.c:
                yield Skipped(table.name, column, "orphans", f"no {fk.condition.column} column")
                continue
            query = query.where(target.c[fk.condition.column] == fk.condition.equals)
        count = _scalar(engine, query)
        yield Violation(
            table.name, column, "orphans", count, f"{count} rows point to no {fk.ref_table} row"
        )


def _checks(engine: sa.Engine, table: Table, target: sa.Table) -> Iterator[Violation | Skipped]:
    for check in table.checks:
        label = check.name or check.sqltext
        # A row violates a CHECK only when the expression is false (NULL passes), which is
        # exactly what WHERE NOT (...) selects.
        query = (
            sa.select(sa.func.count()).select_from(target).where(sa.text(f"NOT ({check.sqltext})"))
        )
        try:
            count = _scalar(engine, query)
        except (DBAPIError, SQLAlchemyError):
            yield Skipped(table.name, None, "check", f"{label}: SQL text not valid on the target")
            continue
        yield Violation(
            table.name, _check_column(table, check.sqltext), "check", count, f"CHECK {label}"
        )


def _check_column(table: Table, sqltext: str) -> str | None:
    """The column a CHECK is about, when its text names exactly one (for naming the miss)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sqltext))
    named = [c for c in table.columns if c in words]
    return named[0] if len(named) == 1 else None


def _lengths(engine: sa.Engine, table: Table, target: sa.Table) -> Iterator[Violation | Skipped]:
    bounded = [
        c
        for c in table.columns.values()
        if c.logical_type in STRING_TYPES and c.length and c.name in target.c
    ]
    if not bounded:
        return
    # CHAR_LENGTH counts characters on PostgreSQL and MariaDB; SQLite only knows LENGTH, which
    # counts characters there. Try the standard spelling first, fall back on failure.
    row = None
    for length in (sa.func.char_length, sa.func.length):
        sums = [
            sa.func.sum(sa.case((length(target.c[c.name]) > c.length, 1), else_=0)) for c in bounded
        ]
        try:
            with engine.connect() as conn:
                row = conn.execute(sa.select(*sums).select_from(target)).one()
            break
        except (DBAPIError, SQLAlchemyError):
            continue
    if row is None:
        yield Skipped(table.name, None, "length", "no character-length function on the target")
        return
    for column, value in zip(bounded, row, strict=True):
        count = int(value or 0)
        yield Violation(
            table.name, column.name, "length", count, f"{count} values longer than {column.length}"
        )
