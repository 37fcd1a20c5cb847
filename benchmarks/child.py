"""One paritygen step in a fresh process, so its wall time and peak memory are its own.

``run.py`` starts ``python benchmarks/child.py STEP ...`` and reads one JSON line from stdout; the
parent takes the child's peak RSS from ``os.wait4`` (the kernel's figure, not a sample).

Steps:
- ``generate PROFILE URL``: ``generate_database`` exactly as ``paritygen generate`` calls it,
  with the time split into set-up, load and finishing (``_Split``: timers only).
- ``genonly PROFILE``: the same run with the writer swapped (through the agreed
  ``writers.base.open_writer``) for one that only consumes the chunks, optionally CSV-encoding
  them; the empty schema goes to a throw-away SQLite file: generation alone.
- ``profile URL OUT``: ``profile_database`` and the profile written to OUT.
- ``verify PROFILE URL``: ``verify_database``; a summary of the measures that passed and failed.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()


LOAD_PHASE = "load: writer.load (generation + encoding + server)"
ANALYZE_PHASE = "finish: ANALYZE"


class _Split:
    """Where one ``generate_database`` spends its wall time, by wrapping (never changing) the
    stage functions it calls: generators built, rows streamed to the writer, tables finished.

    Only names that exist are wrapped, so a renamed internal drops a phase from the split
    instead of failing the benchmark. Cost: a few clock reads per table and per chunk.

    Tables load, and keys build, on several sessions at once (``--jobs``): each phase's figure
    is the wall time covered by at least one of its calls (the union of their intervals), so
    four tables loading side by side for 2 s count 2 s, not 8."""

    STAGE_MODULES = (
        "paritygen.run.generate",
        "paritygen.run.stage",
        "paritygen.run",
        "paritygen.run.load",
        "paritygen.run.finish",
        "paritygen.writers.schema",
        "paritygen.writers.finish",
    )

    def __init__(self) -> None:
        self.intervals: dict[str, list[tuple[float, float]]] = {}
        self.tables: dict[str, dict[str, float]] = {}

    def add(self, phase: str, began: float, ended: float) -> None:
        self.intervals.setdefault(phase, []).append((began, ended))

    @property
    def seconds(self) -> dict[str, float]:
        return {phase: _union(spans) for phase, spans in self.intervals.items()}

    def after_load(self, ended: float) -> dict[str, float]:
        """What the run spent after its last table's rows were in (until *ended*), and the
        ANALYZE within it: keys and ANALYZE now start beside the loads, so their whole
        intervals no longer say what they add to the wall time."""
        loads = self.intervals.get(LOAD_PHASE, [])
        if not loads:
            return {}
        last = max(end for _, end in loads)
        spans = [(max(a, last), b) for a, b in self.intervals.get(ANALYZE_PHASE, []) if b > last]
        return {"after the load": max(0.0, ended - last), "after the load: ANALYZE": _union(spans)}

    def timed(self, phase: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(phase, t0, time.perf_counter())

        return wrapper

    def install(self) -> None:
        import importlib

        import paritygen.writers.base as writers

        for module_name in self.STAGE_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            for name, phase in (
                ("create_tables", "create_tables"),
                ("finish_tables", "finish_tables"),
                ("_run_ddl", "finish: keys, indexes, FKs"),
                ("_analyze", ANALYZE_PHASE),
                ("_move_sequences", "finish: sequences"),
            ):
                func = getattr(module, name, None)
                if func is not None and not hasattr(func, "_bench_timed"):
                    wrapped = self.timed(phase, func)
                    wrapped._bench_timed = True  # type: ignore[attr-defined]
                    setattr(module, name, wrapped)
            if isinstance(getattr(module, "TableRows", None), type):
                module.TableRows = self._rows_class(module.TableRows)
        open_writer = writers.open_writer
        writers.open_writer = lambda engine: self._wrap_writer(open_writer(engine))

    def _rows_class(self, base: type) -> type:
        split = self

        class TimedTableRows(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                t0 = time.perf_counter()
                super().__init__(*args, **kwargs)
                split.add("set-up: generators built", t0, time.perf_counter())

        return TimedTableRows

    def _wrap_writer(self, writer: Any) -> Any:
        load = writer.load
        split = self

        def timed_load(table: Any, chunks: Iterable[Any]) -> int:
            began = time.perf_counter()
            stats = {"first_chunk_seconds": 0.0, "generate_seconds": 0.0}

            def pulled() -> Iterable[Any]:
                iterator = iter(chunks)
                first = True
                while True:
                    t0 = time.perf_counter()
                    try:
                        chunk = next(iterator)
                    except StopIteration:
                        return
                    spent = time.perf_counter() - t0
                    stats["generate_seconds"] += spent
                    if first:
                        stats["first_chunk_seconds"] = spent
                        first = False
                    yield chunk

            rows = load(table, pulled())
            stats["load_seconds"] = time.perf_counter() - began
            split.tables[table.name] = stats
            split.add(LOAD_PHASE, began, began + stats["load_seconds"])
            return rows

        writer.load = timed_load
        return writer


def _peak_rss_mb() -> float | None:
    """This process's own peak RSS (``VmHWM``, reset by exec). ``wait4``'s ru_maxrss is not:
    Linux carries the parent's high-water mark into an exec'd child, so a child of a parent
    that once held 1.4 GB of benchmark data reported 1.4 GB whatever it used."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of *spans*."""
    total, reach = 0.0, float("-inf")
    for began, ended in sorted(spans):
        if ended > reach:
            total += ended - max(began, reach)
            reach = ended
    return total


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    import inspect

    from paritygen.profile.io import read_profile
    from paritygen.run.generate import generate_database

    profile = read_profile(args.profile)
    t_import = time.perf_counter() - T_START
    # The floor under peak RSS: interpreter, numpy, polars, SQLAlchemy, drivers, the profile.
    rss_import_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    split = _Split()
    split.install()
    options: dict[str, Any] = {}
    if args.jobs is not None:
        if "jobs" not in inspect.signature(generate_database).parameters:
            raise SystemExit("generate_database takes no jobs argument in this checkout")
        options["jobs"] = args.jobs
    t0 = time.perf_counter()
    summary = generate_database(
        profile, args.url, seed=args.seed, chunk_rows=args.chunk_rows, progress=False, **options
    )
    ended = time.perf_counter()
    return {
        "import_seconds": t_import,
        "rss_after_import_mb": rss_import_mb,
        "generate_seconds": ended - t0,
        "summary": summary.to_dict(),
        "split_seconds": split.seconds | split.after_load(ended),
        "split_tables": split.tables,
    }


class _CountingWriter:
    """A writer that writes nothing: it pulls every chunk (and optionally CSV-encodes it)."""

    constraints_after_load = False

    def __init__(self, encode_csv: bool) -> None:
        self.encode_csv = encode_csv
        self.rows: dict[str, int] = {}
        self.tables: dict[str, dict[str, float | None]] = {}
        self.encode_seconds = 0.0

    def load(self, table: Any, chunks: Iterable[Any]) -> int:
        total = 0
        began = time.perf_counter()
        first_at = first_rows = None
        for chunk in chunks:
            total += chunk.height
            if first_at is None:
                # Time to the first chunk is set-up (generators built, pools filled); what
                # follows is the per-row rate that decides speed at scale.
                first_at, first_rows = time.perf_counter(), chunk.height
            if self.encode_csv:
                t0 = time.perf_counter()
                chunk.write_csv(io.BytesIO(), include_header=False)
                self.encode_seconds += time.perf_counter() - t0
        ended = time.perf_counter()
        self.rows[table.name] = self.rows.get(table.name, 0) + total
        if first_at is not None:
            self.tables[table.name] = {
                "load_seconds": ended - began,
                "first_chunk_seconds": first_at - began,
                "steady_rows_per_s": (total - first_rows) / (ended - first_at)
                if total > first_rows
                else None,
            }
        return total

    def update(self, table: Any, key_columns: Any, value_columns: Any, chunks: Any) -> int:
        return sum(chunk.height for chunk in chunks)


def _genonly(args: argparse.Namespace) -> dict[str, Any]:
    import paritygen.writers.base as writers
    from paritygen.profile.io import read_profile
    from paritygen.run.generate import generate_database

    profile = read_profile(args.profile)
    writer = _CountingWriter(args.csv)
    # The only change to a real run: generate_database looks the writer up at call time through
    # the agreed open_writer(engine), and gets one that sends the chunks nowhere.
    writers.open_writer = lambda engine: writer
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = generate_database(
            profile, f"sqlite:///{Path(tmp) / 'schema.sqlite'}", seed=args.seed, progress=False
        )
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "encode_seconds": writer.encode_seconds,
        "rows": writer.rows,
        "tables": writer.tables,
        "summary": summary.to_dict(),
    }


def _profile(args: argparse.Namespace) -> dict[str, Any]:
    from paritygen.profile.io import write_profile
    from paritygen.profile.run import profile_database

    t0 = time.perf_counter()
    profile = profile_database(args.url, progress=False)
    seconds = time.perf_counter() - t0
    write_profile(profile, args.out)
    return {
        "seconds": seconds,
        "tables": {name: table.row_count for name, table in profile.tables.items()},
    }


def _verify(args: argparse.Namespace) -> dict[str, Any]:
    from paritygen.profile.io import read_profile
    from paritygen.verify.compare import verify_database

    profile = read_profile(args.profile)
    t0 = time.perf_counter()
    result = verify_database(profile, args.url, progress=False)
    measures = result.measures
    failed = [m for m in measures if not m.passed]
    return {
        "seconds": time.perf_counter() - t0,
        "passed": bool(result.passed),
        "measures": len(measures),
        "failed": len(failed),
        "failed_measures": [
            f"{m.table}.{m.column or ''} {m.measure}: {m.value} (bar {m.bar})" for m in failed
        ][:40],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="step", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("profile")
    gen.add_argument("url")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--chunk-rows", type=int, default=None)
    gen.add_argument("--jobs", type=int, default=None)
    only = sub.add_parser("genonly")
    only.add_argument("profile")
    only.add_argument("--seed", type=int, default=0)
    only.add_argument("--csv", action="store_true")
    prof = sub.add_parser("profile")
    prof.add_argument("url")
    prof.add_argument("out")
    ver = sub.add_parser("verify")
    ver.add_argument("profile")
    ver.add_argument("url")
    args = parser.parse_args()
    from paritygen.parallel import limit_malloc_arenas, limit_polars_retention

    limit_malloc_arenas()  # as paritygen's own entry point does (cli.main)
    limit_polars_retention()  # likewise, before polars is imported: its freed pages go back
    step = {"generate": _generate, "genonly": _genonly, "profile": _profile, "verify": _verify}
    result = step[args.step](args)
    result["peak_rss_self_mb"] = _peak_rss_mb()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
