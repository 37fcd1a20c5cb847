"""The copy reads one consistent, read-only snapshot: rows written to production while mask runs
are not seen by any reader (PostgreSQL's exported snapshot included), and nothing is written."""

from __future__ import annotations

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
