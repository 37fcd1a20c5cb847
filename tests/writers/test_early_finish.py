"""Keys built beside the load (``--jobs 2``; PostgreSQL, and MariaDB for its keys and FKs):
a table's PK is built as soon as its own rows are in, while another table is still loading,
and after the load every key, FK (checked) and planner statistic is in place, as
:func:`finish_tables` after the load leaves them; an FK whose rows break it is refused as when
it is added checked."""

from __future__ import annotations

import threading

import polars as pl
import pytest
import sqlalchemy as sa

from paritygen.errors import LoadError
from paritygen.run.load import TableLoad, load_tables
from paritygen.writers.base import open_writer
from paritygen.writers.finish import early_finish_units, finish_after_early, finish_late_checks
from paritygen.writers.schema import create_tables

WAIT_SECONDS = 60
"""Bound on waiting for the parent's keys (a guard against a hang, not a timing assertion)."""


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("parent", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table(
        "child", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("parent.id"), nullable=False),
    )  # fmt: skip
    return metadata


def test_keys_build_beside_the_other_tables_load(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    metadata = _metadata()
    create_tables(engine, metadata, constraints_after_load=True)
    units = early_finish_units(engine, metadata, jobs=2)
    assert units is not None
    parent_keyed = threading.Event()
    seen: dict[str, bool] = {}

    def mark(unit):  # noqa: ANN001, ANN202 - a paritygen.parallel.Unit
        def run() -> None:
            unit.run()
            parent_keyed.set()

        return run

    units = [
        unit.__class__(unit.name, mark(unit), unit.after, unit.apart_from)
        if unit.name == "keys:parent" else unit
        for unit in units
    ]  # fmt: skip

    def parent_rows(bar):  # noqa: ANN001, ANN202
        yield pl.DataFrame({"id": list(range(1, 101))})

    def child_rows(bar):  # noqa: ANN001, ANN202
        # Still loading: the parent's keys come now, not after this table's rows.
        seen["parent keyed while the child loads"] = parent_keyed.wait(WAIT_SECONDS)
        yield pl.DataFrame(
            {"id": list(range(1, 201)), "parent_id": [1 + i % 100 for i in range(200)]}
        )

    writer = open_writer(engine)
    try:
        loads = [
            TableLoad("parent", 100, parent_rows),
            TableLoad("child", 200, child_rows, after=frozenset({"parent"})),
        ]
        done = load_tables(writer, metadata, loads, jobs=2, finish=units)
        finish_late_checks(engine, metadata)
    finally:
        getattr(writer, "close", lambda: None)()
    assert seen == {"parent keyed while the child loads": True}
    assert {name: summary.rows for name, summary in done.items()} == {"parent": 100, "child": 200}
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("parent")["constrained_columns"] == ["id"]
    assert inspector.get_pk_constraint("child")["constrained_columns"] == ["id"]
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("child")] == ["parent"]
    with engine.connect() as conn:
        analysed = (
            conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                " ORDER BY relname"
            )
            .scalars()
            .all()
        )
        unchecked = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"
        ).scalar_one()
    assert analysed == ["child", "parent"]
    assert unchecked == 0  # added unchecked beside the load, then checked
    engine.dispose()


def test_no_early_units_for_one_session(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    assert early_finish_units(engine, _metadata(), jobs=1) is None
    engine.dispose()


def test_an_fk_the_rows_break_is_refused(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    metadata = _metadata()
    create_tables(engine, metadata, constraints_after_load=True)
    units = early_finish_units(engine, metadata, jobs=2)
    assert units is not None

    def parent_rows(bar):  # noqa: ANN001, ANN202
        yield pl.DataFrame({"id": [1, 2]})

    def child_rows(bar):  # noqa: ANN001, ANN202
        yield pl.DataFrame({"id": [1, 2], "parent_id": [1, 3]})  # 3: no such parent

    writer = open_writer(engine)
    try:
        loads = [TableLoad("parent", 2, parent_rows), TableLoad("child", 2, child_rows)]
        with pytest.raises(LoadError, match="finishing tables"):
            load_tables(writer, metadata, loads, jobs=2, finish=units)
    finally:
        getattr(writer, "close", lambda: None)()
    assert sa.inspect(engine).get_foreign_keys("child") == [] or _unchecked(engine) == 1
    engine.dispose()


def _unchecked(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"
        ).scalar_one()


def test_an_fk_to_a_parent_is_checked_while_a_child_still_loads(pg_url: str) -> None:
    """mid -> top is added and checked before low (which references mid) is in: an FK waits
    for its own table's and its parents' keys, not its children's."""
    engine = sa.create_engine(pg_url)
    metadata = sa.MetaData()
    sa.Table("top", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    for name, parent in (("mid", "top"), ("low", "mid")):
        sa.Table(
            name, metadata,
            sa.Column("id", sa.BigInteger, primary_key=True),
            sa.Column("up", sa.BigInteger, sa.ForeignKey(f"{parent}.id"), nullable=False),
        )  # fmt: skip
    create_tables(engine, metadata, constraints_after_load=True)
    units = early_finish_units(engine, metadata, jobs=2)
    assert units is not None
    mid_checked = threading.Event()
    seen: dict[str, bool] = {}

    def marked(unit):  # noqa: ANN001, ANN202 - a paritygen.parallel.Unit
        def run() -> None:
            unit.run()
            mid_checked.set()

        return unit.__class__(unit.name, run, unit.after, unit.apart_from)

    units = [marked(unit) if unit.name == "validate:mid" else unit for unit in units]

    def rows(count: int):  # noqa: ANN202
        def make(bar):  # noqa: ANN001, ANN202
            yield pl.DataFrame({"id": list(range(1, count + 1))}).with_columns(
                up=(pl.col("id") - 1) % 10 + 1
            )

        return make

    def low_rows(bar):  # noqa: ANN001, ANN202
        seen["mid's FK checked while low loads"] = mid_checked.wait(WAIT_SECONDS)
        yield from rows(300)(bar)

    writer = open_writer(engine)
    try:
        loads = [
            TableLoad("top", 10, lambda bar: iter([pl.DataFrame({"id": list(range(1, 11))})])),
            TableLoad("mid", 200, rows(200)),
            TableLoad("low", 300, low_rows),
        ]
        load_tables(writer, metadata, loads, jobs=2, finish=units)
    finally:
        getattr(writer, "close", lambda: None)()
    assert seen == {"mid's FK checked while low loads": True}
    inspector = sa.inspect(engine)
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("low")] == ["mid"]
    assert _unchecked(engine) == 0
    engine.dispose()


def test_mariadb_keys_beside_the_load_statistics_after(mysql_url: str) -> None:
    """MariaDB: a table's secondary keys are built while another table still loads; its
    AUTO_INCREMENT (an ALTER TABLE, after the CHECKs held back) and statistics come after the
    load (finish_after_early)."""
    from paritygen.db import make_engine

    engine = make_engine(mysql_url)
    metadata = sa.MetaData()
    sa.Table(
        "parent", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
    )  # fmt: skip
    sa.Table(
        "child", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("parent.id"), nullable=False),
    )  # fmt: skip
    create_tables(engine, metadata, constraints_after_load=True)
    units = early_finish_units(engine, metadata, jobs=2)
    assert units is not None
    assert not [u.name for u in units if u.name.startswith("analyze:")]
    parent_keyed = threading.Event()
    seen: dict[str, bool] = {}

    def marked(unit):  # noqa: ANN001, ANN202 - a paritygen.parallel.Unit
        def run() -> None:
            unit.run()
            parent_keyed.set()

        return unit.__class__(unit.name, run, unit.after, unit.apart_from)

    units = [marked(unit) if unit.name == "keys:parent" else unit for unit in units]

    def parent_rows(bar):  # noqa: ANN001, ANN202
        yield pl.DataFrame({"id": list(range(1, 101)), "code": [f"c{i}" for i in range(100)]})

    def child_rows(bar):  # noqa: ANN001, ANN202
        seen["parent keyed while the child loads"] = parent_keyed.wait(WAIT_SECONDS)
        yield pl.DataFrame(
            {"id": list(range(1, 201)), "parent_id": [1 + i % 100 for i in range(200)]}
        )

    writer = open_writer(engine)
    try:
        loads = [TableLoad("parent", 100, parent_rows), TableLoad("child", 200, child_rows)]
        load_tables(writer, metadata, loads, jobs=2, finish=units)
        finish_after_early(engine, metadata, jobs=2)
    finally:
        getattr(writer, "close", lambda: None)()
    assert seen == {"parent keyed while the child loads": True}
    inspector = sa.inspect(engine)
    assert [u["column_names"] for u in inspector.get_unique_constraints("parent")] == [["code"]]
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("child")] == ["parent"]
    with engine.connect() as conn:
        next_id = conn.exec_driver_sql(
            "SELECT auto_increment FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name = 'parent'"
        ).scalar_one()
    assert next_id == 101
    engine.dispose()
