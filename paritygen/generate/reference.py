"""Reference tables come out exactly: the profile's verbatim rows as chunks, keys included.

A table the profile kept verbatim (``Table.reference_rows``, see
:mod:`paritygen.profile.reference`) is written as those rows at every ``--scale`` (lookup tables
keep their rows, DESIGN.md), and its key columns hand children exactly those values, so FKs into
it point at production's codes and ids (``WHERE region = 'EMEA'`` finds its rows).

Chunk contract as for every generator, except decimals: they travel as their exact text
(``"12.3400000000"``), which every writer's bulk path hands to the database to parse, so a
``numeric(38,10)`` never passes through a float.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from paritygen.generate.base import POLARS_TYPES
from paritygen.profile.model import Column, Profile, Table


def is_reference(profile: Profile, name: str, row_count: int) -> bool:
    """Whether table *name* is written verbatim in a run that makes *row_count* rows of it:
    it has rows in the profile, holds no column made personal since (a ``rules:`` edit), and
    no rule pins another row count."""
    table = profile.table(name)
    rows = table.reference_rows
    if rows is None or len(rows) != row_count:
        return False
    if any(column.pii for column in table.columns.values()):
        return False
    rule = profile.table_rule(name)
    return not any(
        rule.columns.get(c) is not None and rule.columns[c].pii for c in table.columns
    )


def column_series(column: Column, values: list) -> pl.Series:
    """One column of verbatim values, typed per the chunk contract (decimals as exact text)."""
    kind = column.logical_type
    name = column.name
    if kind == "decimal":
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
    if kind == "float":
        return pl.Series(name, [None if v is None else float(v) for v in values], pl.Float64)
    if kind == "integer":
        return pl.Series(name, values, dtype=pl.Int64)
    if kind == "boolean":
        return pl.Series(name, [None if v is None else bool(v) for v in values], pl.Boolean)
    if kind == "date":
        parsed = [None if v is None else dt.date.fromisoformat(str(v)[:10]) for v in values]
        return pl.Series(name, parsed, dtype=pl.Date)
    if kind == "datetime":
        parsed = [None if v is None else dt.datetime.fromisoformat(str(v)) for v in values]
        return pl.Series(name, parsed, dtype=pl.Datetime("us"))
    if kind == "time":
        parsed = [None if v is None else dt.time.fromisoformat(str(v)) for v in values]
        return pl.Series(name, parsed, dtype=pl.Time)
    if kind == "binary":
        parsed = [None if v is None else bytes.fromhex(str(v)) for v in values]
        return pl.Series(name, parsed, dtype=pl.Binary)
    text = [None if v is None else (v if isinstance(v, str) else _text(v)) for v in values]
    return pl.Series(name, text, dtype=POLARS_TYPES.get(kind, pl.String()))


def _text(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def reference_frame(table: Table, written: list[str]) -> pl.DataFrame:
    """The verbatim rows of *table* as one frame of the *written* columns, table order."""
    rows = table.reference_rows or ()
    position = {name: i for i, name in enumerate(table.columns)}
    return pl.DataFrame(
        [column_series(table.columns[c], [row[position[c]] for row in rows]) for c in written]
    )


def key_values(table: Table, column: str) -> pl.Series:
    """The verbatim values of one key column, row order (what children's FKs point at)."""
    index = list(table.columns).index(column)
    spec = table.columns[column]
    series = column_series(spec, [row[index] for row in table.reference_rows or ()])
    if spec.logical_type == "decimal":
        return series.cast(pl.Float64)  # keys are compared as numbers by the key layer
    return series
