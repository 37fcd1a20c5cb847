"""k counts people: who each row of a table belongs to, so a value is kept only when at least
k distinct *persons* hold it, not k rows.

Why: ``invoice.billing_city`` kept 53 cities, 47 of them belonging to exactly one customer (7
invoices each cleared k = 5 rows). Rows of one person are one person. So, table by table, parents
measured before their children:

- a table **about people** holds a column that makes a row a person (:data:`PERSON_SEMANTICS`:
  names, e-mail..., or a column a rule marks personal): each row is a person (k counts rows);
- a table with a foreign key **leading to one** (invoice -> customer, invoice_line -> invoice
  -> customer): each row belongs to the person its FK leads to, and k counts distinct persons,
  even when it holds that person's address or phone (:data:`BELONGING_SEMANTICS`);
- a table with personal columns and no FK to people: each row is a person;
- any other table (a product list) holds nobody: k counts rows.

Free text (``description``, ``note``) is personal only in a table about people or leading to
them; a product's description is the product's (:func:`impersonal_text`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from paritygen.profile.model import Column, Table, TableRule, ValueFrequency

PERSON_SEMANTICS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "full_name",
        "username",
        "national_id",
        "birth_date",
        "password",
    }
)
"""Tags that make a row a person of its own (a customer, an employee), even when the table
also references another person (a customer's support rep)."""

BELONGING_SEMANTICS = frozenset({"phone", "street", "iban", "card_number", "postcode"})
"""Personal tags that belong to *someone*: an invoice's billing address is its customer's, so
a table with only these and an FK to people counts that FK's persons; without one, its rows
are persons."""


@dataclass(frozen=True)
class RowOwners:
    """Who the rows of one table belong to."""

    about_people: bool
    """The table is about people, directly or through a foreign key."""
    ids: pl.Series | None = None
    """Person id of each read row (aligned with the read values); None: each row is its own
    person, or the table holds nobody."""


@dataclass
class People:
    """Person ids by table, filled as tables are measured (parents first)."""

    keys: dict[str, tuple[pl.Series, pl.Series | None]] = field(default_factory=dict)
    """table -> (its single-column key values as read, the person id of each, or None when the
    key value itself is the person)."""

    def owners(
        self,
        table: Table,
        columns: Sequence[Column],
        data: Mapping[str, object],
        rule: TableRule | None,
    ) -> RowOwners:
        """Who each read row of *table* belongs to (see the module docstring); registers the
        table's key so its children can follow it."""
        key = table.primary_key[0] if len(table.primary_key) == 1 else None
        key_values = _values(data, key) if key is not None and key in data else None
        leading = [
            fk
            for fk in table.foreign_keys
            if len(fk.columns) == 1 and fk.ref_table in self.keys and fk.columns[0] in data
        ]
        personal = [column for column in columns if _identifies(column, rule)]
        strong = any(column.semantic not in BELONGING_SEMANTICS for column in personal)
        if strong or (personal and not leading):
            if key_values is not None:
                self.keys[table.name] = (key_values, None)
            return RowOwners(about_people=True)
        if not leading:
            return RowOwners(about_people=False)
        # The parent leading to the most persons is the data subject (customers outnumber
        # clerks); counted in persons, not rows: Sakila's 4,581 inventory rows lead to the two
        # staff managing the stores, its 599 customers to 599 people.
        fk = max(leading, key=lambda f: (self._persons(f.ref_table), f.ref_table))
        parent_keys, parent_people = self.keys[fk.ref_table]
        child = _values(data, fk.columns[0])
        if parent_people is None:
            ids = child.cast(pl.String)
        else:
            # Keys of one type are joined as they are (casting 600,000 integer keys to text
            # to join them cost ten times the join); of two types, as text.
            if child.dtype != parent_keys.dtype:
                child, parent_keys = child.cast(pl.String), parent_keys.cast(pl.String)
            mapping = pl.DataFrame({"key": parent_keys, "person": parent_people}).unique(
                subset="key"
            )
            joined = pl.DataFrame({"key": child}).join(
                mapping, on="key", how="left", maintain_order="left"
            )
            ids = joined["person"]
            if ids.null_count() > child.null_count():
                # A parent read from a sample misses some keys: the FK value stands in for them.
                ids = ids.fill_null(pl.lit("via:") + child.cast(pl.String))
        if key_values is not None:
            self.keys[table.name] = (key_values, ids)
        return RowOwners(about_people=True, ids=ids)

    def _persons(self, table: str) -> int:
        """Distinct persons the rows of *table* belong to."""
        keys, people = self.keys[table]
        return int((keys if people is None else people).n_unique())


def _values(data: Mapping[str, object], column: str) -> pl.Series:
    return data[column].values  # type: ignore[attr-defined]


def _identifies(column: Column, rule: TableRule | None) -> bool:
    if not column.pii:
        return False
    if column.semantic in PERSON_SEMANTICS or column.semantic in BELONGING_SEMANTICS:
        return True
    column_rule = rule.columns.get(column.name) if rule is not None else None
    return column_rule is not None and column_rule.pii is True  # the user said so


def impersonal_text(columns: Sequence[Column], rule: TableRule | None) -> list[Column]:
    """Free text of a table that holds nobody is not personal (a product's description),
    unless a rule says it is."""
    out = []
    for column in columns:
        column_rule = rule.columns.get(column.name) if rule is not None else None
        if (
            column.semantic == "free_text"
            and column.pii
            and (column_rule is None or column_rule.pii is None)
        ):
            column = dataclasses.replace(column, pii=False)
        out.append(column)
    return out


def parents_first(tables: Mapping[str, Table], names: Sequence[str]) -> list[str]:
    """*names* ordered so every table comes after the tables it references (cycles and
    self-references are broken where they close; the order is otherwise kept)."""
    chosen = set(names)
    done: set[str] = set()
    order: list[str] = []

    def visit(name: str, path: set[str]) -> None:
        if name in done or name in path:
            return
        path.add(name)
        for fk in tables[name].foreign_keys:
            if fk.ref_table in chosen and fk.ref_table != name:
                visit(fk.ref_table, path)
        path.discard(name)
        done.add(name)
        order.append(name)

    for name in names:
        visit(name, set())
    return order


class PersonalValues:
    """Hashes of every personal column's values (lower-cased), so that no word or most-common
    value of another column that equals one ("King", "Frank" in track names) reaches the
    profile: nothing personal anywhere, whatever column it hides in. Memory: 8 bytes a
    distinct personal value."""

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []
        self._known: np.ndarray | None = None

    def add(self, values: pl.Series) -> None:
        """Remember one personal column's values (text columns only)."""
        if values.dtype != pl.String:
            return
        # Hashed, then made unique: the same set as hashing the distinct texts, for half the
        # work (a 600,000-comment column: 107 -> 49 ms; distinct integers are cheaper to find).
        hashes = (
            values.drop_nulls().str.strip_chars().str.to_lowercase().hash(seed=HASH_SEED).unique()
        )
        if hashes.len():
            self.hashes.append(hashes.to_numpy())
            self._known = None

    def known(self) -> np.ndarray:
        """Every hash, sorted, built once after the last :meth:`add`: ``np.isin`` against the
        whole set re-hashed it on every call (0.1 s a call, 60 s of a 240-table profile)."""
        if self._known is None:
            self._known = np.sort(np.concatenate(self.hashes)) if self.hashes else _NO_HASHES
        return self._known

    def scrub(self, tables: dict[str, Table]) -> dict[str, Table]:
        """*tables* with every most-common value and word equal to a personal value removed."""
        if not self.hashes:
            return tables
        known = self.known()
        out = {}
        for name, table in tables.items():
            columns = {}
            for cname, column in table.columns.items():
                stats = column.stats
                if stats is not None and not column.pii and (stats.most_common or stats.words):
                    stats = dataclasses.replace(
                        stats,
                        most_common=_without(stats.most_common, known),
                        words=_without(stats.words, known),
                        mapping=_pairs_without(stats.mapping, known),
                    )
                    column = dataclasses.replace(column, stats=stats)
                columns[cname] = column
            out[name] = dataclasses.replace(table, columns=columns)
        return out

    def holds_any(self, rows: tuple[tuple, ...]) -> bool:
        """Whether any text cell of *rows* equals a personal value (a lookup table is then not
        kept verbatim: an album called "Frank" beside a customer called Frank)."""
        texts = [v for row in rows for v in row if isinstance(v, str)]
        if not texts or not self.hashes:
            return False
        hashed = pl.Series(texts).str.strip_chars().str.to_lowercase().hash(seed=HASH_SEED)
        return bool(_member(hashed.to_numpy(), self.known()).any())


HASH_SEED = 0x5EED
"""Seed of polars' value hash for :class:`PersonalValues` (one process, one seed)."""

_NO_HASHES = np.empty(0, dtype=np.uint64)


def _member(hashed: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which of *hashed* are in the sorted *known*: a binary search per value, so asking about
    a column's 20 most common values costs microseconds whatever the size of *known*."""
    if not len(known) or not len(hashed):
        return np.zeros(len(hashed), dtype=bool)
    at = np.minimum(np.searchsorted(known, hashed), len(known) - 1)
    return known[at] == hashed


def _without(items: tuple[ValueFrequency, ...], known: np.ndarray) -> tuple[ValueFrequency, ...]:
    texts = [i for i, item in enumerate(items) if isinstance(item.value, str)]
    if not texts:
        return items
    hashed = (
        (pl.Series([str(items[i].value) for i in texts]).str.strip_chars().str.to_lowercase())
        .hash(seed=HASH_SEED)
        .to_numpy()
    )
    drop = {texts[j] for j in np.flatnonzero(_member(hashed, known))}
    return tuple(item for i, item in enumerate(items) if i not in drop)


def _pairs_without(pairs: tuple, known: np.ndarray) -> tuple:
    if not pairs:
        return pairs
    texts = pl.Series([str(v) for pair in pairs for v in pair]).str.strip_chars().str.to_lowercase()
    hit = _member(texts.hash(seed=HASH_SEED).to_numpy(), known).reshape(len(pairs), 2).any(axis=1)
    return tuple(pair for pair, drop in zip(pairs, hit, strict=True) if not drop)
