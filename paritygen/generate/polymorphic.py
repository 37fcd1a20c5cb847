"""Polymorphic associations: one id column whose parent table is named by a type column.

Rails' ``commentable_type`` / ``commentable_id`` (and any "owner kind + owner id" pair) reach
the profile as virtual FKs with a condition, one per type value:
``commentable_id -> posts.id when commentable_type = 'Post'``. Here the pair is generated
together so that every id points at a row of the table its type names:

- each type gets the share of the rows production gave it (the conditional FK's child rows,
  NULL ids included), counted exactly at any ``--scale``;
- a keyed permutation of the row index deals the rows to the types (no clustering by row
  order), so row i is the j-th child of its type's FK, a pure function of (seed, table, i);
- within a type, the j-th child picks its parent through that FK's own fan-out map
  (:func:`~paritygen.generate.key_edges.edge_map_builder` on a table of that type's rows), so
  the fan-out per parent table and "which parents are heavy" (its position weights) follow
  the profile; the id column's own statistics mix the types and are not used.

Rows of types that name no declared parent (or a NULL type) keep a NULL type and id when both
columns allow it; otherwise the declared types share every row.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from paritygen.generate.base import POLARS_TYPES
from paritygen.generate.fanout import integerise
from paritygen.generate.key_edges import KeyEdge, edge_map_builder
from paritygen.generate.unique_keys import Permutation, derive_key
from paritygen.profile.model import ForeignKey, Table

if TYPE_CHECKING:
    from paritygen.generate.keys import KeyFactory, TableKeys


@dataclasses.dataclass
class _TypeRows:
    """The rows of one type, as the edge builders see a table: its own row count, no other
    key column, and the id column without the mixed statistics of every type."""

    table: Table
    factory: KeyFactory
    rows: int
    column_edge: dict = dataclasses.field(default_factory=dict)
    targeting: bool = False
    unique: dict = dataclasses.field(default_factory=dict)


def _type_rows(table: Table, fk: ForeignKey) -> float:
    """Rows production gave this FK's type (NULL ids included), or -1 when unknown."""
    fanout = fk.fanout
    if fanout is not None and fanout.null_fraction < 1.0:
        return fanout.child_rows / (1.0 - fanout.null_fraction)
    stats = table.columns[fk.condition.column].stats if fk.condition else None
    for common in stats.most_common if stats is not None else ():
        if str(common.value) == str(fk.condition.equals):
            return common.frequency * (1.0 - stats.null_fraction) * table.row_count
    return -1.0


class PolymorphicKey:
    """The id column(s) and the type column of one polymorphic association of a table."""

    def __init__(self, keys: TableKeys, fks: list[ForeignKey]) -> None:
        table, factory = keys.table, keys.factory
        self.fks = fks
        self.type_column = fks[0].condition.column  # type: ignore[union-attr]
        self.id_columns = tuple(fks[0].columns)
        self.table = table
        self.factory = factory
        source = max(table.row_count, 1)
        known = [_type_rows(table, fk) for fk in fks]
        fallback = max(source - sum(k for k in known if k > 0), 0) / max(
            sum(1 for k in known if k < 0), 1
        )
        shares = np.asarray([k if k >= 0 else fallback for k in known]) / source
        nullable = table.columns[self.type_column].nullable and all(
            table.columns[c].nullable for c in self.id_columns
        )
        if not nullable or shares.sum() > 1.0 or shares.sum() <= 0:
            shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(fks), 1 / len(fks))
        wanted = min(keys.rows, int(round(float(shares.sum()) * keys.rows)))
        counts = integerise(shares, wanted)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.ends = np.cumsum(counts).astype(np.int64)
        self.permutation = Permutation(
            keys.rows, derive_key(factory.seed, table.name, "polymorphic", self.type_column)
        )
        self.edges: list[KeyEdge] = []
        for fk, count in zip(fks, counts, strict=True):
            columns = dict(table.columns)
            for col in self.id_columns:
                columns[col] = dataclasses.replace(columns[col], stats=None)
            shim = _TypeRows(
                dataclasses.replace(
                    table,
                    name=f"{table.name}#{fk.condition.equals}",
                    columns=columns,  # type: ignore[union-attr]
                ),
                factory,
                int(count),
            )
            self.edges.append(KeyEdge(fk, edge_map_builder(shim, fk, False, 0), {}, {}))  # type: ignore[arg-type]

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.id_columns, self.type_column)

    def values(self, columns: list[str], idx: np.ndarray) -> dict[str, pl.Series]:
        """Values of the association's *columns* for row indices *idx*."""
        position = self.permutation.forward(np.asarray(idx, dtype=np.int64))
        branch = np.searchsorted(self.ends, position, side="right")
        out: dict[str, pl.Series] = {}
        table = self.table
        if self.type_column in columns:
            labels = [fk.condition.equals for fk in self.fks] + [None]  # type: ignore[union-attr]
            dtype = POLARS_TYPES[table.columns[self.type_column].logical_type]
            out[self.type_column] = pl.Series(
                self.type_column, [labels[b] for b in branch], strict=False
            ).cast(dtype, strict=False)
        wanted = [c for c in columns if c in self.id_columns]
        if not wanted:
            return out
        dtypes = {c: POLARS_TYPES[table.columns[c].logical_type] for c in wanted}
        placed: list[np.ndarray] = []
        pieces: dict[str, list[pl.Series]] = {c: [] for c in wanted}
        for b, (fk, edge) in enumerate(zip(self.fks, self.edges, strict=True)):
            rows = np.flatnonzero(branch == b)
            if rows.size == 0:
                continue
            choice = edge.mapping.choose(position[rows] - self.starts[b])
            present = choice.parent >= 0
            if not present.any():
                continue
            parent_keys = self.factory.table_keys(fk.ref_table)
            refs = parent_keys.columns_values(list(fk.ref_columns), choice.parent[present])
            placed.append(rows[present])
            for col in wanted:
                ref = refs[fk.ref_columns[list(fk.columns).index(col)]]
                pieces[col].append(ref.cast(dtypes[col], strict=False).alias(col))
        # Rows without a parent (NULL id, or a type naming none) come last, then every value
        # goes back to its row: one gather, no loop over rows.
        taken = np.concatenate(placed) if placed else np.zeros(0, dtype=np.int64)
        free = np.setdiff1d(np.arange(len(position)), taken, assume_unique=True)
        order = np.argsort(np.concatenate([taken, free]), kind="stable")
        for col in wanted:
            nulls = pl.Series(col, [None] * free.size, dtype=dtypes[col])
            out[col] = pl.concat([*pieces[col], nulls]).gather(order)
        return out


def polymorphic_keys(keys: TableKeys, fks: list[ForeignKey]) -> list[PolymorphicKey]:
    """One :class:`PolymorphicKey` per (id columns, type column) among *fks* (conditional)."""
    groups: dict[tuple, list[ForeignKey]] = {}
    for fk in fks:
        if fk.condition is not None:
            groups.setdefault((tuple(fk.columns), fk.condition.column), []).append(fk)
    return [PolymorphicKey(keys, group) for group in groups.values()]
