"""Values per second of each text column's generator, against a numeric column's, on one core.

    python benchmarks/text_throughput.py PROFILE [--rows 262144] [--tables customer,review]
                                         [--repeat 3] [--json OUT]

Issue 12 asks for text "as fast as numbers": at least 500k values/s per column on one core at
production's length distribution. Absolute rates move with the machine's load, so every rate is
also given as a ratio to a reference measured in the same seconds: the profile's numeric
columns (integers, floats, decimals, dates) generated the same way, their median rate. Time is
the process's CPU time (``time.process_time``, polars held to one thread: what a column costs
one core, not what other processes take from it), best of ``--repeat``, over whole random
blocks (``BLOCK_ROWS``) of each table scaled to ``--rows`` rows; set-up (the generator's
constructor) is excluded: it is paid once per column, whatever the rows (issue 12, item 3).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

TARGET_VALUES_PER_SECOND = 500_000
"""Issue 12, item 4: text values per second per column on one core."""
NUMERIC_TYPES = frozenset({"integer", "float", "decimal", "date", "datetime"})
TEXT_TYPES = frozenset({"string", "text"})
MIN_TABLE_ROWS = 1_000
"""Smaller tables are lookups (kept verbatim by generate): not measured."""


def column_rates(profile_path: str, rows: int, tables: set[str] | None, repeat: int) -> list[dict]:
    """(table, column, kind, generator, values/s) of every value column of *tables*."""
    from paritygen.errors import ConfigError
    from paritygen.generate.base import BLOCK_ROWS, ColumnContext, block_rng, resolve
    from paritygen.generate.categorical import determined
    from paritygen.profile.io import read_profile

    profile = read_profile(profile_path)
    out = []
    for table in profile.tables.values():
        if (tables and table.name not in tables) or table.row_count < MIN_TABLE_ROWS:
            continue
        keyed = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
        unique = {uc.columns[0] for uc in table.unique_constraints if len(uc.columns) == 1}
        rule = profile.table_rule(table.name)
        for name, column in table.columns.items():
            kind = column.logical_type
            if name in keyed or kind not in NUMERIC_TYPES | TEXT_TYPES:
                continue
            # The table scaled to *rows*, as ``generate --scale`` would make it (rows 0: the
            # table's own rows, what a small dimension pays on first use counts in full).
            made = rows or table.row_count
            scale = made / max(table.row_count, 1)
            ctx = ColumnContext(table=table, column=column, row_count=made, seed=1, scale=scale,
                                rule=rule.columns.get(name), unique=name in unique)  # fmt: skip
            try:
                generator = determined(resolve(ctx), column)
            except ConfigError:  # a lookup's short unique code cannot hold *rows* values
                continue
            spent = []
            for _ in range(repeat):
                began = time.process_time()
                for block, start in enumerate(range(0, made, BLOCK_ROWS)):
                    count = min(BLOCK_ROWS, made - start)
                    generator.generate(start, count, block_rng(1, table.name, name, block))
                spent.append(time.process_time() - began)
            best = min(spent)
            out.append({
                "table": table.name, "column": name, "kind": kind,
                "semantic": column.semantic or "", "generator": type(generator).__name__,
                "rows": made,
                "values_per_second": made / max(best, 1e-9),
                # The first pass also pays what a generator computes on first use (whole-word
                # places per length): what a table made once pays.
                "first_pass_values_per_second": made / max(spent[0], 1e-9),
            })  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--rows", type=int, default=1 << 18, help="0: each table's own rows")
    parser.add_argument("--tables", default="", help="only these tables (comma separated)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    tables = {t.strip() for t in args.tables.split(",") if t.strip()} or None
    load = os.getloadavg()
    rates = column_rates(args.profile, args.rows, tables, args.repeat)
    numeric = [r["values_per_second"] for r in rates if r["kind"] in NUMERIC_TYPES]
    reference = statistics.median(numeric) if numeric else float("nan")
    text = sorted((r for r in rates if r["kind"] in TEXT_TYPES),
                  key=lambda r: r["values_per_second"])  # fmt: skip
    print(f"rows {args.rows or 'as profiled'}, load {load[0]:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"reference: median of {len(numeric)} numeric columns "
          f"{reference / 1e3:,.0f}k values/s")  # fmt: skip
    print(f"{'table.column':32} {'semantic':12} {'generator':24} {'k values/s':>10} "
          f"{'/ numeric':>9} {'>= 500k':>7} {'first pass':>10}")  # fmt: skip
    for r in text:
        rate = r["values_per_second"]
        print(f"{r['table'] + '.' + r['column']:32} {r['semantic'][:12]:12} "
              f"{r['generator'][:24]:24} {rate / 1e3:10,.0f} {rate / reference:9.2f} "
              f"{'yes' if rate >= TARGET_VALUES_PER_SECOND else 'no':>7} "
              f"{r['first_pass_values_per_second'] / 1e3:10,.0f}")  # fmt: skip
    slow = [r for r in text if r["values_per_second"] < TARGET_VALUES_PER_SECOND]
    print(f"text columns at >= 500k values/s: {len(text) - len(slow)} of {len(text)}; "
          f"median text / numeric "
          f"{statistics.median(r['values_per_second'] for r in text) / reference:.2f}x"
          if text else "no text columns")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"load": load, "reference": reference, "rates": rates}))
    return 0


if __name__ == "__main__":
    os.environ["POLARS_MAX_THREADS"] = "1"  # one core: set before polars is imported
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
