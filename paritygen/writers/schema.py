"""The target schema: built from the profile, created, finished after the load, compared, emptied.

:func:`build_metadata` turns the profile's portable tables into SQLAlchemy Core for one target
dialect (types via :mod:`paritygen.writers.sqltypes`); what cannot be carried over is dropped and
recorded in ``metadata.info["notes"]`` (see :func:`schema_notes`).

Constraints and the load, measured with 1 M rows x 10 columns, PK + one index (2-core host shared
with other work, four runs per case): COPY then PK and index 5.0-6.4 s, with them in place
12.2-13.5 s; LOAD DATA with the PK in place and the index after 11.6-14.6 s, both in place
14.3-21.8 s, both after (adding a PK rebuilds the clustered table) 16.6-17.1 s. Hence each
database's ``Capabilities.deferred``: what :func:`create_tables` leaves out when
``constraints_after_load`` is on. :func:`finish_tables` adds whatever the metadata has and the
target lacks (so a rerun after a crash finishes the job), then moves sequences / identity /
AUTO_INCREMENT past the largest key. Nothing here names a database: what differs is read from
:mod:`paritygen.writers.capabilities`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paritygen.errors import ConfigError, LoadError
from paritygen.profile.model import Profile, Table
from paritygen.writers.capabilities import Capabilities, capabilities
from paritygen.writers.expressions import Dropped, safe_expression
from paritygen.writers.finish import db_reason, finish_tables, truncate_tables
from paritygen.writers.held import (
    LATE_CHECKS_KEY,
    detach_checks,
    drop_foreign_keys,
)
from paritygen.writers.index_exprs import add_special_index, is_special
from paritygen.writers.key_limits import (
    fit_key_type,
    keyed_columns,
    match_fk_types,
    referenced_columns,
)
from paritygen.writers.schema_diff import compare_schema, type_family
from paritygen.writers.sqltypes import (
    column_type,
    cut_identifier,
    portable_check,
    server_default,
)

log = logging.getLogger("paritygen")

__all__ = [
    "build_metadata",
    "compare_schema",
    "create_tables",
    "detach_checks",
    "drop_foreign_keys",
    "finish_tables",
    "schema_notes",
    "truncate_tables",
    "type_family",
]

NOTES_KEY = "notes"
"""``MetaData.info`` key of the list of notes (what was dropped in translation, and why)."""


def schema_notes(metadata: sa.MetaData) -> list[str]:
    """What :func:`build_metadata` could not carry over to the target, one line each."""
    return list(metadata.info.get(NOTES_KEY, []))


def build_metadata(
    profile: Profile, tables: Sequence[str] | None, dialect_name: str
) -> sa.MetaData:
    """The profile's *tables* (all when None) as SQLAlchemy Core for *dialect_name*."""
    caps = capabilities(dialect_name)
    target = caps.family
    source = profile.source.dialect
    limit = caps.max_identifier_length
    names = list(tables) if tables is not None else list(profile.tables)
    for name in names:
        if name not in profile.tables:
            known = ", ".join(profile.tables)
            raise ConfigError(f"no table {name!r} in the profile (has: {known})")
    metadata = sa.MetaData()
    notes: list[str] = []
    metadata.info[NOTES_KEY] = notes
    used_names: set[str] = set()
    enum_types: dict[str, sa.Enum] = {}
    in_cycle = _cycle_edges(profile, names)

    def unique_name(wanted: str, table: str) -> str:
        name = cut_identifier(wanted, limit)
        if name.lower() in used_names:
            name = cut_identifier(f"{table}_{wanted}", limit)
        base, n = name, 2
        while name.lower() in used_names:
            name = cut_identifier(f"{base}_{n}", limit)
            n += 1
        used_names.add(name.lower())
        return name

    same_family = capabilities(source).family == target
    pointed_at = referenced_columns({n: profile.table(n) for n in names})
    for name in names:
        spec = profile.table(name)
        table = sa.Table(cut_identifier(name, limit), metadata)
        keyed = keyed_columns(spec, pointed_at.get(name, set())) if not same_family else set()
        for col in spec.columns.values():
            enum_name = cut_identifier(col.enum_name or f"{name}_{col.name}", limit)
            type_ = column_type(col, source, target, enum_types, enum_name)
            if col.name in keyed:
                type_, note = fit_key_type(type_, col, caps)
                if note:
                    notes.append(f"{name}.{col.name}: {note}")
            default, note = server_default(col, source, target)
            if default is not None:
                default, note = _gated_default(default, col.default or "", target)
            if note:
                notes.append(f"{name}.{col.name}: {note}")
            if col.value_kind and capabilities(source).family != target:
                spelled = type_.compile(dialect=caps.dialect())
                notes.append(
                    f"{name}.{col.name}: {col.sql_type} has no {caps.display_name} equivalent;"
                    f" written as {spelled}"
                )
            column = sa.Column(
                cut_identifier(col.name, limit),
                type_,
                key=col.name,
                nullable=col.nullable and col.name not in spec.primary_key,
                server_default=default,
                autoincrement=False,
            )
            generated, refused = col.generated, None
            if generated and capabilities(source).family == target:
                try:
                    generated = safe_expression(
                        generated, target, target,
                        columns={c: cut_identifier(c, limit) for c in spec.columns},
                    )
                except Dropped as reason:
                    refused = str(reason)
            if generated and refused is None and capabilities(source).family == target:
                # The target computes it (GENERATED ALWAYS AS / AS (...) VIRTUAL): never written.
                column = sa.Column(
                    column.name,
                    type_,
                    sa.Computed(generated, persisted=col.generated_stored or None),
                    key=col.name,
                    nullable=column.nullable,
                )
            elif generated and refused is not None:
                notes.append(
                    f"{name}.{col.name}: generated column written as plain values (its"
                    f" expression {col.generated!r} was refused: {refused})"
                )
            elif generated:
                notes.append(
                    f"{name}.{col.name}: generated column written as plain values (its"
                    f" expression {generated!r} is not portable to {target})"
                )
            if col.autoincrement and col.logical_type == "integer" and not generated:
                if caps.identity_columns:
                    column = sa.Column(
                        column.name, type_, sa.Identity(always=False), key=col.name, nullable=False
                    )
                elif spec.primary_key[:1] == (col.name,):
                    column.autoincrement = True
            table.append_column(column)
        _add_constraints(table, spec, profile, names, in_cycle, unique_name, notes, caps, source)
    if not same_family:
        made = {n: metadata.tables[cut_identifier(n, limit)] for n in names}
        match_fk_types(made, {n: profile.table(n) for n in names})
    return metadata


def _add_constraints(
    table: sa.Table,
    spec: Table,
    profile: Profile,
    names: list[str],
    in_cycle: set[tuple[str, int]],
    unique_name,
    notes: list[str],
    caps: Capabilities,
    source: str,
) -> None:
    name = spec.name
    target = caps.family
    source_family = capabilities(source).family
    limit = caps.max_identifier_length
    if spec.primary_key:
        table.append_constraint(
            sa.PrimaryKeyConstraint(
                *(table.c[c] for c in spec.primary_key), name=unique_name(f"{name}_pkey", name)
            )
        )
    for uc in spec.unique_constraints:
        cols = [table.c[c] for c in uc.columns]
        wanted = uc.name or f"{name}_{'_'.join(uc.columns)}_key"
        prefix = _key_prefixes(cols, caps.index_key_chars)
        if prefix:
            notes.append(
                f"{name}: unique ({', '.join(uc.columns)}) checked on a prefix only "
                f"({', '.join(f'{c}: {n} chars' for c, n in prefix.items())};"
                f" {caps.display_name} key length limit)"
            )
        if uc.index or prefix:
            sa.Index(unique_name(wanted, name), *cols, unique=True, **_prefix_option(caps, prefix))
        else:
            table.append_constraint(sa.UniqueConstraint(*cols, name=unique_name(wanted, name)))
    for ix in spec.indexes:
        if is_special(ix):  # expressions or a predicate: parsed as data, same family only
            note = add_special_index(
                table, ix, caps, source_family, {c: table.c[c].name for c in spec.columns},
                lambda wanted: unique_name(wanted, name),
            )  # fmt: skip
            if note:
                notes.append(note)
            continue
        cols = [table.c[c] for c in ix.columns]
        kind = ix.kind if ix.kind in caps.index_kinds and source_family == target else None
        label = f"index ({', '.join(ix.columns)})"
        if ix.kind and kind is None:
            notes.append(f"{name}: {label} is {ix.kind} in the source, B-tree on {target}")
        unindexable = [c.name for c in cols if not caps.types.btree_indexable(c.type)]
        if unindexable and kind is None:
            notes.append(
                f"{name}: {label} dropped: {', '.join(unindexable)} has no default B-tree"
                f" operator class on {target}"
            )
            continue
        options = _prefix_option(caps, _key_prefixes(cols, caps.index_key_chars))
        if kind is not None and caps.index_kind_option is not None:
            options = {caps.index_kind_option: kind.upper()}  # no prefixes: not a B-tree
        sa.Index(
            unique_name(ix.name or f"{name}_{'_'.join(ix.columns)}_idx", name), *cols, **options
        )
    for i, fk in enumerate(spec.foreign_keys):
        if fk.ref_table not in names:
            notes.append(
                f"{name}: foreign key ({', '.join(fk.columns)}) -> {fk.ref_table} "
                "dropped: the referenced table is not among the tables written"
            )
            continue
        ref = table.metadata.tables.get(cut_identifier(fk.ref_table, limit))
        ref_name = ref.name if ref is not None else cut_identifier(fk.ref_table, limit)
        table.append_constraint(
            sa.ForeignKeyConstraint(
                [table.c[c] for c in fk.columns],
                [f"{ref_name}.{cut_identifier(c, limit)}" for c in fk.ref_columns],
                name=unique_name(fk.name or f"{name}_{'_'.join(fk.columns)}_fkey", name),
                ondelete=_action(fk.on_delete),
                onupdate=_action(fk.on_update),
                use_alter=(name, i) in in_cycle,
            )
        )
    preparer = caps.dialect().identifier_preparer
    columns = {c: table.c[c].name for c in spec.columns}
    for check in spec.checks:
        json_valid = _JSON_VALID.match(check.sqltext.strip())
        if json_valid and json_valid.group(1) in columns:
            # A JSON type validates its input (or adds this very CHECK itself); where it is
            # plain text, the target's own json_check keeps it valid.
            if caps.json_check is not None:
                quoted = preparer.quote(columns[json_valid.group(1)])
                check_sql = caps.json_check.format(column=quoted)
                table.append_constraint(sa.CheckConstraint(sa.text(check_sql)))
            continue
        text, note = _gated_check(check.sqltext, columns, source, target, preparer.quote)
        if note:
            notes.append(f"{name}: {note}")
            continue
        table.append_constraint(
            sa.CheckConstraint(
                sa.text(text), name=unique_name(check.name, name) if check.name else None
            )
        )


def _gated_default(
    default: sa.TextClause, original: str, target: str
) -> tuple[sa.TextClause | None, str | None]:
    """The default's text parsed and re-rendered for the target (writers/expressions.py), or
    dropped with the reason: a profile's text never reaches the database as written."""
    try:
        return sa.text(safe_expression(default.text, target, target)), None
    except Dropped as reason:
        return None, f"default {original} dropped: {reason}"


def _gated_check(
    sqltext: str, columns: dict[str, str], source: str, target: str, quote
) -> tuple[str | None, str | None]:
    """A CHECK for the target: translated by the parser (sqlglot) from the source's dialect,
    else by :func:`portable_check` and then parsed and re-rendered; else dropped with why."""
    try:
        return safe_expression(sqltext, capabilities(source).family, target, columns=columns), None
    except Dropped as first:
        text, note = portable_check(sqltext, columns, source, target, quote)
        if note:
            return None, note
        try:
            real = {c: c for c in columns.values()}
            return safe_expression(text, target, target, columns=real), None
        except Dropped:
            return None, f"check {sqltext!r} dropped: {first}"


_JSON_VALID = re.compile(r"^\(?json_valid\([`\"]?([^`\"()]+)[`\"]?\)\)?$", re.IGNORECASE)


def _action(action: str | None) -> str | None:
    if action is None or action.upper() in ("NO ACTION", "RESTRICT"):
        return None  # the default everywhere; RESTRICT is spelled differently per dialect
    return action.upper()


def _key_prefixes(cols: list[sa.Column], key_chars: int | None) -> dict[str, int]:
    """Index prefix lengths a target with a key length limit (*key_chars*, None: no limit)
    needs: TEXT / BLOB / JSON always take one, and string columns share *key_chars* when their
    declared lengths together exceed it."""
    if key_chars is None:
        return {}
    lengths: dict[str, int | None] = {}
    for col in cols:
        if isinstance(col.type, sa.Text | sa.LargeBinary | sa.JSON):
            lengths[col.name] = None
        elif isinstance(col.type, sa.String):
            lengths[col.name] = col.type.length
    if not lengths:
        return {}
    if all(n is not None for n in lengths.values()) and sum(lengths.values()) <= key_chars:
        return {}
    share = key_chars // len(lengths)
    return {
        name: share if n is None else min(n, share)
        for name, n in lengths.items()
        if n is None or n > share
    }


def _prefix_option(caps: Capabilities, prefix: dict[str, int]) -> dict[str, dict[str, int]]:
    """The SQLAlchemy dialect option that carries index prefix lengths, when there are any."""
    if not prefix or caps.index_prefix_option is None:
        return {}
    return {caps.index_prefix_option: prefix}


def _cycle_edges(profile: Profile, names: list[str]) -> set[tuple[str, int]]:
    """FKs (table, index) that close a cycle between distinct tables: created with use_alter so
    that every table exists before they are added. Self-references need no such care."""
    graph = {
        n: [
            fk.ref_table
            for fk in profile.table(n).foreign_keys
            if fk.ref_table in names and fk.ref_table != n
        ]
        for n in names
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component[member] = index[node]
                if member == node:
                    break

    for n in names:
        if n not in index:
            visit(n)
    return {
        (n, i)
        for n in names
        for i, fk in enumerate(profile.table(n).foreign_keys)
        if fk.ref_table in component
        and fk.ref_table != n
        and component[fk.ref_table] == component[n]
    }


# -- creating and finishing ----------------------------------------------------------------------
def create_tables(
    engine: Engine, metadata: sa.MetaData, *, constraints_after_load: bool | None = None
) -> None:
    """Create the tables (and enum types) of *metadata* that do not exist yet.

    With *constraints_after_load* (None: the writer's capability for this engine), what the
    database's ``Capabilities.deferred`` lists is left out, for :func:`finish_tables` to add.
    """
    if constraints_after_load is None:
        from paritygen.writers.base import open_writer

        constraints_after_load = open_writer(engine).constraints_after_load
    caps = capabilities(engine.dialect.name)
    deferred = caps.deferred
    try:
        _create_extensions(engine, metadata, caps)
        present = {t.lower() for t in sa.inspect(engine).get_table_names()}
        if not constraints_after_load or not deferred:
            _create_all(engine, metadata, caps, present)
            return
        stripped = sa.MetaData()
        late: list[sa.CheckConstraint] = []
        for table in metadata.sorted_tables:
            _stripped_copy(table, stripped, deferred)
            if "check" in deferred and table.name.lower() not in present:
                late += [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
        _create_all(engine, stripped, caps, present)
        metadata.info[LATE_CHECKS_KEY] = late
    except sa.exc.DBAPIError as exc:
        raise LoadError(f"creating tables failed: {db_reason(exc)}") from None


def _create_all(
    engine: Engine, metadata: sa.MetaData, caps: Capabilities, present: set[str]
) -> None:
    """``metadata.create_all``, in one round trip where the database allows (``batch_ddl``)
    and none of the tables exists yet: 240 tables were 480 statements (a lookup and a CREATE
    each). Any failure of the batch (an enum type left by an earlier run...) rolls it back
    whole and falls back to SQLAlchemy's statement-by-statement path, which skips what exists
    and reports a real error on its own statement."""
    tables = list(metadata.tables.values())
    if (
        caps.batch_ddl
        and tables
        and all(t.schema is None and t.name.lower() not in present for t in tables)
    ):
        statements: list[sa.schema.ExecutableDDLElement] = []
        mock = sa.create_mock_engine(engine.url, lambda sql, *_, **__: statements.append(sql))
        metadata.create_all(mock, checkfirst=False)
        text = ";\n".join(str(s.compile(dialect=engine.dialect)).strip() for s in statements)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(text)
            return
        except sa.exc.DBAPIError as exc:
            log.debug("creating the tables in one batch failed (%s); one by one", db_reason(exc))
    metadata.create_all(engine, checkfirst=True)


def _create_extensions(engine: Engine, metadata: sa.MetaData, caps: Capabilities) -> None:
    """Create the extensions that kept source types come from (``citext``, ``hstore``)."""
    wanted = sorted(
        {
            ext
            for table in metadata.tables.values()
            for col in table.columns
            if (ext := getattr(col.type, "extension", None))
        }
    )
    if not wanted or caps.create_extension_sql is None:
        return
    with engine.begin() as conn:
        q = conn.dialect.identifier_preparer
        for name in wanted:
            conn.exec_driver_sql(caps.create_extension_sql.format(name=q.quote(name)))


def _stripped_copy(table: sa.Table, into: sa.MetaData, deferred: frozenset[str]) -> sa.Table:
    columns = []
    for col in table.columns:
        copy = col._copy()
        if "primary_key" in deferred:
            copy.primary_key = False
            copy.nullable = col.nullable
        columns.append(copy)
    keep: list[sa.Constraint] = []
    for cons in table.constraints:
        if isinstance(cons, sa.CheckConstraint):
            if "check" not in deferred:
                keep.append(cons._copy())
        elif isinstance(cons, sa.UniqueConstraint) and "unique" not in deferred:
            keep.append(sa.UniqueConstraint(*(c.name for c in cons.columns), name=cons.name))
        elif isinstance(cons, sa.ForeignKeyConstraint) and "foreign_key" not in deferred:
            keep.append(cons._copy())
    if "primary_key" not in deferred and table.primary_key.columns:
        keep.append(
            sa.PrimaryKeyConstraint(
                *(c.name for c in table.primary_key.columns), name=table.primary_key.name
            )
        )
    copy = sa.Table(table.name, into, *columns, *keep, schema=table.schema)
    for ix in table.indexes:
        if ("unique" if ix.unique else "index") not in deferred:
            elements = [copy.c[e.key] if isinstance(e, sa.Column) else e for e in ix.expressions]
            made = sa.Index(
                ix.name, *elements, unique=ix.unique, _table=copy, **ix.dialect_kwargs
            )
            made.info.update(ix.info)
    return copy
