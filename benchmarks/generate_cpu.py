"""CPU of each table's generation, in process and without a database, and a digest of its rows.

    python benchmarks/generate_cpu.py PROFILE [--tables lineitem,orders] [--digest]

Why: on a shared machine a generate's wall time moves by 2x between neighbouring runs, while
the CPU its producer spends making rows (the part of a load paritygen controls) barely does.
Each table's rows are made as ``generate`` makes them (its plan, keys and seed 0), block by
block, and dropped; set-up (generators built) and generation are timed apart, in CPU seconds
of the process (polars' threads included). ``--digest`` also hashes every chunk's CSV, so two
checkouts can be shown to make the same rows (the digest's own cost is not in the figures).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path


def table_cpu(profile_path: str, tables: set[str] | None, digest: bool) -> list[dict]:
    """(table, rows, set-up CPU, generation CPU, digest) per planned table."""
    from paritygen.generate.keys import KeyFactory
    from paritygen.generate.plan import build_plan
    from paritygen.generate.rows import TableRows
    from paritygen.profile.io import read_profile

    profile = read_profile(profile_path)
    plan = build_plan(profile, scale=1.0, tables=None, chunk_rows=None, deferrable=True)
    keys = KeyFactory(profile, plan, 0)
    out = []
    for table_plan in plan.to_generate:
        if tables and table_plan.name not in tables:
            continue
        began = time.process_time()
        rows = TableRows(profile, keys.table_keys(table_plan.name), table_plan.row_count, 0,
                         plan.scale)  # fmt: skip
        built = time.process_time()
        spent, hashed = 0.0, hashlib.sha256()
        chunks = rows.chunks(plan.chunk_rows)
        while True:
            start = time.process_time()
            chunk = next(chunks, None)
            spent += time.process_time() - start
            if chunk is None:
                break
            if digest:
                hashed.update(chunk.write_csv().encode())
        out.append({"table": table_plan.name, "rows": table_plan.row_count,
                    "setup_cpu": built - began, "generate_cpu": spent,
                    "digest": hashed.hexdigest()[:16] if digest else ""})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--tables", default="", help="only these tables (comma separated)")
    parser.add_argument("--digest", action="store_true", help="hash every chunk's CSV")
    args = parser.parse_args(argv)
    tables = {t.strip() for t in args.tables.split(",") if t.strip()} or None
    load = os.getloadavg()[0]
    results = table_cpu(args.profile, tables, args.digest)
    print(f"load {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"{'table':24} {'rows':>10} {'set-up CPU':>10} {'generate CPU':>12} digest")
    for r in results:
        print(f"{r['table']:24} {r['rows']:10,} {r['setup_cpu']:9.3f}s {r['generate_cpu']:11.3f}s "
              f"{r['digest']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
