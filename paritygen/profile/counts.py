"""Production's row counts now, for a profile taken earlier.

Why: a scheduled refresh that reuses its profile (``reprofile: false``) would otherwise fill
staging at the volume production had when the profile was taken, and record no growth at all.
Counting rows is cheap and read-only (one ``count(*)`` per table, or the catalog's estimate with
``estimate_rows``), so the volumes follow production while the distributions stay the profile's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import sqlalchemy as sa

from paritygen.profile import dialects
from paritygen.profile.model import Profile, TableRule
from paritygen.profile.volume import is_lookup


def source_row_counts(
    engine: sa.Engine,
    names: Sequence[str],
    *,
    schema: str | None = None,
    estimate: bool = False,
) -> dict[str, int]:
    """Rows of each of *names* in the source now (a table that is gone is left out)."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        catalog_schema = schema or sa.inspect(conn).default_schema_name
        for name in names:
            try:
                found = dialects.catalog_rows(conn, catalog_schema, name) if estimate else None
                if found is None:
                    found = dialects.count_rows(conn, dialects.quote_table(conn, schema, name))
            except sa.exc.DBAPIError:
                conn.rollback()  # the table is gone (a drift the diff names), not an error here
                continue
            counts[name] = found
    return counts


def with_counts(profile: Profile, counts: dict[str, int]) -> Profile:
    """*profile* with each table's row count (and bytes, per row as profiled) set to *counts*
    (production as it is now, for the history); reference tables and tables a rule pins keep
    theirs."""
    tables = dict(profile.tables)
    changed = False
    for name, rows in counts.items():
        table = tables.get(name)
        if table is None or rows == table.row_count or table.reference_rows is not None:
            continue
        if profile.table_rule(name).row_count is not None:
            continue
        factor = rows / table.row_count if table.row_count else None
        tables[name] = dataclasses.replace(
            table,
            row_count=rows,
            data_bytes=_scaled(table.data_bytes, factor),
            index_bytes=_scaled(table.index_bytes, factor),
        )
        changed = True
    return dataclasses.replace(profile, tables=tables) if changed else profile


def _scaled(size: int | None, factor: float | None) -> int | None:
    return None if size is None or factor is None else int(round(size * factor))


def pinned_counts(profile: Profile, counts: dict[str, int], scale: float) -> Profile:
    """*profile* with the rows each changed table gets now pinned in its rule: production's rows
    of now (times *scale* where the table scales), the statistics left as profiled. Generate and
    verify then treat the growth as they treat ``--scale`` (keys judged as shapes), not as a
    profile whose counts and statistics disagree. Tables a rule already pins keep their pin."""
    tables = dict(profile.rules.tables)
    for name, rows in counts.items():
        table = profile.tables.get(name)
        if table is None or rows == table.row_count or table.reference_rows is not None:
            continue
        rule = profile.table_rule(name)
        if rule.row_count is not None:
            continue
        kept = rule.fixed or is_lookup(profile, name, None)
        pinned = rows if kept else max(int(round(rows * scale)), 1 if rows else 0)
        tables[name] = (
            dataclasses.replace(rule, row_count=pinned)
            if name in tables
            else (TableRule(row_count=pinned))
        )
    return dataclasses.replace(profile, rules=dataclasses.replace(profile.rules, tables=tables))
