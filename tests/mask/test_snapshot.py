"""The copy reads one consistent, read-only snapshot: rows written to production while mask runs
are not seen by any reader (PostgreSQL's exported snapshot included), and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from paritygen.db import make_engine
from paritygen.profile.schema_tags import schema_and_tags
from paritygen.profile.stream import snapshot, stream_table

from . import saas


@pytest.mark.parametrize("dialect_url", ["pg_url", "mysql_url"])
def test_readers_see_one_instant(dialect_url: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(dialect_url)
    counts = saas.build(url, customers=40)
    engine = make_engine(url)
    writer = sa.create_engine(url)
    try:
        profile = schema_and_tags(engine)
        columns = list(profile.tables["tenants"].columns.values())
        with snapshot(engine) as source:
            with writer.begin() as conn:  # production moves on while the copy runs
                conn.execute(sa.text("INSERT INTO tenants (id, plan) VALUES (99, 'new')"))
            with source.reader() as conn:
                seen = sum(f.height for f in stream_table(conn, "tenants", columns, "tenants"))
            with source.reader() as conn, pytest.raises(sa.exc.DBAPIError):  # read-only
                conn.exec_driver_sql("INSERT INTO tenants (id, plan) VALUES (98, 'x')")
        assert seen == counts["tenants"]
        assert saas.fetch(url, "SELECT count(*) FROM tenants")[0][0] == counts["tenants"] + 1
    finally:
        engine.dispose()
        writer.dispose()


def test_one_source_engine_reads_the_schema_and_the_rows(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema and tags are read on the engine the rows are then copied from (its pool,
    connection and dialect set-up once), and the engine is closed at the end."""
    from paritygen.mask.run import mask_database
    from paritygen.profile import run as profile_run

    counts = saas.build(pg_url, customers=30)
    made: list[sa.Engine] = []
    original = profile_run.read_only_engine

    def counted(url: object) -> sa.Engine:
        made.append(original(url))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(profile_run, "read_only_engine", counted)
    monkeypatch.setenv("H13_TEST_MASK_KEY", "a-test-secret-that-nobody-uses-0123456789")
    dst = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    summary = mask_database(pg_url, dst, key_env="H13_TEST_MASK_KEY", progress=False)
    assert summary.rows == sum(counts.values())
    assert len(made) == 1
    assert made[0].pool.checkedout() == 0
