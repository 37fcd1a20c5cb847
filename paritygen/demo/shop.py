"""A Spryker-like shop "production": the test-data builder behind ``paritygen demo`` and the tests.

It holds the cases a real shop database throws at paritygen, on purpose:
- keys: a natural string PK (currency), composite PKs (price, stock, order item), a composite FK
  (order item -> price of that product in the order's currency), a self-referencing FK (category
  tree), a nullable FK cycle (customer.default_billing_address_id <-> customer_address), a
  sequence that starts at 10,000 and has gaps (sales_order), a 30 %-NULL FK (shipment -> order);
- constraints: unique e-mails, SKUs and order references, CHECKs (ranges and column comparisons),
  enums (native on PostgreSQL and MariaDB, CHECK IN-lists on SQLite);
- shape: Zipf-like orders per customer (30 % of customers never ordered) and items per product,
  order times with a weekly rhythm, a December peak and growth towards the present, log-normal
  amounts, NULL-heavy free text, and PII (names, e-mails, phones, streets, birth dates).

Values are drawn with numpy from one seeded generator, vectorised over whole columns; PII comes
from small Faker pools sampled by numpy. Rows go in through SQLAlchemy ``executemany`` in chunks:
this builds test data, it is not paritygen's write path (that is ``paritygen.writers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import sqlalchemy as sa

from paritygen.db import describe_db_error, make_engine
from paritygen.demo.sampling import (
    Pools,
    digits,
    nullify,
    pick,
    to_frame,
    unique_emails,
    zipf_counts,
)
from paritygen.demo.schema import (
    GENDERS,
    ORDER_STATUSES,
    PAYMENT_METHODS,
    SHOP_TABLES,
    shop_metadata,
)
from paritygen.errors import ConfigError, LoadError, safe_url
from paritygen.profile.model import Rules, TableRule

LOOKUP_TABLES = ("locale", "currency", "warehouse", "product_category")
"""Tables whose size does not grow with the business: pinned by :func:`shop_rules`."""

INSERT_CHUNK_ROWS = 5_000
"""Rows per executemany call: large enough to amortise round trips, small enough for memory."""

START = np.datetime64("2023-11-01T00:00:00", "s")
END = np.datetime64("2026-11-01T00:00:00", "s")
"""Order history window: fixed, so the same seed gives the same database on any day."""

BASE_ROWS = {"customer": 10_000, "product_abstract": 2_000, "sales_order": 20_000}
"""Row counts at ``scale=1`` of the tables the others derive from (~180k rows in total)."""

CURRENCIES = [
    ("EUR", "Euro", "€", 1.0),
    ("CHF", "Swiss franc", "CHF", 1.05),
    ("GBP", "Pound", "£", 0.86),
]
ORDER_CURRENCY_SHARE = [0.8, 0.14, 0.06]
LOCALES = ["de_DE", "en_US", "de_AT", "de_CH", "fr_CH", "en_GB"]
LOCALE_SHARE = [0.62, 0.12, 0.1, 0.08, 0.03, 0.05]
WAREHOUSES = ["Warehouse1", "Warehouse2", "Zentrallager Berlin"]
ORDER_STATUS_SHARE = [0.02, 0.03, 0.04, 0.06, 0.66, 0.1, 0.06, 0.03]
PAYMENT_METHOD_SHARE = [0.4, 0.3, 0.15, 0.08, 0.05, 0.02]
CARRIERS = ["DHL", "DPD", "UPS", "Hermes", "GLS"]
CARRIER_SHARE = [0.5, 0.2, 0.15, 0.1, 0.05]
COUNTRIES = ["DE", "AT", "CH", "NL", "FR"]
COUNTRY_SHARE = [0.7, 0.14, 0.1, 0.04, 0.02]
SKU_PREFIXES = [a + b for a in "ABCDEFGHKLMNPRSTVW" for b in "ABEIKMOSTX"]


# ---------------------------------------------------------------------------------------------
# Building blocks (vectorised)


def _order_times(rng: np.random.Generator, size: int) -> np.ndarray:
    """Order timestamps: growth towards the present, weekly rhythm, Black-Friday/December peak."""
    days = np.arange(START.astype("M8[D]"), END.astype("M8[D]"))
    position = np.linspace(0.0, 1.0, len(days))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    month = days.astype("M8[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("M8[M]")).astype(np.int64) + 1
    weight = np.exp(position * np.log(3.0))  # three times the daily volume at the end
    weight *= np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.8, 1.3])[weekday]
    weight *= np.where(month == 12, 1.8, 1.0) * np.where(
        (month == 11) & (day_of_month >= 20), 1.6, 1.0
    )
    hour_weight = np.array(
        [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 6, 6, 6, 6, 7, 8, 10, 11, 10, 7, 4.0]
    )
    day = rng.choice(len(days), size, p=weight / weight.sum())
    hour = rng.choice(24, size, p=hour_weight / hour_weight.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, size)
    return np.sort(days[day].astype("M8[s]") + seconds.astype("m8[s]"))


def _uniform_times(rng: np.random.Generator, size: int) -> np.ndarray:
    """Timestamps spread evenly over the order history window."""
    span = int((END - START) / np.timedelta64(1, "s"))
    return START + rng.integers(0, span, size).astype("m8[s]")


# ---------------------------------------------------------------------------------------------
# The tables


@dataclass(frozen=True)
class _Orders:
    """What the payment, shipment and customer tables derive from the orders."""

    order_id: np.ndarray
    created_at: np.ndarray
    customer: np.ndarray
    """0-based customer index per order."""
    per_customer: np.ndarray
    status: np.ndarray
    grand_total: np.ndarray


def _generate(scale: float, seed: int) -> dict[str, pl.DataFrame]:
    """Every table's rows as polars frames (the customer's default address left NULL)."""
    rng = np.random.default_rng(seed)
    pools = Pools.build(seed)
    out: dict[str, pl.DataFrame] = {}
    n_customers = max(20, round(BASE_ROWS["customer"] * scale))
    gross = _catalog(rng, pools, max(20, round(BASE_ROWS["product_abstract"] * scale)), out)
    orders = _orders(rng, pools, n_customers, max(40, round(BASE_ROWS["sales_order"] * scale)),
                     gross, out)  # fmt: skip
    _payments(rng, orders, out)
    _shipments(rng, orders, out)
    _customers(rng, pools, orders, out)
    return {name: out[name] for name in SHOP_TABLES}


def _catalog(
    rng: np.random.Generator, pools: Pools, n_abstract: int, out: dict[str, pl.DataFrame]
) -> np.ndarray:
    """Lookups, category tree, products, prices and stock; returns gross prices (product x cur)."""
    out["locale"] = to_frame({"id_locale": np.arange(1, len(LOCALES) + 1), "locale_name": LOCALES,
                            "is_active": [True] * (len(LOCALES) - 1) + [False]})  # fmt: skip
    out["currency"] = to_frame({"code": [c[0] for c in CURRENCIES],
                              "name": [c[1] for c in CURRENCIES],
                              "symbol": [c[2] for c in CURRENCIES]})  # fmt: skip
    out["warehouse"] = to_frame({"id_warehouse": np.arange(1, len(WAREHOUSES) + 1),
                               "name": WAREHOUSES, "is_active": [True, True, False]})  # fmt: skip

    # Category tree: 8 roots, 5 children each, 4 grandchildren each (208 nodes, parents first).
    depth = np.concatenate([np.zeros(8), np.ones(40), np.full(160, 2)]).astype(np.int64)
    parent = np.concatenate(
        [np.zeros(8), np.repeat(np.arange(1, 9), 5), np.repeat(np.arange(9, 49), 4)]
    )
    category_id = np.arange(1, len(depth) + 1)
    out["product_category"] = to_frame({
        "id_category": category_id,
        "parent_id": np.where(parent == 0, None, parent.astype(np.int64).astype(object)),
        "category_key": "category-" + pl.Series(category_id).cast(pl.String).str.zfill(4),
        "name": pools.sample(rng, pools.words, len(depth)),
        "depth": depth,
    })  # fmt: skip

    # Abstract products: SKU shape AB-12345, unique by construction; leaf categories Zipf-heavy.
    sku_code = rng.choice(len(SKU_PREFIXES) * 90_000, n_abstract, replace=False)
    abstract_sku = (
        pl.Series(np.asarray(SKU_PREFIXES)[sku_code // 90_000])
        + "-"
        + pl.Series(10_000 + sku_code % 90_000).cast(pl.String)
    )
    leaves = category_id[depth == 2]
    leaf_weight = 1.0 / np.arange(1, len(leaves) + 1) ** 0.8
    abstract_created = _uniform_times(rng, n_abstract) - np.timedelta64(400, "D")
    abstract_name = (
        pl.Series(pools.sample(rng, pools.words, n_abstract)).str.to_titlecase()
        + " "
        + pl.Series(pools.sample(rng, pools.words, n_abstract))
    )
    out["product_abstract"] = to_frame({
        "id_product_abstract": np.arange(1, n_abstract + 1),
        "sku": abstract_sku,
        "fk_category": rng.permutation(leaves)[
            rng.choice(len(leaves), n_abstract, p=leaf_weight / leaf_weight.sum())],
        "name": abstract_name,
        "description": nullify(rng, pools.sample(rng, pools.sentences, n_abstract), 0.35),
        "created_at": abstract_created,
    })  # fmt: skip

    # Concrete products: 1-6 variants per abstract (geometric), SKU = abstract SKU + "-" + variant.
    variants = np.minimum(rng.geometric(0.45, n_abstract), 6)
    n_products = int(variants.sum())
    abstract_of = np.repeat(np.arange(n_abstract), variants)
    variant_no = np.arange(n_products) - np.repeat(np.cumsum(variants) - variants, variants) + 1
    sizes = np.array(["XS", "S", "M", "L", "XL", "XXL"], dtype=object)
    product_id = np.arange(1, n_products + 1)
    out["product_concrete"] = to_frame({
        "id_product": product_id,
        "fk_product_abstract": abstract_of + 1,
        "sku": abstract_sku.gather(abstract_of) + "-" + pl.Series(variant_no).cast(pl.String),
        "name": abstract_name.gather(abstract_of) + " " + pl.Series(sizes[variant_no - 1]),
        "is_active": rng.random(n_products) < 0.92,
    })  # fmt: skip

    # Prices: every product in every currency (the composite FK target of order items).
    base_price = np.round(np.exp(rng.normal(np.log(29.0), 0.9, n_products)), 2) + 0.99
    rates = np.array([c[3] for c in CURRENCIES])
    gross = np.round(np.outer(base_price, rates), 2)  # products x currencies
    out["price_product"] = to_frame({
        "fk_product": np.repeat(product_id, len(CURRENCIES)),
        "currency_code": np.tile([c[0] for c in CURRENCIES], n_products),
        "gross_price": gross.ravel(),
        "net_price": np.round(gross.ravel() / 1.19, 2),
    })  # fmt: skip

    # Stock: every product in warehouse 1, about half of them in each of the others.
    in_stock = np.column_stack([np.ones(n_products, bool), rng.random((n_products, 2)) < 0.5])
    stock_wh, stock_product = np.nonzero(in_stock.T)
    out["stock"] = to_frame({
        "fk_warehouse": stock_wh + 1,
        "fk_product": stock_product + 1,
        "quantity": rng.negative_binomial(1, 0.02, len(stock_wh)),
        "is_never_out_of_stock": rng.random(len(stock_wh)) < 0.05,
    })  # fmt: skip

    return gross


def _orders(
    rng: np.random.Generator,
    pools: Pools,
    n_customers: int,
    n_orders: int,
    gross: np.ndarray,
    out: dict[str, pl.DataFrame],
) -> _Orders:
    """Orders and their items: Zipf customers and products, seasonal times, consistent totals."""
    n_products = gross.shape[0]
    # Orders: times first (ids grow with time), then customers by Zipf, 30 % never ordered.
    order_time = _order_times(rng, n_orders)
    gaps = 1 + (rng.random(n_orders) < 0.03) * rng.integers(1, 25, n_orders)
    gaps[0] = 0
    order_id = 10_000 + np.cumsum(gaps)
    orders_per_customer = zipf_counts(rng, n_customers, n_orders, childless=0.3, exponent=1.0)
    order_customer = rng.permutation(np.repeat(np.arange(n_customers), orders_per_customer))
    order_currency = rng.choice(len(CURRENCIES), n_orders, p=ORDER_CURRENCY_SHARE)
    status = pick(rng, ORDER_STATUSES, ORDER_STATUS_SHARE, n_orders)
    fresh = order_time > END - np.timedelta64(3, "D")  # the last days' orders are still open
    status[fresh] = pick(rng, ORDER_STATUSES[:3], [0.4, 0.3, 0.3], int(fresh.sum()))

    # Order items: 1 + geometric lines per order, products by Zipf (15 % of products never sold).
    lines = rng.geometric(1 / 3, n_orders)
    n_items = int(lines.sum())
    item_order = np.repeat(np.arange(n_orders), lines)
    line_no = np.arange(n_items) - np.repeat(np.cumsum(lines) - lines, lines) + 1
    items_per_product = zipf_counts(rng, n_products, n_items, childless=0.15, exponent=1.05)
    item_product = rng.permutation(np.repeat(np.arange(n_products), items_per_product))
    item_currency = order_currency[item_order]
    discount = np.where(rng.random(n_items) < 0.15, 0.9, 1.0)
    item_price = np.round(gross[item_product, item_currency] * discount, 2)
    quantity = rng.geometric(0.75, n_items)
    subtotal = np.bincount(item_order, weights=quantity * item_price, minlength=n_orders)
    grand_total = np.round(subtotal + np.where(subtotal < 50, 4.9, 0.0), 2)
    currency_codes = np.array([c[0] for c in CURRENCIES], dtype=object)
    out["sales_order"] = to_frame({
        "id_sales_order": order_id,
        "order_reference": "DE--" + pl.Series(order_id).cast(pl.String),
        "fk_customer": order_customer + 1,
        "status": status,
        "currency_code": currency_codes[order_currency],
        "grand_total": grand_total,
        "created_at": order_time,
        "note": nullify(rng, pools.sample(rng, pools.sentences, n_orders), 0.85),
    })  # fmt: skip
    out["sales_order_item"] = to_frame({
        "fk_sales_order": order_id[item_order],
        "line_no": line_no,
        "fk_product": item_product + 1,
        "currency_code": currency_codes[item_currency],
        "quantity": quantity,
        "price": item_price,
    })  # fmt: skip

    return _Orders(
        order_id=order_id,
        created_at=order_time,
        customer=order_customer,
        per_customer=orders_per_customer,
        status=status,
        grand_total=grand_total,
    )


def _payments(rng: np.random.Generator, orders: _Orders, out: dict[str, pl.DataFrame]) -> None:
    """Payments: amounts add up to each order's grand total."""
    status, grand_total, order_id = orders.status, orders.grand_total, orders.order_id
    n_orders = len(order_id)
    # Payments: one per order, 5 % split in two (the rest on a gift card), unpaid states none.
    unpaid = np.isin(status, ["new", "payment_pending"]) | (
        (status == "cancelled") & (rng.random(n_orders) < 0.5)
    )
    payments = np.where(unpaid, 0, np.where(rng.random(n_orders) < 0.05, 2, 1))
    pay_order = np.repeat(np.arange(n_orders), payments)
    second = np.zeros(len(pay_order), bool)
    second[1:] = pay_order[1:] == pay_order[:-1]
    share = rng.uniform(0.2, 0.8, n_orders)
    first_amount = np.where(payments == 2, np.round(grand_total * share, 2), grand_total)
    amount = np.where(
        second,
        np.round(grand_total[pay_order] - first_amount[pay_order], 2),
        first_amount[pay_order],
    )
    method = pick(rng, PAYMENT_METHODS, PAYMENT_METHOD_SHARE, len(pay_order))
    method[second] = "gift_card"
    reference = "TX" + digits(rng, len(pay_order), 9) + digits(rng, len(pay_order), 9)
    out["sales_payment"] = to_frame({
        "id_sales_payment": np.arange(1, len(pay_order) + 1),
        "fk_sales_order": order_id[pay_order],
        "method": method,
        "amount": amount,
        "transaction_reference": nullify(rng, reference.to_numpy(), 0.3),
    })  # fmt: skip


def _shipments(rng: np.random.Generator, orders: _Orders, out: dict[str, pl.DataFrame]) -> None:
    """Shipments: after their order, delivered after shipped, 30 % with no order at all."""
    status, order_time, order_id = orders.status, orders.created_at, orders.order_id
    # Shipments: one per shipped order; 30 % of all shipments belong to no order (manual ones).
    shipped = np.flatnonzero(np.isin(status, ["shipped", "delivered", "closed", "returned"]))
    n_manual = round(len(shipped) * 0.3 / 0.7)
    ship_created = np.concatenate([
        order_time[shipped] + rng.integers(1_800, 72 * 3600, len(shipped)).astype("m8[s]"),
        _uniform_times(rng, n_manual),
    ])  # fmt: skip
    ship_order = np.concatenate([order_id[shipped].astype(object), np.full(n_manual, None)])
    delivered = np.concatenate([status[shipped] != "shipped", rng.random(n_manual) < 0.9])
    shipped_at = ship_created + rng.integers(3_600, 48 * 3600, len(ship_created)).astype("m8[s]")
    delivered_at = shipped_at + rng.integers(12 * 3600, 6 * 86_400, len(ship_created)).astype(
        "m8[s]"
    )
    by_time = np.argsort(ship_created, kind="stable")
    n_ship = len(by_time)
    carrier = pick(rng, CARRIERS, CARRIER_SHARE, n_ship)
    out["sales_shipment"] = to_frame({
        "id_sales_shipment": np.arange(1, n_ship + 1),
        "fk_sales_order": ship_order[by_time],
        "carrier": carrier,
        "tracking_code": pl.Series(carrier).str.to_uppercase().str.slice(0, 3)
        + digits(rng, n_ship, 8) + digits(rng, n_ship, 6),
        "created_at": ship_created[by_time],
        "shipped_at": shipped_at[by_time],
        "delivered_at": np.where(delivered, delivered_at, np.datetime64("NaT"))[by_time],
    })  # fmt: skip


def _customers(
    rng: np.random.Generator, pools: Pools, orders: _Orders, out: dict[str, pl.DataFrame]
) -> None:
    """Customers and their addresses (PII from the pools; default address filled later)."""
    n_customers = len(orders.per_customer)
    first_male, first_female, last_names = pools.first_male, pools.first_female, pools.last_names
    order_customer, order_time = orders.customer, orders.created_at
    orders_per_customer = orders.per_customer
    # Customers: signed up before their first order; names follow the gender; e-mails unique.
    gender = nullify(rng, pick(rng, GENDERS, [0.47, 0.5, 0.03], n_customers), 0.1)
    male = gender == "Male"
    female = gender == "Female"
    first_idx_m = rng.integers(0, len(first_male), n_customers)
    first_idx_f = rng.integers(0, len(first_female), n_customers)
    first = np.where(male | (~female & (rng.random(n_customers) < 0.5)),
                     first_male[first_idx_m], first_female[first_idx_f])  # fmt: skip
    last = last_names[rng.integers(0, len(last_names), n_customers)]
    first_order = np.full(n_customers, END, dtype="M8[s]")
    np.minimum.at(first_order, order_customer, order_time)
    lead = rng.exponential(120 * 86_400, n_customers).astype(np.int64).astype("m8[s]")
    signup_random = _uniform_times(rng, n_customers)
    created = np.where(orders_per_customer > 0, first_order - lead, signup_random)
    out["customer"] = to_frame({
        "id_customer": np.arange(1, n_customers + 1),
        "email": unique_emails(rng, first, last),
        "first_name": first,
        "last_name": last,
        "phone": nullify(rng, ("+49 1" + digits(rng, n_customers, 2) + " " + digits(
            rng, n_customers, 7)).to_numpy(), 0.2),
        "date_of_birth": nullify(rng, (np.datetime64("1950-01-01") + rng.integers(
            0, 56 * 365, n_customers).astype("m8[D]")).astype(object), 0.25),
        "gender": gender,
        "fk_locale": rng.choice(len(LOCALES), n_customers, p=LOCALE_SHARE) + 1,
        "created_at": created,
        "default_billing_address_id": pl.Series([None] * n_customers, dtype=pl.Int64),
    })  # fmt: skip

    # Addresses: 0-3 per customer; most carry the customer's own name.
    per_customer = rng.choice(4, n_customers, p=[0.08, 0.6, 0.25, 0.07])
    n_addresses = int(per_customer.sum())
    owner = np.repeat(np.arange(n_customers), per_customer)
    other_name = rng.random(n_addresses) < 0.1
    out["customer_address"] = to_frame({
        "id_customer_address": np.arange(1, n_addresses + 1),
        "fk_customer": owner + 1,
        "first_name": np.where(other_name,
                               first_female[rng.integers(0, len(first_female), n_addresses)],
                               first[owner]),
        "last_name": np.where(other_name, last_names[rng.integers(0, len(last_names), n_addresses)],
                              last[owner]),
        "street": pl.Series(pools.sample(rng, pools.streets, n_addresses)) + " "
        + pl.Series(rng.zipf(1.6, n_addresses).clip(1, 199)).cast(pl.String),
        "zip_code": digits(rng, n_addresses, 5),
        "city": pools.sample(rng, pools.cities, n_addresses),
        "country_iso2": pick(rng, COUNTRIES, COUNTRY_SHARE, n_addresses),
        "comment": nullify(rng, pools.sample(rng, pools.sentences, n_addresses), 0.9),
    })  # fmt: skip


def shop_rules() -> Rules:
    """The demo profile's ``rules:``: lookup tables keep their size at every ``--scale``."""
    return Rules(tables={name: TableRule(fixed=True) for name in LOOKUP_TABLES})


# ---------------------------------------------------------------------------------------------
# Loading


def _insert(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    for start in range(0, frame.height, INSERT_CHUNK_ROWS):
        conn.execute(table.insert(), frame.slice(start, INSERT_CHUNK_ROWS).to_dicts())


def build_shop(url: str, *, scale: float = 1.0, seed: int = 7) -> dict[str, int]:
    """Create and fill the demo shop in the empty database at *url*; return rows per table.

    Refuses a database that already holds one of the shop's tables: this builder never drops
    anything. The customer <-> address cycle is closed by one set-based UPDATE after both loads.
    """
    if scale <= 0:
        raise ConfigError(f"scale must be positive, got {scale}")
    engine = make_engine(url)
    try:
        existing = set(sa.inspect(engine).get_table_names()) & set(SHOP_TABLES)
        if existing:
            raise ConfigError(
                f"{safe_url(engine.url)} already has table(s) {', '.join(sorted(existing))}; "
                "the demo shop needs an empty database"
            )
        frames = _generate(scale, seed)
        metadata = shop_metadata()
        try:
            metadata.create_all(engine)
            with engine.begin() as conn:
                for name in SHOP_TABLES:
                    _insert(conn, metadata.tables[name], frames[name])
                customer = metadata.tables["customer"]
                address = metadata.tables["customer_address"]
                first_address = (
                    sa.select(sa.func.min(address.c.id_customer_address))
                    .where(address.c.fk_customer == customer.c.id_customer)
                    .scalar_subquery()
                )
                conn.execute(sa.update(customer).values(default_billing_address_id=first_address))
        except sa.exc.DBAPIError as exc:
            raise LoadError(
                f"building the demo shop in {safe_url(engine.url)} failed: {describe_db_error(exc)}"
            ) from None
        return {name: frames[name].height for name in SHOP_TABLES}
    finally:
        engine.dispose()
