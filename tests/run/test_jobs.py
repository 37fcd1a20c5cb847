"""``generate --jobs N``: tables loaded, keyed and analysed side by side hold exactly the rows
one session writes, with every key and FK in place (PostgreSQL: FKs added after the load;
MariaDB: FK checks off in the load sessions)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from paritygen.errors import ConfigError
from paritygen.profile.io import read_profile
from paritygen.run.generate import generate_database
from paritygen.run.stage import RunOptions

SHOP = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"
SCALE = 0.02


def _contents(url: str) -> dict[str, str]:
    """Every table's rows as one md5 over its rows in a fixed order (PostgreSQL)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                name: conn.exec_driver_sql(
                    f'SELECT count(*) || \':\' || coalesce(md5(string_agg(t::text, \'|\' ORDER BY'
                    f' t::text)), \'\') FROM "{name}" t'
                ).scalar_one()
                for name in names
                if "paritygen" not in name  # the run's own state table
            }
    finally:
        engine.dispose()


def _constraints(url: str) -> list[tuple[str, str, str]]:
    """(table, kind, columns) of every PK, unique and FK the target holds."""
    engine = sa.create_engine(url)
    found = []
    try:
        inspector = sa.inspect(engine)
        for name in inspector.get_table_names():
            if "paritygen" in name:  # the run's own state table
                continue
            pk = inspector.get_pk_constraint(name)["constrained_columns"]
            found.append((name, "pk", ",".join(pk)))
            found += [(name, "fk", ",".join(fk["constrained_columns"]))
                      for fk in inspector.get_foreign_keys(name)]  # fmt: skip
            found += [(name, "unique", ",".join(u["column_names"]))
                      for u in inspector.get_unique_constraints(name)]  # fmt: skip
    finally:
        engine.dispose()
    return sorted(found)


def _unanalysed(url: str) -> list[str]:
    """Tables of the target holding rows but no planner statistics: only ANALYZE fills
    ``pg_stats`` (PostgreSQL)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.exec_driver_sql(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 0"
                " AND strpos(c.relname, 'paritygen') = 0 AND NOT EXISTS (SELECT 1 FROM pg_stats s"
                " WHERE s.schemaname = 'public' AND s.tablename = c.relname)"
            ).scalars())  # fmt: skip
    finally:
        engine.dispose()


def test_jobs_give_the_same_tables_on_postgresql(tmp_path: Path) -> None:
    from tests.conftest import new_database

    profile = read_profile(SHOP)
    one, two = new_database("postgresql", tmp_path), new_database("postgresql", tmp_path)
    url_one, url_two = next(one), next(two)
    try:
        generate_database(profile, url_one, scale=SCALE, seed=7, jobs=1, chunk_rows=64)
        generate_database(profile, url_two, scale=SCALE, seed=7, jobs=2, chunk_rows=64)
        first, second = _contents(url_one), _contents(url_two)
        assert len(first) == len(profile.tables)
        assert first == second
        assert _constraints(url_one) == _constraints(url_two)
        assert any(kind == "fk" for _, kind, _ in _constraints(url_two))
        assert _unanalysed(url_two) == []  # ANALYZE overlapped with other tables' keys, still run
    finally:
        next(one, None)
        next(two, None)


def test_jobs_on_mariadb_keep_counts_and_constraints(mysql_url: str, tmp_path: Path) -> None:
    profile = read_profile(SHOP)
    summary = generate_database(profile, mysql_url, scale=SCALE, seed=7, jobs=2)
    engine = sa.create_engine(mysql_url)
    try:
        with engine.connect() as conn:
            for name, table in summary.tables.items():
                count = conn.exec_driver_sql(f"SELECT count(*) FROM `{name}`").scalar_one()
                assert count == table.rows
    finally:
        engine.dispose()
    declared = sum(len(t.foreign_keys) for t in profile.tables.values())
    assert sum(kind == "fk" for _, kind, _ in _constraints(mysql_url)) == declared


def test_jobs_below_one_are_refused() -> None:
    with pytest.raises(ConfigError, match="--jobs"):
        RunOptions(jobs=0)


def test_the_largest_tables_start_first(pg_url: str) -> None:
    """Side by side, a free session takes the largest table waiting: the small one listed
    first starts last, so the largest no longer loads alone at the end."""
    import polars as pl

    from paritygen.run.load import TableLoad, load_tables
    from paritygen.writers.base import open_writer
    from paritygen.writers.schema import create_tables

    engine = sa.create_engine(pg_url)
    metadata = sa.MetaData()
    for name in ("small", "middle", "large"):
        sa.Table(name, metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    create_tables(engine, metadata, constraints_after_load=True)
    started: list[str] = []

    def rows(name: str, count: int):  # noqa: ANN202
        def make(bar):  # noqa: ANN001, ANN202 - called by the unit as it starts
            started.append(name)
            return iter([pl.DataFrame({"id": list(range(1, count + 1))})])

        return make

    writer = open_writer(engine)
    try:
        loads = [TableLoad(n, c, rows(n, c)) for n, c in (("small", 5), ("middle", 50),
                                                            ("large", 500))]  # fmt: skip
        done = load_tables(writer, metadata, loads, jobs=2)
    finally:
        getattr(writer, "close", lambda: None)()
        engine.dispose()
    assert sorted(started[:2]) == ["large", "middle"] and started[2] == "small"
    assert {name: summary.rows for name, summary in done.items()} == {
        "small": 5, "middle": 50, "large": 500
    }


def test_heavy_tables_never_load_side_by_side(pg_url: str) -> None:
    """Two heavy tables (their set-up and chunks take tens of MB each) wait for each other,
    while a light one loads beside either: with three sessions, at most one heavy at a time.
    Each heavy table holds its rows back until the light one has started, so without the rule
    both heavies would be running together then."""
    import threading

    import polars as pl

    from paritygen.run.load import TableLoad, load_tables
    from paritygen.writers.base import open_writer
    from paritygen.writers.schema import create_tables

    engine = sa.create_engine(pg_url)
    metadata = sa.MetaData()
    for name in ("heavy_a", "heavy_b", "light"):
        sa.Table(name, metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    create_tables(engine, metadata, constraints_after_load=True)
    lock = threading.Lock()
    light_started = threading.Event()
    running: set[str] = set()
    seen: list[frozenset[str]] = []

    def rows(name: str, count: int):  # noqa: ANN202
        def chunks():  # noqa: ANN202
            with lock:
                running.add(name)
            if name == "light":
                light_started.set()
            else:
                light_started.wait(timeout=30)
            with lock:
                seen.append(frozenset(running))
            yield pl.DataFrame({"id": list(range(1, count + 1))})
            with lock:
                running.discard(name)

        return lambda bar: chunks()  # noqa: ARG005 - the progress bar is not needed

    writer = open_writer(engine)
    try:
        loads = [
            TableLoad("heavy_a", 50, rows("heavy_a", 50), heavy=True),
            TableLoad("heavy_b", 40, rows("heavy_b", 40), heavy=True),
            TableLoad("light", 30, rows("light", 30)),
        ]
        done = load_tables(writer, metadata, loads, jobs=3)
    finally:
        getattr(writer, "close", lambda: None)()
        engine.dispose()
    assert not any({"heavy_a", "heavy_b"} <= names for names in seen), seen
    assert any({"heavy_a", "light"} <= names for names in seen), seen
    assert {name: summary.rows for name, summary in done.items()} == {
        "heavy_a": 50, "heavy_b": 40, "light": 30
    }
