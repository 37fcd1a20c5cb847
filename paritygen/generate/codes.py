"""Codes and tokens in production's shape: hex tokens, and short unique strings that use a
whole alphabet.

Why: an md5 token (32 hex characters) is not a UUID (36 characters with dashes: a ``varchar(32)``
cannot hold one, a ``varchar(255)`` would get the wrong length), and a unique ``varchar(2)`` of
250 country codes needs letter pairs (26 x 26 = 676), not the 49 two-digit numbers a word prefix
plus row number leaves. Both are pure functions of (seed, column, row or value id): vectorised,
and unique ones are bijections of the row number, so capacity is known before any row is made.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.base import (
    ColumnContext,
    DistinctIds,
    expected_non_null_rows,
    grid_size,
    non_null_ordinals,
    non_null_rows,
    null_mask,
    profiled_null_fraction,
    spread,
    stable_hash,
)
from paritygen.generate.text import apply_case, bytes_to_strings, mix64
from paritygen.registry import generators

HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
ALPHABETS = {
    "upper": np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8),
    "lower": np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8),
    "digits": np.frombuffer(b"0123456789", dtype=np.uint8),
    "mixed": np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8),
}
"""Alphabets of short unique codes, chosen from the column's letter case and shape."""


def hex_strings(ids: np.ndarray, width: int, salt: int) -> pl.Series:
    """Lower-case hex strings of *width* characters; distinct ids give distinct strings (the
    first 16 characters are a bijection of the id; below 16, an affine bijection mod 16**width)."""
    n = len(ids)
    ids = ids.astype(np.uint64)
    matrix = np.empty((n, width), dtype=np.uint8)
    if width < 16:
        modulus = np.uint64(1 << (4 * width))
        with np.errstate(over="ignore"):
            words = [(ids * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt)) % modulus]
    else:
        words = [mix64(ids ^ np.uint64(salt + block)) for block in range(-(-width // 16))]
    for position in range(width):
        word = words[position // 16] if width >= 16 else words[0]
        shift = np.uint64(4 * (position % 16))
        matrix[:, position] = HEX[((word >> shift) & np.uint64(15)).astype(np.int64)]
    return bytes_to_strings(matrix)


@generators.register("hex")
class HexGenerator:
    """Hex tokens (md5, sha1, API keys) of production's length and letter case; distinct where
    production's are, with production's distinct count otherwise."""

    def __init__(self, ctx: ColumnContext) -> None:
        column = ctx.column
        stats = column.stats
        width = 32
        if stats is not None and stats.length is not None:
            width = max(1, round(stats.length.mean))
        if column.length:
            width = min(width, column.length)
        where = f"{ctx.table.name}.{column.name}"
        if ctx.unique and width < 16 and 16**width < ctx.row_count:
            raise ConfigError(
                f"{where}: {width} hex characters hold {16**width} distinct values, "
                f"not {ctx.row_count}"
            )
        self.width = width
        self.name = column.name
        self.unique = ctx.unique
        self.case = stats.letter_case if stats is not None else None
        self.null_fraction = profiled_null_fraction(ctx)
        self.salt = stable_hash(f"{ctx.table.name}.{column.name}") ^ (ctx.seed & 0xFFFFFFFF)
        distinct = stats.distinct_count if stats is not None else 0
        self.grid = None if ctx.unique else grid_size(distinct, expected_non_null_rows(ctx))
        self.ids = DistinctIds(self.grid, ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        if self.unique or self.grid is None:
            ids = non_null_rows(start, nulls, count).astype(np.uint64)
        else:
            ordinals = non_null_ordinals(start, nulls, count, self.null_fraction)
            ids = self.ids.draw(n, rng, ordinals)
        values = hex_strings(ids, self.width, self.salt)
        return spread(apply_case(values, self.case), nulls).alias(self.name)


def short_alphabet(ctx: ColumnContext) -> np.ndarray:
    """The alphabet of a short unique code column: its shape's classes, else its letter case."""
    stats = ctx.column.stats
    pattern = stats.shape.pattern if stats is not None and stats.shape is not None else ""
    classes = set(pattern)
    if classes and classes <= {"A"}:
        return ALPHABETS["upper"]
    if classes and classes <= {"a"}:
        return ALPHABETS["lower"]
    if classes and classes <= {"9"}:
        return ALPHABETS["digits"]
    case = stats.letter_case if stats is not None else None
    if case == "lower":
        return np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
    return ALPHABETS["mixed"]


class AlphabetCodes:
    """Unique codes of a fixed width over an alphabet: row i is written from an affine
    bijection of ``[0, capacity)``, so no two rows share a code and the capacity check is
    arithmetic (made when the generator is built, before any row is written)."""

    def __init__(self, ctx: ColumnContext, bound: int, wanted: int) -> None:
        self.alphabet = short_alphabet(ctx)
        radix = len(self.alphabet)
        rows = max(ctx.row_count, 1)
        width = max(1, min(bound, wanted))
        while radix**width < rows and width < bound:
            width += 1
        capacity = radix**width
        if capacity < rows:
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: length {bound} holds {capacity:,} distinct"
                f" codes over its alphabet, not {ctx.row_count:,} (widen the column or lower"
                " --scale)"
            )
        self.width = width
        self.capacity = capacity
        multiplier = (capacity * 0x9E3779B97F4A7C15 >> 64) | 1
        while np.gcd(multiplier, capacity) != 1:
            multiplier += 2
        self.multiplier = multiplier
        self.offset = stable_hash(f"{ctx.table.name}.{ctx.column.name}") % capacity

    def codes(self, rows: np.ndarray) -> pl.Series:
        values = (rows.astype(object) * self.multiplier + self.offset) % self.capacity
        radix = len(self.alphabet)
        matrix = np.empty((len(rows), self.width), dtype=np.uint8)
        for position in range(self.width - 1, -1, -1):
            matrix[:, position] = self.alphabet[(values % radix).astype(np.int64)]
            values = values // radix
        return bytes_to_strings(matrix)
