"""What staging's schema lacks, or holds differently, compared with production's: notes, not bars.

A load test that calls a view, relies on a trigger, or runs a query an expression index serves
behaves differently on a staging that lacks them, yet no parity measure sees it: the rows can
be perfect. So verify (and the report built on it) names these differences next to the
measures, from the two profiles it already has (production's, and staging's taken by verify):

- schema objects the profile does not carry (``not_carried``: views, triggers, routines, rules,
  events, inheritance) that production has and staging does not (``generate --schema-from``
  builds them; then nothing is listed);
- indexes of production missing in staging by name, or of another method (GIN made a B-tree);
- columns whose type changed family or native kind (an ``inet`` written as ``VARCHAR`` across
  databases): the cross-database type mappings generate printed, as staging really holds them.

One function, used by verify's text and JSON output and by every report format.
"""

from __future__ import annotations

from collections.abc import Sequence

from paritygen.profile.model import Profile, Table


def schema_differences(
    production: Profile, staging: Profile, tables: Sequence[str] | None = None
) -> list[str]:
    """One line per difference that matters to a load test, production's order."""
    out = [
        f"{item}: in production, not in staging"
        for item in production.not_carried
        if item not in set(staging.not_carried)
    ]
    names = [t for t in production.tables if tables is None or t in tables]
    for name in names:
        other = staging.tables.get(name)
        if other is not None:
            out.extend(_table_differences(production.tables[name], other))
    return out


def _index_kinds(table: Table) -> dict[str, str]:
    """Index name (lower case) -> method (``btree`` when not named), unique ones included."""
    found = {(u.name or "").lower(): "btree" for u in table.unique_constraints if u.name}
    found.update({ix.name.lower(): ix.kind or "btree" for ix in table.indexes if ix.name})
    return found


def _table_differences(production: Table, staging: Table) -> list[str]:
    out: list[str] = []
    name = production.name
    staged = _index_kinds(staging)
    for ix in production.indexes:
        if not ix.name:
            continue
        kind = staged.get(ix.name.lower())
        if kind is None:
            out.append(f"{name}: index {ix.name} in production, not in staging")
        elif kind != (ix.kind or "btree"):
            out.append(f"{name}: index {ix.name} is {ix.kind or 'btree'} in production,"
                       f" {kind} in staging")  # fmt: skip
    columns = {c.lower(): col for c, col in staging.columns.items()}
    for col in production.columns.values():
        other = columns.get(col.name.lower())
        if other is None:
            continue
        if other.logical_type != col.logical_type or other.value_kind != col.value_kind:
            out.append(f"{name}.{col.name}: {col.sql_type} in production, {other.sql_type}"
                       " in staging")  # fmt: skip
    return out
