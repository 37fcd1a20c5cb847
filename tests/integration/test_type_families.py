"""Every standard type round-trips on its own database, in both schema modes.

One table per type family on a source of each server; profiled, then generated into a copy of
the source's schema made by the database's own dump tool (``--schema-mode existing``) and into an
empty database (``--schema-mode create``). The target's column types must equal the source's,
values are checked by the database itself (casts, ``IS DOCUMENT``, ``inet`` operators, WKT), and
verify's row and NULL bars must hold.
"""

# The SQL scripts below are data: long lines stay.
# ruff: noqa: E501
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REQUIRE, new_database

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database

ROWS = 400

PG_SOURCE = f"""
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE arrays (id int PRIMARY KEY, ints integer[], texts text[], stamps date[]);
INSERT INTO arrays SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE ARRAY[g, g + 1, g % 7] END, ARRAY['a' || g, 'b'], ARRAY['2024-01-01'::date + g] FROM generate_series(1, {ROWS}) g;
CREATE TABLE net (id int PRIMARY KEY, ip inet, net cidr, mac macaddr);
INSERT INTO net SELECT g, ('10.0.' || (g % 250) || '.' || (g % 200))::inet, ('10.' || (g % 200) || '.0.0/16')::cidr, ('08:00:2b:01:02:' || lpad(to_hex(g % 255), 2, '0'))::macaddr FROM generate_series(1, {ROWS}) g;
CREATE TABLE timing (id int PRIMARY KEY, took interval, paid money, during tstzrange, span int4range, days daterange);
INSERT INTO timing SELECT g, (g * 37) * interval '1 second', (g * 1.25)::numeric::money, tstzrange('2024-01-01'::timestamptz - g * interval '1 hour', '2024-01-02'), int4range(g, g + 10), daterange('2024-01-01'::date + g, '2024-02-01'::date + g) FROM generate_series(1, {ROWS}) g;
CREATE TABLE docs (id int PRIMARY KEY, body xml, words tsvector, flags bit(8), vflags varbit(16), email citext, kv hstore);
INSERT INTO docs SELECT g, ('<a><b>' || g || '</b></a>')::xml, to_tsvector('simple', 'the quick brown fox ' || g), (g % 256)::bit(8), (g % 1000)::bit(10)::varbit, 'User' || g || '@Example.com', ('a=>' || g || ', b=>x')::hstore FROM generate_series(1, {ROWS}) g;
CREATE TABLE geo (id int PRIMARY KEY, p point, b box, c circle, l lseg, pa path, po polygon, li line);
INSERT INTO geo SELECT g, point(g, g * 2), box(point(0, 0), point(g, g)), circle(point(g, 1), g), lseg(point(0, 0), point(g, 1)), path(polygon(box(point(0, 0), point(g, 1)))), polygon(box(point(0, 0), point(g, g))), line(point(0, 0), point(g, 1)) FROM generate_series(1, {ROWS}) g;
CREATE TABLE typed (id int PRIMARY KEY, m mood NOT NULL, n posint);
INSERT INTO typed SELECT g, (ARRAY['happy','sad','meh'])[1 + g % 3]::mood, g FROM generate_series(1, {ROWS}) g;
"""

PG_CHECKS = {
    # Each query counts rows that are NOT what the type promises: all must be 0.
    "arrays": "SELECT count(*) FROM arrays WHERE array_ndims(ints) <> 1 OR cardinality(texts) = 0 AND texts <> '{}'",
    "net": "SELECT count(*) FROM net WHERE NOT (ip << '0.0.0.0/0'::inet) OR set_masklen(net, masklen(net)) <> net OR trunc(mac) IS NULL AND mac IS NOT NULL",
    "timing": "SELECT count(*) FROM timing WHERE took < interval '0' OR paid::numeric < 0 OR isempty(span) OR lower(during) >= upper(during) OR upper(days) <= lower(days)",
    "docs": "SELECT count(*) FROM docs WHERE NOT (body IS DOCUMENT) OR length(words) = 0 OR length(flags) <> 8 OR length(vflags) > 16 OR akeys(kv) = '{}' OR email <> upper(email::text)::citext",
    "geo": "SELECT count(*) FROM geo WHERE area(b) < 0 OR radius(c) <= 0 OR npoints(po) < 3 OR npoints(pa) < 2 OR length(l) < 0 OR p IS NULL",
    "typed": "SELECT count(*) FROM typed WHERE m::text NOT IN ('happy', 'sad', 'meh') OR n <= 0",
}

MARIADB_SOURCE = f"""
CREATE TABLE kinds (
  id int unsigned PRIMARY KEY,
  tags SET('red','green','blue'),
  size ENUM('s','m','l') NOT NULL,
  flags BIT(8),
  doc JSON,
  yr YEAR,
  qty mediumint unsigned,
  code int(6) unsigned zerofill,
  big bigint unsigned
);
INSERT INTO kinds SELECT seq, ELT(1 + seq % 4, 'red', 'red,green', 'blue', ''), ELT(1 + seq % 3, 's', 'm', 'l'), seq % 256, JSON_OBJECT('n', seq, 'tag', 'x'), 1990 + seq % 30, seq * 3, seq, seq * 1000000007 FROM seq_1_to_{ROWS};
CREATE TABLE places (
  id int PRIMARY KEY,
  spot POINT NOT NULL,
  area POLYGON,
  route LINESTRING,
  shape GEOMETRY,
  SPATIAL INDEX (spot)
);
INSERT INTO places SELECT seq, POINT(seq, seq / 2), ST_GeomFromText(CONCAT('POLYGON((0 0,', seq, ' 0,', seq, ' ', seq, ',0 0))')), ST_GeomFromText(CONCAT('LINESTRING(0 0,', seq, ' 1)')), POINT(1, seq) FROM seq_1_to_{ROWS};
"""

MARIADB_CHECKS = {
    "kinds": "SELECT count(*) FROM kinds WHERE JSON_VALID(doc) = 0 OR yr NOT BETWEEN 1901 AND 2155 OR flags + 0 > 255 OR FIND_IN_SET('purple', tags) > 0 OR LENGTH(CAST(code AS CHAR)) <> 6",
    "places": "SELECT count(*) FROM places WHERE ST_GeometryType(spot) <> 'POINT' OR ST_GeometryType(area) <> 'POLYGON' OR ST_GeometryType(route) <> 'LINESTRING' OR ST_X(spot) IS NULL",
}


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, connect_args={"local_infile": True} if "pymysql" in url else {})


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRE:
            pytest.fail(f"{name} not installed (PARITYGEN_REQUIRE_SERVERS=1)")
        pytest.skip(f"{name} not installed")
    return path


def _copy_schema(source: str, target: str) -> None:
    """The source's whole schema into *target* with the database's own dump tool."""
    src, dst = sa.make_url(source), sa.make_url(target)
    if src.get_backend_name() == "postgresql":
        common = ["-h", src.host or "127.0.0.1", "-p", str(src.port or 5432), "-U", src.username]
        dump = subprocess.run(
            [_tool("pg_dump"), "--schema-only", "--no-owner", *common, src.database],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        load = [_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", *common, "-d", dst.database]
    else:
        common = ["-h", src.host or "127.0.0.1", "-P", str(src.port or 3306), "-u", src.username]
        dump = subprocess.run(
            [_tool("mariadb-dump"), "--no-data", *common, src.database],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        load = [_tool("mariadb"), *common, dst.database]
    subprocess.run(load, input=dump, text=True, check=True, capture_output=True)


def _types(url: str, tables: list[str]) -> dict[tuple[str, str], str]:
    engine = _engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = (
                "SELECT table_name, column_name, udt_name FROM information_schema.columns"
                " WHERE table_schema = 'public'"
            )
        else:
            sql = (
                "SELECT table_name, column_name, column_type FROM information_schema.columns"
                " WHERE table_schema = DATABASE()"
            )
        found = {(t, c): str(k) for t, c, k in conn.exec_driver_sql(sql) if t in tables}
    engine.dispose()
    return found


def _round_trip(source: str, script: str, checks: dict[str, str], tmp_path: Path) -> None:
    dialect = sa.make_url(source).get_backend_name()
    engine = _engine(source)
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.connection.driver_connection.execute(script)
        else:
            with conn.connection.driver_connection.cursor() as cursor:  # '%' is an operator
                for statement in script.split(";\n"):
                    if statement.strip():
                        cursor.execute(statement)
    engine.dispose()
    tables = list(checks)
    # Synthetic values (no table kept verbatim) in both modes, then the verbatim path once:
    # small tables are reference tables by default, their rows written back as they are.
    synthetic = profile_database(source, progress=False, reference_rows=0)
    verbatim = profile_database(source, progress=False)
    assert any(verbatim.tables[t].reference_rows for t in tables)
    source_types = _types(source, tables)
    runs = [("existing", synthetic), ("create", synthetic), ("existing", verbatim)]
    for run, (mode, profile) in enumerate(runs):
        made = new_database(dialect, tmp_path / str(run))
        (tmp_path / str(run)).mkdir()
        target = next(made)
        try:
            if mode == "existing":
                _copy_schema(source, target)
            generate_database(profile, target, seed=3, schema_mode=mode, progress=False)
            assert _types(target, tables) == source_types, mode
            dst = _engine(target)
            with dst.connect() as conn:
                for table, query in checks.items():
                    rows = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                    assert rows == ROWS, (mode, table)
                    assert conn.exec_driver_sql(query).scalar() == 0, (mode, table, query)
            dst.dispose()
            result = verify_database(profile, target, progress=False)
            hard = [
                f"{m.target} {m.measure}"
                for m in result.misses
                if m.measure
                in ("rows", "null_fraction", "duplicates", "orphans", "not_null", "check", "length")
            ]
            assert not hard, (mode, hard)
        finally:
            next(made, None)


def test_postgres_type_families(pg_url: str, tmp_path: Path) -> None:
    _round_trip(pg_url, PG_SOURCE, PG_CHECKS, tmp_path)


def test_mariadb_type_families(mysql_url: str, tmp_path: Path) -> None:
    _round_trip(mysql_url, MARIADB_SOURCE, MARIADB_CHECKS, tmp_path)
