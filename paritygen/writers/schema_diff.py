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
from paritygen.profile.model import Column, Profile, Table
from paritygen.writers.inspect import TargetInspector
from paritygen.writers.key_limits import longest_value

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


INTEGER_BITS = {"TINYINT": 8, "SMALLINT": 16, "MEDIUMINT": 24, "INTEGER": 32, "BIGINT": 64}
"""Bits of an integer column by SQLAlchemy type name (generic and dialect classes alike)."""


def _integer_range(type_: sa.types.TypeEngine) -> tuple[int, int] | None:
    for cls in type(type_).__mro__:
        bits = INTEGER_BITS.get(cls.__name__.upper().replace("SMALLINTEGER", "SMALLINT"))
        if bits is None and cls.__name__ == "BigInteger":
            bits = 64
        if bits is None and cls.__name__ == "Integer":
            bits = 32
        if bits is not None:
            if getattr(type_, "unsigned", False):
                return 0, 2**bits - 1
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None


def fits(col: Column, type_: sa.types.TypeEngine) -> list[str]:
    """Why the profile's values would not load into a target column of *type_*: strings longer
    than its length, numbers outside its range, more digits or decimal places than it holds.
    What the profile does not know (no statistics) counts against a bounded target."""
    stats = col.stats
    problems: list[str] = []
    if isinstance(type_, sa.String) and not isinstance(type_, sa.Text | sa.Enum):
        limit = type_.length
        longest = longest_value(col)
        if limit is not None and col.logical_type in ("string", "text") and not col.enum_values:
            if longest is None:
                problems.append(f"unbounded {col.sql_type} in profile, {type_} in target")
            elif longest > limit:
                problems.append(
                    f"values up to {longest} characters in profile, {type_} in target holds {limit}"
                )
    elif isinstance(type_, sa.Integer) and col.logical_type == "integer" and stats is not None:
        bounds = _integer_range(type_)
        low, high = stats.min, stats.max
        numbers = isinstance(low, int | float) and isinstance(high, int | float)
        if bounds is not None and numbers and (low < bounds[0] or high > bounds[1]):
            problems.append(
                f"values {low}..{high} in profile, {type_} in target holds {bounds[0]}..{bounds[1]}"
            )
    elif (
        isinstance(type_, sa.Numeric)
        and not isinstance(type_, sa.Float)
        and col.logical_type in ("decimal", "integer", "float")
        and type_.precision is not None
    ):
        scale = type_.scale or 0
        digits = stats.max_integer_digits if stats is not None else None
        if digits is None and col.precision is not None:
            digits = col.precision - (col.scale or 0)
        if digits is not None and digits > type_.precision - scale:
            problems.append(
                f"{digits} integer digits in profile, {type_} in target holds"
                f" {type_.precision - scale}"
            )
        places = col.scale if col.scale is not None else (stats.max_scale if stats else None)
        if places is not None and places > scale and col.logical_type == "decimal":
            problems.append(f"{places} decimal places in profile, {type_} in target keeps {scale}")
    return problems


def compare_schema(
    engine: Engine, profile: Profile, tables: Sequence[str] | None, *, keys: bool = True
) -> list[str]:
    """Every difference between the target's tables and the profile's, one line each, before
    anything is written (``--schema-mode existing``). Empty when the target can take the rows.
    *keys* False leaves primary keys, unique constraints and FKs out of the comparison: they
    are built after the load (``generate --schema-from`` into an empty target)."""
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
            out.extend(_compare_table(inspector, spec, real, keys))
    except sa.exc.DBAPIError as exc:
        raise SchemaMismatch(f"cannot read the target schema: {describe_db_error(exc)}") from None
    return out


def _compare_table(inspector: TargetInspector, spec: Table, real: str, keys: bool) -> list[str]:
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
        out.extend(f"{name}.{col.name}: {problem}" for problem in fits(col, have["type"]))
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
    if not keys:
        return out
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
