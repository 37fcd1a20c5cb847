"""What the profiler must know about each database, written as data: the read-only session,
catalog queries (row estimates, bytes), the in-database sampling clause.

One :class:`DialectSQL` per database, each statement with a link to the vendor documentation
(the dlt model of STYLE.md). Everything that talks to the source about *where* and *how much*
lives here; :mod:`paritygen.profile.read` reads rows, :mod:`paritygen.profile.stats` measures them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

SAMPLE_SEED = 20240601
"""Fixed seed of the in-database sample, so two profiles of the same data agree (PG, MariaDB)."""
STATEMENT_TIMEOUT_SECONDS = 3600
"""Per-statement limit set on the source so a runaway query cannot load production for hours."""
LOCK_WAIT_SECONDS = 1
"""Longest wait for one table's metadata lock while listing triggers (MariaDB)."""
TRIGGER_LIST_SECONDS = 10
"""Longest the trigger listing may take in all (MariaDB): a server busy with DDL elsewhere
made it wait on table after table; past this the triggers are left unlisted."""
SYSTEM_SAMPLE_RATIO = 50
"""PostgreSQL: tables more than this many times ``sample_rows`` are sampled by block (SYSTEM),
which reads only the chosen pages; smaller ones row by row (BERNOULLI), which scans but is
unbiased for clustered data (https://www.postgresql.org/docs/current/sql-select.html#SQL-FROM)."""


@dataclass(frozen=True)
class DialectSQL:
    """What the profiler needs to know about one database, as data."""

    session: tuple[str, ...]
    """Statements run first on the profiling connection: read-only, consistent, time-limited."""
    optional_session: tuple[str, ...] = ()
    """Statements that may fail on some server versions (MySQL vs MariaDB variable names)."""
    version_sql: str = "SELECT 1"
    row_estimate_sql: str | None = None
    """Catalog row estimate (``--estimate-rows``), params :schema and :table; None: count."""
    bytes_sql: str | None = None
    """Data and index bytes, params :schema and :table; None when the database has no catalog."""
    file_bytes_sql: str | None = None
    """Bytes the table's own file takes, param :space (see :func:`table_bytes`); optional."""
    catalog_sql: str | None = None
    """(name, row estimate, data bytes, index bytes) of many tables in one query, params
    :schema and the expanding :names (see :func:`table_catalog`)."""
    files_bytes_sql: str | None = None
    """(space, bytes) of many tables' own files, expanding param :spaces; optional."""
    current_schema_sql: str | None = None
    schema_objects_sql: tuple[tuple[str, str], ...] = ()
    """(kind, query) pairs listing what a profile does not carry (views, triggers, routines,
    rules, inheritance): each query takes :schema and returns names."""
    sample: Callable[[str, float], tuple[str, str]] | None = None
    export_snapshot_sql: str | None = None
    """Exports the session's snapshot so other sessions read the same instant (parallel readers
    of one consistent copy); None where the database cannot."""
    import_snapshot: tuple[str, ...] = ()
    """Statements that start a session in an exported snapshot (``{snapshot}``: its id)."""
    read_aside: bool = False
    """Where no snapshot is exported: the profiling connection may read the next table on a
    thread of its own (one statement at a time) while this one measures the last; False for
    drivers whose connections belong to the thread that opened them."""
    """(FROM/WHERE text for a table reference and fraction, method label)."""


def _pg_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    method = "SYSTEM" if fraction < 1.0 / SYSTEM_SAMPLE_RATIO else "BERNOULLI"
    percent = f"{fraction * 100:.6f}"
    return (
        f"{table_ref} TABLESAMPLE {method} ({percent}) REPEATABLE ({SAMPLE_SEED})",
        f"TABLESAMPLE {method}",
    )


def _mysql_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    # RAND(N) with a constant seed is repeatable per query
    # (https://mariadb.com/kb/en/rand/); the filter runs in the server, rows never leave it.
    return f"{table_ref} WHERE RAND({SAMPLE_SEED}) < {fraction:.9f}", "RAND()"


def _sqlite_sample(table_ref: str, fraction: float) -> tuple[str, str]:
    # random() is a 64-bit integer; the modulo keeps abs() away from its overflow at INT64_MIN.
    threshold = max(1, int(round(fraction * 1_000_000)))
    return f"{table_ref} WHERE abs(random() % 1000000) < {threshold}", "random()"


SEQSCANS_FROM_THE_START = "SET LOCAL synchronize_seqscans = off"
"""PostgreSQL starts a scan of a large table where a scan already running elsewhere is (another
profile, a report, a backup), so the rows of one snapshot arrive in another order each time;
the fixed-seed samples of the statistics (words, shapes, tags) then pick other rows and two
profiles of one database differ. Off, every read starts at the table's first page
(https://www.postgresql.org/docs/current/runtime-config-compatible.html#GUC-SYNCHRONIZE-SEQSCANS)."""


DIALECTS: dict[str, DialectSQL] = {
    # https://www.postgresql.org/docs/current/sql-set-transaction.html
    "postgresql": DialectSQL(
        session=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'",
            SEQSCANS_FROM_THE_START,
        ),
        version_sql="SHOW server_version",
        row_estimate_sql=(
            "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relname = :table"
        ),
        # A partitioned table holds no rows itself: its sizes are its partitions' (the tree of
        # a plain table is empty: the table itself). PostgreSQL 12+:
        # https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-INFO-PARTITION
        bytes_sql=(
            "SELECT sum(pg_table_size(COALESCE(t.relid, c.oid))),"
            " sum(pg_indexes_size(COALESCE(t.relid, c.oid))) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON true"
            " WHERE n.nspname = :schema AND c.relname = :table"
        ),
        catalog_sql=(
            "SELECT c.relname, c.reltuples::bigint, sum(pg_table_size(COALESCE(t.relid, c.oid))),"
            " sum(pg_indexes_size(COALESCE(t.relid, c.oid))) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON true"
            " WHERE n.nspname = :schema AND c.relname IN :names"
            " GROUP BY c.oid, c.relname, c.reltuples"
        ),
        current_schema_sql="SELECT current_schema()",
        sample=_pg_sample,
        # https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-SNAPSHOT-SYNCHRONIZATION
        # (what pg_dump --jobs does): valid while the exporting transaction stays open.
        export_snapshot_sql="SELECT pg_export_snapshot()",
        read_aside=True,
        import_snapshot=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "SET TRANSACTION SNAPSHOT '{snapshot}'",
            f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'",
            SEQSCANS_FROM_THE_START,
        ),
        schema_objects_sql=(
            # https://www.postgresql.org/docs/current/catalogs.html; functions an extension
            # installed (citext, hstore) are the extension's, not the schema's.
            ("view", "SELECT viewname FROM pg_views WHERE schemaname = :schema"),
            ("materialized view", "SELECT matviewname FROM pg_matviews WHERE schemaname = :schema"),
            (
                "trigger",
                "SELECT DISTINCT trigger_name || ' on ' || event_object_table"
                " FROM information_schema.triggers WHERE trigger_schema = :schema",
            ),
            (
                "function",
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = :schema AND NOT EXISTS (SELECT 1 FROM pg_depend d"
                " WHERE d.objid = p.oid AND d.deptype = 'e')",
            ),
            (
                "rule",
                "SELECT rulename || ' on ' || tablename FROM pg_rules WHERE schemaname = :schema",
            ),
            (
                "inheritance",
                "SELECT c.relname || ' -> ' || p.relname FROM pg_inherits i"
                " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND NOT c.relispartition",
            ),
        ),
    ),
    # https://mariadb.com/kb/en/set-transaction/ and https://mariadb.com/kb/en/aborting-statements/
    "mysql": DialectSQL(
        session=(
            "SET SESSION TRANSACTION READ ONLY",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ),
        optional_session=(
            f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_SECONDS}",  # MariaDB
            f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_SECONDS * 1000}",  # MySQL
            "SET SESSION time_zone = '+00:00'",  # TIMESTAMP columns read as UTC
        ),
        version_sql="SELECT VERSION()",
        row_estimate_sql=(
            "SELECT table_rows FROM information_schema.tables"
            " WHERE table_schema = :schema AND table_name = :table"
        ),
        bytes_sql=(
            "SELECT data_length, index_length FROM information_schema.tables"
            " WHERE table_schema = :schema AND table_name = :table"
        ),
        # InnoDB's data_length / index_length come from persistent statistics, which lag a
        # bulk load until the background recalculation or ANALYZE TABLE runs; the tablespace's
        # allocated size is always current (file-per-table, the default since 10.x).
        # https://mariadb.com/kb/en/information-schema-innodb_sys_tablespaces-table/
        file_bytes_sql=(
            "SELECT allocated_size FROM information_schema.innodb_sys_tablespaces"
            " WHERE name = :space"
        ),
        catalog_sql=(
            "SELECT table_name, table_rows, data_length, index_length"
            " FROM information_schema.tables"
            " WHERE table_schema = :schema AND table_name IN :names"
        ),
        files_bytes_sql=(
            "SELECT name, allocated_size FROM information_schema.innodb_sys_tablespaces"
            " WHERE name IN :spaces"
        ),
        current_schema_sql="SELECT DATABASE()",
        sample=_mysql_sample,
        # No snapshot export (a second session would read another instant): the next table
        # is read on this one connection, beside the measuring (pymysql is not thread-bound).
        read_aside=True,
        # https://mariadb.com/kb/en/information-schema-tables/
        schema_objects_sql=(
            (
                "view",
                "SELECT table_name FROM information_schema.views WHERE table_schema = :schema",
            ),
            (
                # MariaDB reads each table's trigger file under its metadata lock: the wait is
                # bounded (https://mariadb.com/kb/en/set-statement/; the /*M! comment is
                # MariaDB's alone, MySQL reads its data dictionary and ignores it), and a
                # timeout skips the kind like any object the server cannot list.
                "trigger",
                f"/*M!100102 SET STATEMENT lock_wait_timeout = {LOCK_WAIT_SECONDS},"
                f" max_statement_time = {TRIGGER_LIST_SECONDS} FOR */"
                " SELECT DISTINCT CONCAT(trigger_name, ' on ', event_object_table)"
                " FROM information_schema.triggers WHERE trigger_schema = :schema",
            ),
            (
                "routine",
                "SELECT CONCAT(LOWER(routine_type), ' ', routine_name)"
                " FROM information_schema.routines WHERE routine_schema = :schema",
            ),
            (
                "event",
                "SELECT event_name FROM information_schema.events WHERE event_schema = :schema",
            ),
        ),
    ),
    # The file is opened with ?mode=ro (run.py); query_only also refuses writes on this connection
    # (https://www.sqlite.org/pragma.html#pragma_query_only).
    "sqlite": DialectSQL(
        session=("PRAGMA query_only = ON",),
        version_sql="SELECT sqlite_version()",
        sample=_sqlite_sample,
        schema_objects_sql=(
            ("view", "SELECT name FROM sqlite_master WHERE type = 'view' AND :schema IS NULL"),
            (
                "trigger",
                "SELECT name || ' on ' || tbl_name FROM sqlite_master"
                " WHERE type = 'trigger' AND :schema IS NULL",
            ),
        ),
    ),
}

GENERIC = DialectSQL(session=())
"""Any other SQLAlchemy database: exact counts, no bytes, full reads."""


def dialect_sql(conn: Connection) -> DialectSQL:
    """The constants for *conn*'s database (generic ones for an unknown dialect)."""
    return DIALECTS.get(conn.dialect.name, GENERIC)


def start_session(conn: Connection) -> None:
    """Make the connection read-only, snapshot-consistent and time-limited before any read."""
    spec = dialect_sql(conn)
    for statement in spec.session:
        conn.exec_driver_sql(statement)
    for statement in spec.optional_session:
        # Only on MariaDB/MySQL, where a failed SET leaves the transaction usable.
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            continue


_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]+$")


def export_snapshot(conn: Connection) -> str | None:
    """The id other sessions can read this session's snapshot by, or None where the database
    cannot share snapshots (then nothing is read concurrently: counts and fan-outs must agree)."""
    sql = dialect_sql(conn).export_snapshot_sql
    if sql is None:
        return None
    snapshot = str(conn.exec_driver_sql(sql).scalar())
    return snapshot if _SNAPSHOT_ID.match(snapshot) else None


def join_session(conn: Connection, snapshot: str) -> None:
    """Start *conn* as :func:`start_session` does, reading the exported *snapshot*."""
    spec = dialect_sql(conn)
    if not spec.import_snapshot or not _SNAPSHOT_ID.match(snapshot):
        raise ValueError("this database cannot share a snapshot")
    for statement in spec.import_snapshot:
        conn.exec_driver_sql(statement.format(snapshot=snapshot))


def server_version(conn: Connection) -> str | None:
    """The server's own version string (e.g. ``10.11.6-MariaDB``)."""
    try:
        return str(conn.exec_driver_sql(dialect_sql(conn).version_sql).scalar())
    except sa.exc.DBAPIError:
        return None


def current_schema(conn: Connection) -> str | None:
    """The schema (PostgreSQL) or database (MariaDB) tables are read from by default."""
    sql = dialect_sql(conn).current_schema_sql
    return None if sql is None else conn.exec_driver_sql(sql).scalar()


def quote_table(conn: Connection, schema: str | None, name: str) -> str:
    """``schema.table`` quoted for the dialect."""
    prep = conn.dialect.identifier_preparer
    ref = prep.quote(name)
    return f"{prep.quote_schema(schema)}.{ref}" if schema else ref


def catalog_rows(conn: Connection, schema: str | None, name: str) -> int | None:
    """The catalog's row estimate (PostgreSQL ``reltuples``, MariaDB ``table_rows``), if known."""
    sql = dialect_sql(conn).row_estimate_sql
    if sql is None or schema is None:
        return None
    value = conn.execute(sa.text(sql), {"schema": schema, "table": name}).scalar()
    return int(value) if value is not None and int(value) >= 0 else None


def count_rows(conn: Connection, table_ref: str) -> int:
    """Exact ``count(*)``."""
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table_ref}").scalar() or 0)


def table_bytes(conn: Connection, schema: str | None, name: str) -> tuple[int | None, int | None]:
    """(data bytes, index bytes) from the catalog; (None, None) where there is none."""
    sql = dialect_sql(conn).bytes_sql
    if sql is None or schema is None:
        return None, None
    row = conn.execute(sa.text(sql), {"schema": schema, "table": name}).first()
    if row is None:
        return None, None
    data, index = (None if v is None else int(v) for v in row[:2])
    file_bytes = _file_bytes(conn, schema, name)
    if file_bytes is not None and data is not None:
        # Split the file's current size in the catalog's data : index proportion.
        catalog = data + (index or 0)
        data_share = data / catalog if catalog else 1.0
        data = round(file_bytes * data_share)
        index = file_bytes - data
    return data, index


@dataclass(frozen=True)
class TableCatalog:
    """What the catalog says of one table: :func:`catalog_rows` and :func:`table_bytes`."""

    estimate: int | None = None
    data_bytes: int | None = None
    index_bytes: int | None = None


def table_catalog(
    conn: Connection, schema: str | None, names: Sequence[str]
) -> dict[str, TableCatalog]:
    """:func:`catalog_rows` and :func:`table_bytes` of every table of *names* in one or two
    queries: asked table by table, the catalog's round trips (two or three per table, through
    ``information_schema`` on MariaDB) were a fixed cost that grew with the number of tables.
    A table the catalog does not know gets an empty :class:`TableCatalog`."""
    spec = dialect_sql(conn)
    if schema is None or not names:
        return {}
    if spec.catalog_sql is None:
        return {name: TableCatalog() for name in names}
    query = sa.text(spec.catalog_sql).bindparams(sa.bindparam("names", expanding=True))
    rows = conn.execute(query, {"schema": schema, "names": list(names)}).all()
    found = {str(row[0]): row for row in rows}
    spaces = {f"{_filename_safe(schema)}/{_filename_safe(name)}": name for name in names}
    files = _files_bytes(conn, list(spaces)) if spec.files_bytes_sql is not None else {}
    out = {}
    for name in names:
        row = found.get(name)
        if row is None:  # the catalog compared names without case (MariaDB): match so too
            row = next((r for key, r in found.items() if key.casefold() == name.casefold()), None)
        if row is None:
            out[name] = TableCatalog()
            continue
        estimate = None if row[1] is None or int(row[1]) < 0 else int(row[1])
        data, index = (None if v is None else int(v) for v in row[2:4])
        space = f"{_filename_safe(schema)}/{_filename_safe(name)}"
        file_bytes = files.get(space)
        if file_bytes and data is not None:
            # Split the file's current size in the catalog's data : index proportion.
            catalog = data + (index or 0)
            data_share = data / catalog if catalog else 1.0
            data = round(file_bytes * data_share)
            index = file_bytes - data
        out[name] = TableCatalog(estimate=estimate, data_bytes=data, index_bytes=index)
    return out


def _files_bytes(conn: Connection, spaces: list[str]) -> dict[str, int]:
    """:func:`_file_bytes` of many tablespaces at once; {} where the catalog hides them."""
    sql = dialect_sql(conn).files_bytes_sql
    if sql is None:
        return {}
    query = sa.text(sql).bindparams(sa.bindparam("spaces", expanding=True))
    try:
        rows = conn.execute(query, {"spaces": spaces}).all()
    except sa.exc.DBAPIError:
        return {}
    return {str(space): int(size) for space, size in rows if size}


def _file_bytes(conn: Connection, schema: str, name: str) -> int | None:
    """The table's tablespace size, or None where the catalog does not expose it to us
    (no PROCESS privilege, shared tablespace): the catalog figures stand then."""
    sql = dialect_sql(conn).file_bytes_sql
    if sql is None:
        return None
    space = f"{_filename_safe(schema)}/{_filename_safe(name)}"
    try:
        row = conn.execute(sa.text(sql), {"space": space}).first()
    except sa.exc.DBAPIError:
        return None
    return int(row[0]) if row is not None and row[0] else None


def _filename_safe(identifier: str) -> str:
    """MariaDB's file-name encoding of an identifier: ``order-lines`` -> ``order@002dlines``
    (https://mariadb.com/kb/en/identifier-to-file-name-mapping/)."""
    return "".join(
        ch if (ch.isascii() and (ch.isalnum() or ch == "_")) else f"@{ord(ch):04x}"
        for ch in identifier
    )


def exact_min_max(conn: Connection, table_ref: str, column: str) -> tuple[Any, Any]:
    """Exact MIN/MAX of one column: an index lookup when the column leads an index."""
    name = conn.dialect.identifier_preparer.quote(column)
    row = conn.exec_driver_sql(f"SELECT MIN({name}), MAX({name}) FROM {table_ref}").first()
    return (row[0], row[1]) if row is not None else (None, None)


def schema_objects(conn: Connection, schema: str | None) -> list[str]:
    """What the source holds that a profile does not carry (``view v``, ``trigger t on x``),
    sorted; an object kind the server cannot list is skipped."""
    found: list[str] = []
    schema = schema or current_schema(conn)
    for kind, sql in dialect_sql(conn).schema_objects_sql:
        try:
            with conn.begin_nested():
                names = conn.execute(sa.text(sql), {"schema": schema}).scalars().all()
        except sa.exc.DBAPIError:
            continue
        found.extend(f"{kind} {name}" for name in sorted(map(str, names)))
    return found


def exact_distinct_min_max(conn: Connection, table_ref: str, column: str) -> tuple[int, Any, Any]:
    """Exact distinct count, MIN and MAX of one column, computed by the server in its own type:
    decimals wider than a float (``numeric(38,10)``) collapse when read as floats."""
    name = conn.dialect.identifier_preparer.quote(column)
    row = conn.exec_driver_sql(
        f"SELECT COUNT(DISTINCT {name}), MIN({name}), MAX({name}) FROM {table_ref}"
    ).first()
    return (int(row[0]), row[1], row[2]) if row is not None else (0, None, None)
