"""The databases' own tools, driven from the benchmark: the reference every ratio is taken against.

Each server is reached twice: through a SQLAlchemy URL (what paritygen is given) and through its
command-line client (``psql``, ``mariadb``), which is the reference bulk path: ``psql \\copy`` from
a ready CSV file, ``mariadb`` ``LOAD DATA LOCAL INFILE`` from a ready tab-separated file. The
ready files hold exactly the rows paritygen generated (exported from its table after its run), and
the reference loads them into the same empty table (its DDL captured from paritygen's table).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN = os.environ.get("PARITYGEN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("PARITYGEN_BENCH_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")


class ToolFailed(RuntimeError):
    """A client command exited non-zero; the message carries its first stderr line."""


def run_tool(argv: list[str], *, stdout_to: str | None = None, timeout: float = 3600) -> float:
    """Run a client command, return its wall time in seconds; raise ToolFailed on failure."""
    out = open(stdout_to, "wb") if stdout_to else subprocess.PIPE  # noqa: SIM115
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, timeout=timeout)
        seconds = time.perf_counter() - t0
    finally:
        if stdout_to:
            out.close()
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ToolFailed(f"{shlex.join(argv[:2])}...: {err[0] if err else proc.returncode}")
    return seconds


def capture(argv: list[str], timeout: float = 600) -> str:
    """Run a client command and return its stdout as text."""
    proc = subprocess.run(argv, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ToolFailed(f"{shlex.join(argv[:2])}...: {err[0] if err else proc.returncode}")
    return proc.stdout.decode()


@dataclass
class Server:
    """One benchmark database on one server: its URL for paritygen and its client's argv."""

    dialect: str
    """``postgresql`` or ``mysql``."""
    admin_url: str
    database: str

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.dialect == "postgresql" else "MariaDB"

    @property
    def url(self) -> str:
        """The benchmark database's URL (what paritygen generate / profile are given)."""
        return (
            sa.make_url(self.admin_url)
            .set(database=self.database)
            .render_as_string(hide_password=False)
        )

    def connect_args(self) -> dict[str, object]:
        return {"local_infile": True} if self.dialect == "mysql" else {"connect_timeout": 5}

    def _admin_engine(self) -> sa.Engine:
        return sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", connect_args=self.connect_args()
        )

    def problem(self) -> str | None:
        """None when the server and its client answer, else the reason to skip."""
        client = "psql" if self.dialect == "postgresql" else "mariadb"
        try:
            engine = self._admin_engine()
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "skip this server"
            return f"{self.label} not reachable: {str(exc).splitlines()[0][:200]}"
        try:
            capture([client, "--version"])
        except (OSError, ToolFailed) as exc:
            return f"client {client} not usable: {exc}"
        return None

    def create(self) -> None:
        """(Re)create the empty benchmark database."""
        self.drop()
        engine = self._admin_engine()
        with engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
            else:
                conn.execute(sa.text(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4"))
        engine.dispose()

    def drop(self) -> None:
        engine = self._admin_engine()
        with engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{self.database}`"))
        engine.dispose()

    # -- the client ---------------------------------------------------------------------------
    def client(self, sql: str, *extra: str) -> list[str]:
        """argv running *sql* through the database's own client against the benchmark DB."""
        url = sa.make_url(self.admin_url)
        host, port, user = url.host or "127.0.0.1", str(url.port or ""), url.username or "root"
        if self.dialect == "postgresql":
            argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", user]
            argv += ["-p", port or "5432", "-d", self.database, *extra, "-c", sql]
        else:
            argv = ["mariadb", "-h", host, "-P", port or "3306", "-u", user, *extra]
            if url.password:
                argv.append(f"--password={url.password}")
            argv += [self.database, "-e", sql]
        return argv

    def sql(self, sql: str) -> str:
        """Run *sql* through the client, tuples only; return the output text."""
        extra = ("-A", "-t") if self.dialect == "postgresql" else ("-N", "-B")
        return capture(self.client(sql, *extra)).strip()

    def version(self) -> str:
        return self.sql("SELECT version()")

    def count(self, table: str) -> int:
        return int(self.sql(f"SELECT count(*) FROM {table}"))

    def counts(self, tables: list[str]) -> list[int]:
        """Row counts of *tables*, in one round trip."""
        union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
        sep = "|" if self.dialect == "postgresql" else "\t"
        found = dict(line.split(sep) for line in self.sql(union).splitlines())
        return [int(found[t]) for t in tables]

    def analyze(self, tables: list[str]) -> None:
        """Refresh the planner's statistics of *tables* (what paritygen's finish step does)."""
        names = ", ".join(tables)
        self.sql(f"ANALYZE {names}" if self.dialect == "postgresql" else f"ANALYZE TABLE {names}")

    def table_bytes(self, table: str) -> int:
        """Table + index bytes as the server reports them."""
        if self.dialect == "postgresql":
            return int(self.sql(f"SELECT pg_total_relation_size('{table}')"))
        return int(
            self.sql(
                "SELECT data_length + index_length FROM information_schema.tables"
                f" WHERE table_schema = '{self.database}' AND table_name = '{table}'"
            )
        )

    # -- schema capture and the reference load ------------------------------------------------
    def capture_ddl(self, tables: list[str]) -> tuple[str, str]:
        """(DDL creating the bare tables, DDL adding keys / FKs / indexes) of paritygen's tables,
        so the reference loads into exactly the table paritygen made."""
        if self.dialect == "postgresql":
            url = sa.make_url(self.admin_url)
            base = ["pg_dump", "-h", url.host or "127.0.0.1", "-U", url.username or "postgres"]
            base += ["-p", str(url.port or 5432), "-d", self.database, "--schema-only"]
            base += ["--no-owner", "--no-privileges"]
            for table in tables:
                base += ["-t", table]
            pre = capture([*base, "--section=pre-data"])
            post = capture([*base, "--section=post-data"])
            return pre, post
        # InnoDB clusters rows by the primary key, so the PK stays in the CREATE; secondary and
        # unique keys and FKs move to ALTER TABLE statements run after the load.
        creates, alters = [], []
        for table in tables:
            out = capture(self.client(f"SHOW CREATE TABLE `{table}`", "-N", "-B", "-r"))
            create, later = split_mysql_create(out.split("\t", 1)[1].strip())
            creates.append(create + ";")
            if later:
                alters.append(
                    f"ALTER TABLE `{table}` " + ", ".join(f"ADD {i}" for i in later) + ";"
                )
        return "\n".join(creates), "\n".join(alters)

    def drop_tables(self, tables: list[str]) -> None:
        names = ", ".join(reversed(tables))
        if self.dialect == "postgresql":
            self.sql(f"DROP TABLE IF EXISTS {names} CASCADE")
        else:
            self.sql(f"SET foreign_key_checks=0; DROP TABLE IF EXISTS {names}")

    def run_script(self, script: str) -> None:
        if not script.strip():
            return
        if self.dialect == "postgresql":
            # pg_dump output carries psql meta-commands (\restrict), which -c does not run.
            argv = self.client("")
            proc = subprocess.run(
                argv[:-2] + ["-f", "-"], input=script.encode(), capture_output=True
            )
            if proc.returncode != 0:
                err = proc.stderr.decode(errors="replace").strip().splitlines()
                raise ToolFailed(f"psql script failed: {err[0] if err else proc.returncode}")
        else:
            capture(self.client(f"SET foreign_key_checks=0; {script}"))

    def export(self, table: str, path: Path) -> None:
        """Write the table's rows to *path* in the format the client's bulk load reads."""
        if self.dialect == "postgresql":
            capture(self.client(f"\\copy {table} TO '{path}' CSV"))
            return
        # INTO OUTFILE writes with the server's own escaping (tab-separated, \N for NULL), the
        # default format of LOAD DATA; the directory must be writable by the server's user.
        path.parent.chmod(0o777)
        path.unlink(missing_ok=True)
        self.sql(f"SELECT * FROM `{table}` INTO OUTFILE '{path}'")

    def load_argv(
        self, table: str, path: Path, *, checks: bool = True, text_format: bool = False
    ) -> list[str]:
        """The reference bulk load of one ready file (psql \\copy / LOAD DATA LOCAL INFILE).
        PostgreSQL reads CSV (what :meth:`export` writes) or, with *text_format*, COPY's text
        format (tab-separated, ``\\N`` for NULL), the format MariaDB's LOAD DATA reads too."""
        if self.dialect == "postgresql":
            return self.client(f"\\copy {table} FROM '{path}'{'' if text_format else ' CSV'}")
        prefix = "" if checks else "SET foreign_key_checks=0, unique_checks=0; "
        return self.client(
            f"{prefix}LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}`", "--local-infile=1"
        )

    def session(self, statements: list[str], *, timed: bool = False) -> list[str]:
        """argv running *statements* one after another in ONE client session (a restore script
        is one session: no client start per table); *timed* prints each statement's time,
        which :func:`statement_seconds` reads back."""
        if self.dialect == "postgresql":
            argv = self.client(statements[0])[:-2]
            for sql in (["\\timing on"] if timed else []) + statements:
                argv += ["-c", sql]
            return argv
        return self.client("; ".join(statements), "--local-infile=1", *(["-vvv"] if timed else []))

    def restore_statements(self, files: dict[str, Path]) -> list[str]:
        """The bulk load of every ready file, for one :meth:`session` (MariaDB: checks off for
        the session first, as mysqldump files do); the last ``len(files)`` are the loads."""
        loads = []
        for table, path in files.items():
            if self.dialect == "postgresql":
                loads.append(f"\\copy {table} FROM '{path}' CSV")
            else:
                loads.append(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}`")
        if self.dialect == "postgresql":
            return loads
        return ["SET foreign_key_checks=0, unique_checks=0", *loads]

    def full_read_argv(self, table: str) -> list[str]:
        """One full read of *table* through the client (its output goes to /dev/null)."""
        if self.dialect == "postgresql":
            return self.client(f"COPY (SELECT * FROM {table}) TO STDOUT")
        return self.client(f"SELECT * FROM {table}")


def statement_seconds(output: str) -> list[float]:
    """Per-statement seconds printed by a timed :meth:`Server.session` (psql ``Time: 1.2 ms``,
    mariadb ``(0.012 sec)``), in order."""
    psql = re.findall(r"^Time: ([0-9.]+) ms", output, re.MULTILINE)
    if psql:
        return [float(x) / 1000 for x in psql]
    return [float(x) for x in re.findall(r"\(([0-9.]+) sec\)", output)]


def split_mysql_create(create: str) -> tuple[str, list[str]]:
    """``SHOW CREATE TABLE`` text split into (CREATE with the primary key only, the secondary
    KEY / UNIQUE KEY / CONSTRAINT clauses to add after the load)."""
    lines = create.splitlines()
    keep, later = [lines[0]], []
    for line in lines[1:-1]:
        item = line.strip().rstrip(",")
        if item.startswith(("KEY ", "UNIQUE KEY ", "CONSTRAINT ", "FULLTEXT KEY ", "INDEX ")):
            later.append(item)
        else:
            keep.append("  " + item + ",")
    keep[-1] = keep[-1].rstrip(",")
    keep.append(lines[-1])
    return "\n".join(keep), later


DB_PREFIX = os.environ.get("PARITYGEN_TEST_DB_PREFIX", "") + "bench_"
"""Benchmark databases are named PREFIX + pg / my (+ suffix); a helper's test prefix keeps two
runs on a shared server apart."""


def servers(suffix: str = "") -> list[Server]:
    """The two benchmark databases (distinct names, created and dropped by the run)."""
    return [
        Server("postgresql", PG_ADMIN, f"{DB_PREFIX}pg{suffix}"),
        Server("mysql", MYSQL_ADMIN, f"{DB_PREFIX}my{suffix}"),
    ]
