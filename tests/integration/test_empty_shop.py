"""Structure without statistics: a shop profiled empty, volumes pinned in rules:, generates
with every key and FK in place, forests with roots, owner-consistent FKs, and the nullable side
of a cycle mostly NULL, on PostgreSQL and MariaDB (and from one to the other)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from paritygen.profile.model import Rules, TableRule
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

VOLUMES = {
    "store": 3, "customer": 2000, "address": 3000, "category": 200, "product": 1000,
    "currency": 20, "payment_method": 3, "price": 10, "orders": 5000, "reclamation": 100,
    "order_item": 12000, "employee": 300,
}  # fmt: skip


def shop_schema() -> sa.MetaData:
    md = sa.MetaData()
    pk = {"primary_key": True, "autoincrement": False}
    sa.Table("store", md, sa.Column("id", sa.Integer, **pk), sa.Column("name", sa.String(40)))
    sa.Table(
        "customer", md, sa.Column("id", sa.Integer, **pk), sa.Column("name", sa.String(80)),
        sa.Column("default_address_id", sa.Integer,
                  sa.ForeignKey("address.id", use_alter=True, name="fk_default_address")),
    )  # fmt: skip
    sa.Table("address", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
             sa.Column("city", sa.String(60)))  # fmt: skip
    sa.Table("category", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("parent_id", sa.Integer, sa.ForeignKey("category.id")),
             sa.Column("name", sa.String(60)))  # fmt: skip
    sa.Table("product", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id"), nullable=False),
             sa.Column("sku", sa.String(20), unique=True, nullable=False))  # fmt: skip
    sa.Table("currency", md, sa.Column("id", sa.Integer, **pk), sa.Column("code", sa.String(3)))
    sa.Table("payment_method", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("name", sa.String(30)))  # fmt: skip
    sa.Table(
        "price", md, sa.Column("id", sa.Integer, **pk),
        sa.Column("method_id", sa.Integer, sa.ForeignKey("payment_method.id"), nullable=False),
        sa.Column("store_id", sa.Integer, sa.ForeignKey("store.id"), nullable=False),
        sa.Column("currency_id", sa.Integer, sa.ForeignKey("currency.id"), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.UniqueConstraint("method_id", "store_id", "currency_id"),
    )  # fmt: skip
    sa.Table(
        "orders", md, sa.Column("id", sa.Integer, **pk),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("reclamation_id", sa.Integer,
                  sa.ForeignKey("reclamation.id", use_alter=True, name="fk_reclamation")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table("reclamation", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
             sa.Column("reason", sa.String(200)))  # fmt: skip
    sa.Table(
        "order_item", md,
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id"), nullable=False),
    )  # fmt: skip
    sa.Table("employee", md, sa.Column("id", sa.Integer, **pk),
             sa.Column("manager_id", sa.Integer, sa.ForeignKey("employee.id")))  # fmt: skip
    return md


FKS = [
    ("customer", "default_address_id", "address"), ("address", "customer_id", "customer"),
    ("category", "parent_id", "category"), ("product", "category_id", "category"),
    ("price", "method_id", "payment_method"), ("price", "store_id", "store"),
    ("price", "currency_id", "currency"), ("orders", "customer_id", "customer"),
    ("orders", "reclamation_id", "reclamation"), ("reclamation", "order_id", "orders"),
    ("order_item", "order_id", "orders"), ("order_item", "product_id", "product"),
    ("employee", "manager_id", "employee"),
]  # fmt: skip


def _empty_profile(url: str):
    engine = sa.create_engine(url)
    shop_schema().create_all(engine)
    engine.dispose()
    profile = profile_database(url, progress=False)
    pins = Rules(tables={name: TableRule(row_count=rows) for name, rows in VOLUMES.items()})
    return dataclasses.replace(profile, rules=pins)


def _depth(conn: sa.Connection, table: str, parent: str) -> tuple[int, int, int]:
    """(roots, rows pointing at themselves, deepest level) of a self-referencing table."""
    rows = dict(conn.execute(sa.text(f"SELECT id, {parent} FROM {table}")).all())
    deepest = 0
    for start in rows:
        level, node, seen = 0, start, set()
        while rows.get(node) is not None and node not in seen:
            seen.add(node)
            node, level = rows[node], level + 1
        deepest = max(deepest, level)
    roots = sum(1 for v in rows.values() if v is None)
    return roots, sum(1 for k, v in rows.items() if k == v), deepest


def _check(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for table, rows in VOLUMES.items():
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == rows, table
        for child, column, parent in FKS:
            orphans = conn.execute(sa.text(
                f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column}"
                f" WHERE c.{column} IS NOT NULL AND p.id IS NULL"
            )).scalar()  # fmt: skip
            assert orphans == 0, (child, column)
        for table, column in (("employee", "manager_id"), ("category", "parent_id")):
            roots, own, deepest = _depth(conn, table, column)
            assert roots >= 1 and own == 0 and 2 <= deepest <= 12, (table, roots, own, deepest)
        foreign = conn.execute(sa.text(
            "SELECT count(*) FROM customer c JOIN address a ON a.id = c.default_address_id"
            " WHERE a.customer_id <> c.id"
        )).scalar()  # fmt: skip
        assert foreign == 0  # a customer's default address is one of its own
        with_address = conn.execute(sa.text(
            "SELECT count(*) FROM customer WHERE default_address_id IS NOT NULL")).scalar()
        assert with_address > VOLUMES["customer"] / 2
        claimed = conn.execute(sa.text(
            "SELECT count(*) FROM orders WHERE reclamation_id IS NOT NULL")).scalar()
        assert claimed <= VOLUMES["reclamation"]  # mostly NULL: only orders with a claim
        busiest = conn.execute(sa.text(
            "SELECT max(n) FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY 1) t"
        )).scalar()  # fmt: skip
        assert busiest >= 3 * VOLUMES["orders"] / VOLUMES["customer"]  # a skewed default
    engine.dispose()


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_empty_shop_generates_with_structure(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    generate_database(_empty_profile(source), target, seed=2, progress=False)
    _check(target)


def test_empty_shop_cross_dialect(pg_url: str, mysql_url: str) -> None:
    generate_database(_empty_profile(pg_url), mysql_url, seed=2, progress=False)
    _check(mysql_url)
