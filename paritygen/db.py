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
    "pymysql": {"local_infile": True, "charset": "utf8mb4"},
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
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(f"not a database URL: {redact(raw)!r}") from None
    if url.host and "@" in url.host:
        # An unescaped "@" in the password: the URL parser cut the password there and the rest
        # became the host name, which every message would then show. Name nothing of it.
        raise ConfigError(
            "the URL's password contains '@': percent-encode it as %40 (and ':' as %3A, '/' as %2F)"
        )
    scheme = url.drivername
    if scheme in DEFAULT_DRIVERS:
        url = url.set(drivername=DEFAULT_DRIVERS[scheme])
    elif scheme == "mariadb+pymysql":
        url = url.set(drivername="mysql+pymysql")
    return url


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
