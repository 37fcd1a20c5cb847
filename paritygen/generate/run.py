"""``generate``: fill a target database with synthetic rows shaped like the profile.

The flow: resolve the target, decide the schema mode, check the target is safe to write (no
schema difference, no unexpected rows) *before* anything is written, create the tables if asked,
load each table in plan order through the dialect's bulk writer, fill the deferred FK edges
(cycles, self-references) by update, then let the writer finish the tables (indexes, FKs,
sequences). Rows are made per random block by :class:`~paritygen.generate.rows.TableRows` (keys,
values, CHECK repair, NOT NULL and length enforcement), so the same seed gives the same database
whatever the chunk size.

``--if-exists append`` reads, per table appended to, its row count and the largest value of each
ordered key column (:func:`existing_keys`); integer and temporal keys are then shifted past that
maximum (production's range width and gaps kept), natural-code keys continue after the existing
row count and UUIDs come from a seed domain of their own, and composite keys numbered under a
parent this run does not renew (line numbers) start past the existing maximum. So appended rows
never collide with the rows already there on a primary, unique or foreign key made here.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tqdm import tqdm

from paritygen.db import describe_db_error, make_engine, resolve_url
from paritygen.errors import (
    ConfigError,
    ExitStatus,
    LoadError,
    ParitygenError,
    SchemaMismatch,
    UnsafeTarget,
    safe_url,
)
from paritygen.generate.keys import ExistingKeys, KeyFactory
from paritygen.generate.plan import GenerationPlan, TablePlan, build_plan
from paritygen.generate.rows import (  # noqa: F401 (enforce_column_limits: re-exported)
    TableRows,
    enforce_column_limits,
)
from paritygen.profile.model import Profile
from paritygen.profile.values import ORDERED, to_number

log = logging.getLogger("paritygen")

SCHEMA_MODES = ("auto", "create", "existing")
IF_EXISTS = ("fail", "truncate", "append")


@dataclass(frozen=True)
class TableSummary:
    """Rows written to one table and the seconds it took (load plus its share of updates)."""

    rows: int
    seconds: float


@dataclass(frozen=True)
class GenerateSummary:
    """What a run wrote: per table, in load order, and the whole run's wall time."""

    tables: dict[str, TableSummary]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": {
                name: {"rows": t.rows, "seconds": round(t.seconds, 3)}
                for name, t in self.tables.items()
            },
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
        }


class _Progress:
    """A bar per table and one overall (rows, rows/s, ETA), or nothing off a terminal."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.overall = (
            tqdm(total=total, desc="all tables", unit="rows", unit_scale=True, position=0)
            if enabled
            else None
        )
        self.table: Any = None

    def start_table(self, name: str, rows: int) -> None:
        if self.enabled:
            self.table = tqdm(
                total=rows, desc=name, unit="rows", unit_scale=True, position=1, leave=False
            )

    def advance(self, rows: int) -> None:
        if self.table is not None:
            self.table.update(rows)
        if self.overall is not None:
            self.overall.update(rows)

    def end_table(self) -> None:
        if self.table is not None:
            self.table.close()
            self.table = None

    def close(self) -> None:
        self.end_table()
        if self.overall is not None:
            self.overall.close()


def _selected(profile: Profile, tables: Sequence[str] | None) -> list[str]:
    if tables:
        return [t for t in profile.tables if t in set(tables)]
    return [n for n in profile.tables if profile.table_rule(n).mode != "skip"]


def _non_empty(engine: Engine, names: Sequence[str]) -> list[str]:
    full = []
    with engine.connect() as conn:
        for name in names:
            table = sa.table(name)
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                full.append(name)
    return full


def _resolve_mode(schema_mode: str, selected: Sequence[str], existing: set[str]) -> str:
    present = [n for n in selected if n in existing]
    if schema_mode == "auto":
        return "existing" if present else "create"
    if schema_mode == "create" and present:
        raise ConfigError(
            f"--schema-mode create: table(s) {', '.join(present)} already exist in the target;"
            " use --schema-mode existing to fill them, or drop them first"
        )
    return schema_mode


_PRODUCTION_NAME = re.compile(r"(?<![a-z])(prod|production|prd|live)(?![a-z])", re.IGNORECASE)
"""Host or database names that say "production" (prod-db, shop_production, live.example)."""


def refuse_production_like(url: sa.engine.URL, allow: bool) -> None:
    """Writing is for staging: refuse a target whose host or database name says production,
    unless the user insists, because one mistyped URL would overwrite real data."""
    if allow:
        return
    for part in (url.host, url.database):
        if part and _PRODUCTION_NAME.search(part.rsplit("/", 1)[-1]):
            raise UnsafeTarget(
                f"target {safe_url(url)} looks like production ({part!r}); paritygen writes only"
                " to staging. Pass --allow-production-name if this really is a staging database"
            )


def _check_target(
    profile: Profile, engine: Engine, selected: Sequence[str], if_exists: str
) -> list[str]:
    """Refuse to write into tables holding rows unless the user said what to do with them."""
    full = _non_empty(engine, selected)
    if not full or if_exists != "fail":
        return full
    source = profile.source
    same = (
        source.dialect == engine.dialect.name
        and source.database
        and (source.database == engine.url.database)
    )
    hint = " (it looks like the profiled source database itself)" if same else ""
    raise UnsafeTarget(
        f"target {safe_url(engine.url)} already holds rows in {', '.join(full)}{hint};"
        " pass --if-exists truncate to replace them or --if-exists append to add to them"
    )


def generate_database(
    profile: Profile,
    target: str,
    *,
    scale: float = 1.0,
    seed: int = 0,
    tables: Sequence[str] | None = None,
    schema_mode: str = "auto",
    if_exists: str = "fail",
    progress: bool | None = None,
    chunk_rows: int | None = None,
    allow_production_name: bool = False,
) -> GenerateSummary:
    """Fill *target* with synthetic rows shaped like *profile* (see the module docstring)."""
    from paritygen.writers import schema as target_schema
    from paritygen.writers.base import open_writer

    if schema_mode not in SCHEMA_MODES:
        raise ConfigError(f"--schema-mode must be one of {', '.join(SCHEMA_MODES)}")
    if if_exists not in IF_EXISTS:
        raise ConfigError(f"--if-exists must be one of {', '.join(IF_EXISTS)}")
    began = time.perf_counter()
    selected = _selected(profile, tables)
    if tables:
        build_plan(profile, scale=scale, tables=tables)  # names unknown tables, once
    url = resolve_url(target)
    refuse_production_like(url, allow_production_name)  # before connecting creates anything
    engine = make_engine(url)
    try:
        writer = open_writer(engine)
        present = set(sa.inspect(engine).get_table_names())
        mode = _resolve_mode(schema_mode, selected, present)
        # FKs not checked while loading: added after the load (create), off in the writer's
        # session (MariaDB, SQLite), or dropped for the load and added back (existing tables).
        checks_fks = getattr(writer, "checks_fks_during_load", True)
        deferrable = (
            not checks_fks
            or mode == "existing"
            or bool(getattr(writer, "constraints_after_load", False))
        )
        plan = build_plan(
            profile, scale=scale, tables=selected, chunk_rows=chunk_rows, deferrable=deferrable
        )
        for table_plan in plan.to_generate:
            if table_plan.deferred_fks and not profile.table(table_plan.name).primary_key:
                raise ConfigError(
                    f"table {table_plan.name} has no primary key, so its deferred foreign key"
                    " (cycle or self-reference) cannot be filled after the load"
                )
        names = [t.name for t in plan.to_generate]
        metadata = target_schema.build_metadata(profile, names, engine.dialect.name)
        existing: dict[str, ExistingKeys] = {}
        if mode == "existing":
            differences = target_schema.compare_schema(engine, profile, names)
            if differences:
                raise SchemaMismatch(
                    f"the target's tables differ from the profile ({len(differences)}"
                    f" difference(s)): {'; '.join(differences)}"
                )
            full = _check_target(profile, engine, names, if_exists)
            if full and if_exists == "truncate":
                log.warning(
                    "emptying %d table(s) in %s before loading: %s",
                    len(full), safe_url(engine.url), ", ".join(full),
                )  # fmt: skip
                target_schema.truncate_tables(engine, _subset(metadata, names))
            if full and if_exists == "append":
                existing = existing_keys(engine, profile, full)
            target_schema.detach_checks(engine, metadata)
            if plan.unordered_fks and checks_fks:
                # A NOT NULL cycle (store <-> staff) loads in no order with its FKs in place:
                # they are dropped here and added back by finish_tables after the load.
                target_schema.drop_foreign_keys(engine, metadata, plan.unordered_fks)
        else:
            for note in target_schema.schema_notes(metadata):
                log.warning("%s", note)
            target_schema.create_tables(
                engine, metadata, constraints_after_load=writer.constraints_after_load
            )
        keys = KeyFactory(profile, plan, seed, existing)
        summary = _load(profile, plan, keys, writer, metadata, seed, _progress_on(progress))
        target_schema.finish_tables(engine, metadata)
    finally:
        engine.dispose()
    return GenerateSummary(tables=summary, seconds=time.perf_counter() - began)


def existing_keys(
    engine: Engine, profile: Profile, names: Sequence[str]
) -> dict[str, ExistingKeys]:
    """Rows and the largest value of each ordered key column of the tables appended to, so the
    new keys start past them (``--if-exists append`` never collides on a key)."""
    found: dict[str, ExistingKeys] = {}
    referenced = {
        (fk.ref_table, column)
        for table in profile.tables.values()
        for fk in table.foreign_keys
        for column in fk.ref_columns
    }
    with engine.connect() as conn:
        for name in names:
            table = profile.table(name)
            keyed = set(table.primary_key) | {c for c in table.columns if (name, c) in referenced}
            keyed |= {uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1}
            columns = [
                c for c in table.columns if c in keyed and table.columns[c].logical_type in ORDERED
            ]
            query = sa.select(
                sa.func.count(), *(sa.func.max(sa.column(c)) for c in columns)
            ).select_from(sa.table(name))
            row = conn.execute(query).one()
            maxima = {
                column: to_number(value, table.columns[column].logical_type)
                for column, value in zip(columns, row[1:], strict=True)
                if value is not None
            }
            found[name] = ExistingKeys(rows=int(row[0]), max_values=maxima)
    return found


def _subset(metadata: sa.MetaData, names: Sequence[str]) -> sa.MetaData:
    """Metadata holding only *names* (truncate exactly the tables this run writes)."""
    subset = sa.MetaData()
    for name in names:
        metadata.tables[name].to_metadata(subset)
    return subset


def _progress_on(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def _load(
    profile: Profile,
    plan: GenerationPlan,
    keys: KeyFactory,
    writer: Any,
    metadata: sa.MetaData,
    seed: int,
    progress: bool,
) -> dict[str, TableSummary]:
    """Load every table, then fill the deferred edges; a failure says what state is left."""
    order = plan.to_generate
    done: dict[str, TableSummary] = {}
    current: TablePlan | None = None
    bar = _Progress(progress, sum(t.row_count for t in order))
    try:
        makers: dict[str, TableRows] = {}
        for table_plan in order:
            current = table_plan
            began = time.perf_counter()
            target_table = metadata.tables[table_plan.name]
            maker = TableRows(
                profile, keys.table_keys(table_plan.name), table_plan.row_count, seed, plan.scale,
                computed={c.key for c in target_table.columns if c.computed is not None},
            )  # fmt: skip
            makers[table_plan.name] = maker
            bar.start_table(table_plan.name, table_plan.row_count)
            rows = writer.load(metadata.tables[table_plan.name], maker.chunks(plan.chunk_rows, bar))
            bar.end_table()
            done[table_plan.name] = TableSummary(rows, time.perf_counter() - began)
        current = None
        for table_plan in order:
            if not table_plan.deferred_fks:
                continue
            current = table_plan
            began = time.perf_counter()
            for fk in table_plan.deferred_fks:
                columns = list(fk.columns)
                writer.update(
                    metadata.tables[table_plan.name],
                    list(profile.table(table_plan.name).primary_key),
                    columns,
                    makers[table_plan.name].update_chunks(plan.chunk_rows, columns),
                )
            previous = done[table_plan.name]
            done[table_plan.name] = TableSummary(
                previous.rows, previous.seconds + time.perf_counter() - began
            )
        current = None
    except KeyboardInterrupt:
        raise _state_error("interrupted", order, done, current, ExitStatus.INTERRUPTED) from None
    except ParitygenError as exc:
        raise _state_error(str(exc), order, done, current, exc.exit_status) from None
    except sa.exc.DBAPIError as exc:
        raise _state_error(describe_db_error(exc), order, done, current, ExitStatus.ERROR) from None
    finally:
        bar.close()
    return done


def _state_error(
    reason: str,
    order: Sequence[TablePlan],
    done: dict[str, TableSummary],
    current: TablePlan | None,
    status: ExitStatus,
) -> LoadError:
    """One line naming the complete, partial and untouched tables, and how to finish."""
    complete = [t.name for t in order if t.name in done]
    partial = current.name if current is not None else None
    if partial is not None and partial in done:
        complete.remove(partial)  # its deferred FK update did not finish
    untouched = [t.name for t in order if t.name not in done and t.name != partial]
    # the writer's own advice repeats ours: keep one
    parts = [re.sub(r"\s*\(rerun with --if-exists truncate[^)]*\)\s*$", "", reason).rstrip(".")]
    parts.append(f"complete: {', '.join(complete) or 'none'}")
    if partial is not None:
        parts.append(f"partial: {partial}")
    if untouched:
        parts.append(f"not started: {', '.join(untouched)}")
    error = LoadError("; ".join(parts) + " (rerun with --if-exists truncate to finish cleanly)")
    error.exit_status = status
    return error
