"""Whether every table's keys can hold its planned rows, decided before anything is written.

A key made only of foreign-key columns (a snapshot fact keyed ``(date_key, item_id,
warehouse_id)``, a price table unique over ``(method, store, currency)``, a junction) can hold
at most one row per *combination* of its parents: the product of the parents' planned row
counts, not the smallest of them (a one-row warehouse does not limit a fact keyed by date and
item as well). A unique FK (one-to-one) holds at most one child per parent, and a NOT NULL FK
needs at least one parent row.

:func:`fit_capacity` runs when the plan is made: a load that cannot succeed is refused before
its first table is written, naming the table and the numbers. Only the rounding of a small
``--scale`` (a 0.1-scaled junction whose parents shrank faster than it did) is absorbed, by
making the largest count that fits and saying so.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping

from paritygen.errors import ConfigError
from paritygen.profile.model import ForeignKey, Table

log = logging.getLogger("paritygen")


def key_foreign_keys(table: Table, key: tuple[str, ...]) -> list[ForeignKey] | None:
    """The FKs whose columns make up *key* entirely, or None when a column of the key is not an
    FK column (a line number, a sequence: such a key is unlimited)."""
    fks = [fk for fk in table.foreign_keys if set(fk.columns) <= set(key)]
    covered: set[str] = set().union(*(fk.columns for fk in fks)) if fks else set()
    if not fks or covered != set(key):
        return None
    # Overlapping composite FKs ((tenant, customer), (tenant, product)) share columns: the
    # product over them still bounds the combinations from above.
    return fks


def _non_null_rows(table: Table, key: tuple[str, ...], fks: list[ForeignKey], rows: int) -> int:
    """Rows whose key is fully non-NULL: a unique key over nullable FKs does not count the rows
    whose FK is NULL (NULLs never collide); a primary key counts every row."""
    if key == table.primary_key:
        return rows
    nullable = [fk for fk in fks if all(table.columns[c].nullable for c in fk.columns)]
    share = max((fk.fanout.null_fraction for fk in nullable if fk.fanout), default=0.0)
    return rows - round(rows * share)


def key_capacity(
    table: Table, key: tuple[str, ...], counts: Mapping[str, int]
) -> tuple[int, list[tuple[str, int]]] | None:
    """The most distinct tuples *key* can hold given the parents' planned *counts*, with the
    factors (parent table, rows); None when the key is not made of FKs only or a parent's count
    is not known yet."""
    fks = key_foreign_keys(table, key)
    if fks is None or any(fk.ref_table not in counts for fk in fks):
        return None
    factors = [(fk.ref_table, int(counts[fk.ref_table])) for fk in fks]
    return math.prod(rows for _, rows in factors), factors


def fanout_cap(table: Table, fk: ForeignKey, counts: Mapping[str, int]) -> int | None:
    """Most children one parent of *fk* can have under *table*'s keys made only of FKs: one per
    combination of the key's other FKs' parents (a date's items x warehouses, a playlist's
    tracks). Generate caps the fan-out there and verify judges the fan-out against the same
    cap (a snapshot fact filled to every combination has 80 items on each date, whatever
    production's spread). None when no such key holds *fk* or a count is not known."""
    caps = []
    for key in [table.primary_key, *(u.columns for u in table.unique_constraints)]:
        fks = key_foreign_keys(table, tuple(key)) if key else None
        if fks is None or not any(f is fk for f in fks):
            continue
        others = [f for f in fks if f is not fk]
        if others and all(f.ref_table in counts for f in others):
            caps.append(math.prod(int(counts[f.ref_table]) for f in others))
    return min(caps) if caps else None


def _describe(factors: list[tuple[str, int]]) -> str:
    parts = " x ".join(f"{rows} {name}" for name, rows in factors)
    return parts if len(factors) > 1 else f"{parts} rows"


def fit_capacity(
    table: Table,
    rows: int,
    counts: Mapping[str, int],
    *,
    exact: bool,
    kept: Collection[str] = (),
) -> int:
    """The planned row count of *table* once its keys are checked against its parents' counts.

    *exact* says *rows* was asked for as is (scale 1 or a pinned count): a key that cannot hold
    it is an error naming the table and the numbers. Otherwise (a scaled count) the largest
    count that fits is made, with a note naming the parents that kept their rows (*kept*:
    lookups and reference tables at ``--scale``) and how to let them grow; verify judges the
    fan-outs against the same combinations (:func:`fanout_cap`).
    """
    keys = [table.primary_key, *(u.columns for u in table.unique_constraints)]
    for key in keys:
        if not key:
            continue
        found = key_capacity(table, tuple(key), counts)
        if found is None:
            continue
        capacity, factors = found
        needed = _non_null_rows(table, tuple(key), key_foreign_keys(table, key) or [], rows)
        if needed <= capacity:
            continue
        columns = ", ".join(key)
        if exact:
            raise ConfigError(
                f"table {table.name}: {needed} rows need distinct ({columns}) but its parents"
                f" allow only {_describe(factors)} = {capacity} combinations; lower its"
                " row_count or raise its parents' in rules:"
            )
        fitted = rows - (needed - capacity)
        fixed = sorted({name for name, _ in factors if name in kept})
        grow = (
            f" ({', '.join(fixed)} keep their rows at every scale; 'lookup: false' under"
            " rules: tables: NAME, or --scale-lookups, lets them grow)"
            if fixed
            else ""
        )
        log.warning(
            "%s: %d rows planned but (%s) allows only %s = %d combinations at this scale;"
            " making %d%s", table.name, rows, columns, _describe(factors), capacity, fitted, grow,
        )  # fmt: skip
        rows = fitted
    for fk in table.foreign_keys:
        parents = counts.get(fk.ref_table)
        if parents != 0 or rows == 0 or fk.ref_table == table.name:
            continue
        if not all(table.columns[c].nullable for c in fk.columns):
            raise ConfigError(
                f"table {table.name} gets {rows} rows but its parent {fk.ref_table} gets none"
                f" (NOT NULL foreign key ({', '.join(fk.columns)})); pin {fk.ref_table}'s"
                " row_count in rules:"
            )
    return rows
