"""Writers: load chunks into a target database, through its bulk path where one exists.

Importing the package registers the built-in writers in :data:`paritygen.registry.writers` under
their SQLAlchemy dialect names, the same way a third-party writer would register itself.
"""

from paritygen.writers import mysql, postgres, sqlite  # noqa: F401 - registration side effects
from paritygen.writers.base import SqlAlchemyWriter, Writer, open_writer

__all__ = ["SqlAlchemyWriter", "Writer", "open_writer"]
