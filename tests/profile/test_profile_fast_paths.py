"""The fast read paths and the one-sort statistics agree with independent SQL and numpy."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from paritygen.profile import read, read_mysql, reflect, stats
from paritygen.profile.model import Column
from paritygen.profile.read import ColumnData

TRICKY = [
    "",  # empty string, not NULL
    None,
    "a\x1fb",  # the field separator inside a value
    "plain",
    "Zürich 🚀",
    "line\nbreak\r\n",
    "tab\there, \"quoted\" 'x'",
]


def _read_all(url: str, table: str) -> dict[str, ColumnData]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            reflected, _ = reflect.reflect_tables(conn, None, [table])
            columns = list(reflected[table].columns.values())
            prep = conn.dialect.identifier_preparer
            data, method = read.read_table(conn, prep.quote(table), columns, None)
            assert method is None
            return data
    finally:
        engine.dispose()


def test_mysql_packed_read_is_exact(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id int PRIMARY KEY, txt varchar(50), at datetime(6),"
            " amount decimal(12,3), blob_col varbinary(8)) CHARACTER SET utf8mb4"
        )
        conn.execute(
            sa.text("INSERT INTO t VALUES (:i, :t, :a, :m, :b)"),
            [
                {
                    "i": i,
                    "t": t,
                    "a": f"2024-02-29 23:59:59.{i:06d}",
                    "m": i * 1.5 - 2,
                    "b": None if i % 3 == 0 else bytes([i, 0, 255]),
                }
                for i, t in enumerate(TRICKY)
            ],  # fmt: skip
        )
        conn.exec_driver_sql("CREATE TABLE u (id int PRIMARY KEY, txt varchar(50))")
        conn.execute(
            sa.text("INSERT INTO u VALUES (:i, :t)"),
            [{"i": i, "t": t} for i, t in enumerate(TRICKY) if t is None or "\x1f" not in t],
        )
        expected = {
            row[0]: row[1:]
            for row in conn.exec_driver_sql(
                "SELECT id, txt, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', at), amount,"
                " blob_col FROM t"
            )
        }
    engine.dispose()
    for table in ("t", "u"):  # t needs the JSON fallback (a separator in a value), u does not
        data = _read_all(mysql_url, table)
        ids = data["id"].values.to_list()
        assert data["txt"].values.to_list() == [expected[i][0] for i in ids]
        assert data["txt"].nulls == 1 and data["txt"].rows == len(ids)
        if table == "t":
            assert data["at"].values.to_list() == pytest.approx(
                [expected[i][1] / 1e6 for i in ids], abs=1e-6, rel=0
            )
            assert data["amount"].values.to_list() == [float(expected[i][2]) for i in ids]
            assert data["blob_col"].values.to_list() == [expected[i][3] for i in ids]
            assert data["blob_col"].nulls == 3


def test_packed_split_refuses_ambiguous_rows() -> None:
    names = ["f0", "f1"]
    good = read_mysql._split_packed([b"1\x1fx", b"2\x1f\x1e", b"3\x1f"], names)
    assert good is not None
    assert good["f1"].to_list() == ["x", None, ""]
    assert read_mysql._split_packed([b"1\x1fx\x1fy"], names) is None  # separator inside a value
    assert read_mysql._split_packed([b"1\x1fx\x1dy"], names) is None  # row separator inside a value
    assert read_mysql._split_packed([None], names) is None


def test_one_sort_statistics_match_numpy() -> None:
    rng = np.random.default_rng(7)
    numbers = np.round(rng.lognormal(3, 1, 20_000), 2)
    uniques, counts = stats.distinct_counts(np.sort(numbers))
    assert uniques.size == np.unique(numbers).size and counts.sum() == numbers.size
    np.testing.assert_allclose(
        stats.quantiles_from_counts(uniques, counts, 101),
        np.quantile(numbers, np.linspace(0, 1, 101)),
        rtol=1e-12,
    )
    column = Column(name="amount", logical_type="decimal", sql_type="numeric(9,2)", scale=2)
    data = ColumnData(values=pl.Series("amount", numbers), nulls=0, rows=numbers.size)
    result = stats.column_stats(
        column, data, total_rows=numbers.size, sampled=False, min_group_size=5, pii=False
    )
    values, freq = np.unique(numbers, return_counts=True)
    top = np.sort(freq[freq >= 5])[::-1][: stats.MAX_COMMON_VALUES]
    assert [round(v.frequency * numbers.size) for v in result.most_common] == top.tolist()
    assert result.distinct_count == values.size and result.max_scale == 2
    assert result.min == pytest.approx(numbers.min()) and result.max == pytest.approx(numbers.max())
    lengths = rng.integers(0, 40, 5_000)
    text = pl.Series("s", ["x" * n for n in lengths])
    length_stats = stats.column_stats(
        Column(name="s", logical_type="text", sql_type="text"),
        ColumnData(values=text, nulls=0, rows=text.len()),
        total_rows=text.len(), sampled=False, min_group_size=5, pii=True,
    )  # fmt: skip
    assert length_stats.length is not None
    np.testing.assert_allclose(
        length_stats.length.quantiles, np.quantile(lengths, np.linspace(0, 1, 21)), atol=1e-3
    )
    assert length_stats.length.mean == pytest.approx(lengths.mean())


@pytest.mark.parametrize("release_gil", [False, True])
def test_postgres_copy_out_streams_rows_and_reports_errors(pg_url: str, release_gil: bool) -> None:
    """The one COPY-read loop, blocking (the profiler) and waiting in select (the copy paths)."""
    import io

    import psycopg

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            sink = io.BytesIO()
            sql = "COPY (SELECT g, 'x,' || g FROM generate_series(1, 3) g) TO STDOUT (FORMAT csv)"
            read.copy_out(raw, sql, sink.write, release_gil=release_gil)
            assert sink.getvalue() == b'1,"x,1"\n2,"x,2"\n3,"x,3"\n'
            with pytest.raises(psycopg.errors.DivisionByZero):
                failing = "COPY (SELECT 1 / 0) TO STDOUT"
                read.copy_out(raw, failing, io.BytesIO().write, release_gil=release_gil)
            conn.rollback()  # the failed transaction ends normally and the connection is reusable
            assert conn.exec_driver_sql("SELECT 41 + 1").scalar() == 42
    finally:
        engine.dispose()


@pytest.mark.parametrize("release_gil", [False, True])
def test_postgres_copy_out_batches_whole_rows_ramping_up(pg_url: str, release_gil: bool) -> None:
    """Rows appended into one buffer: each batch ends on a row, the first at the size asked
    for, each next one at twice the last (up to the spool size); together the whole COPY."""
    engine = sa.create_engine(pg_url)
    batches: list[bytes] = []
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            sql = "COPY (SELECT g, repeat('v', g % 7) FROM generate_series(1, 5000) g) TO STDOUT"
            read.copy_out(raw, sql, batches.append, release_gil=release_gil, first_batch_bytes=64)
            conn.rollback()
    finally:
        engine.dispose()
    expected = "".join(f"{g}\t{'v' * (g % 7)}\n" for g in range(1, 5001)).encode()
    assert b"".join(batches) == expected
    assert all(isinstance(b, bytes) and b.endswith(b"\n") for b in batches)
    limit = 64
    for batch in batches[:-1]:
        last_row = batch[batch.rstrip(b"\n").rfind(b"\n") + 1 :]
        assert limit <= len(batch) < limit + len(last_row)  # cut at the first row past it
        limit = min(2 * limit, read.SPOOL_BATCH_BYTES)
    assert len(batches) > 5


def test_mysql_key_ranges_are_exact_sparse_and_split(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sa.create_engine(mysql_url)
    keys = [1, 2, 3, 10, 11, 500, 501, 502, 10_000, 10_001, 2**40, 2**40 + 7]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE r (id bigint PRIMARY KEY, txt text, n int NOT NULL) CHARACTER SET utf8mb4"
        )
        conn.execute(
            sa.text("INSERT INTO r VALUES (:i, :t, :n)"),
            [
                {"i": k, "t": None if i % 4 == 0 else ("é" * (i * 40) if i % 3 else ""), "n": i}
                for i, k in enumerate(keys)
            ],
        )
        expected = dict(conn.exec_driver_sql("SELECT id, txt FROM r").all())
    engine.dispose()
    monkeypatch.setattr(read_mysql, "RANGE_TARGET_ROWS", 3)
    monkeypatch.setattr(read_mysql, "RANGE_MAX_BYTES", 1000)  # forces ranges to be halved
    engine = sa.create_engine(mysql_url)
    try:
        with engine.connect() as conn:
            reflected, _ = reflect.reflect_tables(conn, None, ["r"])
            columns = list(reflected["r"].columns.values())
            data = read_mysql._read_mysql_ranges(conn, "`r`", "id", columns, None, None)
            assert data is not None
            assert data["id"].values.to_list() == keys
            assert data["txt"].values.to_list() == [expected[k] for k in keys]
            assert data["txt"].nulls == 3 and data["n"].values.to_list() == list(range(len(keys)))
            sampled = read_mysql._read_mysql_ranges(conn, "`r`", "id", columns, 0.5, None)
            assert sampled is not None and 0 < sampled["id"].rows < len(keys)
            assert set(sampled["id"].values.to_list()) <= set(keys)
            conn.exec_driver_sql("CREATE TEMPORARY TABLE s (id int PRIMARY KEY, txt text)")
            conn.exec_driver_sql("INSERT INTO s VALUES (1, 'a\\x1fb'), (2, 'plain')")
            conn.exec_driver_sql("UPDATE s SET txt = CONCAT('a', CHAR(31), 'b') WHERE id = 1")
            s_cols = list(reflect.reflect_tables(conn, None, ["r"])[0]["r"].columns.values())[:2]
            assert read_mysql._read_mysql_ranges(conn, "`s`", "id", s_cols, None, None) is None
            full, _ = read.read_table(conn, "`s`", s_cols, None, key="id")  # falls back to JSON
            assert full["txt"].values.to_list() == ["a\x1fb", "plain"]
    finally:
        engine.dispose()


def test_mysql_driver_errors_surface_as_sqlalchemy_errors(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE k (id int PRIMARY KEY, latin varchar(9) CHARACTER"
                                 " SET latin1, uni varchar(9) CHARACTER SET utf8mb4)")  # fmt: skip
            conn.exec_driver_sql("INSERT INTO k VALUES (1, 'Köln', 'Zürich'), (2, NULL, '東京')")
            columns = list(reflect.reflect_tables(conn, None, ["k"])[0]["k"].columns.values())
            data, _ = read.read_table(conn, "`k`", columns, None, key="id")
            assert data["latin"].values.to_list() == ["Köln", None]
            assert data["uni"].values.to_list() == ["Zürich", "東京"]
            with pytest.raises(sa.exc.DBAPIError) as caught:
                read.read_table(conn, "`missing`", columns, None, key="id")
            assert caught.value.orig.args[0] == 1146  # no such table, reported by the server
    finally:
        engine.dispose()
