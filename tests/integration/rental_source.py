"""A film-rental shop written the way its authors would (Sakila-like): rentals with return
dates, payments that name both the rental and the customer, orders whose total is subtotal plus
tax and lines whose extended price is quantity times unit price."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3

RENTAL_SCHEMA = """
CREATE TABLE customer (customer_id integer PRIMARY KEY, store_id integer NOT NULL,
  create_date timestamp NOT NULL, last_update timestamp NOT NULL);
CREATE TABLE rental (rental_id integer PRIMARY KEY, rental_date timestamp NOT NULL,
  customer_id integer NOT NULL REFERENCES customer (customer_id), return_date timestamp);
CREATE TABLE payment (payment_id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customer (customer_id),
  rental_id integer REFERENCES rental (rental_id), amount decimal(5, 2) NOT NULL,
  payment_date timestamp NOT NULL);
CREATE TABLE shop_order (order_id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customer (customer_id),
  subtotal decimal(10, 2) NOT NULL, tax_paid decimal(10, 2) NOT NULL,
  order_total decimal(10, 2) NOT NULL, quantity integer NOT NULL,
  unit_price decimal(10, 2) NOT NULL, extended_price decimal(12, 2) NOT NULL);
"""


def build_rental_source(path, customers: int = 300, rentals: int = 3000) -> str:
    """Write the shop into the SQLite file *path*; returns its URL."""
    rng = random.Random(11)
    conn = sqlite3.connect(path)
    conn.executescript(RENTAL_SCHEMA)
    start = dt.datetime(2023, 1, 1)
    rows = []
    for c in range(1, customers + 1):
        created = start + dt.timedelta(days=rng.randint(0, 200), seconds=rng.randint(0, 86399))
        updated = created + dt.timedelta(days=rng.randint(0, 90))
        rows.append((c, rng.randint(1, 2), created, updated))
    conn.executemany("INSERT INTO customer VALUES (?, ?, ?, ?)", rows)
    rental_rows, payments = [], []
    for r in range(1, rentals + 1):
        customer = 1 + int(customers * rng.random() ** 1.5)
        rented = start + dt.timedelta(days=rng.randint(200, 500), seconds=rng.randint(0, 86399))
        back = None if rng.random() < 0.05 else rented + dt.timedelta(hours=rng.randint(2, 240))
        rental_rows.append((r, rented, customer, back))
        paid = rented + dt.timedelta(minutes=rng.randint(0, 600))
        payments.append((r, customer, r if rng.random() > 0.02 else None,
                         round(rng.choice([0.99, 2.99, 4.99]) + rng.randint(0, 3), 2), paid))
    conn.executemany("INSERT INTO rental VALUES (?, ?, ?, ?)", rental_rows)
    conn.executemany("INSERT INTO payment VALUES (?, ?, ?, ?, ?)", payments)
    orders = []
    for o in range(1, 1501):
        subtotal = round(rng.uniform(5, 400), 2)
        tax = round(subtotal * rng.choice([0.07, 0.19, 0.2]), 2)
        quantity = rng.randint(1, 12)
        price = round(rng.uniform(1, 60), 2)
        orders.append((o, rng.randint(1, customers), subtotal, tax, round(subtotal + tax, 2),
                       quantity, price, round(quantity * price, 2)))
    conn.executemany("INSERT INTO shop_order VALUES (?, ?, ?, ?, ?, ?, ?, ?)", orders)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"
