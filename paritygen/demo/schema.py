"""The demo shop's schema: portable SQLAlchemy Core metadata, the same on every database.

Enums are native on PostgreSQL and MariaDB and become CHECK IN-lists on SQLite
(``create_constraint=True``); the customer -> default address FK is ``use_alter`` so the cycle
can be created and dropped on every database.
"""

from __future__ import annotations

import sqlalchemy as sa

GENDERS = ["Male", "Female", "Diverse"]
ORDER_STATUSES = [
    "new", "payment_pending", "paid", "shipped", "delivered", "closed", "cancelled", "returned",
]  # fmt: skip
PAYMENT_METHODS = ["credit_card", "paypal", "invoice", "prepayment", "sofort", "gift_card"]

SHOP_TABLES = (
    "locale", "currency", "warehouse", "product_category", "product_abstract", "product_concrete",
    "price_product", "stock", "customer", "customer_address", "sales_order", "sales_order_item",
    "sales_payment", "sales_shipment",
)  # fmt: skip
"""Tables in dependency order (the customer <-> address cycle is closed by an UPDATE)."""


def shop_metadata() -> sa.MetaData:
    """The shop's schema as portable SQLAlchemy Core metadata (SQLite, PostgreSQL, MariaDB)."""
    md = sa.MetaData()
    money = sa.Numeric(12, 2)
    sa.Table(
        "locale", md,
        sa.Column("id_locale", sa.Integer, primary_key=True),
        sa.Column("locale_name", sa.String(5), nullable=False, unique=True),
        sa.Column("is_active", sa.Boolean, nullable=False),
    )  # fmt: skip
    sa.Table(
        "currency", md,
        sa.Column("code", sa.String(3), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("symbol", sa.String(5), nullable=False),
    )  # fmt: skip
    sa.Table(
        "warehouse", md,
        sa.Column("id_warehouse", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False, unique=True),
        sa.Column("is_active", sa.Boolean, nullable=False),
    )  # fmt: skip
    sa.Table(
        "product_category", md,
        sa.Column("id_category", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("product_category.id_category")),
        sa.Column("category_key", sa.String(60), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("depth", sa.SmallInteger, nullable=False),
        sa.CheckConstraint("depth >= 0 AND depth <= 5", name="ck_category_depth"),
    )  # fmt: skip
    sa.Table(
        "product_abstract", md,
        sa.Column("id_product_abstract", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(16), nullable=False, unique=True),
        sa.Column("fk_category", sa.Integer, sa.ForeignKey("product_category.id_category"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "product_concrete", md,
        sa.Column("id_product", sa.Integer, primary_key=True),
        sa.Column("fk_product_abstract", sa.Integer,
                  sa.ForeignKey("product_abstract.id_product_abstract"), nullable=False,
                  index=True),
        sa.Column("sku", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
    )  # fmt: skip
    sa.Table(
        "price_product", md,
        sa.Column("fk_product", sa.Integer, sa.ForeignKey("product_concrete.id_product"),
                  primary_key=True),
        sa.Column("currency_code", sa.String(3), sa.ForeignKey("currency.code"), primary_key=True),
        sa.Column("gross_price", money, nullable=False),
        sa.Column("net_price", money, nullable=False),
        sa.CheckConstraint("net_price >= 0 AND gross_price >= net_price", name="ck_price_order"),
    )  # fmt: skip
    sa.Table(
        "stock", md,
        sa.Column("fk_warehouse", sa.Integer, sa.ForeignKey("warehouse.id_warehouse"),
                  primary_key=True),
        sa.Column("fk_product", sa.Integer, sa.ForeignKey("product_concrete.id_product"),
                  primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("is_never_out_of_stock", sa.Boolean, nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_stock_quantity"),
    )  # fmt: skip
    sa.Table(
        "customer", md,
        sa.Column("id_customer", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("first_name", sa.String(60), nullable=False),
        sa.Column("last_name", sa.String(60), nullable=False, index=True),
        sa.Column("phone", sa.String(24)),
        sa.Column("date_of_birth", sa.Date),
        sa.Column("gender", sa.Enum(*GENDERS, name="customer_gender", create_constraint=True)),
        sa.Column("fk_locale", sa.Integer, sa.ForeignKey("locale.id_locale"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        # The nullable edge of the cycle: created after both tables, filled after the addresses.
        sa.Column("default_billing_address_id", sa.Integer,
                  sa.ForeignKey("customer_address.id_customer_address", use_alter=True,
                                name="fk_customer_default_billing_address")),
    )  # fmt: skip
    sa.Table(
        "customer_address", md,
        sa.Column("id_customer_address", sa.Integer, primary_key=True),
        sa.Column("fk_customer", sa.Integer, sa.ForeignKey("customer.id_customer"),
                  nullable=False, index=True),
        sa.Column("first_name", sa.String(60), nullable=False),
        sa.Column("last_name", sa.String(60), nullable=False),
        sa.Column("street", sa.String(120), nullable=False),
        sa.Column("zip_code", sa.String(10), nullable=False),
        sa.Column("city", sa.String(80), nullable=False),
        sa.Column("country_iso2", sa.String(2), nullable=False),
        sa.Column("comment", sa.Text),
    )  # fmt: skip
    sa.Table(
        "sales_order", md,
        sa.Column("id_sales_order", sa.Integer, primary_key=True),
        sa.Column("order_reference", sa.String(32), nullable=False, unique=True),
        sa.Column("fk_customer", sa.Integer, sa.ForeignKey("customer.id_customer"),
                  nullable=False, index=True),
        sa.Column("status", sa.Enum(*ORDER_STATUSES, name="order_status", create_constraint=True),
                  nullable=False),
        sa.Column("currency_code", sa.String(3), sa.ForeignKey("currency.code"), nullable=False),
        sa.Column("grand_total", money, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("note", sa.Text),
        sa.CheckConstraint("grand_total >= 0", name="ck_order_grand_total"),
    )  # fmt: skip
    sa.Table(
        "sales_order_item", md,
        sa.Column("fk_sales_order", sa.Integer, sa.ForeignKey("sales_order.id_sales_order"),
                  primary_key=True),
        sa.Column("line_no", sa.SmallInteger, primary_key=True),
        sa.Column("fk_product", sa.Integer, nullable=False, index=True),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("price", money, nullable=False),
        sa.ForeignKeyConstraint(["fk_product", "currency_code"],
                                ["price_product.fk_product", "price_product.currency_code"],
                                name="fk_item_price"),
        sa.CheckConstraint("price >= 0", name="ck_item_price"),
        sa.CheckConstraint("quantity > 0", name="ck_item_quantity"),
    )  # fmt: skip
    sa.Table(
        "sales_payment", md,
        sa.Column("id_sales_payment", sa.Integer, primary_key=True),
        sa.Column("fk_sales_order", sa.Integer, sa.ForeignKey("sales_order.id_sales_order"),
                  nullable=False, index=True),
        sa.Column("method", sa.Enum(*PAYMENT_METHODS, name="payment_method",
                                    create_constraint=True), nullable=False),
        sa.Column("amount", money, nullable=False),
        sa.Column("transaction_reference", sa.String(40)),
        sa.CheckConstraint("amount >= 0", name="ck_payment_amount"),
    )  # fmt: skip
    sa.Table(
        "sales_shipment", md,
        sa.Column("id_sales_shipment", sa.Integer, primary_key=True),
        sa.Column("fk_sales_order", sa.Integer, sa.ForeignKey("sales_order.id_sales_order"),
                  index=True),
        sa.Column("carrier", sa.String(20), nullable=False),
        sa.Column("tracking_code", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("shipped_at", sa.DateTime, nullable=False),
        sa.Column("delivered_at", sa.DateTime),
        sa.CheckConstraint("shipped_at >= created_at", name="ck_shipment_shipped"),
        sa.CheckConstraint("delivered_at >= shipped_at", name="ck_shipment_delivered"),
    )  # fmt: skip
    return md
