"""The key columns of each table: which columns keys make, and their values for any rows.

Every key column is computed from (seed, table, column, row index) alone, so any block of any
table can be made on its own, in any order, and a child computes its parent's key for a parent
index without the parent's keys ever being stored. Memory is O(parents) per foreign key (the
children-per-parent counts and their running sum), never O(children).

- Unique keys (sequences keeping production's range and gaps, natural codes holding
  production's values where the children's most-common values reveal them, UUIDs) come from
  :mod:`paritygen.generate.unique_keys`;
- foreign keys follow the profiled fan-out *and* the FK column's own value distribution, from
  :mod:`paritygen.generate.fanout`; composite keys number the children of a parent (line_no)
  or give each sibling a distinct partner (junction tables); unique FKs are one-to-one;
- ``--if-exists append`` moves the new keys out of the way of the rows already there
  (:class:`ExistingKeys`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.base import POLARS_TYPES
from paritygen.generate.fanout import (
    FanoutMap,
    OneToOneMap,
    ParentChoice,
    SelfFanoutMap,
    apply_cap,
    fanout_counts,
    place_counts,
)
from paritygen.generate.fk_values import (
    ValueTarget,
    sequence_target,
    unique_target,
    value_target,
)
from paritygen.generate.partners import ParentGroups, PartnerMap
from paritygen.generate.plan import GenerationPlan, fk_nullable
from paritygen.generate.unique_keys import (
    CodeKey,
    ExistingKeys,
    IntegerSequence,
    Permutation,
    UniqueKey,
    derive_key,
    mix64,
    natural_key_anchors,
    uuid_strings,
)
from paritygen.profile.model import ForeignKey, Profile, Table
from paritygen.profile.values import to_number

__all__ = [  # the public names of the key layer, wherever they live
    "CodeKey",
    "ExistingKeys",
    "IntegerSequence",
    "KeyFactory",
    "Permutation",
    "TableKeys",
    "UniqueKey",
    "derive_key",
    "fanout_counts",
    "place_counts",
    "uuid_strings",
]


# --------------------------------------------------------------------------- per table


def _alone_order(table: Table, columns: tuple[str, ...], column: str) -> tuple[bool, bool, int]:
    """Which column of a composite key to make unique on its own: an identity / serial first,
    then an integer, then the later column."""
    spec = table.columns[column]
    return (spec.autoincrement, spec.logical_type == "integer", columns.index(column))


SPARSE_JUNCTION = 0.5
"""A junction is sparse when the product of its FKs' largest fan-outs is at most this share of
its rows: a spacing stride then exists with room to spare (:class:`PartnerMap`)."""


def _lead(table: Table, fks: list[ForeignKey], positions: list[int]) -> int:
    """Which FK of a composite key numbers the children under its parents (the lead).

    FKs with a profiled fan-out first. In a sparse junction (the largest fan-outs multiplied
    stay well within the rows, so :class:`PartnerMap` can space each group's partners) the FK
    with the smaller groups leads and the partner side keeps its exact counts too; otherwise
    (every product in most of three warehouses) the first declared FK leads and its partners
    are distinct draws under each parent.
    """
    known = [fk.fanout for fk in fks if fk.fanout is not None]
    sparse = bool(known) and math.prod(f.max for f in known) <= SPARSE_JUNCTION * table.row_count

    def order(i: int) -> tuple[bool, float]:
        fanout = fks[i].fanout
        return (fanout is None, fanout.mean if fanout is not None and sparse else 0.0)

    return positions[min(range(len(fks)), key=order)]


@dataclass
class _Edge:
    fk: ForeignKey
    build: Callable[[], FanoutMap | SelfFanoutMap | OneToOneMap]
    """A callable making the map on first use: parents' keys are read only when rows are made,
    when every table's keys exist (cycles and composite parents included)."""
    rank_columns: dict[str, int]
    """Columns numbered by the child's rank under its parent, with their first value."""
    partner_columns: dict[str, tuple[ForeignKey, int]]
    """Other FKs of the same unique key: a distinct parent per sibling (junction tables)."""
    _mapping: FanoutMap | SelfFanoutMap | OneToOneMap | None = None
    partner_permutations: dict[str, Permutation] = field(default_factory=dict)
    partner_builds: dict[str, Callable[[], PartnerMap | None]] = field(default_factory=dict)
    """Per partner column, a callable making its :class:`PartnerMap` (None: no fan-out known)."""
    _partner_maps: dict[str, PartnerMap | None] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    """Columns of this FK made by an earlier, overlapping FK (a composite key's tenant_id)."""
    groups: ParentGroups | None = None

    def partner_map(self, column: str) -> PartnerMap | None:
        if column not in self._partner_maps:
            build = self.partner_builds.get(column)
            self._partner_maps[column] = build() if build is not None else None
        return self._partner_maps[column]

    @property
    def mapping(self) -> FanoutMap | SelfFanoutMap | OneToOneMap:
        if self._mapping is None:
            self._mapping = self.build()
        return self._mapping


class TableKeys:
    """The key columns of one table: which ones keys.py makes, and their values for any rows."""

    def __init__(self, factory: KeyFactory, table: Table, rows: int) -> None:
        self.factory = factory
        self.table = table
        self.rows = rows
        self.unique: dict[str, UniqueKey] = {}
        self.parts: dict[str, tuple[UniqueKey, int, bool]] = {}
        """Columns of a composite key without FKs: (key, rows per group, is the rank column);
        row i is group ``i // rows per group``, rank ``i % rows per group``."""
        self.edges: list[_Edge] = []
        self.column_edge: dict[str, _Edge] = {}
        self.deferred_columns: set[str] = set()
        self.existing = factory.existing.get(table.name)
        self._targeting = False
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
            lead = _lead(table, [table.foreign_keys[i] for i in inside], inside)
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
                elif col not in handled and self._nearly_distinct(col):
                    # (tenant_id, id) with id unique on its own: a sequence, not a rank
                    self._single(col)
                elif col not in handled:
                    ranks[col] = self._first_rank(col, lead_fk)
            lead_of[lead] = (ranks, partners, cap if cap is not None else 0)
            handled.update(columns)
        # Single-column keys that are not FKs: the PK and FK targets. A column that is only
        # unique (an e-mail, an SKU, an order reference) is a value: its generator makes it
        # realistic *and* distinct (``ColumnContext.unique``), where a code here would not.
        singles: list[str] = []
        if len(table.primary_key) == 1:
            singles.append(table.primary_key[0])
        singles += factory.referenced.get(table.name, [])
        for col in singles:
            if col in fk_columns or col in self.unique or col in handled:
                continue
            self._single(col)
        # Composite keys without FK columns (a composite PK, UNIQUE (sku, variant), the target
        # of a multi-column FK): their tuples must be distinct although each column repeats.
        composites = [c for c in constraints if len(c) > 1]
        composites += [c for c in factory.composite_targets.get(table.name, ())
                       if set(c) not in [set(k) for k in composites]]  # fmt: skip
        for columns in composites:
            if set(columns) & (fk_columns | set(self.unique) | set(self.parts) | handled):
                continue  # FK-led (above), or already unique through one of its columns
            self._composite(columns)
        plan = factory.plan.by_name.get(table.name)
        deferred = plan.deferred_fks if plan is not None else ()
        partner_fks = {id(fk) for _, partners, _ in lead_of.values() for fk, _ in partners.values()}
        for i, fk in enumerate(table.foreign_keys):
            if id(fk) in partner_fks and i not in lead_of:
                continue  # made by its lead's edge: distinct partners under each lead parent
            shared = tuple(c for c in fk.columns if c in self.column_edge)
            if len(shared) == len(fk.columns):
                continue  # every column already made by an earlier FK
            ranks, partners, cap = lead_of.get(i, ({}, {}, 0))
            edge = _Edge(fk, self._builder(fk, i in one_to_one, cap), ranks, partners)
            # Overlapping composite FKs ((tenant_id, customer_id) and (tenant_id, product_id)):
            # the earlier FK decides tenant_id, this one picks a parent of that tenant.
            edge.shared = shared
            for col, (partner, _) in partners.items():
                key = derive_key(seed, table.name, "partner", col)
                edge.partner_permutations[col] = Permutation(
                    factory.plan.row_count(partner.ref_table), key
                )
            self.edges.append(edge)
            for col in fk.columns:
                if col not in shared:
                    self.column_edge[col] = edge
            for col in (*ranks, *partners):
                self.column_edge.setdefault(col, edge)
            for col, (partner, _) in partners.items():
                edge.partner_builds[col] = self._partner_builder(edge, partner)
            if fk in deferred:
                self.deferred_columns.update(fk.columns)

    def _single(self, col: str) -> None:
        anchors = self.factory.anchors.get((self.table.name, col), ())
        self.unique[col] = UniqueKey(
            self.table, self.table.columns[col], self.rows, self.factory.seed, anchors,
            self.existing,
        )  # fmt: skip

    def _nearly_distinct(self, col: str) -> bool:
        """Production held (almost) one value per row in *col*: it is unique on its own."""
        stats = self.table.columns[col].stats
        rows = self.table.row_count
        return stats is not None and rows > 1 and stats.distinct_count >= 0.95 * rows

    def _composite(self, columns: tuple[str, ...]) -> None:
        """Distinct tuples for a composite key without FK columns, keeping each column's
        cardinality: when one column is (nearly) distinct in production it alone is made unique
        and the others stay values; otherwise the column with the fewest distinct values is a
        rank under groups (``variant`` 0, 1, 2 of each ``sku``) and the other columns are unique
        per group, so the tuple is unique and ``distinct(sku)`` stays rows / variants."""
        table = self.table
        source_rows = max(table.row_count, 1)

        def distinct(col: str) -> int:
            stats = table.columns[col].stats
            if stats is None or not stats.distinct_count:
                return source_rows
            return int(stats.distinct_count)

        counts = {col: distinct(col) for col in columns}
        distinct_alone = [c for c in columns if counts[c] >= 0.95 * source_rows]
        if distinct_alone:  # (payment_date, payment_id): the serial id is the key
            self._single(max(distinct_alone, key=lambda c: _alone_order(table, columns, c)))
            return
        rank = min(reversed(columns), key=lambda c: counts[c])
        per_group = max(1, min(counts[rank], self.rows))
        groups = math.ceil(self.rows / per_group) if self.rows else 0
        seed = self.factory.seed
        self.parts[rank] = (
            UniqueKey(table, table.columns[rank], per_group, seed, (), None),
            per_group,
            True,
        )
        for col in columns:
            if col != rank:
                key = UniqueKey(table, table.columns[col], groups, seed, (), self.existing)
                self.parts[col] = (key, per_group, False)

    def _first_rank(self, column: str, lead: ForeignKey) -> int:
        """First value of a rank column (line_no): production's minimum, moved past the rows
        already there when appending under parents this run does not renew."""
        stats = self.table.columns[column].stats
        first = 1
        if stats is not None and stats.min is not None:
            first = int(to_number(stats.min, self.table.columns[column].logical_type))
        parent_renewed = self.factory.existing.get(lead.ref_table) is not None
        top = self.existing.max_values.get(column) if self.existing is not None else None
        if top is not None and not parent_renewed:
            first = max(first, math.floor(top) + 1)
        return first

    def _builder(self, fk: ForeignKey, one_to_one: bool, cap: int):
        def build() -> FanoutMap | SelfFanoutMap | OneToOneMap:
            table, factory = self.table, self.factory
            key = derive_key(factory.seed, table.name, "fk", *fk.columns)
            # Columns an earlier, overlapping FK makes (tenant_id) do not count: this FK is
            # NULL when its own columns are (MATCH SIMPLE: one NULL column skips the check).
            makers = {c: self.column_edge.get(c) for c in fk.columns}
            shared = {c for c, e in makers.items() if e is not None and e.fk is not fk}
            own = [c for c in fk.columns if c not in shared]
            nullable = fk_nullable(table, fk) or (
                bool(shared) and all(table.columns[c].nullable for c in own)
            )
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
            if one_to_one and self.rows - nulls > parents:
                return OneToOneMap(parents, self.rows, nulls, key, table.name)  # names the cause
            if one_to_one:
                # At most one child per parent, on the parents the FK's values point at (a
                # store's manager among the first staff rows, not anywhere in the table).
                ones = np.zeros(parents, dtype=np.int64)
                ones[: self.rows - nulls] = 1
                placed = place_counts(ones, self._target(fk, parents), key ^ 0x77)
                return FanoutMap(placed, self.rows, nulls, key)
            self_reference = fk.ref_table == table.name
            counts = fanout_counts(fk.fanout, parents, self.rows - nulls, None if self_reference
                                   else cap or None)  # fmt: skip
            placed = place_counts(counts, self._target(fk, parents), key ^ 0x77)
            if cap and not self_reference and placed.size and int(placed.max()) > cap:
                # A pinned share (most-common parent) can ask for more partners than exist
                # at a small --scale; the key must hold, so the surplus moves to other parents.
                placed = apply_cap(placed, cap)
            if self_reference:
                return SelfFanoutMap(placed, self.rows, nulls)
            return FanoutMap(placed, self.rows, nulls, key)

        return build

    def _partner_builder(self, edge: _Edge, partner: ForeignKey):
        def build() -> PartnerMap | None:
            lead = edge.mapping
            if partner.fanout is None or not isinstance(lead, FanoutMap) or not lead.cum.size:
                return None
            parents = self.factory.plan.row_count(partner.ref_table)
            children = int(lead.cum[-1])
            lead_parents = int(lead.counts.size)
            if parents == 0 or children > parents * lead_parents:
                return None
            counts = fanout_counts(partner.fanout, parents, children, lead_parents)
            key = derive_key(self.factory.seed, self.table.name, "partner-fk", *partner.columns)
            placed = place_counts(counts, self._target(partner, parents), key ^ 0x77)
            if placed.size and int(placed.max()) > lead_parents:
                placed = apply_cap(placed, lead_parents)
            partner_map = PartnerMap(lead, placed, key)
            return partner_map if partner_map.stride else None

        return build

    def _target(self, fk: ForeignKey, parents: int) -> ValueTarget:
        """Where the FK's children should land, from the child FK columns' statistics."""
        weights = fk.fanout.position_weights if fk.fanout is not None else ()
        parent = self if fk.ref_table == self.table.name else self.factory.table_keys(fk.ref_table)
        if parent._targeting:  # a composite parent whose own placement needs ours: positions
            return value_target([], weights, parents)
        stats = [None if self.table.columns[c].pii else self.table.columns[c].stats
                 for c in fk.columns]  # fmt: skip
        unique = parent.unique.get(fk.ref_columns[0]) if len(fk.columns) == 1 else None
        if unique is not None and unique.sequence is None:
            return unique_target(unique, stats[0], parents, weights)
        if unique is not None and self.table.columns[fk.columns[0]].logical_type == unique.kind:
            return sequence_target(unique, stats[0], parents, weights)
        self._targeting = True
        try:
            idx = np.arange(parents, dtype=np.int64)
            values = parent.columns_values(list(fk.ref_columns), idx)
            columns = [
                (values[ref], stats[i], self.table.columns[col].logical_type)
                for i, (col, ref) in enumerate(zip(fk.columns, fk.ref_columns, strict=True))
            ]
        finally:
            self._targeting = False
        return value_target(columns, weights, parents)

    # -- values ----------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Columns made here, in the table's order (the rest come from value generators)."""
        made = set(self.unique) | set(self.parts) | set(self.column_edge)
        return [c for c in self.table.columns if c in made]

    def values(self, column: str, idx: np.ndarray) -> pl.Series:
        """Values of *column* for row indices *idx* (NULL where a nullable FK is NULL)."""
        return self.columns_values([column], idx)[column]

    def columns_values(self, columns: list[str], idx: np.ndarray) -> dict[str, pl.Series]:
        """Values of several columns for the same rows: each FK's parent is chosen once."""
        choices: dict[int, tuple[ParentChoice, dict[str, pl.Series]]] = {}
        return {column: self._value(column, idx, choices) for column in columns}

    def _value(self, column: str, idx: np.ndarray, choices: dict) -> pl.Series:
        if column in self.unique:
            return self.unique[column].values(idx)
        if column in self.parts:
            key, per_group, is_rank = self.parts[column]
            return key.values(idx % per_group if is_rank else idx // per_group)
        edge = self.column_edge[column]
        if id(edge) not in choices:
            choice = edge.mapping.choose(idx)
            if edge.shared:
                given = {c: self._value(c, idx, choices) for c in edge.shared}
                moved = self._same_group(edge, idx, choice.parent, given)
                choice = ParentChoice(moved, choice.rank)
            choices[id(edge)] = (choice, {})
        choice, refs = choices[id(edge)]
        null = choice.parent < 0
        parent = np.where(null, 0, choice.parent)
        dtype = POLARS_TYPES[self.table.columns[column].logical_type]
        if column in edge.fk.columns:
            if not refs:
                parent_keys = self.factory.table_keys(edge.fk.ref_table)
                refs.update(parent_keys.columns_values(list(edge.fk.ref_columns), parent))
            series = refs[edge.fk.ref_columns[list(edge.fk.columns).index(column)]]
        elif column in edge.rank_columns:
            series = pl.Series(column, choice.rank + edge.rank_columns[column], dtype=pl.Int64)
        else:
            partner, position = edge.partner_columns[column]
            # Each parent's siblings take distinct partners from a permutation of its own, so
            # two parents' partner sets are independent (products in two warehouses).
            tweak = mix64(parent, derive_key(self.factory.seed, self.table.name, column))
            other = edge.partner_permutations[column].forward(np.maximum(choice.rank, 0), tweak)
            partner_map = edge.partner_map(column)
            if partner_map is not None:  # a sparse junction: the partner's own fan-out
                chosen = partner_map.choose(choice.parent, choice.rank)
                other = np.where(chosen >= 0, chosen, other)
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

    def _same_group(
        self, edge: _Edge, idx: np.ndarray, parent: np.ndarray, given: dict[str, pl.Series]
    ) -> np.ndarray:
        """*parent* moved, where needed, to a parent whose shared columns hold the values the
        row already has (same tenant): the one at the same relative place in that group, so
        heavy parents stay heavy. -1 (NULL) where no parent has those values."""
        fk = edge.fk
        refs = [fk.ref_columns[list(fk.columns).index(c)] for c in edge.shared]
        groups = edge.groups
        if groups is None:
            parents = self.factory.plan.row_count(fk.ref_table)
            values = self.factory.table_keys(fk.ref_table).columns_values(
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
        key = derive_key(self.factory.seed, self.table.name, "same-group", *fk.columns)
        moved = groups.move(parent, wanted, mix64(np.asarray(idx), key))
        missing = (moved < 0) & (parent >= 0) & wanted.select(pl.all_horizontal(
            pl.all().is_not_null())).to_series().to_numpy()  # fmt: skip
        if missing.any() and not fk_nullable(self.table, fk):
            raise ConfigError(
                f"table {self.table.name}: no {fk.ref_table} row matches"
                f" {', '.join(edge.shared)} for the NOT NULL foreign key"
                f" ({', '.join(fk.columns)}); pin the row counts with a rule"
            )
        return np.where(parent < 0, -1, moved)

    def frame(self, start: int, count: int, *, with_deferred: bool = False) -> pl.DataFrame:
        """Key columns of rows ``[start, start + count)``; deferred FK columns are NULL unless
        *with_deferred* (the values the later update writes)."""
        idx = np.arange(start, start + count, dtype=np.int64)
        wanted = [c for c in self.columns if with_deferred or c not in self.deferred_columns]
        made = self.columns_values(wanted, idx)
        out = []
        for column in self.columns:
            if column in made:
                out.append(made[column])
            else:
                dtype = POLARS_TYPES[self.table.columns[column].logical_type]
                out.append(pl.Series(column, [None] * count, dtype=dtype))
        return pl.DataFrame(out)

    def update_frame(self, start: int, count: int, columns: list[str]) -> pl.DataFrame:
        """Primary key plus the deferred FK *columns* of rows ``[start, start + count)``, rows
        with a value only: the chunks of the update that closes a cycle or a self-reference."""
        idx = np.arange(start, start + count, dtype=np.int64)
        key_columns = list(self.table.primary_key)
        made = self.columns_values(key_columns + columns, idx)
        frame = pl.DataFrame([made[c] for c in key_columns + columns])
        return frame.drop_nulls(subset=columns)

    @property
    def deferred_list(self) -> list[str]:
        return [c for c in self.table.columns if c in self.deferred_columns]


class KeyFactory:
    """Builds :class:`TableKeys` lazily for every table of a plan (parents on demand).

    *existing* names the tables this run appends to (``--if-exists append``) and what they
    already hold; their keys move out of the way of the rows already there.
    """

    def __init__(
        self,
        profile: Profile,
        plan: GenerationPlan,
        seed: int,
        existing: Mapping[str, ExistingKeys] | None = None,
    ) -> None:
        self.profile = profile
        self.plan = plan
        self.seed = seed
        self.existing = dict(existing or {})
        self._tables: dict[str, TableKeys] = {}
        self.referenced: dict[str, list[str]] = {}
        self.composite_targets: dict[str, list[tuple[str, ...]]] = {}
        for table in profile.tables.values():
            for fk in table.foreign_keys:
                # Targets of FKs must be computable from a parent index: make them keys here.
                if len(fk.ref_columns) == 1:
                    targets = self.referenced.setdefault(fk.ref_table, [])
                    targets.extend(c for c in fk.ref_columns if c not in targets)
                else:  # a multi-column target is unique as a tuple, not column by column
                    tuples = self.composite_targets.setdefault(fk.ref_table, [])
                    if tuple(fk.ref_columns) not in tuples:
                        tuples.append(tuple(fk.ref_columns))
        self.anchors = natural_key_anchors(profile)

    def table_keys(self, name: str) -> TableKeys:
        """Keys of table *name* (built once)."""
        keys = self._tables.get(name)
        if keys is None:
            keys = TableKeys(self, self.profile.table(name), self.plan.row_count(name))
            self._tables[name] = keys
        return keys
