"""String lengths: the profiled length distribution, the column's bounds, length-indexed pools.

Every string generator draws lengths here: equi-depth knots from the profiled length quantiles
(clipped to the column's declared length), an inverse CDF cached per knot set, the bounds the
column's ``length(...)`` CHECKs allow, and :class:`LengthPool`, which picks pool values at a
wanted length (the nearest one the pool has) by slot arithmetic, without a per-row loop.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.generate.base import ColumnContext, InverseCDF, quantile_probabilities
from paritygen.profile.model import Column

DEFAULT_TEXT_LENGTHS = (0, 200)
"""Length range for a text column with no statistics."""


def max_length(column: Column) -> int | None:
    """The column's declared length bound (None: unbounded text)."""
    return column.length if column.length else None


def length_knots(column: Column) -> np.ndarray:
    """Knots of the length distribution (equi-depth), within the column's bound."""
    stats = column.stats
    bound = max_length(column)
    if stats is not None and stats.length is not None:
        lengths = stats.length
        knots = np.array(lengths.quantiles or (lengths.min, lengths.max), dtype=np.float64)
    else:
        top = min(bound or 20, 20) if column.logical_type == "string" else DEFAULT_TEXT_LENGTHS[1]
        knots = np.array([1.0 if top else 0.0, float(top)])
    if bound is not None:
        knots = np.minimum(knots, bound)
    return np.maximum.accumulate(np.maximum(knots, 0.0))


def atom_lengths(column: Column) -> tuple[np.ndarray, np.ndarray]:
    """Lengths and shares of the column's most-common values (taken out of the residual)."""
    stats = column.stats
    items = stats.most_common if stats is not None else ()
    lengths = np.array([len(str(item.value)) for item in items], dtype=np.float64)
    return lengths, np.array([item.frequency for item in items], dtype=np.float64)


def checked_lengths(ctx: ColumnContext) -> tuple[int, int | None]:
    """(shortest, longest) lengths the column allows: its declared length and its CHECKs on
    ``length(column)``, so generated text meets them up front (apply_checks is the net)."""
    from paritygen.generate.checks import LengthCheck, parse_checks

    shortest, longest = 0, max_length(ctx.column)
    for rule in parse_checks(ctx.table):
        if not isinstance(rule, LengthCheck) or rule.column != ctx.column.name:
            continue
        if rule.op in (">=", "=", ">"):
            shortest = max(shortest, rule.value + (rule.op == ">"))
        if rule.op in ("<=", "=", "<"):
            top = rule.value - (rule.op == "<")
            longest = top if longest is None else min(longest, top)
    return shortest, longest


def draw_lengths(knots: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Lengths at ranks *u*: inverse CDF over the knots, rounded to whole characters."""
    return np.rint(length_inverse(knots)(u)).astype(np.int64)


_LENGTH_INVERSES: dict[bytes, InverseCDF] = {}
"""Inverse CDFs by their knots: building one costs more than drawing a block's lengths, and
generators call :func:`draw_lengths` per block (a residual several times) with fixed knots."""


def length_inverse(knots: np.ndarray) -> InverseCDF:
    """The (cached, read-only) inverse CDF of a length distribution's equi-depth *knots*."""
    knots = np.asarray(knots, dtype=np.float64)
    key = knots.tobytes()
    inverse = _LENGTH_INVERSES.get(key)
    if inverse is None:
        if len(_LENGTH_INVERSES) >= 1024:
            _LENGTH_INVERSES.clear()
        inverse = InverseCDF(quantile_probabilities(len(knots)), knots)
        _LENGTH_INVERSES[key] = inverse
    return inverse


def place_within_length(knots: np.ndarray, ranks: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each id's place in [0, 1) among the ranks that round to its length: with evenly spread
    ranks (:func:`~paritygen.generate.base.id_ranks`) the ids of one length are evenly spread
    there too, a function of the id alone (the same in every block)."""
    knots = np.asarray(knots, dtype=np.float64)
    probabilities = quantile_probabilities(len(knots))
    low = np.interp(lengths - 0.5, knots, probabilities)
    high = np.interp(lengths + 0.5, knots, probabilities)
    place = (ranks - low) / np.maximum(high - low, 1e-12)
    return np.clip(place, 0.0, 1.0 - 1e-12)


def length_share(knots: np.ndarray, length: int) -> float:
    """The share of values whose drawn length (rounded) is *length*."""
    knots = np.asarray(knots, dtype=np.float64)
    probabilities = quantile_probabilities(len(knots))
    low, high = np.interp([length - 0.5, length + 0.5], knots, probabilities)
    return float(high - low)


SLOT_PRIME = np.uint64(2_147_483_647)
"""Multiplier spreading consecutive slots over a pool (a prime: coprime with every size)."""


class LengthPool:
    """Pool values sorted by length, picked at a wanted length (the nearest one available)."""

    def __init__(self, values: pl.Series) -> None:
        values = values.unique().sort()
        lengths = values.str.len_chars().to_numpy().astype(np.int64)
        order = np.argsort(lengths, kind="stable")
        self.values = values.gather(order)
        self.lengths = lengths[order]
        self.available = np.unique(self.lengths)
        self.top = int(self.available[-1]) + 64
        targets = np.arange(self.top + 1)
        right = np.clip(np.searchsorted(self.available, targets), 0, len(self.available) - 1)
        left = np.clip(right - 1, 0, len(self.available) - 1)
        use_left = np.abs(self.available[left] - targets) < np.abs(self.available[right] - targets)
        self.nearest = np.where(use_left, self.available[left], self.available[right])
        self.start = np.searchsorted(self.lengths, self.nearest, side="left")
        self.count = np.searchsorted(self.lengths, self.nearest, side="right") - self.start

    def __len__(self) -> int:
        return len(self.values)

    def gather(self, index: np.ndarray) -> pl.Series:
        """The values at pool positions *index*."""
        return self.values.gather(index)

    def any(self, bits: np.ndarray) -> pl.Series:
        """A value per id, whatever its length."""
        return self.values.gather(self.any_index(bits))

    def any_index(self, slots: np.ndarray) -> np.ndarray:
        """Pool positions for slot numbers: distinct slots below the pool size never share."""
        return ((slots * SLOT_PRIME) % np.uint64(len(self.values))).astype(np.int64)

    def pick(self, wanted: np.ndarray, bits: np.ndarray) -> pl.Series:
        """A value per id, of the wanted length or the nearest length the pool has."""
        return self.values.gather(self.pick_index(wanted, bits))

    def pick_index(
        self, wanted: np.ndarray, slots: np.ndarray, within: np.ndarray | None = None
    ) -> np.ndarray:
        """Positions of the wanted length; distinct slots below the bucket size never share.
        With *within* (each id's place in [0, 1) among the ids wanting its length, see
        :func:`place_within_length`) the ids of one length spread evenly over its bucket, so
        as many of them as the bucket holds get distinct values, whatever their slots."""
        wanted = np.clip(wanted, 0, self.top)
        count = self.count[wanted]
        if within is not None:
            offset = np.minimum((within * count).astype(np.int64), count - 1)
            return self.start[wanted] + offset
        return self.start[wanted] + ((slots * SLOT_PRIME) % count.astype(np.uint64)).astype(
            np.int64
        )

    def misses(self, knots: np.ndarray) -> float:
        """Share of the profiled length distribution the pool cannot hit exactly."""
        wanted = np.clip(draw_lengths(knots, (np.arange(1000) + 0.5) / 1000), 0, self.top)
        return float(np.mean(self.nearest[wanted] != wanted))
