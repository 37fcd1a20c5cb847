"""MariaDB / MySQL's schema tool: ``mariadb-dump --no-data`` of the source, ``mariadb`` to staging.

Two dumps are taken at once (https://mariadb.com/kb/en/mariadb-dump/): the tables, views and
routines (``--skip-triggers --routines``), restored before the load; the triggers and events
(``--no-create-info --triggers --events``), restored after it. MariaDB has no switch that keeps
triggers from firing during a load, so they do not exist yet while rows arrive; events are
scheduled work (a nightly purge) that must not run on half-loaded tables either. Into an empty
target the FULLTEXT and SPATIAL indexes are also built after the load (:data:`LATE_INDEX_TYPES`).

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

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from paritygen.errors import ConfigError, LoadError
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
    skipped = set(skip_tables)
    late = [i for i in _late_indexes(source) if i["table"] not in skipped]
    (folder / LATE_INDEXES_FILE).write_text(json.dumps(late), encoding="utf-8")
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


LATE_INDEX_TYPES = ("FULLTEXT", "SPATIAL")
"""Index types built after the load into an empty target: maintaining a FULLTEXT index row by
row made 200,000 films load in 17.8 s against 3.9 s when it is built once afterwards. Other
indexes stay (an FK needs its index; the primary key clusters the table)."""
LATE_INDEXES_FILE = "late_indexes.json"
_LATE_INDEXES_SQL = (
    "SELECT table_name, index_name, index_type, column_name FROM information_schema.statistics"
    " WHERE table_schema = %s AND index_type IN ('FULLTEXT', 'SPATIAL')"
    " ORDER BY table_name, index_name, seq_in_index"
)
"""The schema as a literal: MariaDB then reads that schema's tables only (with DATABASE() it
opens every schema's, and waits on another session's ALTER anywhere on the server)."""


def _late_indexes(url: URL) -> list[dict[str, Any]]:
    """The FULLTEXT and SPATIAL indexes of *url*'s database, read from its catalog."""
    from paritygen.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(_LATE_INDEXES_SQL, (_database(url),)).all()
    finally:
        engine.dispose()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for table, index, kind, column in rows:
        entry = found.setdefault((table, index), {"table": table, "index": index, "type": kind,
                                                  "columns": []})  # fmt: skip
        entry["columns"].append(column)
    return list(found.values())


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _alter_indexes(target: URL, statements: list[str], what: str) -> None:
    from paritygen.db import describe_db_error, make_engine

    if not statements:
        return
    engine = make_engine(target)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    except sa.exc.DBAPIError as exc:
        raise LoadError(f"{what} failed: {describe_db_error(exc)}") from None
    finally:
        engine.dispose()


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
    """Tables (keys, indexes, FKs, CHECKs: the dump writes them inside CREATE TABLE), views
    and routines; with *keys_later* the FULLTEXT and SPATIAL indexes are then dropped, to be
    built once over the rows by :func:`restore_after` (their definitions are the source's,
    kept in the folder and read again by a resumed run)."""
    _restore(target, folder, BEFORE_FILE, "mariadb restore of the schema into the target")
    if keys_later:
        late = json.loads((folder / LATE_INDEXES_FILE).read_text(encoding="utf-8"))
        _alter_indexes(target, [f"ALTER TABLE {_quote(i['table'])} DROP INDEX"
                                f" {_quote(i['index'])}" for i in late],  # fmt: skip
                       "dropping FULLTEXT / SPATIAL indexes for the load")


def restore_after(target: URL, folder: Path, keys_later: bool = False) -> None:
    """The source's FULLTEXT and SPATIAL indexes the target lacks (*keys_later*), then the
    triggers and events, once the rows are in."""
    if keys_later:
        late = json.loads((folder / LATE_INDEXES_FILE).read_text(encoding="utf-8"))
        have = {(i["table"], i["index"]) for i in _late_indexes(target)}
        _alter_indexes(target, [
            f"ALTER TABLE {_quote(i['table'])} ADD {i['type']} INDEX {_quote(i['index'])}"
            f" ({', '.join(_quote(c) for c in i['columns'])})"
            for i in late if (i["table"], i["index"]) not in have and i["type"] in LATE_INDEX_TYPES
        ], "building FULLTEXT / SPATIAL indexes after the load")  # fmt: skip
    _restore(target, folder, AFTER_FILE, "mariadb restore of the triggers into the target")


SCHEMA_TOOL = SchemaTool(
    programs=(DUMP_PROGRAMS, CLIENT_PROGRAMS),
    dump=dump,
    restore_before=restore_before,
    restore_after=restore_after,
    description="mariadb-dump --no-data / mariadb",
    keys_after_load=True,
)
