"""Distinct counts that follow the profile at any --scale: semantic pools, dates with atoms.

The expected count is computed here independently of the generator and of verify: production
showed D distinct values in N non-NULL rows; modelled as uniform draws from a population P
(``D = P (1 - exp(-N / P))``), a run of N x F rows shows ``P (1 - exp(-N F / P))``.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import polars as pl
import pytest

from paritygen.generate.base import ColumnContext, block_rng, expected_seen, resolve
from paritygen.generate.text import LengthPool, LengthTextGenerator
from paritygen.generate.variety import VarietyPool, made_up_words
from paritygen.profile.model import (
    Column,
    ColumnStats,
    LengthStats,
    ShapeStats,
    Table,
    ValueFrequency,
)

# Length quantiles (21 points) as a profile of faker-like production values would hold them.
KNOTS = {
    "street": (9, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 18, 19, 20, 21, 22, 22, 23, 24, 26, 32),
    "first_name": (3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 10, 14),
    "last_name": (4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 9, 9, 12),
    "full_name": (
        9,
        10,
        11,
        11,
        12,
        12,
        12,
        13,
        13,
        13,
        14,
        14,
        14,
        15,
        15,
        16,
        16,
        17,
        18,
        19,
        27,
    ),
    "city": (4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9, 9, 9, 10, 10, 11, 11, 13, 14, 16, 24),
    "company": (8, 10, 11, 12, 13, 14, 15, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 27, 29, 31, 40),
    "username": (5, 6, 7, 8, 8, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 13, 13, 14, 15, 16, 20),
    "phone": (10, 12, 12, 12, 12, 14, 14, 14, 16, 16, 17, 17, 17, 18, 18, 19, 20, 20, 21, 21, 22),
}


def expected_distinct(distinct: int, rows: int, run_rows: float) -> float:
    if distinct >= rows:
        return run_rows
    low, high = float(distinct), float(distinct) * 2
    while high * -math.expm1(-rows / high) < distinct:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if mid * -math.expm1(-rows / mid) < distinct:
            low = mid
        else:
            high = mid
    return high * -math.expm1(-run_rows / high)


def semantic_column(tag: str, distinct: int, null_fraction: float = 0.0) -> Column:
    knots = tuple(float(k) for k in KNOTS[tag])
    return Column(
        name=tag,
        logical_type="string",
        sql_type="varchar(120)",
        length=120,
        semantic=tag,
        pii=True,
        stats=ColumnStats(
            null_fraction=null_fraction,
            distinct_count=distinct,
            length=LengthStats(
                min=int(knots[0]), max=int(knots[-1]), mean=float(np.mean(knots)), quantiles=knots
            ),  # fmt: skip
        ),
    )


def run(column: Column, production_rows: int, scale: float, seed: int = 1) -> pl.Series:
    """The column as generate makes it at *scale*, block by block."""
    rows = round(production_rows * scale)
    table = Table(name="t", columns={column.name: column}, row_count=production_rows)
    ctx = ColumnContext(table=table, column=column, row_count=rows, seed=seed, scale=scale)
    generator = resolve(ctx)
    block = 1 << 16
    parts = [
        generator.generate(start, min(block, rows - start), block_rng(seed, "t", column.name, i))
        for i, start in enumerate(range(0, rows, block))
    ]
    return pl.concat(parts)


@pytest.mark.parametrize("tag", sorted(KNOTS))
@pytest.mark.parametrize(
    ("rows", "share", "scale"),
    [
        (665, 601 / 665, 1.0),  # the demo's streets at --scale 0.05 (seed 3): 601 of 665
        (2_000, 0.6, 3.0),
        (20_000, 0.3, 0.05),
        (20_000, 0.75, 1.0),
        (20_000, 0.95, 3.0),
    ],
)
def test_semantic_distinct_follows_the_profile_at_any_scale(tag, rows, share, scale):
    distinct = round(rows * share)
    values = run(semantic_column(tag, distinct), rows, scale)
    want = expected_distinct(distinct, rows, rows * scale)
    got = values.n_unique()
    assert abs(got / want - 1.0) <= 0.08, (got, round(want))


@pytest.mark.parametrize("tag", ["first_name", "city"])
def test_many_distinct_short_names_keep_their_lengths(tag):
    # 30,000 distinct first names / cities: far past faker's lists, most of them short.
    rows, distinct = 40_000, 30_000
    column = semantic_column(tag, distinct)
    values = run(column, rows, 1.0, seed=5)
    assert abs(values.n_unique() / distinct - 1.0) <= 0.08
    lengths = np.sort(values.str.len_chars().to_numpy())
    knots = np.asarray(KNOTS[tag], dtype=float)
    points = np.arange(knots[0], knots[-1] + 1)
    model = np.interp(points + 0.5, knots, np.linspace(0, 1, len(knots)), left=0.0, right=1.0)
    empirical = np.searchsorted(lengths, points, side="right") / len(lengths)
    assert np.max(np.abs(model - empirical)) <= 0.05


def test_variety_pool_is_one_to_one_with_exact_lengths():
    pool = LengthPool(pl.Series(["Ann", "Bob", "Eve", "Liam", "Noah", "Olivia", "Sophia"]))
    knots = np.array([3.0, 4.0, 5.0, 6.0, 8.0])
    words = VarietyPool(pool, knots)
    ids = np.arange(10_000, dtype=np.uint64)  # 1,250 of length 3, below its 2,166 words
    values = words.values_of(ids)
    # One to one, but for a made-up word that happens to be a real name ("Bob").
    assert values.n_unique() >= len(ids) - 3
    length, _ = words.lengths_and_numbers(ids)
    assert np.array_equal(values.str.len_chars().to_numpy(), length)
    assert set(values.head(200).to_list()) & {"Ann", "Bob", "Eve", "Liam", "Noah"}
    made = made_up_words(np.array([4, 4, 6]), np.array([0, 1, 0]), capital=False)
    assert made.n_unique() == 3 and made.str.to_lowercase().equals(made)


def test_dates_with_frequent_values_keep_their_distinct_count():
    # The integration schema's order dates: 700 days, 200 of them most-common; the residual
    # must not count the days it gives back to the atoms (it showed 579 distinct, not 700).
    days = np.datetime64("2023-01-01") + np.arange(700)
    rng = np.random.default_rng(2)
    sample = np.sort(rng.choice(days, 9000))
    values, counts = np.unique(sample, return_counts=True)
    top = np.argsort(-counts, kind="stable")[:200]
    column = Column(
        name="ordered",
        logical_type="date",
        sql_type="date",
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=len(values),
            most_common=tuple(
                ValueFrequency(value=str(values[i]), frequency=counts[i] / 9000) for i in top
            ),
            quantiles=tuple(
                str(d)
                for d in np.quantile(sample.astype("int64"), np.linspace(0, 1, 101))
                .astype("int64")
                .astype("datetime64[D]")
            ),  # fmt: skip
            min=str(days[0]),
            max=str(days[-1]),
        ),
    )
    got = run(column, 9000, 1.0).n_unique()
    assert abs(got / len(values) - 1.0) <= 0.05, got


def test_calibration_of_a_residual_that_rounds_to_one_value_warns_nothing():
    # Two integers hold 96 % of the rows, the rest rounds to one value: the whole grid is one
    # cell (log1p(-1) = -inf raised "divide by zero" in generate/numeric.py).
    assert expected_seen(np.array([64]), 64, 1000.0) == 1.0
    column = Column(
        name="flag",
        logical_type="integer",
        sql_type="smallint",
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=3,
            most_common=(
                ValueFrequency(value=0, frequency=0.6),
                ValueFrequency(value=1, frequency=0.36),
            ),
            quantiles=tuple([0] * 60 + [1] * 36 + [2] * 5),
            min=0,
            max=2,
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = run(column, 5000, 1.0)
    assert set(values.unique().to_list()) == {0, 1, 2}


def test_pattern_with_non_ascii_characters_keeps_them_literal():
    # A shape seen in the wild (MariaDB utf8mb4): an e-mail-like label ending in an emoji.
    pattern = "aaaa9999@aaaaaaa.aaa/é 😀"
    column = Column(
        name="label",
        logical_type="string",
        sql_type="varchar(40)",
        length=40,
        stats=ColumnStats(
            null_fraction=0.1,
            distinct_count=3000,
            length=LengthStats(min=26, max=26, mean=26.0),
            shape=ShapeStats(pattern=pattern, share=1.0),
        ),
    )
    values = run(column, 3000, 1.0)
    assert values.null_count() == 300
    shape = re.compile(r"[a-z]{4}[0-9]{4}@[a-z]{7}\.[a-z]{3}/é 😀")
    assert all(shape.fullmatch(v) for v in values.drop_nulls().to_list())
    assert values.drop_nulls().n_unique() >= 0.9 * 2700


def test_unique_codes_keep_a_sequence_that_gained_a_digit() -> None:
    """'DE--10000' .. 'DE--140000': half the references have one digit more; the unique path
    must keep both lengths (it made every code 10 long: length KS 0.5)."""
    from paritygen.generate.base import ColumnContext, resolve
    from paritygen.profile.model import Column, ColumnStats, LengthStats, ShapeStats, Table

    rows = 140_000
    stats = ColumnStats(
        null_fraction=0.0,
        distinct_count=rows,
        length=LengthStats(min=9, max=10, mean=9.53, quantiles=(9.0,) * 10 + (10.0,) * 11),
        shape=ShapeStats(pattern="AA--999999", share=0.53),
    )
    column = Column(name="ref", logical_type="string", sql_type="varchar(32)", length=32,
                    nullable=False, stats=stats)  # fmt: skip
    table = Table(name="orders", columns={"ref": column}, row_count=rows,
                  unique_constraints=())  # fmt: skip
    generator = resolve(ColumnContext(table=table, column=column, row_count=rows, seed=4,
                                      unique=True))  # fmt: skip
    import numpy as np

    values = generator.generate(0, rows, np.random.default_rng(0))
    assert values.n_unique() == rows
    short = float((values.str.len_chars() == 9).mean())
    assert abs(short - 0.47) < 0.04  # the 21-point length quantiles are 5 % coarse


def test_codes_with_frequent_values_add_only_the_missing_distinct_ones():
    # TPC-H's o_clerk: 1,000 clerks 'Clerk#000000NNN' over 150,000 orders, 100 of them
    # most-common; the codes beside them had added another 1,100 (1,200 shown, 0.20 off).
    rows, clerks = 150_000, 1_000
    common = tuple(
        ValueFrequency(value=f"Clerk#{i:09d}", frequency=1.2 / clerks) for i in range(100)
    )
    column = Column(
        name="o_clerk",
        logical_type="string",
        sql_type="char(15)",
        length=15,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=clerks,
            most_common=common,
            length=LengthStats(min=15, max=15, mean=15.0, quantiles=(15.0,) * 21),
            shape=ShapeStats(pattern="Aaaaa#999999999", share=1.0, prefix="Clerk#"),
        ),
    )
    got = run(column, rows, 1.0).n_unique()
    assert abs(got / clerks - 1.0) <= 0.05, got


@pytest.mark.parametrize("share", [1.0, 0.87])
def test_word_text_of_every_length_keeps_its_distinct_values(share):
    # TPC-H's p_name (20,000 names, all distinct, 21-47 characters) and p_comment (87 %
    # distinct): ids folded onto a length's whole-word places modulo their number had shown
    # 17,346 and 15,128 values.
    rows = 20_000
    knots = tuple(float(k) for k in np.linspace(21, 47, 21).round())
    column = Column(
        name="p_name",
        logical_type="string",
        sql_type="varchar(55)",
        length=55,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=round(rows * share),
            length=LengthStats(min=21, max=47, mean=34.0, quantiles=knots),
        ),
    )
    got = run(column, rows, 1.0).n_unique()
    assert abs(got / round(rows * share) - 1.0) <= 0.05, got


def test_names_few_words_cannot_tell_apart_take_a_number():
    # The warehouse's store names ("Nice store 713": 53 words, the numbers are not words):
    # 3,000 distinct names of 14-18 characters from an eight-word vocabulary have fewer
    # whole-word strings of each length than stores; the shortfall is told apart by numbers.
    rows = 3_000
    words = ("store", "Nice", "Berlin", "Porto", "Lyon", "Essen", "Basel", "Leeds")
    knots = tuple(float(k) for k in np.linspace(14, 18, 21).round())
    column = Column(
        name="name",
        logical_type="string",
        sql_type="varchar(80)",
        length=80,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=rows,
            length=LengthStats(min=14, max=18, mean=16.0, quantiles=knots),
            words=tuple(ValueFrequency(value=w, frequency=0.5) for w in words),
        ),
    )
    values = run(column, rows, 1.0)
    assert abs(values.n_unique() / rows - 1.0) <= 0.02, values.n_unique()
    lengths = values.str.len_chars()
    assert lengths.min() >= 14 and lengths.max() <= 18
    # Whole words before the number: no value starts or ends inside a word.
    heads = values.str.replace(r" [0-9]+$", "")
    assert heads.str.split(" ").list.eval(pl.element().is_in(list(words))).list.all().all()


@pytest.mark.parametrize("case", ["lower", "upper"])
def test_text_in_a_letter_case_is_cut_from_a_cased_pool_with_the_same_values(case):
    # A lower-case comment column (TPC-H's l_comment) from a vocabulary with capitals
    # ("American", "TV"): values cut from a pool cased once are the values cased one by one.
    rows = 70_000  # two blocks; eight words tell few values apart: most take a number
    words = ("store", "Nice", "Berlin", "TV", "Lyon", "Essen", "Basel", "Leeds")
    knots = tuple(float(k) for k in np.linspace(10, 43, 21).round())
    column = Column(
        name="note",
        logical_type="string",
        sql_type="varchar(44)",
        length=44,
        stats=ColumnStats(
            null_fraction=0.1,
            distinct_count=60_000,
            length=LengthStats(min=10, max=43, mean=26.5, quantiles=knots),
            letter_case=case,
            words=tuple(ValueFrequency(value=w, frequency=0.125) for w in words),
        ),
    )
    table = Table(name="t", columns={"note": column}, row_count=rows)
    ctx = ColumnContext(table=table, column=column, row_count=rows, seed=1, scale=1.0)
    cased, one_by_one = LengthTextGenerator(ctx), LengthTextGenerator(ctx)
    assert cased.cases_pool
    one_by_one.cases_pool = False
    for i, start in enumerate(range(0, rows, 1 << 16)):
        count = min(1 << 16, rows - start)
        got = cased.generate(start, count, block_rng(1, "t", "note", i))
        want = one_by_one.generate(start, count, block_rng(1, "t", "note", i))
        assert got.equals(want)
        assert got.drop_nulls().str.contains(r"[0-9]").any()  # numbered values are cased too
        assert (got.drop_nulls() == getattr(got.drop_nulls().str, f"to_{case}case")()).all()
