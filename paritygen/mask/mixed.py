"""Mixed runs: a synthesised table whose parent was copied from production keeps valid FKs.

The generator draws a child's FK values from the *synthetic* key space of its parent (production's
range and gaps, rebuilt from the profile), but a copied parent holds production's real keys. Each
generated FK value is therefore moved onto a real key of the copied parent, read back from the
target once the parent is loaded (one sorted key column, O(parents) memory):

- one-column keys by position: the value goes to the first real key at or above it (clamped to
  the last), so "which parents are heavy" (recent dates, new products) follows the key order as
  the generator meant it, and a generated value equal to a real key stays that key;
- composite keys by a hash of the generated tuple onto the real rows (an even spread).

Either way every FK value names a row that exists: 0 orphans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import polars as pl
import sqlalchemy as sa

from paritygen.profile.model import Column, ForeignKey, Table
from paritygen.profile.stream import convert_python

HASH_SEED = 0x4D49  # fixed: the same generated tuple lands on the same parent row every run


class ParentKeys:
    """The real keys of copied parents, read from the target (each once per run)."""

    def __init__(self, engine: sa.Engine, tables: dict[str, Table]) -> None:
        self.engine = engine
        self.tables = tables
        self._cache: dict[tuple[str, tuple[str, ...]], pl.DataFrame] = {}

    def get(self, table: str, columns: Sequence[str]) -> pl.DataFrame:
        """Distinct key tuples of *table*, sorted."""
        cache_key = (table, tuple(columns))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._read(table, list(columns))
        return self._cache[cache_key]

    def _read(self, table: str, columns: list[str]) -> pl.DataFrame:
        cols = [sa.column(c) for c in columns]
        query = sa.select(*cols).select_from(sa.table(table)).distinct().order_by(*cols)
        query = query.where(sa.and_(*(c.is_not(None) for c in cols)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        spec: dict[str, Column] = self.tables[table].columns
        return pl.DataFrame(
            [convert_python([r[i] for r in rows], spec[c], table) for i, c in enumerate(columns)]
        )


def copied_parent_fks(table: Table, copied: set[str]) -> list[ForeignKey]:
    """The FKs of a generated *table* that point at a copied table."""
    return [fk for fk in table.foreign_keys if fk.ref_table in copied]


def remap(chunk: pl.DataFrame, fks: Sequence[ForeignKey], parents: ParentKeys) -> pl.DataFrame:
    """*chunk* with every FK to a copied parent moved onto that parent's real keys."""
    for fk in fks:
        if not all(c in chunk.columns for c in fk.columns):
            continue
        real = parents.get(fk.ref_table, fk.ref_columns)
        if real.height == 0:
            chunk = chunk.with_columns(
                pl.lit(None, dtype=chunk.schema[c]).alias(c) for c in fk.columns
            )
            continue
        present = pl.all_horizontal(pl.col(c).is_not_null() for c in fk.columns)
        mask = chunk.select(present).to_series()
        if len(fk.columns) == 1:
            column, ref = fk.columns[0], fk.ref_columns[0]
            keys = real.get_column(ref)
            values = chunk.get_column(column)
            if keys.dtype != values.dtype:
                keys = keys.cast(values.dtype, strict=False)
            filled = values.fill_null(keys[0])
            index = keys.search_sorted(filled, side="left").clip(0, keys.len() - 1)
            mapped = keys.gather(index).set(~mask, None).rename(column)
            chunk = chunk.with_columns(mapped)
            continue
        rows = chunk.select(fk.columns).hash_rows(seed=HASH_SEED) % real.height
        picked = real.gather(rows.cast(pl.Int64))
        chunk = chunk.with_columns(
            pl.when(mask)
            .then(picked.get_column(ref).cast(chunk.schema[col], strict=False))
            .otherwise(None)
            .alias(col)
            for col, ref in zip(fk.columns, fk.ref_columns, strict=True)
        )
    return chunk


def remapped(
    chunks: Iterable[pl.DataFrame], fks: Sequence[ForeignKey], parents: ParentKeys
) -> Iterator[pl.DataFrame]:
    """:func:`remap` over every chunk (generated rows or deferred-FK update frames)."""
    for chunk in chunks:
        yield remap(chunk, fks, parents)


def wrap(
    make: Callable[..., Iterable[pl.DataFrame]], fks: Sequence[ForeignKey], parents: ParentKeys
) -> Callable[..., Iterator[pl.DataFrame]]:
    """A chunk factory whose chunks are remapped (for TableLoad.chunks and Update.chunks)."""
    return lambda *args: remapped(make(*args), fks, parents)
