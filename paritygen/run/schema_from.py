"""``--schema-from SOURCE_URL``: production's whole schema in staging, built by the database's tool.

A profile carries tables, keys, indexes and CHECKs, not views, triggers, routines, rules or
events (``profile.not_carried``). With ``--schema-from`` the run builds the target's schema with
the database's own read-only dump tool (``pg_dump --schema-only``, ``mariadb-dump --no-data``;
:attr:`~paritygen.writers.capabilities.Capabilities.schema_tool`), then loads the rows into
that schema (existing schema mode, its differences from the profile listed before any row is
written). On a :class:`~paritygen.run.stage.TargetRun`, so ``generate`` uses it today and
``mask`` and jobs can later::

    with TargetRun(profile, target, options) as run, SchemaFrom(source_url) as schema:
        run.schema_mode(selected)            # an unfinished run's debris goes first
        schema.build(run)                    # dump the source, restore the first part
        ...prepare_schema(names, "existing"), load...
        schema.after_load()                  # triggers, events (and keys), once rows are in
        run.finish(metadata)

Checks before anything is read or written: the source and the target are of one database
family (a dump is not portable: one line says so), the source passes the same identity guard as
``--source`` (the target is never the source), and tables of the target holding rows are only
replaced with ``--if-exists truncate``. The source is only read: the tools read its catalog.
Triggers and events are restored after the load, so none fires on the rows paritygen writes;
into an empty target, keys and indexes too where the tool can (``SchemaTool.keys_after_load``,
then ``TargetRun.keys_after_load`` tells the existing-mode check not to ask for them yet).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from paritygen.db import make_engine, resolve_url
from paritygen.errors import ConfigError, UnsafeTarget, safe_url
from paritygen.profile.identity import server_identity
from paritygen.run.guard import refuse_source
from paritygen.run.stage import TargetRun
from paritygen.run.state import STATE_TABLE
from paritygen.writers.capabilities import capabilities
from paritygen.writers.schema_tool import SchemaTool, private_folder, schema_tool

log = logging.getLogger("paritygen")


def check_options(*, tables: Any, if_exists: str, schema_mode: str) -> None:
    """Options that cannot go with ``--schema-from``, refused before anything is opened."""
    if tables:
        raise ConfigError(
            "--schema-from rebuilds every table of the source, so it cannot be combined with"
            " --tables"
        )
    if if_exists == "append":
        raise ConfigError(
            "--schema-from rebuilds the tables, so it cannot be combined with --if-exists append"
        )
    if schema_mode == "create":
        raise ConfigError(
            "--schema-from builds the schema with the database's dump tool; drop --schema-mode"
            " create (the rows then go into that schema)"
        )


class SchemaFrom:
    """The source's schema, dumped once into a private folder and restored around the load."""

    def __init__(self, source: str | sa.engine.URL):
        self.url = resolve_url(source)
        self.folder: Path | None = None
        self.tool: SchemaTool | None = None
        self.target: sa.engine.URL | None = None
        self.keys_later = False
        """Keys, indexes and FKs are built after the load (an empty target)."""

    def __enter__(self) -> SchemaFrom:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Remove the dump (it holds production's schema, never rows)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def build(self, run: TargetRun) -> None:
        """Check, dump the source, and restore everything but triggers and events into the
        target of *run*. After an unfinished run resumed with ``--resume``, that run's schema
        (and its complete tables) are kept; only the triggers come after the load."""
        engine = run.engine
        if engine is None:
            raise RuntimeError("SchemaFrom.build needs an open TargetRun")
        target_caps = capabilities(engine.dialect.name)
        source = make_engine(self.url)
        try:
            source_caps = capabilities(source.dialect.name)
            if source_caps.family != target_caps.family:
                raise ConfigError(
                    f"--schema-from {safe_url(self.url)} is {source_caps.display_name} and the"
                    f" target is {target_caps.display_name}: a dump only rebuilds its own"
                    " database's schema; drop --schema-from to build the tables from the profile"
                )
            with source.connect() as conn:
                identity = server_identity(conn)
        finally:
            source.dispose()
        refuse_source(run.identity, run.url, None, identity)
        tool = schema_tool(engine.dialect.name)
        previous = run.previous
        keep = bool(run.options.resume and previous is not None and previous.unfinished)
        if not keep:
            self._check_rows(run, tool.all_schemas)
        # Into an empty target (or finishing such a run) keys, indexes and FKs are built once
        # over the loaded rows where the tool can; a rebuild over an existing schema replaces
        # it whole first (its drops must go in dependency order) and adds only the triggers.
        fresh = keep or not _target_tables(engine, tool.all_schemas)
        self.keys_later = tool.keys_after_load and fresh
        run.keys_after_load = self.keys_later
        self.tool, self.target = tool, run.url
        self.folder = private_folder()
        log.warning(
            "reading the schema of %s with %s", safe_url(self.url), tool.description
        )
        tool.dump(self.url, self.folder, [STATE_TABLE])
        if keep:
            log.warning("--resume: the schema the unfinished run built is kept")
            return
        later = "keys, indexes, triggers" if self.keys_later else "triggers and events"
        log.warning("building that schema in %s (%s after the load)", safe_url(run.url), later)
        tool.restore_before(run.url, self.folder, self.keys_later)

    def after_load(self) -> None:
        """Restore the triggers and events, now that the rows are in."""
        if self.tool is None or self.folder is None or self.target is None:
            return
        self.tool.restore_after(self.target, self.folder, self.keys_later)

    @staticmethod
    def _check_rows(run: TargetRun, all_schemas: bool) -> None:
        """The dump replaces tables of its names: ones holding rows only with ``truncate``
        (every schema's when the dump holds every schema)."""
        engine = run.engine
        assert engine is not None
        full = _tables_with_rows(engine, all_schemas)
        if not full:
            return
        if run.options.if_exists != "truncate":
            raise UnsafeTarget(
                f"target {safe_url(run.url)} already holds rows in {', '.join(full)};"
                " --schema-from replaces the tables the source has: pass --if-exists truncate"
                " to let it"
            )
        log.warning(
            "--schema-from replaces the tables of the source's schema in %s; these hold rows: %s",
            safe_url(run.url), ", ".join(full),
        )  # fmt: skip


SYSTEM_SCHEMAS = ("information_schema",)
"""The SQL standard's catalog schema, which SQLAlchemy lists and no dump replaces."""


def _target_tables(engine: sa.engine.Engine, all_schemas: bool) -> list[tuple[str | None, str]]:
    """(schema, table) of the target's tables a dump may replace (schema None: the default)."""
    inspector = sa.inspect(engine)
    schemas: list[str | None] = [None]
    if all_schemas:
        default = inspector.default_schema_name
        schemas += [s for s in inspector.get_schema_names()
                    if s != default and s.lower() not in SYSTEM_SCHEMAS]  # fmt: skip
    return [(schema, name) for schema in schemas for name in inspector.get_table_names(schema)
            if not (schema is None and name == STATE_TABLE)]  # fmt: skip


def _tables_with_rows(engine: sa.engine.Engine, all_schemas: bool) -> list[str]:
    """Tables of the target holding a row (``schema.table`` outside the default schema)."""
    full = []
    with engine.connect() as conn:
        for schema, name in _target_tables(engine, all_schemas):
            table = sa.table(name, schema=schema)
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                full.append(f"{schema}.{name}" if schema else name)
    return full
