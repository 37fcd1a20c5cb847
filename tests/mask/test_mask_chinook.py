"""mask on a production-shaped database nobody here wrote (Chinook), PostgreSQL to PostgreSQL and
MariaDB to MariaDB, checked with plain SQL: exact row counts, 0 orphans, 0 production e-mails or
names of people in the identifying columns, non-PII columns identical, and two runs with the same
key give identical targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import new_database
from datasets import CHINOOK_DIR, load_chinook

from paritygen.mask.run import mask_database
from paritygen.profile.model import Table
from paritygen.profile.run import read_only_engine
from paritygen.profile.schema_tags import schema_and_tags

KEY_ENV = "H13_TEST_MASK_KEY"
PEOPLE = {
    "Customer": ("FirstName", "LastName", "Email"),
    "Employee": ("FirstName", "LastName", "Email"),
}


@pytest.fixture(params=["postgresql", "mysql"])
def chinook_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, ...]]:
    if not (CHINOOK_DIR / "Chinook_PostgreSql.sql").exists():
        pytest.skip(f"Chinook dataset not found at {CHINOOK_DIR}")
    made = [new_database(request.param, tmp_path / str(i)) for i in range(3)]
    for i in range(3):
        (tmp_path / str(i)).mkdir()
    urls = [next(gen) for gen in made]
    load_chinook(request.param, urls[0])
    yield tuple(urls)
    for gen in made:
        next(gen, None)


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted((tuple(r) for r in conn.execute(sa.text(sql))), key=repr)
    finally:
        engine.dispose()


def tagged(table: Table, tag: str) -> str | None:
    return next((c for c, col in table.columns.items() if col.semantic == tag), None)


def test_chinook_masked_copy(
    chinook_pair: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, first, second = chinook_pair
    monkeypatch.setenv(KEY_ENV, "chinook-test-key-0123456789abcdef")
    engine = read_only_engine(source)
    profile = schema_and_tags(engine)
    engine.dispose()
    q = sa.create_engine(source).dialect.identifier_preparer.quote
    summary = mask_database(source, first, key_env=KEY_ENV, progress=False)
    mask_database(source, second, key_env=KEY_ENV, progress=False)
    for name, table in profile.tables.items():
        everything = f"SELECT * FROM {q(name)}"
        assert len(rows(first, everything)) == len(rows(source, everything)), name
        assert summary.tables[name].rows == len(rows(source, everything))
        assert rows(first, everything) == rows(second, everything), name  # deterministic
        plain = [q(c) for c, col in table.columns.items() if not col.pii]
        if plain:
            query = f"SELECT {', '.join(plain)} FROM {q(name)}"
            assert rows(first, query) == rows(source, query), name
        for fk in table.foreign_keys:
            on = " AND ".join(
                f"p.{q(r)} = c.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
            some = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in fk.columns)
            orphans = (
                f"SELECT count(*) FROM {q(name)} c LEFT JOIN {q(fk.ref_table)} p ON {on}"
                f" WHERE {some} AND p.{q(fk.ref_columns[0])} IS NULL"
            )
            assert rows(first, orphans) == [(0,)], f"{name} -> {fk.ref_table}"
    people = 0
    for name, table in profile.tables.items():
        first_name, last_name = tagged(table, "first_name"), tagged(table, "last_name")
        email, phone = tagged(table, "email"), tagged(table, "phone")
        if first_name and last_name:
            people += 1
            pairs = f"SELECT {q(first_name)}, {q(last_name)} FROM {q(name)}"
            assert not set(rows(source, pairs)) & set(rows(first, pairs)), name
        for column in (email, phone):
            if column:
                values = f"SELECT {q(column)} FROM {q(name)} WHERE {q(column)} IS NOT NULL"
                assert not set(rows(source, values)) & set(rows(first, values)), column
        if email:
            assert len(set(rows(first, f"SELECT {q(email)} FROM {q(name)}"))) == len(
                rows(first, f"SELECT {q(email)} FROM {q(name)}")
            )
    assert people == 2  # customers and employees
    assert summary.masked > 0 and summary.collisions == 0
