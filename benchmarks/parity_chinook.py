"""Parity on a schema nobody here wrote: Chinook, round trip per database pair.

Loads the shared Chinook scripts into fresh databases (as the tests do), profiles them, generates
staging with paritygen and verifies it with ``verify --source``, then prints the share of
parity measures within their bars and every miss. Needs both servers for the server pairs.

    python benchmarks/parity_chinook.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import new_database  # noqa: E402
from datasets import load_chinook  # noqa: E402

from paritygen.profile.run import profile_database  # noqa: E402
from paritygen.run.generate import generate_database  # noqa: E402
from paritygen.verify.compare import verify_database  # noqa: E402

PAIRS = [("postgresql", "postgresql"), ("mysql", "mysql"), ("sqlite", "sqlite"),
         ("mysql", "postgresql")]  # fmt: skip


def main() -> None:
    """Run every pair; print passed/total and the misses."""
    with tempfile.TemporaryDirectory() as scratch:
        for source_dialect, target_dialect in PAIRS:
            root = Path(scratch) / f"{source_dialect}-{target_dialect}"
            (root / "a").mkdir(parents=True)
            (root / "b").mkdir()
            source_db = new_database(source_dialect, root / "a")
            target_db = new_database(target_dialect, root / "b")
            source, target = next(source_db), next(target_db)
            try:
                source = load_chinook(source_dialect, source) or source
                started = time.perf_counter()
                profile = profile_database(source, progress=False)
                profiled = time.perf_counter() - started
                started = time.perf_counter()
                generate_database(profile, target, seed=1, progress=False)
                generated = time.perf_counter() - started
                result = verify_database(profile, target, source=source, progress=False)
                measures = list(result.measures)
                passed = sum(m.passed for m in measures)
                print(
                    f"{source_dialect}->{target_dialect}: {passed}/{len(measures)} measures"
                    f" ({100 * passed / len(measures):.1f} %), profile {profiled:.1f} s,"
                    f" generate {generated:.1f} s"
                )
                for m in measures:
                    if not m.passed:
                        print(f"   miss {m.target} {m.measure} {float(m.value):.3f} bar {m.bar}")
            finally:
                for database in (source_db, target_db):
                    next(database, None)


if __name__ == "__main__":
    main()
