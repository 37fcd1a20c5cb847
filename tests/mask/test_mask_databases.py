"""mask on real databases, checked independently with plain SQL on source and target.

No production value of an identifying column reaches the target, joins (by id and by the masked
e-mail, a natural key) count the same, FKs have 0 orphans, unique columns stay unique, non-PII
columns are identical, and a second run with the same key gives the same target.
"""

from __future__ import annotations

import gc
import pathlib

import pytest
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.mask.run import mask_database

from . import saas

KEY_ENV = "H13_TEST_MASK_KEY"
KEY = "a-test-secret-that-nobody-uses-0123456789"

JOINS = {
    "by id": "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id",
    "by email": "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email",
    "lines": "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id",
}
ORPHANS = (
    "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL"
)
NON_PII = {
    "customers": "id, tenant_id, balance, active, created_at",
    "orders": "id, customer_id, status, amount, ordered_at",
    "order_lines": "order_id, line_no, sku, quantity, price",
}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def snapshot_of(url: str) -> dict[str, list[tuple]]:
    return {
        table: sorted(saas.fetch(url, f"SELECT * FROM {table}"), key=repr)
        for table in ("tenants", "customers", "orders", "order_lines")
    }


def assert_masked_copy(src: str, dst: str, counts: dict[str, int]) -> None:
    for table, rows in counts.items():
        assert saas.fetch(dst, f"SELECT count(*) FROM {table}")[0][0] == rows, table
    for column in saas.IDENTIFYING:
        production = saas.column_values(src, "customers", column)
        staging = saas.column_values(dst, "customers", column)
        assert production and staging and not production & staging, column
    pairs = "SELECT first_name, last_name FROM customers"
    assert not set(saas.fetch(src, pairs)) & set(saas.fetch(dst, pairs))
    assert not saas.column_values(src, "orders", "customer_email") & saas.column_values(
        dst, "orders", "customer_email"
    )
    for name, sql in JOINS.items():
        assert saas.fetch(dst, sql) == saas.fetch(src, sql), name
    assert saas.fetch(dst, ORPHANS)[0][0] == 0
    emails = saas.fetch(dst, "SELECT count(DISTINCT email), count(*) FROM customers")[0]
    assert emails[0] == emails[1] == counts["customers"]
    for table, columns in NON_PII.items():
        query = f"SELECT {columns} FROM {table}"
        source_rows = sorted(saas.fetch(src, query), key=repr)
        assert sorted(saas.fetch(dst, query), key=repr) == source_rows, table
    notes = saas.fetch(dst, "SELECT notes FROM customers WHERE notes LIKE 'Called %'")
    production_notes = saas.fetch(src, "SELECT notes FROM customers WHERE notes LIKE 'Called %'")
    assert notes and sorted(len(n) for (n,) in notes) == sorted(len(n) for (n,) in production_notes)
    assert not {n for (n,) in notes} & {n for (n,) in production_notes}


def test_mask_same_database_kind(db_url_pair: tuple[str, str]) -> None:
    src, dst = db_url_pair
    counts = saas.build(src, customers=250)
    summary = mask_database(src, dst, key_env=KEY_ENV, progress=False)
    assert summary.rows == sum(counts.values())
    assert summary.columns["customers"]["email"].masked == counts["customers"]
    assert summary.columns["orders"]["customer_email"].masker == "email"  # inherited from parent
    assert_masked_copy(src, dst, counts)
    first = snapshot_of(dst)
    # A second run (what a rerun after a crash does) gives the very same target.
    mask_database(src, dst, key_env=KEY_ENV, progress=False, if_exists="truncate")
    assert snapshot_of(dst) == first


@pytest.mark.parametrize(
    ("source_fixture", "target_fixture"), [("pg_url", "mysql_url"), ("mysql_url", "pg_url")]
)
def test_mask_across_databases(
    source_fixture: str, target_fixture: str, request: pytest.FixtureRequest
) -> None:
    src = request.getfixturevalue(source_fixture)
    dst = request.getfixturevalue(target_fixture)
    counts = saas.build(src, customers=150)
    result = CliRunner().invoke(
        cli, ["mask", "--source", src, "--target", dst, "--key-env", KEY_ENV, "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert gc.isenabled()  # off only while the command imports its modules
    assert KEY not in result.output
    assert "customers.email: mask email" in result.output
    assert_masked_copy(src, dst, counts)


def test_same_key_same_pseudonyms_across_databases(
    pg_url: str, sqlite_url: str, tmp_path: pathlib.Path
) -> None:
    """Determinism across runs and targets: two databases masked apart agree value for value."""
    saas.build(sqlite_url, customers=200)
    again = f"sqlite:///{tmp_path / 'again.sqlite'}"
    mask_database(sqlite_url, pg_url, key_env=KEY_ENV, progress=False)
    mask_database(sqlite_url, again, key_env=KEY_ENV, progress=False)
    query = "SELECT id, email, first_name, last_name, phone, iban, card_number FROM customers"
    assert sorted(saas.fetch(again, query)) == sorted(saas.fetch(pg_url, query))
