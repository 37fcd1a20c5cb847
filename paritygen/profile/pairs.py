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
    """B column -> (A column, ((a, b), ...)) for every B that follows an A (module docstring)."""
    stats_of = {column.name: stats for column, stats in measured}
    columns = _candidates(measured)
    found: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for b in columns:
        best: tuple[str, tuple[tuple[str, str], ...]] | None = None
        for a in columns:
            more = stats_of[a.name].distinct_count > stats_of[b.name].distinct_count
            if a.name == b.name or not more:
                continue
            pairs = _pairs(a.name, b.name, data, persons, stats_of[a.name], min_group_size)
            if pairs and (best is None or len(pairs) > len(best[1])):
                best = (a.name, pairs)
        if best is not None:
            found[b.name] = best
    return found


def _pairs(
    a: str,
    b: str,
    data: Mapping[str, object],
    persons: pl.Series | None,
    a_stats: ColumnStats,
    k: int,
) -> tuple[tuple[str, str], ...]:
    frame = pl.DataFrame({"a": data[a].values, "b": data[b].values})  # type: ignore[attr-defined]
    frame = frame.with_columns(
        person=persons if persons is not None else pl.int_range(pl.len(), dtype=pl.Int64)
    ).drop_nulls(["a", "b"])
    if frame.height == 0:
        return ()
    counted = frame.group_by(["a", "b"]).agg(rows=pl.len(), people=pl.col("person").n_unique())
    top = counted.sort(["a", "rows", "b"], descending=[False, True, False]).group_by(
        "a", maintain_order=True
    ).first()
    if float(top["rows"].sum()) / frame.height < DETERMINED_SHARE:
        return ()
    kept = {str(v.value) for v in a_stats.most_common}
    safe = top.filter(
        (pl.col("rows") >= k) & (pl.col("people") >= k) & pl.col("a").cast(pl.String).is_in(kept)
    )
    return tuple(sorted((str(x), str(y)) for x, y in safe.select("a", "b").iter_rows()))
