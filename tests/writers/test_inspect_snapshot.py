"""Keys, indexes and FKs read for many tables at once (the finishing step's snapshot) say what
the inspector says table by table, on every database."""

from __future__ import annotations

import sqlalchemy as sa

from paritygen.writers.inspect import TargetInspector


def test_snapshot_answers_like_the_inspector(db_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("code", sa.String(10), unique=True),
             sa.Column("name", sa.String(20), index=True))  # fmt: skip
    sa.Table("child", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("parent_id", sa.ForeignKey("parent.id")),
             sa.Column("note", sa.String(20)))  # fmt: skip
    bare = sa.Table("bare", sa.MetaData(), sa.Column("x", sa.Integer))
    engine = sa.create_engine(db_url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            live = TargetInspector(conn)
            tables = [*metadata.sorted_tables, bare]  # bare is absent: left to the inspector
            snapshot = live.snapshot(tables)
            assert {table for _, _, table in snapshot} == {"parent", "child"}
            cached = TargetInspector(conn, snapshot)
            for name in ("parent", "child"):
                assert cached.get_pk_constraint(name) == live.get_pk_constraint(name)
                assert cached.get_unique_constraints(name) == live.get_unique_constraints(name)
                assert cached.get_indexes(name) == live.get_indexes(name)
                assert cached.get_foreign_keys(name) == live.get_foreign_keys(name)
            assert cached.get_foreign_keys("child")[0]["referred_table"] == "parent"
    finally:
        engine.dispose()
