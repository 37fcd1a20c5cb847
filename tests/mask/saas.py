"""A small multi-tenant SaaS database of our own making, on any dialect, for the mask tests.

Shaped like other people's production: tenants, customers full of PII (a unique e-mail that is
also a natural key, names, phones, IBANs, cards, birth dates, notes quoting contact details),
orders that reference the customer both by id and by e-mail, and a fact table of order lines
with a composite key. Names come from lists Faker does not hold, so a production name found in
staging can only be a leak.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa

from paritygen.mask.maskers.finance import iban_check_digits, luhn_digit

FIRST = ["Zebulon", "Quintessa", "Ardith", "Marvella", "Osgood", "Philomena", "Thaddeus", "Ysolde"]
LAST = ["Quackenbush", "Vandersloot", "Ozymandias", "Thistlewood", "Brackenridge", "Wetherell"]
IDENTIFYING = ("email", "phone", "iban", "card_number")


def metadata() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "tenants", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("plan", sa.String(20), nullable=False),
    )  # fmt: skip
    sa.Table(
        "customers", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("email", sa.String(80), nullable=False, unique=True),
        sa.Column("first_name", sa.String(40), nullable=False),
        sa.Column("last_name", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(24)),
        sa.Column("iban", sa.String(34)),
        sa.Column("card_number", sa.String(19)),
        sa.Column("birth_date", sa.Date),
        sa.Column("notes", sa.Text),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "orders", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("customer_email", sa.String(80), sa.ForeignKey("customers.email")),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("ordered_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "order_lines", md,
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("price", sa.Float, nullable=False),
    )  # fmt: skip
    return md


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    return f"DE{iban_check_digits('DE', bban)}{bban}"


def _card(rng: random.Random) -> str:
    payload = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    digits = payload + luhn_digit(payload)
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def build(url: str, customers: int = 600, seed: int = 3) -> dict[str, int]:
    """Create and fill the schema at *url*; return the row count per table."""
    rng = random.Random(seed)
    md = metadata()
    engine = sa.create_engine(url)
    md.create_all(engine)
    rows: dict[str, list[dict[str, Any]]] = {"tenants": [], "customers": [], "orders": []}
    rows["order_lines"] = []
    rows["tenants"] = [{"id": t, "plan": rng.choice(["free", "pro", "team"])} for t in range(1, 6)]
    base = dt.datetime(2023, 1, 1)
    for i in range(1, customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{i}@{rng.choice(['acme.io', 'globex.com'])}"
        phone = f"+49 {rng.randint(30, 89)} {rng.randint(1000000, 9999999)}"
        rows["customers"].append({
            "id": 1000 + i, "tenant_id": rng.randint(1, 5), "email": email,
            "first_name": first, "last_name": last,
            "phone": phone if i % 7 else None,
            "iban": _iban(rng), "card_number": _card(rng) if i % 3 else None,
            "birth_date": dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 18000)),
            "notes": f"Called {first} on {phone}, wants invoices to {email}." if i % 4 == 0
            else ("VIP" if i % 4 == 1 else None),
            "balance": round(rng.uniform(-50, 5000), 2), "active": bool(i % 5),
            "created_at": base + dt.timedelta(seconds=rng.randint(0, 30_000_000), microseconds=i),
        })  # fmt: skip
    order_id = 0
    for customer in rows["customers"]:
        for _ in range(rng.choice([0, 1, 2, 3, 5, 9])):
            order_id += 1
            rows["orders"].append({
                "id": order_id, "customer_id": customer["id"],
                "customer_email": customer["email"] if order_id % 6 else None,
                "status": rng.choice(["paid", "shipped", "refunded"]),
                "amount": round(rng.uniform(1, 900), 2),
                "ordered_at": customer["created_at"] + dt.timedelta(days=rng.randint(0, 300)),
            })  # fmt: skip
            for line in range(1, rng.randint(1, 4) + 1):
                rows["order_lines"].append({
                    "order_id": order_id, "line_no": line, "sku": f"SKU-{rng.randint(1, 400):05d}",
                    "quantity": rng.randint(1, 6), "price": rng.choice([9.99, 19.5, 0.1, 120.0]),
                })  # fmt: skip
    with engine.begin() as conn:
        for table in md.sorted_tables:
            conn.execute(table.insert(), rows[table.name])
    engine.dispose()
    return {name: len(values) for name, values in rows.items()}


def fetch(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def column_values(url: str, table: str, column: str) -> set:
    return {r[0] for r in fetch(url, f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")}
