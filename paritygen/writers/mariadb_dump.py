"""MariaDB / MySQL's schema tool: ``mariadb-dump --no-data`` of the source, ``mariadb`` to staging.

Two dumps are taken at once (https://mariadb.com/kb/en/mariadb-dump/): the tables, views and
routines (``--skip-triggers --routines``), restored before the load; the triggers and events
(``--no-create-info --triggers --events``), restored after it. MariaDB has no switch that keeps
triggers from firing during a load, so they do not exist yet while rows arrive; events are
scheduled work (a nightly purge) that must not run on half-loaded tables either.

``--single-transaction``: the dump reads one consistent snapshot and takes no ``LOCK TABLES``
on production (``--opt`` would lock every table ``READ LOCAL``). ``--no-tablespaces`` needs no
PROCESS privilege. The dumps drop what they create first (``DROP TABLE IF EXISTS``,
``--add-drop-trigger``, ``DROP PROCEDURE IF EXISTS``), so a rerun replaces an earlier build;
DDL is not transactional in MariaDB, so a killed restore is finished by running it again.

``DEFINER=`user`@`host``` clauses are removed, as ``pg_restore --no-owner`` does on PostgreSQL:
views, triggers and routines then run as the user who builds staging, which exists there
(production's definer account usually does not, and creating an object for another account
needs the SUPER / SET USER privilege).

The connection, password included, goes in a defaults file readable by this user only
(``--defaults-extra-file``, https://mariadb.com/kb/en/configuring-mariadb-with-option-files/),
never on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import URL

from paritygen.errors import ConfigError
from paritygen.writers.schema_tool import (
    SchemaTool,
    find_program,
    run_program,
    url_database,
    url_password,
)

DUMP_PROGRAMS = ("mariadb-dump", "mysqldump")
CLIENT_PROGRAMS = ("mariadb", "mysql")
BEFORE_FILE = "before.sql"
AFTER_FILE = "after.sql"
_NAME = r"(?:`(?:[^`]|``)*`|'[^']*'|[\w.%-]+)"
_DEFINER = re.compile(rf"DEFINER\s*=\s*{_NAME}@{_NAME}")
"""``DEFINER=`user`@`host``` as a dump writes it (removed: see the module docstring)."""
_COMMON = ("--no-data", "--single-transaction", "--skip-comments", "--no-tablespaces")


def _option_value(value: str) -> str:
    """*value* quoted for an option file (backslash and quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def defaults_file(url: URL, folder: Path, name: str) -> Path:
    """A ``[client]`` option file for *url* in the private *folder* (mode 0600)."""
    lines = ["[client]", "default-character-set=utf8mb4"]
    if url.host:
        lines.append(f"host={_option_value(url.host)}")
    if url.port:
        lines.append(f"port={int(url.port)}")
    if url.username:
        lines.append(f"user={_option_value(url.username)}")
    password = url_password(url)
    if password is not None:
        lines.append(f"password={_option_value(password)}")
    socket = url.query.get("unix_socket")
    if isinstance(socket, str):
        lines.append(f"socket={_option_value(socket)}")
    path = folder / name
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _database(url: URL) -> str:
    """The URL's database: the tools work on one named database."""
    database = url_database(url)
    if not database:
        raise ConfigError("--schema-from on MariaDB/MySQL needs the database named in both URLs")
    return database


def dump(source: URL, folder: Path, skip_tables: Sequence[str]) -> None:
    """The two dumps of the source's schema, definers removed."""
    program = find_program(DUMP_PROGRAMS)
    database = _database(source)
    options = defaults_file(source, folder, "source.cnf")
    ignore = [f"--ignore-table={database}.{name}" for name in skip_tables]
    parts = {
        BEFORE_FILE: ("--skip-triggers", "--routines"),
        AFTER_FILE: ("--no-create-info", "--skip-routines", "--triggers", "--add-drop-trigger",
                     "--events"),  # fmt: skip
    }
    try:
        for file, flags in parts.items():
            argv = [program, f"--defaults-extra-file={options}", *_COMMON, *flags, *ignore,
                    f"--result-file={folder / file}", database]  # fmt: skip
            run_program(argv, env={}, what="mariadb-dump --no-data of the --schema-from source",
                        secrets=[url_password(source)])  # fmt: skip
            text = (folder / file).read_text(encoding="utf-8")
            (folder / file).write_text(_DEFINER.sub("", text), encoding="utf-8")
    finally:
        options.unlink(missing_ok=True)


def _restore(target: URL, folder: Path, file: str, what: str) -> None:
    database = _database(target)
    options = defaults_file(target, folder, "target.cnf")
    try:
        argv = [find_program(CLIENT_PROGRAMS), f"--defaults-extra-file={options}", "--batch",
                database]  # fmt: skip
        run_program(argv, env={}, what=what, secrets=[url_password(target)], stdin=folder / file)
    finally:
        options.unlink(missing_ok=True)


def restore_before(target: URL, folder: Path, keys_later: bool = False) -> None:
    """Tables (keys, indexes, FKs, CHECKs: MariaDB writes them inside CREATE TABLE, so they
    come now whatever *keys_later* says), views and routines."""
    _restore(target, folder, BEFORE_FILE, "mariadb restore of the schema into the target")


def restore_after(target: URL, folder: Path, keys_later: bool = False) -> None:
    """Triggers and events, once the rows are in."""
    _restore(target, folder, AFTER_FILE, "mariadb restore of the triggers into the target")


SCHEMA_TOOL = SchemaTool(
    programs=(DUMP_PROGRAMS, CLIENT_PROGRAMS),
    dump=dump,
    restore_before=restore_before,
    restore_after=restore_after,
    description="mariadb-dump --no-data / mariadb",
)
