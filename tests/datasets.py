"""Test-data helpers: real sample databases loaded fast into a test's own database.

- :func:`load_chinook` puts the Chinook sample (11 tables, 15,607 rows) into the fresh database a
  fixture created. The vendor scripts drop and create their own database (``chinook`` /
  ``Chinook``) and switch to it; those statements are stripped so the data lands in the fixture's
  database and parallel tests never collide. Loads go through the database's own client
  (``psql -f``, ``mariadb``), which runs the scripts' multi-row INSERTs in well under a second.
- :func:`build_shop_db` fills a database with the demo shop (see ``paritygen.demo.shop``).

Import as ``from datasets import load_chinook, build_shop_db``: pytest puts ``tests/`` on
``sys.path`` (it holds the root conftest.py and no ``__init__.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from paritygen.demo.shop import build_shop

# Same lookup as tests/conftest.py (kept here so this module imports without pytest's conftest).
DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
if not DATASETS.exists():  # CI clones next to a copy of shared/
    DATASETS = Path(os.environ.get("PARITYGEN_DATASETS", str(DATASETS)))
CHINOOK_DIR = DATASETS / "chinook"
CHINOOK_SCRIPTS = {"postgresql": "Chinook_PostgreSql.sql", "mysql": "Chinook_MySql.sql"}
CHINOOK_SQLITE = "Chinook_Sqlite.sqlite"
CHINOOK_TABLES = 11
CHINOOK_ROWS = 15_607

# Statements that pick the script's own database: DROP/CREATE DATABASE, psql's \c, MySQL's USE.
_OWN_DATABASE = re.compile(
    r"^\s*(DROP\s+DATABASE\b|CREATE\s+DATABASE\b|USE\s|\\c\s|\\connect\s)[^\n]*\n?",
    re.IGNORECASE | re.MULTILINE,
)


class DatasetError(RuntimeError):
    """A sample data set is missing or its load failed (the client's stderr is in the message)."""


def _missing(message: str) -> None:
    """A data set absent from this clone: under pytest the test skips (fails only when
    ``PARITYGEN_REQUIRE_SERVERS=1``, as CI sets it), so every caller of the loaders is covered;
    elsewhere (benchmarks) it is an error."""
    import sys

    if "pytest" not in sys.modules:
        raise DatasetError(message)
    import pytest

    if os.environ.get("PARITYGEN_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message} (PARITYGEN_REQUIRE_SERVERS=1)")
    pytest.skip(message)


def chinook_script(dialect: str) -> str:
    """The vendor script for *dialect* without the statements that switch databases."""
    try:
        path = CHINOOK_DIR / CHINOOK_SCRIPTS[dialect]
    except KeyError:
        raise DatasetError(f"no Chinook script for dialect {dialect!r}") from None
    if not path.exists():
        _missing(f"Chinook script not found at {path}")
    return _OWN_DATABASE.sub("", path.read_text(encoding="utf-8"))


def _run(command: list[str], script: str, env: dict[str, str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        with open(script_path, "rb") as stdin:
            done = subprocess.run(
                command, stdin=stdin, capture_output=True, env={**os.environ, **env}, check=False
            )
    finally:
        os.unlink(script_path)
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DatasetError(f"{command[0]} failed ({done.returncode}): {' | '.join(stderr[:3])}")


def load_chinook(dialect: str, url: str) -> str:
    """Load Chinook into the (already created, empty) database at *url*; return the URL to use.

    SQLite gets a private copy of the shared file at the URL's path (the shared file is never
    written); PostgreSQL and MariaDB get the vendor script through their own client.
    """
    parsed = sa.make_url(url)
    if dialect == "sqlite":
        source = CHINOOK_DIR / CHINOOK_SQLITE
        if not source.exists():
            _missing(f"Chinook SQLite file not found at {source}")
        shutil.copyfile(source, parsed.database)
        return url
    script = chinook_script(dialect)
    env = {}
    if dialect == "postgresql":
        if parsed.password:
            env["PGPASSWORD"] = parsed.password
        command = [
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
            "-U", parsed.username or "postgres", "-d", parsed.database or "",
        ]  # fmt: skip
    elif dialect == "mysql":
        if parsed.password:
            env["MYSQL_PWD"] = parsed.password
        client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
        command = [
            client, "--batch", "--default-character-set=utf8mb4",
            "-h", parsed.host or "127.0.0.1", "-P", str(parsed.port or 3306),
            "-u", parsed.username or "root", parsed.database or "",
        ]  # fmt: skip
        # One transaction instead of one commit per statement (InnoDB flushes the log on each).
        script = f"SET autocommit=0;\n{script}\nCOMMIT;\n"
    else:
        raise DatasetError(f"no Chinook loader for dialect {dialect!r}")
    _run(command, script, env)
    return url


def build_shop_db(url: str, scale: float = 0.05, seed: int = 7) -> dict[str, int]:
    """Fill the empty database at *url* with the demo shop; rows per table."""
    return build_shop(url, scale=scale, seed=seed)
