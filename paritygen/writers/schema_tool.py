"""A database's own schema dump tool, run read-only on the source to build the target's schema.

``generate --schema-from SOURCE_URL`` gives staging production's *whole* schema, which a
profile does not carry (views, triggers, routines, rules, events, every index and constraint as
written). Each database module that has such a tool describes it in one :class:`SchemaTool`
(``Capabilities.schema_tool``, read by :func:`schema_tool`); the orchestration lives in
:mod:`paritygen.run.schema_from`. This module is the shared part, and names no database: the
three steps a tool offers, and how a program runs without a password on its command line.

Why three steps: triggers must not fire while rows are loaded (a ``last_update`` trigger would
overwrite production's dates, an audit trigger would fill a table paritygen loads next), so the
schema is restored in two parts around the load: everything but triggers (and events) before,
triggers and events after, which is what a restore tool's "disable triggers" option achieves,
without a superuser and without anything left disabled by a killed run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from paritygen.errors import SECRET_QUERY_KEYS, ConfigError, LoadError, redact
from paritygen.files import sweep_dead_folders

STDERR_LINES = 3
"""Lines of a failing tool's error output shown on the error line (passwords removed)."""


@dataclass(frozen=True)
class SchemaTool:
    """One database's dump tool, as three steps on files in a private folder."""

    programs: tuple[tuple[str, ...], ...]
    """The programs needed, each as its names in order of preference (a current name first,
    an older spelling after it)."""
    dump: Callable[[URL, Path, Sequence[str]], None]
    """Reads the source's schema (no rows) into files in the folder, skipping the tables
    named; read-only by nature: the tool only reads the catalog."""
    restore_before: Callable[[URL, Path, bool], None]
    """Builds the schema the rows go into, replacing objects of the same name (and so emptying
    tables that held rows). With ``keys_later`` true (an empty target) only what the rows
    need, when :attr:`keys_after_load`; else everything but triggers and events."""
    restore_after: Callable[[URL, Path, bool], None]
    """Adds the rest once the rows are in: triggers and events, and with ``keys_later`` true
    the keys and indexes too (built once over the rows). Rerunning it is harmless."""
    keys_after_load: bool = False
    """True when the tool can build keys, indexes and FKs after the load (a dump in sections):
    loading into bare tables then building them beats maintaining them row by row."""
    description: str = ""
    """How notes name the tool (its programs and main options)."""
    all_schemas: bool = False
    """True when the dump holds every schema of the source database (and so replaces tables
    in any schema of the target), not only its default one."""


def schema_tool(dialect_name: str) -> SchemaTool:
    """The registered tool of *dialect_name*'s family, its programs found on ``PATH``; one
    clear line when the database has none or the programs are missing."""
    from paritygen.writers.capabilities import capabilities

    caps = capabilities(dialect_name)
    tool = caps.schema_tool
    if tool is None:
        raise ConfigError(
            f"--schema-from: paritygen knows no schema dump tool for {caps.display_name}"
        )
    for names in tool.programs:
        find_program(names)
    return tool


def find_program(names: Sequence[str]) -> str:
    """The path of the first of *names* on ``PATH``; one clear line when none is installed."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError(
        f"--schema-from needs {' or '.join(names)} on PATH (the database's own dump tool);"
        " install the database's client tools or drop --schema-from"
    )


def url_password(url: URL) -> str | None:
    """The URL's password, from its authority or a ``?password=`` query value."""
    if url.password:
        return str(url.password)
    for key, value in url.query.items():
        if key.lower() in SECRET_QUERY_KEYS:
            return value if isinstance(value, str) else value[0]
    return None


DATABASE_QUERY_KEYS = ("dbname", "database", "db")
"""URL query parameters a driver reads as the database name."""


def url_database(url: URL) -> str | None:
    """The database *url* names: its path, else a ``?dbname=`` / ``?database=`` / ``?db=``
    query value, the way the driver reads it (the tool must reach the very database the
    identity check was asked of)."""
    if url.database:
        return str(url.database)
    for key, value in url.query.items():
        if key.lower() in DATABASE_QUERY_KEYS:
            return value if isinstance(value, str) else value[0]
    return None


def run_program(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    what: str,
    secrets: Sequence[str | None] = (),
    stdin: Path | None = None,
    stdout: Path | None = None,
) -> None:
    """Run *argv* with *env* added to the environment; a failure becomes one :class:`LoadError`
    line naming *what* failed and the tool's first error lines, with every secret removed.

    Passwords travel in *env* or a private defaults file, never in *argv*,
    which any user of the machine can read (``ps``)."""
    full_env = {**os.environ, **env}
    try:
        with (
            open(stdin, "rb") if stdin else open(os.devnull, "rb") as source,
            open(stdout, "wb") if stdout else open(os.devnull, "wb") as sink,
        ):
            done = subprocess.run(
                list(argv), env=full_env, stdin=source, stdout=sink, stderr=subprocess.PIPE,
                check=False,
            )  # fmt: skip
    except OSError as exc:
        raise LoadError(f"{what}: cannot run {Path(argv[0]).name}: {exc.strerror}") from None
    if done.returncode != 0:
        text = done.stderr.decode("utf-8", "replace")
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        lines = [line.strip() for line in redact(text).splitlines() if line.strip()]
        reason = "; ".join(lines[:STDERR_LINES]) or f"exit status {done.returncode}"
        raise LoadError(f"{what} failed: {reason}")


FOLDER_PREFIX = "paritygen-schema-"
"""Dump folders are ``paritygen-schema-<pid>-<random>`` in the temporary directory."""


def private_folder(parent: Path | None = None) -> Path:
    """A folder only this user can read (the dump, and a password file where a tool reads one).
    Folders a killed run left behind (its process is gone) are removed first."""
    import tempfile

    root = Path(parent or tempfile.gettempdir())
    sweep_dead_folders(root, FOLDER_PREFIX)
    return Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=root))
