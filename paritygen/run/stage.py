"""One run against one target: check it, lock it, prepare its schema, load, finish, record.

:class:`TargetRun` is the part every writing command shares (``generate`` today, ``mask`` and
scheduled jobs next). Entering it, in this order and before anything is written:

1. the production-name guard on every URL part that can choose a database
   (:mod:`paritygen.run.guard`), before connecting;
2. connect (``--create-database`` creates a missing database), ask the server who it is, and
   refuse the profiled source or ``--source`` whatever the flags, and a production name the
   server reports;
3. take the target's lock (:mod:`paritygen.run.lock`), else exit 3 naming the holder;
4. sweep the writer's temporary files left by a killed run;
5. read the state an earlier run left (:mod:`paritygen.run.state`) and record this one.

Then the caller's steps::

    with TargetRun(profile, url, options) as run:
        mode = run.schema_mode(selected)                   # create | existing
        metadata, appended = run.prepare_schema(names, mode, unordered_fks=...)
        summary = run.load(metadata, loads)                # list[TableLoad]
        run.finish(metadata)

Leaving the block, normally or not (an error, Ctrl-C, SIGTERM), records the outcome in the
state table, removes temporary files and releases the lock and the engine.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paritygen.db import make_engine, open_target_engine, resolve_url
from paritygen.errors import ConfigError, LoadError, SchemaMismatch, UnsafeTarget, safe_url
from paritygen.profile.identity import ServerIdentity, server_identity
from paritygen.profile.keys import declared_only
from paritygen.profile.model import Profile
from paritygen.run.faults import fault_point
from paritygen.run.guard import refuse_production_names, refuse_source, url_names, user_patterns
from paritygen.run.load import TableLoad, TableSummary, load_tables
from paritygen.run.lock import TargetLock
from paritygen.run.progress import progress_on
from paritygen.run.state import (
    STATE_TABLE,
    Holder,
    PreviousRun,
    RunState,
    read_state,
)
from paritygen.run.target import IF_EXISTS, SCHEMA_MODES, check_tables, resolve_mode

log = logging.getLogger("paritygen")


@dataclass(frozen=True)
class RunOptions:
    """How a run treats its target (the writing commands' shared options)."""

    schema_mode: str = "auto"
    """create: build the tables; existing: fill tables that exist; auto: create when absent."""
    if_exists: str = "fail"
    """Tables that already hold rows: fail, truncate them first, or append to them."""
    resume: bool = False
    """Finish an unfinished run: keep its complete tables, reload the others."""
    allow_production_name: bool = False
    """Write even though a name says production (never into the source itself)."""
    source: str | None = None
    """The production URL (``--source``): refused as a target, whatever the flags."""
    create_database: bool = False
    """Create the target database when the server lacks it."""
    fingerprint: str | None = None
    """The run's settings (profile, seed, scale, tables): ``--resume`` needs the same."""
    progress: bool | None = None
    """Progress bars; None: only on a terminal."""
    create_virtual_fks: bool = False
    """Also create the profile's virtual keys (``rules:``) as constraints; by default they
    exist in the data only, as in production."""
    jobs: int = 1
    """Sessions loading tables (and building keys, ANALYZE) side by side; 1: one by one, in
    plan order. The tables' contents are the same for any value."""

    def __post_init__(self) -> None:
        if self.schema_mode not in SCHEMA_MODES:
            raise ConfigError(f"--schema-mode must be one of {', '.join(SCHEMA_MODES)}")
        if self.if_exists not in IF_EXISTS:
            raise ConfigError(f"--if-exists must be one of {', '.join(IF_EXISTS)}")
        if self.resume and self.if_exists == "append":
            raise ConfigError("--resume and --if-exists append cannot be combined")
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise ConfigError(f"--jobs must be a whole number of at least 1, not {self.jobs!r}")


class TargetRun:
    """An open, checked, locked target: its engine, its writer and the steps of a run."""

    def __init__(self, profile: Profile, target: str | sa.engine.URL, options: RunOptions):
        # The target's schema: declared keys, plus the virtual ones only when asked for.
        self.profile = profile if options.create_virtual_fks else declared_only(profile)
        self.options = options
        self.url = resolve_url(target)
        self.engine: Engine | None = None
        self.writer: Any = None
        self.identity: ServerIdentity | None = None
        self.previous: PreviousRun | None = None
        self.state: RunState | None = None
        self.skip: set[str] = set()
        """Tables complete in the unfinished run being resumed: not loaded again."""
        self.keys_after_load = False
        """Keys, unique constraints and FKs come after the load from outside the profile
        (``--schema-from``'s dump): the existing-mode check does not ask for them."""
        self._lock: TargetLock | None = None
        self._sigterm: Any = None
        self._finished = False
        self._finished_early = False

    # -- opening and closing ------------------------------------------------------------------
    def __enter__(self) -> TargetRun:
        from paritygen.writers.base import open_writer, relax_commits

        options = self.options
        patterns = user_patterns()
        refuse_production_names(
            url_names(self.url), self.url, options.allow_production_name, patterns
        )
        source = _source_identity(options.source) if options.source else None
        self.engine = open_target_engine(self.url, create=options.create_database)
        self._durable_sql = relax_commits(self.engine)
        try:
            with self.engine.connect() as conn:
                self.identity = server_identity(conn)
            refuse_source(self.identity, self.url, self.profile.source.identity, source)
            if self.identity is not None and self.identity.dialect != "sqlite":
                refuse_production_names(
                    [self.identity.database], self.url, options.allow_production_name, patterns
                )
            self._lock = TargetLock(self.engine, self.identity)
            self._lock.acquire(holder=self._holder)
            self._catch_sigterm()
            self.writer = open_writer(self.engine)
            sweep = getattr(self.writer, "sweep", None)
            if sweep is not None:
                sweep()
            self.previous = read_state(self.engine)
            self._check_previous()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self.state is not None and not self._finished:
                detail = str(exc) if exc is not None else None
                if getattr(exc, "detail", None):
                    detail = f"{detail}; {exc.detail}"
                self.state.finish("failed", detail)
        except sa.exc.DBAPIError:
            pass  # the target went away: the next run sees "running" and recovers the same way
        finally:
            self.close()

    def close(self) -> None:
        """Release temporary files, the lock and the engine (idempotent)."""
        if self.writer is not None:
            cleanup = getattr(self.writer, "close", None)
            if cleanup is not None:
                cleanup()
            self.writer = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)
            self._sigterm = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def _catch_sigterm(self) -> None:
        """SIGTERM (systemd, docker stop, kill) ends the run like Ctrl-C: the finally blocks
        run, temporary files go, the state says "failed". Main thread only."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return

        def interrupt(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        self._sigterm = signal.signal(signal.SIGTERM, interrupt)

    def _holder(self) -> str:
        try:
            previous = read_state(self._engine)
        except sa.exc.DBAPIError:
            previous = None
        if previous is None or previous.status != "running":
            return "holder not yet recorded"
        return previous.holder.describe()

    def _check_previous(self) -> None:
        """Read-only: what an unfinished earlier run means for this one (refuse, resume, or
        start over), decided before anything is written."""
        previous, options = self.previous, self.options
        if previous is not None and previous.unfinished:
            where = f"{previous.holder.describe()}, {previous.status}"
            if options.resume:
                if previous.fingerprint != options.fingerprint:
                    raise ConfigError(
                        f"--resume: the unfinished run ({where}) used another profile, seed,"
                        " scale or table list; rerun with --if-exists truncate to start over"
                    )
                self.skip = previous.complete()
            elif options.if_exists != "truncate":
                raise UnsafeTarget(
                    f"an earlier run did not finish ({where}); rerun with --if-exists truncate"
                    " to start over, or --resume to keep its complete tables"
                )
        elif options.resume:
            log.warning("--resume: no unfinished run in the target; running in full")

    def _start_state(self) -> None:
        """Record this run as running in the state table, just before its first write to the
        tables (a run refused before that leaves the state as it found it)."""
        if self.state is not None:
            return
        previous, keep = self.previous, {}
        if previous is not None and previous.unfinished and self.options.resume:
            keep = {t: (s, t in previous.created) for t, s in previous.tables.items()}
        self.state = RunState(
            self._engine, Holder.me(), self.options.fingerprint,
            durable_sql=self._durable_sql,
        )  # fmt: skip
        self.state.start(keep)

    def _drop_debris(self, previous: PreviousRun) -> None:
        """Drop the tables an unfinished run created (partial rows, keys not yet added): the
        run then creates them afresh, exactly as the first time."""
        present = {t.lower(): t for t in sa.inspect(self._engine).get_table_names()}
        debris = [present[t.lower()] for t in previous.created if t.lower() in present]
        if not debris:
            return
        log.warning(
            "dropping %d table(s) left by the unfinished run (%s): %s",
            len(debris), previous.holder.describe(), ", ".join(sorted(debris)),
        )  # fmt: skip
        drop_tables(self._engine, debris)

    # -- the steps ------------------------------------------------------------------------------
    @property
    def fks_deferrable(self) -> bool:
        """True when FKs are not checked while loading in *create* mode: added after the load or
        off in the writer's session. In *existing* mode they are dropped and added back."""
        return not getattr(self.writer, "checks_fks_during_load", True) or bool(
            getattr(self.writer, "constraints_after_load", False)
        )

    def parents_first(self, mode: str) -> bool:
        """True when a table's FK parents must hold their rows before it loads (the target
        checks FKs during the load); tables loading side by side then wait for their parents.
        False when FKs are added after the load or not checked in the writer's session."""
        if not getattr(self.writer, "checks_fks_during_load", True):
            return False
        return mode == "existing" or not getattr(self.writer, "constraints_after_load", False)

    def schema_mode(self, selected: Sequence[str]) -> str:
        """The concrete mode (create | existing) for the tables *selected*. The run's first
        step: after an unfinished run, ``--if-exists truncate`` first drops the tables that run
        created (see :meth:`_drop_debris`)."""
        previous = self.previous
        if previous is not None and previous.unfinished and not self.options.resume:
            self._drop_debris(previous)
            self.previous = PreviousRun(previous.status, previous.holder, previous.fingerprint)
        present = set(sa.inspect(self._engine).get_table_names()) - {STATE_TABLE}
        return resolve_mode(self.options.schema_mode, selected, present)

    def prepare_schema(
        self,
        names: Sequence[str],
        mode: str,
        *,
        unordered_fks: Sequence[Any] = (),
    ) -> tuple[sa.MetaData, list[str]]:
        """Build the target metadata of *names*; create the tables (create mode) or check and
        prepare the existing ones (existing mode: same schema, rows handled per ``if_exists``,
        CHECKs detached, FKs of a NOT NULL cycle dropped). Returns (metadata, tables that held
        rows and were kept, for an append)."""
        from paritygen.writers import schema as target_schema

        engine = self._engine
        metadata = target_schema.build_metadata(self.profile, names, engine.dialect.name)
        if mode != "existing":
            for note in target_schema.schema_notes(metadata):
                log.warning("%s", note)
            self._start_state()
            state = self._state
            state.tables(list(names), created=True)
            present = set(sa.inspect(engine).get_table_names())
            try:
                target_schema.create_tables(
                    engine, metadata, constraints_after_load=self.writer.constraints_after_load
                )
            except (LoadError, sa.exc.DBAPIError):
                # All or nothing: where DDL is not transactional (MariaDB), drop what was made.
                drop_tables(engine, [t for t in names if t not in present])
                raise
            fault_point("after-create")
            return metadata, []
        resuming = self.previous is not None and self.previous.unfinished
        # Tables an unfinished run created lack the keys, indexes and FKs it had not yet added
        # (finish() adds them); tables it filled may lack the cycle FKs it dropped for its load.
        ours = self.previous.created if resuming and self.previous else frozenset()
        present = {t.lower() for t in sa.inspect(engine).get_table_names()}
        # ``auto`` fills the tables the target has and creates the ones it lacks (a table new
        # in production since staging was made); ``existing`` names them as differences.
        create = (
            [n for n in names if n.lower() not in present]
            if self.options.schema_mode == "auto"
            else []
        )
        differences = [f"{n}: table missing in target" for n in ours
                       if n in names and n.lower() not in present]  # fmt: skip
        differences += target_schema.compare_schema(
            engine,
            self.profile,
            [n for n in names if n not in ours and n not in create],
            keys=not self.keys_after_load,
        )
        differences = [d for d in differences if not any(d.startswith(f"{n}:") for n in create)]
        if resuming:
            differences = [d for d in differences if ": foreign key (" not in d]
        if differences:
            raise SchemaMismatch(
                f"the target's tables differ from the profile ({len(differences)}"
                f" difference(s)): {'; '.join(differences)}"
            )
        to_load = [n for n in names if n not in self.skip]
        resumed = self.options.resume and self.previous is not None and self.previous.unfinished
        if_exists = "truncate" if resumed else self.options.if_exists
        full = check_tables(
            self.profile, engine, [n for n in to_load if n not in create], if_exists
        )
        self._start_state()
        state = self._state
        if not resumed:
            state.tables([n for n in names if n not in create], created=False)
        if create:
            log.warning("creating %d table(s) the target lacks: %s", len(create), ", ".join(create))
            state.tables(create, created=True)  # debris of this run if it stops
            # Keys and FKs inline: the existing tables' rows are loaded parents first.
            target_schema.create_tables(engine, metadata, constraints_after_load=False)
        if full and if_exists == "truncate":
            log.warning(
                "emptying %d table(s) in %s before loading: %s",
                len(full), safe_url(engine.url), ", ".join(full),
            )  # fmt: skip
            # Only the tables that hold rows: a subset of the metadata would lose the FK parents
            # its sort needs (a resumed run with the parent complete and the child partial).
            target_schema.truncate_tables(engine, metadata, only=full)
        target_schema.detach_checks(engine, metadata)
        if unordered_fks and getattr(self.writer, "checks_fks_during_load", True):
            # A NOT NULL cycle (store <-> staff) loads in no order with its FKs in place:
            # they are dropped here and added back by finish_tables after the load.
            target_schema.drop_foreign_keys(engine, metadata, unordered_fks)
        return metadata, full if if_exists == "append" else []

    def load(
        self, metadata: sa.MetaData, loads: Sequence[TableLoad], *, finish_early: bool = False
    ) -> dict[str, TableSummary]:
        """Load every table not already complete (see :func:`paritygen.run.load.load_tables`),
        recording each table's progress in the state table.

        *finish_early*: each table's keys, FKs and statistics are built as soon as the tables
        they need are in, beside the other tables' loads (where the target can:
        :func:`paritygen.writers.finish.early_finish_units`); :meth:`finish` then adds only
        what remains. The target is the same either way."""
        from paritygen.writers.finish import early_finish_units

        state = self._state
        todo = [t for t in loads if t.name not in self.skip]
        if self.skip:
            log.warning(
                "--resume: %d table(s) complete in the earlier run are kept: %s",
                len(self.skip), ", ".join(sorted(self.skip)),
            )  # fmt: skip
        jobs = self.options.jobs
        early = early_finish_units(self._engine, metadata, jobs) if finish_early else None
        self._finished_early = early is not None
        return load_tables(
            self.writer, metadata, todo, progress=progress_on(self.options.progress),
            on_loaded=lambda name, rows: state.table(name, "loaded", rows),
            on_complete=lambda name, rows: state.table(name, "complete", rows),
            jobs=self.options.jobs, finish=early or (),
        )  # fmt: skip

    def finish(self, metadata: sa.MetaData) -> None:
        """Keys, indexes, FKs, CHECKs and sequences after the load (only the CHECKs added late,
        and where the target needs them after those the sequences and statistics, when the load
        built the rest: ``finish_early``); the run is then complete."""
        from paritygen.writers import finish as target_finish

        fault_point("before-finish")
        if self._finished_early:
            target_finish.finish_after_early(self._engine, metadata, jobs=self.options.jobs)
        else:
            target_finish.finish_tables(self._engine, metadata, jobs=self.options.jobs)
        self._state.finish("complete")
        self._finished = True

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("TargetRun used outside its with-block")
        return self.engine

    @property
    def _state(self) -> RunState:
        if self.state is None:
            raise RuntimeError("TargetRun used outside its with-block")
        return self.state


def _source_identity(source: str) -> ServerIdentity | None:
    """The ``--source`` database's identity (one read-only round trip)."""
    engine = make_engine(source)
    try:
        with engine.connect() as conn:
            return server_identity(conn)
    finally:
        engine.dispose()


def drop_tables(engine: Engine, names: Sequence[str]) -> None:
    """Drop *names* (tables paritygen made), FKs between them first, as SQLAlchemy orders it."""
    present = {t.lower(): t for t in sa.inspect(engine).get_table_names()}
    names = [present[n.lower()] for n in names if n.lower() in present]
    if not names:
        return
    reflected = sa.MetaData()
    reflected.reflect(engine, only=names)
    reflected.drop_all(engine, checkfirst=True)
