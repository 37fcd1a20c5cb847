"""Work units run side by side: the one small interface between paritygen and its executor.

A run is many independent pieces of work (load table ``orders``, build the keys of ``customer``,
ANALYZE ``sales``), some of which must wait for others (a child table's rows while its parent's
FK is checked during the load). :func:`run_units` takes them as :class:`Unit` objects with
their dependencies and runs at most *jobs* at once, on an :class:`Executor`.

Why threads by default: every unit spends its time in the database server, in the socket, or in
numpy / polars, all of which release the GIL, so threads keep the target's cores busy without
pickling profiles or opening a process per table. Why an interface: a unit is a pure function of
(seed, table, column, block), so a distributed executor (Dask, Ray) can run the same units on
other machines later by implementing :class:`Executor`'s two methods; nothing else changes.

Failure: the first unit that raises stops the scheduling of new units; the units already running
are asked to stop (:attr:`Units.stop`, which long units poll between chunks) and awaited, and the
first exception is re-raised with what finished, what was running and what never started.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_DEFAULT_JOBS = 8
"""Default sessions never exceed this: beyond it a server's disk, not its cores, is the limit."""


def default_jobs() -> int:
    """Sessions a run opens by default: the cores this process may use (a local server uses
    the same machine's cores; a remote one has at least as many), capped by MAX_DEFAULT_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_JOBS, cores))


class Executor(Protocol):
    """What :func:`run_units` needs from an executor (``concurrent.futures`` compatible)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Start ``fn(*args)``; return a future of its result."""
        ...

    def shutdown(self, wait: bool = True) -> None:
        """Release the workers once every submitted unit has finished."""
        ...


def thread_executor(jobs: int) -> Executor:
    """The default executor: *jobs* threads named after paritygen (seen in py-spy traces)."""
    limit_malloc_arenas()
    return ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="paritygen-unit")


MALLOC_ARENAS = 2
"""glibc malloc arenas a process keeps (``M_ARENA_MAX``). By default glibc opens one per thread
up to 8 per core, and memory freed in one arena serves no other: a 240-table generate on 8
sessions peaked at 311-316 MB with the default, 249-253 MB with 2 (1: 245 MB, 4: 272 MB), the
same CPU time. Polars allocates through its own allocator and is not concerned."""

_M_ARENA_MAX = -8
"""``mallopt`` parameter number of M_ARENA_MAX in glibc's malloc.h."""


@functools.cache
def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at :data:`MALLOC_ARENAS` before threads start allocating
    (arenas already open stay); whether it was done. An explicit ``MALLOC_ARENA_MAX`` in the
    environment is left to glibc; other C libraries (musl, macOS) are left alone."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, MALLOC_ARENAS))


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_free_memory() -> None:
    """Give the free pages of glibc's heap back to the system (``malloc_trim``). A chunk's numpy
    arrays come from the heap once glibc's mmap threshold has risen, and free() only shrinks
    the heap from its top: what a chunk freed stayed in the RSS under the next chunk's (and
    the other sessions') arrays. Called between chunks and after each table."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


POLARS_ALLOCATOR_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""jemalloc options for polars' own allocator (``_RJEM_MALLOC_CONF``; polars' import appends
it to its own 500 ms / 1 s decays, so these win): pages freed go back to the system at once.
With polars' decays every chunk's intermediate columns and encode buffers stayed in the RSS:
the 1 M-row warehouse generate peaked at 387 MB with them, 325-329 MB with these (``--jobs
1``; benchmarks/RESULTS.md, "Memory, round 5"), the same rows."""


def limit_polars_retention() -> bool:
    """Set :data:`POLARS_ALLOCATOR_CONF` for polars' jemalloc, which reads it once, when polars
    is imported (so call this before); whether it was set. A ``_RJEM_MALLOC_CONF`` already in
    the environment is the user's and wins."""
    if "_RJEM_MALLOC_CONF" in os.environ or "polars" in sys.modules:
        return False
    os.environ["_RJEM_MALLOC_CONF"] = POLARS_ALLOCATOR_CONF
    return True


@dataclass(frozen=True)
class Unit:
    """One piece of work: *run()* after every unit named in *after* has finished."""

    name: str
    run: Callable[[], Any]
    after: frozenset[str] = field(default_factory=frozenset)
    apart_from: frozenset[str] = field(default_factory=frozenset)
    """Units that must not run at the same time as this one (DDL on tables linked by an FK:
    an ALTER TABLE can lock the tables its FKs link, and two of them could wait on each other)."""


class UnitsFailed(Exception):
    """A unit raised: :attr:`cause` is its exception, with the state of the others."""

    def __init__(
        self, cause: BaseException, done: list[str], running: list[str], pending: list[str]
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.done = done
        self.running = running
        self.pending = pending


class Units:
    """Shared state of one :func:`run_units` call: the stop flag units poll between chunks."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def check(self) -> None:
        """Raise :class:`Stopped` when another unit failed (or the user interrupted)."""
        if self.stop.is_set():
            raise Stopped


class Stopped(Exception):
    """Raised inside a unit that was asked to stop because another one failed."""


def run_units(
    units: Sequence[Unit],
    jobs: int,
    *,
    executor: Callable[[int], Executor] = thread_executor,
    state: Units | None = None,
    on_done: Callable[[str, Any], None] | None = None,
) -> dict[str, Any]:
    """Run *units* (at most *jobs* at once, each after its ``after``); return their results by
    name. *on_done(name, result)* runs in the calling thread as each unit finishes, in the order
    they finish. ``jobs == 1`` runs them in the calling thread, in the given order, as a plain
    loop would (the order of today's sequential runs, and the easiest one to debug)."""
    known = {u.name for u in units}
    state = state or Units()
    results: dict[str, Any] = {}
    if jobs <= 1:
        for unit in units:
            try:
                results[unit.name] = unit.run()
            except BaseException as exc:
                done = list(results)
                pending = [u.name for u in units if u.name not in results and u is not unit]
                raise UnitsFailed(exc, done, [unit.name], pending) from exc
            if on_done is not None:
                on_done(unit.name, results[unit.name])
        return results
    waiting = list(units)
    running: dict[Future[Any], str] = {}
    pool = executor(jobs)
    failure: BaseException | None = None
    failed_at: list[str] = []
    try:
        while waiting or running:
            if failure is None:
                for unit in [u for u in waiting if (u.after & known) <= results.keys()]:
                    if len(running) >= jobs:
                        break
                    if unit.apart_from & set(running.values()):
                        continue
                    waiting.remove(unit)
                    running[pool.submit(unit.run)] = unit.name
            if not running:
                if failure is None and waiting:
                    names = ", ".join(u.name for u in waiting)
                    raise RuntimeError(f"units wait on each other in a cycle: {names}")
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                exc = future.exception()
                if exc is not None:
                    if failure is None and not isinstance(exc, Stopped):
                        failure = exc
                        state.stop.set()
                    failed_at.append(name)  # failed, or stopped part-way by the failure
                    continue
                results[name] = future.result()
                if on_done is not None and failure is None:
                    on_done(name, results[name])
    except BaseException as exc:  # KeyboardInterrupt in the caller: stop the others first
        state.stop.set()
        wait(list(running))
        failure = failure or exc
        failed_at = failed_at or list(running.values())
    finally:
        pool.shutdown(wait=True)
    if failure is not None:
        pending = [u.name for u in waiting]
        raise UnitsFailed(failure, list(results), failed_at, pending) from failure
    return results
