"""The benchmark's production-shaped schema, built in code as a paritygen Profile.

Two tables: ``customers`` (the FK parent, 1 customer per 20 orders) and ``orders``, the
10-column table every figure in RESULTS.md is about:

| column      | shape                                                                 |
|-------------|-----------------------------------------------------------------------|
| id          | bigint PK, a sequence starting at 10,000 (keys keep production's range) |
| customer_id | FK to customers.id, skewed fan-out (15 % childless, heavy top 1 %)     |
| status      | 5 values, 62 / 18 / 10 / 6 / 4 %                                      |
| amount      | numeric(12,2), log-normal (median about 37)                            |
| currency    | char(3), 4 values                                                     |
| created_at  | timestamp, 2021-2025 with growing volume                              |
| email       | varchar(255), PII, shape statistics only                              |
| first_name  | varchar(64), PII                                                      |
| city        | varchar(64), about 2,000 values, the top 100 kept (non-PII)            |
| note        | text, 30 % NULL, 0-200 characters, PII free text                       |

The statistics are computed from seeded numpy draws of those distributions, so the profile is
what ``paritygen profile`` would have written for such a production table. ``build_profile(rows)``
makes the profile for an exact row count (customers scale with it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from paritygen.profile.io import write_profile
from paritygen.profile.model import (
    FORMAT,
    Column,
    ColumnStats,
    FanoutStats,
    ForeignKey,
    LengthStats,
    Profile,
    ShapeStats,
    Source,
    Table,
    ValueFrequency,
)
from paritygen.profile.values import from_number

ORDERS_PER_CUSTOMER = 20
STATUS = {"delivered": 0.62, "shipped": 0.18, "pending": 0.10, "cancelled": 0.06, "returned": 0.04}
CURRENCY = {"EUR": 0.55, "USD": 0.30, "GBP": 0.10, "CHF": 0.05}
COUNTRY = {"DE": 0.30, "FR": 0.20, "GB": 0.15, "US": 0.15, "NL": 0.08, "ES": 0.07, "CH": 0.05}
# 100 city names kept by the profiler (each seen >= k times); the long tail has ~1,900 more.
CITIES = [
    "Berlin",
    "Hamburg",
    "Munich",
    "Cologne",
    "Frankfurt",
    "Stuttgart",
    "Dusseldorf",
    "Leipzig",
    "Dortmund",
    "Essen",
    "Bremen",
    "Dresden",
    "Hanover",
    "Nuremberg",
    "Duisburg",
    "Bochum",
    "Wuppertal",
    "Bielefeld",
    "Bonn",
    "Munster",
    "Paris",
    "Marseille",
    "Lyon",
    "Toulouse",
    "Nice",
    "Nantes",
    "Strasbourg",
    "Montpellier",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Reims",
    "Toulon",
    "Grenoble",
    "Dijon",
    "Angers",
    "Nimes",
    "London",
    "Birmingham",
    "Manchester",
    "Leeds",
    "Glasgow",
    "Sheffield",
    "Liverpool",
    "Bristol",
    "Edinburgh",
    "Leicester",
    "Coventry",
    "Cardiff",
    "Belfast",
    "Nottingham",
    "Newcastle",
    "Brighton",
    "Hull",
    "Plymouth",
    "Amsterdam",
    "Rotterdam",
    "Utrecht",
    "Eindhoven",
    "Groningen",
    "Tilburg",
    "Almere",
    "Breda",
    "Nijmegen",
    "Madrid",
    "Barcelona",
    "Valencia",
    "Seville",
    "Zaragoza",
    "Malaga",
    "Murcia",
    "Palma",
    "Bilbao",
    "Alicante",
    "Cordoba",
    "Zurich",
    "Geneva",
    "Basel",
    "Lausanne",
    "Bern",
    "Winterthur",
    "Lucerne",
    "Lugano",
    "NewYork",
    "LosAngeles",
    "Chicago",
    "Houston",
    "Phoenix",
    "Philadelphia",
    "SanAntonio",
    "SanDiego",
    "Dallas",
    "Austin",
    "Jacksonville",
    "Columbus",
    "Charlotte",
    "Indianapolis",
    "Seattle",
    "Denver",
    "Boston",
    "Portland",
    "Atlanta",
]
START = dt.datetime(2021, 1, 1)
END = dt.datetime(2025, 12, 31, 23, 59, 59)
QUANTILE_POINTS = 101


def _quantiles(values: np.ndarray, points: int = QUANTILE_POINTS) -> np.ndarray:
    return np.quantile(values, np.linspace(0.0, 1.0, points))


def _zipf_shares(count: int, exponent: float, total: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum() * total


def _categorical(shares: dict[str, float]) -> tuple[ValueFrequency, ...]:
    return tuple(ValueFrequency(value=k, frequency=v) for k, v in shares.items())


def _length_stats(lengths: np.ndarray) -> LengthStats:
    return LengthStats(
        min=int(lengths.min()),
        max=int(lengths.max()),
        mean=float(lengths.mean()),
        quantiles=tuple(float(q) for q in _quantiles(lengths, 21)),
    )


def _timestamps(rng: np.random.Generator, size: int, growth: float) -> np.ndarray:
    """Seconds since the epoch between START and END, denser towards END (business growth)."""
    start = (START - dt.datetime(1970, 1, 1)).total_seconds()
    end = (END - dt.datetime(1970, 1, 1)).total_seconds()
    return start + (end - start) * rng.random(size) ** (1.0 / growth)


def _key_column(name: str, rows: int, first: int) -> Column:
    return Column(
        name=name,
        logical_type="integer",
        sql_type="bigint",
        nullable=False,
        autoincrement=True,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=rows,
            min=first,
            max=first + rows - 1,
            quantiles=tuple(int(q) for q in np.linspace(first, first + rows - 1, QUANTILE_POINTS)),
        ),
    )


def _timestamp_column(name: str, values: np.ndarray, rows: int) -> Column:
    return Column(
        name=name,
        logical_type="datetime",
        sql_type="timestamp without time zone",
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=int(rows * 0.97),
            method="sample",
            sampled_rows=len(values),
            min=from_number(float(values.min()), "datetime"),
            max=from_number(float(values.max()), "datetime"),
            quantiles=tuple(from_number(float(q), "datetime") for q in _quantiles(values)),
        ),
    )


def _fanout(rng: np.random.Generator, parents: int, children: int) -> FanoutStats:
    """Children per customer: 15 % childless, log-normal among the rest, older customers heavier."""
    active = rng.random(parents) >= 0.15
    weights = np.where(active, rng.lognormal(0.0, 1.1, parents), 0.0)
    # Older customers (low keys) have had more time to order: a gentle gradient over key position.
    weights *= np.linspace(1.6, 0.6, parents)
    counts = rng.multinomial(children, weights / weights.sum())
    order = np.sort(counts)[::-1]
    top = max(1, parents // 100)
    buckets = np.array_split(counts, 20)
    return FanoutStats(
        parent_rows=parents,
        child_rows=children,
        null_fraction=0.0,
        childless_fraction=float((counts == 0).mean()),
        max=int(counts.max()),
        mean=float(counts.mean()),
        quantiles=tuple(float(q) for q in _quantiles(counts)),
        top_share=float(order[:top].sum() / children),
        position_weights=tuple(float(b.sum() / children) for b in buckets),
    )


def build_profile(rows: int, seed: int = 20261126) -> Profile:
    """The profile of a production database whose ``orders`` table holds *rows* rows."""
    rng = np.random.default_rng(seed)
    customers = max(1, rows // ORDERS_PER_CUSTOMER)
    sample = min(rows, 1_000_000)

    amount = np.round(rng.lognormal(3.6, 0.9, sample), 2)
    created = _timestamps(rng, sample, growth=1.8)
    signup = _timestamps(rng, min(customers, sample), growth=1.3)
    email_len = np.clip(np.round(rng.normal(24, 5, sample)), 12, 64)
    name_len = np.clip(np.round(rng.gamma(6.0, 1.0, sample)), 2, 20)
    city_len = np.clip(np.round(rng.normal(8, 2.5, sample)), 3, 40)
    note_len = rng.integers(0, 201, sample)
    city_shares = _zipf_shares(len(CITIES), 0.9, 0.55)  # the kept top 100 cover 55 % of rows

    customer_table = Table(
        name="customers",
        columns={
            "id": _key_column("id", customers, 1000),
            "signup_at": _timestamp_column("signup_at", signup, customers),
            "country": Column(
                name="country",
                logical_type="string",
                sql_type="varchar(2)",
                length=2,
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=len(COUNTRY),
                    most_common=_categorical(COUNTRY),
                    length=LengthStats(min=2, max=2, mean=2.0, quantiles=(2.0,) * 21),
                    shape=ShapeStats(pattern="AA", share=1.0),
                ),
            ),
        },
        primary_key=("id",),
        row_count=customers,
    )

    orders = Table(
        name="orders",
        columns={
            "id": _key_column("id", rows, 10_000),
            "customer_id": Column(
                name="customer_id",
                logical_type="integer",
                sql_type="bigint",
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=int(customers * 0.85),
                    min=1000,
                    max=1000 + customers - 1,
                ),
            ),
            "status": Column(
                name="status",
                logical_type="string",
                sql_type="varchar(16)",
                length=16,
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=len(STATUS),
                    most_common=_categorical(STATUS),
                    length=_length_stats(np.array([len(s) for s in STATUS], dtype=float)),
                ),
            ),
            "amount": Column(
                name="amount",
                logical_type="decimal",
                sql_type="numeric(12,2)",
                precision=12,
                scale=2,
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=min(rows, 250_000),
                    method="sample",
                    sampled_rows=sample,
                    min=float(amount.min()),
                    max=float(amount.max()),
                    quantiles=tuple(round(float(q), 2) for q in _quantiles(amount)),
                    max_scale=2,
                    max_integer_digits=len(str(int(amount.max()))),
                ),
            ),
            "currency": Column(
                name="currency",
                logical_type="string",
                sql_type="char(3)",
                length=3,
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=len(CURRENCY),
                    most_common=_categorical(CURRENCY),
                    length=LengthStats(min=3, max=3, mean=3.0, quantiles=(3.0,) * 21),
                    shape=ShapeStats(pattern="AAA", share=1.0),
                ),
            ),
            "created_at": _timestamp_column("created_at", created, rows),
            "email": Column(
                name="email",
                logical_type="string",
                sql_type="varchar(255)",
                length=255,
                nullable=False,
                semantic="email",
                pii=True,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=int(min(rows, customers * 1.1)),
                    method="sample",
                    sampled_rows=sample,
                    length=_length_stats(email_len),
                ),
            ),
            "first_name": Column(
                name="first_name",
                logical_type="string",
                sql_type="varchar(64)",
                length=64,
                nullable=False,
                semantic="first_name",
                pii=True,
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=min(rows, 3_000),
                    method="sample",
                    sampled_rows=sample,
                    length=_length_stats(name_len),
                ),
            ),
            "city": Column(
                name="city",
                logical_type="string",
                sql_type="varchar(64)",
                length=64,
                nullable=False,
                semantic="city",
                stats=ColumnStats(
                    null_fraction=0.0,
                    distinct_count=min(rows, 2_000),
                    method="sample",
                    sampled_rows=sample,
                    most_common=tuple(
                        ValueFrequency(value=c, frequency=float(s))
                        for c, s in zip(CITIES, city_shares, strict=True)
                    ),
                    length=_length_stats(city_len),
                ),
            ),
            "note": Column(
                name="note",
                logical_type="text",
                sql_type="text",
                nullable=True,
                semantic="free_text",
                pii=True,
                stats=ColumnStats(
                    null_fraction=0.3,
                    distinct_count=int(rows * 0.7),
                    method="sample",
                    sampled_rows=sample,
                    length=_length_stats(note_len),
                ),
            ),
        },
        primary_key=("id",),
        foreign_keys=(
            ForeignKey(
                columns=("customer_id",),
                ref_table="customers",
                ref_columns=("id",),
                name="orders_customer_id_fkey",
                fanout=_fanout(rng, customers, rows),
            ),
        ),
        row_count=rows,
    )
    return Profile(
        format=FORMAT,
        source=Source(
            dialect="postgresql",
            server_version="15",
            database="shop",
            captured_at="2026-11-26T00:00:00Z",
            paritygen_version="benchmark",
        ),
        tables={"customers": customer_table, "orders": orders},
    )


def write_benchmark_profile(rows: int, path: str | Path) -> Path:
    """Write the profile for *rows* orders as YAML (what the CLI and the child processes read)."""
    return write_profile(build_profile(rows), path)
