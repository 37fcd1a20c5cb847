"""Virtual keys in ``rules:``: the shorthand read as data, path-precise errors, the rules kept
across re-profiling, the stderr summary of ``--infer-keys``, ``--create-virtual-fks``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.errors import ProfileError
from paritygen.profile.io import dumps, profile_from_dict, read_profile
from paritygen.profile.key_syntax import format_foreign_key, parse_foreign_key
from paritygen.run.generate import generate_database

DEMO = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"


def _demo_with(rule: object, table: str = "sales_order") -> dict:
    data = yaml.safe_load(DEMO.read_text())
    data["rules"] = {"tables": {table: {"foreign_keys": [rule]}}}
    return data


def test_shorthand_is_parsed_as_data_and_round_trips() -> None:
    text = "commentable_id -> posts.id when commentable_type = 'Post''s'"
    parsed = parse_foreign_key(text)
    assert parsed == {
        "columns": ["commentable_id"], "ref_table": "posts", "ref_columns": ["id"],
        "when": {"column": "commentable_type", "equals": "Post's"},
    }  # fmt: skip
    assert parse_foreign_key(format_foreign_key(["a", "b"], "t", ["x", "y"], ("k", 5))) == {
        "columns": ["a", "b"], "ref_table": "t", "ref_columns": ["x", "y"],
        "when": {"column": "k", "equals": 5},
    }  # fmt: skip
    assert parse_foreign_key('"Odd Name" -> "T".id')["columns"] == ["Odd Name"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("fk_customer -> customers.id_customer",
         "rules.tables.sales_order.foreign_keys.0.ref_table: no table 'customers' in the profile"),
        ("fk_custom -> customer.id_customer",
         "rules.tables.sales_order.foreign_keys.0.columns: no column 'fk_custom' in sales_order"),
        ("fk_customer -> customer.id",
         "rules.tables.sales_order.foreign_keys.0.ref_columns: no column 'id' in customer"),
        ("order_reference -> customer.id_customer",
         "sales_order.order_reference (string) cannot reference customer.id_customer (integer)"),
        ("fk_customer -> customer.id_customer when status = 5",
         "foreign_keys.0.when.equals: 5 cannot equal a value of sales_order.status"),
        ("fk_customer -> customer.id_customer when status = 'x' OR 1 = 1",
         "rules.tables.sales_order.foreign_keys.0: unexpected 'OR'"),
        ("fk_customer -> customer.id_customer; DROP TABLE customer",
         "rules.tables.sales_order.foreign_keys.0: cannot read '; DROP TABLE custo"),
        ("(fk_customer, status) -> customer.id_customer",
         "rules.tables.sales_order.foreign_keys.0: columns and ref_columns differ in length"),
    ],
)  # fmt: skip
def test_bad_rules_name_their_path(rule: str, message: str) -> None:
    with pytest.raises(ProfileError) as failure:
        profile_from_dict(_demo_with(rule))
    assert message in str(failure.value)


def test_rules_are_the_source_of_truth_for_virtual_entries() -> None:
    data = _demo_with("fk_customer -> customer.id_customer when status = 'paid'")
    data["rules"]["tables"]["customer_address"] = {"primary_key": ["id_customer_address"]}
    profile = profile_from_dict(data)
    fks = profile.tables["sales_order"].foreign_keys
    virtual = [fk for fk in fks if fk.virtual]
    assert len(virtual) == 1 and virtual[0].condition.equals == "paid"
    # A primary key the table already declares adds nothing; one that differs is an error.
    assert not profile.tables["customer_address"].virtual_primary_key
    data["rules"]["tables"]["customer_address"] = {"primary_key": ["fk_customer"]}
    with pytest.raises(ProfileError, match="already declares primary key"):
        profile_from_dict(data)
    # Written with its virtual entry, then the rule deleted: the entry goes with it.
    written = yaml.safe_load(dumps(profile))
    assert any(fk.get("virtual") for fk in written["tables"]["sales_order"]["foreign_keys"])
    written["rules"] = {}
    again = profile_from_dict(written)
    assert not any(fk.virtual for fk in again.tables["sales_order"].foreign_keys)


def _keyless_shop(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40))"))
        conn.execute(sa.text("CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer,"
                             " total integer, kind varchar(10))"))  # fmt: skip
        conn.execute(sa.text("CREATE TABLE audit (order_no integer NOT NULL, note varchar(20))"))
        conn.execute(
            sa.text("INSERT INTO customers VALUES (:i, :n)"),
            [{"i": i, "n": f"c{i}"} for i in range(1, 41)],
        )
        conn.execute(
            sa.text("INSERT INTO orders VALUES (:i, :c, :t, :k)"),
            [{"i": i, "c": 1 + (i * i) % 17 if i % 6 else None, "t": i * 3, "k": "web"}
             for i in range(1, 301)],
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO audit VALUES (:o, :n)"),
            [{"o": 1000 + i, "n": "x"} for i in range(60)],
        )
    engine.dispose()


def test_infer_keys_cli_summary_and_rules_survive_reprofiling(
    db_url: str, tmp_path: Path
) -> None:
    _keyless_shop(db_url)
    out = tmp_path / "p.yaml"
    runner = CliRunner()
    first = runner.invoke(cli, ["profile", db_url, "-o", str(out), "--infer-keys"])
    assert first.exit_code == 0, first.output
    assert "inferred foreign key orders: customer_id -> customers.id" in first.stderr
    assert "inferred primary key audit.order_no" in first.stderr
    assert "inferred 1 new primary key and 1 new foreign key" in first.stderr
    profile = read_profile(out)
    rule = profile.rules.tables["orders"].foreign_keys[0]
    assert rule.inferred is not None and rule.inferred.match_share == 1.0
    assert rule.inferred.rows_checked == 250
    fk = next(fk for fk in profile.tables["orders"].foreign_keys if fk.virtual)
    assert fk.fanout is not None and fk.fanout.child_rows == 250
    parents = {1 + (i * i) % 17 for i in range(1, 301) if i % 6}
    assert fk.fanout.parent_rows == 40
    assert fk.fanout.childless_fraction == pytest.approx(1 - len(parents) / 40)
    # The user adds a rule by hand; re-profiling without --infer-keys keeps both.
    data = yaml.safe_load(out.read_text())
    data["rules"]["tables"]["orders"]["foreign_keys"].append("total -> audit.order_no")
    out.write_text(yaml.safe_dump(data))
    second = runner.invoke(cli, ["profile", db_url, "-o", str(out)])
    assert second.exit_code == 0, second.output
    again = read_profile(out)
    assert len(again.rules.tables["orders"].foreign_keys) == 2
    assert again.tables["audit"].primary_key == ("order_no",)
    assert again.tables["audit"].virtual_primary_key
    # A rule that no longer fits the schema is dropped with a note naming it.
    data = yaml.safe_load(out.read_text())
    data["rules"]["tables"]["orders"]["foreign_keys"].append(
        {"columns": ["kind"], "ref_table": "customers", "ref_columns": ["name"]}
    )
    out.write_text(yaml.safe_dump(data))
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE orders DROP COLUMN kind"))
    engine.dispose()
    third = runner.invoke(cli, ["profile", db_url, "-o", str(out)])
    assert third.exit_code == 0, third.output
    assert "no column 'kind' in orders" in third.stderr
    assert len(read_profile(out).rules.tables["orders"].foreign_keys) == 2


def test_create_virtual_fks_adds_the_constraints(pg_url: str, tmp_path: Path) -> None:
    from conftest import new_database

    from paritygen.profile.run import profile_database

    _keyless_shop(pg_url)
    profile = profile_database(pg_url, infer_keys=True, progress=False)
    staging = new_database("postgresql", tmp_path)
    target = next(staging)
    generate_database(profile, target, create_virtual_fks=True)
    engine = sa.create_engine(target)
    inspector = sa.inspect(engine)
    fks = inspector.get_foreign_keys("orders")
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in fks] == [
        (["customer_id"], "customers")
    ]
    assert inspector.get_pk_constraint("audit")["constrained_columns"] == ["order_no"]
    engine.dispose()
    next(staging, None)


def test_virtual_cycle_and_self_reference_are_generated_whole(tmp_path: Path) -> None:
    """store <-> staff through NOT NULL columns, and staff.boss_id -> staff: declared by hand,
    no constraint anywhere, every value pointing at a row after generation."""
    from paritygen.profile.run import profile_database

    source, target = tmp_path / "prod.sqlite", tmp_path / "stage.sqlite"
    engine = sa.create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE store (id integer PRIMARY KEY,"
                             " manager_id integer NOT NULL)"))  # fmt: skip
        conn.execute(sa.text("CREATE TABLE staff (id integer PRIMARY KEY,"
                             " store_id integer NOT NULL, boss_id integer)"))  # fmt: skip
        conn.execute(sa.text("INSERT INTO store VALUES (:i, :m)"),
                     [{"i": i, "m": i * 10} for i in range(1, 11)])  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO staff VALUES (:i, :s, :b)"),
            [{"i": i, "s": 1 + i % 10, "b": None if i <= 10 else 1 + i % 10}
             for i in range(1, 201)],  # fmt: skip
        )
    engine.dispose()
    rules = profile_from_dict(
        {**yaml.safe_load(dumps(profile_database(f"sqlite:///{source}", progress=False))),
         "rules": {"tables": {
             "store": {"foreign_keys": ["manager_id -> staff.id"]},
             "staff": {"foreign_keys": ["store_id -> store.id", "boss_id -> staff.id"]},
         }}}
    ).rules  # fmt: skip
    # reference_rows=0: these small tables must be generated, not kept verbatim
    profile = profile_database(f"sqlite:///{source}", rules=rules, progress=False, reference_rows=0)
    assert sum(fk.virtual for t in profile.tables.values() for fk in t.foreign_keys) == 3
    generate_database(profile, f"sqlite:///{target}", scale=2.0)
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        orphans = [
            conn.execute(sa.text(sql)).scalar()
            for sql in (
                "SELECT count(*) FROM store WHERE manager_id NOT IN (SELECT id FROM staff)",
                "SELECT count(*) FROM staff WHERE store_id NOT IN (SELECT id FROM store)",
                "SELECT count(*) FROM staff WHERE boss_id IS NOT NULL"
                " AND boss_id NOT IN (SELECT id FROM staff)",
            )
        ]
        counts = conn.execute(sa.text("SELECT (SELECT count(*) FROM store),"
                                      " (SELECT count(*) FROM staff)")).one()  # fmt: skip
    engine.dispose()
    assert orphans == [0, 0, 0]
    assert tuple(counts) == (20, 400)


def test_composite_and_unique_column_targets(tmp_path: Path) -> None:
    """(tenant_id, account_id) -> accounts.(tenant_id, id), and a child pointing at a parent's
    unique code rather than its primary key: both kept by generate, joins whole."""
    from paritygen.profile.run import profile_database

    source, target = tmp_path / "prod.sqlite", tmp_path / "stage.sqlite"
    engine = sa.create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id integer PRIMARY KEY, tenant_id integer"
                             " NOT NULL, code varchar(12) NOT NULL UNIQUE)"))  # fmt: skip
        conn.execute(sa.text("CREATE TABLE projects (id integer PRIMARY KEY, tenant_id integer"
                             " NOT NULL, account_id integer NOT NULL, account_code varchar(12))"))
        conn.execute(sa.text("INSERT INTO accounts VALUES (:i, :t, :c)"),
                     [{"i": i, "t": 1 + i % 7, "c": f"AC-{i:05d}"} for i in range(1, 1501)])
        conn.execute(
            sa.text("INSERT INTO projects VALUES (:i, :t, :a, :c)"),
            [{"i": i, "t": 1 + (i * i % 1500 + 1) % 7, "a": i * i % 1500 + 1,
              "c": f"AC-{(i * 7) % 1500 + 1:05d}" if i % 3 else None} for i in range(1, 3001)],
        )  # fmt: skip
    engine.dispose()
    data = yaml.safe_load(dumps(profile_database(f"sqlite:///{source}", progress=False)))
    data["rules"] = {"tables": {"projects": {"foreign_keys": [
        "(tenant_id, account_id) -> accounts.(tenant_id, id)", "account_code -> accounts.code",
    ]}}}  # fmt: skip
    rules = profile_from_dict(data).rules
    profile = profile_database(f"sqlite:///{source}", rules=rules, progress=False)
    composite = next(fk for fk in profile.tables["projects"].foreign_keys if len(fk.columns) == 2)
    assert composite.virtual and composite.fanout.child_rows == 3000
    generate_database(profile, f"sqlite:///{target}")
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        broken = conn.execute(sa.text(
            "SELECT count(*) FROM projects p LEFT JOIN accounts a ON a.tenant_id = p.tenant_id"
            " AND a.id = p.account_id WHERE a.id IS NULL"
        )).scalar()  # fmt: skip
        coded = conn.execute(sa.text(
            "SELECT count(p.account_code), count(a.code) FROM projects p"
            " LEFT JOIN accounts a ON a.code = p.account_code"
        )).one()  # fmt: skip
    engine.dispose()
    assert broken == 0
    assert coded[0] == coded[1] == 2000
