"""Progress bars for a run: one per table and one overall (rows, rows/s, ETA).

Only on a terminal by default: a run under cron or CI writes no bar noise to its logs. Row
sources (generated or copied rows) call :meth:`Progress.advance` per chunk; they need nothing
else from this module, so they depend only on the small :class:`Advance` protocol.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from tqdm import tqdm


class Advance(Protocol):
    """What a row source needs from a progress display: count rows as they are made."""

    def advance(self, rows: int) -> None: ...


class Progress:
    """A bar per table and one overall, or nothing when *enabled* is False."""

    def __init__(self, enabled: bool, total: int, per_table: bool = True) -> None:
        """*per_table* False: the overall bar only (tables loading side by side)."""
        self.enabled = enabled
        self.per_table = per_table
        self.overall = (
            tqdm(total=total, desc="all tables", unit="rows", unit_scale=True, position=0)
            if enabled
            else None
        )
        self.table: Any = None

    def start_table(self, name: str, rows: int) -> None:
        if self.enabled and self.per_table:
            self.table = tqdm(
                total=rows, desc=name, unit="rows", unit_scale=True, position=1, leave=False
            )

    def advance(self, rows: int) -> None:
        if self.table is not None:
            self.table.update(rows)
        if self.overall is not None:
            self.overall.update(rows)

    def end_table(self) -> None:
        if self.table is not None:
            self.table.close()
            self.table = None

    def close(self) -> None:
        self.end_table()
        if self.overall is not None:
            self.overall.close()


def progress_on(progress: bool | None) -> bool:
    """The user's choice, else a bar only when stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else progress
