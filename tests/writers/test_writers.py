"""Writers on all three databases: the fast path and the generic writer leave identical tables.

Every assertion reads the target back with plain SQL through the driver (not through the writer),
and compares against values built here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from paritygen.db import make_engine
from paritygen.errors import LoadError
from paritygen.profile.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Profile,
    Source,
    Table,
    UniqueConstraint,
)
from paritygen.writers.base import SqlAlchemyWriter, open_writer
from paritygen.writers.schema import (
    build_metadata,
    compare_schema,
    create_tables,
    finish_tables,
    schema_notes,
    truncate_tables,
)

TEXTS = [
    "plain",
    "comma, inside",
    'double "quoted"',
    "it's",
    "line\nbreak",
    "tab\there",
    "back\\slash",
    "\\N",
    "NULL",
    "",
    None,
    "ünïcödé ✓ 😀 中文",
    "cr\r\nlf",
    " lead and trail ",
    '",\n\\',
]
JSONS = ['{"a": 1, "b": [1, 2, "x,y"]}', "[]", '"q\\"uote"', '{"n": null}', None, "3.5"]
BYTES = [b"\x00\x01\xff", b"", None, b"\\N\t\n", bytes(range(256))]
DATES = [dt.date(1000, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29), None]
DATETIMES = [
    dt.datetime(1000, 1, 1, 0, 0, 0),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 2, 29, 12, 30, 15, 500),
    None,
]
TIMES = [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 34, 56, 500000), None]
DECIMALS = [-12345.67, 0.01, -0.1, 9999999999.99, 0.0, None]
FLOATS = [1.5, -2.25e10, math.pi, 1e-300, -0.0, None]
BOOLS = [True, False, None]
UUIDS = ["0b6f3f3e-4d7c-4a39-9b0a-1f5c2d3e4f50", None, "ffffffff-ffff-ffff-ffff-ffffffffffff"]
ENUMS = ["new", "paid", "shipped, late", None]


def col(name: str, logical: str, sql: str, **kw) -> Column:
    return Column(name=name, logical_type=logical, sql_type=sql, **kw)


def kinds_table(name: str) -> Table:
    """A table with every logical type."""
    cols = [
        col("id", "integer", "bigint", nullable=False),
        col("small", "integer", "smallint"),
        col("txt", "text", "text"),
        col("vc", "string", "varchar(40)", length=40),
        col("dec", "decimal", "numeric(12,2)", precision=12, scale=2),
        col("flt", "float", "double precision"),
        col("flag", "boolean", "boolean"),
        col("day", "date", "date"),
        col("ts", "datetime", "timestamp"),
        col("tstz", "datetime", "timestamp with time zone", timezone=True),
        col("tm", "time", "time"),
        col("uid", "uuid", "uuid"),
        col("doc", "json", "jsonb"),
        col("blob", "binary", "bytea"),
        col(
            "state",
            "enum",
            "order_state",
            enum_values=("new", "paid", "shipped, late"),
            enum_name="order_state",
        ),
    ]
    return Table(
        name=name,
        columns={c.name: c for c in cols},
        primary_key=("id",),
        indexes=(Index(columns=("day",), name=f"{name}_day_idx"),),
    )


def kinds_frame(start: int, rows: int) -> pl.DataFrame:
    """Awkward values cycled over the rows (each list has a different length, so rows mix)."""
    ids = list(range(start, start + rows))

    def cycle(values: list) -> list:
        return [values[i % len(values)] for i in ids]

    return pl.DataFrame(
        {
            "id": ids,
            "small": [(-32768 if i % 2 else 32767) if i % 5 else None for i in ids],
            "txt": cycle(TEXTS),
            "vc": cycle([t if t is None else t[:40] for t in TEXTS]),
            "dec": cycle(DECIMALS),
            "flt": cycle(FLOATS),
            "flag": cycle(BOOLS),
            "day": cycle(DATES),
            "ts": cycle(DATETIMES),
            "tstz": cycle(DATETIMES[1:3] + [None]),
            "tm": cycle(TIMES),
            "uid": cycle(UUIDS),
            "doc": cycle(JSONS),
            "blob": cycle(BYTES),
            "state": cycle(ENUMS),
        },
        schema={
            "id": pl.Int64,
            "small": pl.Int64,
            "txt": pl.String,
            "vc": pl.String,
            "dec": pl.Float64,
            "flt": pl.Float64,
            "flag": pl.Boolean,
            "day": pl.Date,
            "ts": pl.Datetime("us"),
            "tstz": pl.Datetime("us"),
            "tm": pl.Time,
            "uid": pl.String,
            "doc": pl.String,
            "blob": pl.Binary,
            "state": pl.String,
        },
    )


def make_profile(*tables: Table, dialect: str = "postgresql") -> Profile:
    return Profile(
        format="paritygen/1", source=Source(dialect=dialect), tables={t.name: t for t in tables}
    )


def chunks(total: int, size: int):
    for start in range(1, total + 1, size):
        yield kinds_frame(start, min(size, total + 1 - start))


def read_rows(engine: sa.Engine, table: str, columns: list[str]) -> list[tuple]:
    """Independent read: plain SELECT through the driver, values normalised for comparison."""
    q = engine.dialect.identifier_preparer
    sql = f"SELECT {', '.join(q.quote(c) for c in columns)} FROM {q.quote(table)} ORDER BY 1"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
    finally:
        raw.close()
    return [tuple(_norm(v) for v in row) for row in rows]


def _norm(value):
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def test_fast_and_generic_paths_leave_identical_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = make_profile(kinds_table("fast_kinds"), kinds_table("generic_kinds"))
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata)
    fast = open_writer(engine)
    assert fast.caps.family == {"postgresql": "postgresql", "mysql": "mysql"}.get(
        engine.dialect.name, "sqlite"
    )
    total = 2500
    assert fast.load(metadata.tables["fast_kinds"], chunks(total, 1000)) == total
    assert (
        SqlAlchemyWriter(engine).load(metadata.tables["generic_kinds"], chunks(total, 700)) == total
    )
    finish_tables(engine, metadata)

    columns = list(profile.table("fast_kinds").columns)
    got_fast = read_rows(engine, "fast_kinds", columns)
    got_generic = read_rows(engine, "generic_kinds", columns)
    assert len(got_fast) == total
    assert got_fast == got_generic

    expected = kinds_frame(1, total)
    by_name = {c: i for i, c in enumerate(columns)}
    # Text survives byte for byte, NULL and the empty string stay distinct.
    assert [r[by_name["txt"]] for r in got_fast] == expected["txt"].to_list()
    assert [r[by_name["vc"]] for r in got_fast] == expected["vc"].to_list()
    assert [r[by_name["state"]] for r in got_fast] == expected["state"].to_list()
    assert [r[by_name["uid"]] is None or str(r[by_name["uid"]]) for r in got_fast] == [
        v is None or v for v in expected["uid"].to_list()
    ]
    assert [r[by_name["blob"]] for r in got_fast] == expected["blob"].to_list()
    assert [r[by_name["dec"]] for r in got_fast] == expected["dec"].to_list()
    assert [r[by_name["flt"]] for r in got_fast] == expected["flt"].to_list()
    assert [
        None if r[by_name["flag"]] is None else bool(r[by_name["flag"]]) for r in got_fast
    ] == expected["flag"].to_list()
    if engine.dialect.name != "sqlite":  # SQLite keeps temporal values as text
        assert [r[by_name["day"]] for r in got_fast] == expected["day"].to_list()
        got_ts = [r[by_name["ts"]] for r in got_fast]
        assert got_ts == expected["ts"].to_list()
    text_type = "CHAR" if engine.dialect.name == "mysql" else "TEXT"
    with engine.connect() as conn:
        docs = (
            conn.execute(sa.text(f"SELECT CAST(doc AS {text_type}) FROM fast_kinds ORDER BY id"))
            .scalars()
            .all()
        )
    want_docs = [None if v is None else json.loads(v) for v in expected["doc"].to_list()]
    assert [None if d is None else json.loads(d) for d in docs] == want_docs
    # Exact counts through independent SQL.
    with engine.connect() as conn:
        nulls = conn.execute(sa.text("SELECT COUNT(*) FROM fast_kinds WHERE txt IS NULL")).scalar()
        empties = conn.execute(sa.text("SELECT COUNT(*) FROM fast_kinds WHERE txt = ''")).scalar()
    assert nulls == expected["txt"].is_null().sum()
    assert empties == (expected["txt"] == "").sum()
    assert compare_schema(engine, profile, None) == []
    engine.dispose()


def parent_child_profile(dialect: str = "postgresql") -> Profile:
    parent = Table(
        name="parent",
        columns={
            "id": col("id", "integer", "integer", nullable=False, autoincrement=True),
            "name": col("name", "string", "varchar(20)", length=20),
        },
        primary_key=("id",),
        unique_constraints=(UniqueConstraint(columns=("name",)),),
    )
    child = Table(
        name="child",
        columns={
            "id": col("id", "integer", "integer", nullable=False),
            "parent_id": col("parent_id", "integer", "integer"),
            "qty": col("qty", "integer", "integer", nullable=False),
        },
        primary_key=("id",),
        foreign_keys=(ForeignKey(columns=("parent_id",), ref_table="parent", ref_columns=("id",)),),
        checks=(CheckConstraint(sqltext="qty >= 0", name="child_qty_check"),),
    )
    return make_profile(parent, child, dialect=dialect)


def parent_frame(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": range(100, 100 + n), "name": [f"p{i}" for i in range(n)]},
        schema={"id": pl.Int64, "name": pl.String},
    )


def child_frame(n: int, parents: int, with_parent: bool) -> pl.DataFrame:
    ids = pl.int_range(1, n + 1, eager=True).cast(pl.Int64)
    parent_ids = (ids % parents + 100) if with_parent else pl.Series([None] * n, dtype=pl.Int64)
    return pl.DataFrame({"id": ids, "parent_id": parent_ids, "qty": ids % 7})


@pytest.mark.parametrize("generic", [False, True], ids=["fast", "generic"])
def test_update_by_key_fills_a_nullable_edge(db_url: str, generic: bool) -> None:
    engine = make_engine(db_url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata)
    writer = SqlAlchemyWriter(engine) if generic else open_writer(engine)
    writer.load(metadata.tables["parent"], [parent_frame(50)])
    writer.load(metadata.tables["child"], [child_frame(3000, 50, with_parent=False)])
    updated = writer.update(
        metadata.tables["child"],
        ["id"],
        ["parent_id"],
        (
            child_frame(3000, 50, True).slice(i, 1000).select("id", "parent_id")
            for i in range(0, 3000, 1000)
        ),
    )
    assert updated == 3000
    finish_tables(engine, metadata)
    with engine.connect() as conn:
        wrong = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM child WHERE parent_id IS NULL OR parent_id <> (id % 50) + 100"
            )
        ).scalar()
        orphans = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
                "WHERE p.id IS NULL"
            )
        ).scalar()
    assert (wrong, orphans) == (0, 0)
    engine.dispose()


def test_finish_adds_deferred_keys_and_moves_sequences(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata, constraints_after_load=True)
    writer = open_writer(engine)
    writer.load(metadata.tables["parent"], [parent_frame(30)])
    writer.load(metadata.tables["child"], [child_frame(200, 30, with_parent=True)])
    finish_tables(engine, metadata)
    finish_tables(engine, metadata)  # idempotent: nothing left to add
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("parent")["constrained_columns"] == ["id"]
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("child")] == ["parent"]
    with engine.begin() as conn:  # the application can insert after the load
        conn.execute(sa.text("INSERT INTO parent (name) VALUES ('app row')"))
        new_id = conn.execute(sa.text("SELECT id FROM parent WHERE name = 'app row'")).scalar()
    assert new_id == 130
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO parent (id, name) VALUES (999, 'p1')"))  # unique
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO child (id, parent_id, qty) VALUES (9999, 100, -1)"))
    engine.dispose()


def test_truncate_empties_children_before_parents(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata, constraints_after_load=False)
    writer = open_writer(engine)
    writer.load(metadata.tables["parent"], [parent_frame(10)])
    writer.load(metadata.tables["child"], [child_frame(100, 10, with_parent=True)])
    finish_tables(engine, metadata)
    truncate_tables(engine, metadata)
    with engine.connect() as conn:
        counts = [
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("parent", "child")
        ]
    assert counts == [0, 0]
    assert writer.load(metadata.tables["parent"], [parent_frame(10)]) == 10
    engine.dispose()


def test_compare_schema_lists_each_difference(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata, constraints_after_load=False)
    finish_tables(engine, metadata)
    assert compare_schema(engine, profile, None) == []
    q = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {q('child')}"))
        conn.execute(
            sa.text(  # dropped column qty, parent_id now text, no PK, no FK
                f"CREATE TABLE {q('child')} (id INTEGER NOT NULL, parent_id VARCHAR(10))"
            )
        )
    diffs = compare_schema(engine, profile, None)
    assert "child.qty: column missing in target" in diffs
    assert any(d.startswith("child.parent_id: type integer") for d in diffs)
    assert any(d.startswith("child: primary key (id)") for d in diffs)
    assert any(d.startswith("child: foreign key (parent_id) -> parent") for d in diffs)
    assert compare_schema(engine, profile, ["parent"]) == []
    engine.dispose()


def mysql_sourced_profile() -> Profile:
    cols = [
        col("id", "integer", "int(10) unsigned", nullable=False, unsigned=True, autoincrement=True),
        col("tiny", "integer", "tinyint(4)"),
        col("big", "integer", "bigint(20) unsigned", unsigned=True),
        col("flag", "boolean", "tinyint(1)"),
        col("body", "text", "mediumtext"),
        col("code", "string", "char(3)", length=3),
        col("state", "enum", "enum('a','b','c d')", enum_values=("a", "b", "c d")),
        col("at", "datetime", "datetime(6)"),
        col("stamp", "datetime", "timestamp", timezone=True),
        col("raw", "binary", "varbinary(16)", length=16),
        col("doc", "json", "longtext"),
        col("price", "decimal", "decimal(10,2)", precision=10, scale=2, default="0.00"),
        col("qty", "integer", "int(11)", nullable=False, default="'1'"),
        col("g", "uuid", "char(36)", length=36),
    ]
    table = Table(
        name="mysql_made",
        columns={c.name: c for c in cols},
        primary_key=("id",),
        unique_constraints=(UniqueConstraint(columns=("code",), name="code"),),
        indexes=(Index(columns=("body",), name="body_idx"),),
        checks=(
            CheckConstraint(sqltext="`qty` >= 0 and `price` between -1 and 1000", name="qty_ok"),
            CheckConstraint(sqltext="json_valid(`doc`)", name="doc"),
        ),
    )
    return make_profile(table, dialect="mysql")


def test_profile_from_mysql_builds_valid_tables_elsewhere(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = mysql_sourced_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    # json_valid(doc) is carried by the JSON type (MariaDB, PostgreSQL) or kept (SQLite).
    assert schema_notes(metadata) == []
    create_tables(engine, metadata)
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "tiny": [-128, 127],
            "big": [0, 2**62],
            "flag": [True, None],
            "body": ["x" * 70000, ""],
            "code": ["abc", "x"],
            "state": ["c d", None],
            "at": [dt.datetime(2020, 1, 1, 1, 2, 3, 4), None],
            "stamp": [dt.datetime(2021, 6, 1, 12, 0), None],
            "raw": [b"\x01" * 16, None],
            "doc": ['{"k": [1]}', None],
            "price": [999.99, -1.0],
            "qty": [0, 5],
            "g": ["0b6f3f3e-4d7c-4a39-9b0a-1f5c2d3e4f50", None],
        },
        schema_overrides={"at": pl.Datetime("us"), "stamp": pl.Datetime("us")},
    )
    assert open_writer(engine).load(metadata.tables["mysql_made"], [frame]) == 2
    finish_tables(engine, metadata)
    with engine.connect() as conn:
        got = conn.execute(
            sa.text("SELECT id, LENGTH(body), code, state, price FROM mysql_made ORDER BY id")
        ).all()
    assert [(r[0], r[1], r[2].strip(), r[3], float(r[4])) for r in got] == [
        (1, 70000, "abc", "c d", 999.99),
        (2, 0, "x", None, -1.0),
    ]
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # the CHECK came along
        conn.execute(sa.text("INSERT INTO mysql_made (id, code, qty) VALUES (3, 'zzz', -5)"))
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # JSON stays validated
        conn.execute(
            sa.text("INSERT INTO mysql_made (id, code, qty, doc) VALUES (4, 'q', 1, '{x')")
        )
    assert compare_schema(engine, profile, None) == []
    engine.dispose()


def test_profile_from_postgres_keeps_simple_checks(db_url: str) -> None:
    engine = make_engine(db_url)
    cols = {
        "id": col("id", "integer", "integer", nullable=False),
        "status": col("status", "string", "character varying(10)", length=10),
        "amount": col("amount", "decimal", "numeric(8,2)", precision=8, scale=2),
        "email": col("email", "string", "character varying(1000)", length=1000),
        "memo": col("memo", "text", "text"),
    }
    table = Table(
        name="orders",
        columns=cols,
        primary_key=("id",),
        unique_constraints=(UniqueConstraint(columns=("email", "status")),),
        indexes=(Index(columns=("memo",)),),
        checks=(
            CheckConstraint(sqltext="((amount >= (0)::numeric))", name="amount_ok"),
            CheckConstraint(
                sqltext="((status)::text = ANY ((ARRAY['new'::character varying, "
                "'paid'::character varying])::text[]))",
                name="status_ok",
            ),
            CheckConstraint(sqltext="(upper((status)::text) <> 'X'::text)", name="fn_check"),
        ),
    )
    metadata = build_metadata(make_profile(table), None, engine.dialect.name)
    create_tables(engine, metadata)
    finish_tables(engine, metadata)
    # upper() is carried over too: the parser renders it for every target (writers/expressions)
    assert not any("upper" in n for n in schema_notes(metadata))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO orders VALUES (1, 'new', 5, 'a@x', 'm')"))
    for bad in (
        "(5, 'x', 5, 'e@x', '')",
        "(2, 'lost', 5, 'b@x', '')",
        "(3, 'paid', -1, 'c@x', '')",
        "(4, 'new', 1, 'a@x', '')",
    ):
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO orders VALUES {bad}"))
    engine.dispose()


def test_long_identifiers_are_cut_deterministically() -> None:
    long = "x" * 80
    table = Table(
        name=long + "_t",
        columns={long: col(long, "integer", "integer")},
        indexes=(
            Index(columns=(long,), name=long + "_a"),
            Index(columns=(long,), name=long + "_b"),
        ),
    )
    for dialect, limit in (("postgresql", 63), ("mysql", 64)):
        first = build_metadata(make_profile(table), None, dialect)
        again = build_metadata(make_profile(table), None, dialect)
        (t,) = first.tables.values()
        names = sorted(i.name for i in t.indexes)
        assert len(t.name) == limit and all(len(n) <= limit for n in names)
        assert len(set(names)) == 2
        assert names == sorted(i.name for i in next(iter(again.tables.values())).indexes)
        assert t.c[long].name != long and len(t.c[long].name) == limit


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_bad_values_raise_load_error(dialect: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url" if dialect == "postgresql" else "mysql_url")
    engine = make_engine(url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata)
    frame = pl.DataFrame({"id": [1], "name": ["far too long for twenty chars"]})
    with pytest.raises(LoadError, match="parent"):
        open_writer(engine).load(metadata.tables["parent"], [frame])
    engine.dispose()


def test_fk_cycle_tables_are_created_and_filled(db_url: str) -> None:
    """dept.manager_id -> emp and emp.dept_id -> dept: created with use_alter, the nullable edge
    loaded empty then filled by update()."""
    dept = Table(
        name="dept",
        columns={
            "id": col("id", "integer", "integer", nullable=False),
            "manager_id": col("manager_id", "integer", "integer"),
        },
        primary_key=("id",),
        foreign_keys=(ForeignKey(columns=("manager_id",), ref_table="emp", ref_columns=("id",)),),
    )
    emp = Table(
        name="emp",
        columns={
            "id": col("id", "integer", "integer", nullable=False),
            "dept_id": col("dept_id", "integer", "integer", nullable=False),
            "boss_id": col("boss_id", "integer", "integer"),
        },
        primary_key=("id",),
        foreign_keys=(
            ForeignKey(columns=("dept_id",), ref_table="dept", ref_columns=("id",)),
            ForeignKey(columns=("boss_id",), ref_table="emp", ref_columns=("id",)),
        ),
    )
    engine = make_engine(db_url)
    profile = make_profile(dept, emp)
    for after in (False, True):
        metadata = build_metadata(profile, None, engine.dialect.name)
        create_tables(engine, metadata, constraints_after_load=after)
        writer = open_writer(engine)
        writer.load(
            metadata.tables["dept"],
            [
                pl.DataFrame(
                    {"id": [1, 2], "manager_id": [None, None]},
                    schema={"id": pl.Int64, "manager_id": pl.Int64},
                )
            ],
        )
        writer.load(
            metadata.tables["emp"],
            [
                pl.DataFrame(
                    {"id": [10, 11, 12], "dept_id": [1, 2, 2], "boss_id": [None, 10, 10]},
                    schema={"id": pl.Int64, "dept_id": pl.Int64, "boss_id": pl.Int64},
                )
            ],
        )
        writer.update(
            metadata.tables["dept"],
            ["id"],
            ["manager_id"],
            [pl.DataFrame({"id": [1, 2], "manager_id": [10, 11]})],
        )
        finish_tables(engine, metadata)
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT id, manager_id FROM dept ORDER BY id")).all()
        assert [tuple(r) for r in got] == [(1, 10), (2, 11)]
        assert compare_schema(engine, profile, None) == []
        metadata.drop_all(engine)  # the cycle's FKs go first (use_alter)
    engine.dispose()


def test_zone_aware_columns_hold_utc_whatever_the_session_zone(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        db = conn.execute(sa.text("SELECT current_database()")).scalar()
        conn.execute(sa.text(f"ALTER DATABASE \"{db}\" SET timezone = 'Asia/Tokyo'"))
    engine.dispose()
    engine = make_engine(pg_url)
    table = Table(
        name="ev",
        columns={
            "id": col("id", "integer", "integer", nullable=False),
            "at": col("at", "datetime", "timestamptz", timezone=True),
        },
        primary_key=("id",),
    )
    profile = make_profile(table, Table(name="ev2", columns=table.columns, primary_key=("id",)))
    metadata = build_metadata(profile, None, "postgresql")
    create_tables(engine, metadata)
    instant = dt.datetime(2024, 3, 1, 12, 0, 0)
    frame = pl.DataFrame({"id": [1], "at": [instant]})
    open_writer(engine).load(metadata.tables["ev"], [frame])
    SqlAlchemyWriter(engine).load(metadata.tables["ev2"], [frame])
    with engine.connect() as conn:
        got = [
            conn.execute(sa.text(f"SELECT (at AT TIME ZONE 'UTC') FROM {t}")).scalar()
            for t in ("ev", "ev2")
        ]
    assert got == [instant, instant]
    engine.dispose()


def test_one_column_table_keeps_the_end_of_data_marker_as_text(db_url: str) -> None:
    engine = make_engine(db_url)
    table = Table(name="one", columns={"v": col("v", "text", "text")})
    metadata = build_metadata(make_profile(table), None, engine.dialect.name)
    create_tables(engine, metadata)
    values = ["\\.", "a", None, "", "\\.", "z"]
    assert open_writer(engine).load(metadata.tables["one"], [pl.DataFrame({"v": values})]) == 6
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT v FROM one")).scalars().all()
    assert sorted(got, key=repr) == sorted(values, key=repr)
    engine.dispose()


def test_truncate_refuses_when_a_table_outside_the_run_references_them(db_url: str) -> None:
    engine = make_engine(db_url)
    profile = parent_child_profile()
    metadata = build_metadata(profile, None, engine.dialect.name)
    create_tables(engine, metadata, constraints_after_load=False)
    writer = open_writer(engine)
    writer.load(metadata.tables["parent"], [parent_frame(10)])
    parent_only = build_metadata(profile, ["parent"], engine.dialect.name)
    truncate_tables(engine, parent_only)  # child is empty: emptied along, allowed
    writer.load(metadata.tables["parent"], [parent_frame(10)])
    writer.load(metadata.tables["child"], [child_frame(20, 10, with_parent=True)])
    with pytest.raises(LoadError, match="child"):
        truncate_tables(engine, parent_only)
    with engine.connect() as conn:
        counts = [
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("parent", "child")
        ]
    assert counts == [10, 20]
    engine.dispose()


def test_mysql_keeps_a_zero_key_in_an_auto_increment_column(mysql_url: str) -> None:
    """id 0 is a real key in some productions; MariaDB would turn it into the next number."""
    from paritygen.writers.base import open_writer

    engine = sa.create_engine(mysql_url, connect_args={"local_infile": True})
    metadata = sa.MetaData()
    table = sa.Table("z", metadata, sa.Column("id", sa.Integer, primary_key=True,
                                             autoincrement=True))  # fmt: skip
    metadata.create_all(engine)
    written = open_writer(engine).load(table, iter([pl.DataFrame({"id": [0, 1, 2]})]))
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM z ORDER BY id"))]
    engine.dispose()
    assert written == 3 and ids == [0, 1, 2]


def _tablespace_bytes(conn: sa.Connection, table: str) -> int:
    schema = conn.execute(sa.text("SELECT DATABASE()")).scalar()
    return int(conn.execute(
        sa.text("SELECT allocated_size FROM information_schema.innodb_sys_tablespaces"
                " WHERE name = :name"), {"name": f"{schema}/{table}"},
    ).scalar_one())  # fmt: skip


def test_mysql_rows_out_of_key_order_fill_pages_as_a_restore_does(mysql_url: str) -> None:
    """Rows generated parent by parent, each parent's children in a few ascending runs (how
    Chinook's PlaylistTrack came out), split InnoDB's pages mid-way when loaded as they come:
    the tablespace took 9 MB against 0.35 MB for the same rows loaded in key order. The writer
    loads them in the clustered index's order, so the table is as compact as a restore's."""
    engine = sa.create_engine(mysql_url, connect_args={"local_infile": True})
    metadata = sa.MetaData()
    for name in ("interleaved", "in_order"):
        sa.Table(name, metadata, sa.Column("parent", sa.Integer, primary_key=True),
                 sa.Column("child", sa.Integer, primary_key=True))  # fmt: skip
    metadata.create_all(engine)
    rng = np.random.default_rng(7)
    parents: list[int] = []
    children: list[int] = []
    for parent in (1, 2):  # each parent's children: two ascending runs of random keys
        keys = rng.permutation(6000)
        for run in (keys[:3000], keys[3000:]):
            parents += [parent] * len(run)
            children += np.sort(run).tolist()
    chunk = pl.DataFrame({"parent": parents, "child": children})
    written = open_writer(engine).load(metadata.tables["interleaved"], [chunk])
    with engine.begin() as conn:
        conn.execute(metadata.tables["in_order"].insert(),
                     chunk.sort(["parent", "child"]).to_dicts())  # fmt: skip
        ours = _tablespace_bytes(conn, "interleaved")
        reference = _tablespace_bytes(conn, "in_order")
        rows = conn.execute(sa.text("SELECT parent, child FROM interleaved")).all()
    engine.dispose()
    assert written == len(rows) == chunk.height
    assert sorted(rows) == sorted(zip(parents, children, strict=True))
    assert ours <= 2 * reference, (ours, reference)
