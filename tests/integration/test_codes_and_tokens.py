"""Codes and tokens keep their shape: md5 tokens, ``Customer#000000042``, ``SUP-001``, and a
unique two-letter code column, on a supplier schema nobody here wrote.

Lookup tables are generated here (``reference_rows=0``) so the code generators are what is
tested. Checked with independent SQL: shapes, distinct counts within 10 %, and a column too
short for its rows failing when the plan is made, before any table exists in the target.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from paritygen.errors import ConfigError
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

ROWS = 2000
COUNTRIES = 250


def _production(url: str) -> None:
    engine = sa.create_engine(url)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE country (id integer PRIMARY KEY, iso varchar(2) NOT NULL UNIQUE)"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TABLE supplier_account (id integer PRIMARY KEY, token varchar(32) NOT NULL"
            " UNIQUE, api_key varchar(255), customer_no varchar(20) NOT NULL UNIQUE,"
            " supplier_code varchar(10), country_id integer REFERENCES country (id))"
        ))  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO country VALUES (:i, :c)"),
            [{"i": i, "c": letters[(i * 7) % 26] + letters[(i * 11 + i // 26) % 26]}
             for i in range(COUNTRIES)],  # fmt: skip
        )
        rows = []
        for i in range(ROWS):
            digest = hashlib.md5(str(i).encode()).hexdigest()
            rows.append({"i": i, "t": digest, "k": hashlib.md5(str(i % 700).encode()).hexdigest(),
                         "n": f"Customer#{i + 42:09d}", "s": f"SUP-{i % 50 + 1:03d}",
                         "c": i % COUNTRIES})  # fmt: skip
        conn.execute(sa.text("INSERT INTO supplier_account VALUES (:i, :t, :k, :n, :s, :c)"), rows)
    engine.dispose()


def _column(conn: sa.Connection, table: str, column: str) -> list[str]:
    return [r[0] for r in conn.execute(sa.text(f"SELECT {column} FROM {table}"))]


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_codes_keep_their_shape(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    _production(source)
    profile = profile_database(source, progress=False, reference_rows=0)
    columns = profile.tables["supplier_account"].columns
    assert columns["token"].semantic == "hex"  # not a UUID
    assert columns["customer_no"].stats.shape.prefix == "Customer#"
    generate_database(profile, target, seed=2, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        tokens = _column(conn, "supplier_account", "token")
        keys = _column(conn, "supplier_account", "api_key")
        numbers = _column(conn, "supplier_account", "customer_no")
        codes = _column(conn, "supplier_account", "supplier_code")
        iso = _column(conn, "country", "iso")
    engine.dispose()
    assert len(set(tokens)) == ROWS and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
    assert all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert abs(len(set(keys)) / 700 - 1) <= 0.1
    assert len(set(numbers)) == ROWS
    assert all(re.fullmatch(r"Customer#\d{9}", n) for n in numbers)
    assert all(re.fullmatch(r"SUP-\d{3}", c) for c in codes)
    assert abs(len(set(codes)) / 50 - 1) <= 0.1
    assert len(set(iso)) == COUNTRIES and all(re.fullmatch(r"[A-Z]{2}", c) for c in iso)


def test_capacity_fails_before_writing(pg_url: str, tmp_path) -> None:
    _production(pg_url)
    profile = profile_database(pg_url, progress=False, reference_rows=0)
    target = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    with pytest.raises(ConfigError, match="iso"):  # 750 rows, 26 x 26 = 676 letter pairs
        generate_database(profile, target, seed=2, scale=3.0, progress=False)
    engine = sa.create_engine(target)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()
