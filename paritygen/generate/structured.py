"""Structured values: UUIDs, JSON documents, binary data, and checksummed identifiers.

Each is built as a numpy byte matrix or from a text pool in one vectorised step per block;
JSON is valid JSON (an object) of about the profiled text length, binary values follow the
profiled byte-length distribution; card numbers (Luhn) and IBANs (ISO 13616) get valid check
digits computed on digit matrices.
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
    id_ranks,
    non_null_ordinals,
    null_mask,
    profiled_null_fraction,
    spread,
    stratified_uniform,
)
from paritygen.generate.text import (
    bytes_to_strings,
    draw_lengths,
    length_knots,
    max_length,
    mix64,
    word_text,
)
from paritygen.registry import generators

HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
UUID_GROUPS = (slice(0, 8), slice(8, 12), slice(12, 16), slice(16, 20), slice(20, 32))


def uuid_strings(raw: np.ndarray) -> pl.Series:
    """Version-4 UUID text from a (rows, 16) uint8 matrix of random bytes."""
    raw = raw.copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((len(raw), 32), dtype=np.uint8)
    digits[:, 0::2] = HEX[raw >> 4]
    digits[:, 1::2] = HEX[raw & 0x0F]
    out = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    position = 0
    for group in UUID_GROUPS:
        width = group.stop - group.start
        out[:, position : position + width] = digits[:, group]
        position += width + 1
    return bytes_to_strings(out)


@generators.register("uuid")
class UUIDGenerator:
    """Random (version 4) UUIDs drawn from the block's generator: deterministic per seed."""

    def __init__(self, ctx: ColumnContext) -> None:
        if ctx.column.length is not None and 0 < ctx.column.length < 36:
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: a UUID needs 36 characters, "
                f"column holds {ctx.column.length}"
            )
        self.name = ctx.column.name
        self.null_fraction = profiled_null_fraction(ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
        return spread(uuid_strings(raw), nulls).alias(self.name)


JSON_SHORT_OBJECT = len('{"k":}')
"""Characters of ``{"k":N}`` around its number: documents too short for the note form."""
JSON_NOTE_FORM = len('{"id":,"note":""}')
"""Characters of ``{"id":N,"note":"words"}`` around its id and words."""


@generators.register("json")
class JSONGenerator:
    """Valid JSON of production's text length, a function of the value id: ``{"id":N,"note":
    "words"}`` when the length holds it, else ``{"k":N}``, ``[N]`` or ``{}`` with as many digits
    as the length leaves (short documents like ``{"a":3}`` and arrays like ``{1,2}`` profile
    at 5-10 characters, which the note form alone could never reach)."""

    def __init__(self, ctx: ColumnContext) -> None:
        self.name = ctx.column.name
        self.null_fraction = profiled_null_fraction(ctx)
        self.knots = length_knots(ctx.column)
        self.bound = max_length(ctx.column)
        self.minimal = self.bound is not None and self.bound < 2  # not even room for {}
        text = word_text(np.random.default_rng(7), 1 << 16)
        longest = int(max(self.knots[-1], 64))
        self.span = longest
        size = longest * 2
        self.pool = pl.Series(
            [(text * (2 + size // len(text)))[i * 97 : i * 97 + size] for i in range(512)]
        )
        stats = ctx.column.stats
        distinct = stats.distinct_count if stats is not None else 0
        grid = grid_size(distinct, expected_non_null_rows(ctx)) if distinct else None
        self.ids = DistinctIds(grid, ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        # A document is a function of its value id, so the distinct count follows production's.
        ordinals = non_null_ordinals(start, nulls, count, self.null_fraction)
        value_ids = self.ids.draw(n, rng, ordinals)
        bits = mix64(value_ids)
        ids = (bits % np.uint64(1_000_000)).astype(np.int64)
        if self.minimal:
            ids = ids % 10 ** max(1, min(6, self.bound or 6))
            values = pl.select(pl.format("{}", pl.Series(ids))).to_series()
            return spread(values, nulls).alias(self.name)
        lengths = draw_lengths(self.knots, id_ranks(value_ids))
        if self.bound is not None:
            lengths = np.minimum(lengths, self.bound)
        head = pl.Series(ids).cast(pl.String)
        overhead = head.str.len_chars().to_numpy().astype(np.int64) + JSON_NOTE_FORM
        note = np.maximum(lengths - overhead, 0)
        entry = ((bits >> np.uint64(20)) % np.uint64(len(self.pool))).astype(np.int64)
        offset = ((bits >> np.uint64(32)) % np.uint64(self.span)).astype(np.int64)
        words = self.pool.gather(entry).str.slice(pl.Series(offset), pl.Series(note))
        # Shorter documents: a number of exactly the digits left, no leading zero.
        in_object = lengths >= JSON_SHORT_OBJECT + 1
        digits = np.clip(np.where(in_object, lengths - JSON_SHORT_OBJECT, lengths - 2), 1, 18)
        floor = np.where(digits > 1, 10 ** (digits - 1), 0).astype(np.uint64)
        width = np.where(digits > 1, 9 * 10 ** (digits - 1), 10).astype(np.uint64)
        number = pl.Series((floor + bits % width).astype(np.int64)).cast(pl.String)
        values = pl.select(
            pl.when(pl.Series(lengths >= overhead))
            .then(pl.concat_str([pl.lit('{"id":'), head, pl.lit(',"note":"'), words, pl.lit('"}')]))
            .when(pl.Series(in_object))
            .then(pl.concat_str([pl.lit('{"k":'), number, pl.lit("}")]))
            .when(pl.Series(lengths >= 3))
            .then(pl.concat_str([pl.lit("["), number, pl.lit("]")]))
            .otherwise(pl.lit("{}"))
        ).to_series()
        return spread(values, nulls).alias(self.name)


@generators.register("binary")
class BinaryGenerator:
    """Random bytes with production's length distribution (within the column's bound)."""

    def __init__(self, ctx: ColumnContext) -> None:
        self.name = ctx.column.name
        self.null_fraction = profiled_null_fraction(ctx)
        self.knots = length_knots(ctx.column)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        lengths = draw_lengths(self.knots, stratified_uniform(rng, n))
        order = np.argsort(lengths, kind="stable")
        ordered = lengths[order]
        parts: list[pl.Series] = []
        # Rows in length order, in groups whose byte matrix stays under GROUP_BYTES: lengths
        # within a power-of-two class share a width, so few rows are padded much.
        classes = np.ceil(np.log2(np.maximum(ordered, 1))).astype(np.int64)
        bounds = np.flatnonzero(np.diff(classes)) + 1
        for begin, end in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True):
            if begin >= end:
                continue
            width = int(ordered[end - 1])
            step = max(1, GROUP_BYTES // max(width, 1))
            for first in range(int(begin), int(end), step):
                last = min(int(end), first + step)
                parts.append(random_bytes(ordered[first:last], int(ordered[last - 1]), rng))
        values = pl.concat(parts) if parts else pl.Series([], dtype=pl.Binary)
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        return spread(values.gather(inverse), nulls).alias(self.name)


GROUP_BYTES = 8 << 20
"""Largest temporary byte matrix made at once for binary values."""


def random_bytes(lengths: np.ndarray, width: int, rng: np.random.Generator) -> pl.Series:
    """Random values of the given lengths (all at most *width*) as a Binary series."""
    if width == 0:
        return pl.Series([b""] * len(lengths), dtype=pl.Binary)
    # Bytes 1..255 only: a trailing NUL would be dropped by the fixed-width conversion.
    matrix = np.frombuffer(rng.bytes(len(lengths) * width), dtype=np.uint8).reshape(-1, width)
    matrix = np.where(np.arange(width)[None, :] < lengths[:, None], matrix | (matrix == 0), 0)
    matrix = matrix.astype(np.uint8, copy=False)
    return pl.Series(np.ascontiguousarray(matrix).view(f"S{width}").ravel())


def luhn_complete(digits: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to each row of a (rows, k) digit matrix."""
    doubled = digits[:, ::-1].copy()
    doubled[:, 0::2] *= 2
    doubled[doubled > 9] -= 9
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return np.concatenate([digits, check[:, None]], axis=1)


def iban_digits(country: str, bban: np.ndarray) -> np.ndarray:
    """IBAN check digits for numeric BBANs (ISO 13616: mod 97 of BBAN + country + "00")."""
    letters = [ord(ch) - 55 for ch in country]  # A=10 ... Z=35
    tail = [d for value in letters for d in divmod(value, 10)] + [0, 0]
    remainder = np.zeros(len(bban), dtype=np.int64)
    for column in range(bban.shape[1]):
        remainder = (remainder * 10 + bban[:, column]) % 97
    for digit in tail:
        remainder = (remainder * 10 + digit) % 97
    check = 98 - remainder
    return np.stack([check // 10, check % 10], axis=1)


def digits_from_ids(ids: np.ndarray, width: int) -> np.ndarray:
    """A (rows, width) digit matrix from non-negative integers (low digits last)."""
    out = np.empty((len(ids), width), dtype=np.int64)
    values = ids.astype(np.uint64)
    for column in range(width - 1, -1, -1):
        out[:, column] = (values % np.uint64(10)).astype(np.int64)
        values = values // np.uint64(10)
    return out


def scatter_ids(rows: np.ndarray, modulus: int, salt: int = 0) -> np.ndarray:
    """A bijection of row numbers onto ``[0, modulus)`` (affine, multiplier coprime with 10):
    distinct rows give distinct digit strings, scattered rather than sequential. *salt* (a
    column's hash) shifts the image, so two unique card or IBAN columns never hold the same."""
    multiplier = 6_364_136_223_846_793 % modulus | 1
    while multiplier % 5 == 0:
        multiplier += 2
    shift = 1_442_695_040_888_963 + int(salt) * 2_654_435_761
    ids = (rows.astype(object) * multiplier + shift) % modulus
    return ids.astype(np.uint64)
