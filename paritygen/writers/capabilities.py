"""What the write side knows about one database, as data: one frozen :class:`Capabilities` each.

The read side has :mod:`paritygen.profile.dialects`; this is its mirror for writing. Each
database module (:mod:`paritygen.writers.postgres`, :mod:`~paritygen.writers.mysql`,
:mod:`~paritygen.writers.sqlite`) builds one instance, every statement documented with a link to
the vendor's page, and hangs it on its writer class as ``caps``. The generic modules
(:mod:`~paritygen.writers.sqltypes`, :mod:`~paritygen.writers.schema`,
:mod:`~paritygen.writers.finish`, :mod:`~paritygen.writers.held`) read these fields and never
name a database; a database nobody registered gets :data:`GENERIC`, which is safe everywhere
SQLAlchemy reaches (constraints in place, ``DELETE`` to empty, no ANALYZE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paritygen.registry import writers

if TYPE_CHECKING:
    from paritygen.writers.schema_tool import SchemaTool
    from paritygen.writers.sqltypes import TypeMapper

DEFERRABLE = frozenset({"primary_key", "unique", "index", "foreign_key", "check"})
"""Everything :func:`paritygen.writers.schema.create_tables` can leave for after the load."""


def _generic_types() -> TypeMapper:
    from paritygen.writers.sqltypes import TypeMapper

    return TypeMapper()


@dataclass(frozen=True)
class Capabilities:
    """How one database is written to. Every field has a safe generic default."""

    family: str
    """Name shared by the dialects whose SQL text is interchangeable (``mysql`` for MariaDB and
    MySQL): a profile taken on one member keeps its own spellings on another."""
    aliases: tuple[str, ...] = ()
    """Other dialect names (SQLAlchemy's or a profile's) that belong to this family."""
    display_name: str = ""
    """How notes and errors name the database (``MariaDB/MySQL``)."""
    dialect: Callable[[], sa.engine.Dialect] = sa.engine.default.DefaultDialect
    """SQLAlchemy dialect class: its identifier preparer quotes names in hand-written SQL."""
    types: TypeMapper = field(default_factory=_generic_types)
    """Logical type -> SQLAlchemy type; overrides of the generic mapping live in the module."""
    bulk_path: str = "sqlalchemy executemany"
    """How rows reach the server (logged with each table's load)."""
    max_identifier_length: int = 63
    """Longest table / column / constraint name; longer ones are cut by
    :func:`paritygen.writers.sqltypes.cut_identifier`. 63 (PostgreSQL's) is a safe default."""
    constraints_after_load: bool = False
    """True when building keys and indexes after the load beats maintaining them row by row."""
    deferred: frozenset[str] = frozenset()
    """What ``create_tables`` leaves for ``finish_tables`` when constraints come after the load
    (a subset of :data:`DEFERRABLE`)."""
    checks_fks_during_load: bool = True
    """False when the load session turns FK checks off: tables then load in any order."""
    concurrent_sessions: bool = False
    """True when several sessions may load tables and build keys at once (``--jobs``); False
    where writers serialise (SQLite's one writer) or nobody has measured it (generic)."""
    single_float_words: frozenset[str] = frozenset({"real", "float4"})
    """Source type words that mean a 4-byte float in this family (MySQL's ``float`` is one)."""
    max_decimal_precision: int | None = None
    """Precision given to an unbounded source ``numeric`` (None: the target has unbounded)."""
    lob_defaults: bool = True
    """False when TEXT / BLOB / JSON columns cannot have a literal default."""
    index_key_chars: int | None = None
    """Characters of string columns one index may hold; longer keys get prefix lengths."""
    index_prefix_option: str | None = None
    """SQLAlchemy's ``Index`` keyword that carries those prefix lengths (``{column: chars}``)."""
    index_kinds: frozenset[str] = frozenset()
    """Index methods besides the B-tree this database builds (a profile's ``Index.kind``)."""
    index_kind_option: str | None = None
    """SQLAlchemy's ``Index`` keyword that carries the method (its value upper-cased)."""
    expression_indexes: bool = False
    """True when an index may have expressions among its elements (``lower(email)``); a
    profile's expression indexes are kept within the family only."""
    partial_index_option: str | None = None
    """SQLAlchemy's ``Index`` keyword carrying a partial index's predicate (None: the target
    has no partial indexes; a non-unique one is then built whole, with a note)."""
    json_check: str | None = None
    """CHECK that keeps a JSON column valid when the type itself does not (``{column}``)."""
    create_extension_sql: str | None = None
    """Creates the extension ``{name}`` (quoted) a kept source type needs (None: no such thing)."""
    identity_columns: bool = False
    """True: an auto-increment key is written ``GENERATED BY DEFAULT AS IDENTITY``; else the
    first primary key column carries the dialect's AUTO_INCREMENT / rowid alias."""
    alter_add_constraint: bool = True
    """False when keys and FKs cannot be added to an existing table (they come with it)."""
    combine_alter: bool = False
    """True: the keys and indexes added after the load go in one ``ALTER TABLE``, read once."""
    batch_ddl: bool = False
    """True: the DDL of one step goes as one multi-statement text, one round trip (a run's new
    tables and their types; a table's keys and indexes after the load, then its FKs): 240
    tables were ~1,000 statements. The DDL must be transactional, so a failure leaves
    nothing behind."""
    relaxed_commit_sql: str | None = None
    """Session statement a write run's connections start with so a commit does not wait for
    its flush to disk (a 240-table run commits ~500 times: each table's rows, its state row,
    its keys). Crash-safe still where the server replays its log in order: a server crash
    loses a tail of the run's commits, never a state row without the rows it records; the
    run's last state write is made durable by ``durable_commit_sql``, which flushes every
    commit before it. None: commits as the server is configured."""
    durable_commit_sql: str | None = None
    """Transaction statement that makes one commit wait for its flush (the run's last)."""
    fk_checks_off: tuple[str, ...] = ()
    """Session statements run while adding FKs and emptying tables, undone by ``fk_checks_on``."""
    fk_checks_on: tuple[str, ...] = ()
    drop_foreign_key_sql: str = "ALTER TABLE {table} DROP CONSTRAINT {name}"
    """Drops one FK constraint; ``{table}`` and ``{name}`` arrive quoted."""
    not_valid_suffix: str | None = None
    """Appended to ``ADD CONSTRAINT .. CHECK`` when existing rows fail it: kept for new rows."""
    analyze_sql: str | None = None
    """Refreshes the planner's statistics of ``{table}`` after the load (None: nothing to do)."""
    truncate_sql: str = "DELETE FROM {tables}"
    """Empties ``{tables}``: one quoted name, or several comma-separated with ``truncate_many``."""
    truncate_many: bool = False
    reflected_name: Callable[[str], str] = str
    """Turns a name as SQLAlchemy's reflection returns it into the name as stored (see
    :mod:`paritygen.writers.inspect`); the identity for dialects that reflect names exactly."""
    move_sequences: Callable[[Connection, sa.Table], None] | None = None
    """Moves the table's sequences / identity / AUTO_INCREMENT past its largest key."""
    validate_foreign_keys: Callable[[Connection, sa.Table], None] | None = None
    """Checks the table's FKs added without checking (``not_valid_suffix``) against its rows.
    Set: finishing with ``--jobs`` adds each FK unchecked (a moment's lock on both tables), then
    checks it under a lock that lets the parent's other FKs be checked at the same time (the
    orders' FK to customers beside the order lines' FK to orders); the end state is the same
    checked FK. None: FKs are checked as they are added."""
    statistics_beside_ddl: bool = False
    """A table's sequences and ANALYZE may run while other tables still build their keys and
    FKs (finishing with ``--jobs``): true where neither is an ALTER TABLE (PostgreSQL); else
    they wait for every table's keys (MariaDB's AUTO_INCREMENT is an ALTER, and concurrent
    ALTERs on InnoDB tables hung on each other's locks)."""
    schema_tool: SchemaTool | None = None
    """The database's own read-only dump tool that builds the target's schema from a source of
    the same family (``generate --schema-from``); None: not offered for this database."""

    def names(self) -> tuple[str, ...]:
        """Every dialect name of this family."""
        return (self.family, *self.aliases)


def capabilities(dialect_name: str) -> Capabilities:
    """The capabilities registered for *dialect_name* (SQLAlchemy's name or a profile's source
    dialect, any case); :data:`GENERIC` with that family name when no writer claims it."""
    from paritygen.writers import BUILTIN_MODULES, load_builtin

    wanted = dialect_name.lower()
    load_builtin(wanted)
    for _ in range(2):
        for name in writers:
            caps = getattr(writers.get(name), "caps", None)
            if caps is not None and (wanted in caps.names() or wanted == name):
                return caps
        if wanted in BUILTIN_MODULES:
            break
        load_builtin()  # an alias a built-in declares: look once more with all of them
    return Capabilities(family=wanted, display_name=wanted, types=GENERIC.types)


def family(dialect_name: str) -> str:
    """The family of a dialect name; unknown names are their own family."""
    return capabilities(dialect_name).family


GENERIC = Capabilities(family="generic", display_name="a generic SQLAlchemy database")
"""What an unregistered database gets: constraints in place, DELETE to empty, no ANALYZE."""
