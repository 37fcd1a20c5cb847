"""Foreign-key edges of a table's keys: how a child row chooses its parent.

A :class:`KeyEdge` is one FK of one table as :class:`~paritygen.generate.keys.TableKeys` makes
it: its parent map (profiled fan-out, one-to-one or self-reference, from
:mod:`paritygen.generate.fanout`), the rank columns numbered under each parent (line_no), the
partner columns of a junction table with their :class:`PartnerMap`, and the columns shared with
an earlier, overlapping composite FK (a tenant_id). The builders here run on first use, when
every table's keys exist, so cycles and composite parents resolve in any order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.fanout import (
    FanoutMap,
    OneToOneMap,
    SelfFanoutMap,
    apply_cap,
    fanout_counts,
    leads_primary_key,
    place_counts,
)
from paritygen.generate.fk_values import (
    ValueTarget,
    sequence_target,
    unique_target,
    value_target,
)
from paritygen.generate.partners import (
    DenseJunctionMap,
    GreedyJunctionMap,
    ParentGroups,
    PartnerMap,
)
from paritygen.generate.plan import fk_nullable
from paritygen.generate.structure import (
    OwnerMap,
    default_counts,
    default_roots,
    default_tree,
    measured,
)
from paritygen.generate.unique_keys import Permutation, derive_key, mix64
from paritygen.profile.model import ForeignKey, Table

if TYPE_CHECKING:
    from paritygen.generate.keys import TableKeys

PartnerChoice = PartnerMap | DenseJunctionMap | GreedyJunctionMap
"""The maps that keep a junction's partner FK at its own profiled counts."""

PARTNER_SPACE_LIMIT = 1 << 60
"""Combinations of partners beyond this are never needed (sibling groups are far smaller); the
bijection stays within 64-bit arithmetic."""

SPARSE_JUNCTION = 0.5
"""A junction is sparse when the product of its FKs' largest fan-outs is at most this share of
its rows: a spacing stride then exists with room to spare (:class:`PartnerMap`)."""


def choose_lead(table: Table, fks: list[ForeignKey], positions: list[int]) -> int:
    """Which FK of a composite key numbers the children under its parents (the lead).

    FKs with a profiled fan-out first. In a sparse junction (the largest fan-outs multiplied
    stay well within the rows, so :class:`PartnerMap` can space each group's partners) the FK
    with the smaller groups leads and the partner side keeps its exact counts too; otherwise
    (every product in most of three warehouses, one playlist holding most tracks) the FK whose
    fan-out is clearly the more skewed (max / mean, in steps of 25 %) leads, so the skewed side
    keeps its exact counts while the even side's distinct draws stay even. Between equally
    skewed sides: in a full cross product (every product in every currency) the side with the
    smaller groups leads, as its partners then come out complete; otherwise the side with the
    larger groups (three warehouses) leads, so which of its parents are heavy holds exactly.
    Never the declaration order: SQLite and PostgreSQL reflect FKs in different orders.
    """
    known = [fk.fanout for fk in fks if fk.fanout is not None]
    sparse = bool(known) and math.prod(f.max for f in known) <= SPARSE_JUNCTION * table.row_count

    combinations = math.prod(f.parent_rows for f in known) if known else 0
    full = bool(known) and table.row_count >= 0.99 * combinations

    def order(i: int) -> tuple[bool, float, float, int]:
        fanout = fks[i].fanout
        if fanout is None:
            return (True, 0.0, 0.0, i)
        if sparse:
            return (False, fanout.mean, 0.0, i)
        skew = math.floor(4.0 * math.log2(max(fanout.max, 1) / max(fanout.mean, 1e-9)))
        return (False, -skew, fanout.mean if full else -fanout.mean, i)

    return positions[min(range(len(fks)), key=order)]


@dataclass
class KeyEdge:
    fk: ForeignKey
    build: Callable[[], FanoutMap | SelfFanoutMap | OneToOneMap]
    """A callable making the map on first use: parents' keys are read only when rows are made,
    when every table's keys exist (cycles and composite parents included)."""
    rank_columns: dict[str, int]
    """Columns numbered by the child's rank under its parent, with their first value."""
    partner_columns: dict[str, tuple[ForeignKey, int]]
    """Other FKs of the same unique key: a distinct parent per sibling (junction tables)."""
    _mapping: FanoutMap | SelfFanoutMap | OneToOneMap | None = None
    partner_radices: list[tuple[ForeignKey, int]] = field(default_factory=list)
    """The partner FKs with their parents' planned rows: the digits of a sibling's partner
    combination, in mixed radix (the first varies fastest)."""
    partner_space: Permutation | None = None
    """A keyed bijection of the partners' combinations (their product): sibling rank r takes
    combination ``forward(r)`` under a tweak per lead parent, so siblings' tuples are distinct
    up to the product of the partners' key spaces (items x warehouses), not their minimum."""
    partner_tweak: int = 0
    partner_key: int = 0
    active_builds: dict[int, Callable[[], np.ndarray | None]] = field(default_factory=dict)
    """Per partner FK (by ``id``), a callable giving the parent rows its children may use (None:
    every row), see :func:`partner_active_builder`."""
    _partner_layout: tuple[Permutation, list] | None = None
    partner_builds: dict[int, Callable[[], PartnerChoice | None]] = field(default_factory=dict)
    """Per partner FK (by ``id``), a callable making its :class:`PartnerMap` (None: no fan-out
    known, or more than one partner FK)."""
    _partner_maps: dict[int, PartnerChoice | None] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    """Columns of this FK made by an earlier, overlapping FK (a composite key's tenant_id)."""
    groups: ParentGroups | None = None

    def partner_map(self, partner: ForeignKey) -> PartnerChoice | None:
        if id(partner) not in self._partner_maps:
            build = self.partner_builds.get(id(partner))
            self._partner_maps[id(partner)] = build() if build is not None else None
        return self._partner_maps[id(partner)]

    def set_partners(self, radices: list[tuple[ForeignKey, int]], key: int, tweak: int) -> None:
        """Declare the partner FKs of this lead edge and their parents' sizes (the layout of
        their combinations is made on first use, see :meth:`_layout`)."""
        self.partner_radices = radices
        self.partner_key = key
        self.partner_tweak = tweak

    def _layout(self) -> tuple[Permutation, list[tuple[ForeignKey, np.ndarray | None, int]]]:
        """The partners' combinations: per partner FK, the parent rows its children may use
        (those its profiled fan-out gives children, placed where its values lie: a snapshot
        stocks 60 of 150 products), as long as their product still holds the largest sibling
        group; else every parent row."""
        if self._partner_layout is None:
            actives = [(fk, self.active_builds[id(fk)]() if id(fk) in self.active_builds
                        else None, size) for fk, size in self.partner_radices]  # fmt: skip
            digits = [(fk, rows, rows.size if rows is not None else size)
                      for fk, rows, size in actives]  # fmt: skip
            counts = getattr(self.mapping, "counts", None)
            largest = int(counts.max(initial=0)) if counts is not None else 0
            if math.prod(width for _, _, width in digits) < largest:
                digits = [(fk, None, size) for fk, _, size in actives]
            space = math.prod(width for _, _, width in digits)
            self.partner_space = Permutation(min(space, PARTNER_SPACE_LIMIT), self.partner_key)
            self._partner_layout = (self.partner_space, digits)
        return self._partner_layout

    def partner_rows(self, partner: ForeignKey, parent: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """The row of *partner*'s parent for each child (lead *parent*, sibling *rank*)."""
        permutation, digits = self._layout()
        space = permutation.n
        combination = permutation.forward(
            np.maximum(rank, 0) % max(space, 1), mix64(np.maximum(parent, 0), self.partner_tweak)
        )
        row = combination
        for fk, rows, width in digits:
            if fk is partner:
                row = combination % max(width, 1)
                if rows is not None:
                    row = rows[row]
                break
            combination = combination // max(width, 1)
        if len(self.partner_radices) == 1:
            partner_map = self.partner_map(partner)
            if partner_map is not None:  # the partner FK's own fan-out (spaced or in rounds)
                chosen = partner_map.choose(parent, rank)
                row = np.where(chosen >= 0, chosen, row)
        return row

    @property
    def mapping(self) -> FanoutMap | SelfFanoutMap | OneToOneMap:
        if self._mapping is None:
            self._mapping = self.build()
        return self._mapping


def edge_map_builder(
    keys: TableKeys, fk: ForeignKey, one_to_one: bool, cap: int
) -> Callable[[], FanoutMap | SelfFanoutMap | OneToOneMap]:
    """A callable making *fk*'s parent map for the rows of *keys* (fan-out, one-to-one or
    self-reference), on first use."""

    def build() -> FanoutMap | SelfFanoutMap | OneToOneMap:
        table, factory = keys.table, keys.factory
        key = derive_key(factory.seed, table.name, "fk", *fk.columns)
        # Columns an earlier, overlapping FK makes (tenant_id) do not count: this FK is
        # NULL when its own columns are (MATCH SIMPLE: one NULL column skips the check).
        makers = {c: keys.column_edge.get(c) for c in fk.columns}
        shared = {c for c, e in makers.items() if e is not None and e.fk is not fk}
        own = [c for c in fk.columns if c not in shared]
        nullable = fk_nullable(table, fk) or (
            bool(shared) and all(table.columns[c].nullable for c in own)
        )
        null_share = fk.fanout.null_fraction if (fk.fanout is not None and nullable) else 0.0
        nulls = round(keys.rows * null_share)
        self_reference = fk.ref_table == table.name
        unmeasured = not measured(fk.fanout)
        if unmeasured and nullable and not self_reference:
            owner = _owner_map(keys, fk)
            if owner is not None:  # a customer's default address: one of its own
                return owner
        if unmeasured and nullable and self_reference:
            nulls = default_roots(keys.rows)  # a forest with roots, not a chain
        if self_reference and null_share > 0 and keys.rows:
            # A tree keeps its roots at any --scale: rounding 12.5 % of 4 rows to none would
            # make the first row its own parent, which production never had.
            nulls = max(nulls, 1)
        parents = factory.plan.row_count(fk.ref_table)
        if parents == 0 and keys.rows - nulls > 0:
            if not nullable:
                raise ConfigError(
                    f"table {table.name} gets {keys.rows} rows but its parent"
                    f" {fk.ref_table} gets none; pin {fk.ref_table}'s row count with a rule"
                )
            nulls = keys.rows
        if one_to_one and keys.rows - nulls > parents:
            return OneToOneMap(parents, keys.rows, nulls, key, table.name)  # names the cause
        if one_to_one:
            # At most one child per parent, on the parents the FK's values point at (a
            # store's manager among the first staff rows, not anywhere in the table).
            ones = np.zeros(parents, dtype=np.int64)
            ones[: keys.rows - nulls] = 1
            placed = place_counts(ones, fk_target(keys, fk, parents), key ^ 0x77)
            return FanoutMap(placed, keys.rows, nulls, key)
        if unmeasured and self_reference:
            return SelfFanoutMap(default_tree(keys.rows, nulls), keys.rows, nulls)
        if unmeasured:  # nothing measured: the documented skewed default
            counts = default_counts(parents, keys.rows - nulls)
            if cap:
                counts = np.sort(apply_cap(counts, cap))[::-1]
        else:
            counts = fanout_counts(fk.fanout, parents, keys.rows - nulls, None if self_reference
                                   else cap or None)  # fmt: skip
        placed = place_counts(counts, fk_target(keys, fk, parents), key ^ 0x77)
        if cap and not self_reference and placed.size and int(placed.max()) > cap:
            # A pinned share (most-common parent) can ask for more partners than exist
            # at a small --scale; the key must hold, so the surplus moves to other parents.
            placed = apply_cap(placed, cap)
        if self_reference:
            return SelfFanoutMap(placed, keys.rows, nulls)
        in_order = nulls == 0 and leads_primary_key(table, fk)
        return FanoutMap(placed, keys.rows, nulls, key, in_order=in_order)

    return build


def _owner_map(keys: TableKeys, fk: ForeignKey) -> OwnerMap | None:
    """The :class:`OwnerMap` of a nullable, unmeasured FK from this table to a table whose FK
    points back at it (customer.default_address_id -> address.customer_id), or None."""
    if len(fk.columns) != 1:
        return None
    child = keys.factory.table_keys(fk.ref_table)
    for back in child.table.foreign_keys:
        if back.ref_table != keys.table.name or len(back.columns) != 1:
            continue
        if back.ref_columns != tuple(keys.table.primary_key):
            continue
        edge = child.column_edge.get(back.columns[0])
        if edge is not None and not edge.rank_columns and not edge.partner_columns:
            mapping = edge.mapping
            if type(mapping) is FanoutMap and fk.ref_columns == tuple(child.table.primary_key):
                return OwnerMap(mapping)
    return None


def partner_map_builder(
    keys: TableKeys, edge: KeyEdge, partner: ForeignKey
) -> Callable[[], PartnerChoice | None]:
    """A callable making the map of a junction's partner FK that keeps its profiled fan-out:
    a :class:`PartnerMap` (sparse: spaced slots), a :class:`DenseJunctionMap` (rounds) or, for
    a small junction the rounds cannot lay out, a :class:`GreedyJunctionMap`; None when no
    fan-out is known or no layout keeps the pairs distinct."""

    def build() -> PartnerChoice | None:
        lead = edge.mapping
        if partner.fanout is None or not isinstance(lead, FanoutMap) or not lead.cum.size:
            return None
        parents = keys.factory.plan.row_count(partner.ref_table)
        children = int(lead.cum[-1])
        lead_parents = int(lead.counts.size)
        if parents == 0 or children > parents * lead_parents:
            return None
        counts = fanout_counts(partner.fanout, parents, children, lead_parents)
        key = derive_key(keys.factory.seed, keys.table.name, "partner-fk", *partner.columns)
        placed = place_counts(counts, fk_target(keys, partner, parents), key ^ 0x77)
        if placed.size and int(placed.max()) > lead_parents:
            placed = apply_cap(placed, lead_parents)
        partner_map = PartnerMap(lead, placed, key)
        if partner_map.stride:
            return partner_map
        dense = DenseJunctionMap(lead, placed)  # groups too large to space: rounds
        if dense.feasible:
            return dense
        greedy = GreedyJunctionMap(lead, placed)  # rounds too short: the greedy, if small
        return greedy if greedy.feasible else None

    return build


def partner_active_builder(
    keys: TableKeys, edge: KeyEdge, partner: ForeignKey
) -> Callable[[], np.ndarray | None]:
    """A callable giving the parent rows of a partner FK that have children: its profiled
    fan-out (childless share kept) placed where the FK's values lie, the same counts the
    partner's own map keeps (None when no fan-out is known or every parent has children)."""

    def build() -> np.ndarray | None:
        lead = edge.mapping
        if partner.fanout is None or not isinstance(lead, FanoutMap) or not lead.cum.size:
            return None
        plan = keys.factory.plan
        parents = plan.row_count(partner.ref_table)
        children = int(lead.cum[-1])
        others = [size for fk, size in edge.partner_radices if fk is not partner]
        cap = int(lead.counts.size) * math.prod(others)
        if parents == 0 or children > parents * cap:
            return None
        counts = fanout_counts(partner.fanout, parents, children, cap)
        key = derive_key(keys.factory.seed, keys.table.name, "partner-fk", *partner.columns)
        placed = place_counts(counts, fk_target(keys, partner, parents), key ^ 0x77)
        active = np.flatnonzero(placed > 0)
        return active if 0 < active.size < parents else None

    return build


def fk_target(keys: TableKeys, fk: ForeignKey, parents: int) -> ValueTarget:
    """Where the FK's children should land, from the child FK columns' statistics."""
    weights = fk.fanout.position_weights if fk.fanout is not None else ()
    parent = keys if fk.ref_table == keys.table.name else keys.factory.table_keys(fk.ref_table)
    if parent.targeting:  # a composite parent whose own placement needs ours: positions
        return value_target([], weights, parents)
    stats = [None if keys.table.columns[c].pii else keys.table.columns[c].stats
             for c in fk.columns]  # fmt: skip
    # The parent has another size than in production (--scale): its keys moved, so the FK's
    # values are read by rank over the parent's key range, never as production's raw keys.
    scaled = fk.fanout is not None and fk.fanout.parent_rows not in (0, parents)
    unique = parent.unique.get(fk.ref_columns[0]) if len(fk.columns) == 1 else None
    if unique is not None and unique.sequence is None:
        return unique_target(unique, None if scaled else stats[0], parents, weights)
    if unique is not None and keys.table.columns[fk.columns[0]].logical_type == unique.kind:
        ref_stats = parent.table.columns[fk.ref_columns[0]].stats
        stretch = (ref_stats.quantiles if ref_stats is not None else ()) if scaled else None
        return sequence_target(unique, stats[0], parents, weights, stretch)
    if scaled:
        return value_target([], weights, parents)
    keys.targeting = True
    try:
        idx = np.arange(parents, dtype=np.int64)
        values = parent.columns_values(list(fk.ref_columns), idx)
        columns = [
            (values[ref], stats[i], keys.table.columns[col].logical_type)
            for i, (col, ref) in enumerate(zip(fk.columns, fk.ref_columns, strict=True))
        ]
    finally:
        keys.targeting = False
    return value_target(columns, weights, parents)


def same_group_parents(
    keys: TableKeys, edge: KeyEdge, idx: np.ndarray, parent: np.ndarray, given: dict[str, pl.Series]
) -> np.ndarray:
    """*parent* moved, where needed, to a parent whose shared columns hold the values the
    row already has (same tenant): the one at the same relative place in that group, so
    heavy parents stay heavy. -1 (NULL) where no parent has those values."""
    fk = edge.fk
    refs = [fk.ref_columns[list(fk.columns).index(c)] for c in edge.shared]
    groups = edge.groups
    if groups is None:
        parents = keys.factory.plan.row_count(fk.ref_table)
        values = keys.factory.table_keys(fk.ref_table).columns_values(
            refs, np.arange(parents, dtype=np.int64)
        )
        weights = getattr(edge.mapping, "counts", None)
        groups = edge.groups = ParentGroups(pl.DataFrame([values[r] for r in refs]), weights)
    wanted = pl.DataFrame(
        [
            given[c].alias(r).cast(groups.dtypes[r], strict=False)
            for c, r in zip(edge.shared, refs, strict=True)
        ]
    )
    key = derive_key(keys.factory.seed, keys.table.name, "same-group", *fk.columns)
    moved = groups.move(parent, wanted, mix64(np.asarray(idx), key))
    missing = (moved < 0) & (parent >= 0) & wanted.select(pl.all_horizontal(
        pl.all().is_not_null())).to_series().to_numpy()  # fmt: skip
    if missing.any() and not fk_nullable(keys.table, fk):
        raise ConfigError(
            f"table {keys.table.name}: no {fk.ref_table} row matches"
            f" {', '.join(edge.shared)} for the NOT NULL foreign key"
            f" ({', '.join(fk.columns)}); pin the row counts with a rule"
        )
    return np.where(parent < 0, -1, moved)
