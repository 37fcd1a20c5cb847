"""k counts people: a value repeated by one customer's many invoices is still one person's."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from paritygen.profile.names import name_tag
from paritygen.profile.people import parents_first
from paritygen.profile.run import profile_database


def _shop(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE customer (id integer PRIMARY KEY, email varchar(80), city varchar(40))"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TABLE invoice (id integer PRIMARY KEY, customer_id integer REFERENCES"
            " customer (id), billing_city varchar(40), channel varchar(10))"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TABLE invoice_line (id integer PRIMARY KEY, invoice_id integer REFERENCES"
            " invoice (id), wrapping varchar(40))"
        ))  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO customer VALUES (:i, :e, :c)"),
            [{"i": i, "e": f"user{i}@mail.test", "c": "Shared" if i < 20 else f"Town{i}"}
             for i in range(60)],  # fmt: skip
        )
        invoices, lines = [], []
        for customer in range(60):
            city = "Shared" if customer < 20 else f"Town{customer}"  # 40 cities of one person
            for _ in range(7):  # 7 invoices each: every city clears k = 5 rows
                invoice = len(invoices)
                invoices.append({"i": invoice, "c": customer, "b": city,
                                 "ch": "web" if invoice % 2 else "shop"})  # fmt: skip
                lines.append({"i": invoice, "v": invoice, "g": f"For {city}"})
        conn.execute(sa.text("INSERT INTO invoice VALUES (:i, :c, :b, :ch)"), invoices)
        conn.execute(sa.text("INSERT INTO invoice_line VALUES (:i, :v, :g)"), lines)
    engine.dispose()


def _common(profile, table: str, column: str) -> set:
    stats = profile.tables[table].columns[column].stats
    return {item.value for item in stats.most_common}


def test_k_counts_distinct_persons_through_foreign_keys(sqlite_url: str) -> None:
    _shop(sqlite_url)
    profile = profile_database(sqlite_url, progress=False, reference_rows=0)
    assert _common(profile, "invoice", "billing_city") == {"Shared"}
    assert _common(profile, "invoice", "channel") == {"web", "shop"}
    # Two hops: invoice_line -> invoice -> customer.
    assert _common(profile, "invoice_line", "wrapping") == {"For Shared"}
    # The customer table is about people: its rows are persons, k counts rows there.
    assert _common(profile, "customer", "city") == {"Shared"}
    # Measuring order follows the FKs, the file keeps the source's order.
    assert list(profile.tables) == ["customer", "invoice", "invoice_line"]


def test_parents_first_breaks_cycles() -> None:
    from paritygen.profile.model import Column, ForeignKey, Table

    def table(name: str, *refs: str) -> Table:
        fks = tuple(ForeignKey(columns=("x",), ref_table=r, ref_columns=("id",)) for r in refs)
        column = Column(name="x", logical_type="integer", sql_type="integer")
        return Table(name=name, columns={"x": column}, foreign_keys=fks)

    tables = {"a": table("a", "b"), "b": table("b", "c"), "c": table("c", "a", "c")}
    order = parents_first(tables, ["a", "b", "c"])
    assert sorted(order) == ["a", "b", "c"]
    assert order.index("b") < order.index("a")


def test_name_columns_found_whatever_they_are_called() -> None:
    full = ["Mary Smith", "JOHN BROWN", "lopez, ana", "Peter O'Brien", "Anna-Lena Weber"]
    assert name_tag(pl.Series(full * 3)) == "full_name"
    assert name_tag(pl.Series(["North", "South", "West", "Central", "East"])) is None
    assert name_tag(pl.Series(["Rock", "Jazz", "Metal", "Blues", "Pop", "Latin"])) is None
    cities = ["Paris", "London", "Berlin", "New York", "San Jose", "Sao Paulo", "Lisbon"]
    assert name_tag(pl.Series(cities * 5)) is None


def test_k_counts_people_for_decimal_columns() -> None:
    """PostgreSQL's numeric arrives as polars Decimal while the counted values are floats: a
    payment amount paid by many customers stays a most-common value (Sakila's 4.99 was lost)."""
    from decimal import Decimal

    from paritygen.profile.stats import _people_filter

    values = pl.Series("amount", [Decimal("4.99")] * 6 + [Decimal("0.99")] * 6,
                       dtype=pl.Decimal(5, 2))  # fmt: skip
    persons = pl.Series("person", [1, 2, 3, 4, 5, 6] + [7] * 6)
    kept = _people_filter([(4.99, 6), (0.99, 6)], values, persons, 5)
    assert kept == [(4.99, 6)]  # 0.99 is one person's six payments


def test_k_counts_people_the_same_with_the_first_pass() -> None:
    """A read large enough for the first pass over every n-th row keeps exactly the values a
    count over every row keeps: a value many persons hold, one a single person holds on most
    rows, one whose few persons only show in the full count, and a rare one."""
    import numpy as np

    from paritygen.profile.stats import PEOPLE_FIRST_PASS_ROWS, _people_filter

    rows = 3 * PEOPLE_FIRST_PASS_ROWS
    rng = np.random.default_rng(7)
    values = np.array(["many"] * rows, dtype=object)
    persons = rng.integers(0, 10_000, rows)
    values[: rows // 3] = "one person"
    persons[: rows // 3] = 42
    values[5:10] = "five persons, rare"  # rows 5..9: persons 5..9, off the every-n-th rows
    persons[5:10] = [5, 6, 7, 8, 9]
    values[11:15] = "four persons"
    persons[11:15] = [1, 2, 3, 4]
    series, owners = pl.Series("v", values.tolist()), pl.Series("p", persons)
    counted = series.value_counts(sort=True, name="count")
    common = list(counted.iter_rows())
    expected = [
        (v, c)
        for v, c in common
        if owners.filter(series == v).n_unique() >= 5
    ]
    kept = _people_filter(common, series, owners, 5)
    assert kept == expected
    assert {v for v, _ in kept} == {"many", "five persons, rare"}
