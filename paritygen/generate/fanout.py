"""Foreign-key fan-out: how many children each parent gets, *which* parents, and child -> parent.

DESIGN.md asks an FK column to keep two shapes: the children-per-parent distribution (fan-out:
quantiles, childless share, the heaviest parents) and the distribution of the FK's own values
over the key space (sales pile up on a few best sellers, on recent dates, on EUR). The profile
holds the first as :class:`FanoutStats` and the second as the child FK column's own
:class:`ColumnStats` (most-common values, quantiles). Both are kept here, in three steps:

1. :func:`fanout_counts`: the multiset of counts, from the fan-out quantiles, summing exactly to
   the child rows, with the profiled maximum and ``top_share``;
2. :func:`~paritygen.generate.fk_values.value_target` + :func:`place_counts`: a target share
   per parent from the FK column's statistics (most-common values pin their parents' shares
   exactly; the quantiles spread the rest over the key values), then the counts dealt to
   parents so each parent-value bucket receives its target mass while the multiset of counts
   (the fan-out shape) is unchanged;
3. :class:`FanoutMap` and friends: child row i -> parent row, a pure function of i through a
   keyed bijection (:class:`Permutation`), so any block is computed alone with O(parents) memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paritygen.errors import ConfigError
from paritygen.generate.fk_values import ValueTarget
from paritygen.generate.unique_keys import Permutation
from paritygen.profile.fanout_shape import (  # noqa: F401 (the count rules, shared with verify)
    apply_cap,
    fanout_counts,
    integerise,
    mean_growth,
)
from paritygen.profile.model import ForeignKey, Table

_PLACE_ITERATIONS = 12
MASS_BUCKETS = 100
"""Buckets of equal target mass (in parent-value order) whose sums :func:`place_counts` matches:
one per percentile of the profile's 101 quantile points, so the FK column's quantiles are
reproduced (finer buckets only chase the lumps of the heaviest counts)."""


# --------------------------------------------------------------------------- placement


def place_counts(counts_desc: np.ndarray, target: ValueTarget, key: int) -> np.ndarray:
    """Deal the counts (sorted descending) to parents so the FK's values follow *target*.

    Pinned parents (most-common values) get exactly their share of the children; they take the
    place of the heaviest counts, and the remaining counts are stretched or shrunk (zeros stay
    zeros) to the remaining children. The rest are dealt in the order of Efraimidis-Spirakis
    keys (an exponential draw per parent over its target mass, so heavy counts go where heavy
    mass is), with a rate per bucket of equal target mass refined until each bucket holds its
    share: the multiset of counts (the fan-out shape) is untouched, only its placement moves.
    """
    parents = counts_desc.size
    children = int(counts_desc.sum())
    if parents == 0 or children == 0:
        return np.zeros(parents, dtype=np.int64)
    mass = target.mass  # shares are never negative
    pinned_idx = np.flatnonzero(target.pinned)
    pinned_idx = pinned_idx[mass[pinned_idx] > 0]
    exact = integerise(mass[pinned_idx], min(children, round(mass[pinned_idx].sum() * children)))
    if target.heaviest:  # a most-common value was seen k times at least: it keeps a child
        exact = _at_least_one(exact)
    if target.heaviest:  # the heaviest counts stood for them; the rest keeps its shape
        tail = counts_desc[pinned_idx.size :]
        # the pinned shares' rounding never leaves the rest too few children for its
        # parents with children (two one-track playlists must not become childless)
        short = int((tail > 0).sum()) - (children - int(exact.sum()))
        if short > 0:
            exact = _give_back(exact, short)
        rest = _refit(tail, children - int(exact.sum()), False)
    else:  # each one takes the place of the count it resembles; surplus off the top
        rest = _refit(_without_nearest(counts_desc, exact), children - int(exact.sum()), True)
    if pinned_idx.size == parents:
        placed = np.zeros(parents, dtype=np.int64)
        placed[pinned_idx] = exact
        return placed
    # Memory: about 30 bytes per free parent (float32 keys, one-byte buckets, int32 counts).
    in_order: np.ndarray | slice = slice(None)  # free parents in value order
    if pinned_idx.size or target.order is not None:
        in_order = np.arange(parents) if target.order is None else target.order
        if pinned_idx.size:
            free = np.ones(parents, dtype=bool)
            free[pinned_idx] = False
            in_order = in_order[free[in_order]]
            del free
    free_count = parents - pinned_idx.size
    free_mass = mass[in_order].astype(np.float32)
    total_mass = float(free_mass.sum(dtype=np.float64))
    if total_mass <= 0:
        free_mass[:] = 1.0
        total_mass = float(free_count)
    cumulative = np.cumsum(free_mass, dtype=np.float64)
    cumulative -= free_mass / 2
    cumulative *= MASS_BUCKETS / total_mass
    bucket = np.minimum(cumulative, MASS_BUCKETS - 1).astype(np.uint8)
    del cumulative
    wanted = np.bincount(bucket, weights=free_mass, minlength=MASS_BUCKETS) / total_mass
    if target.groups is not None:
        shared = np.random.default_rng(key).exponential(size=int(target.groups.max()) + 1)
        draws = shared[target.groups[in_order]].astype(np.float32)
    else:
        draws = np.random.default_rng(key).standard_exponential(free_count, np.float32)
    with np.errstate(divide="ignore"):
        draws /= free_mass  # zero mass: +inf, dealt last (the zeros)
    del free_mass, mass
    target.mass = np.zeros(0)  # consumed: the shares' memory is free for the dealing below
    rest = rest.astype(np.int32 if children < 2**31 else np.int64)
    adjust = np.ones(MASS_BUCKETS, dtype=np.float32)
    rest_total = float(rest.sum())
    best, best_error = None, np.inf
    sort_key = np.empty_like(draws)
    for _ in range(_PLACE_ITERATIONS):
        np.divide(draws, adjust[bucket], out=sort_key)
        order = np.argsort(sort_key)  # deterministic; ties are only the zero-mass parents
        dealt = np.empty(free_count, dtype=rest.dtype)
        dealt[order] = rest
        del order
        if rest_total <= 0:
            best = dealt
            break
        sums = np.bincount(bucket, weights=dealt, minlength=MASS_BUCKETS) / rest_total
        error = float(np.abs(np.cumsum(sums - wanted)).max())
        if best is None or error < best_error:
            best, best_error = dealt, error
        if error < 0.002:
            break
        ratio = np.divide(wanted, sums, out=np.full(MASS_BUCKETS, 5.0), where=sums > 0)
        adjust *= np.clip(ratio**0.8, 0.2, 5.0).astype(np.float32)
    del draws, sort_key
    placed = np.zeros(parents, dtype=np.int64)
    placed[pinned_idx] = exact
    placed[in_order] = best
    return placed


def _at_least_one(exact: np.ndarray) -> np.ndarray:
    """Pinned counts with every pinned parent at one child at least (a playlist production saw
    with one track keeps it at ``--scale 0.5`` instead of joining the childless), the rows this
    needs taken from the heaviest pinned counts; unchanged when the total is too small."""
    empty = exact == 0
    if not empty.any() or exact.size > int(exact.sum()):
        return exact
    exact = exact.copy()
    exact[empty] = 1
    return _give_back(exact, int(empty.sum()))


def _give_back(exact: np.ndarray, amount: int) -> np.ndarray:
    """*exact* less up to *amount* children, taken from the heaviest counts (each keeps one)."""
    exact = exact.copy()
    for position in np.argsort(-exact, kind="stable"):
        if amount <= 0:
            break
        give = min(amount, int(exact[position]) - 1)
        exact[position] -= give
        amount -= give
    return exact


def _without_nearest(counts_desc: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """*counts_desc* less one count per pinned count, each the nearest one still free: the
    pinned parents take the place of the counts they resemble (the heaviest for the heaviest
    values, a 2 for a rare currency of a best seller), so the rest keeps its shape."""
    if exact.size == 0:
        return counts_desc
    wanted = np.sort(exact)[::-1]
    ascending = counts_desc[::-1]
    # first index (descending order) whose count is <= the wanted one, or the one before it
    # (the smallest count above it), whichever is nearer
    start = counts_desc.size - np.searchsorted(ascending, wanted, side="right")
    start = np.clip(start, 0, counts_desc.size - 1)
    above = np.maximum(start - 1, 0)
    nearer = np.abs(counts_desc[above] - wanted) < np.abs(counts_desc[start] - wanted)
    start = np.where(nearer, above, start)
    steps = np.arange(wanted.size)
    chosen = np.maximum.accumulate(start - steps) + steps  # distinct, increasing positions
    overflow = chosen >= counts_desc.size
    if overflow.any():  # the tail ran out: take the last free positions instead
        chosen[overflow] = -1
        free = np.setdiff1d(np.arange(counts_desc.size), chosen[~overflow])
        chosen[overflow] = free[-int(overflow.sum()) :]
    keep = np.ones(counts_desc.size, dtype=bool)
    keep[chosen] = False
    return counts_desc[keep]


def _refit(counts_desc: np.ndarray, total: int, from_top: bool) -> np.ndarray:
    """Counts (descending) brought to sum to *total*: positives stay >= 1, zeros stay zeros
    (the childless share holds), unless *total* is too small for that.

    *from_top*: too many children are taken off the heaviest counts first (a cap lowered until
    the sum fits): the pinned parents already hold the heavy mass those counts stood for, and
    the body of the distribution, which the fan-out quantiles measure, stays as it was.
    Otherwise (and for too few) the difference is spread in proportion."""
    if counts_desc.size == 0:
        return counts_desc
    total = max(total, 0)
    positive = int((counts_desc > 0).sum())
    if int(counts_desc.sum()) == total:  # nothing to move (every FK without pinned parents)
        return counts_desc
    counts = counts_desc.astype(np.int64)  # a copy: the caller's counts stay as they were
    if positive > total:
        counts[:] = 0
        counts[:total] = 1
        return counts
    if positive == 0:
        return integerise(np.ones(counts.size), total)
    body = counts[:positive]
    if from_top and int(body.sum()) > total:
        low, high = 1, int(body.max())  # the largest cap whose capped sum still fits
        while low < high:
            mid = (low + high + 1) // 2
            if int(np.minimum(body, mid).sum()) <= total:
                low = mid
            else:
                high = mid - 1
        capped = np.minimum(body, low)
        short = total - int(capped.sum())
        capped[np.flatnonzero(body > low)[:short]] += 1  # the rounding, on the heaviest
        counts[:positive] = capped
    else:  # in proportion to each count's excess over 1, largest remainders rounded up
        factor = (total - positive) / max(int(body.sum()) - positive, 1)
        excess = (body - 1) * factor
        whole = np.floor(excess)
        excess -= whole  # now the remainders
        body[:] = 1 + whole.astype(np.int64)
        del whole
        short = total - int(body.sum())
        if short >= body.size:  # no excess to share in proportion (every count was 1): evenly
            evenly, short = divmod(short, body.size)
            body += evenly
        if short > 0:  # the short-th largest remainder by selection, not a full argsort
            threshold = np.partition(excess, excess.size - short)[excess.size - short]
            above = excess > threshold
            body[above] += 1
            ties = np.flatnonzero(excess == threshold)[: short - int(above.sum())]
            body[ties] += 1
    counts.sort()
    return counts[::-1]


# --------------------------------------------------------------------------- child -> parent


def locate(cum: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """``searchsorted(cum, slots, side="right")`` for slots in random order, about 3x faster on
    large parents: the slots are sorted first (packed with their position into one int64, so
    one plain sort does it), which turns the binary searches' cache misses into a near-linear
    walk of *cum* (numpy narrows each search from the previous one when the keys ascend)."""
    size = slots.size
    width = max(1, (size - 1).bit_length())
    if size < 4096 or (cum.size and int(cum[-1]) >= 1 << (62 - width)):
        return np.searchsorted(cum, slots, side="right")
    packed = np.sort((np.maximum(slots, -1) + 1) << width | np.arange(size, dtype=np.int64))
    found = np.searchsorted(cum, (packed >> width) - 1, side="right")
    out = np.empty(size, dtype=np.int64)
    out[packed & ((1 << width) - 1)] = found
    return out


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

    def __init__(
        self, counts: np.ndarray, children: int, nulls: int, key: int, *, in_order: bool = False
    ) -> None:
        """*in_order*: children in their parents' order instead (see :func:`leads_primary_key`)."""
        # int32 where it fits: this map and its running sum are what a FK keeps for the whole load
        self.counts = counts.astype(np.int32 if counts.max(initial=0) < 2**31 else np.int64)
        self.cum = np.cumsum(self.counts, dtype=np.int64)
        self.nulls = nulls
        self.permutation = None if in_order else Permutation(children, key)

    def choose(self, idx: np.ndarray) -> ParentChoice:
        forward = idx if self.permutation is None else self.permutation.forward(idx)
        slot = forward - self.nulls
        parent = locate(self.cum, slot)
        parent = np.minimum(parent, max(self.counts.size - 1, 0))
        rank = slot - (self.cum[parent] - self.counts[parent]) if self.counts.size else slot
        parent = np.where(slot < 0, -1, parent)
        return ParentChoice(parent=parent, rank=np.where(slot < 0, -1, rank))


def leads_primary_key(table: Table, fk: ForeignKey) -> bool:
    """True when *fk*'s columns open the table's composite primary key (an order line keyed by
    ``(order_id, line_no)``). Production inserts such children with their parent, so the rows
    sit in key order; dealt in the parents' order instead of spread at random, they do too:
    InnoDB fills its clustered pages as production's (random key order split them, a third
    more bytes for TPC-H's lineitem) and PostgreSQL's physical correlation is production's."""
    key = tuple(table.primary_key)
    return len(key) > len(fk.columns) and key[: len(fk.columns)] == tuple(fk.columns)


def tree_placement_holds(counts: np.ndarray, nulls: int) -> bool:
    """True when every parent's first child comes after it: child rows ``nulls..`` are dealt to
    parents in row order, so parent p's first child is row ``nulls + cum[p - 1]``. Otherwise the
    clipping below would fold the children onto the rows just before them (a chain)."""
    cum = np.cumsum(counts)
    first_child = nulls + cum - counts
    positive = counts > 0
    return bool(np.all(first_child[positive] > np.flatnonzero(positive)))


def breadth_first(counts: np.ndarray) -> np.ndarray:
    """The same counts laid out as a breadth-first tree: the parents first, heaviest first (the
    roots' children are the next rows, theirs the rows after): every parent precedes its
    children and the depth grows with the log of the rows, as in real hierarchies."""
    ordered = np.sort(counts)[::-1]
    return ordered.astype(np.int64)


class SelfFanoutMap:
    """A self-reference that forms a forest: every row's parent has a smaller row index.

    The first ``nulls`` rows are the roots (NULL); row r's slot ``r - nulls`` falls into the run
    of the parent whose placed count covers it, clipped below r. Parents therefore precede
    their children (a NOT NULL self-FK written inline loads parents first), hierarchies have no
    cycles, and the placed counts follow the FK column's value distribution, which in real
    trees sits on the early rows (categories 1-48 parenting 49-208).
    """

    def __init__(self, counts: np.ndarray, rows: int, nulls: int) -> None:
        counts = counts.astype(np.int64)
        if not tree_placement_holds(counts, nulls):
            counts = breadth_first(counts)
        self.cum = np.cumsum(counts)
        self.nulls = nulls
        self.rows = rows

    def choose(self, idx: np.ndarray) -> ParentChoice:
        slot = idx - self.nulls
        parent = np.searchsorted(self.cum, slot, side="right")
        parent = np.minimum(parent, np.maximum(idx - 1, 0))
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
