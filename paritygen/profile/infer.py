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
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile import dialects
from paritygen.profile.key_names import (
    KEY_TYPES,
    key_like,
    name_candidates,
    reference_names,
    snake,
    table_stems,
)
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
    if any(name in reference_names(s) for s in stems):
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
