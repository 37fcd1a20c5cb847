"""PostgreSQL binary COPY: the same rows as CSV COPY, and CSV wherever binary would differ."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from paritygen.db import make_engine
from paritygen.errors import LoadError
from paritygen.profile.model import Table
from paritygen.writers import pg_binary
from paritygen.writers.base import naive_utc, open_writer
from paritygen.writers.schema import build_metadata, create_tables

from .test_writers import chunks, col, kinds_frame, kinds_table, make_profile, read_rows


def test_binary_and_csv_copy_leave_identical_tables(pg_url: str) -> None:
    engine = make_engine(pg_url)
    profile = make_profile(kinds_table("bin_kinds"), kinds_table("csv_kinds"))
    metadata = build_metadata(profile, None, "postgresql")
    create_tables(engine, metadata)
    writer = open_writer(engine)
    table = metadata.tables["bin_kinds"]
    # Every column of the awkward frame has a binary form: the chunk goes as binary.
    types = writer._catalog_types(table)
    assert types["dec"] == pg_binary.TargetType("numeric", scale=2)
    assert types["state"].enum
    _loading(writer, table)
    sql, _ = writer._encode(table, naive_utc(kinds_frame(1, 50)))
    assert "FORMAT binary" in sql
    total = 2500
    assert writer.load(table, chunks(total, 1000)) == total
    csv_writer = open_writer(engine)
    csv_writer._catalog_types = lambda _table: {}  # no types known: every chunk as CSV
    assert csv_writer.load(metadata.tables["csv_kinds"], chunks(total, 700)) == total
    columns = list(profile.table("bin_kinds").columns)
    got = read_rows(engine, "bin_kinds", columns)
    assert len(got) == total
    assert got == read_rows(engine, "csv_kinds", columns)
    with engine.connect() as conn:  # text equality too: numerics keep their scale, jsonb its form
        differ = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT b::text FROM bin_kinds b EXCEPT ALL"
            " SELECT c::text FROM csv_kinds c) x"
        ).scalar()
    assert differ == 0
    engine.dispose()


def _loading(writer, table: sa.Table) -> None:
    """Give *writer* the table's catalog types, as its ``load`` does before the first chunk."""
    writer._target_types[table.key] = writer._catalog_types(table)


def odd_table() -> Table:
    cols = [
        col("id", "integer", "integer", nullable=False),
        col("small", "integer", "smallint"),
        col("dec", "decimal", "numeric(8,2)", precision=8, scale=2),
        col("loose", "decimal", "numeric"),
    ]
    return Table(name="odd", columns={c.name: c for c in cols}, primary_key=("id",))


def test_values_without_an_exact_binary_form_go_as_csv(pg_url: str) -> None:
    """A decimal finer than its scale is rounded by the server (half away from zero, from the
    text), an unconstrained numeric keeps every digit, and an integer too large for its column
    fails the load instead of wrapping around."""
    engine = make_engine(pg_url)
    metadata = build_metadata(make_profile(odd_table()), None, "postgresql")
    create_tables(engine, metadata)
    table = metadata.tables["odd"]
    writer = open_writer(engine)
    frame = pl.DataFrame(
        {"id": [1, 2], "small": [1, None], "dec": [1.005, -2.125], "loose": [0.1, 1e-7]},
        schema={"id": pl.Int32, "small": pl.Int64, "dec": pl.Float64, "loose": pl.Float64},
    )
    _loading(writer, table)
    assert writer._encode(table, frame.drop("loose"))[0].endswith("(FORMAT csv)")
    assert writer.load(table, [frame]) == 2
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT dec::text, loose::text FROM odd ORDER BY id").all()
    assert rows == [("1.01", "0.1"), ("-2.13", "0.0000001")]
    too_big = pl.DataFrame(
        {"id": [3], "small": [40_000]}, schema={"id": pl.Int64, "small": pl.Int64}
    )
    with pytest.raises(LoadError, match="odd"):
        writer.load(table, [too_big])
    engine.dispose()


def test_numeric_digits_cover_signs_scales_and_magnitudes() -> None:
    values = [0.0, -0.0, 1.0, -1.5, 12345678.12, 0.01, 9999.9999, 10000.0]
    got = pg_binary._numeric(pl.Series(values).to_numpy(), 4)
    assert got is not None
    for value, row in zip(values, got, strict=True):
        ndigits, weight, sign, scale, *digits = row.tolist()
        assert (ndigits, scale) == (len(digits), 4)
        magnitude = sum(d * 10_000 ** (weight - i) for i, d in enumerate(digits))
        assert round(magnitude * (-1 if sign else 1), 4) == pytest.approx(value)
        assert sign == (0x4000 if value < 0 else 0)
    assert pg_binary._numeric(pl.Series([float("nan")]).to_numpy(), 2) is None


def test_mostly_text_chunks_go_as_csv() -> None:
    """Text costs the server the same either way and costs more to encode in binary."""
    types = {"id": pg_binary.TargetType("int4"), "a": pg_binary.TargetType("text")}
    types["b"] = types["a"]
    mostly_numbers = pl.DataFrame({"id": [1], "a": ["x"]})
    mostly_text = pl.DataFrame({"id": [1], "a": ["x"], "b": ["y"]})
    assert pg_binary.binary_plan(types, mostly_numbers)
    assert not pg_binary.binary_plan(types, mostly_text)


def test_columns_of_nulls_and_empty_chunks_load(pg_url: str) -> None:
    engine = make_engine(pg_url)
    metadata = build_metadata(make_profile(odd_table()), None, "postgresql")
    create_tables(engine, metadata)
    table = metadata.tables["odd"]
    writer = open_writer(engine)
    frame = pl.DataFrame(
        {"id": [1, 2], "small": [None, None], "dec": [None, 2.5]},
        schema={"id": pl.Int64, "small": pl.Null, "dec": pl.Float64},
    )
    _loading(writer, table)
    assert "FORMAT binary" in writer._encode(table, frame)[0]
    assert writer.load(table, [frame.clear(), frame]) == 2
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, small, dec::text FROM odd ORDER BY id").all()
    assert rows == [(1, None, None), (2, None, "2.50")]
    engine.dispose()


def test_text_of_one_length_goes_in_the_row_block_and_loads_as_csv_would(pg_url: str) -> None:
    # TPC-H's CHAR(1) flags (l_returnflag, o_orderstatus): every value one byte long and none
    # NULL, so they sit in each row's fixed block, not in a stream of their own; a chunk where
    # one is NULL or longer takes the usual path. Both load as CSV would.
    def flags_table(name: str) -> Table:
        cols = [
            col("id", "integer", "integer", nullable=False),
            col("flag", "string", "char(1)", length=1),
            col("code", "string", "varchar(3)", length=3),
            col("note", "string", "varchar(40)", length=40),
            col("n", "integer", "integer"),
        ]
        return Table(name=name, columns={c.name: c for c in cols}, primary_key=("id",))

    engine = make_engine(pg_url)
    metadata = build_metadata(
        make_profile(flags_table("flags_bin"), flags_table("flags_csv")), None, "postgresql"
    )
    create_tables(engine, metadata)
    same = pl.DataFrame({
        "id": [1, 2, 3], "flag": ["A", "R", "é"], "code": ["abc", "xyz", "a"],
        "note": ["one", "", "three things"], "n": [7, 8, 9],
    })  # fmt: skip
    uneven = pl.DataFrame({
        "id": [4, 5], "flag": ["N", None], "code": ["abc", "de"], "note": [None, "x"],
        "n": [None, 10],
    })  # fmt: skip
    first = same.head(2).with_columns(pl.Series("id", [11, 12]))
    writer, table = open_writer(engine), metadata.tables["flags_bin"]
    _loading(writer, table)
    types = writer._target_types[table.key]
    order, _ = pg_binary.encode_binary(types, first)
    assert order[:4] == ["id", "flag", "code", "n"]  # one length each: in the row block
    order, _ = pg_binary.encode_binary(types, same)  # "é" is two bytes, "a" one
    assert order == ["id", "n", "flag", "code", "note"]
    assert writer.load(table, [first, same, uneven]) == 7
    csv_writer = open_writer(engine)
    csv_writer._catalog_types = lambda _table: {}
    assert csv_writer.load(metadata.tables["flags_csv"], [first, same, uneven]) == 7
    columns = ["id", "flag", "code", "note", "n"]
    got = read_rows(engine, "flags_bin", columns)
    assert len(got) == 7 and got == read_rows(engine, "flags_csv", columns)
    engine.dispose()
