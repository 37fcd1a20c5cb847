"""Unique columns stay unique: collisions between pseudonyms found and resolved deterministically.

A masker maps distinct inputs to outputs that are distinct with overwhelming probability (an
e-mail carries six keyed digits) or by construction (``integer_key`` is a bijection), but a pool
masker on a unique column, or a pseudonym cut to a short column, can collide. :class:`UniqueGuard`
remembers the outputs written to one unique column (as 64-bit hashes, about 70 bytes a row) and
re-masks each colliding value with ``attempt`` 1, 2, ... until it is new, then with a keyed hash
as the last resort. The rows are read in the same order in every run of the same source, so the
same value wins the same way: the result is deterministic, and each resolution is counted for
the summary.

A resolved value is also an *override* for every other column masked with the same signature
(:meth:`~paritygen.mask.maskers.base.Masker.signature`): a child table's e-mail FK gets the
parent's resolved pseudonym, so joins hold even through a collision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from paritygen.errors import LoadError
from paritygen.mask.keys import MaskKey
from paritygen.mask.maskers.base import Masker

MAX_ATTEMPTS = 20
"""Alternative pseudonyms tried for one colliding value before the keyed-hash fallback."""

HASH_SEED = 0x5EED
"""Seed of the 64-bit hash of written outputs (fixed: the guard is deterministic)."""

Overrides = dict[Any, Any]
"""Input value -> resolved pseudonym, shared by the columns of one masker signature."""


def _hashes(values: pl.Series) -> np.ndarray:
    return values.hash(seed=HASH_SEED).to_numpy()


class UniqueGuard:
    """The outputs already written to one unique column, and the collisions resolved in it."""

    def __init__(self, label: str, fallback: Callable[[pl.Series, int], pl.Series]) -> None:
        self.label = label
        self.seen: set[int] = set()
        self.resolved = 0
        self._fallback = fallback

    def admit(
        self, inputs: pl.Series, masked: pl.Series, masker: Masker, key: MaskKey,
        overrides: Overrides,
    ) -> pl.Series:  # fmt: skip
        """*masked* with every collision (with earlier rows or within the chunk) re-masked."""
        present = masked.is_not_null().to_numpy()
        hashes = _hashes(masked)
        written = hashes[present].tolist()
        fresh = set(written)
        if len(fresh) == len(written) and self.seen.isdisjoint(fresh):
            self.seen |= fresh  # the usual chunk: no collision, found without a loop per row
            return masked
        clash = np.zeros(len(masked), dtype=bool)
        chunk_seen: set[int] = set()
        for i in np.flatnonzero(present):
            h = int(hashes[i])
            if h in self.seen or h in chunk_seen:
                clash[i] = True
            else:
                chunk_seen.add(h)
        if clash.any():
            masked = self._resolve(inputs, masked, clash, chunk_seen, masker, key, overrides)
        self.seen |= chunk_seen
        return masked

    def _resolve(
        self, inputs: pl.Series, masked: pl.Series, clash: np.ndarray, taken: set[int],
        masker: Masker, key: MaskKey, overrides: Overrides,
    ) -> pl.Series:  # fmt: skip
        """Re-mask the colliding rows, all of them per attempt (vectorised), in row order: the
        first row to reach a free pseudonym takes it, the others try the next attempt."""
        values = masked.to_list()
        pending = [int(r) for r in np.flatnonzero(clash)]
        for attempt in range(1, MAX_ATTEMPTS + 2):
            if not pending:
                break
            originals = inputs.gather(pending)
            if attempt <= MAX_ATTEMPTS:
                candidates = masker.mask(originals, key, attempt)
            else:
                candidates = self._fallback(originals, attempt)
            hashes = _hashes(candidates)
            still = []
            for row, original, candidate, h in zip(
                pending, originals, candidates, hashes.tolist(), strict=True
            ):
                if h in self.seen or h in taken:
                    still.append(row)
                    continue
                taken.add(h)
                values[row] = candidate
                overrides[original] = candidate
                self.resolved += 1
            pending = still
        if pending:
            raise LoadError(
                f"{self.label}: no unique pseudonym found for a value after"
                f" {MAX_ATTEMPTS} attempts; the column is too short for its masker"
                " (choose masker hash or shape in the rules)"
            )
        return pl.Series(masked.name, values, dtype=masked.dtype)


class CompositeGuard:
    """One composite unique constraint (or PK) holding a masked column: the tuples written.

    ``(tenant_id, first_name)`` unique: two different names of one tenant may draw the same
    pseudonym from a pool. The tuples already written are remembered as 64-bit hashes; a row
    whose tuple is taken has its *resolved* column (the constraint's last masked column)
    re-masked with attempt 1, 2, ... until the tuple is new, then the keyed-hash fallback. Rows
    come in the same order in every run, so the resolution is deterministic. It is local to
    the row: the same input elsewhere keeps its pseudonym (the value is not unique on its own,
    so no global override applies). Rows with a NULL in the constraint never clash (SQL).
    """

    def __init__(
        self, label: str, columns: tuple[str, ...], resolved: str,
        fallback: Callable[[pl.Series, int], pl.Series],
    ) -> None:  # fmt: skip
        self.label = label
        self.columns = columns
        self.resolved_column = resolved
        self.seen: set[int] = set()
        self.resolved = 0
        self._fallback = fallback

    def _tuples(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(hash of each row's tuple, whether the row has no NULL in the constraint)."""
        cols = list(self.columns)
        out = frame.select(
            pl.struct(cols).hash(seed=HASH_SEED).alias("h"),
            pl.all_horizontal([pl.col(c).is_not_null() for c in cols]).alias("p"),
        )
        return out.get_column("h").to_numpy(), out.get_column("p").to_numpy()

    def admit(
        self, chunk: pl.DataFrame, inputs: pl.Series, masker: Masker, key: MaskKey
    ) -> pl.Series:
        """The resolved column of *chunk* (the written values), with every row whose tuple is
        already taken (by earlier rows or within the chunk) re-masked from its *inputs*."""
        hashes, present = self._tuples(chunk)
        taken: set[int] = set()
        pending: list[int] = []
        for i in np.flatnonzero(present).tolist():
            h = int(hashes[i])
            if h in self.seen or h in taken:
                pending.append(i)
            else:
                taken.add(h)
        column = chunk.get_column(self.resolved_column)
        if pending:
            values = column.to_list()
            for attempt in range(1, MAX_ATTEMPTS + 2):
                if not pending:
                    break
                originals = inputs.gather(pending)
                if attempt <= MAX_ATTEMPTS:
                    candidates = masker.mask(originals, key, attempt)
                else:
                    candidates = self._fallback(originals, attempt)
                trial = chunk.select(list(self.columns))[pending].with_columns(
                    candidates.alias(self.resolved_column)
                )
                trial_hashes, _ = self._tuples(trial)
                still = []
                for row, candidate, h in zip(
                    pending, candidates.to_list(), trial_hashes.tolist(), strict=True
                ):
                    if h in self.seen or h in taken:
                        still.append(row)
                        continue
                    taken.add(h)
                    values[row] = candidate
                    self.resolved += 1
                pending = still
            if pending:
                raise LoadError(
                    f"{self.label}: no unique pseudonym found for a value of"
                    f" ({', '.join(self.columns)}) after {MAX_ATTEMPTS} attempts; the column is"
                    " too short for its masker (choose masker hash or shape in the rules)"
                )
            column = pl.Series(column.name, values, dtype=column.dtype)
        self.seen |= taken
        return column


def apply_overrides(inputs: pl.Series, masked: pl.Series, overrides: Overrides) -> pl.Series:
    """*masked* with the resolved pseudonyms of earlier collisions (same signature) applied."""
    if not overrides:
        return masked
    hit = inputs.is_in(list(overrides)).fill_null(False)
    if not hit.any():
        return masked
    rows = np.flatnonzero(hit.to_numpy())
    replaced = pl.Series([overrides[inputs[int(r)]] for r in rows], dtype=masked.dtype)
    return masked.scatter(rows, replaced)
