"""Tables profiled side by side on sessions sharing one snapshot: the same profile as one by one,
and the small executor that runs them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from paritygen.parallel import Unit, UnitsFailed, run_units
from paritygen.profile.io import profile_to_dict
from paritygen.profile.run import profile_database


def _warehouse(url: str) -> None:
    """Six tables, FKs among them, a few thousand rows: several tables in flight at once."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for sql in (
            "CREATE TABLE region (id int PRIMARY KEY, name text NOT NULL)",
            "CREATE TABLE customer (id int PRIMARY KEY, region_id int REFERENCES region(id),"
            " email text NOT NULL, note text)",
            "CREATE TABLE product (id int PRIMARY KEY, name text, price numeric(10,2))",
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customer(id),"
            " placed timestamp NOT NULL)",
            "CREATE TABLE line (order_id int REFERENCES orders(id), product_id int"
            " REFERENCES product(id), qty int, PRIMARY KEY (order_id, product_id))",
            "CREATE TABLE audit (id int PRIMARY KEY, what text)",
            "INSERT INTO region SELECT i, 'region ' || i FROM generate_series(1, 8) i",
            "INSERT INTO customer SELECT i, 1 + i % 8, 'c' || i || '@example.com',"
            " CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('x', i % 40) END"
            " FROM generate_series(1, 3000) i",
            "INSERT INTO product SELECT i, 'p' || i, (i % 97) + 0.99"
            " FROM generate_series(1, 500) i",
            "INSERT INTO orders SELECT i, 1 + (i * 7) % 3000, timestamp '2024-01-01'"
            " + i * interval '37 minutes' FROM generate_series(1, 8000) i",
            "INSERT INTO line SELECT o, 1 + (o * 13 + k) % 500, 1 + k"
            " FROM generate_series(1, 8000) o, generate_series(0, 2) k",
            "INSERT INTO audit SELECT i, 'event ' || (i % 17) FROM generate_series(1, 2000) i",
        ):
            conn.execute(sa.text(sql))
    engine.dispose()


def test_tables_profiled_side_by_side_give_the_same_profile(pg_url: str) -> None:
    _warehouse(pg_url)
    found = []
    for jobs in (1, 3):
        data = profile_to_dict(profile_database(pg_url, progress=False, jobs=jobs))
        for volatile in ("captured_at", "duration_seconds"):
            data["source"].pop(volatile, None)
        found.append(data)
    assert found[0] == found[1]
    assert len(found[0]["tables"]) == 6


def test_units_wait_for_their_dependencies_and_report_failures() -> None:
    finished: list[str] = []

    def work(name: str) -> str:
        finished.append(name)
        return name.upper()

    units = [
        Unit("child", lambda: work("child"), after=frozenset({"parent"})),
        Unit("parent", lambda: work("parent")),
        Unit("other", lambda: work("other"), apart_from=frozenset({"parent"})),
    ]
    results = run_units(units, 3)
    assert results == {"child": "CHILD", "parent": "PARENT", "other": "OTHER"}
    assert finished.index("parent") < finished.index("child")

    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(UnitsFailed) as failed:
        run_units([Unit("bad", fail), Unit("after", lambda: 1, after=frozenset({"bad"}))], 2)
    assert isinstance(failed.value.cause, ValueError)
    assert failed.value.running == ["bad"] and failed.value.pending == ["after"]


def test_every_profiling_session_reads_tables_from_their_first_page(pg_url: str) -> None:
    """PostgreSQL's synchronized scans would start a read where another scan of the table is
    (rows in another order, other rows in the fixed-seed samples): off on the profiling
    session and on every session joining its snapshot."""
    from paritygen.profile import dialects

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn, engine.connect() as joined:
            dialects.start_session(conn)
            dialects.join_session(joined, dialects.export_snapshot(conn) or "")
            for session in (conn, joined):
                assert session.exec_driver_sql("SHOW synchronize_seqscans").scalar() == "off"
    finally:
        engine.dispose()
