"""``generate``: fill a target database with synthetic rows shaped like the profile.

The flow, on a :class:`~paritygen.run.stage.TargetRun`: check the target is safe to write (no
schema difference, no unexpected rows) *before* anything is written, create the tables if asked,
load each table in plan order through the dialect's bulk writer, fill the deferred FK edges
(cycles, self-references) by update, then let the writer finish the tables (indexes, FKs,
sequences). Rows are made per random block by :class:`~paritygen.generate.rows.TableRows` (keys,
values, CHECK repair, NOT NULL and length enforcement), so the same seed gives the same database
whatever the chunk size.

``--if-exists append`` reads, per table appended to, its row count and the largest value of each
ordered key column (:func:`~paritygen.run.target.existing_keys`); integer and temporal keys are
then shifted past that maximum (production's range width and gaps kept), natural-code keys
continue after the existing row count and UUIDs come from a seed domain of their own, and
composite keys numbered under a parent this run does not renew (line numbers) start past the
existing maximum. So appended rows never collide with the rows already there on a primary,
unique or foreign key made here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from paritygen.errors import ConfigError, safe_url
from paritygen.generate.keys import ExistingKeys, KeyFactory
from paritygen.generate.plan import GenerationPlan, TablePlan, build_plan, is_heavy
from paritygen.generate.rows import TableRows, check_value_capacity
from paritygen.parallel import default_jobs
from paritygen.profile.io import profile_digest
from paritygen.profile.keys import declared_only
from paritygen.profile.model import ForeignKey, Profile
from paritygen.profile.volume import planned_counts
from paritygen.run.load import TableLoad, TableSummary, Update
from paritygen.run.schema_from import SchemaFrom
from paritygen.run.schema_from import check_options as check_schema_from
from paritygen.run.stage import RunOptions, TargetRun
from paritygen.run.target import (
    MAX_BYTES,
    MAX_ROWS,
    check_size,
    existing_keys,
    human_bytes,
    planned_size,
)

log = logging.getLogger("paritygen")


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


def selected_tables(profile: Profile, tables: Sequence[str] | None) -> list[str]:
    """The tables a run writes: those named, else every table whose rule is not ``skip``.

    A table ruled ``mode: mask`` or ``empty`` is refused rather than silently synthesised:
    those modes belong to ``paritygen mask``, which copies production's rows.
    """
    chosen = (
        [t for t in profile.tables if t in set(tables)]
        if tables
        else [n for n in profile.tables if profile.table_rule(n).mode != "skip"]
    )
    masked = [n for n in chosen if profile.table_rule(n).mode in ("mask", "empty")]
    if masked:
        raise ConfigError(
            f"table(s) {', '.join(masked)} are ruled mode: mask or empty, which generate does not"
            " do: run `paritygen mask --source URL --target URL --profile PROFILE` (it copies"
            " those tables masked and generates the others), or set their mode to generate"
        )
    return chosen


def fingerprint(profile: Profile, seed: int, scale: float, tables: Sequence[str]) -> str:
    """The settings a resumed run must share with the run it finishes: same profile content,
    seed, scale and tables give the same rows."""
    content = json.dumps([profile_digest(profile), seed, repr(scale), sorted(tables)])
    return hashlib.sha256(content.encode()).hexdigest()


def check_scale(scale: float) -> None:
    """--scale must be a finite number above 0 (inf, nan, 0 and negatives are refused)."""
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise ConfigError(f"--scale must be a finite number above 0, not {scale!r}")


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
    create_virtual_fks: bool = False,
    resume: bool = False,
    source: str | None = None,
    create_database: bool = False,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    scale_lookups: bool = False,
    schema_from: str | None = None,
    jobs: int | None = None,
) -> GenerateSummary:
    """Fill *target* with synthetic rows shaped like *profile* (see the module docstring).

    *jobs*: sessions loading tables, building keys and running ANALYZE side by side (None: the
    cores this process may use, :func:`paritygen.parallel.default_jobs`; 1: one table after
    another in plan order). The tables hold the same rows for any value.

    Virtual keys (``rules:``) are generated like declared ones but get no constraint in the
    target, and so order no load, unless *create_virtual_fks*. With *schema_from* (a source
    URL of the target's database family) the target's schema is built by the database's dump
    tool first (:mod:`paritygen.run.schema_from`) and the rows go into it."""
    check_scale(scale)
    if schema_from:
        check_schema_from(tables=tables, if_exists=if_exists, schema_mode=schema_mode)
    began = time.perf_counter()
    selected = selected_tables(profile, tables)
    if tables:
        # The selection's own checks (a parent left out...); whether a NOT NULL cycle can load
        # depends on the target, so the plan made inside the run judges that.
        build_plan(
            profile, scale=scale, tables=tables, scale_lookups=scale_lookups, deferrable=True
        )
    with _quiet():  # the rows each table gets once its keys are fitted (notes come below)
        fitted = planned_counts(profile, scale, scale_lookups=scale_lookups)
    planned = {name: fitted[name] for name in selected}
    rows, size = sum(planned.values()), planned_size(profile, planned)
    check_size(rows, size, max_rows, max_bytes)
    # Every table's keys must fit before anything is opened (profile/capacity.py): a plan that
    # cannot be made is refused with the target untouched.
    target_profile = profile if create_virtual_fks else declared_only(profile)
    with _quiet():  # its notes come once, from the real plan below
        build_plan(
            target_profile, scale=scale, tables=selected, chunk_rows=chunk_rows, deferrable=True,
            scale_lookups=scale_lookups,
        )
    options = RunOptions(
        schema_mode=schema_mode,
        if_exists=if_exists,
        resume=resume,
        allow_production_name=allow_production_name,
        source=source,
        create_database=create_database,
        fingerprint=fingerprint(profile, seed, scale, selected),
        progress=progress,
        create_virtual_fks=create_virtual_fks,
        jobs=default_jobs() if jobs is None else jobs,
    )
    with TargetRun(profile, target, options) as run, _schema(schema_from) as built:
        mode = run.schema_mode(selected)
        if built is not None:
            built.build(run)
            mode = "existing"
        elif mode == "create" and profile.not_carried:
            log.warning(
                "not in the profile, so not created in the target (%d): %s; --schema-from"
                " SOURCE_URL builds production's whole schema",
                len(profile.not_carried), ", ".join(profile.not_carried),
            )  # fmt: skip
        plan = build_plan(
            run.profile,  # the target's constraints order the load (virtual keys need none)
            scale=scale,
            tables=selected,
            chunk_rows=chunk_rows,
            deferrable=run.fks_deferrable or mode == "existing",
            scale_lookups=scale_lookups,
        )
        for table_plan in plan.to_generate:
            if table_plan.deferred_fks and not run.profile.table(table_plan.name).primary_key:
                raise ConfigError(
                    f"table {table_plan.name} has no primary key, so its deferred foreign key"
                    " (cycle or self-reference) cannot be filled after the load"
                )
        # Every unique value column is checked to hold its rows before anything is written.
        checked = KeyFactory(profile, plan, seed)
        check_value_capacity(profile, checked, plan.to_generate, seed)
        names = [t.name for t in plan.to_generate]
        metadata, appended = run.prepare_schema(names, mode, unordered_fks=plan.unordered_fks)
        log.warning(  # every check passed; no row written yet
            "writing %s rows in %d table(s), about %s, into %s",
            f"{rows:,}", len(planned), human_bytes(size), safe_url(run.url),
        )  # fmt: skip
        existing: dict[str, ExistingKeys] = (
            existing_keys(run.engine, profile, appended) if appended else {}
        )
        # The checked tables' keys are the run's unless it appends (existing keys shift them).
        keys = KeyFactory(profile, plan, seed, existing) if existing else checked
        loads = table_loads(
            profile, plan, keys, metadata, seed, parents_first=run.parents_first(mode)
        )
        # Each table's keys, FKs and ANALYZE start as soon as its rows (and its linked tables')
        # are in, beside the loads still running (where the target can: PostgreSQL with jobs).
        summary = run.load(metadata, loads, finish_early=built is None)
        if built is not None:
            built.after_load()
        run.finish(metadata)
    return GenerateSummary(tables=summary, seconds=time.perf_counter() - began)


@contextlib.contextmanager
def _schema(source: str | None) -> Iterator[SchemaFrom | None]:
    """The ``--schema-from`` builder, or None without one."""
    if source is None:
        yield None
        return
    with SchemaFrom(source) as built:
        yield built


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Notes off for a trial run of the planner."""
    was, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was


def table_loads(
    profile: Profile,
    plan: GenerationPlan,
    keys: KeyFactory,
    metadata: sa.MetaData,
    seed: int,
    *,
    parents_first: bool = True,
) -> list[TableLoad]:
    """A :class:`TableLoad` per planned table, its rows made by :class:`TableRows` (built when
    the table's turn comes, kept for its deferred FK updates, and dropped once its last rows are
    out: a table's text pools and grids take megabytes, 3.3 GB over 240 tables kept to the end).

    Under ``--jobs`` each table's set-up holds only its own lock (its chunks and its deferred
    updates must share one maker), so tables set up side by side: what set-up shares is
    thread-safe on its own (``KeyFactory.table_keys`` under its lock, Faker draws under
    ``pools._FAKER_LOCK``, the per-process pools and powers are pure and only read once made).
    One global lock serialised every table's set-up behind whichever table was building."""
    makers: dict[str, TableRows] = {}
    building = {table_plan.name: threading.Lock() for table_plan in plan.to_generate}

    def maker(table_plan: TablePlan) -> TableRows:
        with building[table_plan.name]:
            made = makers.get(table_plan.name)
            if made is None:
                target_table = metadata.tables[table_plan.name]
                made = makers[table_plan.name] = TableRows(
                    profile, keys.table_keys(table_plan.name), table_plan.row_count, seed,
                    plan.scale,
                    computed={c.key for c in target_table.columns if c.computed is not None},
                )  # fmt: skip
            return made

    def then_drop(name: str, chunks: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        yield from chunks
        with building[name]:
            makers.pop(name, None)

    loads = []
    for table_plan in plan.to_generate:
        key = list(profile.table(table_plan.name).primary_key)
        last = len(table_plan.deferred_fks) - 1
        updates = [
            Update(
                key_columns=key,
                value_columns=list(fk.columns),
                chunks=lambda tp=table_plan, cols=list(fk.columns), end=number == last: (
                    then_drop(tp.name, maker(tp).update_chunks(plan.chunk_rows, cols))
                    if end
                    else maker(tp).update_chunks(plan.chunk_rows, cols)
                ),
            )
            for number, fk in enumerate(table_plan.deferred_fks)
        ]
        loads.append(
            TableLoad(
                name=table_plan.name,
                rows=table_plan.row_count,
                chunks=lambda bar, tp=table_plan: (
                    maker(tp).chunks(plan.chunk_rows, bar)
                    if tp.deferred_fks
                    else then_drop(tp.name, maker(tp).chunks(plan.chunk_rows, bar))
                ),
                updates=updates,
                after=(
                    _parents(profile, table_plan, plan.unordered_fks)
                    if parents_first
                    else frozenset()
                ),
                heavy=is_heavy(profile.table(table_plan.name), table_plan, plan.chunk_rows),
            )
        )
    return loads


def _parents(
    profile: Profile,
    table_plan: TablePlan,
    unordered: Sequence[tuple[str, ForeignKey]] = (),
) -> frozenset[str]:
    """Tables *table_plan*'s rows reference at load time (its FKs but the deferred ones, which
    are filled by update once every table is in, and a NOT NULL cycle's, which are off for the
    load: Sakila's staff <-> store would otherwise wait on each other)."""
    deferred = {tuple(fk.columns) for fk in table_plan.deferred_fks}
    deferred |= {tuple(fk.columns) for name, fk in unordered if name == table_plan.name}
    return frozenset(
        fk.ref_table
        for fk in profile.table(table_plan.name).foreign_keys
        if tuple(fk.columns) not in deferred
        and fk.ref_table != table_plan.name
    )
