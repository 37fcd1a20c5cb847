"""Native types of each server through the fast read paths (PostgreSQL COPY, MariaDB JSON_ARRAY)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from paritygen.profile.io import dumps, loads
from paritygen.profile.run import profile_database

PG_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE kinds (
  id serial PRIMARY KEY,
  stamp_tz timestamptz,
  stamp timestamp(3),
  day date,
  clock time,
  mood mood NOT NULL DEFAULT 'ok',
  ident uuid,
  doc jsonb,
  blob bytea,
  flag boolean,
  ratio double precision,
  price numeric(9,3) CHECK (price >= 0),
  tags text[],
  code char(6)
);
INSERT INTO kinds (stamp_tz, stamp, day, clock, mood, ident, doc, blob, flag, ratio, price, tags,
                   code)
SELECT timestamptz '2024-03-01 12:00:00+02' + g * interval '1 hour',
       timestamp '2024-03-01 00:00:00.125' + g * interval '1 minute',
       date '2020-01-01' + g,
       time '08:00' + g * interval '1 second',
       (ARRAY['sad','ok','happy'])[1 + g % 3]::mood,
       md5(g::text)::uuid,
       jsonb_build_object('n', g, 's', 'x'),
       decode(lpad(to_hex(g), 8, '0'), 'hex'),
       g % 4 = 0,
       g / 7.0,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g * 1.125 END,
       ARRAY['a', 'b'],
       'AB' || lpad(g::text, 4, '0')
FROM generate_series(1, 500) g;
"""

MYSQL_DDL = [
    """CREATE TABLE kinds (
  id bigint unsigned AUTO_INCREMENT PRIMARY KEY,
  stamp timestamp(3) NULL,
  moment datetime,
  day date,
  clock time,
  mood enum('sad','ok','happy') NOT NULL DEFAULT 'ok',
  perms set('r','w','x'),
  doc json,
  blob_col varbinary(16),
  flag tinyint(1),
  ratio double,
  price decimal(9,3) CHECK (price >= 0),
  yr year,
  code char(6),
  big bigint unsigned
)""",
    "SET SESSION max_recursive_iterations = 100000",
    """INSERT INTO kinds (stamp, moment, day, clock, mood, perms, doc, blob_col, flag, ratio, price,
       yr, code, big)
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500)
SELECT TIMESTAMP '2024-03-01 10:00:00.125' + INTERVAL n HOUR,
       TIMESTAMP '2024-03-01 00:00:00' + INTERVAL n MINUTE,
       DATE '2020-01-01' + INTERVAL n DAY,
       SEC_TO_TIME(28800 + n),
       ELT(1 + n % 3, 'sad', 'ok', 'happy'),
       IF(n % 2 = 0, 'r,w', 'x'),
       JSON_OBJECT('n', n, 's', 'x'),
       UNHEX(LPAD(HEX(n), 8, '0')),
       n % 4 = 0,
       n / 7.0,
       IF(n % 5 = 0, NULL, n * 1.125),
       2000 + n % 20,
       CONCAT('AB', LPAD(n, 4, '0')),
       18446744073709551000 + n % 10
FROM g""",
]


def _profile(url: str):
    profile = profile_database(url, progress=False)
    assert loads(dumps(profile)) == profile
    return profile.tables["kinds"]


def test_postgres_types(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.connection.driver_connection.execute(PG_DDL)  # no parameters: '%' is an operator
    engine.dispose()
    table = _profile(pg_url)
    cols = table.columns
    assert table.row_count == 500
    assert cols["id"].autoincrement and cols["id"].default is None
    assert cols["stamp_tz"].logical_type == "datetime" and cols["stamp_tz"].timezone
    # 12:00+02 is 10:00 UTC; the first row adds one hour
    assert cols["stamp_tz"].stats.min == "2024-03-01T11:00:00"
    assert cols["stamp"].stats.min == "2024-03-01T00:01:00.125000"
    assert cols["day"].stats.min == "2020-01-02" and cols["day"].stats.max == "2021-05-15"
    assert cols["clock"].stats.min == "08:00:01" and cols["clock"].stats.max == "08:08:20"
    assert cols["mood"].logical_type == "enum" and cols["mood"].enum_name == "mood"
    assert cols["mood"].enum_values == ("sad", "ok", "happy")
    assert {v.value for v in cols["mood"].stats.most_common} == {"sad", "ok", "happy"}
    assert cols["ident"].logical_type == "uuid" and cols["ident"].stats.length.max == 36
    assert cols["doc"].logical_type == "json" and cols["doc"].stats.distinct_count == 500
    assert cols["blob"].logical_type == "binary" and cols["blob"].stats.length.max == 4
    assert cols["flag"].stats.true_fraction == pytest.approx(125 / 500)
    assert cols["price"].stats.null_fraction == pytest.approx(0.2)
    assert cols["price"].stats.max_scale == 3 and cols["price"].sql_type == "numeric(9,3)"
    assert cols["ratio"].logical_type == "float"
    assert cols["tags"].logical_type == "text" and cols["tags"].value_kind == "array"
    assert cols["code"].stats.shape.pattern == "AA9999"
    assert any("price" in c.sqltext for c in table.checks)
    # --estimate-rows: the catalog count (after ANALYZE) for a sampled table, marked as such
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE kinds")
    engine.dispose()
    estimated = profile_database(pg_url, estimate_rows=True, sample_rows=100, progress=False)
    kinds = estimated.tables["kinds"]
    assert kinds.row_count_method == "catalog" and kinds.row_count == 500
    assert kinds.sample_method == "TABLESAMPLE BERNOULLI" and 40 <= kinds.sampled_rows <= 180
    # a stale catalog (500 rows known, 1500 real) must not cost exactness: the capped read
    # overflows, the table is counted and sampled
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO kinds (mood) SELECT 'ok' FROM generate_series(1, 1000)")
    engine.dispose()
    stale = profile_database(pg_url, sample_rows=1200, progress=False).tables["kinds"]
    assert stale.row_count == 1500 and stale.row_count_method == "exact"
    assert stale.sample_method is not None


def test_mariadb_types(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn, conn.connection.driver_connection.cursor() as cursor:
        for statement in MYSQL_DDL:
            cursor.execute(statement)  # no parameters: '%' is an operator
    engine.dispose()
    table = _profile(mysql_url)
    cols = table.columns
    assert table.row_count == 500
    assert cols["id"].autoincrement and cols["id"].unsigned
    assert cols["id"].sql_type == "bigint(20) unsigned" or cols["id"].sql_type == "bigint unsigned"
    assert cols["stamp"].stats.min == "2024-03-01T11:00:00.125000"
    last = dt.datetime(2024, 3, 1) + dt.timedelta(minutes=500)
    assert cols["moment"].stats.max == last.isoformat()
    assert cols["day"].stats.min == "2020-01-02"
    assert cols["clock"].stats.min == "08:00:01"
    assert cols["mood"].enum_values == ("sad", "ok", "happy")
    assert cols["perms"].logical_type == "string" and cols["perms"].enum_values == ("r", "w", "x")
    assert {v.value for v in cols["perms"].stats.most_common} == {"r,w", "x"}
    assert cols["doc"].logical_type == "json" and cols["doc"].stats.distinct_count == 500
    assert cols["blob_col"].logical_type == "binary" and cols["blob_col"].stats.length.max == 4
    assert cols["flag"].logical_type == "boolean"
    assert cols["flag"].stats.true_fraction == pytest.approx(125 / 500)
    assert cols["price"].stats.null_fraction == pytest.approx(0.2)
    assert cols["price"].stats.max_scale == 3
    assert cols["yr"].logical_type == "integer" and cols["yr"].stats.max == 2019
    assert cols["big"].stats.min == pytest.approx(18446744073709551000, rel=1e-12)
    assert cols["big"].stats.null_fraction == 0.0
    assert any("price" in c.sqltext for c in table.checks)
