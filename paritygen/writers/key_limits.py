"""Key columns that fit the target's key length limit, decided when the schema is planned.

A key (primary, unique, index, either end of an FK) over a string column must fit the target's
index key: an unbounded ``text`` key cannot be indexed at all on a target with a key length limit
(``BLOB/TEXT column used in key specification without a key length``), a ``varchar(1024)`` key
is longer than the limit, and an FK to a unique column indexed only on a prefix has no index to
use (``Missing index for constraint``). Across families, such a key column becomes a
``VARCHAR`` as long as the longest value the profile saw (generated values never exceed it), so
the whole key is indexed; within a family the source's own DDL already fits and is kept. Each
change is a note the run prints before anything is written.
"""

from __future__ import annotations

import sqlalchemy as sa

from paritygen.profile.model import Column, Table
from paritygen.writers.capabilities import Capabilities


def keyed_columns(spec: Table, referenced: set[str]) -> set[str]:
    """Columns of *spec* in any key: PK, unique, index, FK, or referenced by an FK (*referenced*
    lists this table's columns that other tables' FKs point at)."""
    keyed = set(spec.primary_key) | set(referenced)
    for unique in spec.unique_constraints:
        keyed.update(unique.columns)
    for index in spec.indexes:
        keyed.update(index.columns)
    for fk in spec.foreign_keys:
        keyed.update(fk.columns)
    return keyed


def referenced_columns(tables: dict[str, Table]) -> dict[str, set[str]]:
    """Table -> its columns that some FK refers to."""
    found: dict[str, set[str]] = {}
    for table in tables.values():
        for fk in table.foreign_keys:
            found.setdefault(fk.ref_table, set()).update(fk.ref_columns)
    return found


def longest_value(col: Column) -> int | None:
    """The longest value the profile saw, else the declared length (None: unknown)."""
    stats = col.stats
    if stats is not None and stats.length is not None:
        return max(stats.length.max, 1)
    return col.length


def fit_key_type(
    type_: sa.types.TypeEngine, col: Column, caps: Capabilities
) -> tuple[sa.types.TypeEngine, str | None]:
    """(type for a key column on the target, note when it was narrowed)."""
    limit = caps.index_key_chars
    if limit is None or isinstance(type_, sa.Enum) or not isinstance(type_, sa.String):
        return type_, None
    length = None if isinstance(type_, sa.Text) else type_.length
    if length is not None and length <= limit:
        return type_, None
    longest = longest_value(col)
    if longest is None or longest > limit:
        return type_, None  # kept; unique keys and indexes then take a prefix (schema.py)
    spelled = f"varchar({longest})"
    note = (
        f"key column {col.sql_type} written as {spelled} (longest value {longest} characters;"
        f" {caps.display_name} keys hold {limit})"
    )
    return sa.String(longest), note


def match_fk_types(made: dict[str, sa.Table], tables: dict[str, Table]) -> None:
    """Give each string FK column its referenced column's type, so the target accepts the FK
    (both ends indexable, same kind). *made*: profile table name -> its target table."""
    for name, table in made.items():
        for fk in tables[name].foreign_keys:
            parent = made.get(fk.ref_table)
            if parent is None:
                continue
            for child_col, parent_col in zip(fk.columns, fk.ref_columns, strict=True):
                if child_col not in table.c or parent_col not in parent.c:
                    continue
                child, ref = table.c[child_col], parent.c[parent_col]
                strings = isinstance(ref.type, sa.String) and isinstance(child.type, sa.String)
                if strings and not isinstance(ref.type, sa.Enum):
                    child.type = ref.type.copy()
