"""What ``mask`` does with each table and column: the rules, merged and checked up front.

Per table (``mode``): ``mask`` (alias ``copy-masked``: production's rows, PII masked),
``generate`` (synthetic rows from the profile), ``skip`` (left out) or ``empty`` (created with no
rows). Per column (``mode``): ``keep``, ``mask`` (``masker`` and ``params``), ``null``,
``constant`` (``value``) or ``generate``. Defaults: every table is copied masked, unless the
profile's rules name some tables ``mode: mask`` (a mixed plan: those are copied, the rest keep
their profile mode, ``generate`` by default); a PII column is masked with the masker its semantic
tag implies; an FK column whose referenced column is masked gets the *same* masker (so a personal
key is remapped consistently in parent and children); anything else is kept.

A rules file (``--rules FILE``) has the profile's ``rules:`` shape (``tables: {name: {mode,
columns: {...}}}``), plus an optional ``default_mode``; what it says wins over the profile's
rules. Every masker is built here, so a bad masker name, parameter or column type stops the run
before a single row is read (the Greenmask model).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from paritygen.errors import ConfigError
from paritygen.mask.maskers import MaskColumn, Masker
from paritygen.profile.model import Column, ColumnRule, Profile, Table, TableRule
from paritygen.registry import maskers

TABLE_MODES = ("mask", "generate", "skip", "empty")
TABLE_MODE_ALIASES = {"copy-masked": "mask", "copy_masked": "mask", "copy": "mask"}
COLUMN_MODES = ("keep", "mask", "null", "constant", "generate")

DEFAULT_MASKERS: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "full_name",
    "name": "full_name",
    "username": "username",
    "street": "street",
    "address": "street",
    "city": "city",
    "postcode": "postcode",
    "iban": "iban",
    "card_number": "card_number",
    "birth_date": "birth_date",
    "ip_address": "ip",
    "free_text": "free_text",
    "national_id": "shape",
    "password": "hash",
}
"""The masker each semantic tag implies."""

TYPE_MASKERS: dict[str, str] = {
    "string": "shape",
    "text": "free_text",
    "integer": "integer_key",
    "date": "birth_date",
    "datetime": "birth_date",
}
"""The masker for a PII column whose tag implies none, by logical type."""

_TABLE_RULE = TypeAdapter(TableRule)


@dataclass(frozen=True)
class ColumnAction:
    """What is written into one column of a copied table."""

    column: Column
    mode: str
    masker: Masker | None = None
    value: Any = None
    rule: ColumnRule | None = None
    inherited_from: str | None = None
    """``parent.column`` when an FK column takes its referenced column's masker."""


@dataclass(frozen=True)
class TableAction:
    """What happens to one table, and to each of its written columns when copied."""

    name: str
    mode: str
    columns: dict[str, ColumnAction] = field(default_factory=dict)

    @property
    def masked(self) -> list[str]:
        return [c for c, a in self.columns.items() if a.mode == "mask"]


@dataclass(frozen=True)
class RulesFile:
    """A ``--rules`` file: table rules (explicit fields only) and the default table mode."""

    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_mode: str | None = None


def read_rules(path: str | Path) -> RulesFile:
    """Read a rules file (YAML or JSON); the profile's ``rules:`` shape, or that under a
    top-level ``rules:`` key. Errors give the path inside the file."""
    import yaml  # here, not at the top: a run without a rules file never parses YAML

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such rules file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read rules ({exc.__class__.__name__})") from None
    if isinstance(data, dict) and "rules" in data and "tables" not in data:
        data = data["rules"] or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with tables: at the top level")
    unknown = sorted(set(data) - {"tables", "default_mode"})
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown key (known: tables, default_mode)")
    default = data.get("default_mode")
    if default is not None:
        default = _table_mode(default, f"{path}: default_mode")
    tables = data.get("tables") or {}
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: tables: expected a mapping of table names")
    checked: dict[str, dict[str, Any]] = {}
    for name, raw in tables.items():
        raw = dict(raw or {})
        columns = {}
        for cname, crule in (raw.get("columns") or {}).items():
            crule = dict(crule or {})
            if "mode" in crule and crule["mode"] is None:
                crule["mode"] = "null"  # YAML reads an unquoted `mode: null` as no value
            columns[cname] = crule
        if columns:
            raw["columns"] = columns
        if "mode" in raw:
            raw["mode"] = _table_mode(raw["mode"], f"{path}: tables.{name}.mode")
        try:
            _TABLE_RULE.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"] if p not in ("str", "int", "float"))
            raise ConfigError(f"{path}: tables.{name}.{where}: {first['msg']}") from None
        checked[str(name)] = raw
    return RulesFile(tables=checked, default_mode=default)


def _table_mode(value: Any, where: str) -> str:
    mode = TABLE_MODE_ALIASES.get(value, value)
    if mode not in TABLE_MODES:
        raise ConfigError(f"{where}: must be one of {', '.join(TABLE_MODES)} or copy-masked")
    return str(mode)


def merged_rule(profile: Profile, name: str, override: Mapping[str, Any] | None) -> TableRule:
    """The profile's rule for *name* with the rules file's explicit fields laid over it."""
    base = profile.table_rule(name)
    if not override:
        return base
    columns = dict(base.columns)
    for cname, raw in (override.get("columns") or {}).items():
        old = dataclasses.asdict(columns[cname]) if cname in columns else {}
        columns[cname] = ColumnRule(**{**old, **dict(raw or {})})
    changes = {k: v for k, v in override.items() if k != "columns"}
    return dataclasses.replace(base, **changes, columns=columns)


def plan_tables(
    profile: Profile,
    rules: RulesFile | None = None,
    tables: list[str] | None = None,
) -> dict[str, TableAction]:
    """Every table's action, in profile order, with each copied column's masker built."""
    rules = rules or RulesFile()
    for name in rules.tables:
        if name not in profile.tables:
            raise ConfigError(f"rules: no table {name!r} in the profile")
    for name in tables or ():
        if name not in profile.tables:
            known = ", ".join(profile.tables)
            raise ConfigError(f"--tables: no table {name!r} in the profile (has: {known})")
    mixed = any(r.mode == "mask" for r in profile.rules.tables.values())
    plan: dict[str, TableAction] = {}
    for name, table in profile.tables.items():
        override = rules.tables.get(name)
        rule = merged_rule(profile, name, override)
        if override and "mode" in override:
            mode = rule.mode
        elif rules.default_mode is not None and (not mixed or rule.mode == "generate"):
            mode = rules.default_mode if rule.mode not in ("skip", "empty") else rule.mode
        elif mixed or rule.mode in ("skip", "empty"):
            mode = rule.mode
        else:
            mode = "mask"
        if tables and name not in tables:
            mode = "skip"
        columns = _column_actions(table, rule) if mode == "mask" else {}
        plan[name] = TableAction(name, mode, columns)
    _inherit_fk_maskers(profile, plan)
    _check_mixed(profile, plan)
    return plan


def unique_columns(table: Table) -> set[str]:
    """Columns unique on their own: a one-column primary key or unique constraint."""
    single = {uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1}
    if len(table.primary_key) == 1:
        single.add(table.primary_key[0])
    return single


def _column_actions(table: Table, rule: TableRule) -> dict[str, ColumnAction]:
    actions: dict[str, ColumnAction] = {}
    unique = unique_columns(table)
    for cname, column in table.columns.items():
        if column.generated is not None:
            continue  # the target computes it
        crule = rule.columns.get(cname)
        semantic = crule.semantic if crule is not None and crule.semantic else column.semantic
        pii = crule.pii if crule is not None and crule.pii is not None else column.pii
        if crule is not None and crule.semantic and crule.pii is None:
            from paritygen.profile.classify import PII_SEMANTICS

            pii = crule.semantic in PII_SEMANTICS
        named = crule is not None and crule.masker is not None  # naming a masker means mask
        mode = crule.mode if crule is not None and crule.mode else None
        mode = mode or ("mask" if pii or named else "keep")
        if mode not in COLUMN_MODES:
            raise ConfigError(f"rules: {table.name}.{cname}: unknown mode {mode!r}")
        label = f"{table.name}.{cname}"
        if mode == "null" and not column.nullable:
            raise ConfigError(f"rules: {label} is NOT NULL: mode null cannot apply to it")
        if mode == "constant" and (crule is None or crule.value is None):
            raise ConfigError(f"rules: {label}: mode constant needs a value")
        masker = None
        if mode == "mask":
            name = crule.masker if crule is not None and crule.masker else None
            name = (
                name or DEFAULT_MASKERS.get(semantic or "") or TYPE_MASKERS.get(column.logical_type)
            )
            if name is None:
                raise ConfigError(
                    f"{label}: no masker for a PII {column.logical_type} column; set its rule"
                    " to mode: null, constant or keep, or name a masker"
                )
            params = dict(crule.params) if crule is not None else {}
            masker = build_masker(name, table.name, column, cname in unique, semantic, params)
        actions[cname] = ColumnAction(
            column, mode, masker, crule.value if crule is not None else None, crule
        )
    return actions


def build_masker(
    name: str, table: str, column: Column, unique: bool, semantic: str | None,
    params: Mapping[str, Any],
) -> Masker:  # fmt: skip
    """The registered masker *name*, validated against the column (errors before any read)."""
    import paritygen.mask.maskers  # noqa: F401 - registers the built-ins

    cls = maskers.get(name)
    spec = MaskColumn(
        table, column.name, column.logical_type, column.length, unique, semantic, params
    )
    return cls(spec)


def _inherit_fk_maskers(profile: Profile, plan: dict[str, TableAction]) -> None:
    """An FK column referencing a masked column takes that column's masker (same pseudonyms),
    unless a rule set the FK column's mode; chains (a -> b -> c) settle in a few passes."""
    for _ in range(len(plan)):
        changed = False
        for name, action in plan.items():
            if action.mode != "mask":
                continue
            for fk in profile.table(name).foreign_keys:
                parent = plan.get(fk.ref_table)
                if parent is None:
                    continue
                for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
                    mine = action.columns.get(col)
                    theirs = parent.columns.get(ref)
                    if mine is None or theirs is None or theirs.masker is None:
                        continue
                    if mine.rule is not None and mine.rule.mode:
                        continue
                    if (
                        mine.masker is not None
                        and mine.masker.signature() == theirs.masker.signature()
                    ):
                        continue
                    action.columns[col] = dataclasses.replace(
                        mine, mode="mask", masker=theirs.masker,
                        inherited_from=f"{fk.ref_table}.{ref}",
                    )  # fmt: skip
                    changed = True
        if not changed:
            return


def _check_mixed(profile: Profile, plan: dict[str, TableAction]) -> None:
    """A copied table cannot reference a generated or emptied one: its production FK values
    would point at rows that do not exist. (The other way round is fine: see mask/mixed.py.)"""
    for name, action in plan.items():
        if action.mode != "mask":
            continue
        for fk in profile.table(name).foreign_keys:
            parent = plan.get(fk.ref_table)
            if parent is None or parent.mode not in ("generate", "empty") or fk.ref_table == name:
                continue
            cols = [action.columns.get(c) for c in fk.columns]
            if all(c is not None and c.mode in ("null", "generate") for c in cols):
                continue
            state = "generated" if parent.mode == "generate" else "left empty"
            raise ConfigError(
                f"rules: table {name} is copied but its parent {fk.ref_table} is"
                f" {state}, so {name}.{', '.join(fk.columns)} would reference rows that"
                f" do not exist; generate {name} too, copy {fk.ref_table}, or set the FK"
                " column(s) to mode: null"
            )
