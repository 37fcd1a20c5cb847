"""Table and column modes, mixed runs (mask the customers, synthesise the facts) and refusals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.errors import ConfigError, LoadError, UnsafeTarget
from paritygen.mask.run import mask_database
from paritygen.profile.model import Rules, TableRule
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

from . import saas

KEY_ENV = "H13_TEST_MASK_KEY"

ORPHANS = {
    "orders.customer_id": "SELECT count(*) FROM orders o LEFT JOIN customers c"
    " ON c.id = o.customer_id WHERE c.id IS NULL",
    "orders.customer_email": "SELECT count(*) FROM orders o LEFT JOIN customers c"
    " ON c.email = o.customer_email WHERE o.customer_email IS NOT NULL AND c.id IS NULL",
    "order_lines.order_id": "SELECT count(*) FROM order_lines l LEFT JOIN orders o"
    " ON o.id = l.order_id WHERE o.id IS NULL",
}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "another-test-secret-0123456789abcdef")


def test_mixed_run_masks_customers_and_synthesises_facts(db_url_pair: tuple[str, str]) -> None:
    src, dst = db_url_pair
    counts = saas.build(src, customers=200)
    profile = profile_database(src, progress=False)
    rules = Rules(tables={"tenants": TableRule(mode="mask"), "customers": TableRule(mode="mask")})
    profile = dataclasses.replace(profile, rules=rules)
    # generate refuses the masked tables instead of silently synthesising them
    with pytest.raises(ConfigError, match="ruled mode: mask"):
        generate_database(profile, dst, progress=False)
    summary = mask_database(src, dst, profile=profile, key_env=KEY_ENV, progress=False)
    assert summary.modes == {
        "tenants": "mask", "customers": "mask", "orders": "generate", "order_lines": "generate",
    }  # fmt: skip
    for table in ("tenants", "customers"):
        assert saas.fetch(dst, f"SELECT count(*) FROM {table}")[0][0] == counts[table]
    for table in ("orders", "order_lines"):
        assert (
            saas.fetch(dst, f"SELECT count(*) FROM {table}")[0][0]
            == profile.tables[table].row_count
        )
    for name, sql in ORPHANS.items():
        assert saas.fetch(dst, sql)[0][0] == 0, name
    used = saas.fetch(dst, "SELECT count(DISTINCT customer_id) FROM orders")[0][0]
    assert used > counts["customers"] // 3  # children spread over the real parents
    assert not saas.column_values(src, "customers", "email") & saas.column_values(
        dst, "customers", "email"
    )


def test_column_modes_from_a_rules_file(sqlite_url: str, tmp_path: Path) -> None:
    saas.build(sqlite_url, customers=120)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        yaml.safe_dump(
            {
                "tables": {
                    "customers": {
                        "columns": {
                            "notes": {"mode": "null"},
                            "iban": {"mode": "constant", "value": "DE00 REDACTED"},
                            "phone": {"mode": "keep"},
                            "email": {"masker": "email", "params": {"domain": "keep"}},
                            "birth_date": {"params": {"window_days": 10}},
                        }
                    },
                    "order_lines": {"mode": "empty"},
                    "tenants": {"mode": "copy-masked"},
                }
            }
        )
    )
    dst = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    summary = mask_database(sqlite_url, dst, rules=rules, key_env=KEY_ENV, progress=False)
    assert summary.tables["order_lines"].rows == 0
    assert saas.fetch(dst, "SELECT count(*) FROM customers WHERE notes IS NOT NULL") == [(0,)]
    assert {v for (v,) in saas.fetch(dst, "SELECT iban FROM customers")} == {"DE00 REDACTED"}
    assert saas.column_values(dst, "customers", "phone") == saas.column_values(
        sqlite_url, "customers", "phone"
    )
    domains = {e.split("@")[1] for e in saas.column_values(dst, "customers", "email")}
    assert domains == {"acme.io", "globex.com"}
    moved = (
        saas.fetch(dst, "SELECT birth_date FROM customers ORDER BY id"),
        saas.fetch(sqlite_url, "SELECT birth_date FROM customers ORDER BY id"),
    )
    import datetime as dt

    for (after,), (before,) in zip(*moved, strict=True):
        days = abs((dt.date.fromisoformat(str(after)) - dt.date.fromisoformat(str(before))).days)
        assert 1 <= days <= 10


def test_refusals(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saas.build(sqlite_url, customers=30)
    dst = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    runner = CliRunner()
    monkeypatch.delenv("PARITYGEN_MASK_KEY", raising=False)
    result = runner.invoke(cli, ["mask", "--source", sqlite_url, "--target", dst])
    assert result.exit_code == 2
    assert "no masking key: set the environment variable PARITYGEN_MASK_KEY" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(UnsafeTarget, match="is the source database"):
        mask_database(sqlite_url, sqlite_url, key_env=KEY_ENV)
    prod = f"sqlite:///{tmp_path / 'shop_production.sqlite'}"
    with pytest.raises(UnsafeTarget, match="looks like production"):
        mask_database(sqlite_url, prod, key_env=KEY_ENV, progress=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables:\n  customers:\n    columns:\n      balance: {masker: email}\n")
    with pytest.raises(ConfigError, match="customers.balance: masker email cannot mask a decimal"):
        mask_database(sqlite_url, dst, rules=bad, key_env=KEY_ENV, progress=False)
    bad.write_text("tables:\n  customers:\n    columns:\n      email: {mode: null}\n")
    with pytest.raises(ConfigError, match="customers.email is NOT NULL"):
        mask_database(sqlite_url, dst, rules=bad, key_env=KEY_ENV, progress=False)
    bad.write_text("tables:\n  customers: {mode: mask}\n  orders: {mode: empty}\n")
    with pytest.raises(ConfigError, match="order_lines is copied but its parent orders is left"):
        mask_database(sqlite_url, dst, rules=bad, key_env=KEY_ENV, progress=False)
    # a run into a target that holds rows stops and names them; truncate finishes cleanly
    mask_database(sqlite_url, dst, key_env=KEY_ENV, progress=False)
    with pytest.raises(UnsafeTarget, match="already holds rows"):
        mask_database(sqlite_url, dst, key_env=KEY_ENV, progress=False)
    summary = mask_database(sqlite_url, dst, key_env=KEY_ENV, progress=False, if_exists="truncate")
    assert summary.tables["customers"].rows == 30


def test_personal_key_remapped_in_parent_and_children(sqlite_url: str, tmp_path: Path) -> None:
    """A customer id the business treats as personal: masked with integer_key in customers and,
    automatically, in orders.customer_id; joins count the same, no id survives."""
    saas.build(sqlite_url, customers=150)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "tables:\n  customers:\n    columns:\n      id: {pii: true, masker: integer_key}\n"
    )
    dst = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    summary = mask_database(sqlite_url, dst, rules=rules, key_env=KEY_ENV, progress=False)
    assert summary.columns["orders"]["customer_id"].masker == "integer_key"
    rows = "SELECT created_at, id FROM customers"  # created_at is unique per customer here
    before, after = dict(saas.fetch(sqlite_url, rows)), dict(saas.fetch(dst, rows))
    assert before.keys() == after.keys() and len(set(after.values())) == len(after)
    assert sum(before[k] == after[k] for k in before) <= 2  # a keyed permutation moves them
    assert all(len(str(a)) == 4 for a in after.values())  # 1001..1150 keep four digits
    join = "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id"
    assert saas.fetch(dst, join) == saas.fetch(sqlite_url, join)
    by_customer = (
        "SELECT c.email, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id"
        " GROUP BY c.email"
    )
    # the same customers own the same number of orders (e-mails masked the same way)
    assert sorted(n for _, n in saas.fetch(dst, by_customer)) == sorted(
        n for _, n in saas.fetch(sqlite_url, by_customer)
    )


def test_unique_collisions_resolved_and_counted(sqlite_url: str, tmp_path: Path) -> None:
    """A pool masker (a few hundred first names) on a unique column of 2,000 values must
    collide; every collision is resolved deterministically and counted, the column stays
    unique, and a second run gives the same values."""
    import sqlalchemy as sa

    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE handles (id INTEGER PRIMARY KEY, handle VARCHAR(30) NOT NULL,"
            " CONSTRAINT handles_handle UNIQUE (handle))"
        )
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
            " INSERT INTO handles SELECT i, 'handle_' || i FROM n"
        )
    engine.dispose()
    rules = tmp_path / "rules.yaml"
    rules.write_text("tables:\n  handles:\n    columns:\n      handle: {masker: first_name}\n")
    outputs = []
    for run in range(2):
        dst = f"sqlite:///{tmp_path / f'staging{run}.sqlite'}"
        summary = mask_database(sqlite_url, dst, rules=rules, key_env=KEY_ENV, progress=False)
        assert summary.columns["handles"]["handle"].collisions > 1000
        values = saas.fetch(dst, "SELECT id, handle FROM handles ORDER BY id")
        assert len({h for _, h in values}) == 2000
        assert all(len(h) <= 30 for _, h in values)
        outputs.append(values)
    assert outputs[0] == outputs[1]


def test_failed_run_then_rerun_finishes_cleanly(
    pg_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    """A run that fails part-way (here: a constant too long for its column, caught by the
    server mid-load) leaves a state from which the same command with --if-exists truncate
    finishes with exact counts and every constraint in place."""
    counts = saas.build(sqlite_url, customers=60)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tables:\n  orders:\n    columns:\n"
        "      status: {mode: constant, value: far-too-long-status}\n"
    )
    with pytest.raises(LoadError, match="orders"):
        mask_database(sqlite_url, pg_url, rules=bad, key_env=KEY_ENV, progress=False)
    summary = mask_database(
        sqlite_url, pg_url, key_env=KEY_ENV, progress=False, if_exists="truncate"
    )
    for table, rows in counts.items():
        assert summary.tables[table].rows == rows
        assert saas.fetch(pg_url, f"SELECT count(*) FROM {table}")[0][0] == rows
    keys = saas.fetch(
        pg_url, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass"
    )[0][0]
    assert keys == 3  # primary key and both FKs
