"""Value generators against hand-made profile columns with known statistics (200k values)."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest

from paritygen.generate.base import ColumnContext, NumberSet, ShareTable, block_rng, resolve
from paritygen.profile.model import (
    CheckConstraint,
    Column,
    ColumnRule,
    ColumnStats,
    LengthStats,
    ShapeStats,
    Table,
    ValueFrequency,
)
from paritygen.profile.values import to_number

N = 200_000


def make_ctx(column: Column, *, rows: int = N, unique: bool = False, rule=None, checks=()):
    table = Table(
        name="t",
        columns={column.name: column},
        row_count=rows,
        checks=tuple(CheckConstraint(sqltext=c) for c in checks),
    )
    return ColumnContext(
        table=table, column=column, row_count=rows, seed=1, rule=rule, unique=unique
    )


def generate(ctx: ColumnContext, rows: int = N, seed: int = 1) -> pl.Series:
    gen = resolve(ctx)
    blocks = []
    block = 1 << 16
    for index, start in enumerate(range(0, rows, block)):
        count = min(block, rows - start)
        out = gen.generate(start, count, block_rng(seed, "t", ctx.column.name, index))
        assert len(out) == count
        blocks.append(out)
    return pl.concat(blocks)


def ks_against_quantiles(sample: np.ndarray, quantiles: np.ndarray) -> float:
    """KS distance between a sample and the piecewise-linear CDF through equi-depth quantiles,
    evaluated at the sample points and at the knots (written independently of the generator)."""
    sample = np.sort(sample)
    probs = np.linspace(0, 1, len(quantiles))
    points = np.unique(np.concatenate([quantiles, sample[:: max(1, len(sample) // 20000)]]))
    model_right = np.interp(points, quantiles, probs, left=0.0, right=1.0)
    # With duplicated knots (atoms) the model CDF jumps: take its left limit too.
    first = np.searchsorted(quantiles, points, side="left")
    model_left = np.where(first > 0, probs[np.maximum(first - 1, 0)], 0.0)
    model_left = np.maximum(model_left, np.interp(points - 1e-9, quantiles, probs, 0.0, 1.0))
    emp_right = np.searchsorted(sample, points, side="right") / len(sample)
    emp_left = np.searchsorted(sample, points, side="left") / len(sample)
    return float(
        max(np.max(np.abs(emp_right - model_right)), np.max(np.abs(emp_left - model_left)))
    )


def tv(sample: pl.Series, expected: dict) -> float:
    counts = sample.drop_nulls().value_counts()
    total = counts["count"].sum()
    seen = {v: c / total for v, c in zip(counts[sample.name], counts["count"], strict=True)}
    keys = set(seen) | set(expected)
    return 0.5 * sum(abs(seen.get(k, 0.0) - expected.get(k, 0.0)) for k in keys)


def lognormal_quantiles(rng_seed: int = 3) -> np.ndarray:
    values = np.random.default_rng(rng_seed).lognormal(3.0, 1.0, 100_000)
    return np.round(np.quantile(values, np.linspace(0, 1, 101)), 2)


def test_decimal_amount_follows_quantiles_scale_and_nulls():
    q = lognormal_quantiles()
    col = Column(
        name="amount",
        logical_type="decimal",
        sql_type="numeric(10,2)",
        precision=10,
        scale=2,
        stats=ColumnStats(
            null_fraction=0.1,
            distinct_count=5_000,
            quantiles=tuple(q.tolist()),
            min=float(q[0]),
            max=float(q[-1]),
        ),
    )
    values = generate(make_ctx(col))
    assert values.dtype == pl.Float64
    assert abs(values.null_count() / N - 0.1) < 0.01
    nn = values.drop_nulls().to_numpy()
    assert ks_against_quantiles(nn, q) <= 0.05
    assert np.all(np.abs(nn * 100 - np.round(nn * 100)) < 1e-6)
    assert nn.min() >= q[0] and nn.max() <= q[-1]
    # 180k non-NULL draws of a 5k-distinct production column (the profiled row count).
    assert abs(values.drop_nulls().n_unique() - 5_000) / 5_000 <= 0.10


def test_integer_with_atoms_keeps_frequencies_and_ks():
    # Production: 0 in 40 % of rows, 1 in 10 %, the rest spread over 2..10_000.
    prod = np.concatenate(
        [np.zeros(40_000), np.ones(10_000), np.random.default_rng(5).integers(2, 10_001, 50_000)]
    )
    q = np.quantile(prod, np.linspace(0, 1, 101), method="inverted_cdf")
    col = Column(
        name="qty",
        logical_type="integer",
        sql_type="integer",
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=9_000,
            most_common=(
                ValueFrequency(value=0, frequency=0.4),
                ValueFrequency(value=1, frequency=0.1),
            ),
            quantiles=tuple(int(v) for v in q),
            min=0,
            max=10_000,
        ),
    )
    values = generate(make_ctx(col))
    assert values.dtype == pl.Int64 and values.null_count() == 0
    arr = values.to_numpy()
    assert abs((arr == 0).mean() - 0.4) < 0.01 and abs((arr == 1).mean() - 0.1) < 0.01
    prod_sorted = np.sort(prod)
    grid = np.linspace(0, 10_000, 2001)
    cdf_prod = np.searchsorted(prod_sorted, grid, side="right") / len(prod)
    cdf_gen = np.searchsorted(np.sort(arr), grid, side="right") / len(arr)
    assert np.max(np.abs(cdf_prod - cdf_gen)) <= 0.05


@pytest.mark.parametrize("kind", ["date", "datetime", "time"])
def test_temporal_types_and_ks(kind):
    if kind == "date":
        start, span = to_number("2021-01-01", kind), 1000.0
    elif kind == "datetime":
        start, span = to_number("2023-01-01T00:00:00", kind), 86400.0 * 365
    else:
        start, span = 0.0, 86399.0
    raw = start + span * np.random.default_rng(9).beta(2, 5, 100_000)
    q = np.round(np.quantile(raw, np.linspace(0, 1, 101)))
    from paritygen.profile.values import from_number

    col = Column(
        name="ts",
        logical_type=kind,
        sql_type=kind,
        stats=ColumnStats(
            null_fraction=0.05,
            distinct_count=90_000,
            quantiles=tuple(from_number(v, kind) for v in q),
            min=from_number(q[0], kind),
            max=from_number(q[-1], kind),
        ),
    )
    values = generate(make_ctx(col))
    expected = {"date": pl.Date, "datetime": pl.Datetime("us"), "time": pl.Time}[kind]
    assert values.dtype == expected
    assert abs(values.null_count() / N - 0.05) < 0.01
    nn = values.drop_nulls()
    if kind == "date":
        numbers = nn.cast(pl.Int32).to_numpy().astype(float)
    elif kind == "datetime":
        numbers = nn.cast(pl.Int64).to_numpy() / 1e6
    else:
        numbers = nn.cast(pl.Int64).to_numpy() / 1e9
    assert ks_against_quantiles(numbers, q) <= 0.05
    assert numbers.min() >= q[0] - 1e-6 and numbers.max() <= q[-1] + 1e-6


def test_categorical_string_tv_and_partial_coverage():
    mcv = {"new": 0.5, "paid": 0.25, "shipped": 0.15}
    col = Column(
        name="status",
        logical_type="string",
        sql_type="varchar(12)",
        length=12,
        stats=ColumnStats(
            null_fraction=0.02,
            distinct_count=40,
            most_common=tuple(ValueFrequency(value=k, frequency=v) for k, v in mcv.items()),
            length=LengthStats(
                min=3, max=12, mean=6.0, quantiles=tuple(np.linspace(3, 12, 21).tolist())
            ),
        ),
    )
    values = generate(make_ctx(col))
    expected = dict(mcv)
    counts = values.drop_nulls().value_counts()
    rest = {v: c for v, c in zip(counts["status"], counts["count"], strict=True) if v not in mcv}
    assert sum(rest.values()) / (N - values.null_count()) == pytest.approx(0.10, abs=0.01)
    # The 10 % rest spreads over the remaining 37 values, like production.
    assert 30 <= len(rest) <= 45
    for value in rest:
        expected[value] = rest[value] / (N - values.null_count())
    assert tv(values, expected) <= 0.05
    assert values.drop_nulls().str.len_chars().max() <= 12


def test_enum_uses_labels_and_mcv_shares():
    col = Column(
        name="tier",
        logical_type="enum",
        sql_type="enum",
        enum_values=("gold", "silver", "bronze"),
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=3,
            most_common=(
                ValueFrequency(value="gold", frequency=0.1),
                ValueFrequency(value="silver", frequency=0.3),
            ),
        ),
    )
    values = generate(make_ctx(col))
    assert tv(values, {"gold": 0.1, "silver": 0.3, "bronze": 0.6}) <= 0.02


def test_check_in_list_and_range_used_up_front():
    col = Column(
        name="qty",
        logical_type="integer",
        sql_type="integer",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=1000,
            quantiles=tuple(range(-50, 1001, 10)),
            min=-50,
            max=1000,
        ),
    )
    values = generate(make_ctx(col, checks=["qty >= 1 AND qty <= 100"]), rows=50_000)
    assert values.min() >= 1 and values.max() <= 100
    scol = Column(
        name="s",
        logical_type="string",
        sql_type="varchar(10)",
        length=10,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=5,
            most_common=(ValueFrequency(value="a", frequency=0.9),),
        ),
    )
    ctx = make_ctx(scol, checks=["(s)::text = ANY ((ARRAY['a'::character varying, 'b'])::text[])"])
    values = generate(ctx, rows=50_000)
    assert set(values.unique().to_list()) == {"a", "b"}


def ks_lengths(lengths: np.ndarray, knots: np.ndarray) -> float:
    return ks_against_quantiles(lengths.astype(float), knots)


def test_length_text_lengths_nulls_and_distinct():
    knots = np.round(
        np.quantile(
            np.random.default_rng(2).gamma(2.0, 30.0, 50_000).clip(0, 200), np.linspace(0, 1, 21)
        )
    )
    col = Column(
        name="note",
        logical_type="string",
        sql_type="varchar(200)",
        length=200,
        stats=ColumnStats(
            null_fraction=0.3,
            distinct_count=120_000,
            length=LengthStats(min=0, max=200, mean=60.0, quantiles=tuple(knots.tolist())),
        ),
    )
    values = generate(make_ctx(col))
    assert abs(values.null_count() / N - 0.3) < 0.01
    lengths = values.drop_nulls().str.len_chars().to_numpy()
    assert lengths.max() <= 200
    # Text never starts or ends with a space (MariaDB PAD SPACE would equate 'ab ' and 'ab').
    assert not values.drop_nulls().str.contains(r"^ | $").any()
    cdf_points = np.arange(0, 201)
    model = np.interp(cdf_points + 0.5, knots, np.linspace(0, 1, 21))
    emp = np.searchsorted(np.sort(lengths), cdf_points, side="right") / len(lengths)
    assert np.max(np.abs(model - emp)) <= 0.05
    assert abs(values.drop_nulls().n_unique() - 120_000) / 120_000 <= 0.10


def test_small_text_column_sizes_its_pool_by_rows_and_any_block_order_gives_the_same_rows():
    """A 1,000-row table's text column builds a pool for its rows, not a 10 M-row table's, and
    keeps its lengths and distinct count; whole-word places found in a short search (or a
    longer one when a length needs it) come out the same whatever order blocks are made in."""
    rows, block = 1_000, 125
    knots = np.round(np.linspace(4, 240, 21) ** 1.0)
    col = Column(
        name="remark",
        logical_type="string",
        sql_type="varchar(240)",
        length=240,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=rows,
            length=LengthStats(min=4, max=240, mean=120.0, quantiles=tuple(knots.tolist())),
        ),
    )
    ctx = make_ctx(col, rows=rows)

    def made(order: list[int]) -> pl.Series:
        gen = resolve(ctx)
        out = {
            index: gen.generate(index * block, block, block_rng(1, "t", "remark", index))
            for index in order
        }
        return pl.concat([out[index] for index in sorted(out)])

    in_order = made(list(range(rows // block)))
    assert in_order.equals(made([7, 2, 5, 0, 3, 6, 1, 4]))
    assert resolve(ctx).pool_chars <= 600_000  # a 10 M-row table's: 4,096 x 480 characters
    assert in_order.n_unique() >= 0.99 * rows
    lengths = np.sort(in_order.str.len_chars().to_numpy())
    model = np.interp(np.arange(241) + 0.5, knots, np.linspace(0, 1, 21))
    emp = np.searchsorted(lengths, np.arange(241), side="right") / rows
    assert np.max(np.abs(model - emp)) <= 0.05


def test_unique_text_and_pattern():
    col = Column(
        name="code",
        logical_type="string",
        sql_type="varchar(12)",
        length=12,
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=N,
            length=LengthStats(min=8, max=12, mean=10.0, quantiles=(8.0, 10.0, 12.0)),
        ),
    )
    values = generate(make_ctx(col, unique=True))
    assert values.n_unique() == N and values.str.len_chars().max() <= 12
    pcol = Column(
        name="sku",
        logical_type="string",
        sql_type="varchar(7)",
        length=7,
        stats=ColumnStats(
            null_fraction=0.0, distinct_count=N, shape=ShapeStats(pattern="AA-9999", share=1.0)
        ),
    )
    values = generate(make_ctx(pcol, unique=True))
    assert values.n_unique() == N
    assert values.str.contains(r"^[A-Z]{2}-\d{4}$").all()
    values = generate(make_ctx(pcol), rows=50_000)
    assert values.str.contains(r"^[A-Z]{2}-\d{4}$").all()


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number][::-1]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@pytest.mark.parametrize("unique", [False, True])
def test_semantic_kinds(unique):
    rows = 50_000
    checks = {
        "email": lambda v: re.fullmatch(r"[a-z._]+\d*@[a-z.]+", v) is not None,
        "card_number": luhn_ok,
        "iban": iban_ok,
        "first_name": lambda v: len(v) > 0,
        "city": lambda v: len(v) > 0,
        "phone": lambda v: len(v) > 0,
        "street": lambda v: len(v) > 0,
    }
    for tag, ok in checks.items():
        col = Column(
            name=tag,
            logical_type="string",
            sql_type="varchar(40)",
            length=40,
            semantic=tag,
            pii=True,
            stats=ColumnStats(null_fraction=0.1, distinct_count=rows),
        )
        values = generate(make_ctx(col, rows=rows, unique=unique), rows=rows)
        nn = values.drop_nulls()
        assert abs(values.null_count() / rows - 0.1) < 0.01, tag
        assert nn.str.len_chars().max() <= 40, tag
        sample = nn.head(2000).to_list()
        assert all(ok(v) for v in sample), (tag, [v for v in sample if not ok(v)][:3])
        if unique:
            assert nn.n_unique() == len(nn), tag


def test_semantic_locale_and_birth_date():
    col = Column(
        name="city",
        logical_type="string",
        sql_type="varchar(60)",
        length=60,
        semantic="city",
        stats=ColumnStats(null_fraction=0.0, distinct_count=100),
    )
    de = generate(make_ctx(col, rule=ColumnRule(params={"locale": "de_DE"})), rows=20_000)
    us = generate(make_ctx(col), rows=20_000)
    assert set(de.unique().to_list()) != set(us.unique().to_list())
    bcol = Column(
        name="born",
        logical_type="date",
        sql_type="date",
        semantic="birth_date",
        pii=True,
        stats=ColumnStats(null_fraction=0.0, distinct_count=10_000),
    )
    born = generate(make_ctx(bcol), rows=20_000)
    assert born.dtype == pl.Date and born.min().year >= 1930


def test_boolean_uuid_json_binary():
    bcol = Column(
        name="flag",
        logical_type="boolean",
        sql_type="boolean",
        stats=ColumnStats(null_fraction=0.2, distinct_count=2, true_fraction=0.3),
    )
    flags = generate(make_ctx(bcol))
    assert abs(flags.null_count() / N - 0.2) < 0.01
    assert abs(flags.drop_nulls().mean() - 0.3) < 0.01
    ucol = Column(
        name="u",
        logical_type="uuid",
        sql_type="uuid",
        stats=ColumnStats(null_fraction=0.0, distinct_count=N),
    )
    uuids = generate(make_ctx(ucol))
    assert uuids.n_unique() == N
    assert uuids.str.contains(
        r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    ).all()
    jcol = Column(
        name="doc",
        logical_type="json",
        sql_type="json",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=1000,
            length=LengthStats(
                min=30, max=300, mean=120.0, quantiles=(30.0, 80.0, 120.0, 200.0, 300.0)
            ),
        ),
    )
    docs = generate(make_ctx(jcol), rows=20_000)
    assert all(isinstance(json.loads(d), dict) for d in docs.head(2000).to_list())
    lengths = docs.str.len_chars().to_numpy()
    assert abs(np.median(lengths) - 120) < 15
    xcol = Column(
        name="blob",
        logical_type="binary",
        sql_type="bytea",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=1000,
            length=LengthStats(min=10, max=100, mean=55.0, quantiles=(10.0, 55.0, 100.0)),
        ),
    )
    blobs = generate(make_ctx(xcol), rows=20_000)
    assert blobs.dtype == pl.Binary
    lengths = blobs.bin.size().to_numpy()
    assert lengths.min() >= 10 and lengths.max() <= 100 and abs(np.median(lengths) - 55) < 5


def test_no_stats_still_type_and_length_safe():
    for kind, sql, length in [
        ("integer", "smallint", None),
        ("decimal", "numeric(4,2)", None),
        ("string", "varchar(3)", 3),
        ("text", "text", None),
        ("date", "date", None),
        ("datetime", "timestamp", None),
        ("time", "time", None),
        ("boolean", "boolean", None),
        ("json", "json", None),
        ("uuid", "uuid", None),
        ("binary", "blob", None),
    ]:
        precision, scale = (4, 2) if kind == "decimal" else (None, None)
        col = Column(
            name="c",
            logical_type=kind,
            sql_type=sql,
            length=length,
            precision=precision,
            scale=scale,
        )
        values = generate(make_ctx(col, rows=0), rows=5000)
        assert values.null_count() == 0, kind
        if kind == "string":
            assert values.str.len_chars().max() <= 3
        if kind == "decimal":
            assert values.abs().max() <= 99.99
        if kind == "integer":
            assert values.abs().max() <= 32767


def test_rule_generator_and_values():
    col = Column(
        name="c",
        logical_type="string",
        sql_type="varchar(5)",
        length=5,
        stats=ColumnStats(null_fraction=0.0, distinct_count=10),
    )
    values = generate(
        make_ctx(col, rule=ColumnRule(values=("x", "y"), weights=(3.0, 1.0))), rows=40_000
    )
    assert tv(values, {"x": 0.75, "y": 0.25}) <= 0.02
    const = generate(
        make_ctx(col, rule=ColumnRule(generator="constant", params={"value": "k"})), rows=1000
    )
    assert const.unique().to_list() == ["k"]


def test_determinism_and_block_independence():
    col = Column(
        name="amount",
        logical_type="float",
        sql_type="double precision",
        stats=ColumnStats(
            null_fraction=0.1, distinct_count=N, quantiles=tuple(lognormal_quantiles().tolist())
        ),
    )
    first = generate(make_ctx(col), rows=100_000, seed=4)
    again = generate(make_ctx(col), rows=100_000, seed=4)
    other = generate(make_ctx(col), rows=100_000, seed=5)
    assert first.equals(again)
    assert not first.equals(other)
    block = 1 << 16
    assert not first.head(block - 100).equals(first.slice(block, block - 100))


@pytest.mark.parametrize(
    ("tag", "distinct"),
    [
        ("city", 400),
        ("phone", 30_000),
        ("full_name", 20_000),
        ("street", 8_000),
        ("first_name", 1_500),
        ("email", 30_000),
    ],
)
def test_semantic_distinct_count_follows_profile(tag, distinct):
    rows = 50_000
    col = Column(
        name=tag,
        logical_type="string",
        sql_type="varchar(80)",
        length=80,
        semantic=tag,
        pii=True,
        stats=ColumnStats(null_fraction=0.0, distinct_count=distinct),
    )
    values = generate(make_ctx(col, rows=rows), rows=rows)
    assert abs(values.n_unique() - distinct) / distinct <= 0.10, values.n_unique()


def test_unique_numbers_and_timestamps_are_distinct_and_follow_quantiles():
    q = np.round(
        np.quantile(np.random.default_rng(4).gamma(2.0, 5000.0, 50_000), np.linspace(0, 1, 101)), 2
    )
    col = Column(
        name="ref",
        logical_type="decimal",
        sql_type="numeric(12,2)",
        precision=12,
        scale=2,
        stats=ColumnStats(null_fraction=0.05, distinct_count=N, quantiles=tuple(q.tolist())),
    )
    values = generate(make_ctx(col, unique=True))
    nn = values.drop_nulls()
    assert nn.n_unique() == len(nn)
    assert ks_against_quantiles(nn.to_numpy(), q) <= 0.05
    start = to_number("2024-01-01T00:00:00", "datetime")
    from paritygen.profile.values import from_number

    tcol = Column(
        name="at",
        logical_type="datetime",
        sql_type="timestamp",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=N,
            quantiles=tuple(from_number(start + i * 3600.0, "datetime") for i in range(101)),
        ),
    )
    stamps = generate(make_ctx(tcol, unique=True))
    assert stamps.n_unique() == N
    small = Column(
        name="tiny",
        logical_type="integer",
        sql_type="smallint",
        stats=ColumnStats(null_fraction=0.0, distinct_count=10, min=0, max=9),
    )
    with pytest.raises(Exception, match="cannot hold"):
        resolve(make_ctx(small, unique=True))


def test_too_short_columns_are_refused_at_construction():
    from paritygen.errors import ConfigError

    for tag, length in [("email", 8), ("card_number", 12), ("iban", 20), ("uuid", 30)]:
        col = Column(
            name="c",
            logical_type="string",
            sql_type=f"varchar({length})",
            length=length,
            semantic=tag,
        )
        with pytest.raises(ConfigError):
            resolve(make_ctx(col, unique=True))


def test_semantic_column_with_frequent_values_keeps_them():
    mcv = {"Germany": 0.4, "France": 0.2}
    col = Column(
        name="country",
        logical_type="string",
        sql_type="varchar(60)",
        length=60,
        semantic="country",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=60,
            most_common=tuple(ValueFrequency(value=k, frequency=v) for k, v in mcv.items()),
        ),
    )
    values = generate(make_ctx(col), rows=50_000)
    shares = values.value_counts(normalize=True)
    got = dict(zip(shares["country"], shares["proportion"], strict=True))
    assert abs(got["Germany"] - 0.4) < 0.01 and abs(got["France"] - 0.2) < 0.01
    assert 50 <= values.n_unique() <= 70


def test_pattern_share_mixes_other_text():
    col = Column(
        name="ref",
        logical_type="string",
        sql_type="varchar(20)",
        length=20,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=40_000,
            shape=ShapeStats(pattern="AA-9999", share=0.7),
            length=LengthStats(min=7, max=20, mean=9.0, quantiles=(7.0, 7.0, 7.0, 12.0, 20.0)),
        ),
    )
    values = generate(make_ctx(col), rows=50_000)
    share = values.str.contains(r"^[A-Z]{2}-\d{4}$").mean()
    assert abs(share - 0.7) < 0.02
    assert values.str.len_chars().max() <= 20


def test_pattern_share_keeps_the_distinct_count_of_a_small_column():
    """Chinook's billing_state: 25 values over 210 rows, 93 % two-letter codes. The other 7 %
    hold the remaining two values, not another ten (verify missed distinct: 35 for 25)."""
    col = Column(
        name="state",
        logical_type="string",
        sql_type="varchar(40)",
        length=40,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=25,
            shape=ShapeStats(pattern="AA", share=0.93),
            length=LengthStats(min=2, max=6, mean=2.2, quantiles=(2.0, 2.0, 2.0, 2.0, 3.0, 6.0)),
        ),
    )
    for seed in range(4):
        values = generate(make_ctx(col, rows=210), rows=210, seed=seed)
        assert abs(values.n_unique() - 25) <= 2.5
        assert abs(values.str.contains(r"^[A-Z]{2}$").mean() - 0.93) < 0.04


def test_pooled_semantic_values_follow_the_length_distribution():
    # Shorter than faker's own city names (median 11): the picks must follow the profile.
    knots = (6.0, 7.0, 7.0, 8.0, 8.0, 9.0, 10.0, 12.0, 16.0)
    col = Column(
        name="city",
        logical_type="string",
        sql_type="varchar(40)",
        length=40,
        semantic="city",
        pii=True,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=1500,
            length=LengthStats(min=6, max=16, mean=8.8, quantiles=knots),
        ),
    )
    values = generate(make_ctx(col), rows=50_000)
    lengths = values.str.len_chars().to_numpy().astype(float)
    probs = np.linspace(0, 1, len(knots))
    points = np.arange(5, 18)
    model = np.interp(points + 0.5, np.array(knots), probs, left=0.0, right=1.0)
    emp = np.searchsorted(np.sort(lengths), points, side="right") / len(lengths)
    assert np.max(np.abs(model - emp)) <= 0.05


def test_small_tables_get_exact_nulls_shares_and_distinct_counts():
    # Chinook-sized: 59 customers, 4 NULL postcodes, 53 distinct cities; 8 employees, 5 in
    # Calgary. Coin flips would miss the 0.01 / 0.05 / 10 % bars on tables this small.
    col = Column(
        name="pc",
        logical_type="string",
        sql_type="varchar(10)",
        length=10,
        semantic="postcode",
        pii=True,
        stats=ColumnStats(null_fraction=4 / 59, distinct_count=55),
    )
    values = generate(make_ctx(col, rows=59), rows=59)
    assert values.null_count() == 4
    city = Column(
        name="city",
        logical_type="string",
        sql_type="varchar(40)",
        length=40,
        semantic="city",
        stats=ColumnStats(null_fraction=0.0, distinct_count=53),
    )
    values = generate(make_ctx(city, rows=59), rows=59)
    assert abs(values.n_unique() - 53) <= 2
    office = Column(
        name="office",
        logical_type="string",
        sql_type="varchar(40)",
        length=40,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=3,
            most_common=(ValueFrequency(value="Calgary", frequency=0.625),),
        ),
    )
    for seed in range(5):
        values = generate(make_ctx(office, rows=8), rows=8, seed=seed)
        assert (values == "Calgary").sum() == 5


def test_residual_lengths_leave_out_the_frequent_values():
    # Frequent values are all 3 long; the rest of the column is 20 long. The generated rest
    # must be 20 long, not a mixture of both (the atoms would be counted twice).
    knots = tuple([3.0] * 11 + [20.0] * 10)
    col = Column(
        name="code",
        logical_type="string",
        sql_type="varchar(30)",
        length=30,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=5000,
            most_common=(
                ValueFrequency(value="abc", frequency=0.3),
                ValueFrequency(value="xyz", frequency=0.2),
            ),
            length=LengthStats(min=3, max=20, mean=11.5, quantiles=knots),
        ),
    )
    values = generate(make_ctx(col), rows=50_000)
    lengths = values.str.len_chars()
    probs = np.linspace(0, 1, len(knots))
    assert abs((lengths <= 3).mean() - np.interp(3.5, knots, probs)) < 0.02
    assert abs((lengths >= 19).mean() - (1 - np.interp(18.5, knots, probs))) < 0.02


def test_json_distinct_count_and_unknown_generator():
    from paritygen.errors import ConfigError

    jcol = Column(
        name="doc",
        logical_type="json",
        sql_type="json",
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=300,
            length=LengthStats(min=30, max=90, mean=60.0, quantiles=(30.0, 60.0, 90.0)),
        ),
    )
    docs = generate(make_ctx(jcol, rows=20_000), rows=20_000)
    assert abs(docs.n_unique() - 300) <= 30
    assert all(isinstance(json.loads(d), dict) for d in docs.unique().to_list())
    with pytest.raises(ConfigError, match="unknown generator"):
        resolve(make_ctx(jcol, rule=ColumnRule(generator="no_such_thing")))


def test_length_checks_are_used_up_front():
    col = Column(
        name="code",
        logical_type="string",
        sql_type="varchar(30)",
        length=30,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=5000,
            length=LengthStats(min=1, max=30, mean=10.0, quantiles=(1.0, 5.0, 10.0, 20.0, 30.0)),
        ),
    )
    ctx = make_ctx(col, checks=["char_length(code) >= 4 AND char_length(code) <= 12"])
    lengths = generate(ctx, rows=20_000).str.len_chars()
    assert lengths.min() >= 4 and lengths.max() <= 12


def test_number_set_and_share_table_answer_as_isin_and_searchsorted():
    # The fast lookups behind atoms (most-common values): a hashed filter with an exact check,
    # and a table of share cells with a search where a boundary falls inside a cell.
    rng = np.random.default_rng(5)
    specials = np.array([-0.0, 0.0, 1e300, -5e-324, 0.1 + 0.2, 0.3])
    for size in (0, 1, 9, 200, 3_000):
        members = np.concatenate([rng.choice(np.arange(0.0, 2_500.0, 0.5), size), specials[:size]])
        values = np.concatenate([
            rng.choice(members, 5_000) if size else np.zeros(0),
            np.round(rng.random(5_000) * 2_500, 1), specials, [np.nan, np.inf, -np.inf],
        ])  # fmt: skip
        assert np.array_equal(NumberSet(members).contains(values), np.isin(values, members))
        shares = rng.dirichlet(np.ones(max(size, 1)))
        cumulative = np.cumsum(shares) * (0.5 if size % 2 else 1.0)  # a residual share, or none
        u = np.concatenate([rng.random(20_000), cumulative[cumulative < 1.0], [0.0]])
        chosen = ShareTable(cumulative).choose(u)
        assert np.array_equal(chosen, np.searchsorted(cumulative, u, side="right"))


def test_email_fit_by_slices_chooses_as_all_rows_at_once():
    """The e-mail's form and domain are costed FIT_ROWS rows at a time (memory): every row
    gets the choice and padding room the whole-block arrays gave, across slice edges."""
    from paritygen.generate.semantic import DOMAIN_CHOICE_LENGTHS, FIT_ROWS, MAX_PAD, _best_fit

    rng = np.random.default_rng(5)
    rows = 2 * FIT_ROWS + 123
    lengths = rng.integers(0, 30, size=(rows, 4)).astype(np.int64)
    fixed = rng.integers(1, 8, size=rows).astype(np.int64)
    wanted = rng.integers(5, 60, size=rows).astype(np.int64)
    totals = lengths[:, :, None] + fixed[:, None, None] + DOMAIN_CHOICE_LENGTHS[None, None, :]
    deficit = wanted[:, None, None] - totals
    cost = np.where(deficit >= 0, np.maximum(deficit - MAX_PAD, 0) + deficit * 0.01, -deficit)
    best_all = cost.reshape(rows, -1).argmin(axis=1)
    room_all = deficit.reshape(rows, -1)[np.arange(rows), best_all]
    best, room = _best_fit(lengths, fixed, wanted)
    assert np.array_equal(best, best_all) and np.array_equal(room, room_all)
    empty = _best_fit(lengths[:0], fixed[:0], wanted[:0])
    assert len(empty[0]) == 0 and len(empty[1]) == 0
