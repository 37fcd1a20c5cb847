"""One run against one target: open and check it, prepare its schema, load, finish.

:class:`TargetRun` is the part every writing command shares (``generate`` today, ``mask`` and
scheduled jobs next). Used as a context manager it resolves the URL, applies the production
checks before connecting creates anything, opens the engine and the writer, and releases all of
it on every exit path. Its steps are called in order::

    with TargetRun(profile, url, options) as run:
        mode = run.schema_mode(selected)                   # create | existing
        metadata, full = run.prepare_schema(names, mode, unordered_fks=...)
        summary = run.load(loads)                           # list[TableLoad]
        run.finish(metadata)

Nothing in it knows how rows are made: a caller hands :class:`~paritygen.run.load.TableLoad`
objects whose chunks come from the generator or from a source database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paritygen.db import make_engine, resolve_url
from paritygen.errors import ConfigError, SchemaMismatch, safe_url
from paritygen.profile.keys import declared_only
from paritygen.profile.model import Profile
from paritygen.run.load import TableLoad, TableSummary, load_tables
from paritygen.run.progress import progress_on
from paritygen.run.target import (
    IF_EXISTS,
    SCHEMA_MODES,
    check_tables,
    refuse_production_like,
    resolve_mode,
)

log = logging.getLogger("paritygen")


@dataclass(frozen=True)
class RunOptions:
    """How a run treats its target (the writing commands' shared options)."""

    schema_mode: str = "auto"
    """create: build the tables; existing: fill tables that exist; auto: create when absent."""
    if_exists: str = "fail"
    """Tables that already hold rows: fail, truncate them first, or append to them."""
    allow_production_name: bool = False
    """Write even though a name says production (never into the source itself)."""
    progress: bool | None = None
    """Progress bars; None: only on a terminal."""
    create_virtual_fks: bool = False
    """Also create the profile's virtual keys (``rules:``) as constraints; by default they
    exist in the data only, as in production."""

    def __post_init__(self) -> None:
        if self.schema_mode not in SCHEMA_MODES:
            raise ConfigError(f"--schema-mode must be one of {', '.join(SCHEMA_MODES)}")
        if self.if_exists not in IF_EXISTS:
            raise ConfigError(f"--if-exists must be one of {', '.join(IF_EXISTS)}")


class TargetRun:
    """An open, checked target: its engine, its writer and the steps of a run (module doc)."""

    def __init__(self, profile: Profile, target: str | sa.engine.URL, options: RunOptions):
        # The target's schema: declared keys, plus the virtual ones only when asked for.
        self.profile = profile if options.create_virtual_fks else declared_only(profile)
        self.options = options
        self.url = resolve_url(target)
        self.engine: Engine | None = None
        self.writer: Any = None

    # -- opening and closing ------------------------------------------------------------------
    def __enter__(self) -> TargetRun:
        from paritygen.writers.base import open_writer

        refuse_production_like(self.url, self.options.allow_production_name)
        self.engine = make_engine(self.url)
        try:
            self.writer = open_writer(self.engine)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the writer's and the engine's resources (idempotent)."""
        self.writer = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    # -- the steps ------------------------------------------------------------------------------
    @property
    def fks_deferrable(self) -> bool:
        """True when FKs are not checked while loading in *create* mode: added after the load or
        off in the writer's session. In *existing* mode they are dropped and added back."""
        return not getattr(self.writer, "checks_fks_during_load", True) or bool(
            getattr(self.writer, "constraints_after_load", False)
        )

    def schema_mode(self, selected: Sequence[str]) -> str:
        """The concrete mode (create | existing) for the tables *selected*."""
        present = set(sa.inspect(self._engine).get_table_names())
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
            target_schema.create_tables(
                engine, metadata, constraints_after_load=self.writer.constraints_after_load
            )
            return metadata, []
        differences = target_schema.compare_schema(engine, self.profile, names)
        if differences:
            raise SchemaMismatch(
                f"the target's tables differ from the profile ({len(differences)}"
                f" difference(s)): {'; '.join(differences)}"
            )
        if_exists = self.options.if_exists
        full = check_tables(self.profile, engine, names, if_exists)
        if full and if_exists == "truncate":
            log.warning(
                "emptying %d table(s) in %s before loading: %s",
                len(full), safe_url(engine.url), ", ".join(full),
            )  # fmt: skip
            target_schema.truncate_tables(engine, subset(metadata, names))
        target_schema.detach_checks(engine, metadata)
        if unordered_fks and getattr(self.writer, "checks_fks_during_load", True):
            # A NOT NULL cycle (store <-> staff) loads in no order with its FKs in place:
            # they are dropped here and added back by finish_tables after the load.
            target_schema.drop_foreign_keys(engine, metadata, unordered_fks)
        return metadata, full if if_exists == "append" else []

    def load(self, metadata: sa.MetaData, loads: Sequence[TableLoad]) -> dict[str, TableSummary]:
        """Load every table through the writer (see :func:`paritygen.run.load.load_tables`)."""
        return load_tables(
            self.writer, metadata, loads, progress=progress_on(self.options.progress)
        )

    def finish(self, metadata: sa.MetaData) -> None:
        """Keys, indexes, FKs, CHECKs and sequences after the load."""
        from paritygen.writers import schema as target_schema

        target_schema.finish_tables(self._engine, metadata)

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("TargetRun used outside its with-block")
        return self.engine


def subset(metadata: sa.MetaData, names: Sequence[str]) -> sa.MetaData:
    """Metadata holding only *names* (truncate exactly the tables this run writes)."""
    part = sa.MetaData()
    for name in names:
        metadata.tables[name].to_metadata(part)
    return part
