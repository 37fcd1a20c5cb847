"""Maskers for values without a richer format: a keyed hash, a keyed shape, a keyed
permutation of integers (personal keys remapped consistently in parents and children).

- ``hash``: hexadecimal HMAC text cut to the column (passwords, tokens, opaque identifiers);
- ``shape``: every digit and letter keyed, the layout kept (national IDs, postcodes, codes);
- ``integer_key``: a keyed *bijection* of integers onto integers with the same number of digits
  (a four-round Feistel network on ``[10^(d-1), 10^d)`` with cycle walking): no two inputs
  share an output, so a personal integer key stays a key, its FKs map the same way and no
  collision is ever resolved.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import polars as pl

from paritygen.generate.unique_keys import mix64
from paritygen.mask.keys import MaskKey
from paritygen.mask.maskers.base import (
    MaskColumn,
    Masker,
    ShapedMasker,
    StringMasker,
)
from paritygen.registry import maskers

INT64_MAX = 2**63 - 1
FEISTEL_ROUNDS = 4
"""Rounds of the integer permutation (four make a pseudo-random permutation, Luby-Rackoff)."""


@maskers.register("hash")
class HashMasker(StringMasker):
    """Hexadecimal HMAC of the value (64 characters, cut to the column)."""

    registered_name = "hash"
    purpose = "hash"
    words = 4

    def one(self, value: str, numbers: np.ndarray) -> str:
        del value
        return "".join(f"{int(n):016x}" for n in numbers)


@maskers.register("shape")
class ShapeMasker(ShapedMasker):
    """Keyed digits for digits and letters for letters; ``keep`` leading ones stay."""

    registered_name = "shape"
    purpose = "shape"
    parameters: ClassVar[dict[str, object]] = {"keep": 0}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.keep = self.param_int("keep", 0, 64)

    def keep_of(self, value: str) -> int:
        del value
        return self.keep


@maskers.register("integer_key")
class IntegerKeyMasker(Masker):
    """A keyed permutation of integers that keeps the sign and the number of digits."""

    registered_name = "integer_key"
    purpose = "integer_key"
    accepts = frozenset({"integer"})

    def mask(self, values: pl.Series, key: MaskKey, attempt: int = 0) -> pl.Series:
        ints = values.cast(pl.Int64)
        present = ints.is_not_null().to_numpy()
        raw = ints.fill_null(0).to_numpy()
        negative = raw < 0
        magnitude = np.abs(raw).astype(np.uint64)
        digits = np.where(magnitude == 0, 1, np.floor(np.log10(np.maximum(magnitude, 1))) + 1)
        digits = digits.astype(np.int64)
        # log10 rounding at 10^k boundaries (999999999999999999): fix by comparison
        digits = np.where(magnitude >= _pow10(digits), digits + 1, digits)
        digits = np.where((digits > 1) & (magnitude < _pow10(digits - 1)), digits - 1, digits)
        out = magnitude.copy()
        purpose = self.purpose if attempt == 0 else f"{self.purpose}#{attempt}"
        for d in np.unique(digits[present]):
            rows = np.flatnonzero(present & (digits == d))
            low = 0 if d == 1 else 10 ** (int(d) - 1)
            size = 10 if d == 1 else min(9 * low, INT64_MAX - low)  # 19 digits: stay in int64
            round_keys = key.numbers(purpose, [f"{d}/{r}" for r in range(FEISTEL_ROUNDS)], 1)
            permuted = _permute(magnitude[rows] - np.uint64(low), size, round_keys[:, 0])
            out[rows] = permuted + np.uint64(low)
        signed = np.where(negative, -out.astype(np.int64), out.astype(np.int64))
        result = pl.Series(values.name, signed, dtype=pl.Int64)
        return result.set(pl.Series(~present), None) if not present.all() else result


def _pow10(exponents: np.ndarray) -> np.ndarray:
    capped = np.clip(exponents, 0, 19)
    return np.array([10 ** int(e) if e < 20 else 2**64 - 1 for e in capped], dtype=np.uint64)


def _permute(x: np.ndarray, size: int, round_keys: np.ndarray) -> np.ndarray:
    """A keyed permutation of ``[0, size)`` applied to *x*: Feistel on ``[0, m*m)`` with
    ``m = ceil(sqrt(size))``, re-applied to any result outside the domain (cycle walking)."""
    if size <= 1:
        return x
    m = np.uint64(math.isqrt(size - 1) + 1)
    result = _feistel(x, m, round_keys)
    outside = result >= np.uint64(size)
    while outside.any():
        result[outside] = _feistel(result[outside], m, round_keys)
        outside = result >= np.uint64(size)
    return result


def _feistel(x: np.ndarray, m: np.uint64, round_keys: np.ndarray) -> np.ndarray:
    left, right = x // m, x % m
    for round_key in round_keys:
        left, right = right, (left + mix64(right, int(round_key)) % m) % m
    return left * m + right
