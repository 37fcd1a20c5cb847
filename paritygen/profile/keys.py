"""Virtual keys: the keys of ``rules:`` checked against the tables and merged into the model.

Many production databases declare few keys (MySQL applications that never added constraints,
FKs dropped for load speed, Rails' polymorphic ``commentable_type``/``commentable_id``). The
user declares them in ``rules.tables.T.primary_key`` / ``foreign_keys`` (or ``--infer-keys``
proposes them there). Once checked, each becomes an ordinary :class:`ForeignKey` of its table
flagged ``virtual`` (a virtual primary key sets ``Table.primary_key`` with
``virtual_primary_key``), so the profiler, generate and verify reuse the declared-FK paths; only
the schema written to staging leaves them out (:func:`declared_only`).

``rules`` is the source of truth: the file's ``tables.T.foreign_keys`` entries marked virtual
only carry what the profiler measured (the fan-out) and are matched back to their rule when a
profile is read; a virtual entry whose rule the user deleted is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import polars as pl

from paritygen.profile.model import (
    Column,
    ForeignKey,
    KeyCondition,
    Profile,
    Rules,
    Table,
    TableRule,
    VirtualForeignKey,
)

TYPE_FAMILIES: dict[str, str] = {
    "integer": "number",
    "decimal": "number",
    "float": "number",
    "string": "text",
    "text": "text",
    "enum": "text",
    "uuid": "uuid",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "boolean": "boolean",
    "binary": "binary",
    "json": "json",
}
"""Logical types whose values can equal each other: an FK column and its parent column must
be of one family (a ``bigint`` may point at an ``int``, a ``varchar`` at a ``char``)."""

_LITERAL_FAMILY = {bool: "boolean", int: "number", float: "number", str: "text"}


def same_family(a: Column, b: Column) -> bool:
    """Values of *a* and *b* can be equal (an FK may join them)."""
    uuid_text = {TYPE_FAMILIES[a.logical_type], TYPE_FAMILIES[b.logical_type]} == {"uuid", "text"}
    return uuid_text or TYPE_FAMILIES[a.logical_type] == TYPE_FAMILIES[b.logical_type]


def _literal_fits(value: object, column: Column) -> bool:
    family = TYPE_FAMILIES[column.logical_type]
    wanted = _LITERAL_FAMILY.get(type(value))
    return wanted == family or (family in ("text", "uuid", "date", "datetime", "time")
                                and wanted == "text")  # fmt: skip


def _columns_problem(table: Table, columns: Iterable[str], where: str) -> str | None:
    for col in columns:
        if col not in table.columns:
            return f"{where}: no column {col!r} in {table.name}"
    return None


def foreign_key_problems(
    tables: dict[str, Table], tname: str, index: int, fk: VirtualForeignKey
) -> list[str]:
    """What is wrong with one virtual FK rule, each as ``path: message`` (empty: fine)."""
    where = f"rules.tables.{tname}.foreign_keys.{index}"
    child = tables[tname]
    problems = []
    if not fk.columns or len(fk.columns) != len(fk.ref_columns):
        return [f"{where}: columns and ref_columns differ in length"]
    if len(set(fk.columns)) != len(fk.columns):
        return [f"{where}.columns: a column appears twice"]
    problem = _columns_problem(child, fk.columns, f"{where}.columns")
    if problem:
        return [problem]
    parent = tables.get(fk.ref_table)
    if parent is None:
        return [f"{where}.ref_table: no table {fk.ref_table!r} in the profile"]
    problem = _columns_problem(parent, fk.ref_columns, f"{where}.ref_columns")
    if problem:
        return [problem]
    for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
        a, b = child.columns[col], parent.columns[ref]
        if not same_family(a, b):
            problems.append(
                f"{where}: {tname}.{col} ({a.logical_type}) cannot reference"
                f" {fk.ref_table}.{ref} ({b.logical_type})"
            )
    if fk.when is not None:
        column = child.columns.get(fk.when.column)
        if column is None:
            problems.append(f"{where}.when.column: no column {fk.when.column!r} in {tname}")
        elif fk.when.column in fk.columns:
            problems.append(f"{where}.when.column: the condition cannot test an FK column")
        elif not _literal_fits(fk.when.equals, column):
            problems.append(
                f"{where}.when.equals: {fk.when.equals!r} cannot equal a value of"
                f" {tname}.{fk.when.column} ({column.logical_type})"
            )
    return problems


def primary_key_problems(tables: dict[str, Table], tname: str, rule: TableRule) -> list[str]:
    """What is wrong with a table's virtual primary key rule (empty: fine)."""
    if rule.primary_key is None:
        return []
    where = f"rules.tables.{tname}.primary_key"
    table = tables[tname]
    columns = rule.primary_key.columns
    if not columns or len(set(columns)) != len(columns):
        return [f"{where}.columns: give distinct column names"]
    problem = _columns_problem(table, columns, f"{where}.columns")
    if problem:
        return [problem]
    declared = () if table.virtual_primary_key else table.primary_key
    if declared and tuple(declared) != tuple(columns):
        return [f"{where}: {tname} already declares primary key ({', '.join(declared)})"]
    return []


def _declared(table: Table) -> Table:
    """*table* without its virtual keys."""
    fks = tuple(fk for fk in table.foreign_keys if not fk.virtual)
    if table.virtual_primary_key:
        return dataclasses.replace(
            table, primary_key=(), virtual_primary_key=False, foreign_keys=fks
        )
    return (
        dataclasses.replace(table, foreign_keys=fks)
        if len(fks) != len(table.foreign_keys)
        else table
    )


def _identity(fk: ForeignKey) -> tuple:
    when = (fk.condition.column, fk.condition.equals) if fk.condition else None
    return (tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns), when)


def as_foreign_key(rule: VirtualForeignKey) -> ForeignKey:
    """The in-memory FK of a virtual FK rule."""
    return ForeignKey(
        columns=tuple(rule.columns),
        ref_table=rule.ref_table,
        ref_columns=tuple(rule.ref_columns),
        virtual=True,
        condition=KeyCondition(rule.when.column, rule.when.equals) if rule.when else None,
    )


def apply_key_rules(tables: dict[str, Table], rules: Rules) -> dict[str, Table]:
    """*tables* with the virtual keys of *rules* (checked beforehand) as virtual model entries.

    A measured fan-out already on a matching virtual entry is kept; virtual entries without a
    rule are dropped; a rule equal to a declared FK adds nothing."""
    out = {}
    for name, table in tables.items():
        rule = rules.tables.get(name)
        measured = {_identity(fk): fk for fk in table.foreign_keys if fk.virtual}
        base = _declared(table)
        if rule is None or (rule.primary_key is None and not rule.foreign_keys):
            out[name] = base
            continue
        declared = {_identity(fk) for fk in base.foreign_keys}
        fks = list(base.foreign_keys)
        for fk_rule in rule.foreign_keys:
            fk = as_foreign_key(fk_rule)
            identity = _identity(fk)
            if identity in declared or any(_identity(f) == identity for f in fks):
                continue
            fks.append(measured.get(identity, fk))
        changes: dict = {"foreign_keys": tuple(fks)}
        if rule.primary_key is not None and not base.primary_key:
            changes.update(primary_key=tuple(rule.primary_key.columns), virtual_primary_key=True)
        out[name] = dataclasses.replace(base, **changes)
    return out


def key_rule_problems(tables: dict[str, Table], rules: Rules) -> list[str]:
    """Every problem of every key rule whose table exists, in file order."""
    problems = []
    for tname, rule in rules.tables.items():
        if tname not in tables:
            continue
        problems += primary_key_problems(tables, tname, rule)
        for i, fk in enumerate(rule.foreign_keys):
            problems += foreign_key_problems(tables, tname, i, fk)
    return problems


def keep_valid_keys(tables: dict[str, Table], rules: Rules) -> tuple[Rules, list[str]]:
    """Re-profiling: the key rules that still fit the schema, and a note for each one dropped
    (a column renamed, a table gone, a primary key production now declares)."""
    notes = []
    kept = {}
    for tname, rule in rules.tables.items():
        if tname not in tables:
            kept[tname] = rule
            continue
        primary = rule.primary_key
        for problem in primary_key_problems(tables, tname, rule):
            notes.append(f"{problem}; the virtual primary key was dropped")
            primary = None
        fks = []
        for i, fk in enumerate(rule.foreign_keys):
            problems = foreign_key_problems(tables, tname, i, fk)
            if problems:
                notes.append(f"{problems[0]}; the virtual foreign key {fk.spec()} was dropped")
            else:
                fks.append(fk)
        kept[tname] = dataclasses.replace(rule, primary_key=primary, foreign_keys=tuple(fks))
    return Rules(tables=kept), notes


def declared_only(profile: Profile) -> Profile:
    """*profile* as staging's schema should see it: no constraint for a virtual key."""
    tables = {name: _declared(table) for name, table in profile.tables.items()}
    return dataclasses.replace(profile, tables=tables)


def condition_mask(values: pl.Series, equals: Any) -> pl.Series:
    """Rows whose condition column equals the literal (text compared as text; booleans read
    as 0/1 by some drivers compare as numbers)."""
    if values.dtype == pl.String:
        return (values == str(equals)).fill_null(False)
    if values.dtype == pl.Boolean and not isinstance(equals, bool):
        return (values.cast(pl.Int64) == equals).fill_null(False)
    try:
        return (values == equals).fill_null(False)
    except (TypeError, pl.exceptions.PolarsError):
        return pl.Series([False] * values.len())
