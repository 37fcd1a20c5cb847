"""Who a database really is, asked of the server: the identity that keeps writes off the source.

A URL can name one database many ways (``localhost`` or ``127.0.0.1``, a path, ``?dbname=``, a
service file, a DNS alias), so paritygen never compares URLs. It asks the server instead, once
when profiling (recorded in the profile as ``source.identity``) and again before any write to a
target; equal identities mean "this is the source" and the write is refused whatever the flags.

- PostgreSQL: the cluster's ``system_identifier`` (unique per ``initdb``,
  https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-CONTROLDATA) plus
  ``current_database()``. Where ``pg_control_system()`` is not granted, the server's address,
  port and ``cluster_name`` stand in.
- MariaDB / MySQL: ``@@server_uuid`` (MySQL; https://dev.mysql.com/doc/refman/8.0/en/
  replication-options.html#sysvar_server_uuid) or, on MariaDB which has none,
  ``@@hostname``, ``@@port`` and ``@@datadir``; plus ``DATABASE()``.
- SQLite: the database file's resolved path (symlinks followed); an in-memory database has none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

PG_IDENTITY = "SELECT system_identifier::text, current_database() FROM pg_control_system()"
PG_FALLBACK = (
    "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || inet_server_port()::text"
    " || ':' || current_setting('cluster_name'), current_database()"
)
MYSQL_UUID = "SELECT @@server_uuid, DATABASE()"
MYSQL_FALLBACK = "SELECT CONCAT(@@hostname, ':', @@port, ':', @@datadir), DATABASE()"


@dataclass(frozen=True)
class ServerIdentity:
    """A database as its server names it: ``server`` (the cluster / instance) and ``database``
    (the name the server reports, whatever the URL said)."""

    dialect: str
    server: str
    database: str

    def key(self) -> str:
        """One comparable string, stored in the profile as ``source.identity``."""
        return f"{self.dialect}:{self.server}/{self.database}"


def server_identity(conn: Connection) -> ServerIdentity | None:
    """The identity of the database *conn* is connected to, or None (in-memory SQLite)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        row = _first(conn, PG_IDENTITY) or _first(conn, PG_FALLBACK)
    elif dialect in ("mysql", "mariadb"):
        row = _first(conn, MYSQL_UUID) or _first(conn, MYSQL_FALLBACK)
        dialect = "mysql"
    elif dialect == "sqlite":
        return _sqlite_identity(conn)
    else:  # any other database SQLAlchemy reaches: its URL is all we know
        url = conn.engine.url
        row = (f"{url.host}:{url.port}", url.database or "")
    if row is None or row[0] is None:
        return None
    return ServerIdentity(dialect, str(row[0]), str(row[1] or ""))


def _first(conn: Connection, sql: str) -> tuple | None:
    """The first row of *sql*, or None when the server refuses it (privilege, version)."""
    try:
        with conn.begin_nested():
            return tuple(conn.execute(sa.text(sql)).one())
    except sa.exc.DBAPIError:
        return None


def _sqlite_identity(conn: Connection) -> ServerIdentity | None:
    for row in conn.exec_driver_sql("PRAGMA database_list").all():
        if row[1] == "main":
            path = row[2]
            if not path:
                return None  # in memory: nothing else can be the same database
            return ServerIdentity("sqlite", "file", os.path.realpath(path))
    return None
