"""A unique column that uses every value of its range (a date dimension: one row per day)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from paritygen.generate.base import ColumnContext, block_rng, resolve
from paritygen.profile.model import Column, ColumnStats, Table


@pytest.mark.parametrize("days", [31, 1461])
def test_unique_dates_fill_their_whole_range(days):
    first = dt.date(2021, 1, 1)
    last = first + dt.timedelta(days=days - 1)
    edges = np.linspace(0, days - 1, 101).round()
    column = Column(
        name="day",
        logical_type="date",
        sql_type="date",
        nullable=False,
        stats=ColumnStats(
            null_fraction=0.0,
            distinct_count=days,
            min=first.isoformat(),
            max=last.isoformat(),
            quantiles=tuple((first + dt.timedelta(days=int(d))).isoformat() for d in edges),
        ),
    )
    table = Table(name="date_dim", columns={"day": column}, row_count=days)
    ctx = ColumnContext(table=table, column=column, row_count=days, seed=1, unique=True)
    generator = resolve(ctx)
    blocks = [
        generator.generate(start, min(500, days - start), block_rng(1, "date_dim", "day", i))
        for i, start in enumerate(range(0, days, 500))
    ]
    values = pl.concat(blocks)
    assert values.n_unique() == days
    assert values.min() == first and values.max() == last
