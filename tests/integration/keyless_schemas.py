"""Three production-shaped schemas written the way other people write them, for key inference.

Each is built twice from the same rows: once with its foreign keys declared, once "as found in the
wild" with every FK constraint dropped (same tables, same primary keys, same rows). The naming
styles are the ones ``--infer-keys`` must read: TPC-H's ``o_custkey`` / ``c_custkey`` prefixes,
a Rails shop (``user_id``, a ``parent_id`` tree, polymorphic ``commentable_type`` /
``commentable_id``, a log table without a primary key, a legacy table whose key was never
declared), and a multi-tenant SaaS (``tenant_id`` everywhere, role names such as
``owner_user_id`` and ``parent_task_id``). Fan-outs are skewed (a few heavy parents, childless
ones), as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

Rows = dict[str, list[dict]]


@dataclass
class Schema:
    name: str
    metadata: sa.MetaData
    rows: Rows
    polymorphic: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    """(table, id column, type column, type value, parent table): associations no database can
    declare, checked apart from the declared FKs."""
    keyless: list[str] = field(default_factory=list)
    """Tables declared without a primary key."""

    def foreign_keys(self) -> set[tuple[str, str, str, str]]:
        """The declared single-column FKs: (table, column, parent, parent column)."""
        out = set()
        for table in self.metadata.tables.values():
            for fk in table.foreign_key_constraints:
                for element in fk.elements:
                    out.add((table.name, element.parent.name, element.column.table.name,
                             element.column.name))  # fmt: skip
        return out


def skewed(rng: np.random.Generator, parents: int, children: int, power: float = 1.1) -> np.ndarray:
    """Children's parent indices: Zipf-like weights over shuffled parents, some childless."""
    weights = 1.0 / np.arange(1, parents + 1) ** power
    rng.shuffle(weights)
    return rng.choice(parents, size=children, p=weights / weights.sum())


def _tpch(rng: np.random.Generator) -> Schema:
    md = sa.MetaData()
    region = sa.Table("region", md, sa.Column("r_regionkey", sa.Integer, primary_key=True),
                      sa.Column("r_name", sa.String(25), nullable=False))  # fmt: skip
    nation = sa.Table(
        "nation", md, sa.Column("n_nationkey", sa.Integer, primary_key=True),
        sa.Column("n_name", sa.String(25), nullable=False),
        sa.Column("n_regionkey", sa.Integer, sa.ForeignKey("region.r_regionkey"), nullable=False),
    )  # fmt: skip
    customer = sa.Table(
        "customer", md, sa.Column("c_custkey", sa.Integer, primary_key=True),
        sa.Column("c_name", sa.String(25), nullable=False),
        sa.Column("c_nationkey", sa.Integer, sa.ForeignKey("nation.n_nationkey"), nullable=False),
        sa.Column("c_acctbal", sa.Numeric(12, 2), nullable=False),
    )  # fmt: skip
    supplier = sa.Table(
        "supplier", md, sa.Column("s_suppkey", sa.Integer, primary_key=True),
        sa.Column("s_name", sa.String(25), nullable=False),
        sa.Column("s_nationkey", sa.Integer, sa.ForeignKey("nation.n_nationkey"), nullable=False),
    )  # fmt: skip
    part = sa.Table("part", md, sa.Column("p_partkey", sa.Integer, primary_key=True),
                    sa.Column("p_name", sa.String(55), nullable=False),
                    sa.Column("p_retailprice", sa.Numeric(12, 2), nullable=False))  # fmt: skip
    orders = sa.Table(
        "orders", md, sa.Column("o_orderkey", sa.Integer, primary_key=True),
        sa.Column("o_custkey", sa.Integer, sa.ForeignKey("customer.c_custkey"), nullable=False),
        sa.Column("o_orderdate", sa.Date, nullable=False),
        sa.Column("o_totalprice", sa.Numeric(12, 2), nullable=False),
    )  # fmt: skip
    sa.Table(
        "lineitem", md,
        sa.Column("l_orderkey", sa.Integer, sa.ForeignKey("orders.o_orderkey"), primary_key=True),
        sa.Column("l_linenumber", sa.Integer, primary_key=True),
        sa.Column("l_partkey", sa.Integer, sa.ForeignKey("part.p_partkey"), nullable=False),
        sa.Column("l_suppkey", sa.Integer, sa.ForeignKey("supplier.s_suppkey"), nullable=False),
        sa.Column("l_quantity", sa.Integer, nullable=False),
    )  # fmt: skip
    n_cust, n_supp, n_part, n_orders = 600, 40, 300, 2000
    rows: Rows = {
        # Keys from 1: MariaDB reads 0 in an AUTO_INCREMENT column as "the next value".
        "region": [{"r_regionkey": i + 1, "r_name": f"REGION{i}"} for i in range(5)],
        "nation": [{"n_nationkey": i + 1, "n_name": f"NATION{i}", "n_regionkey": i % 5 + 1}
                   for i in range(25)],  # fmt: skip
        "customer": [{"c_custkey": i + 1, "c_name": f"Customer#{i + 1:09d}",
                      "c_nationkey": int(n) + 1, "c_acctbal": round(float(b), 2)}
                     for i, (n, b) in enumerate(zip(skewed(rng, 25, n_cust, 0.5),
                                                    rng.uniform(-999, 9999, n_cust),
                                                    strict=True))],  # fmt: skip
        "supplier": [{"s_suppkey": i + 1, "s_name": f"Supplier#{i + 1:09d}",
                      "s_nationkey": int(rng.integers(1, 26))} for i in range(n_supp)],  # fmt: skip
        "part": [{"p_partkey": i + 1, "p_name": f"part {i + 1}",
                  "p_retailprice": round(900 + i * 0.1, 2)} for i in range(n_part)],  # fmt: skip
    }
    custs = skewed(rng, n_cust, n_orders)
    days = rng.integers(0, 2400, n_orders)
    rows["orders"] = [
        {"o_orderkey": (i + 1) * 4, "o_custkey": int(c) + 1,
         "o_orderdate": np.datetime64("1992-01-01") + int(d),
         "o_totalprice": round(float(rng.uniform(900, 500000)), 2)}
        for i, (c, d) in enumerate(zip(custs, days, strict=True))
    ]  # fmt: skip
    rows["orders"] = [{**r, "o_orderdate": r["o_orderdate"].item()} for r in rows["orders"]]
    lines = []
    parts = skewed(rng, n_part, n_orders * 4)
    for i in range(n_orders):
        for line in range(int(rng.integers(1, 8))):
            lines.append({"l_orderkey": (i + 1) * 4, "l_linenumber": line + 1,
                          "l_partkey": int(parts[len(lines) % parts.size]) + 1,
                          "l_suppkey": int(rng.integers(1, n_supp + 1)),
                          "l_quantity": int(rng.integers(1, 51))})  # fmt: skip
    rows["lineitem"] = lines
    del region, nation, customer, supplier, part, orders
    return Schema("tpch", md, rows)


def _shop(rng: np.random.Generator) -> Schema:
    md = sa.MetaData()
    sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("email", sa.String(120), nullable=False),
             sa.Column("created_at", sa.DateTime, nullable=False))  # fmt: skip
    sa.Table("categories", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("parent_id", sa.Integer, sa.ForeignKey("categories.id")),
             sa.Column("name", sa.String(60), nullable=False))  # fmt: skip
    sa.Table("products", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.id"), nullable=False),
             sa.Column("sku", sa.String(20), nullable=False, unique=True),
             sa.Column("price", sa.Numeric(10, 2), nullable=False))  # fmt: skip
    sa.Table("orders", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
             sa.Column("state", sa.String(12), nullable=False))  # fmt: skip
    sa.Table("line_items", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
             sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
             sa.Column("quantity", sa.Integer, nullable=False))  # fmt: skip
    sa.Table("posts", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
             sa.Column("title", sa.String(80), nullable=False))  # fmt: skip
    sa.Table("photos", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
             sa.Column("url", sa.String(200), nullable=False))  # fmt: skip
    sa.Table("comments", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
             sa.Column("commentable_type", sa.String(40), nullable=False),
             sa.Column("commentable_id", sa.Integer, nullable=False),
             sa.Column("stars", sa.Integer, nullable=False))  # fmt: skip
    # A legacy table whose key was never declared, and an append-only log with no key at all.
    sa.Table("legacy_coupons", md, sa.Column("coupon_id", sa.Integer, nullable=False),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
             sa.Column("percent", sa.Integer, nullable=False))  # fmt: skip
    sa.Table("activity_log", md,
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
             sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id")),
             sa.Column("action", sa.String(20), nullable=False))  # fmt: skip
    n_users, n_cat, n_prod, n_orders, n_posts, n_photos = 500, 30, 200, 1500, 300, 200
    start = np.datetime64("2021-01-01T00:00:00")
    rows: Rows = {
        "users": [{"id": i + 1, "email": f"user{i + 1}@example.org",
                   "created_at": (start + np.timedelta64(int(i * 5000), "s")).item()}
                  for i in range(n_users)],  # fmt: skip
        "categories": [{"id": i + 1, "parent_id": None if i < 5 else int(rng.integers(1, i + 1)),
                        "name": f"Category {i + 1}"} for i in range(n_cat)],  # fmt: skip
        "products": [{"id": i + 1, "category_id": int(c) + 1, "sku": f"SKU-{i + 1:05d}",
                      "price": round(float(rng.uniform(1, 300)), 2)}
                     for i, c in enumerate(skewed(rng, n_cat, n_prod, 0.8))],  # fmt: skip
        "orders": [{"id": i + 1, "user_id": int(u) + 1, "state": ["paid", "shipped", "new"][i % 3]}
                   for i, u in enumerate(skewed(rng, n_users, n_orders))],  # fmt: skip
        "posts": [{"id": i + 1, "user_id": int(u) + 1, "title": f"Post {i + 1}"}
                  for i, u in enumerate(skewed(rng, n_users, n_posts, 1.3))],  # fmt: skip
        "photos": [{"id": i + 1, "user_id": int(u) + 1, "url": f"https://img.example.org/{i}"}
                   for i, u in enumerate(skewed(rng, n_users, n_photos, 1.3))],  # fmt: skip
    }
    items = skewed(rng, n_orders, 4000, 0.3)
    prods = skewed(rng, n_prod, 4000)
    rows["line_items"] = [{"id": i + 1, "order_id": int(o) + 1, "product_id": int(p) + 1,
                           "quantity": int(rng.integers(1, 5))}
                          for i, (o, p) in enumerate(zip(items, prods, strict=True))]  # fmt: skip
    comments = []
    on_posts, on_photos = skewed(rng, n_posts, 1400), skewed(rng, n_photos, 600)
    kinds = ["Post"] * on_posts.size + ["Photo"] * on_photos.size
    ids = [int(p) + 1 for p in on_posts] + [int(p) + 1 for p in on_photos]
    order = rng.permutation(len(kinds))
    authors = skewed(rng, n_users, len(kinds))
    for i, j in enumerate(order):
        comments.append({"id": i + 1, "user_id": None if i % 9 == 0 else int(authors[i]) + 1,
                         "commentable_type": kinds[j], "commentable_id": ids[j],
                         "stars": int(rng.integers(1, 6))})  # fmt: skip
    rows["comments"] = comments
    rows["legacy_coupons"] = [{"coupon_id": 1000 + i * 3, "user_id": int(u) + 1 if i % 4 else None,
                               "percent": int(rng.integers(5, 50))}
                              for i, u in enumerate(skewed(rng, n_users, 250))]  # fmt: skip
    rows["activity_log"] = [{"user_id": int(u) + 1,
                             "product_id": int(p) + 1 if i % 5 else None,
                             "action": ["view", "cart", "buy"][i % 3]}
                            for i, (u, p) in enumerate(zip(skewed(rng, n_users, 3000),
                                                           skewed(rng, n_prod, 3000),
                                                           strict=True))]  # fmt: skip
    return Schema(
        "shop", md, rows,
        polymorphic=[("comments", "commentable_id", "commentable_type", "Post", "posts"),
                     ("comments", "commentable_id", "commentable_type", "Photo", "photos")],
        keyless=["legacy_coupons", "activity_log"],
    )  # fmt: skip


def _saas(rng: np.random.Generator) -> Schema:
    md = sa.MetaData()
    sa.Table("tenants", md, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("slug", sa.String(40), nullable=False, unique=True),
             sa.Column("plan", sa.String(10), nullable=False))  # fmt: skip
    sa.Table("accounts", md, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id"), nullable=False),
             sa.Column("name", sa.String(80), nullable=False))  # fmt: skip
    sa.Table("app_users", md, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id"), nullable=False),
             sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id"), nullable=False),
             sa.Column("role", sa.String(10), nullable=False))  # fmt: skip
    sa.Table("projects", md, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id"), nullable=False),
             sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id"), nullable=False),
             sa.Column("owner_user_id", sa.BigInteger, sa.ForeignKey("app_users.id")),
             sa.Column("title", sa.String(80), nullable=False))  # fmt: skip
    sa.Table("tasks", md, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id"), nullable=False),
             sa.Column("project_id", sa.BigInteger, sa.ForeignKey("projects.id"), nullable=False),
             sa.Column("assignee_user_id", sa.BigInteger, sa.ForeignKey("app_users.id")),
             sa.Column("parent_task_id", sa.BigInteger, sa.ForeignKey("tasks.id")),
             sa.Column("status", sa.String(12), nullable=False))  # fmt: skip
    sa.Table("invoices", md, sa.Column("invoice_no", sa.String(20), primary_key=True),
             sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id"), nullable=False),
             sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id"), nullable=False),
             sa.Column("amount_cents", sa.BigInteger, nullable=False))  # fmt: skip
    n_ten, n_acc, n_usr, n_proj, n_task = 40, 300, 900, 500, 3000
    base = 7_000_000  # ids from a shared sequence: no table starts at 1
    rows: Rows = {"tenants": [{"id": base + i, "slug": f"t{i}", "plan": ["free", "pro"][i % 2]}
                              for i in range(n_ten)]}  # fmt: skip
    acc_t = skewed(rng, n_ten, n_acc)
    rows["accounts"] = [{"id": base + 1000 + i, "tenant_id": base + int(t), "name": f"Acme {i}"}
                        for i, t in enumerate(acc_t)]  # fmt: skip
    usr_a = skewed(rng, n_acc, n_usr)
    rows["app_users"] = [{"id": base + 5000 + i, "tenant_id": base + int(acc_t[a]),
                          "account_id": base + 1000 + int(a), "role": ["admin", "member"][i % 2]}
                         for i, a in enumerate(usr_a)]  # fmt: skip
    proj_a = skewed(rng, n_acc, n_proj)
    owners = skewed(rng, n_usr, n_proj)
    rows["projects"] = [{"id": base + 20000 + i, "tenant_id": base + int(acc_t[a]),
                         "account_id": base + 1000 + int(a),
                         "owner_user_id": None if i % 7 == 0 else base + 5000 + int(owners[i]),
                         "title": f"Project {i}"} for i, a in enumerate(proj_a)]  # fmt: skip
    task_p = skewed(rng, n_proj, n_task)
    assignees = skewed(rng, n_usr, n_task)
    tasks = []
    for i, p in enumerate(task_p):
        parent = base + 40000 + int(rng.integers(0, i)) if i > 50 and i % 3 == 0 else None
        tasks.append({"id": base + 40000 + i, "tenant_id": rows["projects"][int(p)]["tenant_id"],
                      "project_id": base + 20000 + int(p),
                      "assignee_user_id": None if i % 5 == 0 else base + 5000 + int(assignees[i]),
                      "parent_task_id": parent, "status": ["open", "done"][i % 2]})  # fmt: skip
    rows["tasks"] = tasks
    inv_a = skewed(rng, n_acc, 1200)
    rows["invoices"] = [{"invoice_no": f"INV-{i:06d}", "tenant_id": base + int(acc_t[a]),
                         "account_id": base + 1000 + int(a),
                         "amount_cents": int(rng.integers(100, 10**6))}
                        for i, a in enumerate(inv_a)]  # fmt: skip
    return Schema("saas", md, rows)


SCHEMAS: dict[str, Callable[[np.random.Generator], Schema]] = {
    "tpch": _tpch,
    "shop": _shop,
    "saas": _saas,
}


def build(schema: Schema, url: str, *, declared: bool) -> None:
    """Create *schema* in *url* (with its FKs when *declared*, else without) and load its rows."""
    metadata = schema.metadata
    if not declared:
        metadata = sa.MetaData()
        for table in schema.metadata.sorted_tables:
            sa.Table(table.name, metadata, *(
                sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                          unique=c.unique, autoincrement=False)
                for c in table.columns
            ))  # fmt: skip
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                if schema.rows.get(table.name):
                    conn.execute(metadata.tables[table.name].insert(), schema.rows[table.name])
    finally:
        engine.dispose()
