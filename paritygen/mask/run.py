"""``mask``: copy production into staging with every personal value pseudonymised.

The flow: read the key (refuse without one), take the profile (``--profile``, or a quick sampled
profile of the source for its schema and PII tags), merge the rules and build every masker
(errors before any row is read), refuse a target that is the source, then on the shared run stage
(:class:`~paritygen.run.stage.TargetRun`: production-name checks, schema, load, finish) load every
written table in dependency order: copied tables stream from ONE read-only snapshot of the source
through :class:`~paritygen.mask.copy.TableCopy`, generated tables come from the synthetic
generator with their FKs to copied parents moved onto real keys (:mod:`paritygen.mask.mixed`),
empty tables are only created. The summary counts rows, masked values and collisions per column.

A crash leaves the same state as a crashed ``generate``: rerun with ``--if-exists truncate`` and
the run starts the tables again and finishes with exact counts, or ``--resume`` to keep the
tables it completed (the run's :func:`fingerprint` must match).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from paritygen.db import resolve_url
from paritygen.errors import ConfigError, UnsafeTarget, safe_url
from paritygen.generate.plan import build_plan
from paritygen.mask.copy import ColumnCounts, MaskState, TableCopy
from paritygen.mask.keys import MaskKey, key_from_env
from paritygen.mask.passthrough import copy_raw, passes_through, raw_format
from paritygen.mask.rules import RulesFile, TableAction, plan_tables, read_rules
from paritygen.profile.io import profile_to_dict
from paritygen.profile.model import Profile, Table
from paritygen.run.load import TableLoad, TableSummary
from paritygen.run.stage import RunOptions, TargetRun


@dataclass(frozen=True)
class MaskSummary:
    """What a run wrote: rows per table and mode, masked values and collisions per column."""

    tables: dict[str, TableSummary]
    modes: dict[str, str]
    columns: dict[str, dict[str, ColumnCounts]]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def masked(self) -> int:
        return sum(c.masked for cols in self.columns.values() for c in cols.values())

    @property
    def collisions(self) -> int:
        return sum(c.collisions for cols in self.columns.values() for c in cols.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": {
                name: {
                    "mode": self.modes[name],
                    "rows": summary.rows,
                    "seconds": round(summary.seconds, 3),
                    "columns": {
                        column: dataclasses.asdict(counts)
                        for column, counts in self.columns.get(name, {}).items()
                        if counts.mode != "keep"
                    },
                }
                for name, summary in self.tables.items()
            },
            "rows": self.rows,
            "masked_values": self.masked,
            "collisions_resolved": self.collisions,
            "seconds": round(self.seconds, 3),
        }


def fingerprint(
    actions: dict[str, TableAction], key: MaskKey, seed: int, profile: Profile | None
) -> str:
    """What a resumed run must share with the run it finishes (``--resume``): the same tables,
    modes, maskers and parameters, seed, profile file (statistics of generated tables) and key,
    so kept tables and reloaded ones agree. The key enters as a keyed digest of a constant:
    another key is told apart, the key itself cannot be recovered from it."""
    plan = {
        name: [
            action.mode,
            {
                column: [
                    how.mode,
                    how.masker.signature() if how.masker is not None else None,
                    how.value,
                ]
                for column, how in action.columns.items()
            },
        ]
        for name, action in actions.items()
    }
    content = json.dumps(
        [
            plan,
            seed,
            profile_to_dict(profile) if profile is not None else None,
            key.digest("run/fingerprint", b"").hex(),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def refuse_source_as_target(source: sa.engine.URL, target: sa.engine.URL) -> None:
    """The target must not be the source: same server address and database (or SQLite file).
    Checked on the URLs before anything connects; the source is read in a read-only
    transaction in any case, so production is never written."""

    def where(url: sa.engine.URL) -> tuple[Any, ...]:
        if url.get_backend_name() == "sqlite":
            return ("sqlite", str(Path(url.database or "").resolve()))
        return (url.get_backend_name(), (url.host or "localhost").lower(), url.port, url.database)

    if where(source) == where(target):
        raise UnsafeTarget(
            f"the target {safe_url(target)} is the source database; mask writes into a"
            " separate staging database only"
        )


def mask_database(
    source: str,
    target: str,
    *,
    profile: Profile | None = None,
    rules: RulesFile | str | Path | None = None,
    key_env: str | None = None,
    tables: Sequence[str] | None = None,
    schema_mode: str = "auto",
    if_exists: str = "fail",
    allow_production_name: bool = False,
    progress: bool | None = None,
    chunk_rows: int | None = None,
    seed: int = 0,
    resume: bool = False,
    jobs: int | None = None,
) -> MaskSummary:
    """Copy *source* into *target* with PII masked, per the rules (see the module docstring).

    *jobs*: sessions loading tables, building keys and running ANALYZE side by side (None: the
    cores this process may use; 1: one table after another); the target is the same for any."""
    from paritygen.parallel import default_jobs
    from paritygen.profile.run import read_only_engine
    from paritygen.profile.stream import snapshot

    if if_exists == "append":
        raise ConfigError(
            "--if-exists append cannot apply to mask: production's rows would be copied twice"
        )
    key = key_from_env(key_env)  # first: no key, no connection
    began = time.perf_counter()
    source_url, target_url = resolve_url(source), resolve_url(target)
    refuse_source_as_target(source_url, target_url)
    rules_file = read_rules(rules) if isinstance(rules, str | Path) else rules
    # One engine reads the source's schema, then its rows: its pool, connection and dialect
    # set-up serve both (a second engine started them all again, one round trip after another,
    # before the first row). With a profile given, nothing connects before the rules are checked.
    source_engine = read_only_engine(source_url) if profile is None else None
    try:
        if profile is None:
            assert source_engine is not None  # made above for this
            profile = _schema_profile(source_engine, tables)
            given_profile = False
        else:
            given_profile = True
        actions = plan_tables(profile, rules_file, list(tables) if tables else None)
        generated = [n for n, a in actions.items() if a.mode == "generate"]
        if generated and not given_profile:
            raise ConfigError(
                f"table(s) {', '.join(generated)} are to be generated, which needs the"
                " statistics of a profile: pass --profile PROFILE"
            )
        written = [n for n, a in actions.items() if a.mode != "skip"]
        if not written:
            raise ConfigError("every table is skipped by the rules: nothing to write")
        options = RunOptions(
            schema_mode=schema_mode, if_exists=if_exists,
            allow_production_name=allow_production_name, progress=progress,
            source=source,  # the server is asked who both are: never write into the source
            resume=resume, jobs=default_jobs() if jobs is None else jobs,
            fingerprint=fingerprint(actions, key, seed, profile if given_profile else None),
        )  # fmt: skip
        state = MaskState(key=key, seed=seed)
        if source_engine is None:
            source_engine = read_only_engine(source_url)
        with TargetRun(profile, target_url, options) as run:
            mode = run.schema_mode(written)
            plan = build_plan(
                run.profile, tables=written, chunk_rows=chunk_rows,  # the target's constraints
                deferrable=run.fks_deferrable or mode == "existing",
            )  # fmt: skip
            metadata, _ = run.prepare_schema(written, mode, unordered_fks=plan.unordered_fks)
            with snapshot(source_engine) as source_snapshot:
                loads = _loads(
                    profile, actions, plan, metadata, state, source_snapshot, run, mode, seed
                )  # fmt: skip
                summary = run.load(metadata, loads, finish_early=True)
            for name in written:
                if actions[name].mode == "empty":
                    summary[name] = TableSummary(0, 0.0)
            run.finish(metadata)
    finally:
        if source_engine is not None:
            source_engine.dispose()
    ordered = {n: summary[n] for n in [t.name for t in plan.tables] if n in summary}
    return MaskSummary(
        tables=ordered,
        modes={n: actions[n].mode for n in ordered},
        columns=state.counts,
        seconds=time.perf_counter() - began,
    )


def _read(
    source: Any, copy: TableCopy, ref: str, columns: list, name: str, as_text: bool, bar: Any
) -> Iterator[pl.DataFrame]:
    """One copied table's masked chunks, read on a reader of the source snapshot."""
    from paritygen.profile.stream import stream_table

    with source.reader() as conn:
        yield from copy.chunks(stream_table(conn, ref, columns, name, as_text=as_text), bar)


def _schema_profile(engine: sa.Engine, tables: Sequence[str] | None) -> Profile:
    """The source's schema and PII tags (no statistics: mask copies the rows themselves)."""
    from paritygen.profile.schema_tags import schema_and_tags

    return schema_and_tags(engine, tables=list(tables) if tables else None)


def _loads(
    profile: Profile,
    actions: dict[str, TableAction],
    plan: Any,
    metadata: sa.MetaData,
    state: MaskState,
    source: Any,
    run: TargetRun,
    mode: str,
    seed: int,
) -> list[TableLoad]:
    """A :class:`TableLoad` per written table, in the plan's dependency order.

    Under ``--jobs`` the run stage loads tables side by side, each after its ``after`` set:
    its FK parents where the target checks FKs during the load; the copied parents a generated
    table reads keys from; and, for a masked table, the masked table before it, so tables that
    share pseudonyms (the caches and collision overrides of a masker signature) are masked in
    the same order in every run. Pass-through tables need no such order."""
    from paritygen.profile.dialects import quote_table

    target = run.engine
    parents_first = run.parents_first(mode)
    # Same kind of database on both sides: values travel as the server's own text.
    same_kind = source.conn.dialect.name == target.dialect.name
    raw = raw_format(source, run.writer) is not None
    copied = {n for n, a in actions.items() if a.mode == "mask"}
    generated = {n for n, a in actions.items() if a.mode == "generate"}
    synthetic: dict[str, TableLoad] = {}
    if generated:  # the synthetic generator's modules, only for a run that generates
        from paritygen.generate.keys import KeyFactory
        from paritygen.mask.mixed import ParentKeys, copied_parent_fks, wrap
        from paritygen.run.generate import table_loads

        only = dataclasses.replace(
            plan,
            tables=tuple(dataclasses.replace(t, generate=t.name in generated) for t in plan.tables),
        )
        keys = KeyFactory(profile, only, seed, {})
        parent_keys = ParentKeys(target, profile.tables)
        for load in table_loads(profile, only, keys, metadata, seed, parents_first=parents_first):
            fks = copied_parent_fks(profile.table(load.name), copied)
            if fks:
                load = dataclasses.replace(
                    load,
                    chunks=wrap(load.chunks, fks, parent_keys),
                    updates=[
                        dataclasses.replace(u, chunks=wrap(u.chunks, fks, parent_keys))
                        for u in load.updates
                    ],
                    after=load.after | {fk.ref_table for fk in fks},
                )
            synthetic[load.name] = load
    loads: list[TableLoad] = []
    masked_before: frozenset[str] = frozenset()
    for table_plan in plan.to_generate:
        name = table_plan.name
        action = actions[name]
        if action.mode == "generate":
            loads.append(synthetic[name])
            continue
        if action.mode != "mask":
            continue
        table = profile.table(name)
        after = _load_parents(table, table_plan, plan) if parents_first else frozenset()
        if raw and passes_through(action):
            columns = [table.columns[c] for c in action.columns]
            state.counts[name] = {c: ColumnCounts("keep") for c in action.columns}
            loads.append(
                TableLoad(
                    name=name,
                    rows=table.row_count,
                    chunks=lambda bar: iter(()),
                    write=lambda writer, target_table, bar, columns=columns, name=name: copy_raw(
                        source, writer, target_table, columns, name, bar
                    ),
                    after=after,
                )
            )
            continue
        copy = TableCopy(table, action, state, table.row_count, plan.chunk_rows)
        columns = [table.columns[c] for c in copy.read]
        ref = quote_table(source.conn, None, name)
        loads.append(
            TableLoad(
                name=name,
                rows=table.row_count,
                chunks=lambda bar, copy=copy, ref=ref, columns=columns, name=name: _read(
                    source, copy, ref, columns, name, same_kind, bar
                ),
                after=after | masked_before,
            )
        )
        masked_before = frozenset({name})
    return loads


def _load_parents(table: Table, table_plan: Any, plan: Any) -> frozenset[str]:
    """The tables a copied table's rows reference at load time: its FK parents but those filled
    after the load (deferred FKs) and a NOT NULL cycle's (off for the load)."""
    deferred = {tuple(fk.columns) for fk in table_plan.deferred_fks}
    deferred |= {tuple(fk.columns) for name, fk in plan.unordered_fks if name == table_plan.name}
    return frozenset(
        fk.ref_table
        for fk in table.foreign_keys
        if tuple(fk.columns) not in deferred and fk.ref_table != table_plan.name
    )


def summary_lines(summary: MaskSummary) -> list[str]:
    """The summary as the command prints it: a line per table, then the masked columns."""
    width = max((len(name) for name in summary.tables), default=5)
    lines = []
    for name, table in summary.tables.items():
        counts = summary.columns.get(name, {})
        masked = sum(c.masked for c in counts.values())
        collisions = sum(c.collisions for c in counts.values())
        lines.append(
            f"{name:<{width}}  {summary.modes[name]:<8}  {table.rows:>12,} rows"
            f"  {masked:>12,} masked  {collisions:>6,} collisions  {table.seconds:>8.2f} s"
        )
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    lines.append(
        f"{'total':<{width}}  {'':<8}  {summary.rows:>12,} rows  {summary.masked:>12,} masked"
        f"  {summary.collisions:>6,} collisions  {summary.seconds:>8.2f} s ({rate:,.0f} rows/s)"
    )
    for name, counts in summary.columns.items():
        for column, count in counts.items():
            if count.mode == "keep":
                continue
            how = f"{count.mode} {count.masker}" if count.masker else count.mode
            extra = f", {count.collisions:,} collisions resolved" if count.collisions else ""
            lines.append(f"  {name}.{column}: {how}, {count.masked:,} values{extra}")
    return lines
