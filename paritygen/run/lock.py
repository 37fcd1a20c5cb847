"""One run per target: a lock taken before anything is written and held to the end.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``,
  https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS) on a connection
  kept open for the run; keys are a fixed class id and a hash of the database name, because
  advisory locks are per cluster.
- MariaDB / MySQL: ``GET_LOCK(name, 0)`` (https://mariadb.com/kb/en/get_lock/), named after the
  schema, since user locks are per server.
- SQLite: an OS file lock on ``<database file>.paritygen.lock`` (the ``filelock`` library).

The server releases a database lock when its session ends, and the OS a file lock when the
process dies, so ``kill -9`` never leaves a stale lock. A second run does not wait: it raises
:class:`~paritygen.errors.TargetLocked` (exit 3) naming the holder from the state table.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from paritygen.errors import TargetLocked, safe_url
from paritygen.profile.identity import ServerIdentity

LOCK_CLASS_ID = 0x70617269
"""First key of PostgreSQL's two-key advisory lock: "pari" in ASCII, so ours are recognisable
in ``pg_locks`` (``classid``)."""


@dataclass(frozen=True)
class LockSQL:
    """How one database takes and gives back a named, session-held lock (params :k1, :k2,
    :name); ``acquire`` returns 1 / true when taken."""

    acquire: str
    release: str


LOCKS: dict[str, LockSQL] = {
    "postgresql": LockSQL(
        acquire="SELECT pg_try_advisory_lock(:k1, :k2)",
        release="SELECT pg_advisory_unlock(:k1, :k2)",
    ),
    "mysql": LockSQL(acquire="SELECT GET_LOCK(:name, 0)", release="SELECT RELEASE_LOCK(:name)"),
}


_HELD: dict[tuple[str, str], int] = {}
"""Locks this process holds, by (dialect, database), and how many times: a scheduled job
(``paritygen run``) holds its target from before it measures production to the end of its
verify, and the run stage inside it takes the same lock again."""


class TargetLock:
    """The run's lock on its target; :meth:`acquire` raises TargetLocked when another run holds
    it. Use as a context manager, or call :meth:`release` (idempotent)."""

    def __init__(self, engine: Engine, identity: ServerIdentity | None) -> None:
        self.engine = engine
        self.identity = identity
        self._conn: Connection | None = None
        self._file: Any = None
        self._held: tuple[str, str] | None = None

    def acquire(self, holder: Callable[[], str] | None = None) -> None:
        """Take the lock now or raise TargetLocked naming the holder (*holder()*, asked only
        on refusal)."""
        if self.try_acquire():
            return
        who = holder() if holder is not None else "holder unknown"
        raise TargetLocked(
            f"target {safe_url(self.engine.url)} is locked by another paritygen run ({who});"
            " wait for it to finish or stop it"
        )

    def try_acquire(self) -> bool:
        """Take the lock if free (or already held by this process); False when another run
        holds it."""
        key = self._key()
        if key in _HELD:
            _HELD[key] += 1
            self._held = key
            return True
        if not self._take():
            return False
        _HELD[key] = 1
        self._held = key
        return True

    def _key(self) -> tuple[str, str]:
        dialect = self.identity.dialect if self.identity else self.engine.dialect.name
        database = self.identity.database if self.identity else str(self.engine.url.database)
        return dialect, database

    def _take(self) -> bool:
        dialect = self.identity.dialect if self.identity else self.engine.dialect.name
        if dialect == "sqlite":
            return self._take_file()
        sql = LOCKS.get(dialect)
        if sql is None:
            return True  # a database without named locks: nothing to take (documented)
        database = self.identity.database if self.identity else str(self.engine.url.database)
        self._conn = self.engine.connect()
        params = {
            "k1": LOCK_CLASS_ID,
            "k2": zlib.crc32(database.encode()) - 2**31,
            "name": f"paritygen:{database}"[:64],
        }
        self._params = params
        got = self._conn.execute(sa.text(sql.acquire), params).scalar()
        self._conn.commit()
        if not got:
            self._conn.close()
            self._conn = None
            return False
        return True

    def _take_file(self) -> bool:
        from filelock import FileLock, Timeout

        if self.identity is None:
            return True  # in memory: no other process can reach it
        self._file = FileLock(self.identity.database + ".paritygen.lock")
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            self._file = None
            return False
        return True

    def release(self) -> None:
        if self._held is not None:
            key, self._held = self._held, None
            _HELD[key] -= 1
            if _HELD[key] > 0:
                return  # an outer holder in this process keeps it
            del _HELD[key]
        if self._conn is not None:
            dialect = self.identity.dialect if self.identity else self.engine.dialect.name
            try:
                self._conn.execute(sa.text(LOCKS[dialect].release), self._params)
                self._conn.commit()
            except sa.exc.DBAPIError:
                pass  # closing the session releases it anyway
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            self._file.release()
            self._file = None

    def __enter__(self) -> TargetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
