"""One copied table: production's rows streamed from the snapshot, each column kept, masked,
nulled, set or generated, in bounded memory, as chunks for the writer.

The source arrives in read batches (:func:`paritygen.profile.stream.stream_table`); they are cut
into chunks of whole random blocks (``BLOCK_ROWS``), so a column in ``generate`` mode gets the
same values as ``paritygen generate`` would give rows at those positions, whatever the read
batch sizes. Masking runs in the writer's producer thread (:func:`paritygen.writers.base.
pipelined`) while the calling thread writes the previous chunk and the source thread reads the
next batch: read, mask and write overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.base import ColumnContext, block_rng, resolve
from paritygen.generate.plan import block_ranges
from paritygen.generate.rows import enforce_column_limits
from paritygen.mask.keys import MaskKey
from paritygen.mask.maskers.base import TEXT_TYPES, MaskColumn, PseudonymCache
from paritygen.mask.maskers.generic import HashMasker
from paritygen.mask.rules import ColumnAction, TableAction, unique_columns
from paritygen.mask.unique import CompositeGuard, Overrides, UniqueGuard, apply_overrides
from paritygen.profile.model import Table
from paritygen.profile.stream import COPY_TYPES

FIRST_CHUNK_ROWS = 8192
"""Rows of a copied table's first chunk when no column is generated: the first write starts
after these are masked, not after a whole block (65,536 rows)."""

READ_MODES = frozenset({"keep", "mask"})
"""Column modes whose production values are read."""


@dataclass
class ColumnCounts:
    """What happened to one column in this run (for the summary)."""

    mode: str
    masker: str | None = None
    masked: int = 0
    """Non-NULL values replaced by a pseudonym."""
    collisions: int = 0
    """Values re-masked because their first pseudonym was already taken (unique columns)."""


@dataclass
class MaskState:
    """Run-wide: the key, the collision overrides per masker signature, the counts."""

    key: MaskKey
    seed: int = 0
    overrides: dict[tuple[Any, ...], Overrides] = field(default_factory=dict)
    caches: dict[tuple[Any, ...], PseudonymCache] = field(default_factory=dict)
    """First-attempt pseudonyms per masker signature, shared by the columns masked alike."""
    counts: dict[str, dict[str, ColumnCounts]] = field(default_factory=dict)


def constant_series(action: ColumnAction, height: int) -> pl.Series:
    """The rule's constant (or NULL) as a column of *height* rows, typed for the column."""
    dtype = COPY_TYPES[action.column.logical_type]
    value = action.value if action.mode == "constant" else None
    try:
        single = pl.Series(action.column.name, [value]).cast(dtype, strict=True)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        raise ConfigError(
            f"rules: {action.column.name}: constant {value!r} is not a"
            f" {action.column.logical_type} value"
        ) from None
    return single.extend_constant(single[0], height - 1) if height else single.clear()


def check_constants(action: TableAction) -> None:
    """Constants are checked against their column types before any row is read."""
    for column in action.columns.values():
        if column.mode in ("constant", "null"):
            constant_series(column, 1)


class TableCopy:
    """The chunks of one copied table (see the module docstring)."""

    def __init__(
        self, table: Table, action: TableAction, state: MaskState, row_count: int,
        chunk_rows: int,
    ) -> None:  # fmt: skip
        self.table = table
        self.action = action
        self.state = state
        self.chunk_rows = chunk_rows
        check_constants(action)
        self.read = [c for c, a in action.columns.items() if a.mode in READ_MODES]
        if not self.read:  # nothing to read but the row count: read the first column
            self.read = [next(iter(action.columns))]
        unique = unique_columns(table)
        self.guards: dict[str, UniqueGuard] = {}
        counts = state.counts.setdefault(table.name, {})
        for name, column in action.columns.items():
            masker = column.masker
            counts[name] = ColumnCounts(column.mode, masker.name if masker else None)
            if masker is not None and hasattr(masker, "share_cache"):
                masker.share_cache(state.caches.setdefault(masker.signature(), PseudonymCache()))
            if masker is not None and name in unique and masker.name != "integer_key":
                self.guards[name] = UniqueGuard(f"{table.name}.{name}", self._fallback(column))
        self.composites = [
            CompositeGuard(
                f"{table.name}.({', '.join(columns)})",
                columns,
                resolved,
                self._fallback(action.columns[resolved]),
            )  # fmt: skip
            for columns, resolved in composite_guarded(table, action, unique)
        ]
        self.generators = {
            name: resolve(
                ColumnContext(
                    table=table,
                    column=column.column,
                    row_count=row_count,
                    seed=state.seed,
                    rule=column.rule,
                    unique=name in unique,
                )
            )  # fmt: skip
            for name, column in action.columns.items()
            if column.mode == "generate"
        }

    def _fallback(self, action: ColumnAction) -> Callable[[pl.Series, int], pl.Series]:
        """Last resort for a value whose pseudonyms keep colliding: its keyed hash cut to the
        column (text columns), else the masker's further attempts."""
        masker = action.masker
        column = action.column
        if column.logical_type in TEXT_TYPES:
            spec = MaskColumn(self.table.name, column.name, "string", column.length)
            masker = HashMasker(spec)
        key = self.state.key
        return lambda values, attempt: masker.mask(values, key, attempt)

    def chunks(
        self, batches: Iterable[pl.DataFrame], progress: Any = None
    ) -> Iterator[pl.DataFrame]:
        """Masked chunks from the source *batches*: of whole blocks where a column is
        generated (its values follow the block), else the first one short
        (:data:`FIRST_CHUNK_ROWS`) so the writer starts while the rest is masked."""
        start = 0
        first = None if self.generators else min(FIRST_CHUNK_ROWS, self.chunk_rows)
        for frame in rebatch(batches, self.chunk_rows, first):
            chunk = self.transform(frame, start)
            start += frame.height
            if progress is not None:
                progress.advance(frame.height)
            yield chunk

    def transform(self, frame: pl.DataFrame, start: int) -> pl.DataFrame:
        """One chunk: every written column by its mode, in table order."""
        counts = self.state.counts[self.table.name]
        height = frame.height
        out: list[pl.Series] = []
        generated: list[str] = []
        for name, action in self.action.columns.items():
            if action.mode == "keep":
                out.append(frame.get_column(name))
            elif action.mode == "mask":
                out.append(self._mask(name, action, frame.get_column(name), counts[name]))
            elif action.mode == "generate":
                out.append(self._generate(name, start, height))
                generated.append(name)
            else:
                out.append(constant_series(action, height))
        chunk = pl.DataFrame(out)
        if generated:
            fixed = enforce_column_limits(chunk.select(generated), self.table)
            chunk = chunk.with_columns(fixed.get_columns())
        for guard in self.composites:  # after every column: the tuples are final
            name = guard.resolved_column
            masker = self.action.columns[name].masker
            assert masker is not None
            before = guard.resolved
            fixed_column = guard.admit(chunk, frame.get_column(name), masker, self.state.key)
            counts[name].collisions += guard.resolved - before
            if guard.resolved != before:
                chunk = chunk.with_columns(fixed_column)
        return chunk

    def _mask(
        self, name: str, action: ColumnAction, values: pl.Series, counts: ColumnCounts
    ) -> pl.Series:
        masker = action.masker
        assert masker is not None
        key = self.state.key
        overrides = self.state.overrides.setdefault(masker.signature(), {})
        masked = masker.mask(values, key)
        masked = apply_overrides(values, masked, overrides)
        guard = self.guards.get(name)
        if guard is not None:
            before = guard.resolved
            masked = guard.admit(values, masked, masker, key, overrides)
            counts.collisions += guard.resolved - before
        counts.masked += len(masked) - masked.null_count()
        return masked.rename(name)

    def _generate(self, name: str, start: int, count: int) -> pl.Series:
        generator = self.generators[name]
        parts = [
            generator.generate(s, c, block_rng(self.state.seed, self.table.name, name, b))
            for b, s, c in block_ranges(start, count)
        ]
        series = parts[0] if len(parts) == 1 else pl.concat(parts)
        return series.rename(name)


def composite_guarded(
    table: Table, action: TableAction, unique: set[str]
) -> list[tuple[tuple[str, ...], str]]:
    """(columns, column to re-mask) of each composite unique constraint or PK that a masker
    could break: it holds a masked column (not ``integer_key``, a bijection) and no column
    unique on its own (that one already makes every tuple unique)."""
    constraints = [uc.columns for uc in table.unique_constraints if len(uc.columns) > 1]
    if len(table.primary_key) > 1:
        constraints.append(tuple(table.primary_key))
    out = []
    for columns in dict.fromkeys(tuple(c) for c in constraints):
        if any(c in unique or c not in action.columns for c in columns):
            continue
        masked = [
            c for c in columns
            if action.columns[c].mode == "mask"
            and action.columns[c].masker is not None
            and action.columns[c].masker.name != "integer_key"
        ]  # fmt: skip
        if masked:
            out.append((columns, masked[-1]))
    return out


def rebatch(
    batches: Iterable[pl.DataFrame], rows: int, first: int | None = None
) -> Iterator[pl.DataFrame]:
    """Frames of exactly *rows* rows (the first *first* rows when given, the last one shorter)
    from batches of any size."""
    pending: list[pl.DataFrame] = []
    held = 0
    wanted = first or rows
    for batch in batches:
        if batch.height == 0:
            continue
        pending.append(batch)
        held += batch.height
        while held >= wanted:
            whole = pl.concat(pending, rechunk=False) if len(pending) > 1 else pending[0]
            yield whole.slice(0, wanted).rechunk()
            rest = whole.slice(wanted)
            pending = [rest] if rest.height else []
            held = rest.height
            wanted = rows
    if held:
        yield pl.concat(pending) if len(pending) > 1 else pending[0]
