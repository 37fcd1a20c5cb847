"""Unit tests without a database: classifiers, estimators, fan-out maths, value conversion, I/O."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import polars as pl
import pytest

from paritygen.profile import classify, dialects, read, stats
from paritygen.profile.io import dumps, loads
from paritygen.profile.model import (
    FORMAT,
    Column,
    ColumnStats,
    ForeignKey,
    Profile,
    Source,
    Table,
)


@pytest.mark.parametrize(
    ("name", "logical", "tag"),
    [
        ("email", "string", "email"),
        ("E_Mail", "string", "email"),
        ("customerEmail", "string", "email"),
        ("FirstName", "string", "first_name"),
        ("vorname", "string", "first_name"),
        ("nachname", "string", "last_name"),
        ("surname", "string", "last_name"),
        ("street", "string", "street"),
        ("address1", "string", "street"),
        ("zip", "string", "postcode"),
        ("PLZ", "string", "postcode"),
        ("mobile", "string", "phone"),
        ("iban", "string", "iban"),
        ("card_number", "string", "card_number"),
        ("date_of_birth", "date", "birth_date"),
        ("dob", "date", "birth_date"),
        ("ip_address", "string", "ip_address"),
        ("comment", "text", "free_text"),
        ("country", "string", "country"),
        ("product_name", "string", None),
        ("name", "string", None),
        ("note_id", "integer", None),
        ("customer_id", "integer", None),
        ("email_verified", "boolean", None),
    ],
)
def test_classify_name(name: str, logical: str, tag: str | None) -> None:
    assert classify.classify_name(name, logical) == tag


def test_checksums() -> None:
    assert classify.iban_valid("DE89 3704 0044 0532 0130 00")
    assert not classify.iban_valid("DE89 3704 0044 0532 0130 01")
    assert classify.luhn_valid("4111 1111 1111 1111")
    assert not classify.luhn_valid("4111 1111 1111 1112")


@pytest.mark.parametrize(
    ("values", "tag"),
    [
        (["anna@example.org", "b.c@mail.de", "x+y@z.co"], "email"),
        (["DE89370400440532013000", "GB82WEST12345698765432"], "iban"),
        (["4111111111111111", "5500 0000 0000 0004"], "card_number"),
        (["+49 30 1234567", "(555) 123-4567"], "phone"),
        (["10.0.0.1", "192.168.1.20"], "ip_address"),
        (["2001:db8::1", "fe80::1:2"], "ip_address"),
        (["https://a.example/x", "http://b.example"], "url"),
        (["123e4567-e89b-12d3-a456-426614174000"], "uuid"),
        (["4111111111111112", "5500000000000005"], None),  # card-shaped, wrong check digit
        (["12345", "67890"], None),
        (["red", "green"], None),
    ],
)
def test_classify_values(values: list[str], tag: str | None) -> None:
    assert classify.classify_values(pl.Series(values)) == tag


def test_decide_value_upgrades_and_pii() -> None:
    assert classify.decide("contact", "string", pl.Series(["a@b.org"] * 20)) == ("email", True)
    assert classify.decide("city", "string", pl.Series(["Berlin"] * 20)) == ("city", False)
    assert classify.decide("amount", "decimal", None) == (None, False)


def test_blank_strings_do_not_hide_an_email_column() -> None:
    """A contact column that is 30 % '' (NOT NULL DEFAULT '') and 70 % e-mails used to fall
    under the 90 % share, stay non-PII and keep its frequent addresses as most-common values."""
    values = pl.Series("contact", [""] * 300 + [f"user{i % 100}@mail.example" for i in range(700)])
    assert classify.decide("contact", "string", values) == ("email", True)
    assert classify.classify_values(pl.Series(["", "  ", None], dtype=pl.String)) is None


def test_large_columns_are_tagged_from_a_fixed_sample_of_rows() -> None:
    """A column larger than the rows the checked values are drawn from: e-mails half blank and
    full names are still found, and twice the same (the sample is drawn with a fixed seed)."""
    from paritygen.profile.names import SAMPLE_ROWS, name_tag

    rows = 3 * max(classify.VALUE_ROWS, SAMPLE_ROWS)
    mails = pl.Series([f"user{i}@example.com" if i % 2 else "  " for i in range(rows)])
    assert classify.classify_values(mails) == "email"
    given = ["Mary", "John", "Anna", "Peter", "Laura", "James", "Maria", "David"]
    family = ["Smith", "Jones", "Brown", "Miller", "Davis", "Garcia", "Wilson", "Taylor"]
    people = pl.Series([f"{given[i % 8]} {family[(i // 8) % 8]}" for i in range(rows)])
    assert name_tag(people) == name_tag(people) == "full_name"


def test_estimate_distinct_bounds() -> None:
    # all sampled values unique -> the whole (non-NULL) table; no singletons -> what was seen
    assert stats.estimate_distinct(1000, 1000, 1000, 50_000) == 50_000
    assert stats.estimate_distinct(7, 0, 1000, 50_000) == 7
    middle = stats.estimate_distinct(600, 300, 1000, 10_000)
    assert 600 < middle < 10_000


def test_fanout_from_histogram_against_materialised_counts() -> None:
    rng = np.random.default_rng(3)
    parents = 5000
    per_parent = np.minimum(rng.zipf(1.6, parents) - 1, 400)  # many zeros, a heavy tail
    buckets = np.arange(parents) * 20 // parents
    hist: dict[tuple[int, int], int] = {}
    for n, b in zip(per_parent.tolist(), buckets.tolist(), strict=True):
        if n:
            hist[(n, b)] = hist.get((n, b), 0) + 1
    fan = stats.fanout_from_histogram(
        [(n, b, p) for (n, b), p in hist.items()],
        parent_rows=parents,
        child_rows_total=int(per_parent.sum()) + 10,
        buckets=20,
    )
    assert fan.childless_fraction == pytest.approx(float(np.mean(per_parent == 0)))
    assert fan.max == int(per_parent.max())
    assert fan.mean == pytest.approx(float(per_parent.mean()))
    assert fan.null_fraction == pytest.approx(10 / (per_parent.sum() + 10))
    expected = np.quantile(per_parent, np.linspace(0, 1, 101), method="nearest")
    assert np.max(np.abs(np.array(fan.quantiles) - expected)) <= 1
    top = np.sort(per_parent)[::-1][:50].sum() / per_parent.sum()
    assert fan.top_share == pytest.approx(top)
    weights = np.bincount(buckets, weights=per_parent, minlength=20) / per_parent.sum()
    assert np.allclose(fan.position_weights, weights, atol=1e-5)


def test_shape_and_scale_helpers() -> None:
    shapes = stats.shape_of(pl.Series(["AB-1234", "xy-0001", "Äb9"])).to_list()
    assert shapes == ["AA-9999", "aa-9999", "Aa9"]
    # ASCII codes take the str.translate path; a NUL inside a value or a null must not shift
    # the others (the joined text is split on NUL).
    ascii_only = stats.shape_of(pl.Series("c", ["AB-12", None, "x\x00Y", "", "q7"]))
    assert ascii_only.to_list() == ["AA-99", None, "a\x00A", "", "a9"]
    assert ascii_only.name == "c"
    assert stats._scale_stats(np.array([12.34, 1.5, 100.0]), 4) == (2, 3)
    assert stats._scale_stats(np.array([0.5]), 2) == (1, 0)


def _column(logical: str, **kw: object) -> Column:
    return Column(name="c", logical_type=logical, sql_type=logical, **kw)  # type: ignore[arg-type]


def test_convert_values_by_type() -> None:
    ints = read.convert_values([1, None, 2**64 - 1], _column("integer", unsigned=True))
    assert ints.null_count() == 1 and ints.dtype == pl.Float64
    dec = read.convert_values([decimal.Decimal("1.25"), None], _column("decimal"))
    assert dec.to_list() == [1.25, None]
    dates = read.convert_values(["2024-01-02", None, "garbage"], _column("date"))
    assert dates.to_list() == [19724.0, None, None]
    aware = dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    stamps = read.convert_values([aware], _column("datetime", timezone=True))
    assert stamps.to_list() == [1704067200.0]
    times = read.convert_values([dt.timedelta(hours=1), dt.time(2, 0)], _column("time"))
    assert times.to_list()[0] == 3600.0
    json_values = read.convert_values([{"a": 1}, None], _column("json"))
    assert json_values.to_list() == ['{"a": 1}', None]


def test_column_stats_pii_keeps_shape_only() -> None:
    values = [f"person{i}@example.org" for i in range(300)] + ["same@example.org"] * 50
    data = read.ColumnData(values=pl.Series("c", values), nulls=0, rows=len(values))
    col = _column("string", length=100)
    result = stats.column_stats(
        col, data, total_rows=350, sampled=False, min_group_size=5, pii=True
    )
    assert result.most_common == () and result.min is None and result.quantiles == ()
    assert result.length is not None and result.distinct_count == 301
    public = stats.column_stats(
        col, data, total_rows=350, sampled=False, min_group_size=5, pii=False
    )
    assert public.most_common[0].value == "same@example.org"
    assert public.most_common[0].frequency == pytest.approx(50 / 350)
    assert len(public.most_common) == 1  # the others are seen once, below k


def test_birth_dates_keep_year_quantiles_only_when_large() -> None:
    days = np.arange(0, 20_000, 20, dtype=np.float64)  # 1000 birth dates
    data = read.ColumnData(values=pl.Series("c", days), nulls=0, rows=days.size)
    col = _column("date")
    big = stats.column_stats(col, data, total_rows=1000, sampled=False, min_group_size=5, pii=True)
    assert big.quantiles and all(str(q).endswith("-01-01") for q in big.quantiles)
    assert big.min is None and big.max is None and big.most_common == ()
    small = stats.column_stats(col, data, total_rows=1000, sampled=False, min_group_size=50,
                               pii=True)  # fmt: skip
    assert small.quantiles == ()


def test_profile_round_trip_through_yaml() -> None:
    table = Table(
        name="t",
        columns={
            "id": Column(
                name="id",
                logical_type="integer",
                sql_type="bigint",
                nullable=False,
                stats=ColumnStats(
                    null_fraction=0.0, distinct_count=3, quantiles=(1, 2, 3), min=1, max=3
                ),
            ),  # fmt: skip
            "parent": Column(name="parent", logical_type="integer", sql_type="bigint"),
        },
        primary_key=("id",),
        foreign_keys=(ForeignKey(columns=("parent",), ref_table="t", ref_columns=("id",)),),
        row_count=3,
    )
    profile = Profile(format=FORMAT, source=Source(dialect="sqlite"), tables={"t": table})
    assert loads(dumps(profile)) == profile
    assert loads(dumps(profile, "json")) == profile


def test_sample_clauses_are_in_database() -> None:
    pg, pg_method = dialects.DIALECTS["postgresql"].sample('"t"', 0.1)
    assert pg == f'"t" TABLESAMPLE BERNOULLI (10.000000) REPEATABLE ({dialects.SAMPLE_SEED})'
    assert pg_method == "TABLESAMPLE BERNOULLI"
    # far larger than the sample: block sampling, which reads only the chosen pages
    assert dialects.DIALECTS["postgresql"].sample('"t"', 0.001)[1] == "TABLESAMPLE SYSTEM"
    assert dialects.DIALECTS["mysql"].sample("`t`", 0.25) == (
        f"`t` WHERE RAND({dialects.SAMPLE_SEED}) < 0.250000000",
        "RAND()",
    )
    assert dialects.DIALECTS["sqlite"].sample('"t"', 0.5)[0].endswith("< 500000")
