"""Relationships that hold in (nearly) every production row, found on a sample, kept as shares.

Columns measured one by one lose what ties them together: a return comes after its rental, a
payment after the rental it pays, ``updated_at >= created_at``; a payment's customer is its
rental's customer (two FK paths reaching the same ancestor: a *diamond*); an order's total is
its subtotal plus its tax. Generated independently, such pairs agree in half the rows, or in one
row in a thousand. This module finds them when profiling and measures them in staging:

- :func:`discover` reads a sample of each table (:data:`RELATION_SAMPLE_ROWS` rows; joined to
  the parent for FK relations) and keeps every candidate that holds in at least
  :data:`STRONG_SHARE` of the rows (identities: :data:`IDENTITY_SHARE`), as a
  :class:`~paritygen.profile.model.Relation` with its share: never a value;
- :func:`relation_share` measures one relation on any database, the same way, so verify compares
  staging's share with production's (one function for both sides).

Candidates: orderings between same-typed temporal or decimal/float columns of a row, and
between a temporal column of a row and one of the parent its single-column FK names; diamonds
between two single-column FKs of a row where the first one's parent has an FK to the second
one's parent; ``c = a + b`` and ``c = a * b`` over numeric columns that are not keys.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import polars as pl
import sqlalchemy as sa

from paritygen.profile.model import Relation, Table
from paritygen.profile.values import TEMPORAL, to_number

RELATION_SAMPLE_ROWS = 20_000
"""Rows read per table (and per join) to find and measure relations: shares within a point."""

STRONG_SHARE = 0.95
"""An ordering or diamond is kept when it holds in at least this share of the rows."""

IDENTITY_SHARE = 0.98
"""An arithmetic identity is kept when it holds in at least this share of the rows."""

MAX_IDENTITY_COLUMNS = 12
"""Numeric columns tried as identity members per table (the candidates grow as n^3)."""

ORDERED_KINDS = (frozenset({"date"}), frozenset({"datetime"}), frozenset({"decimal", "float"}))
"""Columns compared for orderings: only within one of these groups (a date with a date)."""

IDENTITY_KINDS = frozenset({"integer", "decimal", "float"})


def _sa_table(table: Table, schema: str | None, columns: Sequence[str]) -> sa.TableClause:
    return sa.table(table.name, *(sa.column(c) for c in dict.fromkeys(columns)), schema=schema)


def _numbers(values: Sequence[object], kind: str) -> np.ndarray:
    """Values read from a database as floats (NaN for NULL); epoch seconds / days for times."""
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if value is None:
            continue
        try:
            out[i] = to_number(value, kind)
        except (TypeError, ValueError, OverflowError):
            continue
    return out


def _sample(conn: sa.Connection, query: sa.Select) -> list[tuple]:
    return [tuple(row) for row in conn.execute(query.limit(RELATION_SAMPLE_ROWS))]


def _key_columns(table: Table) -> set[str]:
    keys = set(table.primary_key)
    for fk in table.foreign_keys:
        keys.update(fk.columns)
    return keys


def _tolerance(c: np.ndarray, table: Table, column: str) -> np.ndarray:
    """How far ``c`` may be from the formula and still equal it: half a unit of its last
    decimal place (a rounded price), or a relative 1e-9 for floats."""
    spec = table.columns[column]
    if spec.logical_type == "float":
        return 1e-9 * np.maximum(np.abs(c), 1.0)
    places = spec.scale if spec.scale is not None else 0
    if spec.logical_type == "decimal" and spec.scale is None and spec.stats is not None:
        places = spec.stats.max_scale or 0
    return np.full(c.size, 0.5 * 10.0**-places + 1e-9)


# --------------------------------------------------------------------------- shares


def order_share(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Share of the rows (both known) with ``a <= b``, and how many rows were compared."""
    known = ~(np.isnan(a) | np.isnan(b))
    n = int(known.sum())
    return (float((a[known] <= b[known]).sum()) / n if n else 0.0), n


def equal_share(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Share of the rows (both known) where the two values are equal."""
    known = ~(np.isnan(a) | np.isnan(b))
    n = int(known.sum())
    return (float((a[known] == b[known]).sum()) / n if n else 0.0), n


def identity_share(
    kind: str, c: np.ndarray, a: np.ndarray, b: np.ndarray, tolerance: np.ndarray
) -> tuple[float, int]:
    """Share of the rows (all known) with ``c = a + b`` (*kind* ``sum``) or ``c = a * b``."""
    known = ~(np.isnan(a) | np.isnan(b) | np.isnan(c))
    n = int(known.sum())
    if not n:
        return 0.0, 0
    formula = a[known] + b[known] if kind == "sum" else a[known] * b[known]
    return float((np.abs(c[known] - formula) <= tolerance[known]).sum()) / n, n


# --------------------------------------------------------------------------- one relation


def relation_share(
    conn: sa.Connection,
    schema: str | None,
    tables: Mapping[str, Table],
    name: str,
    relation: Relation,
) -> tuple[float, int] | None:
    """*relation* of table *name* measured on *conn*: (share, rows compared); None when the
    columns are not all there. The same reading for production and staging."""
    table = tables[name]
    try:
        if relation.kind in ("order", "sum", "product"):
            rows = _sample(conn, sa.select(*(sa.column(c) for c in relation.columns))
                           .select_from(_sa_table(table, schema, relation.columns)))  # fmt: skip
            kinds = [table.columns[c].logical_type for c in relation.columns]
            values = [_numbers([r[i] for r in rows], k) for i, k in enumerate(kinds)]
            if relation.kind == "order":
                return order_share(values[0], values[1])
            tolerance = _tolerance(values[0], table, relation.columns[0])
            return identity_share(relation.kind, values[0], values[1], values[2], tolerance)
        parent = tables[relation.ref_table or ""]
        fk = next(f for f in table.foreign_keys if f.columns == relation.via)
        child = _sa_table(table, schema, [*relation.columns, *fk.columns]).alias("c")
        mid = _sa_table(parent, schema, [*relation.ref_columns, *fk.ref_columns]).alias("p")
        on = sa.and_(*(child.c[c] == mid.c[r] for c, r in zip(fk.columns, fk.ref_columns,
                                                               strict=True)))  # fmt: skip
        query = sa.select(child.c[relation.columns[0]], mid.c[relation.ref_columns[0]])
        rows = _sample(conn, query.select_from(child.join(mid, on)))
    except (KeyError, StopIteration, sa.exc.DBAPIError):
        return None
    if relation.kind == "fk_order":
        kind = table.columns[relation.columns[0]].logical_type
        parent_kind = parent.columns[relation.ref_columns[0]].logical_type
        child_values = _numbers([r[0] for r in rows], kind)
        parent_values = _numbers([r[1] for r in rows], parent_kind)
        return order_share(parent_values, child_values)
    left = np.asarray([np.nan if r[0] is None else hash(str(r[0])) for r in rows], dtype=float)
    right = np.asarray([np.nan if r[1] is None else hash(str(r[1])) for r in rows], dtype=float)
    return equal_share(left, right)


# --------------------------------------------------------------------------- discovery


def _row_candidates(table: Table) -> tuple[list[str], list[str]]:
    """(columns compared for orderings, columns tried as identity members) of *table*."""
    keys = _key_columns(table)
    ordered = [
        c for c, s in table.columns.items()
        if any(s.logical_type in group for group in ORDERED_KINDS) and not s.pii
    ]  # fmt: skip
    numeric = [c for c, s in table.columns.items()
               if s.logical_type in IDENTITY_KINDS and c not in keys and not s.pii]  # fmt: skip
    return ordered, numeric[:MAX_IDENTITY_COLUMNS]


def row_relations_from(table: Table, read: Mapping[str, pl.Series]) -> list[Relation] | None:
    """The row relations of *table* (orderings, identities) from its values as read for the
    statistics (the units of :mod:`paritygen.profile.values`, the first
    :data:`RELATION_SAMPLE_ROWS` rows), so a table read whole is not read a second time; None
    when those values are not the ones :func:`discover` would read (an interval or money
    column: read as numbers there, unreadable as such through the driver)."""
    ordered, numeric = _row_candidates(table)
    wanted = list(dict.fromkeys(ordered + numeric))
    if not wanted or not table.row_count:
        return []
    if any(table.columns[c].value_kind or c not in read for c in wanted):
        return None
    values = {
        c: read[c].head(RELATION_SAMPLE_ROWS).cast(pl.Float64).fill_null(np.nan).to_numpy()
        for c in wanted
    }
    return _relations_of_rows(table, ordered, numeric, values)


def _row_relations(conn: sa.Connection, schema: str | None, table: Table) -> list[Relation]:
    ordered, numeric = _row_candidates(table)
    wanted = list(dict.fromkeys(ordered + numeric))
    if not wanted or not table.row_count:
        return []
    rows = _sample(conn, sa.select(*(sa.column(c) for c in wanted))
                   .select_from(_sa_table(table, schema, wanted)))  # fmt: skip
    values = {c: _numbers([r[i] for r in rows], table.columns[c].logical_type)
              for i, c in enumerate(wanted)}  # fmt: skip
    return _relations_of_rows(table, ordered, numeric, values)


def _relations_of_rows(
    table: Table, ordered: list[str], numeric: list[str], values: Mapping[str, np.ndarray]
) -> list[Relation]:
    found: list[Relation] = []
    for a, b in itertools.combinations(ordered, 2):
        kind_a, kind_b = table.columns[a].logical_type, table.columns[b].logical_type
        if not any(kind_a in g and kind_b in g for g in ORDERED_KINDS):
            continue
        forward, n = order_share(values[a], values[b])
        backward, _ = order_share(values[b], values[a])
        if n < 20:
            continue
        if forward >= STRONG_SHARE and forward >= backward:
            found.append(Relation("order", (a, b), round(forward, 4)))
        elif backward >= STRONG_SHARE:
            found.append(Relation("order", (b, a), round(backward, 4)))
    for c in numeric:
        tolerance = _tolerance(values[c], table, c)
        for a, b in itertools.combinations([x for x in numeric if x != c], 2):
            for kind in ("sum", "product"):
                neutral = 0.0 if kind == "sum" else 1.0
                if any(np.nanmean(values[x] == neutral) > 0.5 for x in (a, b)):
                    continue  # c = a + 0 holds by accident, not by design
                share, n = identity_share(kind, values[c], values[a], values[b], tolerance)
                if n >= 20 and share >= IDENTITY_SHARE:
                    found.append(Relation(kind, (c, a, b), round(share, 4)))
    return found


def _fk_relations(
    conn: sa.Connection, schema: str | None, tables: Mapping[str, Table], name: str
) -> list[Relation]:
    return _fk_relations_with(
        tables, name, lambda candidate: relation_share(conn, schema, tables, name, candidate)
    )


HELD_ROWS = 100_000
"""A table read whole with at most this many rows keeps the few columns its children's FK
relations compare (:func:`held_columns`), so those are measured without a join in the
database; a larger one is joined there."""


def held_columns(table: Table, referenced: set[str]) -> list[str]:
    """The columns of *table* an FK relation of a child compares: its *referenced* key
    columns, its dates and times of day (as a parent of an ``fk_order``) and its single-column
    FKs (as the middle of a ``diamond``)."""
    wanted = [c for c in table.columns if c in referenced]
    wanted += [c for c, s in table.columns.items() if s.logical_type in TEMPORAL and not s.pii]
    wanted += [fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1]
    return list(dict.fromkeys(c for c in wanted if c in table.columns))


DIAMOND_IN_MEMORY = frozenset({"integer", "string", "text"})
"""Key types whose read values are equal exactly when the database path's text is."""


class _NeedsDatabase(Exception):
    """A candidate the values in hand cannot measure as the database join would."""


def fk_relations_from(
    table: Table,
    parents: Mapping[str, Table],
    profiled: set[str],
    read: Mapping[str, pl.Series],
    held: Mapping[str, Mapping[str, pl.Series]],
) -> list[Relation] | None:
    """:func:`discover`'s FK relations (parent orderings, diamonds) of *table*, read whole as
    *read*, from its parents' :func:`held_columns` (*held*, *parents*: the tables measured so
    far), joined in memory on the first :data:`RELATION_SAMPLE_ROWS` rows: one join query per
    candidate was the largest per-table cost left on MariaDB. None when a parent it needs is
    not held (sampled, larger than :data:`HELD_ROWS`, not measured yet) or a comparison needs
    the database's own values; :func:`discover` then asks the database."""
    needed = {
        fk.ref_table
        for fk in table.foreign_keys
        if len(fk.columns) == 1 and fk.condition is None and fk.ref_table in profiled
    }
    needed.discard(table.name)
    if any(n not in parents or n not in held for n in needed):
        return None
    tables = {n: parents[n] for n in needed} | {table.name: table}
    head = {c: v.head(RELATION_SAMPLE_ROWS) for c, v in read.items()}
    try:
        return _fk_relations_with(
            tables, table.name, lambda candidate: _held_share(tables, table, candidate, head, held)
        )
    except _NeedsDatabase:
        return None


def _held_share(
    tables: Mapping[str, Table],
    table: Table,
    relation: Relation,
    read: Mapping[str, pl.Series],
    held: Mapping[str, Mapping[str, pl.Series]],
) -> tuple[float, int] | None:
    """:func:`relation_share` of an ``fk_order`` or ``diamond`` from values in hand."""
    fk = next((f for f in table.foreign_keys if f.columns == relation.via), None)
    parent = tables.get(relation.ref_table or "")
    if fk is None or parent is None:
        return None
    kept = held[parent.name]
    names = (fk.columns[0], relation.columns[0], fk.ref_columns[0], relation.ref_columns[0])
    if any(c not in read for c in names[:2]) or any(c not in kept for c in names[2:]):
        raise _NeedsDatabase
    key, own = read[names[0]], read[names[1]]
    ref_key, ref_value = kept[names[2]], kept[names[3]]
    if key.dtype != ref_key.dtype:
        raise _NeedsDatabase
    joined = pl.DataFrame({"k": key, "a": own}).join(
        pl.DataFrame({"k": ref_key, "b": ref_value}), on="k", how="inner"
    )
    if relation.kind == "fk_order":
        if any(x.value_kind for x in (table.columns[names[1]], parent.columns[names[3]])):
            raise _NeedsDatabase
        child_values, parent_values = (
            joined.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy() for c in "ab"
        )
        return order_share(parent_values, child_values)
    # diamond: the database path compares the values' text; typed values compare the same
    # only for keys of one exact type
    own_type = table.columns[names[1]].logical_type
    if (
        own_type != parent.columns[names[3]].logical_type
        or own_type not in DIAMOND_IN_MEMORY
        or own.dtype != ref_value.dtype
    ):
        raise _NeedsDatabase
    a, b = joined.get_column("a"), joined.get_column("b")
    known = (a.is_not_null() & b.is_not_null()).to_numpy()
    n = int(known.sum())
    return (float((a == b).fill_null(False).to_numpy()[known].sum()) / n if n else 0.0), n


def _fk_relations_with(
    tables: Mapping[str, Table], name: str, measure: Callable[[Relation], tuple[float, int] | None]
) -> list[Relation]:
    table = tables[name]
    found: list[Relation] = []
    singles = [
        fk
        for fk in table.foreign_keys
        if len(fk.columns) == 1 and fk.ref_table in tables and fk.condition is None
    ]  # a polymorphic (conditional) virtual FK joins only some rows: not a path to follow
    for fk in singles:
        parent = tables[fk.ref_table]
        if fk.ref_table == name:
            continue
        for column, spec in table.columns.items():
            if spec.logical_type not in TEMPORAL or spec.pii or spec.logical_type == "time":
                continue
            for ref, ref_spec in parent.columns.items():
                if ref_spec.logical_type != spec.logical_type or ref_spec.pii:
                    continue
                candidate = Relation("fk_order", (column,), 0.0, fk.columns, fk.ref_table, (ref,))
                measured = measure(candidate)
                if measured and measured[1] >= 20 and measured[0] >= STRONG_SHARE:
                    found.append(Relation("fk_order", (column,), round(measured[0], 4),
                                          fk.columns, fk.ref_table, (ref,)))  # fmt: skip
    # One FK ordering per column, the one production held most often: generation drives each
    # column by one bound, and a second, weaker bound of the same column is not kept apart.
    best: dict[str, Relation] = {}
    for relation in found:
        column = relation.columns[0]
        if column not in best or relation.share > best[column].share:
            best[column] = relation
    found = list(best.values())
    for via, shortcut in itertools.permutations(singles, 2):
        mid = tables[via.ref_table]
        if via.ref_table in (name, shortcut.ref_table):
            continue
        for onward in mid.foreign_keys:
            if (onward.ref_table != shortcut.ref_table or len(onward.columns) != 1
                    or onward.ref_columns != shortcut.ref_columns):  # fmt: skip
                continue
            candidate = Relation("diamond", shortcut.columns, 0.0, via.columns, via.ref_table,
                                 onward.columns)  # fmt: skip
            measured = measure(candidate)
            if measured and measured[1] >= 20 and measured[0] >= STRONG_SHARE:
                found.append(Relation("diamond", shortcut.columns, round(measured[0], 4),
                                      via.columns, via.ref_table, onward.columns))  # fmt: skip
    return found


def discover(
    conn: sa.Connection,
    schema: str | None,
    tables: Mapping[str, Table],
    name: str,
    row_relations: Sequence[Relation] | None = None,
    fk_relations: Sequence[Relation] | None = None,
) -> tuple[Relation, ...]:
    """The strong relations of table *name* (see the module docstring), read from samples;
    *row_relations* / *fk_relations*: its orderings and identities / its FK orderings and
    diamonds when already found from values in hand (:func:`row_relations_from`,
    :func:`fk_relations_from`)."""
    if not tables[name].row_count:
        return ()
    if row_relations is None:
        row_relations = _row_relations(conn, schema, tables[name])
    if fk_relations is None:
        fk_relations = _fk_relations(conn, schema, tables, name)
    return tuple([*row_relations, *fk_relations])
