"""A run's PostgreSQL sessions commit without waiting for the disk (``relaxed_commit_sql``),
its last state write waits (``durable_commit_sql``)."""

from __future__ import annotations

import sqlalchemy as sa

from paritygen.db import make_engine
from paritygen.run.state import Holder, RunState, state_table
from paritygen.writers.base import relax_commits


def _setting(conn: sa.Connection) -> str:
    return conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()


def test_postgresql_sessions_relaxed_and_the_finish_durable(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        durable_sql = relax_commits(engine)
        for _ in range(2):  # a connection back from the pool keeps it (no rollback undoes it)
            with engine.connect() as conn:
                assert _setting(conn) == "off"
        durable: list[str] = []

        def seen(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
            if "synchronous_commit" in statement:  # read on the driver's connection: no event
                raw = conn.connection.driver_connection
                durable.append(raw.execute("SHOW synchronous_commit").fetchone()[0])

        state = RunState(engine, Holder.me(), "f", durable_sql=durable_sql)
        state.start()
        sa.event.listen(engine, "after_cursor_execute", seen)
        state.finish("complete")
        sa.event.remove(engine, "after_cursor_execute", seen)
        assert durable == ["on"]  # the run's end waits for its flush
        with engine.connect() as conn:
            assert _setting(conn) == "off"  # SET LOCAL: the session stays relaxed
            assert conn.execute(sa.select(state_table.c.status)).scalar_one() == "complete"
    finally:
        engine.dispose()
