"""Engines from user-supplied URLs, with passwords kept out of every message.

Users type ``postgresql://``, ``mysql://`` or ``mariadb://``; we pick the drivers paritygen ships
with (psycopg 3, PyMySQL) so ``pip install paritygen`` alone reaches all three databases. A URL
may also be given as ``env:VAR`` to read it from the environment, which keeps passwords out of
shell history and job files.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from paritygen.errors import ConfigError, ConnectionFailed, redact, safe_url

# Driver defaults for bare scheme names (documented in the README, "Database URLs").
DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}

# Per-driver connect arguments. PyMySQL must opt in to LOAD DATA LOCAL INFILE, the bulk path of
# writers/mysql.py (https://pymysql.readthedocs.io/en/latest/modules/connections.html).
CONNECT_ARGS: dict[str, dict[str, Any]] = {
    # A metadata lock waited on for longer than 5 minutes is an error, not a silent hang of an
    # unattended run (MariaDB's default lock_wait_timeout is a day).
    "pymysql": {
        "local_infile": True,
        "charset": "utf8mb4",
        "init_command": "SET SESSION lock_wait_timeout = 300",
    },
    "psycopg": {"connect_timeout": 10},
}


def resolve_url(text: str | URL) -> URL:
    """Parse a URL given on the command line or in a job file (``env:VAR`` allowed)."""
    if isinstance(text, URL):
        return text
    raw = text.strip()
    if raw.startswith("env:"):
        var = raw[4:]
        raw = os.environ.get(var, "")
        if not raw:
            raise ConfigError(f"environment variable {var} is not set (it should hold a URL)")
    elif "://" not in raw and (raw.endswith((".sqlite", ".db", ".sqlite3"))):
        raw = f"sqlite:///{raw}"
    if _authority_ats(raw) > 1:
        # An unescaped "@" in the password: the parser would cut the password at the first one
        # and read the host (and port, and database) from the rest, so a password "p@ss/x"
        # would connect to host "ss". Refuse, and name nothing of it.
        raise ConfigError(
            "the URL's password contains '@': percent-encode it as %40 (and '/' as %2F, ':' as"
            " %3A, '%' as %25, a space as %20), or pass the URL as env:VAR"
        )
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(f"not a database URL: {describe_unparsable(raw)}") from None
    if url.host and "@" in url.host:
        raise ConfigError(
            "the URL's password contains '@': percent-encode it as %40 (and ':' as %3A, '/' as %2F)"
        )
    scheme = url.drivername
    if scheme in DEFAULT_DRIVERS:
        url = url.set(drivername=DEFAULT_DRIVERS[scheme])
    elif scheme == "mariadb+pymysql":
        url = url.set(drivername="mysql+pymysql")
    return url


def _authority_ats(raw: str) -> int:
    """How many '@' sit between ``scheme://`` and the start of the query string."""
    rest = raw.split("://", 1)[1] if "://" in raw else ""
    return rest.split("?", 1)[0].count("@")


def describe_unparsable(raw: str) -> str:
    """What may be said of text that is not a URL: its scheme at most, never the rest (it may
    hold a password in any shape)."""
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return f"{scheme}://... (expected scheme://user:password@host:port/database)"
    return "expected scheme://user:password@host:port/database, e.g. postgresql://u@host/db"


def make_engine(text: str | URL, **kwargs: Any) -> Engine:
    """An engine for *text*, checked by one round trip so errors surface here, in one line."""
    url = resolve_url(text)
    try:
        # Naming the driver loads the dialect: an unknown scheme fails here, in one line.
        connect_args = dict(CONNECT_ARGS.get(url.get_driver_name(), {}))
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        reason = redact(str(exc)).splitlines()[0]
        raise ConfigError(f"cannot use {safe_url(url)}: {reason}") from None
    check_connection(engine)
    return engine


def check_connection(engine: Engine) -> None:
    """Open and close one connection; translate the driver's failure into one clear line."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DBAPIError as exc:
        raise ConnectionFailed(
            f"cannot connect to {safe_url(engine.url)}: {describe_db_error(exc)}"
        ) from None


def describe_db_error(exc: BaseException) -> str:
    """The driver's own message, first line only, password-free."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    # PyMySQL errors are (code, message) tuples.
    if len(args) == 2 and isinstance(args[0], int):
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(orig)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return redact(lines[0] if lines else orig.__class__.__name__)


MISSING_DATABASE_CODES = {
    # SQLSTATE 3D000 invalid_catalog_name
    # (https://www.postgresql.org/docs/current/errcodes-appendix.html)
    "postgresql": "3D000",
    # ER_BAD_DB_ERROR (https://mariadb.com/kb/en/mariadb-error-code-reference/)
    "mysql": 1049,
}
MAINTENANCE_DATABASE = {"postgresql": "postgres", "mysql": None}
"""Where ``CREATE DATABASE`` is sent from: a database every server has (None: no database)."""


def database_missing(exc: BaseException, url: URL) -> bool:
    """True when *exc* says the URL's database does not exist on the server."""
    orig = getattr(exc, "orig", None) or exc
    code = MISSING_DATABASE_CODES.get(url.get_backend_name())
    if code is None:
        return False
    if isinstance(code, str):
        # libpq reports a refused connection without SQLSTATE: its FATAL text says it instead
        return getattr(orig, "sqlstate", None) == code or (
            f'database "{url.database}" does not exist' in str(orig)
        )
    args = getattr(orig, "args", ())
    return bool(args) and args[0] == code


def create_database(text: str | URL) -> None:
    """Create the URL's database on its server (``--create-database``); the name is quoted as
    an identifier, never spliced in as SQL."""
    url = resolve_url(text)
    backend = url.get_backend_name()
    if backend not in MAINTENANCE_DATABASE or not url.database:
        raise ConfigError(f"--create-database is not supported for {safe_url(url)}")
    admin = url.set(database=MAINTENANCE_DATABASE[backend])
    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        quoted = engine.dialect.identifier_preparer.quote(url.database)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except DBAPIError as exc:
        raise ConnectionFailed(
            f"cannot create database {url.database!r} on {safe_url(admin)}:"
            f" {describe_db_error(exc)}"
        ) from None
    finally:
        engine.dispose()


def open_target_engine(text: str | URL, create: bool = False) -> Engine:
    """An engine on a write target; a missing database is created with *create*, else the
    error says so (and how)."""
    url = resolve_url(text)
    try:
        return make_engine(url)
    except ConnectionFailed as exc:
        if not isinstance(exc.__context__, DBAPIError) or not database_missing(
            exc.__context__, url
        ):
            raise
        if not create:
            raise ConnectionFailed(
                f"database {url.database!r} does not exist on {safe_url(url.set(database=None))};"
                " create it, or pass --create-database"
            ) from None
    create_database(url)
    return make_engine(url)
