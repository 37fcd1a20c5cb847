"""Tables with nothing to mask: the source's raw COPY text straight into the target's COPY.

Every column ``keep`` and the keys unchanged, going to a database of the same kind that shares
a raw format with the source (PostgreSQL's COPY text): no value is parsed or re-printed in
Python, the copy costs what ``pg_dump | psql`` costs.

Side by side: such a table needs almost no Python, only the two servers' work, while a masked
table is mostly Python (keyed hashes). Where the snapshot gives each reader a session of its own
and the target adds its FKs after the load (PostgreSQL), the pass-through tables are copied on
one extra session *while* the masked tables load, as ``pg_dump --jobs`` reads tables at once.
The load loop still meets them in dependency order and records each as it does any table, once
its copy has committed (each is one transaction): a crash leaves the same state as a sequential
run, and the same command finishes it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from paritygen.errors import LoadError
from paritygen.mask.rules import TableAction
from paritygen.profile.model import Column


def raw_format(source: Any, writer: Any) -> str | None:
    """The raw COPY format source and writer share, or None (then every table is parsed)."""
    from paritygen.profile.stream import raw_copy_format

    wanted = getattr(writer, "raw_copy_format", None)
    return wanted if wanted is not None and raw_copy_format(source.conn) == wanted else None


def passes_through(action: TableAction) -> bool:
    """Every column kept as it is (keys included): the rows need no Python at all."""
    return all(column.mode == "keep" for column in action.columns.values())


class PassThrough:
    """The pass-through tables of one run, copied in turn or on a session of their own."""

    def __init__(self, source: Any, writer: Any, side_by_side: bool) -> None:
        self.source = source
        self.writer = writer
        self.side_by_side = side_by_side
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future[int]] = {}
        self._pending: list[tuple[str, sa.Table, list[Column]]] = []

    def add(self, name: str, table: sa.Table, columns: list[Column]) -> None:
        """Plan *name* (in the load's dependency order)."""
        self._pending.append((name, table, columns))

    def start(self) -> None:
        """Side by side: start copying the planned tables, in order, on one extra session."""
        if not self.side_by_side or not self._pending:
            return
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paritygen-raw")
        for name, table, columns in self._pending:
            self._futures[name] = self._pool.submit(self.copy, table, columns, name, None)

    def write(self, name: str, table: sa.Table, columns: list[Column], bar: Any) -> int:
        """The load loop's turn for *name*: its rows, copied now or awaited."""
        future = self._futures.get(name)
        if future is None:
            return self.copy(table, columns, name, bar.advance)
        rows = future.result()
        bar.advance(rows)
        return rows

    def copy(self, table: sa.Table, columns: list[Column], name: str, advance: Any) -> int:
        """One table's COPY text from the source snapshot into the target."""
        from paritygen.profile.dialects import quote_table
        from paritygen.profile.stream import stream_raw

        with self.source.reader() as conn:
            blocks = stream_raw(conn, quote_table(conn, None, name), columns)
            try:
                return int(
                    self.writer.load_raw(
                        table, [c.name for c in columns], self._until_stopped(blocks), advance
                    )
                )
            finally:
                blocks.close()  # type: ignore[attr-defined]

    def _until_stopped(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        for block in blocks:
            if self._stop.is_set():  # the run failed elsewhere: abort this COPY
                raise LoadError("stopped: another table of the run failed")
            yield block

    def close(self) -> None:
        """Stop a copy still running (the run failed elsewhere) and wait for its session."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
