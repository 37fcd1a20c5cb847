"""Relationship measures: production's relations (orderings, FK diamonds, identities) measured
in staging the way the profiler measured them, and compared share against share.

One function per measure (:func:`relation_measure`) names it, describes it and computes its
value, for verify, diff and report alike; the share itself is read by
:func:`paritygen.profile.relations.relation_share` on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from paritygen.profile.model import Profile, Relation
from paritygen.profile.relations import relation_share
from paritygen.verify.result import Collector

MEASURE_OF_KIND = {
    "order": "ordering",
    "fk_order": "fk_ordering",
    "diamond": "diamond",
    "sum": "identity",
    "product": "identity",
}
"""The verify measure of each relation kind (bars in :class:`~paritygen.verify.tolerances`)."""


def describe(relation: Relation) -> str:
    """The relation in words, as reports print it."""
    columns = relation.columns
    if relation.kind == "order":
        return f"{columns[0]} <= {columns[1]}"
    if relation.kind == "fk_order":
        parent = f"{relation.ref_table}.{relation.ref_columns[0]}"
        return f"{columns[0]} >= {parent} (via {relation.via[0]})"
    if relation.kind == "diamond":
        return (f"{columns[0]} = {relation.ref_table}.{relation.ref_columns[0]}"
                f" (via {relation.via[0]})")  # fmt: skip
    operator = "+" if relation.kind == "sum" else "*"
    return f"{columns[0]} = {columns[1]} {operator} {columns[2]}"


# A share measured over n rows carries binomial noise (standard error sqrt(p(1-p)/n)): on a
# 300-row table one share point is three rows. The difference is judged beyond this many
# standard errors, so small tables are not missed for noise while large ones keep the 2-point bar.
SAMPLING_ALLOWANCE_Z = 2.0


def relation_measure(production: float, staging: float, rows: int | None = None) -> float:
    """The value of a relation measure: the absolute difference of the two shares, less the
    sampling allowance of a share measured over *rows* rows (none when *rows* is not given)."""
    difference = abs(production - staging)
    if not rows:
        return difference
    allowance = SAMPLING_ALLOWANCE_Z * (production * (1 - production) / rows) ** 0.5
    return max(0.0, difference - allowance)


def relation_measures(
    out: Collector, engine: sa.Engine, profile: Profile, tables: Sequence[str]
) -> None:
    """Measure every relation of *tables* in the target *engine* into *out*."""
    with engine.connect() as conn:
        for name in tables:
            for relation in profile.tables[name].relations:
                measure = MEASURE_OF_KIND[relation.kind]
                column = relation.columns[0]
                if not out.wants(measure, name, column):
                    continue
                found = relation_share(conn, None, profile.tables, name, relation)
                if found is None or found[1] == 0:
                    out.skip(name, column, measure, f"{describe(relation)}: no rows to compare")
                    continue
                share, rows = found
                out.add(
                    name,
                    column,
                    measure,
                    relation_measure(relation.share, share, rows),
                    expected=relation.share,
                    observed=share,
                    detail=f"{describe(relation)} in {share:.1%} of rows,"
                    f" production {relation.share:.1%}",
                )
