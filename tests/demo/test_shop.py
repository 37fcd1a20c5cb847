"""The demo shop on every database: counts, keys, constraints and skew, checked with SQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from datasets import build_shop_db

from paritygen.demo.shop import SHOP_TABLES, _generate, build_shop, shop_metadata
from paritygen.errors import ConfigError

SCALE = 0.05  # 500 customers, 1,000 orders, ~9k rows in all


def _scalar(conn: sa.Connection, sql: str) -> float:
    return conn.execute(sa.text(sql)).scalar_one()


def _orphans(conn: sa.Connection, fk: sa.ForeignKeyConstraint) -> int:
    child = fk.parent.name
    parent = fk.referred_table.name
    pairs = list(zip(fk.column_keys, [e.column.name for e in fk.elements], strict=True))
    on = " AND ".join(f"c.{a} = p.{b}" for a, b in pairs)
    not_null = " AND ".join(f"c.{a} IS NOT NULL" for a, _ in pairs)
    return _scalar(
        conn,
        f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON {on} "
        f"WHERE {not_null} AND p.{pairs[0][1]} IS NULL",
    )


def test_build_shop_shape_holds_on_every_database(db_url: str) -> None:
    counts = build_shop_db(db_url, scale=SCALE)
    assert list(counts) == list(SHOP_TABLES)
    assert counts["customer"] == 500 and counts["sales_order"] == 1000
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            for name, rows in counts.items():
                assert _scalar(conn, f"SELECT count(*) FROM {name}") == rows, name
            assert 7_000 < sum(counts.values()) < 12_000

            # Every FK, composite and self-referencing ones included, points at a real row.
            fks = [fk for t in shop_metadata().sorted_tables for fk in t.foreign_key_constraints]
            assert len(fks) >= 14
            assert {fk.parent.name: _orphans(conn, fk) for fk in fks} == {
                fk.parent.name: 0 for fk in fks
            }

            # Unique e-mails; CHECKs hold (also the cross-table shipped >= ordered).
            assert _scalar(conn, "SELECT count(DISTINCT email) FROM customer") == 500
            assert _scalar(conn, "SELECT count(*) FROM sales_order_item WHERE price < 0") == 0
            assert _scalar(conn, "SELECT count(*) FROM sales_order_item WHERE quantity <= 0") == 0
            assert (
                _scalar(conn, "SELECT count(*) FROM price_product WHERE gross_price < net_price")
                == 0
            )
            assert (
                _scalar(conn, "SELECT count(*) FROM sales_shipment WHERE delivered_at < shipped_at")
                == 0
            )
            assert (
                _scalar(
                    conn,
                    "SELECT count(*) FROM sales_shipment s JOIN sales_order o "
                    "ON o.id_sales_order = s.fk_sales_order WHERE s.shipped_at < o.created_at",
                )
                == 0
            )

            # The cycle is closed: every customer with an address has its own first address.
            with_address = _scalar(conn, "SELECT count(DISTINCT fk_customer) FROM customer_address")
            assert 0.85 * 500 < with_address < 500
            assert _scalar(conn, "SELECT count(default_billing_address_id) FROM customer") == (
                with_address
            )
            assert (
                _scalar(
                    conn,
                    "SELECT count(*) FROM customer c JOIN customer_address a "
                    "ON a.id_customer_address = c.default_billing_address_id "
                    "WHERE a.fk_customer <> c.id_customer",
                )
                == 0
            )

            # Zipf-like orders per customer: the top 1 % hold > 10 %; about 30 % never ordered.
            per_customer = [
                row[0]
                for row in conn.execute(
                    sa.text("SELECT count(*) FROM sales_order GROUP BY fk_customer ORDER BY 1 DESC")
                )
            ]
            assert sum(per_customer[:5]) > 0.10 * 1000
            childless = 1 - len(per_customer) / 500
            assert 0.27 <= childless <= 0.33
            top_products = [
                row[0]
                for row in conn.execute(
                    sa.text(
                        "SELECT count(*) FROM sales_order_item GROUP BY fk_product ORDER BY 1 DESC"
                    )
                )
            ]
            assert top_products[0] > 10 * (sum(top_products) / len(top_products))

            # 30 % of shipments belong to no order; 85 % of order notes are NULL.
            ship_null = _scalar(
                conn,
                "SELECT avg(CASE WHEN fk_sales_order IS NULL THEN 1.0 ELSE 0.0 END) "
                "FROM sales_shipment",
            )
            assert 0.27 <= float(ship_null) <= 0.33
            note_null = _scalar(
                conn, "SELECT avg(CASE WHEN note IS NULL THEN 1.0 ELSE 0.0 END) FROM sales_order"
            )
            assert 0.8 <= float(note_null) <= 0.9

            # Keys keep production's range: the order sequence starts at 10000 and has gaps.
            low, high = conn.execute(
                sa.text("SELECT min(id_sales_order), max(id_sales_order) FROM sales_order")
            ).one()
            assert low == 10_000 and high - low + 1 > 1000

            # Seasonality: December is busier per day than the average month.
            order = shop_metadata().tables["sales_order"]
            months = dict(
                conn.execute(
                    sa.select(sa.extract("month", order.c.created_at), sa.func.count()).group_by(
                        sa.extract("month", order.c.created_at)
                    )
                ).all()
            )
            assert months[12] > 1.3 * (1000 / 12)

            skus = [r[0] for r in conn.execute(sa.text("SELECT sku FROM product_abstract"))]
            assert all(re.fullmatch(r"[A-Z]{2}-\d{5}", sku) for sku in skus)
    finally:
        engine.dispose()


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = _generate(0.02, 3), _generate(0.02, 3), _generate(0.02, 4)
    for name in SHOP_TABLES:
        assert first[name].equals(again[name]), name
    assert not first["sales_order"].equals(other["sales_order"])


def test_refuses_a_database_that_already_has_the_shop(sqlite_url: str) -> None:
    build_shop(sqlite_url, scale=0.01)
    with pytest.raises(ConfigError, match="already has table"):
        build_shop(sqlite_url, scale=0.01)


def test_rejects_a_non_positive_scale(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="scale"):
        build_shop(sqlite_url, scale=0)
