"""Profile a real source with the hard cases, generate into a fresh target, check with SQL.

Hard cases: a customer <-> address cycle through nullable FKs, a nullable self-reference, unique
e-mails, a composite PK made of an FK and a line number, CHECK constraints, an enum, a skewed
(Zipf) fan-out, a 30 %-NULL FK, integer keys starting at 10000 with gaps. Everything asserted
below is measured with independent SQL on the target.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import sqlalchemy as sa

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

CUSTOMERS, ADDRESSES, PRODUCTS, COUPONS, ORDERS, ITEMS = 2000, 2400, 300, 40, 9000, 50_000


def _engine(url: str) -> sa.Engine:
    args = {"local_infile": True} if "pymysql" in url else {}
    return sa.create_engine(url, connect_args=args)


def build_source(url: str) -> None:
    """The production-shaped source schema and its rows (fixed seed)."""
    md = sa.MetaData()
    sa.Table(
        "coupon",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
    )
    sa.Table(
        "customer",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column(
            "status", sa.Enum("new", "active", "closed", name="customer_status"), nullable=False
        ),
        sa.Column(
            "address_id",
            sa.Integer,
            sa.ForeignKey("address.id", use_alter=True, name="fk_customer_address"),
        ),
        sa.Column("referrer_id", sa.Integer, sa.ForeignKey("customer.id")),
        sa.Column("credit", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("credit >= 0", name="ck_credit"),
    )
    sa.Table(
        "address",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id")),
        sa.Column("city", sa.String(40), nullable=False),
    )
    sa.Table(
        "product",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("price > 0", name="ck_price"),
    )
    sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("coupon_id", sa.Integer, sa.ForeignKey("coupon.id")),
        sa.Column("ordered", sa.Date, nullable=False),
        sa.Column("shipped", sa.Date, nullable=False),
        sa.CheckConstraint("shipped >= ordered", name="ck_shipped"),
    )
    sa.Table("order_item", md,
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
             sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id"), nullable=False),
             sa.Column("quantity", sa.Integer, nullable=False),
             sa.CheckConstraint("quantity BETWEEN 1 AND 10", name="ck_quantity"))  # fmt: skip
    rng = np.random.default_rng(2024)
    cust_ids = 10_000 + np.sort(rng.choice(5 * CUSTOMERS, CUSTOMERS, replace=False))
    addr_ids = np.arange(1, ADDRESSES + 1)
    order_ids = 500_000 + np.arange(ORDERS) * 3
    zipf = rng.zipf(1.6, ORDERS)
    order_cust = cust_ids[np.minimum(zipf - 1, CUSTOMERS - 1)]
    coupon = np.where(rng.random(ORDERS) < 0.3, None, rng.integers(1, COUPONS + 1, ORDERS))
    ordered = np.datetime64("2023-01-01") + rng.integers(0, 700, ORDERS)
    lines_per_order = rng.multinomial(ITEMS - ORDERS, np.ones(ORDERS) / ORDERS) + 1
    item_order = np.repeat(order_ids, lines_per_order)
    line_no = np.concatenate([np.arange(1, n + 1) for n in lines_per_order])
    engine = _engine(url)
    md.create_all(engine)
    with engine.begin() as conn:
        t = md.tables
        conn.execute(
            t["coupon"].insert(), [{"id": i, "code": f"SAVE{i:04d}"} for i in range(1, COUPONS + 1)]
        )
        conn.execute(
            t["customer"].insert(),
            [
                {
                    "id": int(c),
                    "email": f"user{k}@example.org",
                    "status": ["new", "active", "closed"][k % 3],
                    "address_id": None,
                    "referrer_id": None,
                    "credit": round(float(rng.gamma(2, 50)), 2),
                }
                for k, c in enumerate(cust_ids)
            ],
        )
        conn.execute(
            t["address"].insert(),
            [
                {
                    "id": int(a),
                    "customer_id": int(cust_ids[k % CUSTOMERS]) if k % 5 else None,
                    "city": ["Berlin", "Paris", "Rome", "Oslo"][k % 4],
                }
                for k, a in enumerate(addr_ids)
            ],
        )
        conn.execute(
            t["customer"]
            .update()
            .where(t["customer"].c.id == sa.bindparam("cid"))
            .values(address_id=sa.bindparam("aid"), referrer_id=sa.bindparam("rid")),
            [
                {
                    "cid": int(c),
                    "aid": int(addr_ids[k]) if k % 4 else None,
                    "rid": int(cust_ids[k // 3]) if k % 2 and k // 3 < k else None,
                }
                for k, c in enumerate(cust_ids)
            ],
        )
        conn.execute(
            t["product"].insert(),
            [
                {"id": i, "price": round(float(p), 2)}
                for i, p in enumerate(rng.lognormal(3, 1, PRODUCTS) + 0.5, 1)
            ],
        )
        conn.execute(
            t["orders"].insert(),
            [
                {
                    "id": int(o),
                    "customer_id": int(c),
                    "coupon_id": None if cp is None else int(cp),
                    "ordered": d.item(),
                    "shipped": (d + int(s)).item(),
                }
                for o, c, cp, d, s in zip(
                    order_ids, order_cust, coupon, ordered, rng.integers(0, 9, ORDERS), strict=True
                )
            ],
        )
        conn.execute(t["order_item"].insert(), [
            {"order_id": int(o), "line_no": int(n), "product_id": int(p), "quantity": int(q)}
            for o, n, p, q in zip(item_order, line_no, rng.zipf(1.4, ITEMS) % PRODUCTS + 1,
                                  rng.integers(1, 11, ITEMS), strict=True)])  # fmt: skip
    engine.dispose()


FKS = [  # child, column, parent
    ("customer", "address_id", "address"),
    ("customer", "referrer_id", "customer"),
    ("address", "customer_id", "customer"),
    ("orders", "customer_id", "customer"),
    ("orders", "coupon_id", "coupon"),
    ("order_item", "order_id", "orders"),
    ("order_item", "product_id", "product"),
]
NOT_NULL = {"customer": ["id", "email", "status", "credit"], "orders": ["customer_id", "ordered",
            "shipped"], "order_item": ["product_id", "quantity"], "address": ["city"]}  # fmt: skip


def scalar(conn: sa.Connection, sql: str) -> float:
    return conn.execute(sa.text(sql)).scalar_one()


def fanout(conn: sa.Connection, child: str, column: str, parent: str) -> np.ndarray:
    rows = conn.execute(sa.text(
        f"SELECT p.id, COUNT(c.{column}) FROM {parent} p LEFT JOIN {child} c"
        f" ON c.{column} = p.id GROUP BY p.id")).all()  # fmt: skip
    return np.array([r[1] for r in rows])


def ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def checksum(url: str) -> str:
    digest = hashlib.sha256()
    engine = _engine(url)
    with engine.connect() as conn:
        for table, order in [
            ("customer", "id"),
            ("address", "id"),
            ("orders", "id"),
            ("order_item", "order_id, line_no"),
            ("coupon", "id"),
        ]:
            for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}")):
                digest.update(repr(tuple(str(v) for v in row)).encode())
    engine.dispose()
    return digest.hexdigest()


def assert_parity(
    source: str, target: str, scale: float = 1.0, lookups: frozenset[str] = frozenset()
) -> None:
    """*lookups*: reference tables (kept verbatim), which keep their rows at every scale."""
    src, dst = _engine(source), _engine(target)
    with src.connect() as s, dst.connect() as d:
        for table in ["coupon", "customer", "address", "product", "orders", "order_item"]:
            # coupon is also a detected lookup (40 codes under 2,000 orders, no measure column)
            factor = 1.0 if table in lookups or table == "coupon" else scale
            want = round(scalar(s, f"SELECT COUNT(*) FROM {table}") * factor)
            assert scalar(d, f"SELECT COUNT(*) FROM {table}") == want, table
        for child, column, parent in FKS:
            orphans = scalar(
                d,
                f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p"
                f" ON c.{column} = p.id WHERE c.{column} IS NOT NULL AND p.id IS NULL",
            )
            assert orphans == 0, (child, column)
            if scale != 1.0:
                continue
            got, want = fanout(d, child, column, parent), fanout(s, child, column, parent)
            assert abs((got == 0).mean() - (want == 0).mean()) <= 0.02, (child, column)
            assert ks(got, want) <= 0.05, (child, column)
            nulls = f"SELECT AVG(CASE WHEN {column} IS NULL THEN 1.0 ELSE 0 END) FROM {child}"
            assert abs(float(scalar(d, nulls)) - float(scalar(s, nulls))) <= 0.01, (child, column)
        for table, columns in NOT_NULL.items():
            for column in columns:
                assert scalar(d, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NULL") == 0
        assert scalar(d, "SELECT COUNT(*) - COUNT(DISTINCT email) FROM customer") == 0
        assert (
            scalar(
                d,
                "SELECT COUNT(*) FROM (SELECT order_id, line_no FROM order_item"
                " GROUP BY order_id, line_no HAVING COUNT(*) > 1) x",
            )
            == 0
        )
        assert scalar(d, "SELECT COUNT(*) FROM orders WHERE shipped < ordered") == 0
        assert scalar(d, "SELECT COUNT(*) FROM order_item WHERE quantity NOT BETWEEN 1 AND 10") == 0
        assert scalar(d, "SELECT COUNT(*) FROM product WHERE price <= 0") == 0
        assert scalar(d, "SELECT COUNT(*) FROM customer WHERE status NOT IN"
                         " ('new', 'active', 'closed')") == 0  # fmt: skip
        # keys keep production's range: customer ids start at 10000
        assert scalar(d, "SELECT MIN(id) FROM customer") >= 10_000
        if scale == 1.0:
            assert scalar(d, "SELECT MIN(id) FROM orders") == 500_000
            credit_src = np.array(
                [float(r[0]) for r in s.execute(sa.text("SELECT credit FROM customer"))]
            )
            credit_dst = np.array(
                [float(r[0]) for r in d.execute(sa.text("SELECT credit FROM customer"))]
            )
            assert ks(credit_src, credit_dst) <= 0.05
    src.dispose()
    dst.dispose()


def test_generate_roundtrip(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    build_source(source)
    profile = profile_database(source, progress=False)
    summary = generate_database(profile, target, seed=11, progress=False, chunk_rows=65_536)
    assert summary.tables["order_item"].rows == ITEMS
    assert_parity(source, target)
    first = checksum(target)
    # same seed, another chunk size -> the same database
    generate_database(profile, target, seed=11, if_exists="truncate", progress=False,
                      chunk_rows=4 * 65_536)  # fmt: skip
    assert checksum(target) == first
    generate_database(profile, target, seed=12, if_exists="truncate", scale=2.0, progress=False)
    lookups = frozenset(n for n, t in profile.tables.items() if t.reference_rows is not None)
    assert lookups == {"coupon", "product"}  # no person in them: kept verbatim
    assert_parity(source, target, scale=2.0, lookups=lookups)


def test_refuses_non_empty_target_and_names_the_flag(db_url_pair: tuple[str, str]) -> None:
    from paritygen.errors import UnsafeTarget

    source, target = db_url_pair
    build_source(source)
    profile = profile_database(source, progress=False)
    with pytest.raises(UnsafeTarget, match="is the profiled source"):
        generate_database(profile, source, if_exists="truncate", progress=False)
    generate_database(profile, target, scale=0.05, progress=False)
    with pytest.raises(UnsafeTarget, match="--if-exists truncate"):
        generate_database(profile, target, scale=0.05, progress=False)


@pytest.mark.parametrize("direction", ["mysql->postgresql", "postgresql->mysql"])
def test_generate_cross_dialect(direction: str, pg_url: str, mysql_url: str) -> None:
    source, target = (mysql_url, pg_url) if direction.startswith("mysql") else (pg_url, mysql_url)
    build_source(source)
    profile = profile_database(source, progress=False)
    generate_database(profile, target, seed=5, progress=False)
    assert_parity(source, target)


def test_generate_command(sqlite_url: str, tmp_path) -> None:
    from click.testing import CliRunner

    from paritygen.cli import cli
    from paritygen.profile.io import write_profile

    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(source)
    path = write_profile(profile_database(source, progress=False), tmp_path / "shop.yaml")
    runner = CliRunner()
    args = ["generate", str(path), "--target", sqlite_url, "--scale", "0.5", "--seed", "3"]
    result = runner.invoke(cli, [*args, "--progress", "--chunk-rows", "70000"])
    assert result.exit_code == 0, result.output
    assert "order_item" in result.output and "total" in result.output
    with _engine(sqlite_url).connect() as conn:
        assert scalar(conn, "SELECT COUNT(*) FROM order_item") == ITEMS // 2
    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "--if-exists truncate" in again.output


def test_failure_mid_load_names_complete_and_partial_tables(sqlite_url: str, tmp_path) -> None:
    from paritygen.errors import LoadError

    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(source)
    profile = profile_database(source, progress=False)
    generate_database(profile, sqlite_url, seed=1, progress=False)
    engine = _engine(sqlite_url)
    with engine.begin() as conn:  # a real failure inside the server, after some chunks
        conn.execute(sa.text(
            "CREATE TRIGGER boom BEFORE INSERT ON order_item WHEN NEW.quantity = 7 AND"
            " (SELECT COUNT(*) FROM order_item) > 20000 BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ))  # fmt: skip
    with pytest.raises(LoadError) as failure:
        generate_database(profile, sqlite_url, seed=1, if_exists="truncate", progress=False,
                          chunk_rows=65_536)  # fmt: skip
    message = str(failure.value)
    assert "order_item" in message and "boom" in message and "--if-exists truncate" in message
    assert "table(s) complete" in message and "customer," not in message  # counts, no lists
    detail = failure.value.detail  # the lists: state table and --debug
    assert "partial: order_item" in detail and "orders" in detail.split("partial")[0]
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT status, detail FROM _paritygen_run"
                                     " WHERE item = '*run*'")).one()  # fmt: skip
    assert state[0] == "failed" and "partial: order_item" in state[1]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER boom"))
    generate_database(profile, sqlite_url, seed=1, if_exists="truncate", progress=False)
    with engine.connect() as conn:
        assert scalar(conn, "SELECT COUNT(*) FROM order_item") == ITEMS
    engine.dispose()


def test_append_adds_rows_without_key_collisions(db_url_pair: tuple[str, str]) -> None:
    """--if-exists append with the same seed (the worst case: the same keys would come again):
    new keys start past the existing maximum, line numbers stay distinct under old orders."""
    source, target = db_url_pair
    build_source(source)
    profile = profile_database(source, progress=False)
    generate_database(profile, target, seed=11, scale=0.2, progress=False)
    engine = _engine(target)
    with engine.connect() as conn:
        before = {t: scalar(conn, f"SELECT COUNT(*) FROM {t}") for t in ("product", "orders",
                                                                      "order_item")}  # fmt: skip
        top_order = scalar(conn, "SELECT MAX(id) FROM orders")
        top_product = scalar(conn, "SELECT MAX(id) FROM product")
    # the load itself would fail on a duplicate PK; the queries below say why it did not
    generate_database(profile, target, seed=11, scale=0.2, tables=["product", "orders",
                      "order_item"], if_exists="append", progress=False)  # fmt: skip
    with engine.connect() as conn:
        for table, rows in before.items():
            assert scalar(conn, f"SELECT COUNT(*) FROM {table}") == 2 * rows
        assert scalar(conn, "SELECT COUNT(DISTINCT id) FROM orders") == 2 * before["orders"]
        assert scalar(conn, "SELECT COUNT(*) FROM orders WHERE id > :top".replace(
            ":top", str(top_order))) == before["orders"]  # fmt: skip
        assert scalar(conn, f"SELECT COUNT(*) FROM product WHERE id > {top_product}") == before[
            "product"]  # fmt: skip
        assert scalar(conn, "SELECT COUNT(*) FROM (SELECT order_id, line_no FROM order_item"
                      " GROUP BY order_id, line_no HAVING COUNT(*) > 1) d") == 0  # fmt: skip
        for child, column, parent in [("order_item", "order_id", "orders"),
                                      ("order_item", "product_id", "product"),
                                      ("orders", "customer_id", "customer")]:  # fmt: skip
            orphans = scalar(conn, f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p"
                             f" ON c.{column} = p.id WHERE p.id IS NULL")  # fmt: skip
            assert orphans == 0, (child, column)
        # the appended orders' lines number from 1 under each new order, as production's do
        assert (
            scalar(conn, f"SELECT MIN(line_no) FROM order_item WHERE order_id > {top_order}") == 1
        )
    engine.dispose()
