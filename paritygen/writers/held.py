"""Constraints held back during a load into tables that already exist, and put back after it.

- A cycle of NOT NULL FKs (store <-> staff) loads in no order with its FKs checked row by row:
  :func:`drop_foreign_keys` drops them for the load; ``finish_tables`` adds back whatever FK the
  target lacks.
- A source CHECK the generator cannot read (a regex, a function) must not fail the load: where
  the target's ``Capabilities.deferred`` holds ``check``, CHECKs come after it;
  :func:`detach_checks` drops those of existing tables, and :func:`add_late_checks` adds them
  validated, else with the target's ``not_valid_suffix`` (kept for new rows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from paritygen.db import describe_db_error
from paritygen.errors import LoadError
from paritygen.profile.model import ForeignKey
from paritygen.writers.capabilities import Capabilities, capabilities
from paritygen.writers.inspect import TargetInspector

log = logging.getLogger("paritygen")

LATE_CHECKS_KEY = "late_checks"
"""``MetaData.info`` key of the CHECKs held back: left out by ``create_tables`` from the tables
it created, or dropped from existing ones by :func:`detach_checks`."""


def drop_foreign_keys(
    engine: Engine, metadata: sa.MetaData, fks: Sequence[tuple[str, ForeignKey]]
) -> list[str]:
    """Drop the target's constraints for *fks* ((child, FK) of the profile) where present, so
    tables loading in no order (a NOT NULL cycle) are not checked row by row; :func:`finish_tables`
    adds them back after the load. Returns the names dropped."""
    caps = capabilities(engine.dialect.name)
    dropped: list[str] = []
    try:
        with engine.begin() as conn:
            inspector = TargetInspector(conn)
            q = conn.dialect.identifier_preparer
            for child, fk in fks:
                table = metadata.tables.get(child)
                parent = metadata.tables.get(fk.ref_table)
                if table is None or parent is None:
                    continue
                columns = [table.c[c].name for c in fk.columns]
                for found in inspector.get_foreign_keys(table.name, schema=table.schema):
                    same = (
                        found.get("referred_table") == parent.name
                        and list(found.get("constrained_columns") or ()) == columns
                    )
                    if not same or not found.get("name"):
                        continue
                    conn.exec_driver_sql(
                        caps.drop_foreign_key_sql.format(
                            table=q.format_table(table), name=q.quote(found["name"])
                        )
                    )
                    dropped.append(found["name"])
    except sa.exc.DBAPIError as exc:
        raise LoadError(
            f"dropping foreign keys for the load failed: {describe_db_error(exc)}"
        ) from None
    return dropped


def detach_checks(engine: Engine, metadata: sa.MetaData) -> None:
    """Existing tables: drop their CHECKs for the load where the target's capabilities say
    CHECKs come after it, so one the generator cannot read does not fail the load;
    :func:`finish_tables` adds them back (validated, else not validated). A no-op elsewhere."""
    if "check" not in capabilities(engine.dialect.name).deferred:
        return
    late: list[sa.CheckConstraint] = list(metadata.info.get(LATE_CHECKS_KEY, ()))
    try:
        with engine.begin() as conn:
            inspector = TargetInspector(conn)
            q = conn.dialect.identifier_preparer
            for table in metadata.sorted_tables:
                if not inspector.has_table(table.name, schema=table.schema):
                    continue
                for found in inspector.get_check_constraints(table.name, schema=table.schema):
                    name = found.get("name")
                    if not name:
                        continue
                    check = sa.CheckConstraint(sa.text(_escape_binds(found["sqltext"])), name=name)
                    table.append_constraint(check)
                    conn.exec_driver_sql(
                        f"ALTER TABLE {q.format_table(table)} DROP CONSTRAINT {q.quote(name)}"
                    )
                    late.append(check)
    except sa.exc.DBAPIError as exc:
        raise LoadError(f"dropping checks for the load failed: {describe_db_error(exc)}") from None
    metadata.info[LATE_CHECKS_KEY] = late


def _escape_binds(sql: str) -> str:
    """SQL text for ``sa.text``: a colon that could read as a bind parameter is escaped."""
    return re.sub(r"(?<!:):(?=\w)", r"\:", sql)


def add_late_checks(conn: Connection, metadata: sa.MetaData, caps: Capabilities) -> None:
    """Add the CHECKs left out at creation: validated when the rows hold them, else with the
    target's ``not_valid_suffix`` (enforced for new rows only); one the target cannot compile
    (a source function over a column whose type was translated) is dropped with a warning."""
    for check in metadata.info.get(LATE_CHECKS_KEY, ()):
        base = str(sa.schema.AddConstraint(check).compile(dialect=conn.dialect))
        failure: sa.exc.DBAPIError | None = None
        attempts = [base] if caps.not_valid_suffix is None else [base, base + caps.not_valid_suffix]
        for sql in attempts:
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(sql)  # percent signs come doubled from the compiler
                failure = None
                break
            except sa.exc.DBAPIError as exc:
                failure = exc
        if failure is not None:
            log.warning(
                "%s: check %s dropped: %s",
                check.table.name,
                check.sqltext,
                describe_db_error(failure),
            )
    metadata.info[LATE_CHECKS_KEY] = []
