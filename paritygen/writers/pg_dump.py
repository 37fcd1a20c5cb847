"""PostgreSQL's schema tool: ``pg_dump --schema-only`` of the source, ``pg_restore`` into staging.

The dump is taken once, in the custom format (``-Fc``), so it can be restored in two parts
(https://www.postgresql.org/docs/current/app-pgrestore.html). Into an empty target: the
pre-data section (tables, views, functions, types) before the load, the post-data section
(keys, indexes, FKs, triggers, rules) after it, as pg_restore orders a restore of data: the
rows go into bare tables and every index is built once. Over an existing schema (a rerun),
whose objects must be dropped in dependency order, FKs first: every entry of the table of
contents (``-l`` / ``-L``) but triggers and event triggers before, those after. Either way no
trigger fires on the loaded rows: the effect of ``pg_restore --disable-triggers`` (or
``session_replication_role = replica``) without needing a superuser, and no trigger can be
left disabled by a killed run. Both parts
run ``--clean --if-exists --single-transaction --exit-on-error``: a rerun replaces what an
earlier run built, and a failure (or a kill) leaves the target as it was. Materialized views
come WITH NO DATA in a schema-only dump; they are refreshed from the loaded rows at the end.

``--no-owner --no-privileges``: the objects belong to the target's user, and production's
roles and grants need not exist on staging. The whole database is dumped (every schema the
user may read), so extensions (citext, hstore) and types a table needs come with it.

Connection settings travel as libpq environment variables (``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGPASSWORD``, https://www.postgresql.org/docs/current/libpq-envars.html); only the database
name is on the command line, so no password reaches ``ps`` or a log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import URL

from paritygen.writers.schema_tool import (
    SchemaTool,
    find_program,
    run_program,
    url_database,
    url_password,
)

DUMP_FILE = "schema.dump"
BEFORE_LIST = "before.list"
AFTER_LIST = "after.list"

# A table-of-contents line: "3303; 2620 23621 TRIGGER public film film_fts owner".
_AFTER_LOAD = re.compile(r"^\d+; \d+ \d+ (EVENT )?TRIGGER ")

LIBPQ_QUERY_ENV = {
    "host": "PGHOST",  # a socket folder: ?host=/var/run/postgresql
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
"""URL query parameters passed on to the tools as their libpq variables."""


def libpq_env(url: URL) -> dict[str, str]:
    """The libpq environment of *url* (password included: the environment is not ``ps``)."""
    env = {"PGHOST": url.host or "", "PGPORT": str(url.port or ""), "PGUSER": url.username or ""}
    password = url_password(url)
    if password is not None:
        env["PGPASSWORD"] = password
    for key, value in url.query.items():
        if key in LIBPQ_QUERY_ENV:
            env[LIBPQ_QUERY_ENV[key]] = value if isinstance(value, str) else value[0]
    env["PGAPPNAME"] = "paritygen-schema-from"
    return {k: v for k, v in env.items() if v}


def dbname_option(url: URL) -> str:
    """``--dbname=dbname='...'``: a connection string naming only the database, quoted, so a
    database name holding ``=`` is a name and never read as connection settings
    (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING)."""
    name = url_database(url) or url.username or ""
    return "--dbname=dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dump(source: URL, folder: Path, skip_tables: Sequence[str]) -> None:
    """``pg_dump -Fc --schema-only`` of the source, and the two restore lists."""
    archive = folder / DUMP_FILE
    argv = [find_program(("pg_dump",)), "--format=custom", "--schema-only", "--no-owner",
            "--no-privileges", f"--file={archive}"]  # fmt: skip
    # Double quotes make a pg_dump pattern match the name exactly (case, wildcards).
    argv += [f'--exclude-table="{name.replace(chr(34), chr(34) * 2)}"' for name in skip_tables]
    argv.append(dbname_option(source))
    run_program(argv, env=libpq_env(source), what="pg_dump --schema-only of the --schema-from"
                " source", secrets=[url_password(source)])  # fmt: skip
    listing = folder / "all.list"
    run_program([find_program(("pg_restore",)), "--list", str(archive)], env={},
                what="pg_restore --list", stdout=listing)  # fmt: skip
    before, after = [], []
    for line in listing.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(";"):
            continue
        (after if _AFTER_LOAD.match(line) else before).append(line)
    (folder / BEFORE_LIST).write_text("".join(before), encoding="utf-8")
    (folder / AFTER_LIST).write_text("".join(after), encoding="utf-8")


PRE_DATA = "--section=pre-data"
POST_DATA = "--section=post-data"
"""pg_restore's sections: tables, views and functions before the rows; keys, indexes, FKs,
triggers and rules after them (what pg_restore itself does around a data load)."""


def _restore(
    target: URL, folder: Path, listing: str | None, what: str, section: str | None = None
) -> None:
    """pg_restore of the dump's entries in *listing*, or of *section*."""
    if listing is not None and not (folder / listing).read_text(encoding="utf-8").strip():
        return  # nothing of this part (no triggers): pg_restore would restore everything
    selection = [f"--use-list={folder / listing}"] if listing is not None else [str(section)]
    argv = [find_program(("pg_restore",)), "--clean", "--if-exists", "--single-transaction",
            "--exit-on-error", "--no-owner", "--no-privileges", *selection,
            dbname_option(target), str(folder / DUMP_FILE)]  # fmt: skip
    run_program(argv, env=libpq_env(target), what=what, secrets=[url_password(target)])


def restore_before(target: URL, folder: Path, keys_later: bool) -> None:
    """The pre-data section (tables, views, functions, types) with *keys_later*; else
    everything but triggers and event triggers (tables, keys, indexes, views, functions)."""
    if keys_later:
        _restore(target, folder, None, "pg_restore of the schema into the target", PRE_DATA)
    else:
        _restore(target, folder, BEFORE_LIST, "pg_restore of the schema into the target")


# A schema-only dump creates materialized views WITH NO DATA (their REFRESH is data); filled
# from the loaded rows, in creation order so one built on another comes after it
# (https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html, psql's \gexec).
REFRESH_SQL = """SELECT format('REFRESH MATERIALIZED VIEW %I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND NOT c.relispopulated ORDER BY c.oid
\\gexec
"""


def restore_after(target: URL, folder: Path, keys_later: bool) -> None:
    """The post-data section (keys, indexes, FKs, triggers, rules) with *keys_later*, else
    triggers and event triggers, once the rows are in; then the materialized views are
    filled from those rows, so a query on one runs on staging as on production."""
    if keys_later:
        _restore(target, folder, None, "pg_restore of keys, indexes and triggers", POST_DATA)
    else:
        _restore(target, folder, AFTER_LIST, "pg_restore of the triggers into the target")
    script = folder / "refresh.sql"
    script.write_text(REFRESH_SQL, encoding="utf-8")
    argv = [find_program(("psql",)), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            dbname_option(target)]  # fmt: skip
    run_program(argv, env=libpq_env(target), what="refreshing materialized views in the target",
                secrets=[url_password(target)], stdin=script)  # fmt: skip


SCHEMA_TOOL = SchemaTool(
    programs=(("pg_dump",), ("pg_restore",), ("psql",)),
    dump=dump,
    restore_before=restore_before,
    restore_after=restore_after,
    description="pg_dump --schema-only / pg_restore",
    all_schemas=True,
    keys_after_load=True,
)
