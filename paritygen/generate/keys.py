"""Primary keys, unique keys and foreign keys as pure functions of the row index.

Every key column is computed from (seed, table, column, row index) alone, so any block of any
table can be made on its own, in any order, and a child computes its parent's key for a parent
index without the parent's keys ever being stored. Memory is O(parents) per foreign key (the
children-per-parent counts and their running sum), never O(children).

- Integer keys keep production's range and gaps ("Key columns are values too", DESIGN.md): a
  strictly increasing piecewise-linear function of the index through the profiled quantiles.
- Foreign keys follow the profiled fan-out: children-per-parent counts drawn from the fan-out
  quantiles (zeros included, the heaviest 1 % holding ``top_share``), summing exactly to the
  child rows, placed on parents following ``position_weights``; child row i finds its slot
  through a keyed Feistel bijection of [0, N) and its parent by a binary search in the running
  sum of the counts. Slots below the NULL count are the NULL rows, so ``null_fraction`` is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.base import POLARS_TYPES, stable_hash
from paritygen.generate.plan import GenerationPlan, fk_nullable
from paritygen.profile.model import Column, FanoutStats, ForeignKey, Profile, Table
from paritygen.profile.values import to_number

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ROUNDS = 4
_POSITION_ITERATIONS = 12
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_BASE36 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_UPPER = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_LOWER = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
SEQUENCE_TYPES = frozenset({"integer", "decimal", "float", "date", "datetime"})
"""Logical types a key can be a strictly increasing number for."""


def derive_key(seed: int, *parts: str) -> int:
    """A 64-bit key from the run's seed and names (process-independent)."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, *(stable_hash(p) for p in parts)]
    return int(np.random.default_rng(words).integers(0, 2**63 - 1))


def mix64(values: np.ndarray, key: int) -> np.ndarray:
    """splitmix64's finaliser of ``values ^ key``: a bijection on 64-bit words."""
    z = values.astype(np.uint64) ^ np.uint64(key)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class Permutation:
    """A keyed pseudo-random bijection of ``[0, n)``, evaluated lazily on index arrays.

    A balanced Feistel network over the smallest even bit width covering n, with cycle-walking
    back into range: each index is mapped on its own (no table, no global shuffle), so memory is
    O(len(idx)) and any block can be permuted alone.
    """

    def __init__(self, n: int, key: int) -> None:
        self.n = int(n)
        bits = max(2, (max(self.n, 2) - 1).bit_length())
        bits += bits % 2
        self.half = bits // 2
        self.mask = np.uint64((1 << self.half) - 1)
        self.keys = [derive_key(key, f"round{r}") for r in range(_ROUNDS)]

    def _round(self, right: np.ndarray, r: int) -> np.ndarray:
        return mix64(right, self.keys[r]) & self.mask

    def _encrypt(self, x: np.ndarray) -> np.ndarray:
        half = np.uint64(self.half)
        left, right = x >> half, x & self.mask
        for r in range(_ROUNDS):
            left, right = right, left ^ self._round(right, r)
        return (left << half) | right

    def _decrypt(self, x: np.ndarray) -> np.ndarray:
        half = np.uint64(self.half)
        left, right = x >> half, x & self.mask
        for r in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(left, r), left
        return (left << half) | right

    def _walk(self, idx: np.ndarray, step) -> np.ndarray:
        out = step(np.asarray(idx, dtype=np.uint64))
        limit = np.uint64(self.n)
        outside = np.flatnonzero(out >= limit)
        while outside.size:  # the domain is < 4n, so a few rounds on ever fewer values
            again = step(out[outside])
            out[outside] = again
            outside = outside[again >= limit]
        return out.astype(np.int64)

    def forward(self, idx: np.ndarray) -> np.ndarray:
        """The image of each index."""
        if self.n <= 1:
            return np.zeros(len(idx), dtype=np.int64)
        return self._walk(idx, self._encrypt)

    def inverse(self, idx: np.ndarray) -> np.ndarray:
        """The preimage of each index (``inverse(forward(i)) == i``)."""
        if self.n <= 1:
            return np.zeros(len(idx), dtype=np.int64)
        return self._walk(idx, self._decrypt)


# --------------------------------------------------------------------------- sequences


class IntegerSequence:
    """Strictly increasing integers through the profiled quantiles: range and gaps kept.

    Rows are split into as many equal runs as there are quantile buckets; run k spans
    ``[q[k], q[k+1])`` with a step of at least 1 (denser data pushes the following runs up, so
    uniqueness always wins over the range). A pure function of the index.
    """

    def __init__(self, n: int, quantiles: list[float], start: float | None = None) -> None:
        self.n = n
        q = np.sort(np.asarray(quantiles, dtype=np.float64))
        if q.size < 2 or q[-1] <= q[0]:
            first = math.ceil(q[0]) if q.size else math.ceil(start if start is not None else 1)
            q = np.array([first, first + max(n, 1) - 1], dtype=np.float64)
        buckets = q.size - 1
        self.bounds = (np.arange(buckets + 1, dtype=np.int64) * n) // buckets
        sizes = np.diff(self.bounds)
        self.base = np.zeros(buckets, dtype=np.int64)
        self.step_whole = np.zeros(buckets, dtype=np.int64)
        self.step_part = np.zeros(buckets, dtype=np.int64)
        self.divisor = np.ones(buckets, dtype=np.int64)
        current = math.ceil(q[0])
        for k in range(buckets):
            size = int(sizes[k])
            if size == 0:
                continue
            low = max(math.ceil(q[k]), current)
            top = math.floor(q[k + 1]) if k == buckets - 1 else math.ceil(q[k + 1]) - 1
            width = max(top - low, size - 1)  # last value minus first value of the run
            self.base[k] = low
            if size > 1:
                self.step_whole[k], self.step_part[k] = divmod(width, size - 1)
                self.divisor[k] = size - 1
            current = low + width + 1

    def values(self, idx: np.ndarray) -> np.ndarray:
        """Key of each row index (int64)."""
        bucket = np.searchsorted(self.bounds, idx, side="right") - 1
        bucket = np.clip(bucket, 0, len(self.base) - 1)
        j = idx - self.bounds[bucket]
        # j * width // (size - 1) without overflow: whole steps plus the exact remainder share
        return (
            self.base[bucket]
            + j * self.step_whole[bucket]
            + (j * self.step_part[bucket]) // self.divisor[bucket]
        )


def _chars_to_strings(chars: np.ndarray) -> pl.Series:
    """A (rows, width) uint8 array of ASCII as a polars String series."""
    rows, width = chars.shape
    raw = np.frombuffer(np.ascontiguousarray(chars).tobytes(), dtype=f"S{max(width, 1)}")
    return pl.Series(raw[:rows]).cast(pl.String)


def uuid_strings(idx: np.ndarray, key: int) -> pl.Series:
    """Version-4 shaped UUIDs, unique per index (the last 48 bits are a bijection of it)."""
    hi = mix64(idx, key)
    hi = (hi & ~np.uint64(0xF000)) | np.uint64(0x4000)
    low48 = Permutation(1 << 48, key ^ 0x5A5A).forward(idx).astype(np.uint64)
    noise = mix64(idx, key ^ 0x33) & np.uint64(0x3FFF)
    lo = np.uint64(0x8000000000000000) | (noise << np.uint64(48)) | low48
    words = np.stack([hi, lo], axis=1).astype(">u8").view(np.uint8).reshape(-1, 16)
    digits = np.empty((len(idx), 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[words >> 4]
    digits[:, 1::2] = _HEX[words & 15]
    dashed = np.full((len(idx), 36), ord("-"), dtype=np.uint8)
    for src, dst, width in ((0, 0, 8), (8, 9, 4), (12, 14, 4), (16, 19, 4), (20, 24, 12)):
        dashed[:, dst : dst + width] = digits[:, src : src + width]
    return _chars_to_strings(dashed)


class CodeKey:
    """Unique natural string keys: the index written in mixed radix into the code's shape.

    ``AA-9999`` gives ``AA-0000``, ``AA-0001``, ...: letters and digits where production has
    them, literals kept; base-36 digits are prepended when the shape holds too few codes.
    """

    def __init__(self, column: Column, n: int) -> None:
        stats = column.stats
        pattern = ""
        if stats is not None and stats.shape is not None and stats.shape.share >= 0.5:
            pattern = stats.shape.pattern
        if not pattern:
            length = 8
            if stats is not None and stats.length is not None:
                length = max(1, round(stats.length.mean))
            pattern = "Z" * length  # Z: a base-36 position
        limit = column.length or 10_000
        alphabets = {"A": _UPPER, "a": _LOWER, "9": _DIGITS, "Z": _BASE36}
        positions = [alphabets.get(ch) for ch in pattern]
        capacity = math.prod(len(a) for a in positions if a is not None)
        while capacity < max(n, 1):
            if len(positions) >= limit:
                raise ConfigError(
                    f"column {column.name} ({column.sql_type}) is too short to hold {n} unique"
                    " keys; lower --scale or widen the column"
                )
            positions.insert(0, _BASE36)
            capacity *= 36
        self.positions = positions
        self.literals = pattern.rjust(len(positions), " ")

    def values(self, idx: np.ndarray) -> pl.Series:
        chars = np.empty((len(idx), len(self.positions)), dtype=np.uint8)
        rest = idx.astype(np.int64).copy()
        for pos in range(len(self.positions) - 1, -1, -1):
            alphabet = self.positions[pos]
            if alphabet is None:
                chars[:, pos] = ord(self.literals[pos])
                continue
            rest, digit = np.divmod(rest, len(alphabet))
            chars[:, pos] = alphabet[digit]
        return _chars_to_strings(chars)


def _numbers(values: tuple, logical_type: str) -> list[float]:
    return [to_number(v, logical_type) for v in values if v is not None]


class UniqueKey:
    """A single column whose values are distinct on their own: PK, unique or FK target."""

    def __init__(self, table: Table, column: Column, n: int, seed: int) -> None:
        self.column = column
        self.kind = column.logical_type
        self.key = derive_key(seed, table.name, column.name)
        self.sequence: IntegerSequence | None = None
        self.code: CodeKey | None = None
        if self.kind in SEQUENCE_TYPES:
            stats = column.stats
            quantiles = _numbers(stats.quantiles, self.kind) if stats is not None else []
            start = None
            if stats is not None and stats.min is not None:
                start = to_number(stats.min, self.kind)
            self.sequence = IntegerSequence(n, quantiles, start)
        elif self.kind in ("string", "text", "enum", "binary", "json"):
            self.code = CodeKey(column, n)

    def values(self, idx: np.ndarray) -> pl.Series:
        """Values of rows *idx*, typed per the chunk contract."""
        name = self.column.name
        if self.sequence is not None:
            numbers = self.sequence.values(idx)
            if self.kind == "date":
                return pl.Series(name, numbers.astype("datetime64[D]"), dtype=pl.Date)
            if self.kind == "datetime":
                stamps = (numbers * 1_000_000).astype("datetime64[us]")
                return pl.Series(name, stamps, dtype=pl.Datetime("us"))
            return pl.Series(name, numbers, dtype=POLARS_TYPES[self.kind])
        if self.kind == "uuid":
            return uuid_strings(idx, self.key).alias(name)
        if self.code is not None:
            series = self.code.values(idx).alias(name)
            return series.cast(pl.Binary) if self.kind == "binary" else series
        raise ConfigError(
            f"column {self.column.name} ({self.column.sql_type}) is a key but paritygen cannot"
            " make unique values of that type"
        )


# --------------------------------------------------------------------------- fan-out


def _interp_quantiles(quantiles: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, quantiles.size)
    return np.interp(ranks, grid, quantiles)


def _integerise(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative floats to integers summing exactly to *total* (largest remainder)."""
    scaled = values * (total / values.sum()) if values.sum() > 0 else np.full(values.size, 0.0)
    whole = np.floor(scaled).astype(np.int64)
    missing = total - int(whole.sum())
    if missing > 0:
        order = np.argsort(-(scaled - whole), kind="stable")[:missing]
        whole[order] += 1
    return whole


def _shape_top(low: float, high: float, count: int, target: float) -> np.ndarray:
    """*count* values rising from *low* to *high* (a power curve) whose sum is *target*."""
    t = (np.arange(count, dtype=np.float64) + 1.0) / count
    if high <= low or count == 0:
        return np.full(count, max(low, high))
    lo_exp, hi_exp = -7.0, 7.0  # exponent 2**e: sum falls as e grows
    for _ in range(40):
        mid = (lo_exp + hi_exp) / 2
        total = float((low + (high - low) * t ** (2.0**mid)).sum())
        if total > target:
            lo_exp = mid
        else:
            hi_exp = mid
    return low + (high - low) * t ** (2.0 ** ((lo_exp + hi_exp) / 2))


def fanout_counts(
    stats: FanoutStats | None, parents: int, children: int, cap: int | None = None
) -> np.ndarray:
    """Children per parent, sorted descending, summing exactly to *children*.

    Follows the profiled quantiles (stratified ranks, so the distribution is matched rather than
    sampled), keeps the childless share, shapes the heaviest 1 % to hold ``top_share``, and
    stretches everything by the ratio of planned to profiled children (``--scale``).
    """
    if parents <= 0:
        return np.zeros(0, dtype=np.int64)
    if children <= 0:
        return np.zeros(parents, dtype=np.int64)
    if cap is not None and cap * parents < children:
        raise ConfigError(f"{children} child rows cannot fit {parents} parents x {cap} each")
    if stats is None or len(stats.quantiles) < 2:
        counts = np.full(parents, children // parents, dtype=np.int64)
        counts[: children % parents] += 1
        return counts
    quantiles = np.maximum(np.asarray(stats.quantiles, dtype=np.float64), 0.0)
    zeros = round(stats.childless_fraction * parents)
    positive = max(1, min(parents - zeros, children))
    zero_share = 1.0 - positive / parents
    ranks = zero_share + (1.0 - zero_share) * (np.arange(positive) + 0.5) / positive
    values = np.maximum(_interp_quantiles(quantiles, ranks), 1.0)
    ratio = children / values.sum()
    top = max(1, round(parents * 0.01))
    if stats.top_share > 0 and top < positive:
        low = float(values[-top - 1])
        high = max(float(stats.max) * ratio, low)
        target = stats.top_share * children
        values[-top:] = _shape_top(low, high, top, target)
    extra = children - positive
    excess = values - 1.0
    if excess.sum() > 0:
        counts = 1 + _integerise(excess, extra)
    else:
        counts = np.ones(positive, dtype=np.int64) + _integerise(np.ones(positive), extra)
    if cap is not None:
        counts = _apply_cap(counts, cap)
    counts = np.sort(counts)[::-1]
    return np.concatenate([counts, np.zeros(parents - positive, dtype=np.int64)])


def _apply_cap(counts: np.ndarray, cap: int) -> np.ndarray:
    """Clip counts at *cap*, moving the surplus onto the parents below it."""
    counts = counts.copy()
    for _ in range(64):
        surplus = int(np.maximum(counts - cap, 0).sum())
        if surplus == 0:
            break
        counts = np.minimum(counts, cap)
        room = cap - counts
        counts += _integerise(room.astype(np.float64), surplus)
    return counts


def place_counts(
    counts_desc: np.ndarray, position_weights: tuple[float, ...], key: int
) -> np.ndarray:
    """Give the sorted counts to parents so each key-position bucket holds its profiled share.

    Efraimidis-Spirakis keys (an exponential draw per parent, rate set per bucket) order the
    parents; the heaviest count goes to the smallest key. The rates are refined a few times until
    the bucket sums match ``position_weights`` (which parents are heavy: recent dates, new items).
    """
    parents = counts_desc.size
    if parents == 0:
        return counts_desc
    weights = np.asarray(position_weights, dtype=np.float64)
    if weights.size == 0 or weights.sum() <= 0 or counts_desc.sum() == 0:
        perm = Permutation(parents, key)
        return counts_desc[perm.forward(np.arange(parents, dtype=np.int64))]
    weights = weights / weights.sum()
    buckets = weights.size
    bucket = (np.arange(parents, dtype=np.int64) * buckets) // parents
    sizes = np.bincount(bucket, minlength=buckets).astype(np.float64)
    draws = np.random.default_rng(key).exponential(size=parents)
    rate = np.where(sizes > 0, np.maximum(weights, 1e-9) / np.maximum(sizes / parents, 1e-12), 1)
    total = float(counts_desc.sum())
    placed = counts_desc
    for _ in range(_POSITION_ITERATIONS):
        order = np.argsort(draws / rate[bucket], kind="stable")
        placed = np.empty_like(counts_desc)
        placed[order] = counts_desc
        sums = np.bincount(bucket, weights=placed, minlength=buckets) / total
        if np.abs(sums - weights).max() < 0.002:
            break
        rate *= np.clip((np.maximum(weights, 1e-9) / np.maximum(sums, 1e-9)) ** 0.8, 0.2, 5.0)
    return placed


@dataclass
class ParentChoice:
    """The parent row of each child row (-1 for NULL) and the child's rank among its siblings."""

    parent: np.ndarray
    rank: np.ndarray


class FanoutMap:
    """Child row index -> parent row index, following a count per parent.

    The child's slot is a keyed permutation of its index; slots below ``nulls`` are NULL, the
    others fall into parent p's run ``[cum[p] - counts[p], cum[p])``. A parent's children are
    therefore spread pseudo-randomly over the child table, and ``rank`` (the position inside the
    run) numbers them 0, 1, 2... (an order line number).
    """

    def __init__(self, counts: np.ndarray, children: int, nulls: int, key: int) -> None:
        self.counts = counts.astype(np.int64)
        self.cum = np.cumsum(self.counts)
        self.nulls = nulls
        self.permutation = Permutation(children, key)

    def choose(self, idx: np.ndarray) -> ParentChoice:
        slot = self.permutation.forward(idx) - self.nulls
        parent = np.searchsorted(self.cum, slot, side="right")
        parent = np.minimum(parent, max(self.counts.size - 1, 0))
        rank = slot - (self.cum[parent] - self.counts[parent]) if self.counts.size else slot
        parent = np.where(slot < 0, -1, parent)
        return ParentChoice(parent=parent, rank=np.where(slot < 0, -1, rank))


class SelfFanoutMap:
    """A self-reference that forms a forest: every row's parent has a smaller rank.

    Ranks are a keyed permutation (nullable FK, filled by update after the load) or the row index
    itself (NOT NULL FK written inline, so a parent always precedes its children in the load).
    Counts are given heaviest-first in rank order, which keeps each parent's rank below its
    children's: hierarchies have no cycles and recursive queries end.
    """

    def __init__(self, counts_desc: np.ndarray, rows: int, nulls: int, key: int, shuffle: bool):
        self.cum = np.cumsum(counts_desc.astype(np.int64))
        self.nulls = nulls
        self.rows = rows
        self.permutation = Permutation(rows, key) if shuffle else None

    def choose(self, idx: np.ndarray) -> ParentChoice:
        rank = self.permutation.forward(idx) if self.permutation is not None else idx.copy()
        slot = rank - self.nulls
        parent_rank = np.searchsorted(self.cum, slot, side="right")
        parent_rank = np.minimum(parent_rank, np.maximum(rank - 1, 0))
        if self.permutation is not None:
            parent = self.permutation.inverse(parent_rank)
        else:
            parent = parent_rank
        parent = np.where(slot < 0, -1, parent)
        return ParentChoice(parent=parent, rank=np.zeros_like(parent))


class OneToOneMap:
    """A unique FK: each parent has at most one child (a permutation of the parents)."""

    def __init__(self, parents: int, children: int, nulls: int, key: int, table: str) -> None:
        if children - nulls > parents:
            raise ConfigError(
                f"table {table} needs {children - nulls} distinct parents for a unique foreign"
                f" key but the parent has {parents} rows; pin the row counts with a rule"
            )
        self.nulls = nulls
        self.children = Permutation(children, key)
        self.parents = Permutation(parents, key ^ 0x1F1F)

    def choose(self, idx: np.ndarray) -> ParentChoice:
        slot = self.children.forward(idx) - self.nulls
        parent = self.parents.forward(np.maximum(slot, 0))
        parent = np.where(slot < 0, -1, parent)
        return ParentChoice(parent=parent, rank=np.zeros_like(parent))


# --------------------------------------------------------------------------- per table


@dataclass
class _Edge:
    fk: ForeignKey
    mapping: FanoutMap | SelfFanoutMap | OneToOneMap
    rank_columns: dict[str, int]
    """Columns numbered by the child's rank under its parent, with their first value."""
    partner_columns: dict[str, tuple[ForeignKey, int]]
    """Other FKs of the same unique key: a distinct parent per sibling (junction tables)."""


class TableKeys:
    """The key columns of one table: which ones keys.py makes, and their values for any rows."""

    def __init__(self, factory: KeyFactory, table: Table, rows: int) -> None:
        self.factory = factory
        self.table = table
        self.rows = rows
        self.unique: dict[str, UniqueKey] = {}
        self.edges: list[_Edge] = []
        self.column_edge: dict[str, _Edge] = {}
        self.deferred_columns: set[str] = set()
        self._build()

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        factory, table, seed = self.factory, self.table, self.factory.seed
        constraints = [table.primary_key] if table.primary_key else []
        constraints += [uc.columns for uc in table.unique_constraints]
        fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        handled: set[str] = set()
        lead_of: dict[int, tuple[dict[str, int], dict[str, tuple[ForeignKey, int]], int]] = {}
        one_to_one: set[int] = set()
        for columns in constraints:
            inside = [
                i
                for i, fk in enumerate(table.foreign_keys)
                if set(fk.columns) <= set(columns) and i not in lead_of
            ]
            if not inside:
                continue
            lead = max(inside, key=lambda i: table.foreign_keys[i].fanout is not None)
            lead_fk = table.foreign_keys[lead]
            if set(lead_fk.columns) == set(columns):
                one_to_one.add(lead)
                continue
            ranks: dict[str, int] = {}
            partners: dict[str, tuple[ForeignKey, int]] = {}
            cap: int | None = None
            for col in columns:
                if col in lead_fk.columns:
                    continue
                partner = next(
                    (
                        fk
                        for i, fk in enumerate(table.foreign_keys)
                        if i != lead and col in fk.columns
                    ),
                    None,
                )
                if partner is not None:
                    partners[col] = (partner, list(partner.columns).index(col))
                    size = factory.plan.row_count(partner.ref_table)
                    cap = size if cap is None else min(cap, size)
                elif col not in handled:
                    stats = table.columns[col].stats
                    first = 1
                    if stats is not None and stats.min is not None:
                        first = int(to_number(stats.min, table.columns[col].logical_type))
                    ranks[col] = first
            lead_of[lead] = (ranks, partners, cap if cap is not None else 0)
            handled.update(columns)
        # Single-column keys that are not FKs: PK, unique constraints, FK targets.
        singles: list[str] = []
        if len(table.primary_key) == 1:
            singles.append(table.primary_key[0])
        elif table.primary_key and not (set(table.primary_key) & fk_columns):
            # A composite key without FKs: its last column alone is made unique.
            singles.append(table.primary_key[-1])
        singles += [uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1]
        singles += factory.referenced.get(table.name, [])
        for col in singles:
            if col in fk_columns or col in self.unique or col in handled:
                continue
            self.unique[col] = UniqueKey(table, table.columns[col], self.rows, seed)
        plan = factory.plan.by_name.get(table.name)
        deferred = plan.deferred_fks if plan is not None else ()
        for i, fk in enumerate(table.foreign_keys):
            if any(c in self.column_edge for c in fk.columns):
                continue  # overlapping composite FKs: the first one decides the shared column
            key = derive_key(seed, table.name, "fk", *fk.columns)
            nullable = fk_nullable(table, fk)
            null_share = fk.fanout.null_fraction if (fk.fanout is not None and nullable) else 0.0
            nulls = round(self.rows * null_share)
            parents = factory.plan.row_count(fk.ref_table)
            if parents == 0 and self.rows - nulls > 0:
                if not nullable:
                    raise ConfigError(
                        f"table {table.name} gets {self.rows} rows but its parent"
                        f" {fk.ref_table} gets none; pin {fk.ref_table}'s row count with a rule"
                    )
                nulls = self.rows
            ranks, partners, cap = lead_of.get(i, ({}, {}, 0))
            mapping: FanoutMap | SelfFanoutMap | OneToOneMap
            if i in one_to_one:
                mapping = OneToOneMap(parents, self.rows, nulls, key, table.name)
            elif fk.ref_table == table.name:
                counts = fanout_counts(fk.fanout, parents, self.rows - nulls)
                mapping = SelfFanoutMap(counts, self.rows, nulls, key, shuffle=nullable)
            else:
                counts = fanout_counts(fk.fanout, parents, self.rows - nulls, cap or None)
                weights = fk.fanout.position_weights if fk.fanout is not None else ()
                placed = place_counts(counts, weights, key ^ 0x77)
                mapping = FanoutMap(placed, self.rows, nulls, key)
            edge = _Edge(fk, mapping, ranks, partners)
            self.edges.append(edge)
            for col in fk.columns:
                self.column_edge[col] = edge
            for col in (*ranks, *partners):
                self.column_edge.setdefault(col, edge)
            if fk in deferred:
                self.deferred_columns.update(fk.columns)

    # -- values ----------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Columns made here, in the table's order (the rest come from value generators)."""
        made = set(self.unique) | set(self.column_edge)
        return [c for c in self.table.columns if c in made]

    def values(self, column: str, idx: np.ndarray) -> pl.Series:
        """Values of *column* for row indices *idx* (NULL where a nullable FK is NULL)."""
        if column in self.unique:
            return self.unique[column].values(idx)
        edge = self.column_edge[column]
        choice = edge.mapping.choose(idx)
        null = choice.parent < 0
        parent = np.where(null, 0, choice.parent)
        dtype = POLARS_TYPES[self.table.columns[column].logical_type]
        if column in edge.fk.columns:
            ref = edge.fk.ref_columns[list(edge.fk.columns).index(column)]
            series = self.factory.table_keys(edge.fk.ref_table).values(ref, parent)
        elif column in edge.rank_columns:
            series = pl.Series(column, choice.rank + edge.rank_columns[column], dtype=pl.Int64)
        else:
            partner, position = edge.partner_columns[column]
            size = self.factory.plan.row_count(partner.ref_table)
            offset = mix64(parent, derive_key(self.factory.seed, self.table.name, column))
            spread = (offset % np.uint64(max(size, 1))).astype(np.int64)
            other = (spread + np.maximum(choice.rank, 0)) % max(size, 1)
            key = derive_key(self.factory.seed, self.table.name, "partner", column)
            other = Permutation(size, key).forward(other)
            ref = partner.ref_columns[position]
            series = self.factory.table_keys(partner.ref_table).values(ref, other)
        series = series.alias(column)
        if series.dtype != dtype:
            series = series.cast(dtype, strict=False)
        if null.any():
            series = pl.select(
                pl.when(pl.Series(null)).then(None).otherwise(series).alias(column)
            ).to_series()
        return series

    def frame(self, start: int, count: int, *, with_deferred: bool = False) -> pl.DataFrame:
        """Key columns of rows ``[start, start + count)``; deferred FK columns are NULL unless
        *with_deferred* (the values the later update writes)."""
        idx = np.arange(start, start + count, dtype=np.int64)
        out = []
        for column in self.columns:
            if column in self.deferred_columns and not with_deferred:
                dtype = POLARS_TYPES[self.table.columns[column].logical_type]
                out.append(pl.Series(column, [None] * count, dtype=dtype))
            else:
                out.append(self.values(column, idx))
        return pl.DataFrame(out)

    def update_frame(self, start: int, count: int, columns: list[str]) -> pl.DataFrame:
        """Primary key plus the deferred FK *columns* of rows ``[start, start + count)``, rows
        with a value only: the chunks of the update that closes a cycle or a self-reference."""
        idx = np.arange(start, start + count, dtype=np.int64)
        key_columns = list(self.table.primary_key)
        frame = pl.DataFrame([self.values(c, idx) for c in key_columns + columns])
        return frame.drop_nulls(subset=columns)

    @property
    def deferred_list(self) -> list[str]:
        return [c for c in self.table.columns if c in self.deferred_columns]


class KeyFactory:
    """Builds :class:`TableKeys` lazily for every table of a plan (parents on demand)."""

    def __init__(self, profile: Profile, plan: GenerationPlan, seed: int) -> None:
        self.profile = profile
        self.plan = plan
        self.seed = seed
        self._tables: dict[str, TableKeys] = {}
        self.referenced: dict[str, list[str]] = {}
        for table in profile.tables.values():
            for fk in table.foreign_keys:
                # Targets of FKs must be computable from a parent index: make them keys here.
                targets = self.referenced.setdefault(fk.ref_table, [])
                targets.extend(c for c in fk.ref_columns if c not in targets)

    def table_keys(self, name: str) -> TableKeys:
        """Keys of table *name* (built once)."""
        keys = self._tables.get(name)
        if keys is None:
            keys = TableKeys(self, self.profile.table(name), self.plan.row_count(name))
            self._tables[name] = keys
        return keys
