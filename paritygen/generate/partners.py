"""Key columns that depend on another FK of the same row: junction partners and tenant groups.

- :class:`PartnerMap`: the second FK of a junction's composite key (``product_category``)
  follows its own profiled fan-out while each lead parent's partners stay distinct;
  :class:`DenseJunctionMap` does the same where the groups are too large to space
  (``playlist_track``).
- :class:`ParentGroups`: overlapping composite FKs (``(tenant_id, customer_id)`` and
  ``(tenant_id, product_id)``) pick the second parent among those of the row's tenant.

Both are pure functions of row indices (the chunk contract of :mod:`paritygen.generate.base`) and
keep O(parents) memory.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl

from paritygen.generate.fanout import FanoutMap, locate


class PartnerMap:
    """The second FK of a sparse junction (``product_category``: a category's products): each
    child's partner follows the partner FK's own children-per-parent counts exactly, and the
    partners of one lead parent's children are distinct, so the composite key holds.

    Child slot s (its place in the lead :class:`FanoutMap`, siblings adjacent) takes partner
    slot ``t = (s * stride + offset) mod total``; the partner is the run of the partner counts
    holding t (a configuration model). With ``gcd(stride, total) = 1`` this is a bijection, so
    every partner gets exactly its count; with ``stride >=`` the largest partner count and
    ``(k_max - 1) * stride <= total -`` that count, the k siblings' slots lie at least one run
    apart, so their partners are distinct. ``stride`` is 0 when no such stride exists (a dense
    junction): the caller then draws distinct partners under each parent its own way.
    """

    def __init__(self, lead: FanoutMap, partner_counts: np.ndarray, key: int) -> None:
        self.lead = lead
        self.partners = int(partner_counts.size)
        self.pcum = np.cumsum(partner_counts.astype(np.int64))
        self.total = int(lead.cum[-1]) if lead.cum.size else 0
        self.stride = _spacing_stride(
            self.total,
            int(partner_counts.max(initial=0)),
            int(lead.counts.max(initial=0)),
            np.random.default_rng(key),
        )
        self.offset = int(np.random.default_rng(key ^ 0x5EED).integers(0, max(self.total, 1)))

    def choose(self, parent: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Partner row per child (-1 for a NULL lead parent, or everywhere without a stride)."""
        out = np.full(parent.size, -1, dtype=np.int64)
        if not self.stride or self.partners == 0:
            return out
        live = parent >= 0
        lead = self.lead
        slot = lead.cum[parent[live]] - lead.counts[parent[live]] + rank[live]
        spread = (slot * self.stride + self.offset) % self.total
        out[live] = np.minimum(locate(self.pcum, spread), self.partners - 1)
        return out


def _spacing_stride(total: int, largest_count: int, largest_group: int, rng) -> int:
    """A stride coprime to *total* that spaces any *largest_group* adjacent slots at least
    *largest_count* apart around the circle (0 when none exists): see :class:`PartnerMap`."""
    low = max(largest_count, 1)
    high = (total - largest_count) // max(largest_group - 1, 1) if largest_group > 1 else total
    high = min(high, total - 1)
    if total < 2 or low > high:
        return 0
    start = int(rng.integers(low, high + 1))
    for candidate in itertools.chain(range(start, high + 1), range(low, start)):
        if math.gcd(candidate, total) == 1:
            return candidate
    return 0


class DenseJunctionMap:
    """The second FK of a dense junction (``playlist_track``: one playlist holds 94 % of the
    tracks, each track sits in 2-5 playlists): each partner gets exactly its profiled count and
    each lead parent's partners stay distinct, where no spacing stride exists.

    The partners' slots are laid out in rounds (a Gale-Ryser style realisation): round r lists,
    heaviest first, every partner whose count is at least r, so each round's list is a prefix
    of the one before. The lead parents' groups, largest first, take consecutive runs of that
    layout. A run inside one round names distinct partners; a run that starts at offset a of
    round r and spills b slots into round r + 1 does too when ``b <= a`` (round r + 1 holds
    partners ``[0, n[r+1])``, the run's part of round r partners ``[a, n[r])``). The layout is
    *feasible* when every group's run is such; otherwise the caller draws its own way. Drawing
    each group's partners independently instead (a permutation per lead parent) gave
    Chinook's tracks 1 playlist in 5 % of rows where production's minimum is 2.
    Memory: O(lead parents + partners); a pure function of (lead parent, rank).
    """

    def __init__(self, lead: FanoutMap, partner_counts: np.ndarray) -> None:
        counts = partner_counts.astype(np.int64)
        lead_counts = lead.counts.astype(np.int64)
        self.partner_order = np.argsort(-counts, kind="stable")
        by_size = np.argsort(-lead_counts, kind="stable")
        self.start = np.zeros(lead_counts.size, dtype=np.int64)
        self.start[by_size] = np.cumsum(lead_counts[by_size]) - lead_counts[by_size]
        # round r (1-based) holds the partners with a count >= r: n[r] = partners - #(count < r)
        histogram = np.bincount(counts, minlength=1)
        at_least = counts.size - np.cumsum(histogram)[:-1]  # rounds 1..max count
        self.round_start = np.concatenate([[0], np.cumsum(at_least)]).astype(np.int64)
        self.feasible = bool(
            int(counts.sum()) == int(lead_counts.sum())
            and counts.size
            and self._runs_distinct(lead_counts)
        )

    def _round(self, slot: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.round_start, slot, side="right") - 1

    def _runs_distinct(self, lead_counts: np.ndarray) -> bool:
        live = lead_counts > 0
        first = self.start[live]
        last = first + lead_counts[live] - 1
        first_round, last_round = self._round(first), self._round(last)
        offset = first - self.round_start[first_round]
        spill = last - self.round_start[np.minimum(last_round, self.round_start.size - 1)] + 1
        inside = last_round == first_round
        spills_once = (last_round == first_round + 1) & (spill <= offset)
        return bool(np.all(inside | spills_once))

    def choose(self, parent: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Partner row per child (-1 for a NULL lead parent, or everywhere when infeasible)."""
        out = np.full(parent.size, -1, dtype=np.int64)
        if not self.feasible:
            return out
        live = parent >= 0
        slot = self.start[parent[live]] + rank[live]
        offset = slot - self.round_start[self._round(slot)]
        out[live] = self.partner_order[np.minimum(offset, self.partner_order.size - 1)]
        return out


GREEDY_JUNCTION_SLOTS = 2_000_000
"""Largest junction (child rows) :class:`GreedyJunctionMap` lays out: it holds one partner per
child (4 bytes each), so it serves the small dense junctions the rounds cannot lay out."""

GREEDY_JUNCTION_WORK = 20_000_000
"""Largest partners x lead parents product it works through (one selection per partner)."""


class GreedyJunctionMap:
    """The second FK of a dense junction when the rounds of :class:`DenseJunctionMap` do not
    fit (students kept at 600 under three times the enrolments: each takes 3-24 of 40 courses,
    the late rounds are shorter than the small courses): each partner, heaviest first, joins
    the lead groups with the most room left (the Havel-Hakimi greedy, which realises any
    realisable pair of count sequences), so both FKs keep their counts exactly. Memory: one
    partner per child, hence only up to :data:`GREEDY_JUNCTION_SLOTS` children.
    """

    def __init__(self, lead: FanoutMap, partner_counts: np.ndarray) -> None:
        counts = partner_counts.astype(np.int64)
        room = lead.counts.astype(np.int64).copy()
        self.start = np.cumsum(room) - room
        self.feasible = False
        self.partner_of = np.zeros(0, dtype=np.int32)
        total = int(room.sum())
        if total != int(counts.sum()) or total > GREEDY_JUNCTION_SLOTS or not total:
            return
        if counts.size * room.size > GREEDY_JUNCTION_WORK:
            return
        groups, partners = [], []
        for partner in np.argsort(-counts, kind="stable"):
            need = int(counts[partner])
            if need == 0:
                break
            if need > room.size:
                return
            chosen = np.argpartition(-room, need - 1)[:need]
            if int(room[chosen].min()) <= 0:
                return  # not realisable: the caller draws its own way
            room[chosen] -= 1
            groups.append(chosen)
            partners.append(np.full(need, partner, dtype=np.int32))
        group = np.concatenate(groups)
        order = np.argsort(group, kind="stable")
        self.partner_of = np.concatenate(partners)[order]
        self.feasible = True

    def choose(self, parent: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Partner row per child (-1 for a NULL lead parent, or everywhere when infeasible)."""
        out = np.full(parent.size, -1, dtype=np.int64)
        if not self.feasible:
            return out
        live = parent >= 0
        slot = self.start[parent[live]] + rank[live]
        out[live] = self.partner_of[np.minimum(slot, self.partner_of.size - 1)]
        return out


class ParentGroups:
    """The parent rows grouped by the values of some key columns (a tenant's customers), for
    moving a chosen parent into the group a row's values name. Memory: O(parents)."""

    def __init__(self, values: pl.DataFrame, weights: np.ndarray | None) -> None:
        self.dtypes = dict(values.schema)
        keys = values.hash_rows(seed=0).to_numpy()
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]
        self.keys = keys
        starts = np.searchsorted(self.sorted, keys, side="left")
        self.size = np.searchsorted(self.sorted, keys, side="right") - starts
        self.place = np.empty(keys.size, dtype=np.int64)
        self.place[self.order] = np.arange(keys.size) - starts[self.order]
        # Running sum of the placed children per parent, in group order: a moved child lands on
        # a parent of its group in proportion to that parent's count (childless ones never).
        self.cum = None
        if weights is not None and weights.size == keys.size:
            self.cum = np.concatenate([[0], np.cumsum(weights[self.order], dtype=np.int64)])

    def move(self, parent: np.ndarray, wanted: pl.DataFrame, noise: np.ndarray) -> np.ndarray:
        """For each row, *parent* if it is in the wanted group, else a parent of that group
        (weighted by the placed counts, by *noise*; else at the same relative place), -1 when
        the group is empty."""
        if not self.keys.size:
            return np.full(parent.size, -1, dtype=np.int64)
        safe = np.maximum(parent, 0)
        key = wanted.hash_rows(seed=0).to_numpy()
        low = np.searchsorted(self.sorted, key, side="left")
        high = np.searchsorted(self.sorted, key, side="right")
        size = high - low
        slot = low + (self.place[safe] * size) // np.maximum(self.size[safe], 1)
        if self.cum is not None:
            mass = self.cum[high] - self.cum[low]
            uniform = (noise >> np.uint64(11)).astype(np.float64) / float(1 << 53)
            target = self.cum[low] + np.floor(uniform * mass).astype(np.int64)
            weighted = np.searchsorted(self.cum, target, side="right") - 1
            slot = np.where(mass > 0, np.clip(weighted, low, np.maximum(high - 1, low)), slot)
        moved = np.where(size > 0, self.order[np.minimum(slot, self.keys.size - 1)], -1)
        return np.where(self.keys[safe] == key, safe, moved)
