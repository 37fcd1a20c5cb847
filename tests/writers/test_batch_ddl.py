"""PostgreSQL's DDL goes one step a round trip (``Capabilities.batch_ddl``): the new tables,
with the same schema as SQLAlchemy's statement-by-statement path (the fallback), and a
table's keys and indexes after the load."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from paritygen.db import make_engine
from paritygen.writers.schema import create_tables, finish_tables


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    mood = postgresql.ENUM("calm", "50%", name="mood")
    sa.Table(
        "parent", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("note", sa.String(10), server_default=sa.text("'50%'")),
        sa.Column("mood", mood),
        sa.CheckConstraint("note LIKE '%0%'", name="ck_note"),
        sa.Index("ix_note", "note"),
    )  # fmt: skip
    sa.Table(
        "child", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id")),
    )  # fmt: skip
    return metadata


def _statements(engine: sa.Engine, run) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_new_tables_in_one_statement_with_the_same_schema(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        seen = _statements(
            engine, lambda: create_tables(engine, _metadata(), constraints_after_load=False)
        )
        creates = [s for s in seen if "CREATE" in s]
        assert len(creates) == 1 and creates[0].count("CREATE TABLE") == 2
        assert "CREATE TYPE mood" in creates[0]
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {"parent", "child"}
        columns = {c["name"]: c for c in inspector.get_columns("parent")}
        assert columns["note"]["default"].startswith("'50%'")  # not doubled to 50%%
        assert columns["mood"]["type"].enums == ["calm", "50%"]
        (check,) = inspector.get_check_constraints("parent")
        assert "'%0%'" in check["sqltext"]
        assert [i["name"] for i in inspector.get_indexes("parent")] == ["ix_note"]
        assert inspector.get_foreign_keys("child")[0]["referred_table"] == "parent"
    finally:
        engine.dispose()


def test_an_existing_type_falls_back_to_one_by_one(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('calm', '50%%')")  # pyformat
        create_tables(engine, _metadata(), constraints_after_load=False)
        assert set(sa.inspect(engine).get_table_names()) == {"parent", "child"}
    finally:
        engine.dispose()


def test_a_tables_keys_and_indexes_in_one_statement(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        metadata = _metadata()
        create_tables(engine, metadata, constraints_after_load=True)
        inspector = sa.inspect(engine)
        assert not inspector.get_pk_constraint("parent")["constrained_columns"]
        seen = _statements(engine, lambda: finish_tables(engine, metadata, jobs=1))
        (keys,) = [s for s in seen if "ix_note" in s]
        assert "PRIMARY KEY" in keys and "CREATE INDEX ix_note" in keys
        inspector = sa.inspect(engine)
        assert inspector.get_pk_constraint("parent")["constrained_columns"] == ["id"]
        assert [i["name"] for i in inspector.get_indexes("parent")] == ["ix_note"]
        assert inspector.get_foreign_keys("child")[0]["referred_table"] == "parent"
        (check,) = inspector.get_check_constraints("parent")
        assert "'%0%'" in check["sqltext"]
    finally:
        engine.dispose()
