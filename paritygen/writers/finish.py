"""After the load, and before a reload: what the target needs once rows are in.

``finish_tables`` adds the keys, indexes, FKs and CHECKs that ``create_tables`` deferred (building
them once beats maintaining them row by row), moves sequences past the largest key and refreshes
the planner's statistics; ``truncate_tables`` empties tables for a rerun in FK-safe order. Split
from :mod:`paritygen.writers.schema`, which builds the tables. How each step is spelled comes from
the target's :class:`~paritygen.writers.capabilities.Capabilities`; nothing here names a database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from paritygen.errors import LoadError
from paritygen.writers.capabilities import Capabilities, capabilities
from paritygen.writers.held import add_late_checks
from paritygen.writers.index_exprs import BY_NAME, OPTIONAL
from paritygen.writers.inspect import Snapshot, TargetInspector

log = logging.getLogger("paritygen")


def finish_tables(engine: Engine, metadata: sa.MetaData, *, jobs: int = 1) -> None:
    """Add the PK, unique constraints, indexes and FKs of *metadata* the target lacks, then move
    every sequence / identity / AUTO_INCREMENT past the largest key so the application can
    insert rows of its own afterwards, and refresh the planner's statistics.

    With ``jobs > 1`` on a target with ``concurrent_sessions``, tables are finished side by side
    on up to *jobs* sessions (:func:`_finish_side_by_side`); else in one transaction."""
    caps = capabilities(engine.dialect.name)
    if jobs > 1 and caps.concurrent_sessions and len(metadata.tables) > 1:
        _finish_side_by_side(engine, metadata, caps, jobs)
        return
    try:
        with engine.begin() as conn, _no_fk_checks(conn, caps):
            inspector = TargetInspector(conn)
            inspector = TargetInspector(conn, inspector.snapshot(metadata.sorted_tables))
            for foreign_keys in (False, True):
                for table in metadata.sorted_tables:
                    ddl = _missing_ddl(inspector, table, caps, foreign_keys=foreign_keys)
                    _run_ddl(conn, table, ddl, caps)
            add_late_checks(conn, metadata, caps)
            for table in metadata.sorted_tables:
                _move_sequences(conn, table, caps)
                _analyze(conn, table, caps)
    except sa.exc.DBAPIError as exc:
        raise finish_error(exc) from None


def _finish_side_by_side(
    engine: Engine, metadata: sa.MetaData, caps: Capabilities, jobs: int
) -> None:
    """:func:`finish_tables` as units on up to *jobs* sessions (:func:`_finish_units`), each
    its own transaction (a rerun after a crash adds what is still missing, as for the
    one-transaction path); CHECKs added late run in one session after them."""
    from paritygen.parallel import run_units

    with _finish_errors():
        units, statistics_units = _finish_units(engine, metadata, caps)
        if caps.statistics_beside_ddl:
            run_units(units + statistics_units, jobs)
        else:
            run_units(units, jobs)
        finish_late_checks(engine, metadata)
        if not caps.statistics_beside_ddl:
            run_units(statistics_units, jobs)


@contextlib.contextmanager
def _finish_errors() -> Iterator[None]:
    """A database error of finishing, raised here or by a unit, as one :func:`finish_error`;
    a unit's other exceptions as themselves."""
    from paritygen.parallel import UnitsFailed

    try:
        yield
    except UnitsFailed as failed:
        if not isinstance(failed.cause, sa.exc.DBAPIError):
            raise failed.cause from None
        raise finish_error(failed.cause) from None
    except sa.exc.DBAPIError as exc:
        raise finish_error(exc) from None


def early_finish_units(engine: Engine, metadata: sa.MetaData, jobs: int) -> list[Any] | None:
    """The keys, FKs, sequences and statistics of :func:`finish_tables` as units to run beside
    the load (:func:`paritygen.run.load.load_tables`), each table's after the load unit named
    like the table: the fact table's PK builds while the other tables still load, instead of
    every table's after the slowest. Where moving a sequence is an ALTER TABLE that must wait
    for the late CHECKs (``statistics_beside_ddl`` false), the keys and FKs only;
    :func:`finish_after_early` then does the rest. None where the target has one session;
    then :func:`finish_tables` does it all after the load. A unit's database error arrives as
    :class:`LoadError`. The target's keys are read now, before any unit runs (a load adds
    none)."""
    caps = capabilities(engine.dialect.name)
    if jobs < 2 or not caps.concurrent_sessions:
        return None
    try:
        units, statistics_units = _finish_units(engine, metadata, caps)
    except sa.exc.DBAPIError as exc:
        raise finish_error(exc) from None
    if not caps.statistics_beside_ddl:
        statistics_units = []
    names = {t.name for t in metadata.sorted_tables}
    return [
        dataclasses.replace(
            unit,
            run=_as_load_error(unit.run),
            after=unit.after | ({unit.name[len("keys:") :]} & names
                                if unit.name.startswith("keys:") else set()),
        )
        for unit in units + statistics_units
    ]  # fmt: skip


def finish_after_early(engine: Engine, metadata: sa.MetaData, *, jobs: int) -> None:
    """What :func:`early_finish_units` leaves for after the load: the CHECKs held back, then,
    where moving a sequence is an ALTER TABLE (``statistics_beside_ddl`` false), every table's
    sequences and statistics on up to *jobs* sessions, as :func:`finish_tables` orders them."""
    from paritygen.parallel import run_units

    finish_late_checks(engine, metadata)
    caps = capabilities(engine.dialect.name)
    if caps.statistics_beside_ddl:
        return
    with _finish_errors():
        _units, statistics_units = _finish_units(engine, metadata, caps)
        run_units(statistics_units, jobs)


def finish_late_checks(engine: Engine, metadata: sa.MetaData) -> None:
    """The CHECKs held back from the load (:mod:`paritygen.writers.held`), in one session."""
    caps = capabilities(engine.dialect.name)
    try:
        with engine.begin() as conn, _no_fk_checks(conn, caps):
            add_late_checks(conn, metadata, caps)
    except sa.exc.DBAPIError as exc:
        raise finish_error(exc) from None


def finish_error(exc: sa.exc.DBAPIError) -> LoadError:
    """The one line a database error while finishing tables becomes."""
    return LoadError(f"finishing tables (keys, indexes, sequences) failed: {db_reason(exc)}")


def _as_load_error(run: Callable[[], None]) -> Callable[[], None]:
    def wrapped() -> None:
        try:
            run()
        except sa.exc.DBAPIError as exc:
            raise finish_error(exc) from None

    return wrapped


def _finish_units(
    engine: Engine, metadata: sa.MetaData, caps: Capabilities
) -> tuple[list[Any], list[Any]]:
    """(key and FK units, sequence-and-ANALYZE units) of every table, the target's keys as
    they are now read first.

    A table's keys and indexes build while other tables build theirs (the server's cores
    idle otherwise); its FKs come after its own keys and its parents' (an FK needs the key it
    references) and never at the same time as the FKs of a table it is linked to (adding an
    FK locks both tables: two linked ALTERs could wait on each other). Where the target allows
    (``statistics_beside_ddl``), a table's sequences and ANALYZE follow its own keys (indexes
    on expressions get their statistics), apart from the FKs on and to it (an FK locks parent
    and child; ANALYZE's lock conflicts with it): the small tables' ANALYZE runs while the
    fact table builds its PK. Elsewhere the caller runs them after every key and FK, and
    linked tables take their turns (moving a sequence is an ALTER TABLE there)."""
    from paritygen.parallel import Unit

    tables = metadata.sorted_tables
    linked: dict[str, set[str]] = {t.name: set() for t in tables}
    parents_of: dict[str, set[str]] = {t.name: set() for t in tables}
    for table in tables:
        for fk in table.foreign_key_constraints:
            parent = fk.elements[0].target_fullname.rsplit(".", 1)[0]
            if parent in linked and parent != table.name:
                linked[table.name].add(parent)
                linked[parent].add(table.name)
                parents_of[table.name].add(parent)
    # Two children adding FKs to the same parents lock those parents (a SHARE ROW EXCLUSIVE
    # lock, which conflicts with itself) in their own orders: a sales fact and an
    # inventory snapshot over the same dimensions deadlocked. Siblings add theirs apart.
    siblings = {
        t.name: {o.name for o in tables if o.name != t.name
                 and parents_of[t.name] & parents_of[o.name]}
        for t in tables
    }  # fmt: skip

    snapshot: Snapshot = {}  # every table's keys as they are now, read at once below

    def on_session(work: Callable[[Connection, TargetInspector], None]) -> Callable[[], None]:
        def run() -> None:
            with engine.begin() as conn, _no_fk_checks(conn, caps):
                work(conn, TargetInspector(conn, snapshot))

        return run

    beside = caps.statistics_beside_ddl
    # FKs added unchecked, then checked in a unit of their own (see the capability).
    split = beside and caps.validate_foreign_keys is not None and caps.not_valid_suffix is not None

    def ddl(table: sa.Table, foreign_keys: bool) -> Callable[[], None]:
        def work(conn: Connection, inspector: TargetInspector) -> None:
            missing = _missing_ddl(inspector, table, caps, foreign_keys=foreign_keys)
            if foreign_keys and split:
                for element in missing:  # percent signs come doubled from the compiler
                    sql = str(element.compile(dialect=conn.dialect)).strip()
                    conn.exec_driver_sql(sql + (caps.not_valid_suffix or ""))
                return
            _run_ddl(conn, table, missing, caps)

        return on_session(work)

    def statistics(table: sa.Table) -> Callable[[], None]:
        def work(conn: Connection, _inspector: TargetInspector) -> None:
            _move_sequences(conn, table, caps)
            _analyze(conn, table, caps)

        return on_session(work)

    def validate(table: sa.Table) -> Callable[[], None]:
        def work(conn: Connection, _inspector: TargetInspector) -> None:
            assert caps.validate_foreign_keys is not None
            caps.validate_foreign_keys(conn, table)

        return on_session(work)

    def validating(names: set[str]) -> set[str]:
        return {f"validate:{o}" for o in names} if split else set()

    keys = [Unit(f"keys:{t.name}", ddl(t, False)) for t in tables]
    # An FK needs its own table's keys and its parents'. Where FKs are added unchecked (a
    # moment's lock on the two tables, never on a child's), a child's keys are not waited
    # for: the orders' FK to customers is checked while the order lines still load. Elsewhere
    # (an ALTER TABLE that may lock the tables linked to it) every linked table is keyed first.
    keyed_first = parents_of if split else linked
    fks = [
        Unit(
            f"fks:{t.name}", ddl(t, True),
            after=frozenset({f"keys:{t.name}"} | {f"keys:{p}" for p in keyed_first[t.name]}),
            apart_from=frozenset(
                {f"fks:{o}" for o in linked[t.name] | siblings[t.name]}
                | ({f"analyze:{o}" for o in linked[t.name] | {t.name}} if beside else set())
                | validating(linked[t.name])
            ),
        )
        for t in tables
    ]  # fmt: skip
    if split:
        # A check locks its table against ANALYZE and against FKs being added to or from it.
        fks += [
            Unit(f"validate:{t.name}", validate(t), after=frozenset({f"fks:{t.name}"}),
                 apart_from=frozenset({f"analyze:{t.name}"}
                                      | {f"fks:{o}" for o in linked[t.name]}))
            for t in tables
        ]  # fmt: skip
    with engine.connect() as conn:
        snapshot.update(TargetInspector(conn).snapshot(tables))
    if beside:
        statistics_units = [
            Unit(f"analyze:{t.name}", statistics(t), after=frozenset({f"keys:{t.name}"}),
                 apart_from=frozenset({f"fks:{o}" for o in linked[t.name] | {t.name}}
                                      | validating({t.name})))
            for t in tables
        ]  # fmt: skip
    else:
        # Moving a sequence is an ALTER TABLE where the database keeps it in the table (an
        # AUTO_INCREMENT): two linked tables altered at once (store <-> staff) waited on each
        # other's table locks forever, so linked tables take their turns here too.
        statistics_units = [
            Unit(f"analyze:{t.name}", statistics(t),
                 apart_from=frozenset(f"analyze:{o}" for o in linked[t.name]))
            for t in tables
        ]  # fmt: skip
    return keys + fks, statistics_units


def _analyze(conn: Connection, table: sa.Table, caps: Capabilities) -> None:
    """Refresh the target's statistics for *table*: after a bulk load they are stale, and a load
    test against unanalysed tables would run other plans than production."""
    if caps.analyze_sql is None:
        return
    name = conn.dialect.identifier_preparer.format_table(table)
    result = conn.exec_driver_sql(caps.analyze_sql.format(table=name))
    if result.returns_rows:
        result.fetchall()


@contextlib.contextmanager
def _no_fk_checks(conn: Connection, caps: Capabilities) -> Iterator[None]:
    """FK checks off in this session while FKs are added (no validating table copy) and tables
    emptied, where the target has such a switch; the generator guarantees the references."""
    for statement in caps.fk_checks_off:
        conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        for statement in caps.fk_checks_on:
            conn.exec_driver_sql(statement)


def _missing_ddl(
    inspector: TargetInspector, table: sa.Table, caps: Capabilities, *, foreign_keys: bool
) -> list[sa.schema.ExecutableDDLElement]:
    """DDL for the keys, indexes (first pass) or FKs (second pass) the target's table lacks."""
    out: list[sa.schema.ExecutableDDLElement] = []
    if foreign_keys:
        if not caps.alter_add_constraint:
            return out  # created inline with the table; the target cannot add them later
        have = {
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys(table.name, schema=table.schema)
        }
        for fk in table.foreign_key_constraints:
            if (tuple(c.name for c in fk.columns), fk.referred_table.name) not in have:
                out.append(sa.schema.AddConstraint(fk))
        return out
    pk = inspector.get_pk_constraint(table.name, schema=table.schema)
    if table.primary_key.columns and not pk.get("constrained_columns"):
        out.append(sa.schema.AddConstraint(table.primary_key))
    uniques = {
        tuple(u["column_names"])
        for u in inspector.get_unique_constraints(table.name, schema=table.schema)
    }
    indexes = inspector.get_indexes(table.name, schema=table.schema)
    uniques |= {tuple(i["column_names"]) for i in indexes if i.get("unique")}
    plain = {tuple(i["column_names"]) for i in indexes}
    named = {str(i.get("name")).lower() for i in indexes}
    for cons in table.constraints:
        unique = isinstance(cons, sa.UniqueConstraint)
        if unique and tuple(c.name for c in cons.columns) not in uniques:
            out.append(sa.schema.AddConstraint(cons))
    for ix in sorted(table.indexes, key=lambda i: i.name or ""):
        if ix.info.get(BY_NAME):  # expressions or a predicate: its columns do not name it
            if str(ix.name).lower() not in named:
                out.append(sa.schema.CreateIndex(ix))
            continue
        cols = tuple(c.name for c in ix.columns)
        if cols not in (uniques if ix.unique else plain | uniques):
            out.append(sa.schema.CreateIndex(ix))
    return out


_ALTER_ADD = re.compile(r"^ALTER TABLE \S+ (ADD .*)$", re.DOTALL)
_CREATE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON \S+ (\(.*\))$", re.DOTALL)


def _run_ddl(
    conn: Connection, table: sa.Table, ddl: list[sa.schema.ExecutableDDLElement], caps: Capabilities
) -> None:
    """Run *ddl*: with ``batch_ddl`` in one round trip; with ``combine_alter`` as one ``ALTER
    TABLE`` so the table is read once and every index is built in the same pass."""
    optional = [
        e for e in ddl if isinstance(e, sa.schema.CreateIndex) and e.element.info.get(OPTIONAL)
    ]
    for element in optional:
        _try_index(conn, element)
    ddl = [e for e in ddl if all(e is not o for o in optional)]
    if caps.batch_ddl and len(ddl) > 1:  # percent signs come doubled from the compiler
        conn.exec_driver_sql(";\n".join(str(e.compile(dialect=conn.dialect)).strip() for e in ddl))
        return
    if not caps.combine_alter or len(ddl) < 2:
        for element in ddl:
            conn.execute(element)
        return
    clauses = []
    for element in ddl:
        text = str(element.compile(dialect=conn.dialect)).strip()
        alter, index = _ALTER_ADD.match(text), _CREATE_INDEX.match(text)
        if alter:
            clauses.append(alter.group(1))
        elif index:
            clauses.append(f"ADD {index.group(1) or ''}INDEX {index.group(2)} {index.group(3)}")
        else:
            conn.execute(element)
    if clauses:
        target = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"ALTER TABLE {target} {', '.join(clauses)}")


def _try_index(conn: Connection, element: sa.schema.CreateIndex) -> None:
    """Build a unique index the generator did not aim at (on expressions, or partial) in a
    savepoint; when the generated rows do not satisfy it, leave it out with a note."""
    try:
        with conn.begin_nested():
            conn.execute(element)
    except sa.exc.DBAPIError as exc:
        index = element.element
        log.warning(
            "%s: unique index %s left out: the generated rows do not satisfy it (%s)",
            index.table.name if index.table is not None else "?", index.name, db_reason(exc),
        )  # fmt: skip


def _move_sequences(conn: Connection, table: sa.Table, caps: Capabilities) -> None:
    if caps.move_sequences is not None:
        caps.move_sequences(conn, table)


def db_reason(exc: BaseException) -> str:
    from paritygen.db import describe_db_error

    return describe_db_error(exc)


# -- emptying ------------------------------------------------------------------------------------
def truncate_tables(
    engine: Engine, metadata: sa.MetaData, only: Sequence[str] | None = None
) -> None:
    """Empty the tables of *metadata* (those named in *only*, when given) that exist in the
    target, children before parents.

    A table outside *metadata* that references one of them must be empty (it is then emptied
    along, a no-op), else :class:`LoadError` names it: emptying the parents would orphan its rows
    where FKs are not enforced by the emptying statement, and a CASCADE would empty it silently.
    The target's ``truncate_sql`` names all the tables at once where it can (``truncate_many``),
    else runs per table, children first, with FK checks off in this session where the target
    has that switch; all in one transaction.
    """
    caps = capabilities(engine.dialect.name)
    try:
        with engine.begin() as conn:
            inspector = TargetInspector(conn)
            present = {t.lower(): t for t in inspector.get_table_names()}
            chosen = set(metadata.tables if only is None else only)
            order = [t.name for t in reversed(metadata.sorted_tables)
                     if t.name.lower() in present and t.name in chosen]  # fmt: skip
            if not order:
                return
            order = _empty_referrers(conn, inspector, list(present.values()), order) + order
            q = conn.dialect.identifier_preparer
            groups = [order] if caps.truncate_many else [[name] for name in order]
            with _no_fk_checks(conn, caps):
                for group in groups:
                    names = ", ".join(q.quote(t) for t in group)
                    conn.exec_driver_sql(caps.truncate_sql.format(tables=names))
    except sa.exc.DBAPIError as exc:
        raise LoadError(f"emptying tables failed: {db_reason(exc)}") from None


def _empty_referrers(
    conn: Connection, inspector: TargetInspector, present: list[str], chosen: list[str]
) -> list[str]:
    """Tables outside *chosen* that reference it (transitively); all must be empty."""
    referrers: dict[str, set[str]] = {}
    for name in present:
        for fk in inspector.get_foreign_keys(name):
            referrers.setdefault(fk["referred_table"].lower(), set()).add(name)
    inside = {n.lower() for n in chosen}
    found: list[str] = []
    frontier = list(chosen)
    while frontier:
        parent = frontier.pop()
        for child in sorted(referrers.get(parent.lower(), ())):
            if child.lower() not in inside:
                inside.add(child.lower())
                found.append(child)
                frontier.append(child)
    q = conn.dialect.identifier_preparer
    busy = [n for n in found if conn.exec_driver_sql(f"SELECT 1 FROM {q.quote(n)} LIMIT 1").first()]
    if busy:
        raise LoadError(
            f"cannot empty {', '.join(chosen)}: table(s) {', '.join(busy)} outside this run "
            "reference them and hold rows; include them in the run or empty them first"
        )
    return found[::-1]
