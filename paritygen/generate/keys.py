"""The key columns of each table: which columns keys make, and their values for any rows.

Every key column is computed from (seed, table, column, row index) alone, so any block of any
table can be made on its own, in any order, and a child computes its parent's key for a parent
index without the parent's keys ever being stored. Memory is O(parents) per foreign key (the
children-per-parent counts and their running sum), never O(children).

- Unique keys (sequences keeping production's range and gaps, natural codes holding
  production's values where the children's most-common values reveal them, UUIDs) come from
  :mod:`paritygen.generate.unique_keys`;
- foreign keys follow the profiled fan-out *and* the FK column's own value distribution, from
  :mod:`paritygen.generate.fanout` through the edges of :mod:`paritygen.generate.key_edges`;
  composite keys number the children of a parent (line_no) or give each sibling a distinct
  partner (junction tables); unique FKs are one-to-one;
- ``--if-exists append`` moves the new keys out of the way of the rows already there
  (:class:`ExistingKeys`).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Mapping

import numpy as np
import polars as pl

from paritygen.generate import reference
from paritygen.generate.base import POLARS_TYPES
from paritygen.generate.fanout import ParentChoice, fanout_counts, place_counts
from paritygen.generate.key_edges import (
    SPARSE_JUNCTION,
    KeyEdge,
    choose_lead,
    edge_map_builder,
    partner_active_builder,
    partner_map_builder,
    same_group_parents,
)
from paritygen.generate.plan import GenerationPlan
from paritygen.generate.polymorphic import polymorphic_keys
from paritygen.generate.reference import is_reference
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
from paritygen.profile.model import ForeignKey, Profile, Relation, Table
from paritygen.profile.values import to_number

__all__ = [  # the public names of the key layer, wherever they live
    "CodeKey",
    "ExistingKeys",
    "IntegerSequence",
    "KeyFactory",
    "Permutation",
    "SPARSE_JUNCTION",
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


class TableKeys:
    """The key columns of one table: which ones keys.py makes, and their values for any rows."""

    def __init__(self, factory: KeyFactory, table: Table, rows: int) -> None:
        self.factory = factory
        # Conditional (polymorphic) FKs share their id column between parents: they are made
        # apart, with their type column (generate/polymorphic.py); the rest sees plain FKs.
        conditional = [fk for fk in table.foreign_keys if fk.condition is not None]
        if conditional:
            table = dataclasses.replace(
                table, foreign_keys=tuple(f for f in table.foreign_keys if f.condition is None)
            )
        self.table = table
        self.rows = rows
        self.polymorphic = {
            column: key for key in polymorphic_keys(self, conditional) for column in key.columns
        }
        self.unique: dict[str, UniqueKey] = {}
        self.parts: dict[str, tuple[UniqueKey, int, bool]] = {}
        """Columns of a composite key without FKs: (key, rows per group, is the rank column);
        row i is group ``i // rows per group``, rank ``i % rows per group``."""
        self.edges: list[KeyEdge] = []
        self.column_edge: dict[str, KeyEdge] = {}
        self.deferred_columns: set[str] = set()
        self.existing = factory.existing.get(table.name)
        self.diamonds: dict[str, Relation] = {}
        """FK column -> the diamond that reaches it through another FK (plain FKs only)."""
        self.targeting = False
        """True while this table's rows are placed by reading their parents' key values: a child
        of a table in that state is placed by positions (a composite parent needing ours)."""
        self._build()
        self._find_diamonds()

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
            lead = choose_lead(table, [table.foreign_keys[i] for i in inside], inside)
            lead_fk = table.foreign_keys[lead]
            if set(lead_fk.columns) == set(columns):
                one_to_one.add(lead)
                continue
            ranks: dict[str, int] = {}
            partners: dict[str, tuple[ForeignKey, int]] = {}
            cap: int | None = None
            unlimited = False
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
                elif col not in handled and self._nearly_distinct(col):
                    # (tenant_id, id) with id unique on its own: a sequence, not a rank
                    self._single(col)
                    unlimited = True
                elif col not in handled:
                    ranks[col] = self._first_rank(col, lead_fk)
                    unlimited = True
            # Room under one lead parent: every combination of its partners' keys (a date's
            # items x warehouses), unlimited when a rank or a sequence makes the tuple distinct.
            if partners and not unlimited:
                fks = {id(fk): fk for fk, _ in partners.values()}.values()
                cap = math.prod(factory.plan.row_count(fk.ref_table) for fk in fks)
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
        targets = [set(c) for c in factory.composite_targets.get(table.name, ())]
        for columns in composites:
            made = fk_columns | set(self.unique) | set(self.parts) | handled
            if set(columns) & made:
                # FK-led (above), or already unique through one of its columns; a tuple children
                # point at still needs every column computable from a row index.
                if set(columns) in targets:
                    for col in columns:
                        if col not in made:
                            self._grouped(col)
                continue
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
            edge = KeyEdge(fk, edge_map_builder(self, fk, i in one_to_one, cap), ranks, partners)
            # Overlapping composite FKs ((tenant_id, customer_id) and (tenant_id, product_id)):
            # the earlier FK decides tenant_id, this one picks a parent of that tenant.
            edge.shared = shared
            if partners:
                # Largest partner first: its digit varies fastest, so a small group of
                # siblings spreads over items before it repeats a warehouse.
                unique_fks = list({id(fk): fk for fk, _ in partners.values()}.values())
                radices = sorted(
                    ((fk, factory.plan.row_count(fk.ref_table)) for fk in unique_fks),
                    key=lambda item: -item[1],
                )
                first = radices[0][0].columns[0]
                edge.set_partners(
                    radices,
                    derive_key(seed, table.name, "partner", first),
                    derive_key(seed, table.name, first),
                )
            self.edges.append(edge)
            for col in fk.columns:
                if col not in shared:
                    self.column_edge[col] = edge
            for col in (*ranks, *partners):
                self.column_edge.setdefault(col, edge)
            for partner, _ in partners.values():
                edge.partner_builds[id(partner)] = partner_map_builder(self, edge, partner)
                edge.active_builds[id(partner)] = partner_active_builder(self, edge, partner)
            if fk in deferred:
                self.deferred_columns.update(fk.columns)

    def _find_diamonds(self) -> None:
        """The profile's diamonds this table's keys can keep: the shortcut is a plain,
        single-column FK loaded with the row, the other path a different FK of the row."""
        for relation in self.table.relations:
            if relation.kind != "diamond" or len(relation.columns) != 1 or len(relation.via) != 1:
                continue
            column, via = relation.columns[0], relation.via[0]
            edge, other = self.column_edge.get(column), self.column_edge.get(via)
            if edge is None or other is None or edge is other or column in self.deferred_columns:
                continue
            if edge.rank_columns or edge.partner_columns or edge.fk.ref_table == self.table.name:
                continue
            if via in self.diamonds or relation.ref_table not in self.factory.profile.tables:
                continue
            self.diamonds[column] = relation

    def _single(self, col: str) -> None:
        anchors = self.factory.anchors.get((self.table.name, col), ())
        verbatim = None
        if is_reference(self.factory.profile, self.table.name, self.rows) and self.existing is None:
            verbatim = reference.key_values(self.table, col)  # a lookup table's own keys
        self.unique[col] = UniqueKey(
            self.table, self.table.columns[col], self.rows, self.factory.seed, anchors,
            self.existing, verbatim,
        )  # fmt: skip

    def _grouped(self, col: str) -> None:
        """*col* as consecutive groups of rows sharing a value, as many groups as production
        had distinct values (``tenant_id`` of ``(tenant_id, id)`` when id is the key): a
        composite FK target's other column, computable from a row index."""
        stats = self.table.columns[col].stats
        distinct = max(1, int(stats.distinct_count) if stats and stats.distinct_count else 1)
        per_group = max(1, math.ceil(self.rows / distinct)) if self.rows else 1
        groups = math.ceil(self.rows / per_group) if self.rows else 0
        key = UniqueKey(self.table, self.table.columns[col], groups, self.factory.seed, (), None)
        self.parts[col] = (key, per_group, False)

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

    # -- values ----------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Columns made here, in the table's order (the rest come from value generators)."""
        made = set(self.unique) | set(self.parts) | set(self.column_edge) | set(self.polymorphic)
        return [c for c in self.table.columns if c in made]

    def values(self, column: str, idx: np.ndarray) -> pl.Series:
        """Values of *column* for row indices *idx* (NULL where a nullable FK is NULL)."""
        return self.columns_values([column], idx)[column]

    def columns_values(self, columns: list[str], idx: np.ndarray) -> dict[str, pl.Series]:
        """Values of several columns for the same rows: each FK's parent is chosen once."""
        choices: dict[int, tuple[ParentChoice, dict[str, pl.Series]]] = {}
        return {column: self._value(column, idx, choices) for column in columns}

    def _value(self, column: str, idx: np.ndarray, choices: dict) -> pl.Series:
        if column in self.polymorphic and column not in self.unique:
            return self.polymorphic[column].values([column], idx)[column]
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
                moved = same_group_parents(self, edge, idx, choice.parent, given)
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
            # Each parent's siblings take distinct partner combinations from a permutation of
            # their own, so two parents' partner sets are independent (products in two
            # warehouses); every column of a composite partner FK reads the same parent row.
            other = edge.partner_rows(partner, choice.parent, choice.rank)
            ref = partner.ref_columns[position]
            series = self.factory.table_keys(partner.ref_table).values(ref, other)
        series = series.alias(column)
        if series.dtype != dtype:
            series = series.cast(dtype, strict=False)
        diamond = self.diamonds.get(column)
        if diamond is not None:
            series = self._through(diamond, column, idx, series, choices)
        if null.any():
            series = pl.select(
                pl.when(pl.Series(null)).then(None).otherwise(series).alias(column)
            ).to_series()
        return series

    def _through(
        self, diamond: Relation, column: str, idx: np.ndarray, own: pl.Series, choices: dict
    ) -> pl.Series:
        """An FK column that production reached through another FK as often as *diamond*
        says (a payment's customer is its rental's customer): in that share of rows (chosen
        by row index, so any block alone gives the same answer) the value is the one the
        other path reaches, where it reaches one."""
        via = diamond.via[0]
        if via not in self.column_edge:
            return own
        self._value(via, idx, choices)  # the via FK's parents, once per block
        parent = choices[id(self.column_edge[via])][0].parent
        middle = self.factory.table_keys(diamond.ref_table or "")
        reached = middle.values(diamond.ref_columns[0], np.maximum(parent, 0)).cast(
            own.dtype, strict=False
        )
        key = derive_key(self.factory.seed, self.table.name, "diamond", column)
        draw = (mix64(idx, key) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        use = (draw < diamond.share) & (parent >= 0) & reached.is_not_null().to_numpy()
        return pl.select(
            pl.when(pl.Series(use)).then(reached).otherwise(own).alias(own.name)
        ).to_series()

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
        self.column_cache: dict[tuple[str, str, str], object] = {}
        """Parents' (key, column) frames read by FK orderings, made once per run."""
        self._lock = threading.RLock()
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
        """Keys of table *name* (built once, also when tables load side by side: a child
        builds its parents' keys under the same re-entrant lock)."""
        with self._lock:
            keys = self._tables.get(name)
            if keys is None:
                keys = TableKeys(self, self.profile.table(name), self.plan.row_count(name))
                self._tables[name] = keys
            return keys
