"""The naming rules of ``--infer-keys``: which parent keys a column's name suggests.

A name only proposes; :mod:`paritygen.profile.infer` confirms each candidate with the source's
values. The rules read the spellings of other people's schemas: ``customer_id`` /
``id_customer`` / ``fk_customer`` / ``CustomerId`` against singular or plural table names (also
without a ``tbl_``/``dim_`` prefix or an application's first word), the parent key's own name,
a key-like suffix shared after a short prefix (TPC-H ``o_custkey`` / ``c_custkey``, TPC-DS
``ss_sold_date_sk`` / ``d_date_sk``), a role before the name (``billing_address_id``), roles of
the system's people (``support_rep_id`` -> the one staff table) and self-references
(``parent_id``, ``manager_id``, ``reports_to``).
"""

from __future__ import annotations

import dataclasses
import re

from paritygen.profile.model import Table

KEY_TYPES = frozenset({"integer", "decimal", "string", "uuid"})
"""Logical types a key column can have (text, enum and temporal keys are left to the user)."""
KEY_SUFFIXES = ("id", "key", "sk", "no", "num", "code", "uuid", "guid", "pk", "fk")
"""Last word of a key-like column name (``customer_id``, ``o_custkey``, ``ss_item_sk``)."""
SELF_ROLES = frozenset({
    "parent", "manager", "reports_to", "supervisor", "boss", "referrer", "referred_by",
    "predecessor", "successor", "replaced_by", "mentor", "head",
})  # fmt: skip
"""Names of a column pointing at another row of its own table (without ``_id``)."""
STAFF_ROLES = frozenset({
    "rep", "agent", "owner", "assignee", "author", "creator", "editor", "approver",
    "reviewer", "salesperson", "seller", "clerk", "cashier", "handler", "operator", "staff",
    "employee", "manager", "supervisor", "created_by", "updated_by",
})  # fmt: skip
"""Words of a column naming a role only the system's people hold (``support_rep_id``)."""
STAFF_TABLES = frozenset({
    "employee", "staff", "user", "app_user", "member", "person", "people", "agent", "worker",
})  # fmt: skip
"""Singular stems of the table holding those people."""
TABLE_PREFIXES = ("tbl_", "tb_", "t_", "dim_", "fact_", "d_", "f_")
"""Prefixes stripped from table names before they are compared with column names."""


def snake(name: str) -> str:
    """``CustomerID`` -> ``customer_id``, ``BlogPost`` -> ``blog_post`` (lower case, ``_``)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def singular(word: str) -> str:
    """English singular of the last word of *word* (good enough for table names)."""
    if word.endswith("people"):
        return word[: -len("people")] + "person"
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"),
                           ("shes", "sh"), ("us", "us"), ("ss", "ss"), ("s", "")):  # fmt: skip
        if word.endswith(plural) and len(word) > len(plural) + 1:
            return word[: -len(plural)] + single
    return word


def table_stems(name: str) -> set[str]:
    """Spellings of a table as a column would name it: plural, singular, without a prefix,
    without separators (``order_items`` -> order_items, order_item, orderitem, ...)."""
    base = snake(name)
    forms = {base, singular(base)}
    for prefix in TABLE_PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix) + 2:
            forms |= {base[len(prefix) :], singular(base[len(prefix) :])}
    forms |= {f.replace("_", "") for f in forms}
    return {f for f in forms if f}


def key_like(name: str) -> bool:
    """The column's name says it holds keys (``id``, ``customer_id``, ``o_custkey``, ``uuid``)."""
    lowered = snake(name)
    last = lowered.rsplit("_", 1)[-1]
    return (
        lowered in ("id", "uuid", "guid", "key", "code")
        or last in KEY_SUFFIXES
        or lowered.startswith(("id_", "fk_"))
        or lowered.endswith("key")  # custkey, orderkey (TPC-H); not "paid", "valid"
    )


def _short_stems(keys: dict[str, list[str]]) -> dict[str, set[str]]:
    """A table's name without its first word (``app_users`` -> users, Django's ``auth_user``
    -> user), where no other table already answers to it: applications prefix their tables,
    their columns say ``user_id``."""
    full = {stem for table in keys for stem in table_stems(table)}
    found: dict[str, set[str]] = {}
    for table in keys:
        words = snake(table).split("_")
        if len(words) < 2:
            continue
        found[table] = table_stems("_".join(words[1:])) - full
    owners: dict[str, int] = {}
    for stems in found.values():
        for stem in stems:
            owners[stem] = owners.get(stem, 0) + 1
    return {t: {s for s in stems if owners[s] == 1 and len(s) > 2} for t, stems in found.items()}


def reference_names(stem: str) -> set[str]:
    """Column names that point at an entity called *stem*."""
    forms = {f"{stem}_id", f"id_{stem}", f"fk_{stem}", f"{stem}_fk", f"fk_{stem}_id",
             f"{stem}_key", f"{stem}_sk", f"{stem}_uuid", f"{stem}_code", f"{stem}_no"}  # fmt: skip
    forms |= {f.replace("_", "") for f in forms}
    return forms


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A parent key a child column may reference, and the naming rule that says so."""

    ref_table: str
    ref_column: str
    rule: str
    rank: int
    """Lower is a stronger naming rule; candidates are checked in this order."""
    names_table: bool = False
    """The column's name names the parent table (``customer_id`` -> customers): the one rule
    trusted for a column that is its own table's primary key (1:1 extension tables), where
    a shared name alone would also propose the reverse direction."""


def name_candidates(child: Table, column: str, keys: dict[str, list[str]]) -> list[Candidate]:
    """Parent keys *column* of *child* may reference by its name, strongest rule first.

    *keys* maps each table to its single-column keys (primary key first, then unique ones)."""
    name = snake(column)
    words = name.split("_")
    found: dict[tuple[str, str], Candidate] = {}

    def add(table: str, ref: str, rule: str, rank: int, names_table: bool = False) -> None:
        if (table, ref) == (child.name, column):
            return
        old = found.get((table, ref))
        if old is None or rank < old.rank:
            found[(table, ref)] = Candidate(table, ref, rule, rank, names_table)

    short_stems = _short_stems(keys)
    for table, columns in keys.items():
        if not columns:
            continue
        primary = columns[0]
        stems = table_stems(table)
        for ref in columns:
            ref_name = snake(ref)
            if ref_name == name and ref_name not in ("id", "uuid", "key", "code"):
                add(table, ref, "same name as the parent key", 1)
            ref_words = ref_name.split("_")
            # o_custkey / c_custkey, ss_sold_date_sk / d_date_sk: a short prefix, then a shared
            # key-like tail.
            if len(ref_words) >= 2 and len(ref_words[0]) <= 3 and key_like(ref_name):
                tail = ref_words[1:]
                if (
                    len(words) > len(tail)
                    and words[-len(tail) :] == tail
                    and "_".join(tail) not in ("id", "key", "code", "no")
                ):
                    add(table, ref, f"shared suffix {'_'.join(tail)}", 1)
        short = short_stems.get(table, set())
        if any(name in reference_names(stem) for stem in stems):
            add(table, primary, f"{column} names {table}", 0, names_table=True)
        elif any(name in reference_names(stem) for stem in short):
            add(table, primary, f"{column} names {table} (without its prefix)", 2, True)
        else:  # a role prefix: billing_address_id, parent_category_id
            for start in range(1, len(words) - 1):
                tail_name = "_".join(words[start:])
                if any(tail_name in reference_names(stem) for stem in stems | short):
                    add(table, primary, f"{column} names {table} (role {'_'.join(words[:start])})",
                        2)  # fmt: skip
                    break
    if not found and words[-1] in ("id", "key") and set(words[:-1]) & STAFF_ROLES:
        # support_rep_id, author_id, assignee_id: a role only people hold; it points at the
        # one table of people working in the system, when there is exactly one.
        staff = [t for t in keys if keys[t] and table_stems(t) & STAFF_TABLES]
        if len(staff) == 1:
            add(staff[0], keys[staff[0]][0], f"{column} names a role of {staff[0]}", 3)
    own = keys.get(child.name) or []
    if own and column != own[0]:
        role = name.removesuffix("_id").removesuffix("id").rstrip("_")
        if role in SELF_ROLES or name in SELF_ROLES:
            add(child.name, own[0], f"{column} names a row of its own table", 2)
    if own and own[0] == column:
        found = {k: c for k, c in found.items() if c.names_table}
    ranked = sorted(found.values(), key=lambda c: (c.rank, c.ref_table))
    return sorted(ranked, key=lambda c: (c.rank, keys[c.ref_table].index(c.ref_column) > 0))


def parent_columns(table: Table) -> list[str]:
    """Columns of *table* an inferred FK may point at (their key edges are measured)."""
    out = [c for c in table.primary_key[:1]]
    out += [uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1]
    out += [c.name for c in table.columns.values()
            if c.logical_type in KEY_TYPES and key_like(c.name)]  # fmt: skip
    return list(dict.fromkeys(out))
