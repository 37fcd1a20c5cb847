"""The generator protocol, its context, seeded random sources and the resolver.

A column generator is a pure function of (global row range, random source): it knows nothing of
databases. It validates its parameters against the column when constructed, before any row is
made (the Greenmask model), and produces a whole block of values at once (vectorised).

Determinism: randomness comes from :func:`block_rng`, keyed by (seed, table, column, block) with a
fixed block size, so the same seed gives the same database whatever chunk size the writer uses.

Chunk contract (what generators return, what writers accept), by logical type:
integer -> Int64, float -> Float64, decimal -> Float64 rounded to the column's scale,
boolean -> Boolean, string/text/enum/uuid/json -> String, date -> Date, datetime ->
Datetime("us"), time -> Time, binary -> Binary. NULLs are polars nulls.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from paritygen.profile.model import Column, ColumnRule, Table

BLOCK_ROWS = 1 << 16
"""Rows per random block. Chunks handed to writers are whole multiples of this."""

POLARS_TYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "decimal": pl.Float64(),
    "boolean": pl.Boolean(),
    "string": pl.String(),
    "text": pl.String(),
    "enum": pl.String(),
    "uuid": pl.String(),
    "json": pl.String(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "time": pl.Time(),
    "binary": pl.Binary(),
}


def stable_hash(text: str) -> int:
    """A process-independent 32-bit hash (Python's ``hash`` is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


def block_rng(seed: int, table: str, column: str, block: int) -> np.random.Generator:
    """The random source for one block of one column: same inputs, same numbers."""
    return np.random.default_rng([seed & 0xFFFFFFFF, stable_hash(table), stable_hash(column), block])


@dataclass(frozen=True)
class ColumnContext:
    """Everything a generator may know when it is built."""

    table: Table
    column: Column
    row_count: int
    """Rows this run makes for the table (profiled count x scale, or the pinned count)."""
    seed: int
    scale: float = 1.0
    rule: ColumnRule | None = None
    unique: bool = False
    """Values must be distinct on their own (single-column PK or unique constraint)."""


class ColumnGenerator(Protocol):
    """Makes values for one column, a block at a time."""

    def __init__(self, ctx: ColumnContext) -> None: ...

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        """Values for global rows ``[start, start + count)``, NULLs included, typed per the
        chunk contract above."""
        ...
