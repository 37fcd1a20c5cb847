"""Four foreign schemas of the structure corpus, each written from a public description of its
kind, built on any SQLAlchemy URL (PostgreSQL, MariaDB, SQLite) with portable types.

- ``star_``: a retail star schema (Kimball's *The Data Warehouse Toolkit*, ch. 3-4): a date
  dimension keyed ``YYYYMMDD``, products, stores, promotions and customers; a sales fact whose
  promotion and customer FKs are mostly NULL (cash sales, no promotion), and a periodic
  inventory snapshot fact whose primary key is its three FKs (date, product, store).
- ``snow_``: a snowflake (the same book, ch. 3 "snowflaking"): days keyed by their Julian day
  number (2,460,311 for 2024-01-01) under months under quarters, products under subcategories
  under categories, and a sales fact keyed by the Julian day.
- ``m2m_``: a many-to-many with both kinds of key: students (a surrogate id and a natural
  student number), courses keyed by their natural code (``CS101``), enrolments with their own
  surrogate id, unique per (student, course).
- ``ppl_``: a CRM account table whose people columns are called ``owner``, ``contact`` and
  ``manager`` (names found by their values, not their column names).

Each builder is deterministic (seeded) and small (a few thousand rows), so a round trip stays
fast; the tests and ``benchmarks/parity_corpus.py`` share them.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

SCHEMAS = {
    "star schema (snapshot fact, NULL FKs)": "star_",
    "snowflake (Julian-day keys)": "snow_",
    "many-to-many (surrogate + natural key)": "m2m_",
    "people (owner, contact, manager)": "ppl_",
}
"""Schema name -> prefix of its tables."""

FIRST = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
         "Mark", "Sandra", "Donald", "Ashley", "Steven", "Emily", "Paul", "Donna")  # fmt: skip
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
        "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King")  # fmt: skip
"""The most common given and family names of the US census (public lists)."""

JULIAN_OFFSET = 1_721_425
"""``date.toordinal() + JULIAN_OFFSET`` is the Julian day number (2024-01-01 -> 2460311)."""


def _star(meta: sa.MetaData, rng: random.Random) -> dict[str, list[dict]]:
    t = sa.Table
    c = sa.Column
    t("star_dim_date", meta, c("date_key", sa.Integer, primary_key=True, autoincrement=False),
      c("full_date", sa.Date, nullable=False), c("month_name", sa.String(12), nullable=False),
      c("is_weekend", sa.Boolean, nullable=False))  # fmt: skip
    t("star_product", meta, c("product_id", sa.Integer, primary_key=True, autoincrement=False),
      c("sku", sa.String(12), nullable=False, unique=True),
      c("category", sa.String(20), nullable=False),
      c("list_price", sa.Numeric(8, 2), nullable=False))  # fmt: skip
    t(
        "star_store",
        meta,
        c("store_id", sa.Integer, primary_key=True, autoincrement=False),
        c("store_name", sa.String(30), nullable=False),
        c("region", sa.String(10), nullable=False),
    )
    t("star_promotion", meta, c("promotion_id", sa.Integer, primary_key=True,
      autoincrement=False), c("promo_name", sa.String(30), nullable=False),
      c("discount_pct", sa.Numeric(4, 1), nullable=False))  # fmt: skip
    t(
        "star_customer",
        meta,
        c("customer_id", sa.Integer, primary_key=True, autoincrement=False),
        c("segment", sa.String(12), nullable=False),
        c("joined_on", sa.Date, nullable=False),
    )
    t("star_sales", meta, c("sale_id", sa.Integer, primary_key=True, autoincrement=False),
      c("date_key", sa.Integer, sa.ForeignKey("star_dim_date.date_key"), nullable=False),
      c("product_id", sa.Integer, sa.ForeignKey("star_product.product_id"), nullable=False),
      c("store_id", sa.Integer, sa.ForeignKey("star_store.store_id"), nullable=False),
      c("promotion_id", sa.Integer, sa.ForeignKey("star_promotion.promotion_id")),
      c("customer_id", sa.Integer, sa.ForeignKey("star_customer.customer_id")),
      c("quantity", sa.Integer, nullable=False),
      c("net_amount", sa.Numeric(10, 2), nullable=False))  # fmt: skip
    t("star_inventory", meta,
      c("date_key", sa.Integer, sa.ForeignKey("star_dim_date.date_key"), primary_key=True),
      c("product_id", sa.Integer, sa.ForeignKey("star_product.product_id"), primary_key=True),
      c("store_id", sa.Integer, sa.ForeignKey("star_store.store_id"), primary_key=True),
      c("on_hand", sa.Integer, nullable=False))  # fmt: skip
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(120)]
    keys = [int(d.strftime("%Y%m%d")) for d in days]
    rows: dict[str, list[dict]] = {
        "star_dim_date": [{"date_key": k, "full_date": d, "month_name": d.strftime("%B"),
                           "is_weekend": d.weekday() >= 5}
                          for k, d in zip(keys, days, strict=True)],
        "star_product": [{"product_id": p, "sku": f"SKU-{p:05d}",
                          "category": rng.choice(["grocery", "dairy", "bakery", "frozen"]),
                          "list_price": round(rng.uniform(0.5, 40), 2)} for p in range(1, 151)],
        "star_store": [{"store_id": s, "store_name": f"Store {s}", "region": r}
                       for s, r in ((1, "north"), (2, "north"), (3, "south"), (4, "west"))],
        "star_promotion": [{"promotion_id": i, "promo_name": f"Promo {i}",
                            "discount_pct": rng.choice([5, 10, 15, 20])} for i in range(1, 13)],
        "star_customer": [{"customer_id": i, "segment": rng.choice(["loyal", "new", "casual"]),
                           "joined_on": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0,
                           1400))} for i in range(1, 401)],
    }  # fmt: skip
    rows["star_sales"] = [
        {"sale_id": i, "date_key": rng.choice(keys),
         "product_id": 1 + int(150 * rng.random() ** 2), "store_id": rng.choice([1, 1, 2, 3, 4]),
         "promotion_id": rng.randint(1, 12) if rng.random() < 0.15 else None,
         "customer_id": 1 + int(400 * rng.random() ** 1.5) if rng.random() < 0.35 else None,
         "quantity": rng.randint(1, 6), "net_amount": round(rng.uniform(1, 120), 2)}
        for i in range(1, 3001)
    ]  # fmt: skip
    rows["star_inventory"] = [
        {"date_key": k, "product_id": p, "store_id": s, "on_hand": rng.randint(0, 300)}
        for k in keys[::7] for p in range(1, 61) for s in (1, 2, 3, 4) if rng.random() < 0.8
    ]  # fmt: skip
    return rows


def _snowflake(meta: sa.MetaData, rng: random.Random) -> dict[str, list[dict]]:
    t = sa.Table
    c = sa.Column
    t(
        "snow_quarter",
        meta,
        c("quarter_key", sa.Integer, primary_key=True, autoincrement=False),
        c("label", sa.String(8), nullable=False),
    )
    t(
        "snow_month",
        meta,
        c("month_key", sa.Integer, primary_key=True, autoincrement=False),
        c("month_name", sa.String(12), nullable=False),
        c("quarter_key", sa.Integer, sa.ForeignKey("snow_quarter.quarter_key"), nullable=False),
    )
    t(
        "snow_day",
        meta,
        c("day_key", sa.Integer, primary_key=True, autoincrement=False),
        c("calendar_date", sa.Date, nullable=False, unique=True),
        c("month_key", sa.Integer, sa.ForeignKey("snow_month.month_key"), nullable=False),
    )
    t(
        "snow_category",
        meta,
        c("category_id", sa.Integer, primary_key=True, autoincrement=False),
        c("name", sa.String(20), nullable=False),
    )
    t(
        "snow_subcategory",
        meta,
        c("subcategory_id", sa.Integer, primary_key=True, autoincrement=False),
        c("name", sa.String(20), nullable=False),
        c("category_id", sa.Integer, sa.ForeignKey("snow_category.category_id"), nullable=False),
    )
    t("snow_product", meta, c("product_id", sa.Integer, primary_key=True, autoincrement=False),
      c("name", sa.String(30), nullable=False),
      c("subcategory_id", sa.Integer, sa.ForeignKey("snow_subcategory.subcategory_id"),
        nullable=False))  # fmt: skip
    t(
        "snow_sales",
        meta,
        c("sale_id", sa.Integer, primary_key=True, autoincrement=False),
        c("day_key", sa.Integer, sa.ForeignKey("snow_day.day_key"), nullable=False),
        c("product_id", sa.Integer, sa.ForeignKey("snow_product.product_id"), nullable=False),
        c("units", sa.Integer, nullable=False),
        c("revenue", sa.Numeric(10, 2), nullable=False),
    )
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    months = sorted({d.year * 100 + d.month for d in days})
    rows: dict[str, list[dict]] = {
        "snow_quarter": [{"quarter_key": 20230 + q, "label": f"2023-Q{q}"} for q in (1, 2, 3, 4)],
        "snow_month": [{"month_key": m, "month_name": dt.date(2023, m % 100, 1).strftime("%B"),
                        "quarter_key": 20230 + (m % 100 - 1) // 3 + 1} for m in months],
        "snow_day": [{"day_key": d.toordinal() + JULIAN_OFFSET, "calendar_date": d,
                      "month_key": d.year * 100 + d.month} for d in days],
        "snow_category": [{"category_id": i, "name": n} for i, n in
                          enumerate(["audio", "video", "home", "garden"], 1)],
        "snow_subcategory": [{"subcategory_id": i, "name": f"sub {i}",
                              "category_id": 1 + (i - 1) % 4} for i in range(1, 17)],
        "snow_product": [{"product_id": i, "name": f"product {i}",
                          "subcategory_id": rng.randint(1, 16)} for i in range(1, 201)],
    }  # fmt: skip
    rows["snow_sales"] = [
        {"sale_id": i, "day_key": rng.choice(days[100:]).toordinal() + JULIAN_OFFSET
         if rng.random() < 0.7 else rng.choice(days).toordinal() + JULIAN_OFFSET,
         "product_id": 1 + int(200 * rng.random() ** 1.8), "units": rng.randint(1, 9),
         "revenue": round(rng.uniform(5, 500), 2)}
        for i in range(1, 2501)
    ]  # fmt: skip
    return rows


def _many_to_many(meta: sa.MetaData, rng: random.Random) -> dict[str, list[dict]]:
    t = sa.Table
    c = sa.Column
    t(
        "m2m_student",
        meta,
        c("id", sa.Integer, primary_key=True, autoincrement=False),
        c("student_no", sa.String(8), nullable=False, unique=True),
        c("enrolled_year", sa.Integer, nullable=False),
    )
    t(
        "m2m_course",
        meta,
        c("code", sa.String(8), primary_key=True),
        c("title", sa.String(40), nullable=False),
        c("credits", sa.Integer, nullable=False),
    )
    t("m2m_enrollment", meta, c("id", sa.Integer, primary_key=True, autoincrement=False),
      c("student_id", sa.Integer, sa.ForeignKey("m2m_student.id"), nullable=False),
      c("course_code", sa.String(8), sa.ForeignKey("m2m_course.code"), nullable=False),
      c("grade", sa.String(2)),
      sa.UniqueConstraint("student_id", "course_code"))  # fmt: skip
    subjects = ["CS", "MA", "PH", "CH", "BI", "EC", "HI", "EN"]
    codes = [f"{s}{n}" for s in subjects for n in (101, 102, 201, 202, 301)]
    rows: dict[str, list[dict]] = {
        "m2m_student": [{"id": 1000 + i, "student_no": f"S{i:06d}",
                         "enrolled_year": rng.randint(2019, 2024)} for i in range(1, 601)],
        "m2m_course": [{"code": code, "title": f"Course {code}", "credits": rng.choice([3, 4, 6])}
                       for code in codes],
    }  # fmt: skip
    enrollments = []
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(codes))]
    for i in range(1, 601):
        for code in set(rng.choices(codes, weights, k=rng.randint(1, 8))):
            enrollments.append({"id": len(enrollments) + 1, "student_id": 1000 + i,
                                "course_code": code,
                                "grade": None if rng.random() < 0.1 else rng.choice(
                                    ["A", "B", "B", "C", "C", "D", "F"])})  # fmt: skip
    rows["m2m_enrollment"] = enrollments
    return rows


def _people(meta: sa.MetaData, rng: random.Random) -> dict[str, list[dict]]:
    c = sa.Column
    sa.Table("ppl_account", meta, c("id", sa.Integer, primary_key=True, autoincrement=False),
             c("account_name", sa.String(40), nullable=False),
             c("owner", sa.String(60), nullable=False), c("contact", sa.String(60)),
             c("manager", sa.String(60)), c("tier", sa.String(8), nullable=False),
             c("opened_on", sa.Date, nullable=False))  # fmt: skip

    def person() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    managers = [person() for _ in range(25)]
    return {
        "ppl_account": [
            {"id": i, "account_name": f"Account {i:04d}", "owner": person(),
             "contact": person() if rng.random() < 0.8 else None,
             "manager": rng.choice(managers) if rng.random() < 0.9 else None,
             "tier": rng.choice(["gold", "silver", "bronze"]),
             "opened_on": dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))}
            for i in range(1, 1201)
        ]
    }  # fmt: skip


BUILDERS = {"star_": _star, "snow_": _snowflake, "m2m_": _many_to_many, "ppl_": _people}


def build_corpus(url: str, prefixes: tuple[str, ...] = tuple(BUILDERS)) -> None:
    """Create the corpus schemas named by *prefixes* in the (empty) database at *url*."""
    meta = sa.MetaData()
    rows: dict[str, list[dict]] = {}
    for prefix in prefixes:
        rows.update(BUILDERS[prefix](meta, random.Random(len(prefix) * 7 + ord(prefix[0]))))
    engine = sa.create_engine(url)
    try:
        meta.create_all(engine)
        with engine.begin() as conn:
            for table in meta.sorted_tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()


def orphan_counts(url: str, prefixes: tuple[str, ...] = tuple(BUILDERS)) -> dict[str, int]:
    """Child rows whose (non-NULL) FK finds no parent, per ``table.column`` of the corpus."""
    engine = sa.create_engine(url)
    out: dict[str, int] = {}
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                if not table.name.startswith(prefixes):
                    continue
                for fk in table.foreign_keys:
                    parent = fk.column.table
                    query = (
                        sa.select(sa.func.count())
                        .select_from(table.outerjoin(parent, fk.parent == fk.column))
                        .where(fk.parent.is_not(None), fk.column.is_(None))
                    )
                    out[f"{table.name}.{fk.parent.name}"] = int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()
    return out
