"""One paritygen step in a fresh process, so its wall time and peak memory are its own.

``run.py`` starts ``python benchmarks/child.py STEP ...`` and reads one JSON line from stdout; the
parent takes the child's peak RSS from ``os.wait4`` (the kernel's figure, not a sample).

Steps:
- ``generate PROFILE URL``: ``generate_database`` exactly as ``paritygen generate`` calls it.
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
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    from paritygen.generate.run import generate_database
    from paritygen.profile.io import read_profile

    profile = read_profile(args.profile)
    t_import = time.perf_counter() - T_START
    t0 = time.perf_counter()
    summary = generate_database(
        profile, args.url, seed=args.seed, chunk_rows=args.chunk_rows, progress=False
    )
    return {
        "import_seconds": t_import,
        "generate_seconds": time.perf_counter() - t0,
        "summary": summary.to_dict(),
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
    from paritygen.generate.run import generate_database
    from paritygen.profile.io import read_profile

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
    step = {"generate": _generate, "genonly": _genonly, "profile": _profile, "verify": _verify}
    print(json.dumps(step[args.step](args), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
