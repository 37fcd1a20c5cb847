"""Measurements on what was read: column statistics and foreign-key fan-out.

Every column statistic comes from the one read of :mod:`paritygen.profile.read` (polars/numpy);
fan-out is grouped from the read FK columns, or in SQL over the whole child table when the child
was only sampled, so it is exact either way.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.profile import text
from paritygen.profile.frames import ENGINE
from paritygen.profile.model import (
    Column,
    ColumnStats,
    FanoutStats,
    LengthStats,
    ShapeStats,
    ValueFrequency,
)
from paritygen.profile.read import ColumnData
from paritygen.profile.values import ORDERED, TEMPORAL, from_number

QUANTILE_POINTS = 101
LENGTH_QUANTILE_POINTS = 21
MAX_COMMON_VALUES = 200
"""Most-common values kept per column (the categorical bar covers columns of <= 200 values)."""
MAX_VALUE_CHARS = 200
"""Longer values are never kept as most-common values (they are text, not categories)."""
SHAPE_MAX_LENGTH = 32
"""Shape patterns are computed for short codes only."""
SHAPE_MIN_SHARE = 0.5
"""A shape is recorded when one pattern covers at least this share of the non-NULL values."""
FANOUT_BUCKETS = 20
"""Parent-key position buckets for :attr:`FanoutStats.position_weights`."""
TOP_PARENT_SHARE = 0.01
"""The 'heaviest parents' of :attr:`FanoutStats.top_share`: the top 1 % of parents by children."""


# --- column statistics ---------------------------------------------------------------------------


def estimate_distinct(sample_distinct: int, singletons: int, sample_size: int, total: float) -> int:
    """Haas-Stokes "Duj1" estimator, the one PostgreSQL's ANALYZE uses.

    ``D = n·d / (n − f1 + f1·n/N)`` with n sampled non-NULL values, d distinct among them, f1
    values seen exactly once and N non-NULL rows in the table (Haas, Naughton, Seshadri, Stokes,
    VLDB 1995). A sample of all-unique values gives N; one with no singletons gives d.
    """
    if sample_size <= 0 or total <= sample_size:
        return sample_distinct
    n, d, f1 = float(sample_size), float(sample_distinct), float(singletons)
    denominator = n - f1 + f1 * n / total
    estimate = n * d / denominator if denominator > 0 else total
    return int(round(min(max(estimate, d), total)))


def quantiles(values: np.ndarray, points: int) -> np.ndarray:
    """Equi-depth quantiles at ranks ``i / (points - 1)`` (linear interpolation)."""
    return np.quantile(values, np.linspace(0.0, 1.0, points))


def quantiles_from_counts(uniques: np.ndarray, counts: np.ndarray, points: int) -> np.ndarray:
    """:func:`quantiles` of the multiset ``uniques`` (ascending) repeated ``counts`` times.

    Why: the distinct values and their counts come out of the one sort (or bincount) every other
    statistic of the column needs, so the quantiles cost no further pass over the values. The
    result is numpy's "linear" method: rank ``q·(n−1)``, interpolated between neighbours.
    """
    cumulative = np.cumsum(counts)
    ranks = np.linspace(0.0, float(cumulative[-1] - 1), points)
    low = np.floor(ranks)
    fraction = ranks - low
    lo_idx = np.searchsorted(cumulative, low, side="right")
    hi_idx = np.searchsorted(cumulative, np.minimum(low + 1, cumulative[-1] - 1), side="right")
    below = uniques[lo_idx].astype(np.float64)
    above = uniques[hi_idx].astype(np.float64)
    return below + (above - below) * fraction


def distinct_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values ascending, how often each occurs) of an already sorted array."""
    if ordered.size == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    change = np.empty(ordered.size, dtype=bool)
    change[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, ordered.size))
    return ordered[starts], counts


LENGTH_BINCOUNT_LIMIT = 1 << 22
"""Longest string whose length distribution is counted by bincount (O(n)); longer: one sort."""


def _length_stats(lengths: np.ndarray) -> LengthStats:
    """Length min/max/mean/quantiles in one counting pass (lengths are small integers)."""
    longest = int(lengths.max())
    if longest <= LENGTH_BINCOUNT_LIMIT:
        by_length = np.bincount(lengths, minlength=1)
        uniques = np.flatnonzero(by_length)
        counts = by_length[uniques]
    else:
        uniques, counts = distinct_counts(np.sort(lengths))
    return LengthStats(
        min=int(uniques[0]),
        max=longest,
        mean=float(lengths.sum(dtype=np.float64) / lengths.size),
        quantiles=tuple(
            round(float(q), 3)
            for q in quantiles_from_counts(uniques, counts, LENGTH_QUANTILE_POINTS)
        ),
    )


SHAPE_SAMPLE = 5_000
"""Values a shape share is estimated from (regex classes over millions of values are slow)."""


_ASCII_SHAPE = str.maketrans(
    {
        **dict.fromkeys(string.ascii_uppercase, "A"),
        **dict.fromkeys(string.ascii_lowercase, "a"),
        **dict.fromkeys(string.digits, "9"),
    }
)
_SEPARATOR = "\x00"


def shape_of(strings: pl.Series) -> pl.Series:
    """Character classes: upper-case letter A, other letter a, digit 9, anything else itself.

    ASCII values are mapped with one ``str.translate`` over all of them joined (3-5x faster
    than three regex passes on the few thousand short codes a shape is estimated from); any
    other text goes through the regex classes.
    """
    values = strings.to_list()
    present = [v for v in values if v is not None]
    joined = _SEPARATOR.join(present)
    if joined.isascii() and joined.count(_SEPARATOR) == max(len(present) - 1, 0):
        mapped = iter(joined.translate(_ASCII_SHAPE).split(_SEPARATOR) if present else ())
        return pl.Series(
            strings.name, [None if v is None else next(mapped) for v in values], dtype=pl.String
        )
    ascii_shape = (
        pl.col("s")
        .str.replace_all(r"[A-Z]", "A")
        .str.replace_all(r"[a-z]", "a")
        .str.replace_all(r"[0-9]", "9")
    )
    frame = strings.to_frame("s").select(  # one polars query, not one per step
        ascii_shape, other=ascii_shape.str.contains(r"[^\x00-\x7F]").any()
    )
    shapes = frame.get_column("s").rename(strings.name)
    if not frame.get_column("other").any():  # Unicode classes are slow: only if needed
        return shapes
    return (
        shapes.str.replace_all(r"\p{Lu}", "A")
        .str.replace_all(r"[\p{L}--A]", "a")
        .str.replace_all(r"\p{Nd}", "9")
    )


def _scale_stats(numbers: np.ndarray, declared_scale: int | None) -> tuple[int, int]:
    """(max decimal places seen, max integer digits seen), robust to binary float noise."""
    if numbers.size == 0:
        return 0, 0
    largest = float(np.max(np.abs(numbers)))
    integer_digits = len(str(int(largest))) if largest >= 1 else 0
    upper = declared_scale if declared_scale is not None else 10
    for places in range(upper + 1):
        scaled = numbers * (10.0**places)
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places, integer_digits
    return upper, integer_digits


def _year_only(iso: str, logical: str) -> str:
    year = iso[:4]
    return f"{year}-01-01" if logical == "date" else f"{year}-01-01T00:00:00"


def column_stats(
    column: Column,
    data: ColumnData,
    *,
    total_rows: int,
    sampled: bool,
    min_group_size: int,
    pii: bool,
    persons: pl.Series | None = None,
) -> ColumnStats:
    """Every statistic of one column from its read values; PII columns keep shape only.

    Cost: an ordered column is sorted once, and its distinct count, value counts, quantiles and
    min/max all come from that sort; a text column gets one hash aggregation (distinct count and
    value counts together) and one counting pass over its lengths.
    """
    logical = column.logical_type
    rows = data.rows
    null_fraction = data.nulls / rows if rows else 0.0
    values = data.values.drop_nulls()
    present = values.len()
    keeps_values = not pii and logical not in ("binary", "json", "boolean")
    fields: dict[str, Any] = {
        "null_fraction": min(1.0, max(0.0, null_fraction)),
        "distinct_count": 0,
        "method": "sample" if sampled else "exact",
        "sampled_rows": rows if sampled else None,
    }
    if present == 0:
        return ColumnStats(**fields)
    singletons: int | None = None
    common: list[tuple[Any, int]] = []
    wants_counts = keeps_values or sampled
    if logical in ORDERED and values.dtype not in (pl.String, pl.Binary, pl.Boolean):
        # numpy's sort (vectorised) takes a third to a fifth of polars' on 600,000 numbers.
        numbers = np.sort(values.to_numpy())
        uniques, counts = distinct_counts(numbers)
        distinct, singletons = uniques.size, int(np.count_nonzero(counts == 1))
        if keeps_values:
            common = _top_counts(uniques, counts, min_group_size)
        if not pii:
            fields["quantiles"] = tuple(
                from_number(float(q), logical)
                for q in quantiles_from_counts(uniques, counts, QUANTILE_POINTS)
            )
            fields["min"] = from_number(float(numbers[0]), logical)
            fields["max"] = from_number(float(numbers[-1]), logical)
        elif logical in TEMPORAL and present >= min_group_size * QUANTILE_POINTS:
            # Birth dates and similar: year-level quantiles only, and only when every quantile
            # stands for at least k rows (docs/profile.md, "PII policy").
            fields["quantiles"] = tuple(
                _year_only(from_number(float(q), logical), logical)
                for q in quantiles_from_counts(uniques, counts, QUANTILE_POINTS)
            )
        if logical in ("decimal", "float"):
            places, digits = _scale_stats(
                uniques.astype(np.float64), column.scale if logical == "decimal" else None
            )
            fields["max_scale"], fields["max_integer_digits"] = places, digits
    elif wants_counts and values.dtype != pl.Boolean:
        # One hash aggregation gives the distinct count, the singletons and the common values.
        counted = values.value_counts(sort=False, name="count")
        distinct = counted.height
        singletons = int(np.count_nonzero(counted["count"].to_numpy() == 1))
        if keeps_values and (distinct < present or min_group_size <= 1):
            # Ties in value order, so two profiles of the same data are identical (diffable).
            frequent = (
                counted.lazy()
                .filter(pl.col("count") >= min_group_size)
                .sort(["count", values.name], descending=[True, False])
                .head(MAX_COMMON_VALUES * 2)
                .collect(engine=ENGINE)
            )
            common = list(frequent.iter_rows())
    else:
        distinct = values.n_unique()
    if sampled:
        if singletons is None:
            singletons = int((values.value_counts(name="count")["count"] == 1).sum())
        distinct = estimate_distinct(
            distinct, singletons, present, total_rows * (1 - null_fraction)
        )
    fields["distinct_count"] = distinct
    if logical == "boolean":
        fields["true_fraction"] = float(values.cast(pl.Float64).mean())
    if values.dtype in (pl.String, pl.Binary):
        lengths = values.str.len_chars() if values.dtype == pl.String else values.bin.size()
        fields["length"] = _length_stats(lengths.to_numpy().astype(np.int64))
        if values.dtype == pl.String and fields["length"].max <= SHAPE_MAX_LENGTH:
            sample = values if present <= SHAPE_SAMPLE else values.sample(SHAPE_SAMPLE, seed=0)
            sample_shapes = shape_of(sample)
            shapes = sample_shapes.value_counts(sort=True, name="count")
            share = float(shapes["count"][0]) / sample.len()
            if share >= SHAPE_MIN_SHARE:
                pattern = str(shapes[values.name][0])
                prefix = None
                if not pii:
                    matching = sample.filter(sample_shapes == pattern)
                    prefix = _constant_prefix(matching, len(pattern), min_group_size)
                fields["shape"] = ShapeStats(pattern=pattern, share=share, prefix=prefix)
    if common and persons is not None:
        common = _people_filter(common, data.values, persons, min_group_size)
    if values.dtype == pl.String:
        fields["letter_case"] = text.letter_case(values)
        if not pii and text.is_wordy(values):
            fields["words"] = text.vocabulary(data.values, persons, min_group_size, distinct)
    if common:
        fields["most_common"] = _most_common(common, logical, present)
    return ColumnStats(**fields)


PEOPLE_FIRST_PASS_ROWS = 50_000
"""Rows (every n-th of the read) on which the persons behind the common values are counted
first: a value held by k persons there is held by at least k in the whole read, so only the
values this pass leaves unconfirmed are counted over every row (the same result, a tenth of
the work on a 600,000-row table whose categories each cover thousands of people)."""


def _people_filter(
    common: list[tuple[Any, int]], values: pl.Series, persons: pl.Series, k: int
) -> list[tuple[Any, int]]:
    """The most-common values that occur for at least *k* distinct persons (k counts people,
    not rows: 7 invoices of one customer do not make a city safe to keep). *persons* is aligned
    with the read *values*: who each row belongs to (docs/profile.md, "k counts people")."""
    numeric = values.dtype.is_numeric()  # decimals too: Decimal("4.99") != 4.99, as floats
    frame = pl.DataFrame({"value": values, "person": persons})
    wanted = [float(v) if numeric else v for v, _ in common]
    safe: set[Any] = set()
    step = frame.height // PEOPLE_FIRST_PASS_ROWS
    # First pass: the values expected on k rows of it at least (rarer ones go straight on).
    likely = [w for w, (_, count) in zip(wanted, common, strict=True) if count >= k * step]
    if step >= 2 and likely:
        safe = _held_by_k(frame.gather_every(step), likely, numeric, k)
        wanted = [v for v in wanted if v not in safe]
    if wanted:
        safe |= _held_by_k(frame, wanted, numeric, k)
    if numeric:
        return [(v, c) for v, c in common if float(v) in safe]
    return [(v, c) for v, c in common if v in safe]


def _held_by_k(frame: pl.DataFrame, wanted: list[Any], numeric: bool, k: int) -> set[Any]:
    """Which of *wanted* occur in *frame* (value, person) for at least *k* distinct persons;
    persons counted for the wanted values only: one query, not one group per value."""
    value = pl.col("value").cast(pl.Float64) if numeric else pl.col("value")
    safe = (
        frame.lazy()
        .drop_nulls()
        .filter(value.is_in(pl.Series(wanted).implode()))
        .group_by("value")
        .agg(pl.col("person").n_unique().alias("people"))
        .filter(pl.col("people") >= k)
        .collect(engine=ENGINE)["value"]
    )
    return set((safe.cast(pl.Float64) if numeric else safe).to_list())


def _constant_prefix(matching: pl.Series, width: int, min_group_size: int) -> str | None:
    """The characters every code of the shape starts with (``Customer#`` of
    ``Customer#000000042``), when at least k codes share them and something varies after."""
    if matching.len() < max(min_group_size, 2):
        return None
    # Leading zeros of a padded number are the number's, not the prefix's (SUP-001, SUP-042).
    prefix = os.path.commonprefix(matching.to_list()).rstrip("0123456789")
    return prefix if 0 < len(prefix) < width else None


def _top_counts(uniques: np.ndarray, counts: np.ndarray, min_group_size: int) -> list[tuple]:
    """(value, count) of the most frequent values seen at least k times, most frequent first."""
    keep = np.flatnonzero(counts >= min_group_size)
    if keep.size > MAX_COMMON_VALUES * 2:
        keep = keep[np.argpartition(-counts[keep], MAX_COMMON_VALUES * 2)[: MAX_COMMON_VALUES * 2]]
    keep = keep[np.argsort(-counts[keep], kind="stable")]
    return [(uniques[i].item(), int(counts[i])) for i in keep]


def _most_common(
    common: Sequence[tuple[Any, int]], logical: str, present: int
) -> tuple[ValueFrequency, ...]:
    """Values seen at least k times (k-anonymity of the category), the most frequent first."""
    out: list[ValueFrequency] = []
    for value, count in common:
        if logical in ORDERED:
            value = from_number(float(value), logical)
        elif isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            continue
        out.append(ValueFrequency(value=value, frequency=count / present))
        if len(out) == MAX_COMMON_VALUES:
            break
    return tuple(out)


# --- foreign-key fan-out -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyEdges:
    """A parent key's inner bucket edges (``FANOUT_BUCKETS - 1``), in two spaces."""

    converted: list[Any]
    """Comparable with the child's read values (:class:`ColumnData` units)."""
    native: list[Any]
    """Driver-native bind values for the SQL path."""


def key_edges(values: pl.Series, column: Column, buckets: int = FANOUT_BUCKETS) -> KeyEdges:
    """Edges that cut the parent's keys into *buckets* groups of equal size, in key order."""
    present = values.drop_nulls()
    if present.len() == 0 or present.dtype == pl.Binary or column.logical_type == "boolean":
        return KeyEdges([], [])
    if present.dtype == pl.String:
        ordered = present.sort()
        idx = [int(round(i * (ordered.len() - 1) / buckets)) for i in range(1, buckets)]
        picked = [ordered[i] for i in idx]
        return KeyEdges(picked, list(picked))
    points = quantiles(present.cast(pl.Float64).to_numpy(), buckets + 1)[1:-1]
    if column.logical_type == "integer":
        points = np.floor(points)
    return KeyEdges([float(p) for p in points], [_native(float(p), column) for p in points])


def fanout_from_values(
    keys: Sequence[pl.Series],
    edges: Sequence[Any],
    *,
    parent_rows: int,
    child_rows_total: int,
    parent_method: str,
) -> FanoutStats:
    """Fan-out from a child table that was read completely: the same figures as
    :func:`fanout_stats`, grouped in polars instead of a second pass over the table in SQL."""
    names = [f"k{i}" for i in range(len(keys))]
    if len(keys) == 1:  # a group_by's set-up costs ~0.3 ms, ten times value_counts' here
        groups = keys[0].rename("k0").drop_nulls().value_counts(name="fanout_n")
    else:  # one polars query, then numpy: a small table's FKs cost per call, not per row
        groups = (
            pl.DataFrame(dict(zip(names, keys, strict=True)))
            .lazy()
            .drop_nulls()
            .group_by(names)
            .agg(pl.len().alias("fanout_n"))
            .collect(engine=ENGINE)
        )
    if edges and groups.height:
        first = groups["k0"].to_numpy()
        order = np.array(edges, dtype=object if groups["k0"].dtype == pl.String else np.float64)
        bucket = np.searchsorted(order, first, side="right").astype(np.int64)
    else:
        bucket = np.zeros(groups.height, dtype=np.int64)
    # (children, bucket) pairs as one integer each: np.unique over a 2-row stack (axis=1)
    # sorts structured rows, 0.17 s for 150,000 parents against 0.4 ms for one int64 array.
    width = len(edges) + 1
    codes, parents = np.unique(
        groups["fanout_n"].to_numpy().astype(np.int64) * width + bucket, return_counts=True
    )
    return fanout_from_histogram(
        [
            (int(code // width), int(code % width), int(p))
            for code, p in zip(codes, parents, strict=True)
        ],
        parent_rows=parent_rows,
        child_rows_total=child_rows_total,
        buckets=len(edges) + 1 if edges else 0,
        method="exact" if parent_method == "exact" else parent_method,
    )


def _native(number: float, column: Column) -> Any:
    logical = column.logical_type
    if logical == "integer":
        return int(math.floor(number))
    if logical == "decimal":
        return decimal.Decimal(repr(number))
    if logical == "date":
        return dt.date.fromisoformat(from_number(number, "date"))
    if logical == "datetime":
        value = dt.datetime.fromisoformat(from_number(number, "datetime"))
        return value.replace(tzinfo=dt.UTC) if column.timezone else value
    if logical == "time":
        return dt.time.fromisoformat(from_number(number, "time"))
    return number


def fanout_stats(
    conn: Connection,
    child_ref: str,
    columns: Sequence[str],
    *,
    child_rows_total: int,
    parent_rows: int,
    edges: Sequence[Any],
    parent_method: str,
    condition: tuple[str, Any] | None = None,
) -> FanoutStats:
    """Children per parent for one FK, exact, from one GROUP BY over the child table.

    The database returns the count histogram (how many parents have n children, per key-position
    bucket), never one row per parent, so memory stays flat whatever the table size. Parents
    without children are ``parent_rows`` minus the parents seen in the child (FKs enforced).
    *condition* (column, value) restricts the children to the rows where column = value (a
    polymorphic virtual FK); the value is a bound parameter and the child total is counted.
    """
    prep = conn.dialect.identifier_preparer
    quoted = [prep.quote(c) for c in columns]
    not_null = " AND ".join(f"{q} IS NOT NULL" for q in quoted)
    params: dict[str, Any] = {}
    if condition is not None:
        test = f"{prep.quote(condition[0])} = :when_value"
        params["when_value"] = condition[1]
        child_rows_total = int(
            conn.execute(sa.text(f"SELECT count(*) FROM {child_ref} WHERE {test}"), params).scalar()
            or 0
        )
        not_null += f" AND {test}"
    if edges:
        whens = " ".join(f"WHEN g.k0 < :e{i} THEN {i}" for i in range(len(edges)))
        bucket = f"CASE {whens} ELSE {len(edges)} END"
    else:
        bucket = "0"
    sql = (
        f"SELECT g.fanout_n, {bucket} AS bucket, count(*) AS parents FROM "
        f"(SELECT {quoted[0]} AS k0, count(*) AS fanout_n FROM {child_ref}"
        f" WHERE {not_null} GROUP BY {', '.join(quoted)}) g GROUP BY g.fanout_n, bucket"
    )
    params.update({f"e{i}": edge for i, edge in enumerate(edges)})
    rows = conn.execute(sa.text(sql), params).all()
    return fanout_from_histogram(
        [(int(n), int(b), int(p)) for n, b, p in rows],
        parent_rows=parent_rows,
        child_rows_total=child_rows_total,
        buckets=len(edges) + 1 if edges else 0,
        method="exact" if parent_method == "exact" else parent_method,
    )


def fanout_from_histogram(
    histogram: Sequence[tuple[int, int, int]],
    *,
    parent_rows: int,
    child_rows_total: int,
    buckets: int,
    method: str = "exact",
) -> FanoutStats:
    """FanoutStats from (children per parent, position bucket, parents) triples."""
    hist: dict[int, int] = {}
    by_bucket = np.zeros(max(buckets, 1), dtype=np.float64)
    for n, bucket, parents in histogram:
        hist[n] = hist.get(n, 0) + parents
        by_bucket[min(bucket, by_bucket.size - 1)] += n * parents
    with_children = sum(hist.values())
    child_rows = sum(n * p for n, p in hist.items())
    parents_total = max(parent_rows, with_children)
    childless = parents_total - with_children
    null_rows = max(0, child_rows_total - child_rows)
    if parents_total == 0:
        return FanoutStats(
            parent_rows=parent_rows,
            child_rows=child_rows,
            null_fraction=null_rows / child_rows_total if child_rows_total else 0.0,
            childless_fraction=0.0,
            max=0,
            mean=0.0,
            quantiles=(),
            method=method,  # type: ignore[arg-type]
        )
    sizes = np.array([0, *sorted(hist)], dtype=np.int64)
    weights = np.array([childless, *(hist[n] for n in sorted(hist))], dtype=np.int64)
    cumulative = np.cumsum(weights)
    positions = np.rint(np.linspace(0, parents_total - 1, QUANTILE_POINTS)).astype(np.int64)
    qs = sizes[np.searchsorted(cumulative, positions, side="right")]
    top = max(1, math.ceil(TOP_PARENT_SHARE * parents_total))
    desc_sizes, desc_weights = sizes[::-1], weights[::-1]
    before = np.cumsum(desc_weights) - desc_weights
    taken = np.clip(top - before, 0, desc_weights)
    top_children = float(np.sum(taken * desc_sizes))
    position_weights: tuple[float, ...] = ()
    if buckets and child_rows:
        position_weights = tuple(round(float(w) / child_rows, 6) for w in by_bucket)
    return FanoutStats(
        parent_rows=parent_rows,
        child_rows=child_rows,
        null_fraction=min(1.0, null_rows / child_rows_total) if child_rows_total else 0.0,
        childless_fraction=childless / parents_total,
        max=int(sizes[-1]),
        mean=child_rows / parents_total,
        quantiles=tuple(float(q) for q in qs),
        top_share=min(1.0, top_children / child_rows) if child_rows else 0.0,
        position_weights=position_weights,
        method=method,  # type: ignore[arg-type]
    )
