"""Integration: build a shop with the hard cases on each database, profile it, check the figures
against SQL computed here, independently of the profiler."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from paritygen.profile.io import dumps, loads
from paritygen.profile.model import Profile
from paritygen.profile.run import profile_database

CUSTOMERS = 2_000
ADDRESSES = 2_600
CATEGORIES = 30
PRODUCTS = 400
ORDERS = 120_000
ORDER_ITEMS = 20_000
SHIPMENTS = 4_000

FIRST = ["Quintessa", "Baltazar", "Ingeborgia", "Thaddeo", "Wilhelmina", "Oskarius", "Rosalind"]
LAST = ["Zwanziger", "Okonkwo-Reyes", "Haverbrook", "Lindqvistova", "Pemberwick", "Anselmova"]
STREETS = ["Kastanienallee", "Quellenpfad", "Birchwood Crescent", "Rue des Tanneurs"]


def _metadata() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    customer = sa.Table(
        "customer", md,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("first_name", sa.String(50)),
        sa.Column("last_name", sa.String(50)),
        sa.Column("status", sa.Enum("active", "blocked", "new", name="customer_status"),
                  nullable=False),
        sa.Column("score", sa.Numeric(8, 2)),
        sa.Column("created_at", sa.DateTime),
        sa.Column("default_address_id", sa.Integer,
                  sa.ForeignKey("address.id", use_alter=True, name="fk_customer_default_address")),
    )  # fmt: skip
    address = sa.Table(
        "address", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customer.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("street", sa.String(100)),
        sa.Column("city", sa.String(50)),
        sa.Column("zip", sa.String(10)),
    )  # fmt: skip
    category = sa.Table(
        "category", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("category.id")),
        sa.Column("label", sa.String(40), nullable=False),
    )  # fmt: skip
    product = sa.Table(
        "product", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(20), nullable=False),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id"), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("price >= 0", name="ck_product_price"),
        sa.Index("ux_product_sku", "sku", unique=True),
    )  # fmt: skip
    orders = sa.Table(
        "orders", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.BigInteger, sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("ordered_at", sa.DateTime, nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("channel", sa.String(10)),
        sa.Index("ix_orders_ordered_at", "ordered_at"),
    )  # fmt: skip
    order_item = sa.Table(
        "order_item", md,
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("line_no", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
    )  # fmt: skip
    shipment = sa.Table(
        "shipment", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("line_no", sa.SmallInteger, nullable=False),
        sa.Column("shipped", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(["order_id", "line_no"], ["order_item.order_id",
                                                          "order_item.line_no"]),
    )  # fmt: skip
    tables = {t.name: t for t in (customer, address, category, product, orders, order_item,
                                   shipment)}  # fmt: skip
    return md, tables


def build_shop(url: str) -> dict[str, list]:
    """Create and fill the shop; returns the PII values that must never reach a profile."""
    rng = np.random.default_rng(42)
    md, t = _metadata()
    engine = sa.create_engine(url)
    md.create_all(engine)
    emails = [f"shopper{i:05d}.{rng.integers(1e6)}@mailbox-example.org" for i in range(CUSTOMERS)]
    firsts = [f"{FIRST[i % len(FIRST)]}{i % 13}" for i in range(CUSTOMERS)]
    lasts = [LAST[i % len(LAST)] for i in range(CUSTOMERS)]
    streets = [f"{STREETS[i % len(STREETS)]} {i + 1}" for i in range(ADDRESSES)]
    status = rng.choice(["active", "blocked", "new"], CUSTOMERS, p=[0.8, 0.05, 0.15])
    score = np.round(rng.normal(50, 15, CUSTOMERS), 2)
    score_null = rng.random(CUSTOMERS) < 0.7  # NULL-heavy
    base = np.datetime64("2023-01-01T00:00:00")
    created = base + rng.integers(0, 365 * 86400, CUSTOMERS).astype("timedelta64[s]")
    # Zipf-skewed orders per customer; a permutation so the heavy customers are not id 1, 2, 3.
    heavy = np.minimum(rng.zipf(1.4, ORDERS), CUSTOMERS) - 1
    order_customer = rng.permutation(CUSTOMERS)[heavy] + 1
    ordered_at = base + rng.integers(0, 2 * 365 * 86400, ORDERS).astype("timedelta64[s]")
    totals = np.round(rng.lognormal(3.5, 0.8, ORDERS), 2)
    channel = rng.choice(["web", "app", "phone", None], ORDERS, p=[0.6, 0.3, 0.05, 0.05])
    with engine.begin() as conn:
        conn.execute(t["customer"].insert(), [
            {"id": i + 1, "email": emails[i], "first_name": firsts[i], "last_name": lasts[i],
             "status": str(status[i]), "score": None if score_null[i] else float(score[i]),
             "created_at": created[i].item(), "default_address_id": None}
            for i in range(CUSTOMERS)
        ])  # fmt: skip
        address_customer = rng.integers(1, CUSTOMERS + 1, ADDRESSES)
        conn.execute(t["address"].insert(), [
            {"id": i + 1, "customer_id": int(address_customer[i]), "street": streets[i],
             "city": ["Berlin", "Hamburg", "Köln"][i % 3], "zip": f"{10000 + i * 7 % 89999:05d}"}
            for i in range(ADDRESSES)
        ])  # fmt: skip
        conn.execute(sa.text(
            "UPDATE customer SET default_address_id = (SELECT min(a.id) FROM address a"
            " WHERE a.customer_id = customer.id) WHERE customer.id % 2 = 0"
        ))  # fmt: skip
        conn.execute(t["category"].insert(), [
            {"id": i + 1, "parent_id": None if i < 5 else (i % 5) + 1, "label": f"Category {i}"}
            for i in range(CATEGORIES)
        ])  # fmt: skip
        conn.execute(t["product"].insert(), [
            {"id": i + 1, "sku": f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}-{1000 + i}",
             "category_id": int(rng.integers(1, CATEGORIES + 1)),
             "price": float(np.round(rng.uniform(1, 500), 2))}
            for i in range(PRODUCTS)
        ])  # fmt: skip
        rows = [
            {"id": i + 1, "customer_id": int(order_customer[i]), "ordered_at": ordered_at[i].item(),
             "total": float(totals[i]), "channel": channel[i]}
            for i in range(ORDERS)
        ]  # fmt: skip
        for start in range(0, ORDERS, 20_000):
            conn.execute(t["orders"].insert(), rows[start : start + 20_000])
        items = []
        for i in range(ORDER_ITEMS):
            items.append({"order_id": i // 4 + 1, "line_no": i % 4 + 1,
                          "product_id": int(rng.zipf(1.5) % PRODUCTS + 1),
                          "quantity": int(rng.integers(1, 5))})  # fmt: skip
        conn.execute(t["order_item"].insert(), items)
        conn.execute(t["shipment"].insert(), [
            {"id": i + 1, "order_id": i // 2 + 1, "line_no": i % 2 + 1, "shipped": bool(i % 3)}
            for i in range(SHIPMENTS)
        ])  # fmt: skip
    engine.dispose()
    return {"emails": emails, "names": firsts + lasts, "streets": streets}


def _scalar(conn: sa.Connection, sql: str) -> float:
    return conn.execute(sa.text(sql)).scalar()


def _fk(profile: Profile, table: str, columns: tuple[str, ...]):
    return next(fk for fk in profile.tables[table].foreign_keys if fk.columns == columns)


def test_profile_on_each_database(db_url: str) -> None:
    """One shop per database (building it is the slow part), profiled in full and sampled."""
    pii = build_shop(db_url)
    full = check_full_profile(db_url, pii)
    check_sampled_profile(db_url, full)


def check_full_profile(url: str, pii: dict[str, list]) -> Profile:
    dialect = sa.make_url(url).get_backend_name()
    before = Path(sa.make_url(url).database).read_bytes() if dialect == "sqlite" else None
    profile = profile_database(url, sample_rows=1_000_000, progress=False)
    text = dumps(profile)
    assert loads(text) == profile  # round trip without loss

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        # schema
        assert set(profile.tables) == {"customer", "address", "category", "product", "orders",
                                       "order_item", "shipment"}  # fmt: skip
        assert sum(len(t.foreign_keys) for t in profile.tables.values()) == 8
        assert profile.tables["order_item"].primary_key == ("order_id", "line_no")
        ship_fk = _fk(profile, "shipment", ("order_id", "line_no"))
        assert ship_fk.ref_table == "order_item" and ship_fk.ref_columns == ("order_id", "line_no")
        assert _fk(profile, "category", ("parent_id",)).ref_table == "category"
        assert _fk(profile, "customer", ("default_address_id",)).ref_table == "address"
        assert _fk(profile, "address", ("customer_id",)).on_delete == "CASCADE"
        uniques = {u.columns for u in profile.tables["customer"].unique_constraints}
        assert ("email",) in uniques
        assert ("sku",) in {u.columns for u in profile.tables["product"].unique_constraints}
        assert ("ordered_at",) in {i.columns for i in profile.tables["orders"].indexes}
        checks = " ".join(c.sqltext for c in profile.tables["product"].checks)
        assert "price" in checks and ">=" in checks
        customer = profile.tables["customer"].columns
        assert customer["score"].logical_type == "decimal"
        assert (customer["score"].precision, customer["score"].scale) == (8, 2)
        assert customer["email"].sql_type.startswith("varchar(120)")
        if dialect != "sqlite":
            assert customer["status"].logical_type == "enum"
            assert customer["status"].enum_values == ("active", "blocked", "new")
        if dialect == "postgresql":
            assert customer["status"].enum_name == "customer_status"
        if dialect != "sqlite":
            assert profile.tables["orders"].data_bytes and profile.tables["orders"].index_bytes

        # volumes and column figures
        for name, table in profile.tables.items():
            assert table.row_count == _scalar(conn, f"SELECT count(*) FROM {name}")
            assert table.row_count_method == "exact" and table.sample_method is None
        score = customer["score"].stats
        null_score = _scalar(conn, "SELECT count(*) FROM customer WHERE score IS NULL") / CUSTOMERS
        assert score.null_fraction == pytest.approx(null_score)
        assert score.max_scale == 2 and score.max_integer_digits == 2
        orders = profile.tables["orders"].columns
        distinct = _scalar(conn, "SELECT count(DISTINCT customer_id) FROM orders")
        assert orders["customer_id"].stats.distinct_count == distinct
        channel_null = _scalar(conn, "SELECT count(*) FROM orders WHERE channel IS NULL") / ORDERS
        assert orders["channel"].stats.null_fraction == pytest.approx(channel_null)
        web = _scalar(conn, "SELECT count(*) FROM orders WHERE channel = 'web'")
        web_freq = {v.value: v.frequency for v in orders["channel"].stats.most_common}["web"]
        assert web_freq == pytest.approx(web / (ORDERS * (1 - channel_null)))
        median = _scalar(
            conn, f"SELECT total FROM orders ORDER BY total LIMIT 1 OFFSET {ORDERS // 2}"
        )
        assert orders["total"].stats.quantiles[50] == pytest.approx(float(median), rel=0.01)
        assert orders["total"].stats.min == float(_scalar(conn, "SELECT min(total) FROM orders"))
        sku_shape = profile.tables["product"].columns["sku"].stats.shape
        assert sku_shape is not None and sku_shape.pattern == "AA-9999" and sku_shape.share == 1.0
        shipped = profile.tables["shipment"].columns["shipped"].stats.true_fraction
        assert shipped == pytest.approx(
            _scalar(conn, "SELECT count(*) FROM shipment WHERE shipped") / SHIPMENTS
        )

        # fan-out, zeros included
        fan = _fk(profile, "orders", ("customer_id",)).fanout
        with_orders = _scalar(conn, "SELECT count(DISTINCT customer_id) FROM orders")
        assert fan.childless_fraction == pytest.approx(1 - with_orders / CUSTOMERS)
        assert fan.max == _scalar(conn, "SELECT max(n) FROM (SELECT count(*) AS n FROM orders"
                                        " GROUP BY customer_id) g")  # fmt: skip
        assert fan.child_rows == ORDERS and fan.parent_rows == CUSTOMERS
        assert sum(fan.position_weights) == pytest.approx(1.0, abs=1e-4)
        assert fan.top_share > 0.3  # Zipf: the top 1 % of customers hold a big share
        cycle = _fk(profile, "customer", ("default_address_id",)).fanout
        null_default = _scalar(
            conn, "SELECT count(*) FROM customer WHERE default_address_id IS NULL"
        )
        assert cycle.null_fraction == pytest.approx(null_default / CUSTOMERS)

    # tags and the PII guarantee
    assert customer["email"].semantic == "email" and customer["email"].pii
    assert customer["first_name"].pii and customer["last_name"].pii
    assert profile.tables["address"].columns["street"].pii
    for value in pii["emails"] + pii["names"] + pii["streets"]:
        assert value not in text, f"PII value {value!r} leaked into the profile"
    assert "mailbox-example" not in text
    assert url not in text and "://" not in text  # never the URL
    if before is not None:  # read-only: the SQLite file is byte for byte unchanged
        assert hashlib.sha256(Path(sa.make_url(url).database).read_bytes()).digest() == (
            hashlib.sha256(before).digest()
        )
    engine.dispose()
    return profile


def check_sampled_profile(url: str, full: Profile) -> None:
    notes: list[str] = []
    profile = profile_database(url, tables=["orders", "customer"], sample_rows=20_000,
                               progress=False, notes=notes)  # fmt: skip
    orders = profile.tables["orders"]
    assert orders.row_count == ORDERS and orders.row_count_method == "exact"
    assert orders.sample_method is not None
    assert 0.6 * 20_000 <= orders.sampled_rows <= 1.4 * 20_000
    ident = orders.columns["id"].stats
    assert ident.method == "sample" and ident.sampled_rows == orders.sampled_rows
    assert ident.distinct_count == pytest.approx(ORDERS, rel=0.10)  # Duj1 on a unique column
    assert ident.min == 1 and ident.max == ORDERS  # exact through the primary key
    total = orders.columns["total"].stats
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        median = _scalar(
            conn, f"SELECT total FROM orders ORDER BY total LIMIT 1 OFFSET {ORDERS // 2}"
        )
    engine.dispose()
    assert total.quantiles[50] == pytest.approx(float(median), rel=0.05)
    channel = {v.value: v.frequency for v in orders.columns["channel"].stats.most_common}
    assert channel["web"] == pytest.approx(0.6 / 0.95, abs=0.03)
    # fan-out stays exact (SQL over the whole child table) even when columns are sampled
    fan = _fk(profile, "orders", ("customer_id",)).fanout
    assert fan.method == "exact" and fan.child_rows == ORDERS
    # SQL GROUP BY (sampled child) and in-memory grouping (fully read child) agree exactly
    assert fan == _fk(full, "orders", ("customer_id",)).fanout
    # the FK to the unprofiled side of the cycle is left out, so the profile stays valid
    assert loads(dumps(profile)) == profile
    assert not profile.tables["customer"].foreign_keys
    assert any("address" in note for note in notes)
    assert math.isclose(sum(fan.position_weights), 1.0, abs_tol=1e-4)


def test_chinook(chinook_sqlite: Path) -> None:
    profile = profile_database(f"sqlite:///{chinook_sqlite}", progress=False)
    assert len(profile.tables) == 11
    assert sum(len(t.foreign_keys) for t in profile.tables.values()) == 11
    engine = sa.create_engine(f"sqlite:///{chinook_sqlite}")
    with engine.connect() as conn:
        for name, table in profile.tables.items():
            assert table.row_count == _scalar(conn, f'SELECT count(*) FROM "{name}"')
        emails = [r[0] for r in conn.execute(sa.text("SELECT Email FROM Customer"))]
    engine.dispose()
    text = dumps(profile)
    assert emails and not any(e in text for e in emails)
    track_fk = _fk(profile, "InvoiceLine", ("TrackId",)).fanout
    assert track_fk.parent_rows == 3503 and track_fk.child_rows == 2240
