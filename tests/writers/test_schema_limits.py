"""The schema check names what would fail the load, and cross-dialect keys fit the target.

- ``--schema-mode existing``: a target column shorter, narrower or less precise than the
  profile's values is a difference named before anything is written (the target stays empty).
- PostgreSQL -> MariaDB: a primary key on ``text``, a ``varchar(1024)`` unique key that an FK
  refers to, and an index wider than InnoDB's 3,072-byte key: all planned to fit (notes say how),
  so the load and the keys after it succeed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from paritygen.errors import SchemaMismatch
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.writers.schema import build_metadata, compare_schema, schema_notes

SOURCE = """
CREATE TABLE account (
  code text PRIMARY KEY,
  handle varchar(1024) NOT NULL UNIQUE,
  note text,
  balance numeric(14, 2),
  visits bigint,
  wide_a varchar(700),
  wide_b varchar(700)
);
CREATE INDEX account_wide ON account (wide_a, wide_b);
INSERT INTO account
SELECT 'acct-' || g, 'user_' || g || '_' || repeat('x', g % 30), repeat('n', 5 + g % 40),
       g * 12345.67, g::bigint * 10000000, 'a' || g, 'b' || g
FROM generate_series(1, 1200) g;
CREATE TABLE visit (
  id int PRIMARY KEY,
  account_code text NOT NULL REFERENCES account (code),
  handle varchar(1024) REFERENCES account (handle)
);
INSERT INTO visit SELECT g, 'acct-' || (1 + g % 1200),
       'user_' || (1 + g % 1200) || '_' || repeat('x', (1 + g % 1200) % 30)
FROM generate_series(1, 3000) g;
"""


@pytest.fixture
def profiled(pg_url: str):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.connection.driver_connection.execute(SOURCE)
    engine.dispose()
    return profile_database(pg_url, progress=False, reference_rows=0)


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_existing_target_too_small_is_named_before_writing(profiled, db_url_pair) -> None:
    _, target = db_url_pair
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE account (code varchar(10) PRIMARY KEY, handle varchar(500) NOT NULL"
            " UNIQUE, note varchar(20), balance numeric(8, 2), visits integer,"
            " wide_a varchar(700), wide_b varchar(700))"
        )
    differences = compare_schema(engine, profiled, ["account"])
    text = "\n".join(differences)
    assert "account.code: values up to 9 characters" not in text  # 'acct-1200' fits in 10
    assert "account.note: values up to 44 characters in profile" in text
    assert "account.balance: 8 integer digits in profile" in text
    assert "account.visits: values 10000000..12000000000 in profile" in text
    assert len(differences) == 3, differences
    with pytest.raises(SchemaMismatch, match="account.note"):
        generate_database(profiled, target, tables=["account"], schema_mode="existing",
                          progress=False)  # fmt: skip
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM account").scalar() == 0
    engine.dispose()


def test_postgres_keys_fit_mariadb(profiled, mysql_url: str) -> None:
    metadata = build_metadata(profiled, None, "mysql")
    notes = "\n".join(schema_notes(metadata))
    assert "account.code: key column text written as varchar(9)" in notes
    assert "visit.account_code: key column text" in notes
    assert "account.handle: key column" in notes
    summary = generate_database(profiled, mysql_url, seed=2, progress=False)
    assert summary.tables["account"].rows == 1200 and summary.tables["visit"].rows == 3000
    engine = sa.create_engine(mysql_url)
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("account")["constrained_columns"] == ["code"]
    referred = {tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys("visit")}
    assert referred == {("account_code",), ("handle",)}
    assert {tuple(i["column_names"]) for i in inspector.get_indexes("account")} >= {
        ("wide_a", "wide_b")
    }
    with engine.connect() as conn:
        orphans = conn.exec_driver_sql(
            "SELECT count(*) FROM visit v LEFT JOIN account a ON a.handle = v.handle"
            " WHERE v.handle IS NOT NULL AND a.handle IS NULL"
        ).scalar()
    assert orphans == 0
    engine.dispose()
