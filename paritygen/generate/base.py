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
    return np.random.default_rng(
        [seed & 0xFFFFFFFF, stable_hash(table), stable_hash(column), block]
    )


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


# --------------------------------------------------------------------------------------------
# Shared helpers for value generators (numeric, categorical, temporal, text, structured,
# semantic).


def column_rule_param(ctx: ColumnContext, name: str, default: object = None) -> object:
    """A rule parameter of the column (``rules: ... params: {locale: de_DE}``) or *default*."""
    if ctx.rule is None:
        return default
    return ctx.rule.params.get(name, default)


def profiled_null_fraction(ctx: ColumnContext) -> float:
    """NULL share to reproduce: the profiled one, 0 for NOT NULL columns."""
    if not ctx.column.nullable:
        return 0.0
    stats = ctx.column.stats
    return float(stats.null_fraction) if stats is not None else 0.0


def null_count_before(start: int, fraction: float) -> int:
    """NULL rows among global rows ``[0, start)``: rounding the running total makes every block's
    count exact (to half a row) and known without generating the blocks before it."""
    return int(np.floor(fraction * start + 0.5))


def null_mask(
    rng: np.random.Generator, count: int, fraction: float, start: int = 0
) -> np.ndarray | None:
    """Which rows of the block ``[start, start + count)`` are NULL (True), or None.

    The number of NULLs is exact (:func:`null_count_before`) at random positions: independent
    coin flips would miss the 0.01 bar on small tables (59 rows flip to within 0.06 only).
    """
    if fraction <= 0.0 or count == 0:
        return None
    nulls = null_count_before(start + count, fraction) - null_count_before(start, fraction)
    if nulls <= 0:
        return None
    if nulls >= count:
        return np.ones(count, dtype=bool)
    ranks = rng.random(count)
    return ranks <= np.partition(ranks, nulls - 1)[nulls - 1]


def non_null_ordinals(start: int, nulls: np.ndarray | None, count: int, fraction: float):
    """Ordinals of the block's non-NULL rows among all non-NULL rows of the table: 0, 1, 2...
    with no gap across blocks (value ids that must cover a range use them)."""
    before = start - (null_count_before(start, fraction) if nulls is not None else 0)
    if nulls is None:
        return np.arange(before, before + count, dtype=np.int64)
    return before + np.arange(count - int(nulls.sum()), dtype=np.int64)


def spread(values: pl.Series, nulls: np.ndarray | None) -> pl.Series:
    """Place the ``len(values)`` non-NULL values at the rows where *nulls* is False.

    Generators make values only for non-NULL rows (cheaper for sparse columns); a gather with a
    NULL index puts them in place in one vectorised step.
    """
    if nulls is None:
        return values
    positions = np.cumsum(~nulls, dtype=np.int64) - 1
    index = pl.Series(positions).scatter(np.flatnonzero(nulls), None)
    if len(values) == 0:
        return pl.Series(values.name, [None] * len(nulls), dtype=values.dtype)
    return values.gather(index)


def non_null_rows(start: int, nulls: np.ndarray | None, count: int) -> np.ndarray:
    """Global row numbers of the non-NULL rows of a block (for values unique by row)."""
    if nulls is None:
        return np.arange(start, start + count, dtype=np.int64)
    return start + np.flatnonzero(~nulls).astype(np.int64)


GOLDEN = 0.6180339887498949
"""Weyl-sequence step: ``frac(k * GOLDEN)`` spreads any run of ids evenly over [0, 1)."""


def id_ranks(ids: np.ndarray) -> np.ndarray:
    """A rank in [0, 1) per value id, evenly spread over the ids in use: a few hundred distinct
    values still cover the length distribution's quantiles (a random rank per value would
    leave a KS error of about 1/sqrt(values)). Huge random ids fall back to hashing."""
    ids = ids.astype(np.uint64)
    small = ids < np.uint64(1 << 40)
    ranks = (ids.astype(np.float64) * GOLDEN) % 1.0
    if small.all():
        return ranks
    with np.errstate(over="ignore"):
        z = ids * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
    hashed = (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(small, ranks, hashed)


def stratified_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """*n* uniforms in [0, 1), one in each of n equal strata, in random order.

    Shares then come out exact to one row per block (a category at 62.5 % of an 8-row table
    gets 5 rows, not a binomial 3 to 7), and quantiles are hit as closely as n allows.
    """
    if n == 0:
        return np.empty(0)
    return (rng.permutation(n) + rng.random(n)) / n


def quantile_probabilities(size: int) -> np.ndarray:
    """Ranks of equi-depth quantile points: ``quantiles[i]`` sits at ``i / (size - 1)``."""
    return np.linspace(0.0, 1.0, size)


def residual_ranks(
    probabilities: np.ndarray, edges: np.ndarray, atoms: np.ndarray, shares: np.ndarray
) -> np.ndarray:
    """Ranks of the histogram's knots once the atoms' mass is taken out (renormalised).

    Most-common values are drawn as atoms at their own shares; the rest must come from what
    the histogram holds *besides* them, or the atoms would be counted twice and the KS bar
    missed. Where the atoms hold everything, the whole histogram is returned.
    """
    if len(atoms) == 0:
        return probabilities
    order = np.argsort(atoms)
    mass = np.concatenate([[0.0], np.cumsum(shares[order])])
    below = mass[np.searchsorted(atoms[order], edges, side="right")]
    ranks = np.maximum.accumulate(np.clip(probabilities - below, 0.0, None))
    if ranks[-1] <= 1e-9:
        return probabilities
    return ranks / ranks[-1]


def residual_knots(
    knots: np.ndarray, atoms: np.ndarray, shares: np.ndarray, points: int = 101
) -> np.ndarray:
    """Equi-depth knots of what remains of a distribution once atoms are taken out (the
    lengths of the non-most-common values of a text column)."""
    if len(atoms) == 0:
        return knots
    ranks = residual_ranks(quantile_probabilities(len(knots)), knots, atoms, shares)
    return InverseCDF(ranks, knots)(np.linspace(0.0, 1.0, points))


class InverseCDF:
    """A piecewise-linear inverse CDF evaluated by index arithmetic on equally spaced ranks.

    ``np.interp`` binary-searches every value (over 100 ns a value on a busy core); with ranks
    equally spaced the bucket is ``floor(u * (m - 1))``. Non-uniform ranks (a residual CDF with
    atoms removed) are resampled once onto a fine uniform table of ``size`` points.
    """

    def __init__(self, ranks: np.ndarray, values: np.ndarray, size: int = 16_385) -> None:
        ranks = np.asarray(ranks, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        if len(values) == 1:
            values = np.repeat(values, 2)
            ranks = np.array([0.0, 1.0])
        if np.allclose(ranks, np.linspace(0.0, 1.0, len(ranks)), atol=1e-12):
            self.table = values
        else:
            self.table = np.interp(np.linspace(0.0, 1.0, size), ranks, values)
        self.steps = np.diff(self.table)
        self.last = len(self.table) - 2

    def __call__(self, u: np.ndarray) -> np.ndarray:
        position = u * (self.last + 1)
        index = np.minimum(position.astype(np.int64), self.last)
        return self.table[index] + (position - index) * self.steps[index]


def grid_size(distinct: int, draws: float) -> int | None:
    """Equiprobable grid size G whose ``draws`` samples show about ``distinct`` values.

    With G equally likely points, n draws show ``G * (1 - exp(-n / G))`` distinct values on
    average; solving that for the profiled distinct count keeps staging's cardinality close to
    production's where a continuous draw would make every value unique. None: no grid needed.
    """
    if distinct <= 0 or draws <= distinct * 1.001:
        return None  # (nearly) every value distinct: 0.1 % repeats are within any bar
    low, high = float(distinct), float(distinct)
    while high * -np.expm1(-draws / high) < distinct:
        high *= 2.0
        if high > 1e12:
            return None
    for _ in range(60):
        mid = (low + high) / 2.0
        if mid * -np.expm1(-draws / mid) < distinct:
            low = mid
        else:
            high = mid
    return max(1, int(round(high)))


def expected_seen(cells: np.ndarray, grid: int, draws: float) -> float:
    """Distinct values expected when *draws* ids fall uniformly on a grid of *grid* ids whose
    values group into runs of ``cells`` ids each: value i shows unless every draw misses its
    cell, ``1 - (1 - cells_i / grid) ** draws``. A cell holding the whole grid (a residual range
    that rounds to one value) is always seen; it is taken out before the logarithm, whose
    ``log1p(-1)`` would be minus infinity."""
    share = np.asarray(cells, dtype=np.float64) / grid
    whole = share >= 1.0
    partial = share[~whole]
    return float(np.count_nonzero(whole) + np.sum(-np.expm1(draws * np.log1p(-partial))))


class DistinctIds:
    """Value ids that show the wanted number of distinct values in this run, small tables too.

    The grid size G (see :func:`grid_size`) says how many distinct values the run's rows
    should show: ``G * (1 - exp(-rows / G))``. Rows below that number take their own row number
    as id (all distinct), later rows draw among those ids, so a 59-row table shows exactly its
    53 values instead of a random 47 to 59. Without row numbers (a residual draw) ids are drawn.
    """

    def __init__(self, grid: int | None, ctx: ColumnContext, share: float = 1.0) -> None:
        """Ids are drawn for ``row_count x (1 - null_fraction) x share`` rows of this run."""
        self.grid = grid
        rows = ctx.row_count * (1.0 - profiled_null_fraction(ctx)) * share
        self.count = None if grid is None else max(1, round(-grid * np.expm1(-rows / grid)))

    def draw(self, n: int, rng: np.random.Generator, rows: np.ndarray | None) -> np.ndarray:
        """*n* ids in ``[0, count)`` (or 62-bit random ids when there is no grid); *rows* are
        the non-NULL ordinals of the values (:func:`non_null_ordinals`)."""
        if self.count is None:
            return rng.integers(0, 1 << 62, n).astype(np.uint64)
        if rows is None:  # no ordinals (a residual share): plain draws from the grid
            return rng.integers(0, self.grid, n).astype(np.uint64)
        ids = rng.integers(0, self.count, n)
        first = rows < self.count
        ids[first] = rows[first]
        return ids.astype(np.uint64)


def snap_to_grid(u: np.ndarray, grid: int | None) -> np.ndarray:
    """Ranks moved to the centres of *grid* equal cells (limits the distinct values made)."""
    if grid is None:
        return u
    return (np.floor(u * grid) + 0.5) / grid


def expected_non_null_rows(ctx: ColumnContext) -> float:
    """Non-NULL rows production held, the basis for matching its distinct count."""
    rows = ctx.table.row_count or ctx.row_count
    return rows * (1.0 - profiled_null_fraction(ctx))


ATOM_CELLS = 1 << 14
"""Cells of [0, 1) in :meth:`ShareTable.choose`'s table (a power of two, so cells are exact)."""


class ShareTable:
    """Picks by cumulative shares: ``searchsorted(cumulative, u, side="right")``, by table (a
    binary search per row costs 30 ns with a hundred shares)."""

    def __init__(self, cumulative: np.ndarray) -> None:
        self.cumulative = cumulative
        cells = np.arange(ATOM_CELLS + 1, dtype=np.float64) / ATOM_CELLS
        self.cell_choice = np.searchsorted(cumulative, cells, side="right")

    def choose(self, u: np.ndarray) -> np.ndarray:
        """The pick of each u in [0, 1). The cell ``[k, k + 1) / ATOM_CELLS`` holding u
        settles it unless a share boundary falls inside that cell; those few are searched."""
        cell = (u * ATOM_CELLS).astype(np.int64)  # exact: ATOM_CELLS is a power of two
        choice = self.cell_choice[cell]
        unsettled = np.flatnonzero(choice != self.cell_choice[cell + 1])
        if len(unsettled):
            choice[unsettled] = np.searchsorted(self.cumulative, u[unsettled], side="right")
        return choice


NUMBER_SET_BITS = 14
"""Slots of :class:`NumberSet`'s filter, as bits (16 KB of flags per set; a few hundred
members flag about 1 % of them)."""


class NumberSet:
    """``np.isin(values, members)`` for a fixed set of numbers (a column's most common values)
    at a fraction of its cost: a flag per hashed slot rules out nearly every value, and only
    those whose slot holds a member are compared exactly. ``np.isin`` sorted each block's
    values with the members, a quarter of TPC-H lineitem's numeric columns' time."""

    def __init__(self, members: np.ndarray) -> None:
        self.members = np.unique(np.asarray(members, dtype=np.float64))
        self.flags = np.zeros(1 << NUMBER_SET_BITS, dtype=bool)
        self.flags[self._slots(self.members)] = True

    @staticmethod
    def _slots(values: np.ndarray) -> np.ndarray:
        """A slot per value from its float bits (``+ 0.0`` makes -0.0 the 0.0 it equals)."""
        bits = (values.astype(np.float64) + 0.0).view(np.uint64)
        return ((bits * HASH_MULTIPLIER) >> np.uint64(64 - NUMBER_SET_BITS)).astype(np.intp)

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Whether each value is a member (NaN never is)."""
        found = np.zeros(len(values), dtype=bool)
        if len(self.members) and len(values):
            maybe = np.flatnonzero(self.flags[self._slots(values)])
            found[maybe] = np.isin(values[maybe], self.members)
        return found


HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
"""Odd 64-bit multiplier (2**64 / golden ratio) spreading float bits over the slots."""


class AtomMixer:
    """Draws from a mixture of atoms (most-common values at their shares) and a residual model.

    The residual model makes the non-atom share (it must avoid the atom values); both parts are
    combined with a single gather, so rows keep a random order without a shuffle.
    """

    def __init__(self, atoms: pl.Series, shares: np.ndarray) -> None:
        total = float(shares.sum())
        self.atoms = atoms
        self.residual_share = max(0.0, 1.0 - total)
        if self.residual_share < 1e-3:
            # The atoms cover (almost) everything: renormalise and never call the residual model.
            self.cumulative = np.cumsum(shares / total)
            self.cumulative[-1] = 1.0
            self.residual_share = 0.0
        else:
            self.cumulative = np.cumsum(shares)
        self.choose = ShareTable(self.cumulative).choose

    def draw(self, n: int, rng: np.random.Generator, residual) -> pl.Series:
        """*n* values; ``residual(k, rng) -> pl.Series`` makes the k non-atom values."""
        choice = self.choose(stratified_uniform(rng, n))
        n_atoms = len(self.atoms)
        is_residual = choice >= n_atoms
        k = int(is_residual.sum())
        if k == 0:
            return self.atoms.gather(choice)
        rest = residual(k, rng)
        index = choice.astype(np.int64)
        index[is_residual] = n_atoms + np.arange(k, dtype=np.int64)
        return pl.concat([self.atoms, rest.cast(self.atoms.dtype)]).gather(index)


SHORT_UNIQUE = 6
"""Unique text columns this short hold codes whatever their tag (``country_code char(2)``)."""
SHORT_CODE_TAGS = frozenset({"country", "city", "company", "username", "postcode", "first_name",
                             "last_name"})  # fmt: skip
"""Tags whose pools cannot fill a short unique column (names and places are longer)."""

CODE_LIKE = frozenset({"postcode", "phone"})
"""Semantic kinds that are plain codes: with one profiled shape they are made by pattern."""


def resolve(ctx: ColumnContext) -> ColumnGenerator:
    """The generator for a non-key value column.

    Precedence: the rule's named generator, the rule's fixed values, the semantic tag, then the
    logical type with the profiled statistics. A column without statistics (an empty table)
    still gets a type-safe, length-safe generator.
    """
    from paritygen.generate import (  # noqa: F401 (importing registers the generators)
        categorical,
        codes,
        native,
        numeric,
        semantic,
        structured,
        temporal,
        text,
    )
    from paritygen.registry import generators

    rule = ctx.rule
    column = ctx.column
    if rule is not None and rule.generator:
        return generators.get(rule.generator)(ctx)
    if rule is not None and rule.values:
        return generators.get("values")(ctx)
    if native.makes(column):  # an xml or inet column is never free text, whatever its tag
        return generators.get(default_generator_name(ctx))(ctx)
    tag = (rule.semantic if rule is not None and rule.semantic else None) or column.semantic
    if tag == "hex" and column.logical_type in ("string", "text"):
        return generators.get("hex")(ctx)
    if ctx.unique and tag in SHORT_CODE_TAGS and 0 < (column.length or 0) <= SHORT_UNIQUE:
        tag = None  # a unique varchar(2) country code is a code, not a country name
    if tag and semantic.supports(tag, column):
        stats = column.stats
        histogram = stats is not None and len(stats.quantiles) >= 2
        if tag == "birth_date" and histogram and column.logical_type in ("date", "datetime"):
            # The profile kept the (aggregate) histogram of birth dates: follow it.
            return generators.get("quantile")(ctx)
        shape = stats.shape if stats is not None else None
        if tag in CODE_LIKE and shape is not None and shape.share >= 0.9:
            # Postcodes and phones of one shape (99999): codes of that shape, whose distinct
            # count is not capped by a pool.
            return generators.get("pattern")(ctx)
        if stats is not None and stats.most_common and not ctx.unique:
            # A non-PII semantic column (country, city) kept its frequent values: reproduce
            # them, the semantic pool makes the rest.
            return generators.get("categorical")(ctx)
        return generators.get("semantic")(ctx)
    return generators.get(default_generator_name(ctx))(ctx)


def default_generator_name(ctx: ColumnContext) -> str:
    """The registered generator that fits the column's logical type and statistics."""
    column = ctx.column
    stats = column.stats
    kind = column.logical_type
    if kind == "boolean":
        return "boolean"
    if kind == "enum" or column.member_set:
        return "categorical"
    from paritygen.generate.native import makes

    if makes(column):
        return (
            "categorical"
            if stats is not None and stats.most_common and not ctx.unique
            else "native"
        )
    if kind == "uuid":
        return "uuid"
    if kind == "json":
        return "json"
    if kind == "binary":
        return "binary"
    if kind in ("integer", "float", "decimal", "date", "datetime", "time"):
        return "categorical" if _has_in_check(ctx) else "quantile"
    if _has_in_check(ctx):
        return "categorical"
    if stats is not None and stats.most_common and not ctx.unique:
        return "categorical"
    if stats is not None and stats.shape is not None and stats.shape.share >= 0.5:
        return "pattern"
    return "length_text"


def _has_in_check(ctx: ColumnContext) -> bool:
    """Whether a CHECK limits the column to an IN list (then it is drawn as a category)."""
    from paritygen.generate.checks import InCheck, column_rules, parse_checks

    return any(
        isinstance(rule, InCheck) and not rule.negated
        for rule in column_rules(parse_checks(ctx.table), ctx.column.name)
    )
