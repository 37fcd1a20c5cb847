"""``profile --infer-keys``: propose the keys production never declared, from names and values.

Why: a database without FK constraints (a MySQL application that never added them, FKs dropped
for load speed) still has its relationships in its data; without them every ``*_id`` column is
generated as an unrelated number. A name suggests a candidate, the source's values confirm it:

- **primary keys** (tables that declare none): a key-like column (``id``, ``<table>_id``,
  ``*_key``, ``*_sk``, ``uuid``...) with no NULL and one distinct value per row, confirmed by one
  ``count(DISTINCT)`` in SQL;
- **foreign keys** (single columns): ``customer_id`` / ``id_customer`` / ``fk_customer`` /
  ``customerid`` / ``customer_key`` and role prefixes (``billing_address_id``) against the
  singular or plural table name; the parent key's own name (``customer_id`` in both tables);
  a suffix shared after a short prefix (TPC-H ``o_custkey`` -> ``c_custkey``, TPC-DS
  ``ss_sold_date_sk`` -> ``d_date_sk``); self-references (``parent_id``, ``manager_id``);
  polymorphic pairs (``commentable_type`` + ``commentable_id``: one conditional FK per type
  value that names a table). Each is confirmed when at least :data:`MATCH_SHARE` of the
  child's non-NULL values are found in the parent column, counted by SQL on the child (an
  in-database sample of :data:`CHECK_ROWS` rows when larger).

Everything runs in the profiler's read-only snapshot; each check is inside a savepoint so a
query the database refuses rejects that candidate only. Proposals go into ``rules:`` marked
``inferred`` with their :class:`Evidence`, and each one is a note on stderr: nothing is silent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile import dialects
from paritygen.profile.model import (
    Column,
    Evidence,
    KeyCondition,
    Rules,
    Table,
    TableRule,
    VirtualForeignKey,
    VirtualPrimaryKey,
)

MATCH_SHARE = 0.99
"""Share of a child's checked non-NULL values that must exist in the parent column."""
CHECK_ROWS = 100_000
"""Child rows checked per candidate; larger children are sampled in the database."""
DISTINCT_SHARE = 0.99
"""A primary-key candidate must look this distinct in the measured statistics before the exact
``count(DISTINCT)`` confirms it (sampled statistics estimate the distinct count)."""
KEY_TYPES = frozenset({"integer", "decimal", "string", "uuid"})
"""Logical types a key column can have (text, enum and temporal keys are left to the user)."""
KEY_SUFFIXES = ("id", "key", "sk", "no", "num", "code", "uuid", "guid", "pk", "fk")
"""Last word of a key-like column name (``customer_id``, ``o_custkey``, ``ss_item_sk``)."""
SELF_ROLES = frozenset({
    "parent", "manager", "reports_to", "supervisor", "boss", "referrer", "referred_by",
    "predecessor", "successor", "replaced_by", "mentor", "head",
})  # fmt: skip
"""Names of a column pointing at another row of its own table (without ``_id``)."""
TABLE_PREFIXES = ("tbl_", "tb_", "t_", "dim_", "fact_", "d_", "f_")
"""Prefixes stripped from table names before they are compared with column names."""


# --------------------------------------------------------------------------- names


def snake(name: str) -> str:
    """``CustomerID`` -> ``customer_id``, ``BlogPost`` -> ``blog_post`` (lower case, ``_``)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def singular(word: str) -> str:
    """English singular of the last word of *word* (good enough for table names)."""
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"),
                           ("shes", "sh"), ("people", "person"), ("s", "")):  # fmt: skip
        if word.endswith(plural) and not word.endswith("ss") and len(word) > len(plural) + 1:
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
        or lowered.endswith(("key", "id"))
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


def _reference_names(stem: str) -> set[str]:
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
        if any(name in _reference_names(stem) for stem in stems):
            add(table, primary, f"{column} names {table}", 0, names_table=True)
        elif any(name in _reference_names(stem) for stem in short):
            add(table, primary, f"{column} names {table} (without its prefix)", 2, True)
        else:  # a role prefix: billing_address_id, parent_category_id
            for start in range(1, len(words) - 1):
                tail_name = "_".join(words[start:])
                if any(tail_name in _reference_names(stem) for stem in stems | short):
                    add(table, primary, f"{column} names {table} (role {'_'.join(words[:start])})",
                        2)  # fmt: skip
                    break
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


# --------------------------------------------------------------------------- values


def _savepoint(conn: Connection, sql: str, params: dict[str, Any]) -> tuple | None:
    """One row of *sql*, or None when the database refuses the query (the snapshot survives)."""
    try:
        with conn.begin_nested():
            return tuple(conn.execute(sa.text(sql), params).one())
    except sa.exc.DBAPIError:
        return None


def _child_source(conn: Connection, child_ref: str, rows: int, limit: int) -> tuple[str, bool]:
    spec = dialects.dialect_sql(conn)
    if rows > limit and spec.sample is not None:
        source, _ = spec.sample(child_ref, limit / rows)
        return source, True
    return child_ref, False


def match_share(
    conn: Connection,
    schema: str | None,
    child: Table,
    column: str,
    ref_table: str,
    ref_column: str,
    *,
    condition: KeyCondition | None = None,
    limit: int = CHECK_ROWS,
) -> Evidence | None:
    """Share of *child.column*'s non-NULL values found in *ref_table.ref_column*, by SQL."""
    prep = conn.dialect.identifier_preparer
    col, ref = prep.quote(column), prep.quote(ref_column)
    source, sampled = _child_source(
        conn, dialects.quote_table(conn, schema, child.name), child.row_count, limit
    )
    params: dict[str, Any] = {}
    where = f"s.{col} IS NOT NULL"
    picked = [col]
    if condition is not None:
        picked.append(prep.quote(condition.column))
        where += f" AND s.{prep.quote(condition.column)} = :when_value"
        params["when_value"] = condition.equals
    parent = dialects.quote_table(conn, schema, ref_table)
    sql = (
        f"SELECT count(*), count(p.k) FROM (SELECT {', '.join(picked)} FROM {source}) s"
        f" LEFT JOIN (SELECT DISTINCT {ref} AS k FROM {parent}) p ON p.k = s.{col}"
        f" WHERE {where}"
    )
    row = _savepoint(conn, sql, params)
    if row is None or not row[0]:
        return None
    checked, found = int(row[0]), int(row[1] or 0)
    return Evidence(match_share=round(found / checked, 6), rows_checked=checked, sampled=sampled)


def _unique_share(conn: Connection, schema: str | None, table: Table, column: str) -> Evidence:
    ref = dialects.quote_table(conn, schema, table.name)
    col = conn.dialect.identifier_preparer.quote(column)
    row = _savepoint(conn, f"SELECT count(*), count(DISTINCT {col}), count({col}) FROM {ref}", {})
    if row is None or not row[0] or int(row[2]) != int(row[0]):
        return Evidence(match_share=0.0, rows_checked=int(row[0]) if row else 0)
    return Evidence(match_share=round(int(row[1]) / int(row[0]), 6), rows_checked=int(row[0]))


# --------------------------------------------------------------------------- proposals


def _pk_order(table: Table, column: Column) -> tuple[int, str]:
    name = snake(column.name)
    stems = table_stems(table.name)
    if name == "id":
        return (0, name)
    if any(name in _reference_names(s) for s in stems):
        return (1, name)
    return (2 if column.logical_type == "integer" else 3, name)


def _primary_candidates(table: Table) -> Iterator[Column]:
    for column in sorted(table.columns.values(), key=lambda c: _pk_order(table, c)):
        stats = column.stats
        if (
            column.logical_type in KEY_TYPES
            and key_like(column.name)
            and not column.pii
            and stats is not None
            and stats.null_fraction == 0
            and table.row_count > 0
            and stats.distinct_count >= DISTINCT_SHARE * table.row_count
        ):
            yield column


def _joinable(a: Column, b: Column) -> bool:
    """Types an inference query may compare without the database refusing it."""
    numbers = {"integer", "decimal"}
    if a.logical_type in numbers and b.logical_type in numbers:
        return True
    texts = {"string"}
    return (a.logical_type in texts and b.logical_type in texts) or (
        a.logical_type == b.logical_type == "uuid"
    )


def infer_keys(
    conn: Connection,
    schema: str | None,
    tables: dict[str, Table],
    rules: Rules,
    notes: list[str],
    *,
    sample_rows: int = CHECK_ROWS,
) -> Rules:
    """*rules* plus the keys the names and values of *tables* suggest (marked ``inferred``).

    Keys already declared, or already in *rules* (the user's or an earlier run's), are left as
    they are; each new proposal adds a note."""
    limit = min(sample_rows, CHECK_ROWS)
    table_rules = dict(rules.tables)
    primary: dict[str, str] = {}
    for name, table in tables.items():
        if len(table.primary_key) == 1:
            primary[name] = table.primary_key[0]
        if table.primary_key:
            continue
        for column in _primary_candidates(table):
            evidence = _unique_share(conn, schema, table, column.name)
            if evidence.match_share >= 1.0:
                evidence = dataclasses.replace(evidence, rule="unique, no NULL, key-like name")
                rule = table_rules.get(name) or TableRule()
                table_rules[name] = dataclasses.replace(
                    rule, primary_key=VirtualPrimaryKey((column.name,), inferred=evidence)
                )
                primary[name] = column.name
                notes.append(
                    f"inferred primary key {name}.{column.name}"
                    f" (unique and not NULL in {evidence.rows_checked:,} rows)"
                )
                break
    keys: dict[str, list[str]] = {}
    for name, table in tables.items():
        own = [primary[name]] if name in primary else []
        own += [uc.columns[0] for uc in table.unique_constraints
                if len(uc.columns) == 1 and uc.columns[0] not in own]  # fmt: skip
        keys[name] = own
    for name, table in tables.items():
        rule = table_rules.get(name) or TableRule()
        taken = {c for fk in table.foreign_keys for c in fk.columns}
        taken |= {c for fk in rule.foreign_keys for c in fk.columns}
        proposed = list(rule.foreign_keys)
        for fk, evidence in _polymorphic(conn, schema, table, tables, primary, taken, limit):
            proposed.append(dataclasses.replace(fk, inferred=evidence))
            notes.append(_note(name, fk, evidence))
            taken.update(fk.columns)
        for column in table.columns.values():
            if column.name in taken or column.logical_type not in KEY_TYPES or column.pii:
                continue
            if column.stats is not None and column.stats.null_fraction >= 1.0:
                continue
            for candidate in name_candidates(table, column.name, keys):
                parent = tables[candidate.ref_table]
                if not _joinable(column, parent.columns[candidate.ref_column]):
                    continue
                evidence = match_share(conn, schema, table, column.name, candidate.ref_table,
                                       candidate.ref_column, limit=limit)  # fmt: skip
                if evidence is None or evidence.match_share < MATCH_SHARE:
                    continue
                fk = VirtualForeignKey(
                    columns=(column.name,),
                    ref_table=candidate.ref_table,
                    ref_columns=(candidate.ref_column,),
                    inferred=dataclasses.replace(evidence, rule=candidate.rule),
                )
                proposed.append(fk)
                notes.append(_note(name, fk, evidence))
                break
        if len(proposed) != len(rule.foreign_keys):
            table_rules[name] = dataclasses.replace(rule, foreign_keys=tuple(proposed))
    return Rules(tables=table_rules)


def _note(name: str, fk: VirtualForeignKey, evidence: Evidence) -> str:
    sample = " sampled" if evidence.sampled else ""
    return (
        f"inferred foreign key {name}: {fk.spec()} ({evidence.match_share:.1%} of"
        f" {evidence.rows_checked:,}{sample} values found)"
    )


def _polymorphic(
    conn: Connection,
    schema: str | None,
    table: Table,
    tables: dict[str, Table],
    primary: dict[str, str],
    taken: set[str],
    limit: int,
) -> Iterator[tuple[VirtualForeignKey, Evidence]]:
    """Rails-style pairs ``X_type`` + ``X_id``: one conditional FK per type value naming a
    table (``Post`` -> posts), confirmed on the rows of that type."""
    by_stem = {stem: name for name in tables if name in primary for stem in table_stems(name)}
    for column in table.columns.values():
        name = snake(column.name)
        if not name.endswith("_type") or column.stats is None:
            continue
        id_column = next(
            (c for c in table.columns if snake(c) == name[: -len("type")] + "id"), None
        )
        if id_column is None or id_column in taken:
            continue
        for common in column.stats.most_common:
            value = common.value
            parent = by_stem.get(snake(str(value).rsplit("::", 1)[-1]))
            if not isinstance(value, str) or parent is None:
                continue
            ref = primary[parent]
            if not _joinable(table.columns[id_column], tables[parent].columns[ref]):
                continue
            condition = KeyCondition(column.name, value)
            evidence = match_share(conn, schema, table, id_column, parent, ref,
                                   condition=condition, limit=limit)  # fmt: skip
            if evidence is not None and evidence.match_share >= MATCH_SHARE:
                fk = VirtualForeignKey(
                    columns=(id_column,), ref_table=parent, ref_columns=(ref,), when=condition
                )
                yield fk, dataclasses.replace(evidence, rule=f"polymorphic {column.name}")


def summary(profile: Any, before: Rules | None) -> str:
    """One line: how many keys this run proposed, and how many inferred ones the rules hold."""
    old = before or Rules()

    def count(rules: Rules) -> tuple[int, int]:
        pks = sum(1 for r in rules.tables.values() if r.primary_key and r.primary_key.inferred)
        fks = sum(1 for r in rules.tables.values() for fk in r.foreign_keys if fk.inferred)
        return pks, fks

    pks, fks = count(profile.rules)
    old_pks, old_fks = count(old)
    return (
        f"inferred {pks - old_pks} new primary key{'s' * (pks - old_pks != 1)} and"
        f" {fks - old_fks} new foreign key{'s' * (fks - old_fks != 1)}"
        f" ({pks + fks} inferred keys in all, marked 'inferred')"
    )
