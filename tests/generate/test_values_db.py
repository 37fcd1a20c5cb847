"""Generated values load into real column types on every server and keep their shape there."""

from __future__ import annotations

import numpy as np
import polars as pl
import sqlalchemy as sa

from paritygen.generate.base import ColumnContext, block_rng, resolve
from paritygen.generate.checks import apply_checks, parse_checks
from paritygen.profile.model import (
    CheckConstraint,
    Column,
    ColumnStats,
    LengthStats,
    Table,
    ValueFrequency,
)
from paritygen.profile.values import from_number, to_number

ROWS = 3000


def profile_table() -> Table:
    start = to_number("2024-01-01T00:00:00", "datetime")
    columns = [
        Column(
            name="amount",
            logical_type="decimal",
            sql_type="numeric(8,2)",
            precision=8,
            scale=2,
            stats=ColumnStats(
                null_fraction=0.1,
                distinct_count=2000,
                quantiles=tuple(float(x) for x in range(0, 10100, 100)),
            ),
        ),
        Column(
            name="qty",
            logical_type="integer",
            sql_type="smallint",
            stats=ColumnStats(null_fraction=0.0, distinct_count=50, quantiles=tuple(range(0, 101))),
        ),
        Column(
            name="status",
            logical_type="string",
            sql_type="varchar(8)",
            length=8,
            stats=ColumnStats(
                null_fraction=0.0,
                distinct_count=3,
                most_common=(
                    ValueFrequency(value="new", frequency=0.5),
                    ValueFrequency(value="paid", frequency=0.3),
                    ValueFrequency(value="shipped", frequency=0.2),
                ),
            ),
        ),
        Column(
            name="note",
            logical_type="string",
            sql_type="varchar(50)",
            length=50,
            stats=ColumnStats(
                null_fraction=0.3,
                distinct_count=2000,
                length=LengthStats(
                    min=0, max=50, mean=25.0, quantiles=(0.0, 10.0, 25.0, 40.0, 50.0)
                ),
            ),
        ),
        Column(
            name="email",
            logical_type="string",
            sql_type="varchar(30)",
            length=30,
            semantic="email",
            pii=True,
            stats=ColumnStats(null_fraction=0.0, distinct_count=ROWS),
        ),
        Column(
            name="starts_at",
            logical_type="datetime",
            sql_type="timestamp",
            stats=ColumnStats(
                null_fraction=0.0,
                distinct_count=ROWS,
                quantiles=tuple(from_number(start + i * 3600.0, "datetime") for i in range(101)),
            ),
        ),
        Column(
            name="ends_at",
            logical_type="datetime",
            sql_type="timestamp",
            stats=ColumnStats(
                null_fraction=0.0,
                distinct_count=ROWS,
                quantiles=tuple(from_number(start + i * 3600.0, "datetime") for i in range(101)),
            ),
        ),
        Column(
            name="born",
            logical_type="date",
            sql_type="date",
            semantic="birth_date",
            pii=True,
            stats=ColumnStats(null_fraction=0.0, distinct_count=2000),
        ),
        Column(
            name="opens",
            logical_type="time",
            sql_type="time",
            stats=ColumnStats(
                null_fraction=0.0,
                distinct_count=500,
                quantiles=("08:00:00", "12:00:00", "18:00:00"),
            ),
        ),
        Column(
            name="active",
            logical_type="boolean",
            sql_type="boolean",
            stats=ColumnStats(null_fraction=0.0, distinct_count=2, true_fraction=0.8),
        ),
        Column(
            name="blob",
            logical_type="binary",
            sql_type="blob",
            stats=ColumnStats(
                null_fraction=0.0,
                distinct_count=ROWS,
                length=LengthStats(min=4, max=40, mean=20.0, quantiles=(4.0, 20.0, 40.0)),
            ),
        ),
    ]
    return Table(
        name="vals",
        columns={c.name: c for c in columns},
        row_count=ROWS,
        checks=(
            CheckConstraint(sqltext="ends_at >= starts_at"),
            CheckConstraint(sqltext="qty BETWEEN 1 AND 90"),
            CheckConstraint(sqltext="amount >= 0"),
        ),
    )


def test_generated_values_load_and_keep_shape(db_url):
    table = profile_table()
    frames = []
    gens = {
        n: resolve(
            ColumnContext(table=table, column=c, row_count=ROWS, seed=2, unique=n == "email")
        )
        for n, c in table.columns.items()
    }
    frame = pl.DataFrame([g.generate(0, ROWS, block_rng(2, "vals", n, 0)) for n, g in gens.items()])
    frames.append(apply_checks(frame, parse_checks(table), np.random.default_rng(0)))
    data = pl.concat(frames)
    meta = sa.MetaData()
    target = sa.Table(
        "vals",
        meta,
        sa.Column("amount", sa.Numeric(8, 2)),
        sa.Column("qty", sa.SmallInteger),
        sa.Column("status", sa.String(8)),
        sa.Column("note", sa.String(50)),
        sa.Column("email", sa.String(30), unique=True),
        sa.Column("starts_at", sa.DateTime),
        sa.Column("ends_at", sa.DateTime),
        sa.Column("born", sa.Date),
        sa.Column("opens", sa.Time),
        sa.Column("active", sa.Boolean),
        sa.Column("blob", sa.LargeBinary),
        sa.CheckConstraint("ends_at >= starts_at"),
        sa.CheckConstraint("qty BETWEEN 1 AND 90"),
        sa.CheckConstraint("amount >= 0"),
    )
    engine = sa.create_engine(db_url)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(target.insert(), data.to_dicts())
    with engine.connect() as conn:
        one = conn.execute(
            sa.text(
                "SELECT count(*), count(note), count(DISTINCT email), max(length(note)), "
                "min(qty), max(qty), sum(CASE WHEN status = 'new' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN ends_at < starts_at THEN 1 ELSE 0 END) FROM vals"
            )
        ).one()
    engine.dispose()
    total, notes, emails, longest, low, high, new, disorder = one
    assert total == ROWS and emails == ROWS and disorder == 0
    assert abs(1 - notes / ROWS - 0.3) < 0.03
    assert longest <= 50 and low >= 1 and high <= 90
    assert abs(float(new) / ROWS - 0.5) < 0.04
