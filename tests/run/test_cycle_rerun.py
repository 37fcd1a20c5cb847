"""A NOT NULL FK cycle (Sakila's store <-> staff) refilled in existing mode on N sessions.

A killed job is rerun into the tables it left: the schema mode becomes ``existing``, the cycle's
FKs are dropped for the load, and the parallel scheduler must not wait on them (it waited
forever: "units wait on each other in a cycle").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import new_database

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database


@pytest.fixture(params=["postgresql", "mysql"])
def server_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Source and target on one server (SQLite cannot add an FK to a table that exists)."""
    source, target = new_database(request.param, tmp_path), new_database(request.param, tmp_path)
    yield next(source), next(target)
    for database in (source, target):
        next(database, None)


def _source(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE store (id integer PRIMARY KEY, manager_id integer NOT NULL)")
        )
        conn.execute(sa.text(
            "CREATE TABLE staff (id integer PRIMARY KEY, store_id integer NOT NULL"
            " REFERENCES store (id), grade integer NOT NULL)"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TABLE rental (id integer PRIMARY KEY, staff_id integer NOT NULL"
            " REFERENCES staff (id), store_id integer NOT NULL REFERENCES store (id))"
        ))  # fmt: skip
        if engine.dialect.name == "mysql":
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        conn.execute(sa.text("INSERT INTO store VALUES " + ",".join(
            f"({i}, {i * 3})" for i in range(1, 9))))  # fmt: skip
        conn.execute(sa.text("INSERT INTO staff VALUES " + ",".join(
            f"({i}, {1 + i % 8}, {i % 4})" for i in range(1, 31))))  # fmt: skip
        conn.execute(sa.text("ALTER TABLE store ADD CONSTRAINT fk_store_manager"
                             " FOREIGN KEY (manager_id) REFERENCES staff (id)"))  # fmt: skip
        conn.execute(sa.text("INSERT INTO rental VALUES " + ",".join(
            f"({i}, {1 + (i * 7) % 30}, {1 + i % 8})" for i in range(1, 501))))  # fmt: skip
    engine.dispose()


def _orphans(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(
                conn.execute(sa.text(query)).scalar()
                for query in (
                    "SELECT count(*) FROM staff WHERE store_id NOT IN (SELECT id FROM store)",
                    "SELECT count(*) FROM store WHERE manager_id NOT IN (SELECT id FROM staff)",
                    "SELECT count(*) FROM rental WHERE staff_id NOT IN (SELECT id FROM staff)",
                )
            )
    finally:
        engine.dispose()


def test_not_null_cycle_refilled_in_existing_mode_on_two_sessions(
    server_pair: tuple[str, str],
) -> None:
    source, target = server_pair
    _source(source)
    profile = profile_database(source, progress=False)
    first = generate_database(profile, target, seed=3, progress=False, jobs=2)
    assert first.rows == 538
    # The rerun finds the tables (existing mode) and refills them side by side.
    again = generate_database(profile, target, seed=3, progress=False, jobs=2, if_exists="truncate")
    assert {name: t.rows for name, t in again.tables.items()} == {
        "store": 8, "staff": 30, "rental": 500,
    }  # fmt: skip
    assert _orphans(target) == 0
