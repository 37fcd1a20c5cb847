"""The load: every table's rows through the writer, in order, then the deferred updates.

The loop knows nothing of where rows come from. A :class:`TableLoad` hands it a table's chunks
(generated rows for ``generate``, copied and masked rows for ``mask``) and, when the table closes
an FK cycle or references itself, the :class:`Update` passes that fill those FK columns once
every table holds its rows. A failure becomes one :class:`~paritygen.errors.LoadError` that names
the table and the cause.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from paritygen.db import describe_db_error
from paritygen.errors import ExitStatus, LoadError, ParitygenError
from paritygen.run.faults import fault_point
from paritygen.run.progress import Advance, Progress


@dataclass(frozen=True)
class Update:
    """Set *value_columns* of rows matched on *key_columns*, from the chunks *chunks()* gives."""

    key_columns: Sequence[str]
    value_columns: Sequence[str]
    chunks: Callable[[], Iterable[pl.DataFrame]]


@dataclass(frozen=True)
class TableLoad:
    """One table's rows: *chunks(progress)* yields them (calling ``progress.advance(n)``)."""

    name: str
    rows: int
    """Rows planned (for the progress bar; the writer counts what it really wrote)."""
    chunks: Callable[[Advance], Iterable[pl.DataFrame]]
    updates: Sequence[Update] = field(default_factory=tuple)
    write: Callable[[Any, sa.Table, Advance], int] | None = None
    """Instead of *chunks*: writes the table itself through the writer and returns the rows
    (``mask``'s pass-through of a table with nothing to mask, as raw COPY text)."""


@dataclass(frozen=True)
class TableSummary:
    """Rows written to one table and the seconds it took (load plus its share of updates)."""

    rows: int
    seconds: float


def load_tables(
    writer: Any,
    metadata: sa.MetaData,
    loads: Sequence[TableLoad],
    *,
    progress: bool = False,
    on_loaded: Callable[[str, int], None] | None = None,
    on_complete: Callable[[str, int], None] | None = None,
) -> dict[str, TableSummary]:
    """Load every table of *loads* in order, then run their updates.

    *on_loaded(name, rows)* is called when the rows of a table with updates are in;
    *on_complete(name, rows)* when its updates are done too (at once for a table without), so a
    run's state can record exactly what is finished.
    """
    done: dict[str, TableSummary] = {}
    current: TableLoad | None = None
    bar = Progress(progress, sum(t.rows for t in loads))
    chunks = [0]
    try:
        for load in loads:
            current = load
            began = time.perf_counter()
            bar.start_table(load.name, load.rows)
            table = metadata.tables[load.name]
            if load.write is not None:
                rows = load.write(writer, table, bar)
            else:
                rows = writer.load(table, _counted(load.chunks(bar), chunks))
            bar.end_table()
            done[load.name] = TableSummary(rows, time.perf_counter() - began)
            if load.updates and on_loaded is not None:
                on_loaded(load.name, rows)
            if not load.updates and on_complete is not None:
                on_complete(load.name, rows)  # one state write a table: it implies loaded
            fault_point(f"after-table:{load.name}")
        current = None
        for load in loads:
            if not load.updates:
                continue
            current = load
            began = time.perf_counter()
            for update in load.updates:
                writer.update(
                    metadata.tables[load.name],
                    list(update.key_columns),
                    list(update.value_columns),
                    update.chunks(),
                )
            previous = done[load.name]
            done[load.name] = TableSummary(
                previous.rows, previous.seconds + time.perf_counter() - began
            )
            if on_complete is not None:
                on_complete(load.name, previous.rows)
        current = None
    except KeyboardInterrupt:
        raise state_error("interrupted", loads, done, current, ExitStatus.INTERRUPTED) from None
    except ParitygenError as exc:
        raise state_error(str(exc), loads, done, current, exc.exit_status) from None
    except sa.exc.DBAPIError as exc:
        raise state_error(describe_db_error(exc), loads, done, current, ExitStatus.ERROR) from None
    finally:
        bar.close()
    return done


def _counted(chunks: Iterable[pl.DataFrame], count: list[int]) -> Iterator[pl.DataFrame]:
    """The chunks, counted across the run, for the ``after-chunk:<n>`` crash point (the chunk
    is made, so the kill lands while the writer holds uncommitted or half-sent work)."""
    for chunk in chunks:
        count[0] += 1
        fault_point(f"after-chunk:{count[0]}")
        yield chunk


def state_error(
    reason: str,
    order: Sequence[TableLoad],
    done: dict[str, TableSummary],
    current: TableLoad | None,
    status: ExitStatus,
) -> LoadError:
    """One line naming the failed table and the cause, with counts of the others and how to
    finish; the lists of complete, partial and untouched tables go to ``error.detail`` (the
    state table and ``--debug``), because on a 240-table schema they would fill a screen."""
    complete = [t.name for t in order if t.name in done]
    partial = current.name if current is not None else None
    if partial is not None and partial in done:
        complete.remove(partial)  # its deferred FK update did not finish
    untouched = [t.name for t in order if t.name not in done and t.name != partial]
    # the writer's own advice repeats ours: keep one
    cause = re.sub(r"\s*\(rerun with --if-exists truncate[^)]*\)\s*$", "", reason).rstrip(".")
    if partial is not None and partial not in cause:
        cause = f"table {partial}: {cause}"
    error = LoadError(
        f"{cause} ({len(complete)} table(s) complete, {len(untouched)} not started; rerun with"
        " --if-exists truncate, or --resume to keep the complete ones)"
    )
    parts = [f"complete: {', '.join(complete) or 'none'}"]
    if partial is not None:
        parts.append(f"partial: {partial}")
    parts.append(f"not started: {', '.join(untouched) or 'none'}")
    error.detail = "; ".join(parts)
    error.exit_status = status
    return error
