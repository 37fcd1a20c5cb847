"""Parity at production size: the demo shop at --scale in a real server, round trip.

Builds the demo shop (paritygen.demo.shop) at SCALE in a fresh database of DIALECT (scale 7 is
about 1.2 M rows, the size of the issues' reference database), profiles it, generates staging
into another fresh database of the same kind and verifies it with ``verify --source``.

    python benchmarks/parity_shop.py mysql 7
    python benchmarks/parity_shop.py postgresql 7   # the build itself takes minutes on PG
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import new_database  # noqa: E402

from paritygen.demo.shop import build_shop  # noqa: E402
from paritygen.profile.run import profile_database  # noqa: E402
from paritygen.run.generate import generate_database  # noqa: E402
from paritygen.verify.compare import verify_database  # noqa: E402


def main(dialect: str, scale: float) -> None:
    """Build, profile, generate, verify; print timings, passed/total and the misses."""
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "a").mkdir()
        (Path(scratch) / "b").mkdir()
        source_db = new_database(dialect, Path(scratch) / "a")
        target_db = new_database(dialect, Path(scratch) / "b")
        source, target = next(source_db), next(target_db)
        try:
            started = time.perf_counter()
            rows = sum(build_shop(source, scale=scale).values())
            print(f"built {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            profile = profile_database(source, progress=False)
            print(f"profile {time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            summary = generate_database(profile, target, seed=2, progress=False)
            print(f"generate {summary.rows:,} rows {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            result = verify_database(profile, target, source=source, progress=False)
            measures = list(result.measures)
            passed = sum(m.passed for m in measures)
            print(
                f"verify {passed}/{len(measures)} ({100 * passed / len(measures):.1f} %)"
                f" {time.perf_counter() - started:.1f} s"
            )
            for m in measures:
                if not m.passed:
                    print(f"   miss {m.target} {m.measure} {float(m.value):.3f} bar {m.bar}")
        finally:
            for database in (source_db, target_db):
                next(database, None)


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "sqlite",
        float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
    )
