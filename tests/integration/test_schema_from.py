"""``generate --schema-from``: production's whole schema in staging, built by the database's tool.

A source with a view, triggers (one that stamps ``last_update``, one that writes an audit
table), a function / procedure and a full-text index is profiled, then generated with
``schema_from``: the view and the full-text query run on staging as on production, the routines
exist, the triggers exist after the load but did not fire during it (production's dates kept,
the audit table holds its profiled rows, not one more per film), and a rerun with
``--if-exists truncate`` rebuilds the same. No password reaches a tool's command line; a
cross-dialect source and the target itself are refused in one line.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import new_database
from test_identifiers import _load

from paritygen.cli import cli
from paritygen.errors import ConfigError, UnsafeTarget
from paritygen.files import process_alive
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database
from paritygen.writers import schema_tool

PG_SOURCE = """
CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE film (id int PRIMARY KEY, author_id int NOT NULL REFERENCES author(id),
  title text NOT NULL, description text, fulltext tsvector,
  last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE film_log (id serial PRIMARY KEY, film_id int NOT NULL);
CREATE INDEX film_fulltext_idx ON film USING gin (fulltext);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN NEW.last_update := now(); RETURN NEW; END $$;
CREATE FUNCTION log_film() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO film_log (film_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER film_touch BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER film_log AFTER INSERT ON film FOR EACH ROW EXECUTE FUNCTION log_film();
CREATE VIEW film_list AS
  SELECT f.id, f.title, a.name FROM film f JOIN author a ON a.id = f.author_id;
INSERT INTO author SELECT g, 'author ' || g FROM generate_series(1, 50) g;
INSERT INTO film (id, author_id, title, description, fulltext, last_update)
  SELECT g, 1 + g % 50, 'film drama ' || g, 'a story ' || g,
         to_tsvector('english', 'film drama story ' || g),
         timestamptz '2020-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 600) g;
CREATE MATERIALIZED VIEW film_counts AS SELECT author_id, count(*) AS n FROM film GROUP BY 1;
"""
PG_FILM_KEYS = (
    "SELECT (SELECT count(*) FROM pg_indexes WHERE tablename = 'film')"
    " + (SELECT count(*) FROM pg_constraint WHERE contype = 'f')"
)
PG_FULLTEXT = "SELECT count(*) FROM film WHERE fulltext @@ to_tsquery('english', 'drama')"

MARIADB_SOURCE = """
CREATE TABLE author (id int PRIMARY KEY, name varchar(60) NOT NULL);
CREATE TABLE film (id int PRIMARY KEY, author_id int NOT NULL, title varchar(120) NOT NULL,
  description text, last_update datetime NOT NULL,
  FULLTEXT KEY film_text (title, description),
  CONSTRAINT film_author FOREIGN KEY (author_id) REFERENCES author (id));
CREATE TABLE film_log (id int AUTO_INCREMENT PRIMARY KEY, film_id int NOT NULL);
CREATE TRIGGER film_touch BEFORE UPDATE ON film FOR EACH ROW SET NEW.last_update = NOW();
CREATE TRIGGER film_log AFTER INSERT ON film FOR EACH ROW
  INSERT INTO film_log (film_id) VALUES (NEW.id);
CREATE PROCEDURE film_count(OUT n int) SELECT count(*) INTO n FROM film;
CREATE EVENT film_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM film_log WHERE id < 0;
CREATE VIEW film_list AS
  SELECT f.id, f.title, a.name FROM film f JOIN author a ON a.id = f.author_id;
INSERT INTO author SELECT seq, CONCAT('author ', seq) FROM seq_1_to_50;
INSERT INTO film (id, author_id, title, description, last_update)
  SELECT seq, 1 + seq % 50, CONCAT('film drama ', seq), CONCAT('a story ', seq),
         '2020-01-01' + INTERVAL seq HOUR FROM seq_1_to_600
"""
MARIADB_FULLTEXT = (
    "SELECT count(*) FROM film WHERE MATCH (title, description) AGAINST ('drama')"
)

CASES = {
    "postgresql": (PG_SOURCE, PG_FULLTEXT, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
                   " AND tgenabled = 'O'"),  # fmt: skip
    "mysql": (MARIADB_SOURCE, MARIADB_FULLTEXT, "SELECT count(*) FROM information_schema.triggers"
              " WHERE trigger_schema = {schema}"),  # fmt: skip
}


def _scalar(url: str, sql: str) -> object:
    """One value; ``{schema}`` is the URL's database as a literal: MariaDB narrows an
    information_schema read to that schema only for a literal (with DATABASE() it opens every
    schema's tables, and waits on another session's ALTER anywhere on the server)."""
    sql = sql.replace("{schema}", f"'{sa.make_url(url).database}'")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


@pytest.fixture
def argv_seen(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command line the schema tool runs (the real programs still run)."""
    seen: list[list[str]] = []
    real = subprocess.run

    def spy(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        seen.append(list(argv))
        return real(argv, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(schema_tool.subprocess, "run", spy)
    return seen


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_whole_schema_from_the_source(db_url_pair: tuple[str, str], argv_seen) -> None:
    source, target = db_url_pair
    dialect = sa.make_url(source).get_backend_name()
    script, fulltext, triggers = CASES[dialect]
    _load(source, script)
    profile = profile_database(source, progress=False)
    assert {"view film_list", "trigger film_log on film", "trigger film_touch on film"} <= set(
        profile.not_carried
    )  # triggers listed on both databases

    generate_database(profile, target, seed=3, progress=False, schema_from=source)
    assert argv_seen, "the dump tool ran"
    for url in (source, target):
        password = sa.make_url(url).password
        assert not password or all(str(password) not in " ".join(a) for a in argv_seen)

    # The view and the full-text query run on staging as on production.
    assert _scalar(target, "SELECT count(*) FROM film_list") == 600
    assert _scalar(source, fulltext) == 600
    assert _scalar(target, fulltext) > 0
    # Triggers are there after the load, and did not fire during it.
    assert _scalar(target, triggers) == 2
    assert _scalar(target, "SELECT count(*) FROM film_log") == 600
    assert str(_scalar(target, "SELECT max(last_update) FROM film")) < "2020-02-01"
    if dialect == "postgresql":
        assert _scalar(target, "SELECT count(*) FROM pg_proc WHERE proname = 'touch'") == 1
        assert _scalar(target, "SELECT sum(n) FROM film_counts") == 600  # filled after the load
        assert _scalar(target, PG_FILM_KEYS) == 3  # primary key, GIN index, FK: after the load
    else:
        routine = "SELECT count(*) FROM information_schema.routines WHERE routine_schema ="
        assert _scalar(target, routine + " {schema} AND routine_name = 'film_count'") == 1
        assert _scalar(target, "SELECT count(*) FROM information_schema.events WHERE"
                       " event_schema = {schema}") == 1  # fmt: skip
    # verify names no schema difference: staging has production's views, triggers, routines.
    result = verify_database(profile, target, progress=False)
    assert result.schema == [], result.schema
    # ... and fire for the application's own writes afterwards.
    _scalar(target, "INSERT INTO film (id, author_id, title, last_update) SELECT max(id) + 1, 1,"
            " 'new', '2021-01-01' FROM film")  # fmt: skip
    assert _scalar(target, "SELECT count(*) FROM film_log") == 601

    # Rows present: refused without --if-exists truncate, rebuilt with it.
    with pytest.raises(UnsafeTarget, match="--if-exists truncate"):
        generate_database(profile, target, seed=3, progress=False, schema_from=source)
    generate_database(profile, target, seed=3, progress=False, schema_from=source,
                      if_exists="truncate")  # fmt: skip
    assert _scalar(target, "SELECT count(*) FROM film_log") == 600
    assert _scalar(target, "SELECT count(*) FROM film") == 600
    assert _scalar(target, triggers) == 2
    if dialect == "postgresql":
        assert _scalar(target, PG_FILM_KEYS) == 3


def test_refusals(pg_url: str, mysql_url: str, tmp_path: Path) -> None:
    _load(pg_url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);")
    profile = profile_database(pg_url, progress=False)
    other = new_database("postgresql", tmp_path)
    copy = next(other)
    try:
        # Cross-dialect: one line, nothing written.
        with pytest.raises(ConfigError, match="MariaDB/MySQL and the target is PostgreSQL"):
            generate_database(profile, copy, progress=False, schema_from=mysql_url)
        # The --schema-from source itself as the target: refused like --source.
        with pytest.raises(UnsafeTarget, match="the --source database"):
            generate_database(profile, copy, progress=False, schema_from=copy)
        with pytest.raises(ConfigError, match="--tables"):
            generate_database(profile, copy, progress=False, schema_from=pg_url, tables=["t"])
        # The dump holds every schema: rows in another schema of the target are protected too.
        _load(copy, "CREATE SCHEMA side; CREATE TABLE side.t (id int); INSERT INTO side.t SELECT 1")
        with pytest.raises(UnsafeTarget, match=r"rows in side\.t"):
            generate_database(profile, copy, progress=False, schema_from=pg_url)
        assert _scalar(copy, "SELECT count(*) FROM side.t") == 1
    finally:
        next(other, None)


def test_password_never_on_a_command_line(mysql_url: str, tmp_path: Path, argv_seen) -> None:
    """A MariaDB account whose password has every awkward character builds the schema; the
    password travels in a private defaults file, never in argv or the output."""
    # ASCII: PyMySQL sends a password as latin-1, so a non-ASCII one never logs in.
    password = "Zq8 @/:%'\" #\\Wv9x"
    user = f"h11_{abs(hash(mysql_url)) % 10**8}"
    admin = sa.create_engine(mysql_url, connect_args={"charset": "utf8mb4"})
    url = sa.make_url(mysql_url)
    target_gen = new_database("mysql", tmp_path)
    target = next(target_gen)
    databases = (url.database, sa.make_url(target).database)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql("CREATE USER %s@%s IDENTIFIED BY %s", (user, "%", password))
            for database in databases:
                conn.exec_driver_sql(f"GRANT ALL ON `{database}`.* TO %s@%s", (user, "%"))
            conn.exec_driver_sql("CREATE TABLE v (id int PRIMARY KEY, x int)")
            conn.exec_driver_sql("CREATE VIEW vv AS SELECT id FROM v")
            conn.exec_driver_sql("INSERT INTO v VALUES (1, 1), (2, 2)")
        profile = tmp_path / "p.yaml"
        src, dst = (
            u.set(username=user, password=password).render_as_string(hide_password=False)
            for u in (url, sa.make_url(target))
        )
        runner = CliRunner()
        done = runner.invoke(cli, ["profile", src, "-o", str(profile)])
        assert done.exit_code == 0, done.output
        done = runner.invoke(cli, ["generate", str(profile), "--target", dst, "--schema-from", src])
        assert done.exit_code == 0, done.output
        assert "Zq8" not in done.output and "Wv9x" not in done.output
        assert argv_seen and all("Wv9x" not in " ".join(a) for a in argv_seen)
        assert _scalar(target, "SELECT count(*) FROM vv") == 2
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP USER IF EXISTS %s@%s", (user, "%"))
        admin.dispose()
        next(target_gen, None)


def _generate(profile: Path, target: str, source: str, *extra: str, fault: str | None = None):
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PARITYGEN_FAULT"}
    if fault:
        env["PARITYGEN_FAULT"] = fault
    args = [sys.executable, "-m", "paritygen.cli", "generate", str(profile), "--target", target,
            "--schema-from", source, "--no-progress", *extra]  # fmt: skip
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_a_killed_run_finishes(db_url_pair: tuple[str, str], tmp_path: Path) -> None:
    """Killed after a table: --resume keeps it and adds the triggers after the rest; killed
    before the finish: --if-exists truncate rebuilds the schema and finishes. Exact counts,
    triggers in place, none fired on loaded rows, no dump folder left by the killed runs."""
    from paritygen.profile.io import write_profile

    source, target = db_url_pair
    dialect = sa.make_url(source).get_backend_name()
    script, fulltext, triggers = CASES[dialect]
    _load(source, script)
    path = tmp_path / "p.yaml"
    write_profile(profile_database(source, progress=False), path)

    killed = _generate(path, target, source, fault="after-table:author")
    assert killed.returncode < 0, killed.stderr
    done = _generate(path, target, source, "--resume")
    assert done.returncode == 0, done.stderr
    assert "complete in the earlier run are kept: author" in done.stderr
    assert _scalar(target, fulltext) > 0  # the full-text index, built after the load, is there
    assert _scalar(target, "SELECT count(*) FROM film") == 600
    assert _scalar(target, "SELECT count(*) FROM film_log") == 600
    assert _scalar(target, triggers) == 2
    if dialect == "postgresql":
        assert _scalar(target, PG_FILM_KEYS) == 3

    killed = _generate(path, target, source, "--if-exists", "truncate", fault="before-finish")
    assert killed.returncode < 0, killed.stderr
    done = _generate(path, target, source, "--if-exists", "truncate")
    assert done.returncode == 0, done.stderr
    assert _scalar(target, "SELECT count(*) FROM film") == 600
    assert _scalar(target, "SELECT count(*) FROM film_log") == 600
    assert _scalar(target, triggers) == 2
    left = [p.name for p in Path(tempfile.gettempdir()).glob("paritygen-schema-*")
            if not process_alive(int(p.name.split("-")[2]))]  # fmt: skip
    assert not left  # the killed runs' dumps were swept by the next run
