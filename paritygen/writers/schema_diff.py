"""What differs between a target's existing tables and the profile (``--schema-mode existing``).

Types are compared by family, not spelling: a profile's ``int(11)`` matches a target's
``integer``; a ``tinyint(1)`` passes for a boolean; JSON and UUID may live in text
columns. Each difference is one line the user can act on, listed before anything is written.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paritygen.db import describe_db_error
from paritygen.errors import SchemaMismatch
from paritygen.profile.model import Profile, Table
from paritygen.writers.inspect import TargetInspector

_ACCEPTS = {
    "integer": {"integer"},
    "float": {"float"},
    "decimal": {"decimal"},
    "boolean": {"boolean", "integer"},
    "string": {"string", "text"},
    "text": {"text", "string"},
    "enum": {"enum", "string", "text"},
    "uuid": {"uuid", "string"},
    "json": {"json", "text", "string"},
    "binary": {"binary"},
    "date": {"date"},
    "datetime": {"datetime"},
    "time": {"time"},
}


def type_family(type_: sa.types.TypeEngine) -> str:
    """The logical family of a reflected type ("unknown" when SQLAlchemy cannot tell)."""
    checks: list[tuple[type, str]] = [
        (sa.Boolean, "boolean"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.Enum, "enum"),
        (sa.JSON, "json"),
        (sa.Uuid, "uuid"),
        (sa.Text, "text"),
        (sa.String, "string"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Time, "time"),
        (sa.types._Binary, "binary"),
    ]
    for cls, name in checks:
        if isinstance(type_, cls):
            return name
    return "unknown"


def compare_schema(engine: Engine, profile: Profile, tables: Sequence[str] | None) -> list[str]:
    """Every difference between the target's tables and the profile's, one line each, before
    anything is written (``--schema-mode existing``). Empty when the target can take the rows."""
    out: list[str] = []
    names = list(tables) if tables is not None else list(profile.tables)
    try:
        inspector = TargetInspector(engine)
        existing = {t.lower(): t for t in inspector.get_table_names()}
        for name in names:
            spec = profile.table(name)
            real = existing.get(name.lower())
            if real is None:
                out.append(f"{name}: table missing in target")
                continue
            out.extend(_compare_table(inspector, spec, real))
    except sa.exc.DBAPIError as exc:
        raise SchemaMismatch(f"cannot read the target schema: {describe_db_error(exc)}") from None
    return out


def _compare_table(inspector: TargetInspector, spec: Table, real: str) -> list[str]:
    out: list[str] = []
    name = spec.name
    with warnings.catch_warnings():  # types SQLAlchemy cannot name (xml, point) pass as unknown
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        reflected = {c["name"].lower(): c for c in inspector.get_columns(real)}
    for col in spec.columns.values():
        have = reflected.get(col.name.lower())
        if have is None:
            out.append(f"{name}.{col.name}: column missing in target")
            continue
        fam = type_family(have["type"])
        if fam != "unknown" and fam not in _ACCEPTS[col.logical_type]:
            out.append(
                f"{name}.{col.name}: type {col.logical_type} ({col.sql_type}) in profile, "
                f"{have['type']} in target"
            )
        if have["nullable"] and not col.nullable:
            out.append(f"{name}.{col.name}: NOT NULL in profile, nullable in target")
        elif not have["nullable"] and col.nullable:
            out.append(f"{name}.{col.name}: nullable in profile, NOT NULL in target")
    wanted = {c.lower() for c in spec.columns}
    for key, have in reflected.items():
        if (
            key not in wanted
            and not have["nullable"]
            and have.get("default") is None
            and not (have.get("autoincrement") is True or have.get("identity"))
        ):
            out.append(
                f"{name}.{have['name']}: NOT NULL column without default in target, "
                "absent from profile"
            )
    pk = tuple(
        c.lower() for c in inspector.get_pk_constraint(real).get("constrained_columns") or ()
    )
    if tuple(c.lower() for c in spec.primary_key) != pk:
        out.append(
            f"{name}: primary key ({', '.join(spec.primary_key)}) in profile, "
            f"({', '.join(pk)}) in target"
        )
    uniques = {
        tuple(c.lower() for c in u["column_names"]) for u in inspector.get_unique_constraints(real)
    }
    uniques |= {
        tuple(c.lower() for c in i["column_names"])
        for i in inspector.get_indexes(real)
        if i.get("unique")
    }
    for uc in spec.unique_constraints:
        if tuple(c.lower() for c in uc.columns) not in uniques:
            out.append(f"{name}: unique ({', '.join(uc.columns)}) missing in target")
    fks = {
        (tuple(c.lower() for c in fk["constrained_columns"]), fk["referred_table"].lower())
        for fk in inspector.get_foreign_keys(real)
    }
    for fk in spec.foreign_keys:
        if (tuple(c.lower() for c in fk.columns), fk.ref_table.lower()) not in fks:
            out.append(
                f"{name}: foreign key ({', '.join(fk.columns)}) -> {fk.ref_table}"
                f"({', '.join(fk.ref_columns)}) missing in target"
            )
    return out
