"""Relationships, not only columns: orderings in a row and along FKs, FK diamonds and
arithmetic identities are found when profiling, held in staging as often as in production
(within 2 points), and measured by verify on every database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rental_source import build_rental_source

from paritygen.generate.keys import KeyFactory
from paritygen.generate.plan import block_ranges, build_plan
from paritygen.generate.rows import TableRows
from paritygen.profile.relations import discover, relation_share
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database
from paritygen.verify.relations import MEASURE_OF_KIND

EXPECTED = {
    ("rental", "order", ("rental_date", "return_date")),
    ("payment", "fk_order", ("payment_date",)),
    ("payment", "diamond", ("customer_id",)),
    ("shop_order", "sum", ("order_total", "subtotal", "tax_paid")),
    ("shop_order", "product", ("extended_price", "quantity", "unit_price")),
    ("customer", "order", ("create_date", "last_update")),
}


@pytest.fixture(scope="module")
def rental_profile(tmp_path_factory):
    path = tmp_path_factory.mktemp("rental") / "rental.sqlite"
    return profile_database(build_rental_source(path), progress=False)


def test_relations_are_found_as_shares(rental_profile) -> None:
    found = {(t.name, r.kind, r.columns) for t in rental_profile.tables.values()
             for r in t.relations}  # fmt: skip
    assert found >= EXPECTED
    diamond = next(r for r in rental_profile.table("payment").relations if r.kind == "diamond")
    assert diamond.via == ("rental_id",) and diamond.ref_table == "rental"
    # shares only: no value of the source crosses into the profile through a relation
    assert all(0.95 <= r.share <= 1.0 for t in rental_profile.tables.values()
               for r in t.relations)  # fmt: skip


def test_relations_hold_in_staging(rental_profile, db_url: str) -> None:
    generate_database(rental_profile, db_url, seed=4, progress=False)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        for table in rental_profile.tables.values():
            for relation in table.relations:
                share, rows = relation_share(conn, None, rental_profile.tables, table.name,
                                             relation)  # fmt: skip
                assert rows > 0 and abs(share - relation.share) <= 0.02, (table.name, relation)
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM payment p LEFT JOIN rental r ON r.rental_id = p.rental_id"
            " WHERE p.rental_id IS NOT NULL AND r.rental_id IS NULL"
        )).scalar()  # fmt: skip
    engine.dispose()
    assert orphans == 0
    result = verify_database(rental_profile, db_url, progress=False)
    kinds = {m.measure for m in result.measures}
    assert set(MEASURE_OF_KIND.values()) <= kinds
    assert not result.misses, [(m.target, m.measure, round(m.value, 3)) for m in result.misses]
    # Profiling staging finds its relations from the values it read for the statistics (row
    # relations) and joins the parents' kept columns in memory (FK relations): the same
    # relations, to the last share digit, as the database's own sample reads and joins.
    staged = profile_database(db_url, progress=False)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        for name, table in staged.tables.items():
            assert table.relations == discover(conn, None, staged.tables, name), name
    engine.dispose()
    found = {(t.name, r.kind, r.columns) for t in staged.tables.values() for r in t.relations}
    assert {f for f in found if f[1] in ("fk_order", "diamond")}


def test_rows_made_for_one_column_hold_the_whole_rows_values(rental_profile) -> None:
    # An FK ordering reads its parent's column from the parent's rows made again: only that
    # column, the key and what their values depend on are made (TPC-H's lineitem made every
    # orders column, comments too, for o_orderdate), with the values of the whole rows.
    plan = build_plan(rental_profile, scale=1.0, tables=None, chunk_rows=None, deferrable=True)
    keys = KeyFactory(rental_profile, plan, 3)
    # payment_date follows its rental's date (the parent made again) and stays; amount goes.
    table, left_out = "payment", "amount"
    rows = plan.row_count(table)
    columns = ["payment_id", "payment_date"]
    full = TableRows(rental_profile, keys.table_keys(table), rows, 3, 1.0)
    some = TableRows(rental_profile, keys.table_keys(table), rows, 3, 1.0, only=columns)
    assert left_out in full.generators and left_out not in some.generators
    for block, start, count in block_ranges(0, rows):
        made = some.block(block, start, count)
        assert left_out not in made.columns
        assert made.select(columns).equals(full.block(block, start, count).select(columns))
