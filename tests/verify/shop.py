"""A small shop (about 20k rows) with every constraint kind verify checks, and a faithful copier.

Built with SQLAlchemy Core so the same schema and data land in SQLite, PostgreSQL and MariaDB.
The copy reads rows from one database and writes them to another (INSERT ... SELECT cannot cross
servers), in FK order.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa

from paritygen.db import make_engine

CUSTOMERS, PRODUCTS, ORDERS, AUDIT = 3000, 500, 12_000, 4000
TABLE_ORDER = ("customers", "products", "orders", "audit_log")


def shop_metadata() -> sa.MetaData:
    md = sa.MetaData()
    customers = sa.Table(
        "customers",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(120), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("segment", sa.String(10)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("birth_date", sa.Date),
    )
    sa.Index("ux_customers_email", customers.c.email, unique=True)
    products = sa.Table(
        "products",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku", sa.String(20), nullable=False),
        sa.Column("category", sa.String(20)),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("price >= 0", name="ck_products_price"),
    )
    sa.Index("ux_products_sku", products.c.sku, unique=True)
    sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("ordered_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity"),
    )
    sa.Table(
        "audit_log",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("happened_at", sa.DateTime, nullable=False),
        sa.Column("payload", sa.Text),
    )
    return md


def _rows(seed: int = 7) -> dict[str, list[dict]]:
    rng = np.random.default_rng(seed)
    base = dt.datetime(2023, 1, 1)
    countries = np.array(["DE", "FR", "US", "GB", "NL", "PL", "ES", "IT"])
    country_p = np.array([0.3, 0.15, 0.2, 0.1, 0.08, 0.07, 0.05, 0.05])
    segments = np.array(["retail", "business", "vip"])
    customers = [
        {
            "id": 10_000 + i,
            "email": f"user{i}.{int(rng.integers(0, 10**6))}@example.com",
            "country": str(rng.choice(countries, p=country_p)),
            "segment": None
            if rng.random() < 0.1
            else str(rng.choice(segments, p=[0.7, 0.25, 0.05])),
            "created_at": base + dt.timedelta(seconds=int(rng.integers(0, 86400 * 600))),
            "birth_date": None
            if rng.random() < 0.2
            else dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 50))),
        }
        for i in range(CUSTOMERS)
    ]
    categories = np.array(["books", "garden", "toys", "kitchen", "sports", "music"])
    products = [
        {
            "id": i + 1,
            "sku": f"SKU-{i:05d}",
            "category": str(rng.choice(categories)),
            "price": round(float(rng.lognormal(3.0, 0.8)), 2),
        }
        for i in range(PRODUCTS)
    ]
    # Skewed fan-out: a few heavy customers, many with none (Zipf-like weights).
    weights = 1.0 / np.arange(1, CUSTOMERS + 1) ** 0.9
    weights /= weights.sum()
    cust_ids = 10_000 + rng.choice(CUSTOMERS, size=ORDERS, p=weights)
    statuses = np.array(["paid", "shipped", "delivered", "cancelled", "refunded"])
    orders = [
        {
            "id": 500_000 + i,
            "customer_id": int(cust_ids[i]),
            "product_id": int(rng.integers(1, PRODUCTS + 1)),
            "quantity": int(rng.integers(1, 6)),
            "amount": round(float(rng.gamma(2.0, 40.0)), 2),
            "status": str(rng.choice(statuses, p=[0.2, 0.2, 0.5, 0.07, 0.03])),
            "note": None if rng.random() < 0.7 else "x" * int(rng.integers(5, 80)),
            "ordered_at": base + dt.timedelta(seconds=int(rng.integers(0, 86400 * 700))),
        }
        for i in range(ORDERS)
    ]
    actions = np.array(["login", "logout", "update", "delete", "export"])
    audit = [
        {
            "id": i + 1,
            "action": str(rng.choice(actions)),
            "happened_at": base + dt.timedelta(seconds=int(rng.integers(0, 86400 * 700))),
            "payload": "{" + "a" * int(rng.integers(0, 40)) + "}",
        }
        for i in range(AUDIT)
    ]
    return {"customers": customers, "products": products, "orders": orders, "audit_log": audit}


def build_source(url: str) -> None:
    """Create the shop schema and fill it (fixed seed)."""
    engine = make_engine(url)
    md = shop_metadata()
    md.create_all(engine)
    data = _rows()
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            conn.execute(md.tables[name].insert(), data[name])
    engine.dispose()


def copy_database(source: str, target: str) -> None:
    """A faithful staging: the same schema, every row copied (read here, written there)."""
    src, dst = make_engine(source), make_engine(target)
    md = shop_metadata()
    md.create_all(dst)
    with src.connect() as read, dst.begin() as write:
        for name in TABLE_ORDER:
            table = md.tables[name]
            rows = [dict(r._mapping) for r in read.execute(sa.select(table).order_by(table.c.id))]
            write.execute(table.insert(), rows)
    src.dispose()
    dst.dispose()


def damage(url: str) -> None:
    """Five damages, each in its own table/column so each miss must name exactly that place."""
    engine = make_engine(url)
    dialect = engine.dialect.name
    md = shop_metadata()
    # 1. rows deleted
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id <= 40"))
    # 2. a column's values shifted
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET amount = amount + 1000"))
    # 3. an orphan inserted with FK checks off (and one order deleted to keep the count exact)
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(sa.text("SET session_replication_role = replica"))
        elif dialect == "mysql":
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        conn.execute(sa.text(f"DELETE FROM orders WHERE id = {500_000 + ORDERS - 1}"))
        conn.execute(
            sa.text(
                "INSERT INTO orders (id, customer_id, product_id, quantity, amount, status,"
                " note, ordered_at) SELECT 900000, 999999, product_id, quantity, amount, status,"
                " note, ordered_at FROM orders WHERE id = 500000"
            )
        )
    # 4. NULLs injected into a nullable column
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE products SET category = NULL WHERE id % 5 = 0"))
    # 5. a unique value duplicated (after dropping the unique index)
    index = next(i for i in md.tables["customers"].indexes if i.name == "ux_customers_email")
    index.drop(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE customers SET email = :email WHERE id = 10001"),
            {
                "email": conn.execute(
                    sa.text("SELECT email FROM customers WHERE id = 10000")
                ).scalar()
            },
        )
    engine.dispose()


def refresh_sizes(url: str) -> None:
    """InnoDB updates the sizes in information_schema asynchronously; a freshly loaded table
    reads as 16 kB until ANALYZE TABLE (production's sizes are long settled)."""
    engine = make_engine(url)
    if engine.dialect.name == "mysql":
        with engine.connect() as conn:
            for name in shop_metadata().tables:
                conn.execute(sa.text(f"ANALYZE TABLE {name}")).all()
    engine.dispose()
