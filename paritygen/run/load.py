"""The load: every table's rows through the writer, in order, then the deferred updates.

The loop knows nothing of where rows come from. A :class:`TableLoad` hands it a table's chunks
(generated rows for ``generate``, copied and masked rows for ``mask``) and, when the table closes
an FK cycle or references itself, the :class:`Update` passes that fill those FK columns once
every table holds its rows. A failure becomes one :class:`~paritygen.errors.LoadError` that names
the table and the cause.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa

from paritygen.db import describe_db_error
from paritygen.errors import ExitStatus, LoadError, ParitygenError
from paritygen.parallel import Unit, Units, UnitsFailed, release_free_memory, run_units
from paritygen.run.faults import fault_point
from paritygen.run.progress import Advance, Progress

log = logging.getLogger("paritygen")

TABLE_DONE = "table_done"
"""Attribute of the INFO record logged as each table's rows are in: (table, rows, seconds), for
a job's log (a line per table as it finishes, not after the whole fill)."""


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
    after: frozenset[str] = frozenset()
    """Tables whose rows must be in first (FK parents, when the writer checks FKs during the
    load); only ``jobs > 1`` reads it, ``jobs == 1`` loads in the given order anyway."""
    heavy: bool = False
    """Its set-up and chunks take tens of MB: with ``jobs > 1`` it never loads beside another
    heavy table (the peak RSS is then the largest table's, not the sum of two)."""


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
    jobs: int = 1,
    finish: Sequence[Any] = (),
) -> dict[str, TableSummary]:
    """Load every table of *loads*, then run their updates.

    With ``jobs == 1`` (or a writer without ``concurrent_sessions``) the tables load one by one
    in the given order; else up to *jobs* tables load at once on their own sessions, each after
    its :attr:`TableLoad.after` (:func:`paritygen.parallel.run_units`). What each table holds is
    the same either way: its rows are a function of (seed, table, column, block).

    *finish*: units of :func:`paritygen.writers.finish.early_finish_units` (a table's keys
    after its load unit), run beside the loads; only for loads without updates (those fill FK
    columns after every load) and side by side, else after the loads.

    *on_loaded(name, rows)* is called when the rows of a table with updates are in;
    *on_complete(name, rows)* when its updates are done too (at once for a table without), so a
    run's state can record exactly what is finished. Both run in the calling thread.
    """
    done: dict[str, TableSummary] = {}
    running: list[str] = []
    side_by_side = jobs > 1 and len(loads) > 1 and getattr(writer, "concurrent_sessions", False)
    bar = Progress(progress, sum(t.rows for t in loads), per_table=not side_by_side)
    chunks = _ChunkCount()

    def loaded(name: str, rows: int, seconds: float) -> None:
        done[name] = TableSummary(rows, seconds)
        log.info("%s: %s rows in %.2f s", name, f"{rows:,}", seconds,
                 extra={TABLE_DONE: (name, rows, seconds)})  # fmt: skip
        release_free_memory()  # the table's generators are gone (its rows are out)
        load = by_name[name]
        if load.updates and on_loaded is not None:
            on_loaded(name, rows)
        if not load.updates and on_complete is not None:
            on_complete(name, rows)  # one state write a table: it implies loaded
        fault_point(f"after-table:{name}")

    by_name = {load.name: load for load in loads}
    beside: Sequence[Any] = ()
    try:
        if side_by_side:
            beside = () if any(load.updates for load in loads) else finish
            _side_by_side(writer, metadata, loads, jobs, bar, chunks, loaded, done, running, beside)
        else:
            for load in loads:
                running[:] = [load.name]
                began = time.perf_counter()
                bar.start_table(load.name, load.rows)
                rows = _write(writer, metadata.tables[load.name], load, bar, chunks.counted)
                bar.end_table()
                loaded(load.name, rows, time.perf_counter() - began)
        running.clear()
        for load in loads:
            if not load.updates:
                continue
            running[:] = [load.name]
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
        running.clear()
        if finish and not (side_by_side and beside):
            try:
                run_units(finish, jobs)
            except UnitsFailed as failed:
                raise failed.cause from None
    except KeyboardInterrupt:
        raise state_error("interrupted", loads, done, running, ExitStatus.INTERRUPTED) from None
    except ParitygenError as exc:
        raise state_error(str(exc), loads, done, running, exc.exit_status) from None
    except sa.exc.DBAPIError as exc:
        raise state_error(describe_db_error(exc), loads, done, running, ExitStatus.ERROR) from None
    finally:
        bar.close()
    return done


def _side_by_side(
    writer: Any,
    metadata: sa.MetaData,
    loads: Sequence[TableLoad],
    jobs: int,
    bar: Progress,
    chunks: _ChunkCount,
    loaded: Callable[[str, int, float], None],
    done: dict[str, TableSummary],
    running: list[str],
    finish: Sequence[Any] = (),
) -> None:
    """The tables as units of :func:`paritygen.parallel.run_units`: each unit loads one table
    on its own session (the writer opens one per ``load``); a failure stops the others at
    their next chunk and is re-raised here as the unit's own exception, with *running* naming
    the tables left partial (those running, and those that finished after the failure: their
    rows are in but the state does not say so). *finish* units run among them."""
    units_state = Units()

    def unit(load: TableLoad) -> Callable[[], tuple[int, float]]:
        def run() -> tuple[int, float]:
            began = time.perf_counter()
            rows = _write(
                writer, metadata.tables[load.name], load, bar,
                lambda made: _stoppable(chunks.counted(made), units_state),
            )  # fmt: skip
            return rows, time.perf_counter() - began

        return run

    names = {load.name for load in loads}
    heavy = frozenset(load.name for load in loads if load.heavy)
    # Largest first: the tables a ready session takes are the ones that take longest, so the
    # largest (TPC-H's order lines, 70 % of the rows) no longer starts behind the others and
    # finishes alone, its keys and ANALYZE after it; the small ones fill the other sessions.
    units = [
        Unit(
            load.name, unit(load), after=frozenset(load.after & names - {load.name}),
            apart_from=heavy - {load.name} if load.heavy else frozenset(),
        )  # fmt: skip
        for load in sorted(loads, key=lambda load: -load.rows)
    ]
    try:
        run_units(
            [*units, *finish], jobs, state=units_state,
            on_done=lambda name, result: loaded(name, *result) if name in names else None,
        )  # fmt: skip
    except UnitsFailed as failed:
        running[:] = [n for n in [*failed.running, *failed.done] if n in names and n not in done]
        raise failed.cause from None


def _write(
    writer: Any,
    table: sa.Table,
    load: TableLoad,
    bar: Progress,
    wrap: Callable[[Iterable[pl.DataFrame]], Iterable[pl.DataFrame]],
) -> int:
    """One table's rows through the writer (its own *write* when it has one); returns rows."""
    if load.write is not None:
        return load.write(writer, table, bar)
    return writer.load(table, wrap(load.chunks(bar)))


def _stoppable(chunks: Iterable[pl.DataFrame], units: Any) -> Iterator[pl.DataFrame]:
    """The chunks, until another unit failed (then :class:`~paritygen.parallel.Stopped`)."""
    for chunk in chunks:
        units.check()
        yield chunk
        del chunk  # the writer has it: not alive while the next chunk is made


class _ChunkCount:
    """Chunks counted across the run, for the ``after-chunk:<n>`` crash point (the chunk is
    made, so the kill lands while the writer holds uncommitted or half-sent work); tables
    loading side by side share the count."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def counted(self, chunks: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for chunk in chunks:
            with self.lock:
                self.count += 1
                number = self.count
            fault_point(f"after-chunk:{number}")
            yield chunk
            del chunk  # the writer is done with it: its memory, and what made it, go back
            release_free_memory()


def state_error(
    reason: str,
    order: Sequence[TableLoad],
    done: dict[str, TableSummary],
    running: Sequence[str],
    status: ExitStatus,
) -> LoadError:
    """One line naming the failed table and the cause, with counts of the others and how to
    finish; the lists of complete, partial and untouched tables go to ``error.detail`` (the
    state table and ``--debug``), because on a 240-table schema they would fill a screen."""
    partial = [name for name in running]
    complete = [t.name for t in order if t.name in done and t.name not in partial]
    # (a table in done and running: its deferred FK update did not finish)
    untouched = [t.name for t in order if t.name not in done and t.name not in partial]
    # the writer's own advice repeats ours: keep one
    cause = re.sub(r"\s*\(rerun with --if-exists truncate[^)]*\)\s*$", "", reason).rstrip(".")
    if len(partial) == 1 and partial[0] not in cause:
        cause = f"table {partial[0]}: {cause}"
    error = LoadError(
        f"{cause} ({len(complete)} table(s) complete, {len(untouched)} not started; rerun with"
        " --if-exists truncate, or --resume to keep the complete ones)"
    )
    parts = [f"complete: {', '.join(complete) or 'none'}"]
    if partial:
        parts.append(f"partial: {', '.join(partial)}")
    parts.append(f"not started: {', '.join(untouched) or 'none'}")
    error.detail = "; ".join(parts)
    error.exit_status = status
    return error
