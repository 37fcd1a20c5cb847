"""Categoricals that production ties together: a city's country, a state's country, a product's
category. Found from the read rows, kept as pairs of values each held by at least k persons.

Why: drawn independently, staging puts Paris in Japan; a query grouping sales by country and city
then sees combinations production never had. A column B *follows* a column A of the same table
when A's value fixes B's in at least :data:`DETERMINED_SHARE` of the rows and A has more values
than B (city -> country, never country -> city). Only pairs whose A value is itself a kept
most-common value (k persons) and that occur for at least k persons are written: the pairs
reveal no more than the two most-common lists already do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from paritygen.profile.frames import ENGINE
from paritygen.profile.model import Column, ColumnStats

DETERMINED_SHARE = 0.95
"""Share of rows where A's value fixes B's for B to follow A."""
MAX_CANDIDATES = 12
"""Categorical columns of one table compared pairwise (the most-frequent-first ones)."""
PAIR_TYPES = frozenset({"string", "text", "enum"})


def _candidates(measured: Sequence[tuple[Column, ColumnStats]]) -> list[Column]:
    found = [
        column
        for column, stats in measured
        if column.logical_type in PAIR_TYPES
        and not column.pii
        and stats.most_common
        and 2 <= stats.distinct_count <= 10_000
    ]
    return found[:MAX_CANDIDATES]


def determined_pairs(
    measured: Sequence[tuple[Column, ColumnStats]],
    data: Mapping[str, object],
    persons: pl.Series | None,
    min_group_size: int,
) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """B column -> (A column, ((a, b), ...)) for every B that follows an A (module docstring).

    Cost: the rows are grouped once by every candidate column together; each pair's counts
    are summed from those groups (a few hundred combinations, not a pass over the rows per
    pair), and persons are counted over the rows only for the pairs that follow."""
    stats_of = {column.name: stats for column, stats in measured}
    columns = _candidates(measured)
    found: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    if len(columns) < 2:
        return found
    names = [column.name for column in columns]
    combinations = (
        pl.DataFrame({name: data[name].values for name in names})  # type: ignore[attr-defined]
        .group_by(names)
        .agg(rows=pl.len())
    )
    for b in columns:
        best: tuple[str, tuple[tuple[str, str], ...]] | None = None
        for a in columns:
            more = stats_of[a.name].distinct_count > stats_of[b.name].distinct_count
            if a.name == b.name or not more:
                continue
            pairs = _pairs(a.name, b.name, combinations, data, persons, stats_of[a.name],
                           min_group_size)  # fmt: skip
            if pairs and (best is None or len(pairs) > len(best[1])):
                best = (a.name, pairs)
        if best is not None:
            found[b.name] = best
    return found


def _pairs(
    a: str,
    b: str,
    combinations: pl.DataFrame,
    data: Mapping[str, object],
    persons: pl.Series | None,
    a_stats: ColumnStats,
    k: int,
) -> tuple[tuple[str, str], ...]:
    counted = (
        combinations.lazy()
        .drop_nulls([a, b])
        .group_by([a, b])
        .agg(pl.col("rows").sum())
        .rename({a: "a", b: "b"})
        .collect(engine=ENGINE)
    )
    total = int(counted["rows"].sum())
    if total == 0:
        return ()
    top = (
        counted.sort(["a", "rows", "b"], descending=[False, True, False])
        .group_by("a", maintain_order=True)
        .first()
    )
    if float(top["rows"].sum()) / total < DETERMINED_SHARE:
        return ()
    kept = {str(v.value) for v in a_stats.most_common}
    candidates = top.filter((pl.col("rows") >= k) & pl.col("a").cast(pl.String).is_in(kept))
    if candidates.height and persons is not None:  # k counts persons, not rows
        people = (
            pl.DataFrame({"a": data[a].values, "b": data[b].values, "person": persons})  # type: ignore[attr-defined]
            .lazy()
            .drop_nulls(["a", "b"])
            .join(candidates.lazy().select("a", "b"), on=["a", "b"], how="semi")
            .group_by(["a", "b"])
            .agg(people=pl.col("person").n_unique())
            .filter(pl.col("people") >= k)
            .collect(engine=ENGINE)
        )
        candidates = candidates.join(people.select("a", "b"), on=["a", "b"], how="semi")
    return tuple(sorted((str(x), str(y)) for x, y in candidates.select("a", "b").iter_rows()))
