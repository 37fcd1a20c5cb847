"""Reading the next table while the last one is measured.

Why: a profile is one full read of every table plus the statistics of what was read, and the
two wait on different things: the read on the server (COPY runs in its own process), the
statistics on this process's cores. Done one after the other, a profile costs their sum; with
the reads on a thread of their own, running ahead of the measuring in the same order, the
statistics of a table hide behind the read of the next one (pg_dump --jobs and mydumper overlap
their work in the same way).

Memory stays bounded: the reader keeps at most :data:`READ_AHEAD` tables read and not yet taken,
beyond it only when a taker waits for a table the reader has not reached (several measuring
threads), so no taker ever waits on a reader that waits on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

READ_AHEAD = 1
"""Tables read and waiting to be measured, at most (one: the next table's read overlaps the
last one's statistics; more would hold more tables in memory for no further overlap)."""


class ReadAhead(Generic[T]):
    """``read(name)`` for every name of *names*, in order, on a thread of its own; :meth:`take`
    hands each result over once. An exception of ``read`` is raised by the :meth:`take` of that
    table or of any later one; reading stops there."""

    def __init__(self, names: Sequence[str], read: Callable[[str], T], ahead: int = READ_AHEAD):
        self._names = list(names)
        self._read = read
        self._ahead = ahead
        self._done: dict[str, T] = {}
        self._failed: BaseException | None = None
        self._wanted: list[str] = []
        self._closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="paritygen-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for name in self._names:
            with self._cond:
                while not self._closed and len(self._done) >= self._ahead and not self._behind():
                    self._cond.wait()
                if self._closed:
                    return
            try:
                result = self._read(name)
            except BaseException as exc:  # noqa: BLE001 - handed to the taker
                with self._cond:
                    self._failed = exc
                    self._cond.notify_all()
                return
            with self._cond:
                self._done[name] = result
                self._cond.notify_all()

    def _behind(self) -> bool:
        """Whether a taker waits for a table not read yet (the reader must go on)."""
        return any(name not in self._done for name in self._wanted)

    def take(self, name: str) -> T:
        """The read of *name* (waiting for it); each table is taken once."""
        with self._cond:
            self._wanted.append(name)
            self._cond.notify_all()
            try:
                while name not in self._done and self._failed is None:
                    self._cond.wait()
            finally:
                self._wanted.remove(name)
            if name in self._done:
                self._cond.notify_all()  # room for the next read
                return self._done.pop(name)
            raise self._failed  # type: ignore[misc]

    def close(self) -> None:
        """Stop reading (after the read under way) and wait for the reader thread."""
        with self._cond:
            self._closed = True
            self._done.clear()
            self._cond.notify_all()
        self._thread.join()
