"""Writers: load chunks into a target database, through its bulk path where one exists.

A built-in writer registers itself in :data:`paritygen.registry.writers` when its module is
imported, the same way a third-party writer would. The modules are imported on demand
(:func:`load_builtin`): a run against PostgreSQL never imports MariaDB's dialect and driver
glue, which keeps ``paritygen generate`` quick to start.
"""

from __future__ import annotations

import importlib
import warnings

from sqlalchemy.exc import SAWarning

from paritygen.writers.base import SqlAlchemyWriter, Writer, open_writer

# Types SQLAlchemy cannot name (xml, point, MariaDB spatial) reflect as NullType with a warning
# per column and per inspection; paritygen spells them from the catalog (profile/reflect.py) and
# compares them as unknown, so the warnings say nothing the user can act on.
warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)

BUILTIN_MODULES = {
    "postgresql": "paritygen.writers.postgres",
    "postgres": "paritygen.writers.postgres",
    "mysql": "paritygen.writers.mysql",
    "mariadb": "paritygen.writers.mysql",
    "sqlite": "paritygen.writers.sqlite",
}
"""Dialect name (SQLAlchemy's or a profile's, lower case) -> the built-in module writing it."""


def load_builtin(dialect_name: str | None = None) -> None:
    """Import (so register) the built-in writer for *dialect_name*, or every built-in writer
    when it is None or names no built-in database (it may be an alias one of them declares)."""
    module = BUILTIN_MODULES.get((dialect_name or "").lower())
    for name in [module] if module else sorted(set(BUILTIN_MODULES.values())):
        importlib.import_module(name)


__all__ = ["BUILTIN_MODULES", "SqlAlchemyWriter", "Writer", "load_builtin", "open_writer"]
