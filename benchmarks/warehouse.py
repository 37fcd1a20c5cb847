"""The multi-table benchmark schema: a 24-table retail warehouse, built and filled as production.

Why a schema of our own: a single wide table hides what real schemas cost (per-table set-up,
per-column fixed costs, keys of many tables, text-heavy dimensions). This one is shaped like the
warehouses and shops users point paritygen at:

- one fact, ``sales`` (the ``fact_rows`` size, >= 1 M in the full run), with nine FKs, money,
  quantities, timestamps and a sparse free-text note;
- text-heavy dimensions with names, addresses and comments: ``customer`` (names, e-mail, phone,
  street, city, postal code, birth date, comment), ``customer_address``, ``supplier`` (company,
  contact, address, comment), ``review`` (title, long body), ``product`` (name, description),
  ``employee`` (names, a self-referencing manager);
- a few lookups kept verbatim by the profiler (region, country, currency, channel, ...), a date
  dimension keyed 20210101-style, and children of the fact (``shipment``, ``sales_return``).

The rows are made here with seeded numpy/polars draws (not by paritygen: the benchmark profiles
them as a stranger's production), written once as tab-separated files (``\\N`` for NULL, no tab,
newline or backslash inside values, so PostgreSQL's text COPY and MariaDB's LOAD DATA read the
same file), and loaded with the servers' own clients. ``--many`` builds ten copies of the schema
under prefixes with 1,000 rows per non-lookup table: 240 tables, the per-table fixed-cost case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

FIRST = (  # noqa: SIM905 - a word list reads best as words
    "Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga Paul"
    " Quentin Rosa Samuel Tara Ulrich Vera Walter Xenia Yusuf Zoe Amelie Bruno Chloe Dario"
    " Elena Fabian Gabriel Helena Isabel Jakob Katharina Lukas Marie Niklas Oliver Pia Rafael"
    " Sofia Timo Ursula Valentin Wilhelmina Aaliyah Bartholomew Christopher Dominique"
    " Evangeline"
).split()
LAST = (  # noqa: SIM905 - a word list reads best as words
    "Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter"
    " Klein Wolf Schroeder Neumann Schwarz Zimmermann Braun Kruger Hofmann Hartmann Lange"
    " Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Kohler Herrmann Konig Walter"
    " Mayer Huber Kaiser Fuchs Peters Lang Scholz Moller Weiss Jung Hahn Schubert Vogel"
    " Friedrich Keller-Gunther Van-der-Berg Oppenheimer Dubois Martin Bernard Garcia Rossi"
    " Smith Johnson"
).split()
CITIES = (  # noqa: SIM905 - a word list reads best as words
    "Berlin Hamburg Munich Cologne Frankfurt Stuttgart Dusseldorf Leipzig Dortmund Essen"
    " Bremen Dresden Hanover Nuremberg Paris Marseille Lyon Toulouse Nice Nantes Strasbourg"
    " Bordeaux Lille London Birmingham Manchester Leeds Glasgow Liverpool Bristol Edinburgh"
    " Amsterdam Rotterdam Utrecht Madrid Barcelona Valencia Seville Vienna Graz Zurich Geneva"
    " Basel Brussels Antwerp Copenhagen Stockholm Oslo Helsinki Warsaw Prague Budapest Lisbon"
    " Porto"
).split()
STREETS = (  # noqa: SIM905 - a word list reads best as words
    "Main Oak Maple Cedar Elm Pine Lake Hill Park Garden Church Mill School Station Market"
    " Bridge Castle River Forest Meadow Harbour Victoria King Queen Baker Linden Birch Rose"
).split()
STREET_KINDS = ["Street", "Road", "Avenue", "Lane", "Way", "Strasse", "Allee", "Platz"]
WORDS = (  # noqa: SIM905 - a word list reads best as words
    "the a and to of in is it for on with as was this that but not very good great bad item"
    " order delivery arrived late early quality price value box package broken works fine"
    " customer service support refund return exchange size colour color fit small large"
    " recommend again never always would could should ordered received missing damaged perfect"
    " excellent poor average quick slow shipping tracking number address changed please call"
    " before leave door neighbour reception weekend invoice discount voucher gift wrapped"
    " birthday fragile handle care contact email phone request cancel update product"
    " description photo material cotton leather steel wood plastic glass battery charger cable"
    " warranty manual instructions assembly parts screws easy hard difficult"
).split()
DOMAINS = ["example.com", "mail.example.org", "post.example.net", "corp.example.de", "web.test"]
COMPANY_KINDS = ["GmbH", "Ltd", "SA", "BV", "AG", "Inc", "SARL", "Oy", "AB", "KG"]
START = dt.datetime(2021, 1, 1)
DAYS = 4 * 365 + 1


@dataclass(frozen=True)
class Spec:
    """One table: its columns (SQLAlchemy), its size as a function of the fact size, its rows."""

    name: str
    columns: Callable[[sa.MetaData, str], list[sa.schema.SchemaItem]]
    size: Callable[[int], int]
    lookup: bool
    make: Callable[[np.random.Generator, int, dict[str, int], str], pl.DataFrame]


# -- value helpers -------------------------------------------------------------------------------
def pick(rng: np.random.Generator, values: list[str], n: int, skew: float = 0.0) -> np.ndarray:
    """n draws from *values*, Zipf-skewed by *skew* (0 = uniform)."""
    weights = 1.0 / np.arange(1, len(values) + 1) ** skew
    return np.asarray(values, dtype=object)[
        rng.choice(len(values), size=n, p=weights / weights.sum())
    ]


def text(rng: np.random.Generator, n: int, mean_words: float, max_chars: int) -> pl.Series:
    """Free text of log-normal word counts (comments, review bodies), cut to *max_chars*."""
    counts = np.clip(np.round(rng.lognormal(np.log(mean_words), 0.6, n)), 1, None).astype(np.int64)
    words = np.asarray(WORDS, dtype=object)[rng.integers(0, len(WORDS), int(counts.sum()))]
    frame = pl.DataFrame({"g": np.repeat(np.arange(n), counts), "w": words.astype(str)})
    joined = frame.group_by("g", maintain_order=True).agg(pl.col("w").str.join(" "))["w"]
    return joined.str.slice(0, max_chars)


def with_nulls(rng: np.random.Generator, series: pl.Series, fraction: float) -> pl.Series:
    keep = pl.Series(rng.random(len(series)) >= fraction)
    return series.zip_with(
        keep, pl.Series([None], dtype=series.dtype).extend_constant(None, len(series) - 1)
    )


def fk(rng: np.random.Generator, parents: int, n: int, skew: float = 1.1) -> np.ndarray:
    """FK values 1..parents with a heavy head (log-normal weights, older keys heavier)."""
    weights = rng.lognormal(0.0, skew, parents) * np.linspace(1.5, 0.5, parents)
    return rng.choice(parents, size=n, p=weights / weights.sum()) + 1


def timestamps(rng: np.random.Generator, n: int, growth: float = 1.6) -> pl.Series:
    seconds = (DAYS * 86400 * rng.random(n) ** (1.0 / growth)).astype(np.int64)
    return pl.Series(
        (np.datetime64(START, "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    )


def names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return pick(rng, FIRST, n, 0.6), pick(rng, LAST, n, 0.5)


def street(rng: np.random.Generator, n: int) -> pl.Series:
    return pl.Series(
        [
            f"{num} {s} {k}"
            for num, s, k in zip(
                rng.integers(1, 400, n),
                pick(rng, STREETS, n),
                pick(rng, STREET_KINDS, n),
                strict=True,
            )
        ]
    )


def email(first: np.ndarray, last: np.ndarray, ids: np.ndarray, rng: np.random.Generator) -> list:
    domains = pick(rng, DOMAINS, len(ids), 1.0)
    return [
        f"{f.lower()}.{x.lower()}{i}@{d}"
        for f, x, i, d in zip(first, last, ids, domains, strict=True)
    ]


def phone(rng: np.random.Generator, n: int) -> list[str]:
    area, number = rng.integers(20, 99, n), rng.integers(1_000_000, 99_999_999, n)
    return [f"+49 {a} {b}" for a, b in zip(area, number, strict=True)]


def ids(n: int) -> np.ndarray:
    return np.arange(1, n + 1)


def money(rng: np.random.Generator, n: int, median: float, sigma: float = 0.8) -> np.ndarray:
    return np.round(rng.lognormal(np.log(median), sigma, n), 2)


# -- the tables ----------------------------------------------------------------------------------
def _ref(prefix: str, table: str) -> str:
    return f"{prefix}{table}.id"


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)


def _lookup(name: str, labels: list[str]) -> Spec:
    def columns(_m: sa.MetaData, _p: str) -> list:
        return [_id(), sa.Column("code", sa.String(16), nullable=False, unique=True),
                sa.Column("label", sa.String(64), nullable=False)]  # fmt: skip

    def make(_rng: np.random.Generator, n: int, _s: dict, _p: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "id": ids(n),
                "code": [f"{name[:3].upper()}{i:03d}" for i in ids(n)],
                "label": [
                    labels[i % len(labels)] + ("" if i < len(labels) else f" {i}") for i in range(n)
                ],
            }  # fmt: skip
        )

    return Spec(name, columns, lambda _f: len(labels), True, make)


REGIONS = ["Northern Europe", "Western Europe", "Southern Europe", "Central Europe",
           "Eastern Europe", "British Isles", "North America", "Asia Pacific"]  # fmt: skip
LOOKUPS = [
    _lookup(
        "currency",
        [
            "Euro",
            "US Dollar",
            "Pound Sterling",
            "Swiss Franc",
            "Swedish Krona",
            "Danish Krone",
            "Norwegian Krone",
            "Polish Zloty",
            "Czech Koruna",
            "Hungarian Forint",
            "Japanese Yen",
            "Canadian Dollar",
        ],
    ),  # fmt: skip
    _lookup("channel", ["web", "mobile app", "store", "phone", "marketplace", "partner"]),
    _lookup(
        "payment_method",
        [
            "card",
            "paypal",
            "invoice",
            "direct debit",
            "gift card",
            "bank transfer",
            "cash",
            "voucher",
        ],
    ),  # fmt: skip
    _lookup(
        "order_status", ["new", "paid", "packed", "shipped", "delivered", "cancelled", "returned"]
    ),  # fmt: skip
    _lookup(
        "ship_mode",
        [
            "standard",
            "express",
            "overnight",
            "pickup",
            "freight",
            "locker",
            "same day",
            "economy",
            "international",
            "bulky",
        ],
    ),  # fmt: skip
    _lookup(
        "return_reason",
        [
            "too small",
            "too large",
            "damaged",
            "wrong item",
            "late",
            "not as described",
            "changed mind",
            "defective",
            "duplicate",
            "better price",
            "quality",
            "other",
        ],
    ),  # fmt: skip
    _lookup(
        "product_category",
        [
            f"{a} {b}"
            for a in ("Home", "Garden", "Kitchen", "Office", "Sports")
            for b in (
                "Basics",
                "Premium",
                "Tools",
                "Decor",
                "Care",
                "Storage",
                "Lighting",
                "Textiles",
            )
        ],
    ),  # fmt: skip
]


def _region() -> Spec:
    def columns(_m: sa.MetaData, _p: str) -> list:
        return [_id(), sa.Column("name", sa.String(40), nullable=False, unique=True)]

    def make(_r: np.random.Generator, n: int, _s: dict, _p: str) -> pl.DataFrame:
        return pl.DataFrame({"id": ids(n), "name": REGIONS[:n]})

    return Spec("region", columns, lambda _f: len(REGIONS), True, make)


def _country() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("iso_code", sa.CHAR(2), nullable=False, unique=True),
                sa.Column("name", sa.String(60), nullable=False),
                sa.Column("region_id", sa.Integer, sa.ForeignKey(_ref(p, "region")),
                          nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        codes = [chr(65 + i // 26) + chr(65 + i % 26) for i in range(n)]
        return pl.DataFrame({"id": ids(n), "iso_code": codes,
                             "name": [f"Country {c}" for c in codes],
                             "region_id": rng.integers(1, s["region"] + 1, n)})  # fmt: skip

    return Spec("country", columns, lambda _f: 60, True, make)


def _brand() -> Spec:
    def columns(_m: sa.MetaData, _p: str) -> list:
        return [_id(), sa.Column("name", sa.String(60), nullable=False),
                sa.Column("premium", sa.Boolean, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, _s: dict, _p: str) -> pl.DataFrame:
        syll = ["nor", "wick", "al", "tra", "ven", "lux", "do", "ka", "mi", "ro", "zen", "fa"]
        parts = rng.integers(0, len(syll), (n, 3))
        brand = ["".join(syll[j] for j in row).capitalize() + f" {i}" for i, row in
                 enumerate(parts)]  # fmt: skip
        return pl.DataFrame({"id": ids(n), "name": brand, "premium": rng.random(n) < 0.2})

    return Spec("brand", columns, lambda _f: 300, True, make)


def _date_dim() -> Spec:
    def columns(_m: sa.MetaData, _p: str) -> list:
        return [sa.Column("date_key", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("day", sa.Date, nullable=False, unique=True),
                sa.Column("year", sa.SmallInteger, nullable=False),
                sa.Column("month", sa.SmallInteger, nullable=False),
                sa.Column("weekday", sa.SmallInteger, nullable=False),
                sa.Column("holiday", sa.Boolean, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, _s: dict, _p: str) -> pl.DataFrame:
        days = pl.date_range(START.date(), START.date() + dt.timedelta(days=n - 1), eager=True)
        return pl.DataFrame({"day": days}).select(
            (pl.col("day").dt.strftime("%Y%m%d").cast(pl.Int32)).alias("date_key"), "day",
            pl.col("day").dt.year().cast(pl.Int16).alias("year"),
            pl.col("day").dt.month().cast(pl.Int16).alias("month"),
            pl.col("day").dt.weekday().cast(pl.Int16).alias("weekday"),
            pl.Series("holiday", rng.random(n) < 0.03),
        )  # fmt: skip

    return Spec("date_dim", columns, lambda _f: DAYS, True, make)


def date_keys(rng: np.random.Generator, n: int) -> np.ndarray:
    day = np.datetime64(START.date()) + (DAYS * rng.random(n) ** (1 / 1.6)).astype("timedelta64[D]")
    text_days = np.datetime_as_string(day, unit="D")
    return np.char.replace(text_days, "-", "").astype(np.int32)


def _person_columns(p: str) -> list:
    return [sa.Column("first_name", sa.String(60), nullable=False),
            sa.Column("last_name", sa.String(60), nullable=False),
            sa.Column("email", sa.String(120), nullable=False),
            sa.Column("phone", sa.String(30)),
            sa.Column("street", sa.String(120), nullable=False),
            sa.Column("city", sa.String(60), nullable=False),
            sa.Column("postal_code", sa.String(12), nullable=False),
            sa.Column("country_id", sa.Integer, sa.ForeignKey(_ref(p, "country")),
                      nullable=False)]  # fmt: skip


def _person_values(rng: np.random.Generator, n: int, s: dict) -> dict:
    first, last = names(rng, n)
    return {"first_name": first.astype(str), "last_name": last.astype(str),
            "email": email(first, last, ids(n), rng),
            "phone": with_nulls(rng, pl.Series(phone(rng, n)), 0.2),
            "street": street(rng, n), "city": pick(rng, CITIES, n, 0.9).astype(str),
            "postal_code": [f"{x:05d}" for x in rng.integers(1000, 99999, n)],
            "country_id": fk(rng, s["country"], n, 1.5)}  # fmt: skip


def _customer() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), *_person_columns(p),
                sa.Column("birth_date", sa.Date),
                sa.Column("created_at", sa.DateTime, nullable=False),
                sa.Column("comment", sa.Text),
                sa.Index(f"ix_{p}customer_last_name", "last_name"),
                sa.UniqueConstraint("email", name=f"uq_{p}customer_email")]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        born = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, n).astype("timedelta64[D]")
        return pl.DataFrame({"id": ids(n), **_person_values(rng, n, s),
                             "birth_date": with_nulls(rng, pl.Series(born), 0.3),
                             "created_at": timestamps(rng, n, 1.3),
                             "comment": with_nulls(rng, text(rng, n, 12, 500), 0.7)})  # fmt: skip

    return Spec("customer", columns, lambda f: max(20, f // 25), False, make)


def _supplier() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("company", sa.String(120), nullable=False), *_person_columns(p),
                sa.Column("comment", sa.Text)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        parts = (pick(rng, LAST, n), pick(rng, WORDS, n), pick(rng, COMPANY_KINDS, n))
        company = [f"{a} {b} {k}" for a, b, k in zip(*parts, strict=True)]
        return pl.DataFrame({"id": ids(n), "company": [c.title() for c in company],
                             **_person_values(rng, n, s),
                             "comment": with_nulls(rng, text(rng, n, 25, 1000), 0.4)})  # fmt: skip

    return Spec("supplier", columns, lambda f: max(10, f // 500), False, make)


def _store() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("name", sa.String(80), nullable=False),
                sa.Column("street", sa.String(120), nullable=False),
                sa.Column("city", sa.String(60), nullable=False),
                sa.Column("country_id", sa.Integer, sa.ForeignKey(_ref(p, "country")),
                          nullable=False),
                sa.Column("opened", sa.Date, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        city = pick(rng, CITIES, n, 0.7).astype(str)
        opened = np.datetime64("2005-01-01") + rng.integers(0, 6000, n).astype("timedelta64[D]")
        return pl.DataFrame({"id": ids(n), "name": [f"{c} store {i}" for i, c in enumerate(city)],
                             "street": street(rng, n), "city": city,
                             "country_id": fk(rng, s["country"], n, 1.5),
                             "opened": opened})  # fmt: skip

    return Spec("store", columns, lambda f: max(5, min(400, f // 2500)), False, make)


def _warehouse() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("name", sa.String(80), nullable=False),
                sa.Column("city", sa.String(60), nullable=False),
                sa.Column("country_id", sa.Integer, sa.ForeignKey(_ref(p, "country")),
                          nullable=False),
                sa.Column("capacity", sa.Integer, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        city = pick(rng, CITIES, n).astype(str)
        return pl.DataFrame({"id": ids(n), "name": [f"DC {c} {i}" for i, c in enumerate(city)],
                             "city": city, "country_id": fk(rng, s["country"], n, 1.5),
                             "capacity": rng.integers(1000, 90000, n)})  # fmt: skip

    return Spec("warehouse", columns, lambda _f: 30, True, make)


def _promotion() -> Spec:
    def columns(_m: sa.MetaData, _p: str) -> list:
        return [_id(), sa.Column("name", sa.String(80), nullable=False),
                sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
                sa.Column("starts", sa.Date, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, _s: dict, _p: str) -> pl.DataFrame:
        starts = np.datetime64(START.date()) + rng.integers(0, DAYS, n).astype("timedelta64[D]")
        return pl.DataFrame({"id": ids(n), "name": [f"Promo {i:04d}" for i in ids(n)],
                             "discount_pct": np.round(rng.uniform(5, 50, n), 0),
                             "starts": starts})  # fmt: skip

    return Spec("promotion", columns, lambda _f: 500, True, make)


def _product() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("sku", sa.String(20), nullable=False, unique=True),
                sa.Column("name", sa.String(120), nullable=False),
                sa.Column("description", sa.Text),
                sa.Column("category_id", sa.Integer, sa.ForeignKey(_ref(p, "product_category")),
                          nullable=False),
                sa.Column("brand_id", sa.Integer, sa.ForeignKey(_ref(p, "brand")),
                          nullable=False),
                sa.Column("supplier_id", sa.Integer, sa.ForeignKey(_ref(p, "supplier")),
                          nullable=False),
                sa.Column("list_price", sa.Numeric(10, 2), nullable=False),
                sa.Column("weight_kg", sa.Float)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        name = [f"{a.title()} {b} {c}" for a, b, c in zip(pick(rng, WORDS, n),
                pick(rng, WORDS, n), rng.integers(1, 999, n), strict=True)]  # fmt: skip
        return pl.DataFrame({"id": ids(n), "sku": [f"SKU-{i:08d}" for i in ids(n) * 7],
                             "name": name, "description": with_nulls(rng, text(rng, n, 40, 2000),
                                                                     0.1),
                             "category_id": fk(rng, s["product_category"], n),
                             "brand_id": fk(rng, s["brand"], n),
                             "supplier_id": fk(rng, s["supplier"], n),
                             "list_price": money(rng, n, 25), "weight_kg":
                             with_nulls(rng, pl.Series(np.round(rng.gamma(2, 1.5, n), 3)), 0.2),
                             })  # fmt: skip

    return Spec("product", columns, lambda f: max(20, f // 50), False, make)


def _employee() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("first_name", sa.String(60), nullable=False),
                sa.Column("last_name", sa.String(60), nullable=False),
                sa.Column("email", sa.String(120), nullable=False, unique=True),
                sa.Column("store_id", sa.Integer, sa.ForeignKey(_ref(p, "store")),
                          nullable=False),
                sa.Column("manager_id", sa.Integer, sa.ForeignKey(_ref(p, "employee"))),
                sa.Column("hired", sa.Date, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        first, last = names(rng, n)
        manager = np.where(ids(n) <= max(1, n // 20), 0, rng.integers(1, max(2, n // 20), n))
        hired = np.datetime64("2010-01-01") + rng.integers(0, 5000, n).astype("timedelta64[D]")
        return pl.DataFrame({"id": ids(n), "first_name": first.astype(str),
                             "last_name": last.astype(str), "email": email(first, last, ids(n),
                                                                           rng),
                             "store_id": fk(rng, s["store"], n),
                             "manager_id": pl.Series(manager).replace(0, None),
                             "hired": hired})  # fmt: skip

    return Spec("employee", columns, lambda f: max(20, f // 1000), False, make)


def _customer_address() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("customer_id", sa.Integer, sa.ForeignKey(_ref(p, "customer")),
                                 nullable=False),
                sa.Column("kind", sa.String(10), nullable=False),
                sa.Column("recipient", sa.String(120), nullable=False),
                sa.Column("street", sa.String(120), nullable=False),
                sa.Column("city", sa.String(60), nullable=False),
                sa.Column("postal_code", sa.String(12), nullable=False),
                sa.Column("country_id", sa.Integer, sa.ForeignKey(_ref(p, "country")),
                          nullable=False),
                sa.Column("instructions", sa.String(400))]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        first, last = names(rng, n)
        return pl.DataFrame(
            {
                "id": ids(n),
                "customer_id": fk(rng, s["customer"], n, 0.5),
                "kind": pick(rng, ["shipping", "billing", "pickup"], n, 1.2).astype(str),
                "recipient": [f"{a} {b}" for a, b in zip(first, last, strict=True)],
                "street": street(rng, n),
                "city": pick(rng, CITIES, n, 0.9).astype(str),
                "postal_code": [f"{x:05d}" for x in rng.integers(1000, 99999, n)],
                "country_id": fk(rng, s["country"], n, 1.5),
                "instructions": with_nulls(rng, text(rng, n, 6, 400), 0.8),
            }
        )

    return Spec("customer_address", columns, lambda f: max(20, f // 20), False, make)


def _sales() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        def ref(col: str, table: str, nullable: bool = False, key: str = "id") -> sa.Column:
            return sa.Column(col, sa.Integer, sa.ForeignKey(f"{p}{table}.{key}"),
                             nullable=nullable)  # fmt: skip

        return [sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                ref("date_key", "date_dim", key="date_key"), ref("customer_id", "customer"),
                ref("product_id", "product"), ref("store_id", "store"),
                ref("channel_id", "channel"), ref("payment_method_id", "payment_method"),
                ref("promotion_id", "promotion", True), ref("currency_id", "currency"),
                ref("status_id", "order_status"),
                sa.Column("quantity", sa.SmallInteger, nullable=False),
                sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
                sa.Column("discount", sa.Numeric(10, 2), nullable=False),
                sa.Column("amount", sa.Numeric(12, 2), nullable=False),
                sa.Column("ordered_at", sa.DateTime, nullable=False),
                sa.Column("note", sa.String(300)),
                sa.Index(f"ix_{p}sales_ordered_at", "ordered_at")]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        quantity = np.clip(rng.geometric(0.55, n), 1, 50)
        price = money(rng, n, 25)
        discount = np.round(price * quantity * np.where(rng.random(n) < 0.2, 0.1, 0.0), 2)
        promo = with_nulls(rng, pl.Series(fk(rng, s["promotion"], n)), 0.85)
        return pl.DataFrame({"id": ids(n) + 1_000_000, "date_key": date_keys(rng, n),
                             "customer_id": fk(rng, s["customer"], n),
                             "product_id": fk(rng, s["product"], n, 1.4),
                             "store_id": fk(rng, s["store"], n),
                             "channel_id": fk(rng, s["channel"], n, 0.8),
                             "payment_method_id": fk(rng, s["payment_method"], n, 0.8),
                             "promotion_id": promo, "currency_id": fk(rng, s["currency"], n, 2.0),
                             "status_id": fk(rng, s["order_status"], n, 1.0),
                             "quantity": quantity, "unit_price": price, "discount": discount,
                             "amount": np.round(price * quantity - discount, 2),
                             "ordered_at": timestamps(rng, n),
                             "note": with_nulls(rng, text(rng, n, 8, 300), 0.85)})  # fmt: skip

    return Spec("sales", columns, lambda f: f, False, make)


def _review() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("product_id", sa.Integer, sa.ForeignKey(_ref(p, "product")),
                                 nullable=False),
                sa.Column("customer_id", sa.Integer, sa.ForeignKey(_ref(p, "customer")),
                          nullable=False),
                sa.Column("rating", sa.SmallInteger, nullable=False),
                sa.Column("title", sa.String(120)),
                sa.Column("body", sa.Text, nullable=False),
                sa.Column("created_at", sa.DateTime, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        rating = rng.choice([1, 2, 3, 4, 5], n, p=[0.08, 0.07, 0.12, 0.28, 0.45])
        return pl.DataFrame({"id": ids(n), "product_id": fk(rng, s["product"], n, 1.4),
                             "customer_id": fk(rng, s["customer"], n),
                             "rating": rating, "title": with_nulls(rng, text(rng, n, 4, 120),
                                                                   0.25),
                             "body": text(rng, n, 35, 4000),
                             "created_at": timestamps(rng, n)})  # fmt: skip

    return Spec("review", columns, lambda f: max(20, f // 20), False, make)


def _shipment() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("sales_id", sa.BigInteger, sa.ForeignKey(_ref(p, "sales")),
                                 nullable=False),
                sa.Column("ship_mode_id", sa.Integer, sa.ForeignKey(_ref(p, "ship_mode")),
                          nullable=False),
                sa.Column("warehouse_id", sa.Integer, sa.ForeignKey(_ref(p, "warehouse")),
                          nullable=False),
                sa.Column("tracking_code", sa.String(40), nullable=False),
                sa.Column("shipped_at", sa.DateTime, nullable=False),
                sa.Column("delivered_at", sa.DateTime)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        shipped = timestamps(rng, n)
        delivered = (
            shipped
            + pl.Series(rng.integers(3600, 10 * 86400, n)).cast(pl.Duration("us")) * 1_000_000
        )
        return pl.DataFrame({"id": ids(n), "sales_id": rng.choice(s["sales"], n, replace=False)
                             + 1_000_001, "ship_mode_id": fk(rng, s["ship_mode"], n, 1.5),
                             "warehouse_id": fk(rng, s["warehouse"], n),
                             "tracking_code": [f"TRK{x:012d}" for x in
                                               rng.integers(0, 10**12, n)],
                             "shipped_at": shipped,
                             "delivered_at": with_nulls(rng, delivered, 0.1)})  # fmt: skip

    return Spec("shipment", columns, lambda f: max(20, f // 25), False, make)


def _inventory() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("product_id", sa.Integer, sa.ForeignKey(_ref(p, "product")),
                                 nullable=False),
                sa.Column("warehouse_id", sa.Integer, sa.ForeignKey(_ref(p, "warehouse")),
                          nullable=False),
                sa.Column("on_hand", sa.Integer, nullable=False),
                sa.Column("counted_at", sa.DateTime, nullable=False)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "id": ids(n),
                "product_id": fk(rng, s["product"], n, 0.3),
                "warehouse_id": fk(rng, s["warehouse"], n),
                "on_hand": rng.poisson(40, n),
                "counted_at": timestamps(rng, n),
            }
        )

    return Spec("inventory", columns, lambda f: max(20, f // 50), False, make)


def _sales_return() -> Spec:
    def columns(_m: sa.MetaData, p: str) -> list:
        return [_id(), sa.Column("sales_id", sa.BigInteger, sa.ForeignKey(_ref(p, "sales")),
                                 nullable=False),
                sa.Column("reason_id", sa.Integer, sa.ForeignKey(_ref(p, "return_reason")),
                          nullable=False),
                sa.Column("returned_at", sa.DateTime, nullable=False),
                sa.Column("refund", sa.Numeric(12, 2), nullable=False),
                sa.Column("comment", sa.Text)]  # fmt: skip

    def make(rng: np.random.Generator, n: int, s: dict, _p: str) -> pl.DataFrame:
        return pl.DataFrame({"id": ids(n), "sales_id": rng.choice(s["sales"], n, replace=False)
                             + 1_000_001, "reason_id": fk(rng, s["return_reason"], n, 1.0),
                             "returned_at": timestamps(rng, n), "refund": money(rng, n, 30),
                             "comment": with_nulls(rng, text(rng, n, 15, 800), 0.5)})  # fmt: skip

    return Spec("sales_return", columns, lambda f: max(20, f // 50), False, make)


SPECS: list[Spec] = [
    _region(), _country(), *LOOKUPS, _brand(), _date_dim(), _promotion(), _warehouse(),
    _store(), _customer(), _supplier(), _product(), _employee(), _customer_address(), _sales(),
    _review(), _shipment(), _inventory(), _sales_return(),
]  # fmt: skip
"""In FK order (parents first): loading them in this order never needs checks switched off."""


# -- build ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Which copies of the schema and how many rows each table gets."""

    fact_rows: int
    copies: int = 1
    rows_per_table: int | None = None
    """``--many``: every non-lookup table gets this many rows (lookups keep theirs)."""

    def prefixes(self) -> list[str]:
        return [""] if self.copies == 1 else [f"s{i}_" for i in range(self.copies)]

    def sizes(self) -> dict[str, int]:
        if self.rows_per_table is None:
            return {s.name: s.size(self.fact_rows) for s in SPECS}
        return {s.name: s.size(0) if s.lookup else self.rows_per_table for s in SPECS}

    def tables(self) -> list[str]:
        """Every table name, parents before children."""
        return [p + s.name for p in self.prefixes() for s in SPECS]

    def total_rows(self) -> int:
        return sum(self.sizes().values()) * self.copies


def metadata(layout: Layout) -> sa.MetaData:
    meta = sa.MetaData()
    for prefix in layout.prefixes():
        for spec in SPECS:
            sa.Table(prefix + spec.name, meta, *spec.columns(meta, prefix))
    return meta


def write_files(layout: Layout, folder: Path, seed: int = 20261202) -> dict[str, Path]:
    """Every table's rows as a tab-separated file in *folder* (``\\N`` = NULL)."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = layout.sizes()
    files: dict[str, Path] = {}
    for copy, prefix in enumerate(layout.prefixes()):
        for number, spec in enumerate(SPECS):
            rng = np.random.default_rng([seed, copy, number])
            frame = spec.make(rng, sizes[spec.name], sizes, prefix)
            frame = frame.with_columns(
                pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean
            )
            path = folder / f"{prefix}{spec.name}.tsv"
            frame.write_csv(
                path, include_header=False, separator="\t", quote_style="never",
                null_value="\\N", datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d",
            )  # fmt: skip
            files[prefix + spec.name] = path
    return files
