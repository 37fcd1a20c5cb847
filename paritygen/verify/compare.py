"""The parity measures: staging measured against production's profile, each with its bar.

Staging is measured the way production was: :func:`paritygen.profile.run.profile_database` runs on
the target (read-only, same sampling inside the database), so both sides are sketches taken by the
same code and their distances mean something. What a profile cannot tell, constraint violations
and production values leaking into staging, is counted with SQL (:mod:`.violations`,
:mod:`.privacy`). Every measure is a distance that must stay at or below its bar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa

from paritygen.db import resolve_url
from paritygen.errors import ConfigError, safe_url
from paritygen.profile.model import Column, ColumnStats, Profile, Table
from paritygen.profile.values import ORDERED, TEMPORAL, to_number
from paritygen.profile.volume import planned_counts, planned_rows
from paritygen.verify import measures as m
from paritygen.verify.fanout import crowded_key_fks, fanout_measures
from paritygen.verify.relations import relation_measures
from paritygen.verify.result import Collector, Measure, ParityResult
from paritygen.verify.schema_notes import schema_differences
from paritygen.verify.tolerances import Tolerances

CATEGORICAL_TYPES = frozenset({"string", "text", "enum", "boolean"})
"""Logical types whose frequencies are compared (ordered types get a KS distance instead)."""
LENGTH_TYPES = frozenset({"string", "text", "json", "binary"})

__all__ = ["Measure", "ParityResult", "compare_profiles", "expected_counts", "expected_rows",
           "verify_database"]


def expected_counts(profile: Profile, scale: float, scale_lookups: bool = False) -> dict[str, int]:
    """Rows the generator makes for every table at *scale* (pinned and fixed rules, lookups,
    keys' capacity): the same :func:`~paritygen.profile.volume.planned_counts` generate uses."""
    try:
        return planned_counts(profile, scale, scale_lookups=scale_lookups)
    except ConfigError:  # an impossible profile: generate refused it, expect what it asks
        return {
            name: planned_rows(profile, name, scale, scale_lookups=scale_lookups)
            for name in profile.tables
        }


def expected_rows(profile: Profile, name: str, scale: float, scale_lookups: bool = False) -> int:
    """Rows the generator makes for *name* at *scale* (see :func:`expected_counts`)."""
    return expected_counts(profile, scale, scale_lookups)[name]


def compare_profiles(
    expected: Profile,
    observed: Profile,
    *,
    tolerances: Tolerances | None = None,
    scale: float = 1.0,
    tables: Sequence[str] | None = None,
    scale_lookups: bool = False,
) -> tuple[list[Measure], list[str]]:
    """All profile-level measures of *observed* (staging) against *expected* (production).

    Returns the measures and the notes of what could not be measured.
    """
    out = Collector(tolerances or Tolerances())
    counts = expected_counts(expected, scale, scale_lookups)
    for name, table in expected.tables.items():
        if tables is not None and name not in tables:
            continue
        if expected.table_rule(name).mode == "skip":
            continue
        staging = observed.tables.get(name)
        want_rows = counts[name]
        if staging is None:
            out.add(
                name,
                None,
                "rows",
                1.0,
                expected=want_rows,
                observed=0,
                detail="table missing in the target",
            )
            continue
        same_engine = expected.source.dialect == observed.source.dialect
        _table_measures(out, expected, table, staging, want_rows, same_engine)
        row_factor = want_rows / table.row_count if table.row_count else 1.0
        parent_factors = _parent_factors(expected, table, counts)
        moved = _moved_keys(expected, observed, table, counts)
        crowded_fks = crowded_key_fks(expected, table, counts)
        crowded = {c: crowded_fks[id(fk)] for fk in table.foreign_keys if id(fk) in crowded_fks
                   for c in fk.columns}  # fmt: skip
        for cname, column in table.columns.items():
            other = staging.columns.get(cname)
            if other is None:
                out.add(name, cname, "null_fraction", 1.0, detail="column missing in the target")
                continue
            factor, key = parent_factors.get(cname), moved.get(cname, False)
            _column_measures(out, table, column, other, row_factor, parent_factor=factor, key=key,
                             crowded=crowded.get(cname))  # fmt: skip
        fanout_measures(out, expected, table, staging, counts)
    return out.measures, out.not_measured


def _table_measures(
    out: Collector,
    profile: Profile,
    table: Table,
    staging: Table,
    want_rows: int,
    same_engine: bool = True,
) -> None:
    name = table.name
    got = staging.row_count
    deviation = abs(got - want_rows) / want_rows if want_rows else float(got > 0)
    estimated = "catalog" in (table.row_count_method, staging.row_count_method)
    out.add(
        name,
        None,
        "rows",
        deviation,
        floor=0.05 if estimated else 0.0,
        expected=want_rows,
        observed=got,
        detail=f"{got:,} rows, expected {want_rows:,}"
        + (" (estimated counts)" if estimated else ""),
    )
    prod_bytes = _bytes(table)
    stage_bytes = _bytes(staging)
    if prod_bytes is None or stage_bytes is None:
        out.skip("*", None, "bytes", "the database reports no table sizes")
    elif not same_engine:
        # Page layouts differ (InnoDB clustered pages vs PostgreSQL heap + indexes): sizes
        # taken on two engines do not measure the same thing.
        out.skip("*", None, "bytes", "production and staging run different database engines")
    elif prod_bytes > 0:
        factor = want_rows / table.row_count if table.row_count else 1.0
        want = prod_bytes * factor
        # Storage grows in pages and extents: a few of them are no difference a load test
        # can see, but they are 25 % of a 64 KiB lookup table.
        gap = max(0.0, abs(stage_bytes - want) - BYTES_SLACK)
        out.add(
            name,
            None,
            "bytes",
            gap / want if want else float(stage_bytes > 0),
            expected=want,
            observed=stage_bytes,
            detail=f"{_human(stage_bytes)} table + index, expected {_human(want)}",
        )


BYTES_SLACK = 64 * 1024
"""Bytes of difference never counted against the bytes bar (four 16 KiB InnoDB pages)."""


def _bytes(table: Table) -> int | None:
    if table.data_bytes is None:
        return None
    return table.data_bytes + (table.index_bytes or 0)


def _human(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _sample_size(stats: ColumnStats, table: Table) -> int:
    if stats.sampled_rows:
        return int(stats.sampled_rows * (1.0 - stats.null_fraction))
    return int(table.row_count * (1.0 - stats.null_fraction))


def column_cdf(column: Column, stats: ColumnStats) -> m.CDF | None:
    """The CDF of an ordered column's non-NULL values, from its profile sketch."""
    kind = column.logical_type
    try:
        quantiles = [to_number(q, kind) for q in stats.quantiles]
        common = {to_number(v.value, kind): v.frequency for v in stats.most_common}
    except (TypeError, ValueError):
        return None
    return m.make_cdf(quantiles, common)


def _median(column: Column, stats: ColumnStats) -> str:
    """The sketch's middle edge, as the profile spells values (dates stay dates)."""
    if not stats.quantiles:
        return "?"
    value = stats.quantiles[len(stats.quantiles) // 2]
    return f"{value:,}" if isinstance(value, int | float) else str(value)


KEY_RANK_MIN_PARENTS = 20
"""Below this many parent rows in staging, ranks over the parent's keys come in steps too coarse
to compare (2 support reps among 4 employees): the fan-out measures judge such an FK alone."""

KeyShift = tuple[ColumnStats, ColumnStats] | None
"""How a key column's values moved under ``--scale``: None for the table's own key (its values
are a sequence over more or fewer rows), else the parent key column's statistics in production
and in staging (the FK is compared by rank over them)."""


def _moved_keys(
    expected: Profile, observed: Profile, table: Table, counts: dict[str, int]
) -> dict[str, KeyShift]:
    """Key columns whose raw values move with ``--scale``: a single-column key of a table whose
    row count changed, and single-column FKs whose parent's did. Their values are judged as
    shapes (fan-out, rank over the parent's keys), never as production's raw key values."""
    moved: dict[str, KeyShift] = {}
    keys = [table.primary_key, *(u.columns for u in table.unique_constraints)]
    if counts.get(table.name, table.row_count) != table.row_count:
        moved.update({key[0]: None for key in keys if len(key) == 1})
    for fk in table.foreign_keys:
        parent = expected.tables.get(fk.ref_table)
        staged = observed.tables.get(fk.ref_table)
        if len(fk.columns) != 1 or parent is None or counts.get(fk.ref_table) == parent.row_count:
            continue
        ref = fk.ref_columns[0]
        a = parent.columns[ref].stats if ref in parent.columns else None
        b = staged.columns[ref].stats if staged is not None and ref in staged.columns else None
        moved[fk.columns[0]] = (a, b) if a is not None and b is not None else None
    return moved


def _parent_factors(profile: Profile, table: Table, counts: dict[str, int]) -> dict[str, float]:
    """Single-column FK -> how much its parent table scales. An FK column's distinct values are
    the parents that have children: they scale with the parent table, not with the child rows
    (at --scale 0.5, 500 products become 250, however many order rows point to them)."""
    factors = {}
    for fk in table.foreign_keys:
        parent = profile.tables.get(fk.ref_table)
        if len(fk.columns) == 1 and parent is not None and parent.row_count:
            factors[fk.columns[0]] = counts[fk.ref_table] / parent.row_count
    return factors


def _tv_noise(freqs: dict[Any, float], n: int, m_rows: int, coefficient: float) -> float:
    """The total variation two honest samples of n and m rows reach by chance: each share p
    wobbles by sqrt(p (1 - p) (1/n + 1/m)); a 41-value column of 4,000 rows already differs by
    0.05 on average, so bars never drop below ``coefficient`` x half the summed wobble."""
    if not coefficient or not n or not m_rows:
        return 0.0
    shares = list(freqs.values())
    shares.append(max(0.0, 1.0 - sum(shares)))
    spread = sum(math.sqrt(p * (1.0 - p)) for p in shares)
    return coefficient * 0.5 * spread * math.sqrt(1.0 / n + 1.0 / m_rows)


def _column_measures(
    out: Collector,
    table: Table,
    column: Column,
    staging: Column,
    row_factor: float,
    *,
    parent_factor: float | None = None,
    key: KeyShift | Literal[False] = False,
    crowded: str | None = None,
) -> None:
    """The column measures; *key* (not False) marks a key column whose raw values moved with
    ``--scale`` (see :func:`_moved_keys`); *crowded* is why an FK column of a crowded key
    (:func:`~paritygen.verify.fanout.crowded_key_fks`) cannot keep its parents' spread."""
    name, cname = table.name, column.name
    a, b = column.stats, staging.stats
    if a is None or b is None:
        out.skip(name, cname, "null_fraction", "no statistics in the profile")
        return
    out.add(
        name,
        cname,
        "null_fraction",
        abs(a.null_fraction - b.null_fraction),
        floor=m.share_resolution(
            round(table.row_count * row_factor), table.row_count, a.null_fraction
        ),
        expected=a.null_fraction,
        observed=b.null_fraction,
        detail=f"NULL share {b.null_fraction:.2%}, production {a.null_fraction:.2%}",
    )
    n_a, n_b = _sample_size(a, table), _sample_size(b, table)
    noise = m.ks_critical(n_a, n_b, out.tolerances.ks_noise)
    kind = column.logical_type
    if kind in ORDERED and out.wants("ks", name, cname):
        cdf_a, cdf_b = column_cdf(column, a), column_cdf(column, b)
        if crowded:
            out.skip(name, cname, "ks", crowded)
        elif column.pii and kind in TEMPORAL:
            # PII dates keep year-level quantiles only (PII policy, docs/profile.md): a KS
            # against those steps says nothing about day-level dates.
            out.skip(name, cname, "ks", "PII date: the profile keeps year-level quantiles only")
        elif key is None:
            out.skip(name, cname, "ks", "a key's values move with --scale (judged by fan-out)")
        elif key is not False:
            if key[1].distinct_count < KEY_RANK_MIN_PARENTS:
                out.skip(name, cname, "ks", "too few parents for a rank shape (fan-out judges it)")
            elif a.quantiles and b.quantiles and key[0].quantiles and key[1].quantiles:
                shape_a = m.rank_cdf([to_number(q, kind) for q in a.quantiles],
                                     [to_number(q, kind) for q in key[0].quantiles])  # fmt: skip
                shape_b = m.rank_cdf([to_number(q, kind) for q in b.quantiles],
                                     [to_number(q, kind) for q in key[1].quantiles])  # fmt: skip
                out.add(
                    name,
                    cname,
                    "ks",
                    m.ks_distance(shape_a, shape_b),
                    floor=noise,
                    detail="KS of the values' ranks among the parent's keys (--scale)",
                )
            else:
                out.skip(name, cname, "ks", "no quantiles of the parent's keys at this scale")
        elif cdf_a is None or cdf_b is None:
            if a.null_fraction < 1.0:
                out.skip(name, cname, "ks", "no quantiles in one of the profiles")
        else:
            out.add(
                name,
                cname,
                "ks",
                m.ks_distance(cdf_a, cdf_b),
                floor=noise,
                detail=f"median {_median(column, b)}, production {_median(column, a)}",
            )
    if kind in LENGTH_TYPES and a.length and b.length and a.length.quantiles and b.length.quantiles:
        distance = m.ks_distance(
            m.QuantileCDF.from_quantiles(a.length.quantiles),
            m.QuantileCDF.from_quantiles(b.length.quantiles),
        )
        out.add(
            name,
            cname,
            "length_ks",
            distance,
            floor=noise,
            detail=f"KS distance of string lengths (mean {b.length.mean:.1f},"
            f" production {a.length.mean:.1f})",
        )
    categorical = (
        kind in CATEGORICAL_TYPES
        and not column.pii
        and 0 < a.distinct_count <= out.tolerances.categorical_max_values
    )
    if categorical:
        freq_a, freq_b = frequencies(a), frequencies(b)
        if freq_a is None or freq_b is None:
            out.skip(name, cname, "tv", "no value frequencies in one of the profiles")
        else:
            out.add(
                name,
                cname,
                "tv",
                m.total_variation(freq_a, freq_b),
                floor=_tv_noise(freq_a, n_a, n_b, out.tolerances.tv_noise),
                detail="total variation of value frequencies",
            )
    if crowded and a.distinct_count >= out.tolerances.distinct_min_values:
        out.skip(name, cname, "distinct", crowded)
    elif a.distinct_count >= out.tolerances.distinct_min_values:
        nonnull = table.row_count * (1.0 - a.null_fraction)
        if parent_factor is not None:
            want = a.distinct_count * parent_factor
        else:
            want = m.expected_distinct(a.distinct_count, round(nonnull), nonnull * row_factor)
        got = b.distinct_count
        out.add(
            name,
            cname,
            "distinct",
            abs(got / want - 1.0) if want else float(got > 0),
            expected=want,
            observed=got,
            detail=f"{got:,} distinct values, expected {want:,.0f}",
        )


def frequencies(stats: ColumnStats) -> dict[Any, float] | None:
    if stats.true_fraction is not None:
        return {True: stats.true_fraction, False: 1.0 - stats.true_fraction}
    if stats.most_common:
        return {str(v.value): v.frequency for v in stats.most_common}
    if stats.distinct_count == 0:
        return None
    return {}  # values exist but none is frequent enough to be listed: all in "other"


def verify_database(
    profile: Profile,
    target: str,
    *,
    tolerances: Tolerances | None = None,
    sample_rows: int = 1_000_000,
    source: str | None = None,
    progress: bool | None = None,
    scale: float = 1.0,
    tables: Sequence[str] | None = None,
    scale_lookups: bool = False,
) -> ParityResult:
    """Measure *target* against *profile*; with *source*, also look for production data in it.

    The target is only read. ``scale`` is the ``--scale`` staging was generated with.
    """
    from paritygen.profile.run import profile_database, read_only_engine
    from paritygen.verify import privacy, violations

    if scale <= 0:
        raise ConfigError(f"--scale must be > 0, found {scale}")
    started = time.monotonic()
    tolerances = tolerances or Tolerances()
    wanted = [t for t in profile.tables if tables is None or t in tables]
    unknown = sorted(set(tables or ()) - set(profile.tables))
    if unknown:
        raise ConfigError(f"no table {unknown[0]!r} in the profile")
    # Read-only, like the profiler: a mistyped SQLite path must not create an empty file.
    engine = read_only_engine(target)
    try:
        present = set(sa.inspect(engine).get_table_names())
        measured = [t for t in wanted if t in present]
        if measured:
            staging = profile_database(
                target,
                tables=measured,
                sample_rows=sample_rows,
                # production's k at staging's volume: a value 5 people share in production is
                # shared by 2 or 3 at --scale 0.5 and must still be listed to be compared
                min_group_size=max(1, round(profile.settings.min_group_size * min(scale, 1.0))),
                progress=progress,
                rules=profile.rules,  # virtual keys: staging's fan-out measured on them too
            )
        else:  # nothing to profile: every table is missing, which the row measures say
            staging = Profile(format=profile.format, source=profile.source, tables={})
        measures, notes = compare_profiles(
            profile,
            staging,
            tolerances=tolerances,
            scale=scale,
            tables=wanted,
            scale_lookups=scale_lookups,
        )
        collector = Collector(tolerances)
        reflected = _reflect(engine, measured)
        for item in violations.count_violations(engine, _subset(profile, measured), reflected):
            if isinstance(item, violations.Skipped):
                collector.skip(item.table, item.column, item.measure, item.reason)
            else:
                collector.add(
                    item.table,
                    item.column,
                    item.measure,
                    item.count,
                    observed=item.count,
                    detail=item.detail,
                )
        relation_measures(collector, engine, profile, measured)
        if source is not None:
            _privacy(collector, privacy, source, engine, _subset(profile, measured), reflected)
        elif any(c.pii for t in profile.tables.values() for c in t.columns.values()):
            collector.skip("*", None, "pii_leak", "needs --source (the profile holds no PII)")
        measures += collector.measures
        notes += collector.not_measured
    finally:
        engine.dispose()
    return ParityResult(
        measures=measures,
        not_measured=notes,
        schema=schema_differences(profile, staging, wanted),
        scale=scale,
        scale_lookups=scale_lookups,
        target=safe_url(resolve_url(target)),
        seconds=time.monotonic() - started,
        staging=staging,
    )


def _subset(profile: Profile, names: Sequence[str]) -> Profile:
    """The profile restricted to *names* (FKs to other tables are kept; checks skip them)."""
    return Profile(
        format=profile.format,
        source=profile.source,
        tables={n: profile.tables[n] for n in names},
        settings=profile.settings,
        rules=profile.rules,
    )


def _reflect(engine: sa.Engine, names: Sequence[str]) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    present = set(sa.inspect(engine).get_table_names())
    metadata.reflect(engine, only=[n for n in names if n in present])
    return {name: metadata.tables[name] for name in names if name in metadata.tables}


def _privacy(
    out: Collector,
    privacy: Any,
    source: str,
    target: sa.Engine,
    profile: Profile,
    reflected: dict[str, sa.Table],
) -> None:
    from paritygen.profile.run import read_only_engine

    engine = read_only_engine(source)
    try:
        source_tables = _reflect(engine, [t for t in profile.tables])
        for item in privacy.pii_leaks(engine, target, profile, reflected, source_tables):
            if isinstance(item, str):
                out.not_measured.append(item)
                continue
            out.add(
                item.table,
                item.column,
                "pii_leak",
                item.found,
                observed=item.found,
                detail=item.detail,
            )
        minimum = out.tolerances.row_copies_min_rows
        for item in privacy.row_copies(engine, target, profile, reflected, source_tables, minimum):
            share = item.found / item.sampled if item.sampled else 0.0
            out.add(item.table, None, "row_copies", share, observed=share, detail=item.detail)
    finally:
        engine.dispose()
