"""Ordered and discrete value models: quantiles, categories, fixed values, constants, booleans.

The quantile model covers integer, float, decimal, date, datetime and time columns: inverse-CDF
sampling of the profile's equi-depth histogram, interpolated inside buckets, with the most-common
values as atoms at their measured shares and the residual CDF (the histogram minus the atoms)
for the rest, so both the frequencies and the KS distance hold. Values are rounded to the
column's resolution, kept inside type limits, min/max and single-column CHECK ranges, and drawn
on a grid sized to production's distinct count.
"""

from __future__ import annotations

import decimal
import functools
import math

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate import temporal
from paritygen.generate.base import (
    POLARS_TYPES,
    ColumnContext,
    InverseCDF,
    NumberSet,
    ShareTable,
    expected_non_null_rows,
    expected_seen,
    grid_size,
    non_null_rows,
    null_mask,
    profiled_null_fraction,
    quantile_probabilities,
    residual_ranks,
    snap_to_grid,
    spread,
    stratified_uniform,
)
from paritygen.generate.checks import RangeCheck, column_rules, parse_checks
from paritygen.profile.model import Column
from paritygen.profile.values import TEMPORAL, to_number
from paritygen.registry import generators

INTEGER_LIMITS: tuple[tuple[str, int], ...] = (
    ("tinyint", 7),
    ("smallint", 15),
    ("mediumint", 23),
    ("bigint", 63),
    ("int", 31),
    ("serial", 31),
)
"""Signed bit widths by SQL type name (first match wins, so ``bigint`` precedes ``int``)."""

SAFE_INTEGER = float(2**53)
"""Largest integer a float64 draw represents exactly."""


def integer_limits(column: Column) -> tuple[float, float]:
    """The range an integer column's SQL type can hold (unsigned doubles the top)."""
    sql = column.sql_type.lower()
    bits = next((width for name, width in INTEGER_LIMITS if name in sql), 63)
    if sql.startswith("tinyint(1)") or column.sql_type.lower() == "boolean":
        bits = 7
    if column.unsigned:
        return 0.0, min(float(2 ** (bits + 1) - 1), SAFE_INTEGER)
    return max(-float(2**bits), -SAFE_INTEGER), min(float(2**bits - 1), SAFE_INTEGER)


def decimal_scale(column: Column) -> int | None:
    """Decimal places to round to: the declared scale, else the largest seen (floats)."""
    if column.logical_type == "decimal":
        if column.scale is not None:
            return column.scale
        stats = column.stats
        return stats.max_scale if stats is not None and stats.max_scale is not None else 2
    stats = column.stats
    if stats is not None and stats.max_scale is not None and stats.max_scale <= 6:
        return stats.max_scale
    return None


def type_limits(column: Column) -> tuple[float, float]:
    """The widest range the column's type allows (never exceeding precision for decimals)."""
    kind = column.logical_type
    if kind == "integer":
        return integer_limits(column)
    if kind == "decimal" and column.precision:
        scale = column.scale or 0
        top = 10.0 ** (column.precision - scale) - 10.0 ** (-scale)
        return (0.0 if column.unsigned else -top), top
    if kind == "time":
        return 0.0, temporal.SECONDS_PER_DAY - 1e-6
    if kind in ("date", "datetime"):
        return to_number("0001-01-01", kind), to_number("9999-12-31", kind)
    return (0.0 if column.unsigned else -math.inf), math.inf


def literal_number(value: object, kind: str) -> float | None:
    """A CHECK literal as a model number (None when it cannot be one)."""
    try:
        if kind in TEMPORAL:
            return to_number(value, kind)
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


EXACT_GRID_LIMIT = 1 << 20
"""Grids up to this size are calibrated point by point; larger ones per inverse-CDF segment
(see :meth:`OrderedModel._expected_by_segment`), which keeps set-up time and memory flat."""

CELL_COUNT_LIMIT = 1 << 20
"""Columns with at most this many values at their resolution between their bounds count grid
points per value from rounding boundaries (:func:`cells_by_boundary`)."""

CELL_COUNT_MIN = 1 << 12
"""Below this many values, boundaries are counted whatever the grid (cheaper than points)."""

GRID_CEILING = 1 << 40
"""Finest grid the calibration tries: beyond it draws never repeat a grid point."""


class OrderedModel:
    """The numbers of an ordered column: atoms, residual inverse CDF, bounds, rounding, grid."""

    def __init__(self, ctx: ColumnContext) -> None:
        column = ctx.column
        stats = column.stats
        self.kind = column.logical_type
        kind = self.kind
        low, high = type_limits(column)
        if stats is not None and stats.min is not None:
            low = max(low, to_number(stats.min, kind))
        if stats is not None and stats.max is not None:
            high = min(high, to_number(stats.max, kind))
        self.scale = decimal_scale(column) if kind in ("decimal", "float") else None
        edges = self._edges(ctx, low, high)
        if kind in TEMPORAL:
            self.step = temporal.resolution(kind, edges)
        elif kind == "integer":
            self.step = 1.0
        elif self.scale is not None:
            self.step = 10.0 ** (-self.scale)
        else:
            self.step = 0.0
        low, high = self._check_bounds(ctx, low, high)
        if low > high:
            raise ConfigError(
                f"{ctx.table.name}.{column.name}: CHECK bounds leave no value "
                f"between {low} and {high}"
            )
        self.low, self.high = low, high
        edges = np.clip(edges, low, high)
        self.edges = np.maximum.accumulate(edges)
        self.probabilities = quantile_probabilities(len(self.edges))
        if stats is None or not stats.most_common:
            self.edges, self.probabilities = spread_ties(self.edges, self.probabilities)
        self._atoms(stats, ctx)
        self._residual_cdf()
        distinct = stats.distinct_count if stats is not None else 0
        residual_distinct = distinct - len(self.atom_values)
        draws = expected_non_null_rows(ctx) * self.residual_share
        self.grid = grid_size(residual_distinct, draws) if residual_distinct > 0 else None
        if self.grid is not None and self.step:
            self.grid = self._calibrate_grid(residual_distinct, draws)

    def _calibrate_grid(self, distinct: int, draws: float) -> int | None:
        """A grid size that still shows ``distinct`` values *after* rounding to the column's
        resolution (rounding merges neighbouring grid points where the histogram is dense)."""

        atoms = np.rint(self.atom_values / self.step)
        values = self._resolution_values()
        boundaries: list[tuple[np.ndarray, np.ndarray]] = []  # made on first use, then kept

        @functools.lru_cache(maxsize=64)
        def expected(grid: int) -> float:
            if values is not None and values <= max(grid, CELL_COUNT_MIN):
                if not boundaries:
                    boundaries.append(self._boundary_ranks(values, atoms))
                cells, kept = cells_by_boundary(grid, *boundaries[0])
            elif grid > EXACT_GRID_LIMIT:
                return self._expected_by_segment(grid, draws, atoms)
            else:
                cells, kept = self._cells_by_point(grid, atoms)
            if len(atoms):
                # Draws landing on a most-common value are drawn again (``residual``): those
                # cells show no residual value, and the others share their draws.
                cells = cells[kept]
                if not len(cells):
                    return 0.0
                return expected_seen(cells, int(cells.sum()), draws)
            return expected_seen(cells, grid, draws)

        low = self.grid
        if expected(low) >= distinct * 0.98:
            return low
        # Where the doubling below would end: when even that grid shows too few values (the
        # resolution, not the grid, caps the distinct count), no finer grid is worth trying.
        top = low << max(0, math.ceil(math.log2(GRID_CEILING / low)))
        if expected(top) < distinct:
            return top
        high = low
        while expected(high) < distinct and high < GRID_CEILING:
            high *= 2
        if expected(high) < distinct:
            return high
        while high - low > max(1, low // 50):  # 2 % is ample for a 10 % bar
            mid = (low + high) // 2
            if expected(mid) < distinct:
                low = mid
            else:
                high = mid
        return high

    def _resolution_values(self) -> int | None:
        """How many values the column's resolution allows between its bounds (None: too many
        to list, or no finite bounds)."""
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return None
        count = round(self.high / self.step) - round(self.low / self.step) + 1
        return count if count <= CELL_COUNT_LIMIT else None

    def _cells_by_point(self, grid: int, atoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid points per rounded value, every point evaluated (the values' runs: the inverse
        CDF is monotone, so equal values are neighbours), and which values are not atoms."""
        numbers = self.round(self.inverse((np.arange(grid) + 0.5) / grid))
        values = np.rint(numbers / self.step)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
        cells = np.diff(np.concatenate([starts, [grid]]))
        return cells, ~np.isin(values[starts], atoms)

    def _boundary_ranks(self, values: int, atoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inverse CDF's rank at each rounding boundary between the column's *values*
        values (a 1-10 rating, dates over a few years), and which values are not atoms: what
        :func:`cells_by_boundary` counts grid points from, whatever the grid."""
        first = round(self.low / self.step)
        numbers = (first + np.arange(values - 1) + 0.5) * self.step  # boundaries between values
        table = self.inverse.table
        knots = len(table) - 1
        k = np.searchsorted(table, numbers, side="left")  # table entries below each boundary
        inner = np.clip(k, 1, knots)
        below, above = table[inner - 1], table[inner]
        width = np.where(above > below, above - below, 1.0)
        rank = (inner - 1 + np.clip((numbers - below) / width, 0.0, 1.0)) / knots
        rank = np.where(k == 0, 0.0, np.where(k > knots, 1.0, rank))
        not_atom = np.ones(values, dtype=bool)
        if len(atoms):
            not_atom = ~np.isin(first + np.arange(values), atoms)
        return rank, not_atom

    def _expected_by_segment(self, grid: int, draws: float, atoms: np.ndarray) -> float:
        """:func:`expected` for large grids without materialising them: inside one segment of
        the inverse CDF's table the grid points spread evenly over the rounded values it
        crosses, so each value's cell holds ``max(1, points / values)`` grid points. Exact in
        the limit of many points per segment, which is the only case this path serves (a
        near-unique timestamp over 10 M rows would otherwise need a 160 M-point array)."""
        table = np.rint(self.round(self.inverse.table) / self.step)
        points = grid * np.diff(np.linspace(0.0, 1.0, len(table)))
        span = np.abs(np.diff(table))
        crossing = span > 0
        cell = np.maximum(1.0, points[crossing] / span[crossing])
        count = points[crossing] / cell
        # Segments that stay on one value pile their points onto it: one cell per value.
        _, run = np.unique(table[:-1][~crossing], return_inverse=True)
        piles = np.bincount(run, weights=points[~crossing]) if run.size else np.zeros(0)
        total = float(grid)
        if len(atoms):  # an atom's cell shows no residual value (it is drawn again)
            at = np.clip(np.searchsorted(table[:-1][crossing], atoms) - 1, 0, max(len(cell) - 1, 0))
            if len(cell):
                total -= float(cell[at].sum())
                np.subtract.at(count, at, np.minimum(count[at], 1.0))
        if total <= 0:
            return 0.0
        cells = np.concatenate([cell, piles])
        weights = np.concatenate([count, np.ones(len(piles))])
        share = cells / total
        partial = share < 1.0
        seen = np.ones_like(share)
        seen[partial] = -np.expm1(draws * np.log1p(-share[partial]))
        return float(np.sum(weights * seen))

    def _edges(self, ctx: ColumnContext, low: float, high: float) -> np.ndarray:
        stats = ctx.column.stats
        kind = self.kind
        if stats is not None and len(stats.quantiles) >= 2:
            return np.array([to_number(q, kind) for q in stats.quantiles], dtype=np.float64)
        if stats is not None and stats.min is not None and stats.max is not None:
            return np.array([low, high], dtype=np.float64)
        if kind in TEMPORAL:
            start, end = temporal.default_range(kind)
        else:
            start, end = 0.0, 1000.0
        start, end = max(start, low), min(end, high)
        if start > end:
            start = end = low if math.isfinite(low) else high
        return np.array([start, end], dtype=np.float64)

    def _check_bounds(self, ctx: ColumnContext, low: float, high: float) -> tuple[float, float]:
        """Tighten (low, high) with the column's CHECK ranges, strict ones by one step."""
        step = self.step
        float_step = 1e-6  # relative: a strict bound must survive single precision
        for rule in column_rules(parse_checks(ctx.table), ctx.column.name):
            if not isinstance(rule, RangeCheck):
                continue
            value = literal_number(rule.value, self.kind)
            if value is None:
                continue
            if rule.op in (">=", "="):
                low = max(low, value)
            if rule.op in ("<=", "="):
                high = min(high, value)
            move = step or max(abs(value), 1.0) * float_step
            if rule.op == ">":
                low = max(low, value + move)
            if rule.op == "<":
                high = min(high, value - move)
        if self.step:
            if low == high:  # a constant column: its one value, at the column's resolution
                low = high = round(low / self.step) * self.step
            else:
                low = snap_bound(low, self.step, math.ceil)
                high = snap_bound(high, self.step, math.floor)
        return low, high

    def _atoms(self, stats, ctx: ColumnContext) -> None:
        values: list[float] = []
        shares: list[float] = []
        if stats is not None and not ctx.unique:
            for item in stats.most_common:
                number = literal_number(item.value, self.kind)
                if number is not None and self.low <= number <= self.high:
                    values.append(number)
                    shares.append(item.frequency)
        self.atom_values = np.array(values, dtype=np.float64)
        total = float(sum(shares))
        distinct = stats.distinct_count if stats is not None else 0
        if values and (total >= 0.999 or (distinct and distinct <= len(values))):
            self.atom_shares = np.array(shares) / total
            self.residual_share = 0.0
        else:
            self.atom_shares = np.array(shares, dtype=np.float64)
            self.residual_share = max(0.0, 1.0 - total)
        self.atom_cumulative = np.cumsum(self.atom_shares)
        self.atom_table = ShareTable(self.atom_cumulative) if values else None
        # Residual draws are kept off the atoms where values are discrete (see residual).
        self.atom_set = NumberSet(self.atom_values) if values and self.step else None

    def _residual_cdf(self) -> None:
        """The histogram's CDF with the atoms' mass taken out, as knots for inverse sampling."""
        self.residual_ranks = residual_ranks(
            self.probabilities, self.edges, self.atom_values, self.atom_shares
        )
        self.inverse = InverseCDF(self.residual_ranks, self.edges)

    def round(self, numbers: np.ndarray) -> np.ndarray:
        """Numbers at the column's resolution, inside its bounds."""
        if self.step:
            numbers = np.round(numbers / self.step) * self.step
            if self.scale is not None:
                numbers = np.round(numbers, self.scale)
        return np.clip(numbers, self.low, self.high)

    def residual(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """*n* values from the residual CDF, kept off the atom values where it is discrete."""
        # A grid is sized for independent draws (its distinct count assumes repeats); without
        # one, stratified draws follow the histogram as closely as n allows.
        u = snap_to_grid(rng.random(n), self.grid) if self.grid else stratified_uniform(rng, n)
        numbers = self.round(self.inverse(u))
        if self.atom_set is not None:
            for _ in range(3):
                clash = np.flatnonzero(self.atom_set.contains(numbers))
                if len(clash) == 0:
                    break
                u = snap_to_grid(rng.random(len(clash)), self.grid)
                numbers[clash] = self.round(self.inverse(u))
        return numbers

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """*n* values: atoms at their shares, the residual model for the rest."""
        if len(self.atom_values) == 0:
            return self.residual(n, rng)
        assert self.atom_table is not None  # built with the atoms
        choice = self.atom_table.choose(stratified_uniform(rng, n))
        out = self.atom_values[np.minimum(choice, len(self.atom_values) - 1)]
        rest = np.flatnonzero(choice >= len(self.atom_values))
        if len(rest):
            out[rest] = self.residual(len(rest), rng)
        return out


def cells_by_boundary(
    grid: int, rank: np.ndarray, not_atom: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`OrderedModel._cells_by_point` in O(values) for a grid with more points than the
    column has values: the points below each rounding boundary (its *rank*, from
    :meth:`OrderedModel._boundary_ranks`), so set-up does not grow with the grid."""
    points = np.clip(np.ceil(rank * grid - 0.5), 0, grid).astype(np.int64)
    cells = np.diff(np.concatenate([[0], points, [grid]]))
    seen = cells > 0
    return cells[seen], not_atom[seen]


def snap_bound(bound: float, step: float, direction) -> float:
    """*bound* moved onto the ``step`` grid by *direction* (``math.ceil`` or ``math.floor``).

    A bound already on the grid up to float error stays put: microsecond timestamps at epoch
    magnitudes (1.8e15 steps) carry a quarter of a step of division error, which a fixed
    tolerance misses, so one that scales with the float spacing decides what "on the grid" is.
    """
    if not math.isfinite(bound):
        return bound
    units = bound / step
    nearest = round(units)
    if abs(units - nearest) <= max(1e-9, 4.0 * float(np.spacing(abs(units)))):
        return nearest * step
    return direction(units) * step


def spread_ties(edges: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal histogram edges with no most-common value behind them, made one knot each.

    Repeated edges mean a value holding whole percents of the rows; without a most-common
    value to say so, they come from a coarsened profile (PII birth dates kept to the year:
    1950-01-01, 1950-01-01, 1951-01-01): the mass belongs to the whole step, so each run of
    equal edges becomes one knot at its middle rank and the values spread between knots.
    """
    values, first, counts = np.unique(edges, return_index=True, return_counts=True)
    if len(values) == len(edges) or len(values) < 2:
        return edges, ranks
    middle = np.array([ranks[i : i + c].mean() for i, c in zip(first, counts, strict=True)])
    middle[0], middle[-1] = 0.0, 1.0
    return values, middle


def numbers_to_series(numbers: np.ndarray, kind: str, name: str = "") -> pl.Series:
    """Model numbers typed per the chunk contract."""
    if kind in TEMPORAL:
        return temporal.to_series(numbers, kind, name)
    if kind == "integer":
        return pl.Series(name, np.rint(numbers).astype(np.int64))
    return pl.Series(name, numbers.astype(np.float64))


@generators.register("quantile")
class QuantileGenerator:
    """Numeric, decimal and temporal values following the profile's quantile histogram."""

    def __init__(self, ctx: ColumnContext) -> None:
        if ctx.column.logical_type not in POLARS_TYPES or ctx.column.logical_type not in (
            "integer",
            "float",
            "decimal",
            *TEMPORAL,
        ):
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: generator 'quantile' needs a numeric or "
                f"temporal column, not {ctx.column.logical_type}"
            )
        self.name = ctx.column.name
        self.model = OrderedModel(ctx)
        self.null_fraction = profiled_null_fraction(ctx)
        self.wide = WideDecimals(ctx.column) if WideDecimals.applies(ctx.column) else None
        self.unique: UniqueRanks | PermutedQuantiles | None = None
        if ctx.unique:
            self.unique = UniqueRanks(ctx, self.model)
        elif every_value_distinct(ctx):
            self.unique = PermutedQuantiles(ctx, self.model)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        if self.unique is not None:
            numbers = self.unique.values(non_null_rows(start, nulls, count))
        else:
            numbers = self.model.draw(n, rng)
        if self.wide is not None:
            return spread(self.wide.text(numbers, rng), nulls).alias(self.name)
        values = numbers_to_series(numbers, self.model.kind, self.name)
        return spread(values, nulls).alias(self.name)


FLOAT_DIGITS = 15
"""Significant digits a float carries exactly; wider decimals get their last digits drawn."""


class WideDecimals:
    """Decimals wider than a float (``numeric(38,10)``) as exact text, never a float round trip.

    Production's exact min and max (profiled in SQL) bound the values in integer units of the
    scale (Python integers, any width); the model's float only says *where* between them a
    value falls (its rank, 53 bits), the digits below that resolution are drawn, so values stay
    distinct where production's are. Where the float cannot tell production's values apart at
    all (1,000 values within one float step), the place is uniform between min and max. The
    text travels as it is: every bulk path hands it to the database to parse."""

    def __init__(self, column: Column) -> None:
        stats = column.stats
        self.scale = column.scale if column.scale is not None else (
            stats.max_scale if stats is not None and stats.max_scale is not None else 0
        )  # fmt: skip
        self.bounds: tuple[int, int] | None = None
        if stats is not None and stats.min is not None and stats.max is not None:
            unit = decimal.Decimal(10) ** self.scale
            low = int(decimal.Decimal(str(stats.min)) * unit)
            high = int(decimal.Decimal(str(stats.max)) * unit)
            self.bounds = (min(low, high), max(low, high))
            self.float_bounds = (float(stats.min), float(stats.max))

    @staticmethod
    def width(column: Column) -> int:
        """Digits the values carry: the widest production held (integer digits + the scale),
        else the declared precision."""
        stats = column.stats
        scale = column.scale if column.scale is not None else None
        if stats is not None and stats.max_integer_digits is not None:
            used = stats.max_integer_digits + (scale if scale is not None else stats.max_scale or 0)
            return min(used, column.precision) if column.precision else used
        return int(column.precision or 0)

    @classmethod
    def applies(cls, column: Column) -> bool:
        return column.logical_type == "decimal" and cls.width(column) > FLOAT_DIGITS

    def text(self, numbers: np.ndarray, rng: np.random.Generator) -> pl.Series:
        n = len(numbers)
        if self.bounds is None:  # no exact bounds: the float, written at the scale
            return pl.Series([f"{x:.{self.scale}f}" for x in numbers], dtype=pl.String)
        low, high = self.bounds
        span = high - low
        f_low, f_high = self.float_bounds
        if f_high - f_low > 4 * np.spacing(max(abs(f_low), abs(f_high), 1.0)):
            ranks = np.clip((numbers - f_low) / (f_high - f_low), 0.0, 1.0)
        else:  # production's values lie within a few float steps: spread them evenly
            ranks = rng.random(n)
        coarse = (ranks * RANK_STEPS).astype(np.int64).astype(object)
        below = span // RANK_STEPS + 1  # what one rank step holds: drawn
        if below < (1 << 62):
            fine = rng.integers(0, below, n).astype(object)
        else:
            fine = np.array([int(x) * below >> 62 for x in rng.integers(0, 1 << 62, n)], object)
        units = (
            low + min(c * span // RANK_STEPS + f, span) for c, f in zip(coarse, fine, strict=True)
        )
        return pl.Series([_units_text(u, self.scale) for u in units], dtype=pl.String)


RANK_STEPS = 1 << 53
"""Places a float rank tells apart between min and max (its mantissa)."""


def _units_text(units: int, scale: int) -> str:
    """An integer count of 10**-scale units as decimal text (``-1234`` at 2 -> ``-12.34``)."""
    digits = str(abs(units)).zfill(scale + 1)
    sign = "-" if units < 0 else ""
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}" if scale else f"{sign}{digits}"


class UniqueRanks:
    """Distinct ordered values (unique non-key numbers, timestamps) that follow the histogram.

    Row r gets rank ``(r * a + b) mod N`` (a bijection of the N rows) and the value at that rank
    of a stratified inverse CDF; buckets too dense to hold their share of distinct values at
    the column's resolution are widened, so the map is strictly increasing and no two rows
    share a value, in any block, without coordination.
    """

    def __init__(self, ctx: ColumnContext, model: OrderedModel) -> None:
        rows = max(int(ctx.row_count), 1)
        edges = model.edges
        buckets = len(edges) - 1
        spread_span = max(abs(float(edges[0])), abs(float(edges[-1])), 1.0)
        step = model.step or spread_span * 1e-12
        need = step * rows / buckets * 1.000001
        # Values sit at cell centres and are rounded to the step, so the cells may reach half a
        # step past either end: a column holding every value of its range (a date dimension's
        # one row per day) then still fits, each row on its own step.
        half = step / 2 if model.step else 0.0
        widened = edges.copy()
        for i in range(buckets):
            widened[i + 1] = max(widened[i + 1], widened[i] + need)
        if widened[-1] > model.high + half:
            widened[-1] = model.high + half
            for i in range(buckets - 1, -1, -1):
                widened[i] = min(widened[i], widened[i + 1] - need)
        if widened[0] < model.low - half - max(half / 2, 1e-9):
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: the range {model.low}..{model.high} cannot "
                f"hold {rows} distinct values"
            )
        self.edges = widened
        self.buckets = buckets
        self.rows = rows
        self.model = model
        self.multiplier, self.offset = row_bijection(rows)

    def values(self, rows: np.ndarray) -> np.ndarray:
        ranks = (rows.astype(object) * self.multiplier + self.offset) % self.rows
        ranks = ranks.astype(np.float64)
        position = (ranks + 0.5) / self.rows * self.buckets
        index = np.minimum(position.astype(np.int64), self.buckets - 1)
        numbers = self.edges[index] + (position - index) * np.diff(self.edges)[index]
        model = self.model
        if model.step:
            numbers = np.round(numbers / model.step) * model.step
            if model.scale is not None:
                numbers = np.round(numbers, model.scale)
        return numbers


DISTINCT_KINDS = frozenset({"integer", "decimal", "date", "datetime", "time"})
"""Kinds rounded to a step, where independent draws repeat values (floats rarely do)."""


def every_value_distinct(ctx: ColumnContext) -> bool:
    """Whether production held one value per non-NULL row without a constraint saying so (a
    legacy external number, a per-row date): independent draws would repeat about a quarter of
    them, so such a column is drawn as a permutation instead (:class:`PermutedQuantiles`)."""
    stats = ctx.column.stats
    if stats is None or ctx.column.logical_type not in DISTINCT_KINDS:
        return False
    present = expected_non_null_rows(ctx)
    return present >= 2 and stats.distinct_count >= 0.99 * present


def row_bijection(rows: int) -> tuple[int, int]:
    """(multiplier, offset) making ``(r * multiplier + offset) mod rows`` a bijection of the
    rows that scatters neighbours (a golden-ratio multiplier coprime to *rows*)."""
    multiplier = 0x9E3779B97F4A7C15 % rows or 1
    while math.gcd(multiplier, rows) != 1:
        multiplier += 1
    return multiplier, (rows * 7) // 13


class PermutedQuantiles:
    """One histogram value per row: row r takes stratum ``(r * a + b) mod N`` of the inverse
    CDF, so the N rows cover the N strata once each (distinct wherever the column's resolution
    allows, as production's were) in a scattered order, with no coordination between blocks."""

    def __init__(self, ctx: ColumnContext, model: OrderedModel) -> None:
        self.rows = max(int(ctx.row_count), 1)
        self.multiplier, self.offset = row_bijection(self.rows)
        self.inverse = InverseCDF(model.probabilities, model.edges)
        self.model = model

    def values(self, rows: np.ndarray) -> np.ndarray:
        if self.rows < (1 << 31):  # the product stays below 2**62: exact in int64
            ranks = (rows.astype(np.int64) * self.multiplier + self.offset) % self.rows
        else:
            ranks = (rows.astype(object) * self.multiplier + self.offset) % self.rows
        # Strata end to end, min and max included: stratum midpoints would land on half steps
        # of an evenly spread column (1.5, 2.5, ...) and round in pairs onto one value.
        u = ranks.astype(np.float64) / max(self.rows - 1, 1)
        return self.model.round(self.inverse(u))
