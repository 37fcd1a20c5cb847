"""Which parents an FK's children land on: the target share of each parent row.

DESIGN.md: "An FK column has two shapes to keep: fan-out, and which parents are heavy, seen as
the distribution of the FK's values over the key space" (sales pile up on a few best sellers,
on recent dates, on EUR). The second shape is the child FK column's own statistics in the
profile: its most-common values (non-PII values seen at least k times: *exactly* the shares of
those parents) and its quantiles (the rest, spread over the parents' key values). This module
turns them into a :class:`ValueTarget`, one share per parent row, which
:func:`paritygen.generate.fanout.place_counts` then honours with the fan-out's counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from paritygen.generate.base import BLOCK_ROWS
from paritygen.generate.unique_keys import UniqueKey
from paritygen.profile.model import ColumnStats
from paritygen.profile.values import ORDERED, to_number


@dataclass
class ValueTarget:
    """Where an FK's children should land: a share per parent row, and which shares are exact."""

    mass: np.ndarray
    """Target share of the non-NULL children per parent row (sums to 1); :func:`place_counts`
    consumes it (frees it once read)."""
    pinned: np.ndarray
    """True where the share is a profiled most-common value: that parent gets exactly it."""
    order: np.ndarray | None
    """Parent rows in key-value order (the order the quantiles speak of); None when that is the
    row order (a sequence key), which saves an array of the parents' size."""
    groups: np.ndarray | None = None
    """Composite FKs: the lead column's value group of each parent row. Rows of one group share
    their random draw, so a best seller gets children in every currency and a rarely sold item
    in its main currency only, as in production (independent draws would spread the children
    over too many distinct products)."""
    heaviest: bool = True
    """The pinned parents are the heaviest ones (a single column's most-common values are its
    most frequent parents); False for a composite FK, whose pinned rows (every currency of a
    best seller) can be light too."""


def _group_ids(values: pl.Series) -> np.ndarray:
    """0-based dense ids of equal values, increasing with the value."""
    return values.rank("dense").to_numpy().astype(np.int64) - 1


def column_mass(
    values: pl.Series, stats: ColumnStats | None, logical_type: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Target share per parent row from one FK column's statistics, and the MCV-pinned rows.

    *values* are the referenced column's values for every parent row (equal values share their
    value's mass equally, as in a composite key). Most-common values put their frequency on the
    parents holding them; for ordered columns the quantile CDF spreads the remaining mass over
    the cells between neighbouring parent values; otherwise it is spread evenly. None when the
    statistics say nothing (no MCV, no quantile). A strictly increasing key (a sequence, the
    usual parent) skips the grouping: memory stays at a few arrays of the parents' size.
    """
    if stats is None or (not stats.most_common and not stats.quantiles):
        return None
    ordered = logical_type in ORDERED and len(stats.quantiles) >= 2
    numbers = _numbers(values, logical_type) if logical_type in ORDERED else None
    increasing = numbers is not None and bool(np.all(numbers[1:] > numbers[:-1]))
    if increasing:
        groups, firsts = None, numbers
        sizes = np.ones(values.len())
    else:
        groups = _group_ids(values)
        sizes = np.bincount(groups).astype(np.float64)
        firsts = None
        if numbers is not None:
            firsts = np.zeros(sizes.size)
            firsts[groups] = numbers  # one value per group, ascending with the group id
        del numbers
    mass = np.zeros(sizes.size)  # per group: the pinned shares first
    if stats.most_common:
        wanted = [_as_parent_value(v.value, values.dtype, logical_type) for v in stats.most_common]
        shares = np.asarray([v.frequency for v in stats.most_common], dtype=np.float64)
        if firsts is not None:  # sorted numbers: a binary search per value
            keys = np.asarray(
                [np.nan if w is None else to_number(w, logical_type) for w in wanted], dtype=float
            )
            at = np.clip(np.searchsorted(firsts, keys), 0, max(firsts.size - 1, 0))
            hit = firsts.size > 0 and (firsts[at] == keys)
            mass[at[hit]] = shares[hit]
        else:
            common = pl.DataFrame(
                {"value": wanted, "frequency": shares},
                schema={"value": values.dtype, "frequency": pl.Float64},
            ).drop_nulls()
            found = pl.DataFrame({"value": values, "group": groups}).join(common, on="value")
            mass[found["group"].to_numpy()] = found["frequency"].to_numpy()
    free = mass == 0
    rest = max(0.0, 1.0 - float(mass.sum()))
    if ordered and firsts is not None:
        edges = np.sort([to_number(q, logical_type) for q in stats.quantiles])
        cuts = np.empty(firsts.size + 1)
        cuts[0], cuts[-1] = -np.inf, np.inf
        np.add(firsts[1:], firsts[:-1], out=cuts[1:-1])
        cuts[1:-1] /= 2
        cdf = np.interp(cuts, edges, np.linspace(0.0, 1.0, edges.size), left=0.0, right=1.0)
        del cuts
        spread = np.diff(cdf)
        del cdf
    else:
        spread = sizes.copy()
    spread[~free] = 0.0
    if spread.sum() <= 0 and rest > 0 and free.any():
        spread = np.where(free, sizes, 0.0)
    if spread.sum() > 0:
        spread *= rest / spread.sum()
    mass += spread
    del spread
    total = mass.sum()
    if total <= 0:
        return None
    mass /= total * sizes
    if groups is None:
        return mass, ~free
    return mass[groups], (~free)[groups]


def _as_parent_value(value: object, dtype: pl.DataType, logical_type: str) -> object:
    """A most-common value as the parent series spells it (numbers, dates, strings)."""
    if dtype == pl.String:
        return str(value)
    try:
        number = to_number(value, logical_type)
    except (TypeError, ValueError):
        return None
    if dtype == pl.Date:
        return np.datetime64(int(number), "D").astype(object)
    if dtype == pl.Datetime("us"):
        return np.datetime64(int(round(number * 1_000_000)), "us").astype(object)
    if dtype.is_integer():
        return int(round(number))
    return number


def _numbers(values: pl.Series, logical_type: str) -> np.ndarray:
    """Parent values as the floats of :func:`to_number` (days, epoch seconds, numbers)."""
    if values.dtype == pl.Date:
        return values.cast(pl.Int32).to_numpy().astype(np.float64)
    if values.dtype == pl.Datetime("us"):
        return values.cast(pl.Int64).to_numpy().astype(np.float64) / 1_000_000
    return values.cast(pl.Float64).to_numpy()


def value_target(
    columns: list[tuple[pl.Series, ColumnStats | None, str]],
    position_weights: tuple[float, ...] = (),
    parents: int = 0,
) -> ValueTarget:
    """The target share per parent of an FK from its columns' statistics.

    One column: its :func:`column_mass`. Several (a composite FK): each column's mass is a
    marginal over its values, and the shares are raked (iterative proportional fitting) until
    every marginal holds; the pinned rows are those of the column with the most distinct values
    (the product of (product, currency), not the currency). Without statistics, the profiled
    ``position_weights`` spread the mass by key position, and without those, evenly.
    """
    masses = []
    for values, stats, kind in columns:
        result = column_mass(values, stats, kind)
        if result is not None:
            masses.append((values, *result))
    if parents == 0 and columns:
        parents = columns[0][0].len()
    if not masses:
        mass = position_mass(position_weights, parents)
        return ValueTarget(mass, np.zeros(parents, dtype=bool), None)
    lead_values, mass, pinned = (
        max(masses, key=lambda m: m[0].n_unique()) if len(masses) > 1 else masses[0]
    )
    if len(masses) > 1:
        groups = [_group_ids(values) for values, _, _ in masses]
        wanted = [np.bincount(g, weights=m) for g, (_, m, _) in zip(groups, masses, strict=True)]
        for _ in range(8):
            for group, want in zip(groups, wanted, strict=True):
                have = np.bincount(group, weights=mass, minlength=want.size)
                factor = np.divide(want, have, out=np.zeros_like(want), where=have > 0)
                mass *= factor[group]
        mass /= max(mass.sum(), 1e-300)
    order: np.ndarray | None = None  # a sequence key: value order is row order
    if not lead_values.is_sorted():
        order = lead_values.arg_sort().to_numpy().astype(np.int64)
    groups = _group_ids(lead_values) if len(masses) > 1 else None
    return ValueTarget(mass, pinned, order, groups, heaviest=len(columns) == 1)


def position_mass(position_weights: tuple[float, ...], parents: int) -> np.ndarray:
    """Per-parent mass from the profiled key-position buckets (even without them)."""
    weights = np.asarray(position_weights, dtype=np.float64)
    if parents == 0:
        return np.zeros(0)
    if weights.size == 0 or weights.sum() <= 0:
        return np.full(parents, 1.0 / parents)
    bucket = (np.arange(parents, dtype=np.int64) * weights.size) // parents
    sizes = np.bincount(bucket, minlength=weights.size).astype(np.float64)
    per = np.divide(weights / weights.sum(), sizes, out=np.zeros(weights.size), where=sizes > 0)
    return per[bucket]


def unique_target(
    key: UniqueKey, stats: ColumnStats | None, parents: int, weights: tuple[float, ...]
) -> ValueTarget:
    """Target shares over a parent with unordered unique keys (natural codes, UUIDs): the most-
    common values pin their parents; the rest follows the key positions (or is even), without
    materialising every parent's key."""
    mass = position_mass(weights, parents)
    pinned = np.zeros(parents, dtype=bool)
    if stats is not None and stats.most_common and parents:
        rows = key.index_of([v.value for v in stats.most_common])
        share = np.asarray([v.frequency for v in stats.most_common], dtype=np.float64)
        hit = (rows >= 0) & (rows < parents)
        rows, share = rows[hit], share[hit]
        pinned[rows] = True
        mass = np.where(pinned, 0.0, mass)
        rest = max(0.0, 1.0 - float(share.sum()))
        if mass.sum() > 0:
            mass *= rest / mass.sum()
        np.add.at(mass, rows, share)
    return ValueTarget(mass, pinned, np.arange(parents, dtype=np.int64))


def stretched_quantiles(
    key: UniqueKey, quantiles: tuple, parent_quantiles: tuple, parents: int
) -> list[float]:
    """The FK's quantiles moved onto the planned parents' keys by rank: a value at production
    rank r among the parent's keys (the parent key column's own quantiles say which rank)
    becomes the planned key at rank r. At ``--scale 3`` the children then spread over the whole
    scaled key range with production's "which parents are heavy" shape, not only over the
    original range (118 of 177 customers childless)."""
    kind = key.kind
    values = np.sort([to_number(q, kind) for q in quantiles])
    grid = np.sort([to_number(q, kind) for q in parent_quantiles])
    ranks = np.interp(values, grid, np.linspace(0.0, 1.0, grid.size))
    position = ranks * max(parents - 1, 0)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, max(parents - 1, 0))
    low_key, high_key = key.numbers(low), key.numbers(high)
    return list(low_key + (high_key - low_key) * (position - low))


def sequence_target(
    key: UniqueKey,
    stats: ColumnStats | None,
    parents: int,
    weights: tuple[float, ...],
    stretch_from: tuple | None = None,
) -> ValueTarget:
    """Target shares over a parent whose key is a sequence (ids, dates), block by block: the
    most-common values pin their parents, the FK column's quantile CDF spreads the rest over
    the cells between neighbouring keys. Memory: the shares plus one block, whatever the
    parents' size (a 10 M-row parent costs two arrays, not ten).

    *stretch_from*: the parent key's production quantiles when the parent's row count differs
    from production's (``--scale``): the FK's quantiles are moved by rank onto the planned keys
    (:func:`stretched_quantiles`) and nothing is pinned (a pinned parent would keep
    production's share of children while its siblings multiplied)."""
    quantiles = stats.quantiles if stats is not None else ()
    if stats is None or (not stats.most_common and len(quantiles) < 2):
        return ValueTarget(position_mass(weights, parents), np.zeros(parents, dtype=bool), None)
    if stretch_from is not None:
        if len(quantiles) < 2 or len(stretch_from) < 2 or parents == 0:
            return ValueTarget(position_mass(weights, parents), np.zeros(parents, dtype=bool), None)
        quantiles = tuple(stretched_quantiles(key, quantiles, stretch_from, parents))
        stats = None
    kind = key.kind
    mass = np.zeros(parents)
    pinned = np.zeros(parents, dtype=bool)
    if stats is not None and stats.most_common:
        wanted = np.asarray([to_number(v.value, kind) for v in stats.most_common])
        rows = key.locate(wanted)
        hit = rows >= 0
        shares = np.asarray([v.frequency for v in stats.most_common])
        mass[rows[hit]] = shares[hit]
        pinned[rows[hit]] = True
    rest = max(0.0, 1.0 - float(mass.sum()))
    if len(quantiles) >= 2 and rest > 0:
        edges = np.sort([q if stretch_from else to_number(q, kind) for q in quantiles])
        ranks = np.linspace(0.0, 1.0, edges.size)
        spread = np.zeros(parents)
        for start in range(0, parents, BLOCK_ROWS):
            end = min(start + BLOCK_ROWS, parents)
            low, high = max(start - 1, 0), min(end + 1, parents)
            numbers = key.numbers(np.arange(low, high, dtype=np.int64))
            cuts = np.concatenate([[-np.inf] if start == 0 else [],
                                   (numbers[1:] + numbers[:-1]) / 2,
                                   [np.inf] if end == parents else []])  # fmt: skip
            spread[start:end] = np.diff(np.interp(cuts, edges, ranks, left=0.0, right=1.0))
        spread[pinned] = 0.0
        if spread.sum() <= 0:
            spread[~pinned] = 1.0
        if spread.sum() > 0:  # every parent pinned: the shares are all there is
            mass += spread * (rest / spread.sum())
    elif rest > 0 and not pinned.all():
        mass[~pinned] = rest / (parents - int(pinned.sum()))
    return ValueTarget(mass / max(mass.sum(), 1e-300), pinned, None)
