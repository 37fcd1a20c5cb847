"""Tables with nothing to mask pass through as the server's own COPY text (PostgreSQL to
PostgreSQL): every awkward value arrives exactly, checked with plain SQL on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import new_database

from paritygen.mask.run import mask_database
from paritygen.profile.stream import raw_copy_format

KEY_ENV = "H13_TEST_MASK_KEY"

AWKWARD = r"""
CREATE TABLE kinds (
  id bigint PRIMARY KEY, label text, code varchar(8), raw bytea, at timestamptz,
  naive timestamp(3), day date, amount numeric(20,6), ratio double precision, flag boolean,
  doc jsonb, tags text[], span interval);
INSERT INTO kinds VALUES
  (1, E'tab\there, newline\nthere, back\\slash', '', '\x00ff0a5c'::bytea,
   '2024-03-01 12:34:56.789012+05', '2024-02-29 23:59:59.123', '0001-01-01',
   123456789.123456, 1.0000000000000002, true, '{"a": [1, "x\ty"]}', '{a,"b c",NULL}',
   '1 day 02:03:04'),
  (2, '\N', NULL, NULL, NULL, NULL, NULL, -0.000001, 'NaN', false, 'null', '{}', NULL),
  (3, '\.', 'x,y"z', '\x'::bytea, 'infinity', '-infinity', 'infinity', 0, '-Infinity', NULL,
   '[]', NULL, '-1 mon'),
  (4, E'caf\u00e9 \U0001F600 \r carriage', 'ok', NULL, '1999-12-31 23:59:59+00', NULL,
   '2000-01-01', NULL, 0.1, true, NULL, '{""}', '0');
"""


@pytest.fixture
def pg_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    src = new_database("postgresql", tmp_path / "a")
    dst = new_database("postgresql", tmp_path / "b")
    yield next(src), next(dst)
    for gen in (src, dst):
        next(gen, None)


def rows(url: str) -> list[tuple]:
    """Each row as PostgreSQL prints it (every type compared exactly, infinities too)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TimeZone = 'UTC'")
            return list(conn.exec_driver_sql("SELECT k::text FROM kinds k ORDER BY id").all())
    finally:
        engine.dispose()


def test_awkward_values_pass_through_exactly(
    pg_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = pg_pair
    monkeypatch.setenv(KEY_ENV, "a-test-secret-that-nobody-uses-0123456789")
    engine = sa.create_engine(src)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(AWKWARD)
        with engine.connect() as conn:
            assert raw_copy_format(conn) == "text"  # the path under test
    finally:
        engine.dispose()
    summary = mask_database(src, dst, key_env=KEY_ENV, progress=False)
    assert summary.tables["kinds"].rows == 4
    assert summary.masked == 0
    assert rows(dst) == rows(src)


def test_same_target_for_any_jobs(pg_pair: tuple[str, str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Tables copied side by side (--jobs 2: the pass-through order lines beside the masked
    customers) give the very target one table after another gives."""
    from . import saas

    src, one = pg_pair
    monkeypatch.setenv(KEY_ENV, "a-test-secret-that-nobody-uses-0123456789")
    counts = saas.build(src, customers=150)
    (tmp_path / "c").mkdir()
    other = new_database("postgresql", tmp_path / "c")
    two = next(other)
    try:
        mask_database(src, one, key_env=KEY_ENV, progress=False, jobs=1)
        summary = mask_database(src, two, key_env=KEY_ENV, progress=False, jobs=2)
        assert {t: s.rows for t, s in summary.tables.items()} == counts
        for table in counts:
            query = f"SELECT t::text FROM {table} t ORDER BY 1"
            assert saas.fetch(one, query) == saas.fetch(two, query), table
    finally:
        next(other, None)
