"""Reference tables verbatim, people found by their values: a retail schema nobody here wrote.

A store chain's production: regions, countries, a product list with ``numeric(38,10)`` prices
and ``SUP-001`` codes (lookup tables, no person in them), stores whose ``manager`` holds people's
names, customers whose ``contact`` does, and invoices. Checked with independent SQL after
profile -> generate on each database: the lookup tables come out byte-equal and their keys are
what the children point at; the tables about people never enter the profile as rows; name
columns are found whatever they are called and none of their values is in the profile text.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from faker import Faker

from paritygen.profile.io import dumps
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

REGIONS = [
    (1, "EMEA", "Europe, Middle East, Africa"),
    (2, "APAC", "Asia Pacific"),
    (3, "AMER", "Americas"),
    (4, "LATAM", "Latin America"),
    (5, "ANZ", "Oceania"),
]
PRODUCTS = ["Espresso beans", "Green tea", "Oat milk", "Dark chocolate", "Sparkling water",
            "Orange juice", "Rye bread", "Olive oil", "Sea salt", "Maple syrup"]  # fmt: skip
CATEGORIES = ["beverage", "beverage", "dairy", "sweets", "beverage", "beverage", "bakery",
              "pantry", "pantry", "pantry"]  # fmt: skip


def _schema(dialect: str) -> list[str]:
    text = "text" if dialect != "mysql" else "varchar(200)"
    return [
        "CREATE TABLE region (region_id integer PRIMARY KEY, code varchar(8) NOT NULL,"
        " label varchar(60))",
        "CREATE TABLE country (country_code char(2) PRIMARY KEY, country_name varchar(60)"
        " NOT NULL, region_id integer NOT NULL REFERENCES region (region_id))",
        "CREATE TABLE product (product_id integer PRIMARY KEY, sku varchar(10) NOT NULL UNIQUE,"
        " title varchar(60) NOT NULL, category varchar(30), price numeric(38,10) NOT NULL,"
        " launched date, active boolean)",
        "CREATE TABLE store (store_id integer PRIMARY KEY, store_name varchar(60),"
        " manager varchar(80), country_code char(2) REFERENCES country (country_code))",
        f"CREATE TABLE customer (id integer PRIMARY KEY, contact varchar(80), owner_note {text},"
        " mail varchar(120), country_code char(2) REFERENCES country (country_code))",
        "CREATE TABLE invoice (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES"
        " customer (id), product_id integer REFERENCES product (product_id),"
        " billing_city varchar(60), total numeric(10,2))",
    ]


def _fill(conn: sa.Connection) -> dict[str, list[str]]:
    """Production rows; returns the personal values that must never reach the profile."""
    fake = Faker("en_US")
    fake.seed_instance(7)
    rnd = random.Random(7)
    conn.execute(sa.text("INSERT INTO region VALUES (:i, :c, :l)"),
                 [{"i": i, "c": c, "l": label} for i, c, label in REGIONS])  # fmt: skip
    codes = sorted({fake.unique.country_code() for _ in range(25)})
    conn.execute(
        sa.text("INSERT INTO country VALUES (:c, :n, :r)"),
        [{"c": c, "n": f"Land {c}", "r": 1 + i % 5} for i, c in enumerate(codes)],
    )
    conn.execute(
        sa.text("INSERT INTO product VALUES (:i, :s, :t, :c, :p, :d, :a)"),
        [
            {"i": 100 + i, "s": f"SUP-{i + 1:03d}", "t": title, "c": CATEGORIES[i],
             "p": f"{rnd.randint(1, 99_999)}.{rnd.randint(0, 10**10 - 1):010d}",
             "d": f"2021-0{1 + i % 9}-1{i % 9}", "a": i % 3 != 0}
            for i, title in enumerate(PRODUCTS)
        ],  # fmt: skip
    )
    managers = [fake.name() for _ in range(6)]
    conn.execute(
        sa.text("INSERT INTO store VALUES (:i, :n, :m, :c)"),
        [{"i": i + 1, "n": f"Store {i + 1}", "m": m, "c": codes[i]}
         for i, m in enumerate(managers)],  # fmt: skip
    )
    contacts, mails = [], []
    rows = []
    for i in range(300):
        first, last = fake.first_name(), fake.last_name()
        contacts.append(f"{first} {last}")
        mails.append(f"{first}.{last}{i}@corp.example".lower())
        rows.append({"i": i + 1, "n": contacts[-1], "o": fake.sentence(nb_words=6),
                     "m": mails[-1], "c": codes[i % len(codes)]})  # fmt: skip
    conn.execute(sa.text("INSERT INTO customer VALUES (:i, :n, :o, :m, :c)"), rows)
    cities = [fake.city() for _ in range(40)]
    conn.execute(
        sa.text("INSERT INTO invoice VALUES (:i, :c, :p, :b, :t)"),
        [{"i": i + 1, "c": 1 + rnd.randrange(300), "p": 100 + rnd.randrange(10),
          "b": rnd.choice(cities), "t": f"{rnd.randint(1, 999)}.{rnd.randint(0, 99):02d}"}
         for i in range(2000)],  # fmt: skip
    )
    return {"manager": managers, "contact": contacts, "mail": mails}


def _rows(engine: sa.Engine, table: str, key: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {key}"))]


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_reference_tables_exact_and_people_never_stored(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        for statement in _schema(engine.dialect.name):
            conn.execute(sa.text(statement))
        personal = _fill(conn)
    profile = profile_database(source, progress=False)
    tables = profile.tables
    assert {n for n, t in tables.items() if t.reference_rows is not None} == {
        "region", "country", "product"
    }
    # People are found by their values, whatever the column is called.
    assert tables["store"].columns["manager"].semantic == "full_name"
    assert tables["store"].columns["manager"].pii
    assert tables["customer"].columns["contact"].semantic == "full_name"
    assert tables["customer"].columns["mail"].pii
    text = dumps(profile)
    leaked = [v for values in personal.values() for v in values if v in text]
    assert leaked == []

    generate_database(profile, target, seed=3, scale=2.0, progress=False)
    staging = sa.create_engine(target)
    try:
        for table, key in (("region", "region_id"), ("country", "country_code"),
                           ("product", "product_id")):  # fmt: skip
            assert _rows(staging, table, key) == _rows(engine, table, key), table
        with staging.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM invoice")).scalar() == 4000
            orphans = conn.execute(sa.text(
                "SELECT count(*) FROM invoice i LEFT JOIN product p ON p.product_id ="
                " i.product_id WHERE i.product_id IS NOT NULL AND p.product_id IS NULL"
            )).scalar()  # fmt: skip
            assert orphans == 0
            found = conn.execute(sa.text(
                "SELECT count(*) FROM invoice i JOIN product p ON p.product_id = i.product_id"
                " WHERE p.category = 'beverage'"
            )).scalar()  # fmt: skip
            assert found > 0  # queries that filter on lookup values find rows
            managers = {r[0] for r in conn.execute(sa.text("SELECT manager FROM store"))}
            people = conn.execute(sa.text("SELECT contact, mail FROM customer")).all()
            mails = {r[1] for r in people}
        # Production's e-mails follow the names: staging's follow staging's names.
        assert tables["customer"].columns["mail"].stats.follows == ("contact",)
        named = [r for r in people if r[0] and r[1]]
        follows = [r[0].split()[-1].lower() in r[1] for r in named]
        assert sum(follows) >= 0.9 * len(named)
        assert len(mails) == len(people)  # distinct, as production's
        assert not managers & set(personal["manager"])
        assert not mails & set(personal["mail"])
    finally:
        staging.dispose()
        engine.dispose()


def test_reference_rows_flag_disables(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        for statement in _schema("sqlite"):
            conn.execute(sa.text(statement))
        _fill(conn)
    engine.dispose()
    off = profile_database(sqlite_url, progress=False, reference_rows=0)
    assert all(t.reference_rows is None for t in off.tables.values())
    small = profile_database(sqlite_url, progress=False, reference_rows=9)
    assert {n for n, t in small.tables.items() if t.reference_rows is not None} == {"region"}
