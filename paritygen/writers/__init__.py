"""Writers: load chunks into a target database, through its bulk path where one exists.

Importing the package registers the built-in writers in :data:`paritygen.registry.writers` under
their SQLAlchemy dialect names, the same way a third-party writer would register itself.
"""

import warnings

from sqlalchemy.exc import SAWarning

from paritygen.writers import mysql, postgres, sqlite  # noqa: F401 - registration side effects
from paritygen.writers.base import SqlAlchemyWriter, Writer, open_writer

# Types SQLAlchemy cannot name (xml, point, MariaDB spatial) reflect as NullType with a warning
# per column and per inspection; paritygen spells them from the catalog (profile/reflect.py) and
# compares them as unknown, so the warnings say nothing the user can act on.
warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)

__all__ = ["SqlAlchemyWriter", "Writer", "open_writer"]
