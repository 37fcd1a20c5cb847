"""The rows of one table, a random block at a time: keys, values, CHECK repair, NOT NULL.

Rows are made per random block (``BLOCK_ROWS``): keys from :mod:`keys`, other columns from the
value generators, then CHECK repair, NOT NULL and length enforcement, so the same seed gives the
same rows whatever the chunk size. :class:`TableRows` hands them to a writer as chunks of whole
blocks (the contract of generate/base.py); the run stage (:mod:`paritygen.run`) drives the load:
nothing here touches a database.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Iterator
from typing import Any, Protocol

import numpy as np
import polars as pl

from paritygen.generate.base import POLARS_TYPES, ColumnContext, block_rng
from paritygen.generate.keys import KeyFactory, TableKeys
from paritygen.generate.plan import SLICE_BYTES, TablePlan, block_ranges, chunk_ranges
from paritygen.generate.reference import is_reference, reference_frame
from paritygen.generate.relations import apply_relations
from paritygen.profile.model import Profile, Relation, Table

log = logging.getLogger("paritygen")

_CHECKS_STREAM = "__checks__"
_RELATIONS_STREAM = "__relations__"
PARENT_VALUES_MAX_ROWS = 2_000_000
"""Largest parent whose column an FK ordering reads (its rows are made once more, one column
kept: 16 MB of timestamps): above it, the ordering is left to the generators."""
_NOT_NULL_FILL: dict[str, Any] = {
    "integer": 0,
    "float": 0.0,
    "decimal": 0.0,
    "boolean": False,
    "string": "",
    "text": "",
    "json": "{}",
}


class RowCounter(Protocol):
    """Told how many rows each chunk holds (the run stage's progress bars)."""

    def advance(self, rows: int) -> None: ...


class TableRows:
    """Makes the rows of one table, a random block at a time (keys, values, CHECKs, NOT NULL)."""

    def __init__(
        self,
        profile: Profile,
        keys: TableKeys,
        row_count: int,
        seed: int,
        scale: float,
        computed: set[str] | frozenset[str] = frozenset(),
        only: Collection[str] | None = None,
    ):
        """*computed*: generated columns the target computes itself; they are never made nor
        written (a value written into one fails the load, ``GENERATED ALWAYS AS (...)``).
        *only*: the columns wanted (an FK ordering reads one of its parent's): just those and
        what their values depend on are made (:func:`columns_needed`), the same values as in
        the whole rows, since every column draws from its own random stream."""
        from paritygen.generate.base import resolve
        from paritygen.generate.categorical import determined
        from paritygen.generate.checks import SkippedCheck, parse_checks

        self.table: Table = keys.table
        self.keys = keys
        self.profile = profile
        self.scale = scale
        self.seed = seed
        self.row_count = row_count
        self.written = [c for c in self.table.columns if c not in computed]
        if only is not None:
            needed = columns_needed(self.table, only)
            self.written = [c for c in self.written if c in needed]
        self.verbatim: pl.DataFrame | None = None
        if keys.existing is None and is_reference(profile, self.table.name, row_count):
            # A reference table: production's rows exactly (they hold no personal data).
            self.verbatim = reference_frame(self.table, self.written)
            self.generators = {}
            self.checks = []
            self.key_columns = set(keys.columns)
            return
        rule = profile.table_rule(self.table.name)
        key_columns = set(keys.columns)
        unique = {uc.columns[0] for uc in self.table.unique_constraints if len(uc.columns) == 1}
        if len(self.table.primary_key) == 1:
            unique.add(self.table.primary_key[0])
        self.generators = {
            name: determined(resolve(
                ColumnContext(
                    table=self.table,
                    column=column,
                    row_count=row_count,
                    seed=seed,
                    scale=scale,
                    rule=rule.columns.get(name),
                    unique=name in unique,
                )
            ), column)
            for name, column in self.table.columns.items()
            if name not in key_columns and name in self.written
        }
        self.checks = parse_checks(self.table)
        for rule in self.checks:
            if isinstance(rule, SkippedCheck):  # said, so a failing load is no surprise
                log.warning(
                    "%s: CHECK (%s) is not understood (%s); rows are not repaired for it",
                    self.table.name, rule.sqltext, rule.reason,
                )  # fmt: skip
        self.key_columns = key_columns

    def block(self, block: int, start: int, count: int) -> pl.DataFrame:
        """Rows ``[start, start + count)`` of random block *block*, every column, table order."""
        if self.verbatim is not None:
            frame = self.verbatim.slice(start, count)
            deferred = [c for c in self.keys.deferred_list if c in frame.columns]
            if deferred:  # written by the update that closes the cycle, as for other tables
                frame = frame.with_columns(pl.lit(None, dtype=frame[c].dtype).alias(c)
                                           for c in deferred)  # fmt: skip
            return frame
        name = self.table.name
        keys = self.keys.frame(start, count)
        columns: dict[str, pl.Series] = {c: keys[c] for c in keys.columns}
        following = []
        for column, generator in self.generators.items():
            sources = getattr(generator, "follows", ())
            if sources and all(c in self.generators for c in sources):
                following.append((column, generator, sources))
                continue
            rng = block_rng(self.seed, name, column, block)
            columns[column] = generator.generate(start, count, rng).alias(column)
        while following:  # built from the row's own values, sources first
            ready = [f for f in following if all(c in columns for c in f[2])] or following[:1]
            for column, generator, sources in ready:
                rng = block_rng(self.seed, name, column, block)
                if all(c in columns for c in sources):
                    given = [columns[c] for c in sources]
                    values = generator.generate_following(start, count, rng, given)
                else:  # a cycle of follows: the column stands on its own
                    values = generator.generate(start, count, rng)
                columns[column] = values.alias(column)
            following = [f for f in following if f[0] not in columns]
        frame = pl.DataFrame([columns[c] for c in self.written])
        if self.table.relations:  # orderings and identities production held, as often
            rng = block_rng(self.seed, name, _RELATIONS_STREAM, block)
            deferred = self.keys.deferred_list
            links = self.keys.frame(start, count, with_deferred=True) if deferred else keys
            frame = apply_relations(
                frame, self.table, self.key_columns, self.parent_values, rng, links
            )
        if self.checks:
            rng = block_rng(self.seed, name, _CHECKS_STREAM, block)
            frame = self.checks_apply(frame, rng)
            # CHECK repair never touches keys: uniqueness and references win.
            frame = frame.with_columns([keys[c] for c in keys.columns])
        return enforce_column_limits(frame, self.table)

    def parent_values(self, relation: Relation) -> pl.DataFrame | None:
        """The parent's (key, column) for every parent row, for an FK ordering: the parent's
        rows are made again (the same seed gives the same rows), once per run, when the parent
        has at most ``PARENT_VALUES_MAX_ROWS`` rows."""
        fk = next((f for f in self.table.foreign_keys if f.columns == relation.via), None)
        if fk is None or relation.ref_table is None or len(fk.columns) != 1:
            return None
        factory = self.keys.factory
        cache_key = (relation.ref_table, fk.ref_columns[0], relation.ref_columns[0])
        if cache_key not in factory.column_cache:
            rows = factory.plan.row_count(relation.ref_table)
            value: pl.DataFrame | None = None
            if 0 < rows <= PARENT_VALUES_MAX_ROWS:
                wanted = [fk.ref_columns[0], relation.ref_columns[0]]
                parent = TableRows(self.profile, factory.table_keys(relation.ref_table), rows,
                                   self.seed, self.scale, only=wanted)  # fmt: skip
                if all(c in parent.written for c in wanted):
                    blocks = [parent.block(b, s, c).select(wanted)
                              for b, s, c in block_ranges(0, rows)]  # fmt: skip
                    both = pl.concat(blocks)
                    value = pl.DataFrame({"__key": both[wanted[0]], "__value": both[wanted[1]]})
            factory.column_cache[cache_key] = value
        return factory.column_cache[cache_key]

    def checks_apply(self, frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
        from paritygen.generate.checks import apply_checks

        return apply_checks(frame, self.checks, rng)

    def chunks(self, chunk_rows: int, bar: RowCounter | None = None) -> Iterator[pl.DataFrame]:
        """Chunks of whole blocks for the writer (the contract of generate/base.py)."""
        for start, count in chunk_ranges(self.row_count, chunk_rows):
            frames = [self.block(b, s, c) for b, s, c in block_ranges(start, count)]
            chunk = frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False)
            del frames
            if bar is not None:
                bar.advance(count)
            yield from byte_slices(chunk)
            del chunk  # sent: not alive while the next chunk's blocks are made

    def update_chunks(self, chunk_rows: int, columns: list[str]) -> Iterator[pl.DataFrame]:
        """Key plus deferred-FK chunks for the update that closes a cycle or self-reference."""
        if self.verbatim is not None:
            keep = list(self.table.primary_key) + columns
            yield self.verbatim.select(keep).drop_nulls(subset=columns)
            return
        for start, count in chunk_ranges(self.row_count, chunk_rows):
            frame = self.keys.update_frame(start, count, columns)
            if frame.height:
                yield frame


def byte_slices(chunk: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """*chunk* as consecutive row slices of at most about :data:`SLICE_BYTES` each (itself when
    it is smaller): the same rows in the same order, so the table holds the same contents."""
    pieces = math.ceil(chunk.estimated_size() / SLICE_BYTES)
    if pieces <= 1:
        yield chunk
        return
    step = math.ceil(chunk.height / pieces)
    for offset in range(0, chunk.height, step):
        yield chunk.slice(offset, step)


def columns_needed(table: Table, wanted: Collection[str]) -> set[str]:
    """*wanted* and every column their values can depend on: the columns a value follows
    (``ColumnStats.follows``), and, as a block's relations and CHECK repair draw from one random
    stream in order, every column of a relation, or every column when the table has CHECKs.
    Keys are always made (one frame of them)."""
    if table.checks:
        return set(table.columns)
    needed = set(wanted) | {c for r in table.relations for c in r.columns}
    pending = list(needed)
    while pending:
        column = table.columns.get(pending.pop())
        stats = column.stats if column is not None else None
        for source in stats.follows if stats is not None else ():
            if source not in needed:
                needed.add(source)
                pending.append(source)
    return needed


def enforce_column_limits(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """No NULL in a NOT NULL column and no string longer than its column, whatever the stats
    say: the load must never fail on a constraint."""
    fixes = []
    for name, column in table.columns.items():
        if name not in frame.columns:
            continue  # a generated column: the target computes it
        series = frame[name]
        expr = pl.col(name)
        changed = False
        if not column.nullable and series.null_count():
            expr = expr.fill_null(strategy="forward").fill_null(strategy="backward")
            fill = _NOT_NULL_FILL.get(column.logical_type)
            if column.logical_type == "enum" and column.enum_values:
                fill = column.enum_values[0]
            if fill is not None:
                expr = expr.fill_null(pl.lit(fill, dtype=POLARS_TYPES[column.logical_type]))
            changed = True
        if column.length and series.dtype == pl.String:
            expr = expr.str.slice(0, column.length)
            changed = True
        if changed:
            fixes.append(expr.alias(name))
    return frame.with_columns(fixes) if fixes else frame


def check_value_capacity(
    profile: Profile, keys: KeyFactory, plan_tables: Iterable[TablePlan], seed: int
) -> None:
    """Build the generator of every unique value column of the planned tables, so a column that
    cannot hold its rows distinct (a unique ``varchar(2)`` for 1,000 rows) fails with one line
    when the plan is made, before anything is written. *plan_tables* are ``TablePlan`` items."""
    from paritygen.generate.base import resolve

    for table_plan in plan_tables:
        table = profile.table(table_plan.name)
        rows = table_plan.row_count
        if is_reference(profile, table.name, rows):
            continue
        unique = {uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1}
        if len(table.primary_key) == 1:
            unique.add(table.primary_key[0])
        made_by_keys = set(keys.table_keys(table.name).columns)
        rule = profile.table_rule(table.name)
        for name in sorted(unique - made_by_keys):
            column = table.columns[name]
            if column.generated is not None:
                continue
            resolve(ColumnContext(table=table, column=column, row_count=rows, seed=seed,
                                  rule=rule.columns.get(name), unique=True))  # fmt: skip
