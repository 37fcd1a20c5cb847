"""Variety beyond faker's lists: a pool of real values topped up with made-up words per length.

Faker knows a few hundred first names per locale and a thousand last names; production may hold
tens of thousands of distinct ones, and most of them short. Joining two names (Anna-Lena) adds
variety only at long lengths, so each wanted length whose real values are too few for the run's
distinct count gets *virtual* slots past them: pronounceable made-up words of exactly that length
(``Kelomi``, ``Tavu``), one per slot, built digit by digit in numpy. Value ids map to slots as a
pure function, so the distinct count a grid shows can be computed up front (calibration).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.generate.base import stable_hash
from paritygen.generate.text import LengthPool, bytes_to_strings, draw_lengths

JOINERS: dict[str, str] = {
    "first_name": "-",
    "last_name": "-",
    "city": "-",
    "company": " & ",
}
"""Single-pool kinds that grow past faker's lists by joining two values (Anna-Lena,
Smith-Jones, Neu-Ulm, Smith & Jones): production may hold more distinct names than any locale."""

WORD_KINDS = frozenset({*JOINERS, "username"})
"""Single-pool kinds made one value per id (:class:`VarietyPool`): names, cities, companies and
user names have no structure (house number, digits) that would make them distinct otherwise."""

MAX_POOL = 200_000
"""Most joined pairs built for one column (a few MB of short strings, under a second): past
them, made-up words of the wanted length keep values distinct in bounded memory."""

CONSONANTS = np.frombuffer(b"bcdfghjklmnprstvwxz", dtype=np.uint8)
VOWELS = np.frombuffer(b"aeiouy", dtype=np.uint8)
LETTER_SHARES = 4096
"""Ranks sampled to estimate the share of ids wanting each length."""


def word_capacity(length: int) -> int:
    """Distinct words of *length* letters (consonant, vowel, consonant, ...)."""
    return len(CONSONANTS) ** ((length + 1) // 2) * len(VOWELS) ** (length // 2)


def made_up_words(lengths: np.ndarray, numbers: np.ndarray, capital: bool = True) -> pl.Series:
    """Pronounceable words (capitalised unless *capital* is False): word *numbers[i]* of
    length *lengths[i]*; distinct numbers below a length's capacity give distinct words."""
    n = len(lengths)
    width = int(lengths.max(initial=0))
    if n == 0 or width == 0:
        return pl.Series([""] * n, dtype=pl.String)
    # A bijection of [0, capacity) per length: the prime 7919 is prime to 19, 2 and 3 (the
    # capacities are 19^a 6^b, capped at 2^50 to keep the products exact in 64 bits).
    capacity = [min(word_capacity(length), 1 << 50) for length in range(width + 1)]
    cap = np.asarray(capacity, dtype=np.uint64)[lengths]
    codes = (numbers.astype(np.uint64) * np.uint64(7919) + np.uint64(104729)) % cap
    matrix = np.zeros((n, width), dtype=np.uint8)
    for position in range(width):
        alphabet = CONSONANTS if position % 2 == 0 else VOWELS
        radix = np.uint64(len(alphabet))
        letters = alphabet[(codes % radix).astype(np.int64)]
        matrix[:, position] = np.where(position < lengths, letters, 0)
        codes //= radix
    if capital:
        matrix[:, 0] = np.where(lengths > 0, matrix[:, 0] - 32, 0)  # upper case initial
    return bytes_to_strings(matrix)


PERIOD = 4096
"""Ids are dealt to lengths in periods of this many: each period holds every length at its
profiled share, so an id's length and its number among the ids of that length are exact."""

SLOT_PRIME = 2_147_483_647


class VarietyPool:
    """Value ids -> values of the profiled lengths, one-to-one: no two ids share a value.

    Id i falls at position ``p = i * 2654435761 mod PERIOD`` of a period whose positions carry
    lengths at their profiled shares; it is number ``k = (i // PERIOD) * per_period[L] +
    rank of p among positions of length L`` of its length L. Numbers below the pool's count of
    real values of length L take those (in a scrambled order), the rest take made-up words. A
    grid of G ids then shows exactly as many values as ids, so no calibration is needed.
    """

    def __init__(self, pool: LengthPool, knots: np.ndarray, capital: bool = True) -> None:
        self.pool = pool
        self.capital = capital
        top = int(pool.lengths[-1]) if len(pool) else 0
        top = max(top, int(np.max(knots)) if len(knots) else 0)
        ranks = (np.arange(PERIOD) + 0.5) / PERIOD
        self.length_at = np.clip(draw_lengths(knots, ranks), 0, top)
        self.per_period = np.bincount(self.length_at, minlength=top + 1)
        order = np.argsort(self.length_at, kind="stable")
        first = np.searchsorted(self.length_at[order], self.length_at[order], side="left")
        self.rank_at = np.empty(PERIOD, dtype=np.int64)
        self.rank_at[order] = np.arange(PERIOD) - first
        self.real = np.bincount(pool.lengths, minlength=top + 1)[: top + 1]
        self.real_start = np.searchsorted(pool.lengths, np.arange(top + 1), side="left")

    def __len__(self) -> int:
        return len(self.pool)

    @property
    def values(self) -> pl.Series:
        return self.pool.values

    def lengths_and_numbers(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each id's length and its number among the ids of that length."""
        ids = ids.astype(np.uint64)
        with np.errstate(over="ignore"):
            position = ((ids * np.uint64(2654435761)) % np.uint64(PERIOD)).astype(np.int64)
        length = self.length_at[position]
        period = (ids // np.uint64(PERIOD)).astype(np.int64)
        number = period * self.per_period[length] + self.rank_at[position]
        return length, number

    def values_of(self, ids: np.ndarray) -> pl.Series:
        """The value of each id: a real one while the length has them, then made-up words."""
        return self.value_at(*self.lengths_and_numbers(ids))

    def value_at(self, length: np.ndarray, number: np.ndarray) -> pl.Series:
        """Value *number* among those of *length*: distinct numbers give distinct values."""
        length = np.clip(length, 0, len(self.real) - 1)
        real = self.real[length]
        is_real = number < real
        safe = np.maximum(real, 1).astype(np.uint64)
        with np.errstate(over="ignore"):
            scrambled = ((number.astype(np.uint64) * np.uint64(SLOT_PRIME)) % safe).astype(np.int64)
        index = np.where(is_real, self.real_start[length] + scrambled, 0)
        out = self.pool.values.gather(index)
        made = np.flatnonzero(~is_real)
        if len(made) == 0:
            return out
        words = made_up_words(length[made], number[made] - real[made], self.capital)
        return out.scatter(made, words)


def joined_pairs(values: pl.Series, count: int, joiner: str, seed: int) -> pl.Series:
    """About *count* new values, each two different *values* joined by *joiner*, drawn in one
    vectorised step (seeded: the same seed gives the same pool)."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, stable_hash(joiner), len(values)])
    draws = int(count * 1.1) + 16
    first = rng.integers(0, len(values), draws)
    second = rng.integers(0, len(values), draws)
    keep = first != second
    joined = pl.select(
        pl.concat_str([values.gather(first[keep]), pl.lit(joiner), values.gather(second[keep])])
    ).to_series()
    return joined.unique(maintain_order=True).head(count)
