"""The target before anything is written: is it safe, what does it hold, which schema mode.

Every check here runs before the first write, so a refusal leaves the target (and the source)
exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paritygen.errors import ConfigError, UnsafeTarget, safe_url
from paritygen.generate.keys import ExistingKeys
from paritygen.profile.model import Profile
from paritygen.profile.values import ORDERED, to_number

SCHEMA_MODES = ("auto", "create", "existing")
IF_EXISTS = ("fail", "truncate", "append")

def non_empty(engine: Engine, names: Sequence[str]) -> list[str]:
    """The tables of *names* that hold at least one row."""
    full = []
    with engine.connect() as conn:
        for name in names:
            table = sa.table(name)
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                full.append(name)
    return full


def resolve_mode(schema_mode: str, selected: Sequence[str], existing: set[str]) -> str:
    """``auto`` made concrete: fill the tables when any exists, else create them."""
    present = [n for n in selected if n in existing]
    if schema_mode == "auto":
        return "existing" if present else "create"
    if schema_mode == "create" and present:
        raise ConfigError(
            f"--schema-mode create: table(s) {', '.join(present)} already exist in the target;"
            " use --schema-mode existing to fill them, or drop them first"
        )
    return schema_mode


def check_tables(
    profile: Profile, engine: Engine, selected: Sequence[str], if_exists: str
) -> list[str]:
    """Refuse to write into tables holding rows unless the user said what to do with them;
    return the tables that hold rows."""
    full = non_empty(engine, selected)
    if not full or if_exists != "fail":
        return full
    source = profile.source
    same = (
        source.dialect == engine.dialect.name
        and source.database
        and (source.database == engine.url.database)
    )
    hint = " (it looks like the profiled source database itself)" if same else ""
    raise UnsafeTarget(
        f"target {safe_url(engine.url)} already holds rows in {', '.join(full)}{hint};"
        " pass --if-exists truncate to replace them or --if-exists append to add to them"
    )


def existing_keys(
    engine: Engine, profile: Profile, names: Sequence[str]
) -> dict[str, ExistingKeys]:
    """Rows and the largest value of each ordered key column of the tables appended to, so the
    new keys start past them (``--if-exists append`` never collides on a key)."""
    found: dict[str, ExistingKeys] = {}
    referenced = {
        (fk.ref_table, column)
        for table in profile.tables.values()
        for fk in table.foreign_keys
        for column in fk.ref_columns
    }
    with engine.connect() as conn:
        for name in names:
            table = profile.table(name)
            keyed = set(table.primary_key) | {c for c in table.columns if (name, c) in referenced}
            keyed |= {uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1}
            columns = [
                c for c in table.columns if c in keyed and table.columns[c].logical_type in ORDERED
            ]
            query = sa.select(
                sa.func.count(), *(sa.func.max(sa.column(c)) for c in columns)
            ).select_from(sa.table(name))
            row = conn.execute(query).one()
            maxima = {
                column: to_number(value, table.columns[column].logical_type)
                for column, value in zip(columns, row[1:], strict=True)
                if value is not None
            }
            found[name] = ExistingKeys(rows=int(row[0]), max_values=maxima)
    return found


MAX_ROWS = 100_000_000
"""Default ``--max-rows``: more planned rows than this is refused until the user raises it."""
MAX_BYTES = 50 * 1024**3
"""Default ``--max-bytes`` (50 GiB of table + index data, estimated from the profile)."""
BYTES_PER_ROW_UNKNOWN = 100
"""Bytes per row assumed for a table whose profile has no size (SQLite sources)."""


def planned_size(profile: Profile, rows: dict[str, int]) -> int:
    """Estimated bytes of *rows* (table -> planned rows): each table's profiled bytes per row
    (data + indexes) times its planned rows."""
    total = 0
    for name, count in rows.items():
        table = profile.table(name)
        measured = (table.data_bytes or 0) + (table.index_bytes or 0)
        per_row = measured / table.row_count if measured and table.row_count else None
        total += int(count * (per_row or BYTES_PER_ROW_UNKNOWN))
    return total


def check_size(rows: int, size: int, max_rows: int, max_bytes: int) -> None:
    """Refuse a run above the limits, before anything is written."""
    if rows > max_rows:
        raise ConfigError(
            f"the run would write {rows:,} rows, above --max-rows {max_rows:,}; lower --scale or"
            " raise --max-rows"
        )
    if size > max_bytes:
        raise ConfigError(
            f"the run would write about {human_bytes(size)}, above --max-bytes"
            f" {human_bytes(max_bytes)}; lower --scale or raise --max-bytes"
        )


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} PiB"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?i?b?)\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """``500MiB``, ``2TB``, ``1.5G`` or a plain byte count as bytes (powers of 1024)."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if match is None:
        raise ConfigError(f"--max-bytes: cannot read {text!r} as a size (e.g. 500MiB, 2TiB)")
    unit = match.group(2).lower().rstrip("b").rstrip("i")
    power = " kmgtp".index(unit) if unit else 0
    return int(float(match.group(1)) * 1024**power)
