"""The run's state, kept in the target itself: who runs, which tables are complete.

One small table, ``_paritygen_run``, in the target database. Its row ``*run*`` says who holds
(or last held) the target: host, pid, start time, status (``running``, ``failed``,
``complete``), the run's settings fingerprint and, after a failure, the complete / partial /
untouched tables. One row per table written says ``pending``, ``loaded`` (rows in, deferred FK
update not yet done) or ``complete``, its rows, and whether this run created the table.

A status of ``running`` or ``failed`` seen by the next run means the previous one did not finish
(killed, interrupted, failed): the next run then knows which tables are debris it may drop
(``--if-exists truncate``) or keep (``--resume``). Read it any time::

    SELECT item, status, rows_written, created FROM _paritygen_run;
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

STATE_TABLE = "_paritygen_run"  # profile.reflect.RUN_STATE_TABLE skips it
RUN_ITEM = "*run*"
"""The row of the run itself (a name no table of ours can have: ``*`` is not a word char)."""
UNFINISHED = ("running", "failed")

_metadata = sa.MetaData()
state_table = sa.Table(
    STATE_TABLE,
    _metadata,
    sa.Column("item", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("rows_written", sa.BigInteger),
    sa.Column("created", sa.Boolean),
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("started_at", sa.String(32)),
    sa.Column("updated_at", sa.String(32)),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("detail", sa.Text),
)


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Holder:
    """Who runs (or last ran) against a target."""

    host: str
    pid: int
    started_at: str

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}, started {self.started_at}"

    @classmethod
    def me(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(), now())


@dataclass(frozen=True)
class PreviousRun:
    """What the state table says of the last run."""

    status: str
    holder: Holder
    fingerprint: str | None
    tables: dict[str, str] = field(default_factory=dict)
    """table -> status (pending | loaded | complete)."""
    created: frozenset[str] = frozenset()
    """Tables that run created (its debris, safe to drop)."""

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    def complete(self) -> set[str]:
        return {t for t, s in self.tables.items() if s == "complete"}


def read_state(engine: Engine) -> PreviousRun | None:
    """The state table's content, or None when there is none (a target never written)."""
    if not sa.inspect(engine).has_table(STATE_TABLE):
        return None
    with engine.connect() as conn:
        rows = conn.execute(sa.select(state_table)).mappings().all()
    run = next((r for r in rows if r["item"] == RUN_ITEM), None)
    if run is None:
        return None
    tables = {r["item"]: r["status"] for r in rows if r["item"] != RUN_ITEM}
    created = frozenset(r["item"] for r in rows if r["item"] != RUN_ITEM and r["created"])
    holder = Holder(run["host"] or "?", int(run["pid"] or 0), run["started_at"] or "?")
    return PreviousRun(run["status"], holder, run["fingerprint"], tables, created)


class RunState:
    """Writes this run's state as it goes (each call its own short transaction, so the state
    is true at any moment a kill can come)."""

    def __init__(
        self,
        engine: Engine,
        holder: Holder,
        fingerprint: str | None,
        durable_sql: str | None = None,
    ) -> None:
        """*durable_sql*: run first in :meth:`finish`'s transaction where the run's commits
        do not wait for the disk (``Capabilities.relaxed_commit_sql``), so the run's end
        is on disk with everything before it when the command returns."""
        self.engine = engine
        self.holder = holder
        self.fingerprint = fingerprint
        self.durable_sql = durable_sql

    def start(self, keep: dict[str, tuple[str, bool]] | None = None) -> None:
        """Create the state table if needed and record this run as ``running``; rows of
        *keep* (table -> (status, created)) carry over from the unfinished run resumed."""
        _metadata.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(state_table))
            conn.execute(sa.insert(state_table), [self._run_row("running")])
            for table, (status, created) in (keep or {}).items():
                conn.execute(
                    sa.insert(state_table),
                    [{"item": table, "status": status, "created": created, "updated_at": now()}],
                )

    def tables(self, names: list[str], created: bool) -> None:
        """Record *names* as ``pending`` (before any of them is created or written)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(state_table).where(state_table.c.item.in_(names)))
            if names:
                conn.execute(
                    sa.insert(state_table),
                    [
                        {"item": n, "status": "pending", "created": created, "updated_at": now()}
                        for n in names
                    ],
                )

    def table(self, name: str, status: str, rows: int | None = None) -> None:
        """Record *name*'s new *status* (and rows written)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(state_table)
                .where(state_table.c.item == name)
                .values(status=status, rows_written=rows, updated_at=now())
            )
            if not done.rowcount:
                conn.execute(
                    sa.insert(state_table),
                    [{"item": name, "status": status, "rows_written": rows, "created": False,
                      "updated_at": now()}],
                )  # fmt: skip

    def finish(self, status: str, detail: str | None = None) -> None:
        """The run's end: ``complete`` or ``failed`` (with the table lists in *detail*)."""
        with self.engine.begin() as conn:
            if self.durable_sql:
                conn.exec_driver_sql(self.durable_sql)
            conn.execute(
                sa.update(state_table)
                .where(state_table.c.item == RUN_ITEM)
                .values(status=status, detail=detail, updated_at=now())
            )

    def _run_row(self, status: str) -> dict:
        return {
            "item": RUN_ITEM, "status": status, "host": self.holder.host, "pid": self.holder.pid,
            "started_at": self.holder.started_at, "updated_at": now(),
            "fingerprint": self.fingerprint,
        }  # fmt: skip
