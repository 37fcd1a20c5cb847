"""A composite unique constraint holding a masked column stays unique: (tenant, first name) with
names drawn from a 687-name pool collide by the birthday rule; each collision is re-masked
deterministically and counted, and the target's own constraint (added after the load) holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from paritygen.mask.run import mask_database

from . import saas

KEY_ENV = "H13_TEST_MASK_KEY"
TENANTS = 3
NAMES_PER_TENANT = 300


def build(url: str) -> int:
    md = sa.MetaData()
    people = sa.Table(
        "people", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("first_name", sa.String(40)),
        sa.Column("score", sa.Integer, nullable=False),
        sa.UniqueConstraint("tenant_id", "first_name", name="people_tenant_name"),
    )  # fmt: skip
    rows = [
        {
            "id": t * 1000 + i,
            "tenant_id": t,
            "first_name": f"Qzx{t}n{i:03d}" if i else None,
            "score": i % 7,
        }  # fmt: skip
        for t in range(TENANTS)
        for i in range(NAMES_PER_TENANT)
    ]
    engine = sa.create_engine(url)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(people.insert(), rows)
    engine.dispose()
    return len(rows)


@pytest.mark.parametrize("target_fixture", ["pg_url", "mysql_url"])
def test_composite_unique_with_a_masked_column_holds(
    target_fixture: str, sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    dst = request.getfixturevalue(target_fixture)
    monkeypatch.setenv(KEY_ENV, "a-test-secret-that-nobody-uses-0123456789")
    rows = build(sqlite_url)
    rules = tmp_path / "rules.yaml"
    rules.write_text("tables:\n  people:\n    columns:\n      first_name: {masker: first_name}\n")
    summary = mask_database(sqlite_url, dst, rules=rules, key_env=KEY_ENV, progress=False)
    counts = summary.columns["people"]["first_name"]
    assert counts.collisions > 0  # the birthday rule: ~65 per tenant of 300 in a 687 pool
    assert summary.collisions == counts.collisions
    got = saas.fetch(dst, "SELECT count(*), count(DISTINCT id) FROM people")[0]
    assert tuple(got) == (rows, rows)
    pairs = saas.fetch(dst, "SELECT tenant_id, first_name FROM people WHERE first_name IS NOT NULL")
    assert len(pairs) == len(set(pairs)) == rows - TENANTS
    assert not {n for _, n in pairs} & saas.column_values(sqlite_url, "people", "first_name")
    assert saas.fetch(dst, "SELECT count(*) FROM people WHERE first_name IS NULL")[0][0] == TENANTS
    first = sorted(saas.fetch(dst, "SELECT id, tenant_id, first_name, score FROM people"))
    again = mask_database(
        sqlite_url, dst, rules=rules, key_env=KEY_ENV, progress=False, if_exists="truncate"
    )
    assert again.columns["people"]["first_name"].collisions == counts.collisions
    assert sorted(saas.fetch(dst, "SELECT id, tenant_id, first_name, score FROM people")) == first
