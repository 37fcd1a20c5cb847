"""profile_database: reflect and measure a database, read-only, into a Profile.

The order of work is chosen for speed and consistency: one connection in one read-only snapshot
(so counts and fan-outs agree), one streamed read (or in-database sample) per table for all column
statistics, then each foreign key's fan-out (from the read rows, or one GROUP BY when sampled).
The URL never enters the profile or any message except through :func:`~paritygen.errors.safe_url`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL
from tqdm import tqdm

from paritygen import __version__
from paritygen.db import describe_db_error, make_engine, resolve_url
from paritygen.errors import ConfigError, ConnectionFailed, ParitygenError, safe_url
from paritygen.parallel import Unit, UnitsFailed, default_jobs, run_units
from paritygen.profile import (
    classify,
    dialects,
    infer,
    key_names,
    keys,
    pairs,
    read,
    reference,
    relations,
    stats,
)
from paritygen.profile import text as profile_text
from paritygen.profile.identity import server_identity
from paritygen.profile.model import (
    FORMAT,
    Column,
    ColumnRule,
    ColumnStats,
    Profile,
    Relation,
    Rules,
    Settings,
    Source,
    Table,
    TableRule,
)
from paritygen.profile.people import (
    People,
    PersonalValues,
    impersonal_text,
    parents_first,
)
from paritygen.profile.read_ahead import ReadAhead
from paritygen.profile.reference import DEFAULT_REFERENCE_ROWS
from paritygen.profile.reflect import DEFAULT_SCHEMA, list_tables, reflect_tables
from paritygen.profile.values import ORDERED, to_scalar

STATS_THREADS = max(1, min(4, os.cpu_count() or 1))
"""Threads measuring the columns of one table (the work is in polars/numpy, outside the GIL)."""

INLINE_STATS_ROWS = 50_000
"""Tables read with fewer rows are measured on the calling thread: handing a 1,000-row table's
columns to threads costs more (thread hand-off, GIL switches) than measuring them."""

_STATS_POOL: ThreadPoolExecutor | None = None


def _stats_map(function: Any, items: list[Any], rows: int) -> list[Any]:
    """``map(function, items)``, on the process's shared stats threads for large tables. One
    pool for the whole process: starting threads per table was a fixed cost that grew with the
    number of tables (240 tables: 480 pools, over 1,000 thread starts)."""
    global _STATS_POOL
    if rows < INLINE_STATS_ROWS or STATS_THREADS == 1 or len(items) < 2:
        return [function(item) for item in items]
    if _STATS_POOL is None:
        _STATS_POOL = ThreadPoolExecutor(STATS_THREADS, thread_name_prefix="paritygen-stats")
    return list(_STATS_POOL.map(function, items))


class ProfilingFailed(ParitygenError):
    """A query against the source failed while profiling (the message names table and cause)."""


def read_only_url(url: URL) -> URL:
    """SQLite files are opened through a ``mode=ro`` URI so not even a journal is created."""
    if url.get_backend_name() != "sqlite":
        return url
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    query = dict(url.query)
    query.update({"mode": "ro", "uri": "true"})
    return url.set(database=f"file:{Path(database).resolve()}", query=query)


def read_only_engine(url: str | URL) -> sa.Engine:
    """An engine that only reads *url*; a SQLite path that is not a file is refused in one line
    (the ``mode=ro`` URI would otherwise fail with an opaque "unable to open database file")."""
    resolved = resolve_url(url)
    parsed = read_only_url(resolved)
    if parsed is not resolved and not Path(resolved.database or "").is_file():
        raise ConnectionFailed(f"no SQLite database file at {resolved.database}")
    return make_engine(parsed)


def _match(requested: Sequence[str], available: Sequence[str], option: str) -> None:
    unknown = [name for name in requested if name not in available]
    if not unknown:
        return
    name = unknown[0]
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ConfigError(f"{option}: no table {name!r} in the source{hint}")


def _apply_rule(column: Column, rule: ColumnRule | None) -> Column:
    if rule is None:
        return column
    changes: dict[str, Any] = {}
    if rule.semantic is not None:
        changes["semantic"] = rule.semantic
        if rule.pii is None:
            changes["pii"] = rule.semantic in classify.PII_SEMANTICS
    if rule.pii is not None:
        changes["pii"] = rule.pii
    return dataclasses.replace(column, **changes) if changes else column


def _keep_rules(rules: Rules, tables: dict[str, Table]) -> tuple[Rules, list[str]]:
    """Rules for tables and columns still profiled; notes for the ones dropped."""
    kept: dict[str, TableRule] = {}
    notes = []
    for tname, rule in rules.tables.items():
        if tname not in tables:
            notes.append(f"rules: table {tname} is no longer profiled; its rule was dropped")
            continue
        columns = {}
        for cname, crule in rule.columns.items():
            if cname in tables[tname].columns:
                columns[cname] = crule
            else:
                notes.append(
                    f"rules: column {tname}.{cname} no longer exists; its rule was dropped"
                )
        kept[tname] = dataclasses.replace(rule, columns=columns)
    return Rules(tables=kept), notes


def profile_database(
    url: str,
    *,
    schema: str | None = None,
    tables: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    sample_rows: int = 1_000_000,
    min_group_size: int = 5,
    estimate_rows: bool = False,
    progress: bool | None = None,
    rules: Rules | None = None,
    notes: list[str] | None = None,
    reference_rows: int = DEFAULT_REFERENCE_ROWS,
    infer_keys: bool = False,
    jobs: int | None = None,
) -> Profile:
    """Measure the database at *url* into a :class:`Profile` (read-only, aggregates only).

    *rules* (optional) are the user's overrides from an earlier profile: their ``semantic`` /
    ``pii`` win over the classifier, their virtual keys are measured like declared ones, and they
    are carried into the result. *notes*, when given, collects one-line remarks about what was
    left out (FKs to unprofiled tables, dropped rules) and what ``infer_keys`` proposed: primary
    and foreign keys the schema does not declare, confirmed by the values
    (:mod:`paritygen.profile.infer`), written into the result's rules with their evidence.
    *jobs*: tables read at once on sessions sharing one snapshot where the database allows it
    (PostgreSQL); None: the cores this machine has; the profile is the same whatever it is.
    """
    if sample_rows < 1:
        raise ConfigError(f"--sample-rows must be at least 1, got {sample_rows}")
    if min_group_size < 1:
        raise ConfigError(f"--min-group-size must be at least 1, got {min_group_size}")
    if reference_rows < 0:
        raise ConfigError(f"--reference-rows must be 0 or more, got {reference_rows}")
    started = time.perf_counter()
    engine = read_only_engine(url)
    parsed = engine.url
    remarks: list[str] = [] if notes is None else notes
    try:
        with engine.connect() as conn:
            try:
                result = _profile(
                    conn,
                    parsed,
                    schema=schema,
                    tables=tables,
                    exclude=exclude,
                    sample_rows=sample_rows,
                    min_group_size=min_group_size,
                    estimate_rows=estimate_rows,
                    progress=sys.stderr.isatty() if progress is None else progress,
                    rules=rules or Rules(),
                    notes=remarks,
                    reference_rows=reference_rows,
                    infer_keys=infer_keys,
                    jobs=default_jobs() if jobs is None else jobs,
                )
            finally:
                conn.rollback()  # never commit: the session was read-only anyway
    except sa.exc.DBAPIError as exc:
        raise ProfilingFailed(
            f"profiling {safe_url(parsed)} failed: {describe_db_error(exc)}"
        ) from None
    finally:
        engine.dispose()
    source = dataclasses.replace(
        result.source, duration_seconds=round(time.perf_counter() - started, 3)
    )
    return dataclasses.replace(result, source=source)


def _profile(
    conn: sa.Connection,
    url: URL,
    *,
    schema: str | None,
    tables: Sequence[str] | None,
    exclude: Sequence[str],
    sample_rows: int,
    min_group_size: int,
    estimate_rows: bool,
    progress: bool,
    rules: Rules,
    notes: list[str],
    reference_rows: int = DEFAULT_REFERENCE_ROWS,
    infer_keys: bool = False,
    jobs: int = 1,
) -> Profile:
    dialects.start_session(conn)
    dialect = conn.dialect.name
    inspector = sa.inspect(conn)
    schema = schema or DEFAULT_SCHEMA.get(dialect)
    available = list_tables(inspector, schema)
    where = f"schema {schema!r}" if schema else f"database {url.database!r}"
    if not available:
        raise ConfigError(f"{where} of {safe_url(url)} has no tables to profile")
    if tables:
        _match(tables, available, "--tables")
        names = [t for t in available if t in set(tables)]
    else:
        names = list(available)
    _match(exclude, available, "--exclude")
    names = [t for t in names if t not in set(exclude)]
    if not names:
        raise ConfigError("every table was excluded: nothing to profile")
    catalog_schema = schema or dialects.current_schema(conn)
    left_out = dialects.schema_objects(conn, catalog_schema)
    reflected, reflect_notes = reflect_tables(conn, schema, names, left_out)
    notes.extend(reflect_notes)
    rules, rule_notes = _keep_rules(rules, reflected)
    rules, key_notes = keys.keep_valid_keys(reflected, rules)
    notes.extend(rule_notes + key_notes)
    reflected = keys.apply_key_rules(reflected, rules)  # virtual keys: measured as declared ones
    if left_out:
        notes.append(f"not carried by the profile ({len(left_out)}): {', '.join(left_out)}")

    # Parent key columns whose position buckets fan-out needs (first column of each FK target).
    ref_keys = {
        (fk.ref_table, fk.ref_columns[0]) for t in reflected.values() for fk in t.foreign_keys
    }
    if infer_keys:  # any column a proposed FK may point at
        ref_keys |= {(t.name, c) for t in reflected.values() for c in key_names.parent_columns(t)}
    edges: dict[tuple[str, str], stats.KeyEdges] = {}
    fk_values: dict[str, dict[str, pl.Series]] = {}
    row_relations: dict[str, list[Relation]] = {}
    fk_relations: dict[str, list[Relation]] = {}
    # FK relations are joined in memory unless inferred keys may change the FKs afterwards.
    kept = None if infer_keys else Kept.of(reflected, names, {c for _, c in ref_keys})
    measured: dict[str, Table] = {}
    fk_total = sum(len(t.foreign_keys) for t in reflected.values())
    bar = tqdm(
        total=len(names) + fk_total,
        disable=not progress,
        unit="step",
        desc="profile",
        file=sys.stderr,
        leave=False,
    )
    people = People()
    personal = PersonalValues()
    try:
        order = parents_first(reflected, names)  # whom rows belong to follows the FKs
        catalog = dialects.table_catalog(conn, catalog_schema, names)

        def read_rows(session: sa.Connection, name: str) -> TableRead:
            return _read_table(
                session,
                reflected[name],
                schema,
                catalog.get(name, dialects.TableCatalog()),
                sample_rows=sample_rows,
                estimate_rows=estimate_rows,
            )

        def measure(session: sa.Connection, name: str, rows: TableRead, guard: Any) -> Table:
            return _measure_table(
                session,
                reflected[name],
                schema,
                rows,
                guard,
                min_group_size=min_group_size,
                rules=rules.tables.get(name),
                ref_keys=ref_keys,
                edges=edges,
                fk_values=fk_values,
                row_relations=row_relations,
                fk_relations=fk_relations,
                kept=kept,
                people=people,
                personal=personal,
            )

        for name, table in _measure_tables(conn, order, reflected, read_rows, measure, jobs):
            measured[name] = table
            bar.set_postfix_str(name)
            bar.update(1)
        if infer_keys:
            bar.set_postfix_str("inferring keys")
            rules = infer.infer_keys(conn, schema, measured, rules, notes, sample_rows=sample_rows)
            measured = keys.apply_key_rules(measured, rules)
            bar.total = len(names) + sum(len(t.foreign_keys) for t in measured.values())
        for name in names:
            table = measured[name]
            if not table.foreign_keys:
                continue
            child_ref = dialects.quote_table(conn, schema, name)
            fks = []
            for fk in table.foreign_keys:
                bar.set_postfix_str(f"{name} -> {fk.ref_table}")
                parent = measured[fk.ref_table]
                cut = edges.get((fk.ref_table, fk.ref_columns[0]), stats.KeyEdges([], []))
                held = fk_values.get(name, {}) if table.sample_method is None else {}
                wanted = [*fk.columns, *([fk.condition.column] if fk.condition else [])]
                if all(c in held for c in wanted):
                    # The child was read completely: group its keys in memory, no second scan.
                    values = [held[c] for c in fk.columns]
                    child_rows = table.row_count
                    if fk.condition is not None:
                        kept = keys.condition_mask(held[fk.condition.column], fk.condition.equals)
                        values = [v.filter(kept) for v in values]
                        child_rows = int(kept.sum())
                    fanout = stats.fanout_from_values(
                        values,
                        cut.converted,
                        parent_rows=parent.row_count,
                        child_rows_total=child_rows,
                        parent_method=parent.row_count_method,
                    )
                else:
                    fanout = stats.fanout_stats(
                        conn,
                        child_ref,
                        fk.columns,
                        child_rows_total=table.row_count,
                        parent_rows=parent.row_count,
                        edges=cut.native,
                        parent_method=parent.row_count_method,
                        condition=(fk.condition.column, fk.condition.equals)
                        if fk.condition
                        else None,
                    )
                fks.append(dataclasses.replace(fk, fanout=fanout))
                bar.update(1)
            measured[name] = dataclasses.replace(table, foreign_keys=tuple(fks))
    finally:
        bar.close()
    measured = personal.scrub(measured)  # no personal value hides in another column's stats
    for name in sorted(reference.reference_tables(measured, reference_rows)):
        ref = dialects.quote_table(conn, schema, name)
        try:
            rows = reference.read_rows(conn, ref, measured[name], reference_rows)
        except sa.exc.DBAPIError as exc:
            raise ProfilingFailed(f"table {name}: {describe_db_error(exc)}") from None
        if rows is not None and personal.holds_any(rows):
            notes.append(f"table {name} is not kept verbatim: a value of it is also personal")
        elif rows is not None:
            measured[name] = dataclasses.replace(measured[name], reference_rows=rows)
    for name in names:  # orderings, diamonds, identities: shares read from samples
        # Row relations found while the table's values were in hand stand unless inferred
        # keys changed which columns are keys since.
        known = None if infer_keys else row_relations.get(name)
        joined = None if infer_keys else fk_relations.get(name)
        found = relations.discover(conn, schema, measured, name, known, joined)
        if found:
            measured[name] = dataclasses.replace(measured[name], relations=found)
    identity = server_identity(conn)
    database = url.database
    if database and url.get_backend_name() == "sqlite":
        database = Path(database.removeprefix("file:")).name
    return Profile(
        format=FORMAT,
        source=Source(
            dialect=dialect,
            server_version=dialects.server_version(conn),
            database=database,
            schema=catalog_schema,
            captured_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            paritygen_version=__version__,
            identity=identity.key() if identity is not None else None,
        ),
        tables={name: measured[name] for name in names},
        settings=Settings(
            min_group_size=min_group_size,
            sample_rows=sample_rows,
            estimate_rows=estimate_rows,
            reference_rows=reference_rows,
        ),
        rules=rules,
        not_carried=tuple(left_out),
    )


def _measure_tables(
    conn: sa.Connection,
    order: list[str],
    reflected: dict[str, Table],
    read_rows: Any,
    measure: Any,
    jobs: int,
) -> list[tuple[str, Table]]:
    """``measure(session, name, read_rows(reader, name), guard)`` for every table of *order*.

    With *jobs* > 1 and a database that shares snapshots, tables are read and measured on that
    many sessions reading the same snapshot at once (a table after the tables it references:
    whom its rows belong to follows theirs). Otherwise the tables are measured one by one while
    the reads run ahead on a thread of their own (:mod:`read_ahead`), in *order*: on a session
    in the exported snapshot, or on this connection, one statement at a time with the
    measuring's own queries (*guard*), where the driver allows another thread (else inline).
    Both overlap reading with measuring; read-ahead beside several measuring sessions only
    added a thread contending for the interpreter (240 tables: 5.2-5.4 -> 5.9-7.2 s). The
    statistics are the same either way."""
    snapshot = dialects.export_snapshot(conn) if len(order) > 1 else None
    parallel = snapshot is not None and jobs > 1
    opened: list[sa.Connection] = []

    def session_in_snapshot() -> sa.Connection:
        session = conn.engine.connect()
        opened.append(session)
        dialects.join_session(session, snapshot)  # type: ignore[arg-type]
        return session

    guard: Any = contextlib.nullcontext()
    ahead: ReadAhead[TableRead] | None = None
    try:
        if snapshot is not None and not parallel:
            reader = session_in_snapshot()
            ahead = ReadAhead(order, lambda name: read_rows(reader, name))
        elif snapshot is None and dialects.dialect_sql(conn).read_aside and len(order) > 1:
            guard = threading.Lock()

            def read_guarded(name: str) -> TableRead:
                with guard:
                    return read_rows(conn, name)

            ahead = ReadAhead(order, read_guarded)

        def rows_of(session: sa.Connection, name: str) -> TableRead:
            return ahead.take(name) if ahead is not None else read_rows(session, name)

        if not parallel:
            return [(name, measure(conn, name, rows_of(conn, name), guard)) for name in order]
        sessions: queue.SimpleQueue[sa.Connection] = queue.SimpleQueue()
        for _ in range(min(jobs, len(order))):
            sessions.put(session_in_snapshot())

        def unit(name: str) -> Table:
            session = sessions.get()
            try:
                return measure(session, name, rows_of(session, name), contextlib.nullcontext())
            finally:
                sessions.put(session)

        position = {name: i for i, name in enumerate(order)}
        units = [
            Unit(
                name,
                lambda name=name: unit(name),
                after=frozenset(
                    fk.ref_table
                    for fk in reflected[name].foreign_keys
                    if position.get(fk.ref_table, len(order)) < position[name]
                ),
            )
            for name in order
        ]
        try:
            results = run_units(units, len(opened))
        except UnitsFailed as failed:
            raise failed.cause from None
        return [(name, results[name]) for name in order]
    finally:
        if ahead is not None:
            ahead.close()
        for session in opened:
            session.rollback()
            session.close()


FLOAT_DIGITS = 15
"""Significant digits a float holds exactly: wider decimals are counted and bounded in SQL."""


def wide_decimal(column: Column, col_stats: ColumnStats) -> bool:
    """A decimal column whose values carry more digits than a float holds."""
    if column.logical_type != "decimal":
        return False
    if column.precision is not None:
        return column.precision > FLOAT_DIGITS
    digits = (col_stats.max_integer_digits or 0) + (col_stats.max_scale or 0)
    return digits > FLOAT_DIGITS


def _rows_read(data: dict[str, read.ColumnData]) -> int:
    return next(iter(data.values())).rows if data else 0


@dataclasses.dataclass(frozen=True)
class TableRead:
    """One table as read for its statistics: its values, how they were read, its size."""

    data: dict[str, read.ColumnData]
    method: str | None
    """The in-database sample's label, or None: every row was read."""
    row_count: int
    count_method: str
    data_bytes: int | None
    index_bytes: int | None


def _integer_key(table: Table) -> str | None:
    """An integer single-column primary key: MariaDB/MySQL ship rows by its ranges."""
    if len(table.primary_key) == 1 and table.columns[table.primary_key[0]].logical_type == (
        "integer"
    ):
        return table.primary_key[0]
    return None


def _read_table(
    conn: sa.Connection,
    table: Table,
    schema: str | None,
    catalog: dialects.TableCatalog,
    *,
    sample_rows: int,
    estimate_rows: bool,
) -> TableRead:
    """Every row of one table (or its in-database sample when larger than *sample_rows*), read
    once for all its statistics, with its row count."""
    ref = dialects.quote_table(conn, schema, table.name)
    columns = list(table.columns.values())
    key = _integer_key(table)
    try:
        estimate = catalog.estimate
        data: dict[str, read.ColumnData] | None = None
        method: str | None = None
        if estimate is not None and estimate <= sample_rows // 2:
            # Small by the catalog: read it whole and count what was read, which saves a
            # count(*) pass. The LIMIT guards against a stale estimate.
            data, method = read.read_table(conn, ref, columns, None, limit=sample_rows + 1, key=key)
            if _rows_read(data) > sample_rows:
                data = None
        if data is None:
            if estimate_rows and estimate is not None:
                row_count, count_method = estimate, "catalog"
            else:
                row_count, count_method = dialects.count_rows(conn, ref), "exact"
            fraction = sample_rows / row_count if row_count > sample_rows else None
            data, method = read.read_table(conn, ref, columns, fraction, key=key)
    except sa.exc.DBAPIError as exc:
        raise ProfilingFailed(f"table {table.name}: {describe_db_error(exc)}") from None
    if method is None:  # the whole table was read: its count is exact whatever the catalog said
        row_count, count_method = _rows_read(data), "exact"
    return TableRead(data, method, row_count, count_method, catalog.data_bytes, catalog.index_bytes)


def _measure_table(
    conn: sa.Connection,
    table: Table,
    schema: str | None,
    rows: TableRead,
    guard: Any,
    *,
    min_group_size: int,
    rules: TableRule | None,
    ref_keys: set[tuple[str, str]],
    edges: dict[tuple[str, str], stats.KeyEdges],
    fk_values: dict[str, dict[str, pl.Series]],
    row_relations: dict[str, list[Relation]],
    fk_relations: dict[str, list[Relation]],
    kept: Kept | None,
    people: People,
    personal: PersonalValues,
) -> Table:
    """Every column's statistics of one table, from its one read (*rows*); *guard* is held
    around the few queries it sends (the connection may be shared with a reader thread)."""
    ref = dialects.quote_table(conn, schema, table.name)
    columns = list(table.columns.values())
    data, method = rows.data, rows.method
    row_count, count_method = rows.row_count, rows.count_method
    data_bytes, index_bytes = rows.data_bytes, rows.index_bytes
    sampled = method is not None
    read_rows = _rows_read(data)
    leading = {table.primary_key[:1]} | {ix.columns[:1] for ix in table.indexes}
    leading |= {uc.columns[:1] for uc in table.unique_constraints}
    out: dict[str, Column] = {}

    def tag(column: Column) -> Column:
        values = data[column.name]
        semantic, pii = classify.decide(column.name, column.logical_type, values.values)
        column = dataclasses.replace(column, semantic=semantic, pii=pii)
        return _apply_rule(column, rules.columns.get(column.name) if rules else None)

    # Columns are measured on STATS_THREADS threads: polars and numpy release the GIL, so the
    # statistics of a wide table use every core (SQL below stays on this thread's connection).
    columns = _stats_map(tag, columns, read_rows)
    owners = people.owners(table, columns, data, rules)
    if not owners.about_people:
        columns = impersonal_text(columns, rules)

    def measure(column: Column) -> tuple[Column, ColumnStats]:
        col_stats = stats.column_stats(
            column,
            data[column.name],
            total_rows=row_count,
            sampled=sampled,
            min_group_size=min_group_size,
            pii=column.pii,
            persons=owners.ids,
        )
        return column, col_stats

    measured = _stats_map(measure, columns, read_rows)
    follows = profile_text.email_sources(columns, data)
    tied = pairs.determined_pairs(measured, data, owners.ids, min_group_size)
    for column, col_stats in measured:
        values = data[column.name]
        if column.pii:
            personal.add(values.values)
        if column.name in follows:
            col_stats = dataclasses.replace(col_stats, follows=follows[column.name])
        elif column.name in tied:
            source, mapping = tied[column.name]
            col_stats = dataclasses.replace(col_stats, follows=(source,), mapping=mapping)
        if wide_decimal(column, col_stats) and col_stats.distinct_count:
            # Wider than a float: the server counts and bounds it exactly (no float round trip).
            with guard:
                distinct, low, high = dialects.exact_distinct_min_max(conn, ref, column.name)
            exact = {"distinct_count": distinct}
            if not column.pii and low is not None:
                exact |= {"min": reference.exact_scalar(low), "max": reference.exact_scalar(high)}
            col_stats = dataclasses.replace(col_stats, **exact)
        if (
            sampled
            and not column.pii
            and column.logical_type in ORDERED
            and (column.name,) in leading
            and col_stats.min is not None
        ):
            with guard:
                low, high = dialects.exact_min_max(conn, ref, column.name)
            col_stats = dataclasses.replace(
                col_stats,
                min=to_scalar(low, column.logical_type),
                max=to_scalar(high, column.logical_type),
            )
        out[column.name] = dataclasses.replace(column, stats=col_stats)
        if (table.name, column.name) in ref_keys:
            edges[(table.name, column.name)] = stats.key_edges(values.values, column)
    if not sampled and table.foreign_keys:  # kept for the in-memory fan-out (FK columns only)
        fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        fk_columns |= {fk.condition.column for fk in table.foreign_keys if fk.condition}
        fk_values[table.name] = {c: data[c].values for c in fk_columns}
    result = dataclasses.replace(
        table,
        columns=out,
        row_count=row_count,
        row_count_method=count_method,  # type: ignore[arg-type]
        data_bytes=data_bytes,
        index_bytes=index_bytes,
        sample_method=method,
        sampled_rows=read_rows if sampled else None,
    )
    if not sampled:  # the rows discover() would read are these: no second read of the table
        read_values = {c: d.values for c, d in data.items()}
        found = relations.row_relations_from(result, read_values)
        if found is not None:
            row_relations[table.name] = found
        if kept is not None:
            joined = relations.fk_relations_from(
                result, kept.tables, kept.profiled, read_values, kept.columns
            )
            if joined is not None:
                fk_relations[table.name] = joined
            if kept.waiting.get(table.name) and read_rows <= relations.HELD_ROWS:
                held = relations.held_columns(result, kept.referenced)
                kept.columns[table.name] = {c: read_values[c] for c in held}
                kept.tables[table.name] = result
    if kept is not None:
        kept.measured(table.name)
    return result


@dataclasses.dataclass
class Kept:
    """What the tables measured so far keep for their children's FK relations
    (:func:`relations.fk_relations_from`): the measured tables and a few of their columns."""

    profiled: set[str]
    referenced: set[str]
    """Column names some FK points at (a table keeps those of them it has)."""
    waiting: dict[str, set[str]]
    """Per parent, its children not measured yet: a parent keeps columns while it has some
    (memory: only the parents of tables still to come hold anything)."""
    tables: dict[str, Table] = dataclasses.field(default_factory=dict)
    columns: dict[str, dict[str, pl.Series]] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @classmethod
    def of(cls, tables: dict[str, Table], names: Sequence[str], referenced: set[str]) -> Kept:
        waiting: dict[str, set[str]] = {}
        for name in names:
            for fk in tables[name].foreign_keys:
                if len(fk.columns) == 1 and fk.ref_table != name:
                    waiting.setdefault(fk.ref_table, set()).add(name)
        return cls(set(names), referenced, waiting)

    def measured(self, name: str) -> None:
        """*name* is measured: parents with no child left to measure drop their columns."""
        with self.lock:
            for parent, children in self.waiting.items():
                children.discard(name)
                if not children:
                    self.columns.pop(parent, None)


__all__ = [
    "ConnectionFailed",
    "ProfilingFailed",
    "profile_database",
    "read_only_engine",
    "read_only_url",
]
