"""compare_profiles on hand-made profiles, tolerances, and the SQL violation counts on SQLite."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sqlalchemy as sa

from paritygen.errors import ConfigError
from paritygen.profile.model import (
    FORMAT,
    CheckConstraint,
    Column,
    ColumnStats,
    FanoutStats,
    ForeignKey,
    Profile,
    Rules,
    Source,
    Table,
    TableRule,
    ValueFrequency,
)
from paritygen.verify import violations
from paritygen.verify.compare import compare_profiles
from paritygen.verify.tolerances import Tolerances, tolerances_from_dict


def _q(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in np.quantile(values, np.linspace(0, 1, 101)))


def _profile(
    *,
    rows: int = 10_000,
    shift: float = 0.0,
    status: tuple[float, float] = (0.7, 0.3),
    childless: float = 0.2,
    fan: float = 1.0,
    rules: Rules | None = None,
) -> Profile:
    rng = np.random.default_rng(1)
    amount = rng.gamma(2.0, 10.0, 5000) + shift
    fanout = rng.poisson(2.0 * fan, 1000)
    parents = Table(
        name="customers",
        columns={"id": Column(name="id", logical_type="integer", sql_type="integer",
                              nullable=False,
                              stats=ColumnStats(null_fraction=0.0, distinct_count=1000,
                                                quantiles=_q(np.arange(1000))))},
        primary_key=("id",),
        row_count=1000,
    )  # fmt: skip
    orders = Table(
        name="orders",
        columns={
            "id": Column(name="id", logical_type="integer", sql_type="integer", nullable=False,
                         stats=ColumnStats(null_fraction=0.0, distinct_count=rows,
                                           quantiles=_q(np.arange(rows)))),
            "customer_id": Column(name="customer_id", logical_type="integer", sql_type="integer",
                                  stats=ColumnStats(null_fraction=0.0, distinct_count=800,
                                                    quantiles=_q(np.arange(1000)))),
            "amount": Column(name="amount", logical_type="float", sql_type="float",
                             stats=ColumnStats(null_fraction=0.0, distinct_count=rows,
                                               quantiles=_q(amount))),
            "status": Column(name="status", logical_type="string", sql_type="varchar(10)",
                             stats=ColumnStats(null_fraction=0.0, distinct_count=2,
                                               most_common=(
                                                   ValueFrequency(value="paid",
                                                                  frequency=status[0]),
                                                   ValueFrequency(value="open",
                                                                  frequency=status[1]),
                                               ))),
        },
        primary_key=("id",),
        foreign_keys=(ForeignKey(
            columns=("customer_id",), ref_table="customers", ref_columns=("id",),
            fanout=FanoutStats(parent_rows=1000, child_rows=rows, null_fraction=0.0,
                               childless_fraction=childless, max=int(fanout.max()),
                               mean=float(fanout.mean()), quantiles=_q(fanout)),
        ),),
        row_count=rows,
    )  # fmt: skip
    return Profile(
        format=FORMAT,
        source=Source(dialect="sqlite"),
        tables={"customers": parents, "orders": orders},
        rules=rules or Rules(),
    )


def _misses(measures) -> set[tuple[str, str | None, str]]:
    return {(x.table, x.column, x.measure) for x in measures if not x.passed}


def test_identical_profiles_hold_every_bar() -> None:
    measures, notes = compare_profiles(_profile(), _profile())
    assert measures and all(x.passed for x in measures)
    assert {x.measure for x in measures} >= {"rows", "ks", "tv", "fanout_ks", "childless"}
    assert notes == ["*: bytes: the database reports no table sizes"]  # said once


@pytest.mark.parametrize(
    ("staging", "expected"),
    [
        (dict(shift=15.0), ("orders", "amount", "ks")),
        (dict(status=(0.5, 0.5)), ("orders", "status", "tv")),
        (dict(childless=0.4), ("orders", "customer_id", "childless")),
        (dict(fan=3.0), ("orders", "customer_id", "fanout_ks")),
        (dict(rows=9_999), ("orders", None, "rows")),
    ],
)
def test_each_change_is_named(staging: dict, expected: tuple) -> None:
    measures, _ = compare_profiles(_profile(), _profile(**staging))
    assert expected in _misses(measures)


def test_scale_and_rules_set_the_expected_rows() -> None:
    half = _profile(rows=5000)
    measures, _ = compare_profiles(_profile(), half, scale=0.5)
    rows = {x.table: x for x in measures if x.measure == "rows"}
    assert rows["orders"].passed and rows["orders"].expected == 5000
    assert not rows["customers"].passed  # customers should have 500 at scale 0.5
    distinct = {x.column: x for x in measures if x.measure == "distinct"}
    # An FK column's distinct values follow the parent table (1000 -> 500 customers at 0.5) ...
    assert distinct["customer_id"].expected == pytest.approx(400)
    # ... a unique column follows its own rows.
    assert distinct["id"].expected == pytest.approx(5000)
    fixed = Rules(tables={"customers": TableRule(fixed=True)})
    measures, _ = compare_profiles(_profile(rules=fixed), half, scale=0.5)
    assert ("customers", None, "rows") not in _misses(measures)
    pinned = Rules(tables={"customers": TableRule(row_count=1000)})
    measures, _ = compare_profiles(_profile(rules=pinned), half, scale=0.5)
    assert ("customers", None, "rows") not in _misses(measures)


def test_tolerances_overrides_and_skips() -> None:
    shifted = _profile(shift=15.0)
    loose = tolerances_from_dict({"overrides": {"orders.amount:ks": 1.0}})
    measures, _ = compare_profiles(_profile(), shifted, tolerances=loose)
    assert ("orders", "amount", "ks") not in _misses(measures)
    skipping = tolerances_from_dict({"skip": ["orders.amount"]})
    measures, _ = compare_profiles(_profile(), shifted, tolerances=skipping)
    assert not any(x.column == "amount" for x in measures)
    t = Tolerances(overrides={"orders:ks": 0.3, "orders.amount:ks": 0.2, "ord*:ks": 0.4})
    assert t.bar("ks", "orders", "amount") == 0.2
    assert t.bar("ks", "orders", "id") == 0.3
    assert t.bar("ks", "other", "x") == 0.05
    with pytest.raises(ConfigError, match="bars.ks: must be >= 0"):
        tolerances_from_dict({"bars": {"ks": -0.1}}, "t.yaml")


def test_missing_table_and_column_are_misses() -> None:
    staging = _profile()
    orders = staging.tables["orders"]
    staging = dataclasses.replace(
        staging,
        tables={"orders": dataclasses.replace(
            orders, columns={k: v for k, v in orders.columns.items() if k != "status"})},
    )  # fmt: skip
    misses = _misses(compare_profiles(_profile(), staging)[0])
    assert ("customers", None, "rows") in misses
    assert ("orders", "status", "null_fraction") in misses


def test_sql_violations_on_a_target_that_lost_its_constraints(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        # The target has no constraints at all; production's profile has them.
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER)"))
        conn.execute(
            sa.text(
                "CREATE TABLE orders (id INTEGER, customer_id INTEGER,"
                " amount FLOAT, status VARCHAR(10))"
            )
        )
        conn.execute(sa.text("INSERT INTO customers VALUES (1), (2), (2), (NULL)"))
        conn.execute(
            sa.text(
                "INSERT INTO orders VALUES (1, 1, 5, 'paid'), (2, 7, -1, 'open'),"
                " (3, NULL, 2, 'much too long'), (NULL, 2, 3, 'paid')"
            )
        )
    profile = _profile()
    orders = dataclasses.replace(
        profile.tables["orders"],
        checks=(CheckConstraint(sqltext="amount >= 0", name="ck_amount"),
                CheckConstraint(sqltext="amount ~ 'x'", name="pg_only")),
        columns={**profile.tables["orders"].columns,
                 "status": dataclasses.replace(profile.tables["orders"].columns["status"],
                                               length=10)},
    )  # fmt: skip
    profile = dataclasses.replace(profile, tables={**profile.tables, "orders": orders})
    md = sa.MetaData()
    md.reflect(engine)
    found = list(violations.count_violations(engine, profile, dict(md.tables)))
    counts = {
        (v.table, v.column, v.measure): v.count
        for v in found
        if isinstance(v, violations.Violation)
    }
    assert counts[("customers", "id", "not_null")] == 1
    assert counts[("customers", "id", "duplicates")] == 1
    assert counts[("orders", "id", "not_null")] == 1
    assert counts[("orders", "customer_id", "orphans")] == 1  # 7; NULL is no orphan
    assert counts[("orders", "amount", "check")] == 1
    assert counts[("orders", "status", "length")] == 1
    skipped = [v for v in found if isinstance(v, violations.Skipped)]
    assert [s.reason for s in skipped] == ["pg_only: SQL text not valid on the target"]
    engine.dispose()


def test_small_samples_raise_the_tv_bar_not_large_ones() -> None:
    small = _profile(rows=200)
    measures, _ = compare_profiles(small, _profile(rows=200, status=(0.64, 0.36)))
    tv = next(x for x in measures if x.measure == "tv")
    assert tv.bar > 0.06 and tv.passed  # 0.06 apart on 200 rows is noise
    measures, _ = compare_profiles(_profile(), _profile(status=(0.64, 0.36)))
    tv = next(x for x in measures if x.measure == "tv")
    assert tv.bar == 0.05 and not tv.passed  # on 10,000 rows it is a real difference


@pytest.mark.parametrize(
    ("production", "staging", "passes"),
    [
        (64 * 1024, 96 * 1024, True),  # a lookup table a few pages apart: no real difference
        (10 << 20, 13 << 20, False),  # 30 % bigger on 10 MiB: a real miss
        (10 << 20, 11 << 20, True),  # 10 %: within the bar
    ],
)
def test_bytes_bar_ignores_a_few_pages(production: int, staging: int, passes: bool) -> None:
    def sized(data: int) -> Profile:
        table = Table(
            name="t",
            columns={"id": Column(name="id", logical_type="integer", sql_type="integer")},
            row_count=100,
            data_bytes=data,
            index_bytes=0,
        )
        return Profile(format=FORMAT, source=Source(dialect="mysql"), tables={"t": table})

    measures, _ = compare_profiles(sized(production), sized(staging))
    (size,) = [m for m in measures if m.measure == "bytes"]
    assert size.passed is passes
