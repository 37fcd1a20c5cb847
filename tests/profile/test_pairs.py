"""Categoricals tied together (city -> country), counted from the read rows."""

from __future__ import annotations

import polars as pl

from paritygen.profile.model import Column, ColumnStats, ValueFrequency
from paritygen.profile.pairs import determined_pairs
from paritygen.profile.read import ColumnData


def _measured(name: str, values: list, distinct: int) -> tuple[Column, ColumnStats]:
    common = sorted({v for v in values if v is not None})
    stats = ColumnStats(
        null_fraction=0.0,
        distinct_count=distinct,
        most_common=tuple(ValueFrequency(value=v, frequency=0.1) for v in common),
    )
    return Column(name=name, logical_type="string", sql_type="text", nullable=True), stats


def test_a_city_follows_its_country_where_k_persons_hold_the_pair() -> None:
    """Paris and Lyon are French for 6 persons each: kept; Tokyo is Japanese for one person's
    6 rows: not kept (k counts persons); rows with a NULL on either side are left out, and a
    column that does not fix another (a colour) is no source."""
    rows = (
        [("Paris", "FR", p) for p in range(6)]
        + [("Lyon", "FR", p) for p in range(6)]
        + [("Tokyo", "JP", 99)] * 6
        + [(None, "FR", 1), ("Paris", None, 2)]
    )
    city = [r[0] for r in rows]
    country = [r[1] for r in rows]
    colour = [["red", "blue", "green", "black"][i % 4] for i in range(len(rows))]
    persons = pl.Series("person", [r[2] for r in rows])
    data = {
        name: ColumnData(values=pl.Series(name, values), nulls=values.count(None), rows=len(rows))
        for name, values in (("city", city), ("country", country), ("colour", colour))
    }
    measured = [
        _measured("city", city, 3),
        _measured("country", country, 2),
        _measured("colour", colour, 4),
    ]
    found = determined_pairs(measured, data, persons, 5)
    assert found == {"country": ("city", (("Lyon", "FR"), ("Paris", "FR")))}
    # Each row its own person: Tokyo's six rows are six persons.
    found = determined_pairs(measured, data, None, 5)
    assert found == {"country": ("city", (("Lyon", "FR"), ("Paris", "FR"), ("Tokyo", "JP")))}
