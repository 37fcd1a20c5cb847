"""Parity per schema of the structure corpus (issue 8), on SQLite: one row per (schema, scale).

Each schema is built the way the tests build it (tests/integration/*), profiled, generated at
the scale given and verified at that scale; the row gives the share of verify's measures within
their bars, the relationship measures among them, and the misses.

    python benchmarks/parity_corpus.py [--scales 1,3,0.5] [--only NAME]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from corpus_schemas import SCHEMAS, build_corpus  # noqa: E402
from rental_source import build_rental_source  # noqa: E402
from test_key_capacity import _snapshot_source  # noqa: E402

from paritygen.profile.run import profile_database  # noqa: E402
from paritygen.run.generate import generate_database  # noqa: E402
from paritygen.verify.compare import verify_database  # noqa: E402
from paritygen.verify.relations import MEASURE_OF_KIND  # noqa: E402

CHINOOK = ROOT.parent / "shared" / "datasets" / "chinook" / "Chinook_Sqlite.sqlite"


def _row(name: str, source: str, scale: float, scratch: Path) -> str:
    started = time.perf_counter()
    profile = profile_database(source, progress=False)
    target = scratch / f"{name}-{scale}.sqlite"
    generate_database(profile, f"sqlite:///{target}", seed=7, scale=scale, progress=False)
    result = verify_database(profile, f"sqlite:///{target}", scale=scale, progress=False)
    counts = result.counts()
    kinds = set(MEASURE_OF_KIND.values())
    relations = [m for m in result.measures if m.measure in kinds]
    held = sum(m.passed for m in relations)
    misses = ", ".join(f"{m.target} {m.measure} {m.value:.3f}" for m in result.misses) or "-"
    seconds = time.perf_counter() - started
    return (f"| {name} | {scale:g} | {counts['passed']}/{counts['measures']}"
            f" ({counts['passed'] / max(counts['measures'], 1):.1%}) | {held}/{len(relations)}"
            f" | {seconds:.0f} s | {misses} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,3,0.5", help="comma-separated --scale values")
    parser.add_argument("--only", default="", help="only schemas whose name contains this")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    print("| schema | scale | measures within bars | relations held | time | misses |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        sources = [
            ("warehouse snapshot", lambda: _snapshot_source(scratch / "warehouse.sqlite")),
            ("film rental + shop", lambda: build_rental_source(scratch / "rental.sqlite")),
        ]
        for name, prefix in SCHEMAS.items():
            url = f"sqlite:///{scratch / prefix}.sqlite"
            sources.append((name, lambda url=url, prefix=prefix: _built(url, prefix)))
        if CHINOOK.exists():
            shutil.copyfile(CHINOOK, scratch / "chinook.sqlite")
            sources.append(("Chinook", lambda: f"sqlite:///{scratch / 'chinook.sqlite'}"))
        for name, build in sources:
            if args.only.lower() not in name.lower():
                continue
            source = build()
            for scale in scales:
                print(_row(name, source, scale, scratch), flush=True)


def _built(url: str, prefix: str) -> str:
    build_corpus(url, (prefix,))
    return url


if __name__ == "__main__":
    main()
