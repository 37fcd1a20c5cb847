"""mask throughput against the database's own dump + restore of the same tables, unmasked.

    python benchmarks/mask_throughput.py [--customers N] [--repeat R] [--only pg,mysql]
                                         [--out DIR]

Per server, one source database of a shop (customers full of PII: a unique e-mail, names, phone,
IBAN, birth date, notes quoting contact details; orders referencing customers by id and by
e-mail; order lines, the fact table) with N customers, 4 N orders and 10 N order lines, filled
in the server. Then, interleaved ``--repeat`` times, side by side in one run:

- reference: ``pg_dump SRC | psql REF`` / ``mariadb-dump --single-transaction SRC | mariadb REF``
  into an empty database (schema, data, keys, indexes, FKs: what a restore does), unmasked;
- ours: ``paritygen mask --source SRC --target OURS`` in a fresh process (start-up, the on-the-fly
  sampled profile of the source, masking, the bulk load, keys and FKs after).

paritygen's bytecode is compiled once before the runs (untimed), as an installed package has it
(``pip install`` compiles it): with ``PYTHONDONTWRITEBYTECODE`` set, as on the shared benchmark
machine, every run would otherwise compile some 100 modules from source again.

The ratio is reference seconds / our seconds (our throughput as a share of the tools'): target
>= 0.5x, goal 0.8x (DESIGN.md). Best of the repeats on each side; the machine's load average
before and after is recorded, since the machine is shared. Rows are checked equal after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from dbtools import DB_PREFIX, Server, run_tool  # noqa: E402

KEY = "benchmark-only-key-0123456789abcdef"
TABLES = ("customers", "orders", "order_lines")

PG_FILL = """
CREATE TABLE customers (
  id bigint PRIMARY KEY, email varchar(80) NOT NULL UNIQUE, first_name varchar(40) NOT NULL,
  last_name varchar(40) NOT NULL, phone varchar(24), iban varchar(34), birth_date date,
  notes text, balance numeric(12,2) NOT NULL, created_at timestamp NOT NULL);
CREATE TABLE orders (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
  customer_email varchar(80) REFERENCES customers(email), status varchar(12) NOT NULL,
  amount numeric(10,2) NOT NULL, ordered_at timestamp NOT NULL);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE TABLE order_lines (
  order_id bigint NOT NULL REFERENCES orders(id), line_no int NOT NULL, sku varchar(16) NOT NULL,
  quantity int NOT NULL, price double precision NOT NULL, PRIMARY KEY (order_id, line_no));
INSERT INTO customers SELECT i, 'user.' || i || '@acme-' || (i % 97) || '.com',
  (ARRAY['Zebulon','Quintessa','Ardith','Marvella','Osgood'])[1 + i % 5],
  (ARRAY['Quackenbush','Vandersloot','Thistlewood','Wetherell'])[1 + i % 4],
  '+49 ' || (30 + i % 60) || ' ' || (1000000 + i * 7 % 8999999),
  'DE' || lpad((i % 97)::text, 2, '0') || lpad((i * 7919)::text, 18, '0'),
  DATE '1950-01-01' + (i * 37 % 18000),
  CASE WHEN i % 4 = 0 THEN 'Called back on +49 30 ' || (1000000 + i) || ', mail user.' || i
       || '@acme.com about the refund' END,
  (i * 13 % 500000) / 100.0, TIMESTAMP '2023-01-01' + (i * 17 % 30000000) * INTERVAL '1 second'
FROM generate_series(1, {customers}) i;
INSERT INTO orders SELECT o, 1 + o % {customers},
  CASE WHEN o % 6 <> 0 THEN 'user.' || (1 + o % {customers}) || '@acme-'
       || ((1 + o % {customers}) % 97) || '.com' END,
  (ARRAY['paid','shipped','refunded'])[1 + o % 3], (o * 31 % 90000) / 100.0,
  TIMESTAMP '2023-06-01' + (o * 13 % 20000000) * INTERVAL '1 second'
FROM generate_series(1, {orders}) o;
INSERT INTO order_lines SELECT 1 + (n - 1) / 10 * 4 / 4 % {orders}, 1 + (n - 1) % 10,
  'SKU-' || lpad((n * 7 % 4000)::text, 5, '0'), 1 + n % 6, (n % 100) + 0.99
FROM generate_series(1, {lines}) n;
ANALYZE;
"""

MYSQL_FILL = """
CREATE TABLE customers (
  id bigint PRIMARY KEY, email varchar(80) NOT NULL UNIQUE, first_name varchar(40) NOT NULL,
  last_name varchar(40) NOT NULL, phone varchar(24), iban varchar(34), birth_date date,
  notes text, balance decimal(12,2) NOT NULL, created_at datetime NOT NULL) ENGINE=InnoDB;
CREATE TABLE orders (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, customer_email varchar(80),
  status varchar(12) NOT NULL, amount decimal(10,2) NOT NULL, ordered_at datetime NOT NULL,
  KEY orders_customer (customer_id), FOREIGN KEY (customer_id) REFERENCES customers(id),
  FOREIGN KEY (customer_email) REFERENCES customers(email)) ENGINE=InnoDB;
CREATE TABLE order_lines (
  order_id bigint NOT NULL, line_no int NOT NULL, sku varchar(16) NOT NULL, quantity int NOT NULL,
  price double NOT NULL, PRIMARY KEY (order_id, line_no),
  FOREIGN KEY (order_id) REFERENCES orders(id)) ENGINE=InnoDB;
SET autocommit = 0;
INSERT INTO customers SELECT seq, CONCAT('user.', seq, '@acme-', seq % 97, '.com'),
  ELT(1 + seq % 5, 'Zebulon','Quintessa','Ardith','Marvella','Osgood'),
  ELT(1 + seq % 4, 'Quackenbush','Vandersloot','Thistlewood','Wetherell'),
  CONCAT('+49 ', 30 + seq % 60, ' ', 1000000 + seq * 7 % 8999999),
  CONCAT('DE', LPAD(seq % 97, 2, '0'), LPAD(seq * 7919, 18, '0')),
  DATE '1950-01-01' + INTERVAL (seq * 37 % 18000) DAY,
  IF(seq % 4 = 0, CONCAT('Called back on +49 30 ', 1000000 + seq, ', mail user.', seq,
     '@acme.com about the refund'), NULL),
  (seq * 13 % 500000) / 100.0,
  TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (seq * 17 % 30000000) SECOND
FROM seq_1_to_{customers};
COMMIT;
INSERT INTO orders SELECT seq, 1 + seq % {customers},
  IF(seq % 6 <> 0, CONCAT('user.', 1 + seq % {customers}, '@acme-',
     (1 + seq % {customers}) % 97, '.com'), NULL),
  ELT(1 + seq % 3, 'paid','shipped','refunded'), (seq * 31 % 90000) / 100.0,
  TIMESTAMP '2023-06-01 00:00:00' + INTERVAL (seq * 13 % 20000000) SECOND
FROM seq_1_to_{orders};
COMMIT;
INSERT INTO order_lines SELECT 1 + (seq - 1) DIV 10 % {orders}, 1 + (seq - 1) % 10,
  CONCAT('SKU-', LPAD(seq * 7 % 4000, 5, '0')), 1 + seq % 6, (seq % 100) + 0.99
FROM seq_1_to_{lines};
COMMIT;
ANALYZE TABLE customers, orders, order_lines;
"""


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def fill(server: Server, customers: int) -> dict[str, int]:
    sizes = {"customers": customers, "orders": 4 * customers, "lines": 10 * customers}
    script = (PG_FILL if server.dialect == "postgresql" else MYSQL_FILL).format(**sizes)
    argv = server.client("SELECT 1")[:-2]  # the client and its connection options
    subprocess.run(argv, input=script.encode(), check=True, capture_output=True)
    return {t: int(server.sql(f"SELECT count(*) FROM {t}")) for t in TABLES}


def compile_bytecode() -> None:
    """paritygen's modules compiled to ``__pycache__`` (ignored by git), untimed."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "paritygen")],
        check=True, capture_output=True,
    )  # fmt: skip


def dump_restore(source: Server, target: Server) -> float:
    """Seconds of the tools' own copy: dump piped into restore, into an empty database."""
    target.create()
    src = source.client("SELECT 1")[:-2]
    dst = target.client("SELECT 1")[:-2]
    if source.dialect == "postgresql":
        dump = ["pg_dump", "--no-owner", "--no-privileges", *src[src.index("-h") :]]
        dump[dump.index("-d")] = "-d"
    else:
        dump = ["mariadb-dump", "--single-transaction", *src[1:]]
    command = f"set -o pipefail; {shlex.join(dump)} | {shlex.join(dst)}"
    return run_tool(["bash", "-c", command])


def mask_run(source: Server, target: Server, out: Path) -> dict[str, Any]:
    """Seconds of ``paritygen mask`` in a fresh process, and its JSON summary."""
    target.create()
    env = dict(os.environ, PARITYGEN_BENCH_MASK_KEY=KEY, PYTHONPATH=str(ROOT))
    argv = [
        sys.executable, "-m", "paritygen.cli", "mask", "--source", source.url,
        "--target", target.url, "--key-env", "PARITYGEN_BENCH_MASK_KEY", "--no-progress", "--json",
    ]  # fmt: skip
    began = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors="replace").strip()[-500:])
    return {"seconds": seconds, "summary": json.loads(proc.stdout)}


def bench_server(dialect: str, admin: str, customers: int, repeat: int) -> dict[str, Any]:
    source = Server(dialect, admin, f"{DB_PREFIX}mask_src")
    reference = Server(dialect, admin, f"{DB_PREFIX}mask_ref")
    ours = Server(dialect, admin, f"{DB_PREFIX}mask_ours")
    problem = source.problem()
    if problem:
        return {"skipped": problem}
    source.create()
    try:
        compile_bytecode()
        counts = fill(source, customers)
        runs: dict[str, list[float]] = {"reference": [], "ours": []}
        loads = [load_average()]
        summary: dict[str, Any] = {}
        for _ in range(repeat):
            runs["reference"].append(dump_restore(source, reference))
            result = mask_run(source, ours, Path("."))
            runs["ours"].append(result["seconds"])
            summary = result["summary"]
            for table, rows in counts.items():
                got = int(ours.sql(f"SELECT count(*) FROM {table}"))
                if got != rows:
                    raise RuntimeError(f"{table}: {got} rows in the target, {rows} in the source")
            loads.append(load_average())
        best_ref, best_ours = min(runs["reference"]), min(runs["ours"])
        rows = sum(counts.values())
        return {
            "rows": counts,
            "reference_seconds": runs["reference"],
            "ours_seconds": runs["ours"],
            "ratio": round(best_ref / best_ours, 3),
            "reference_rows_per_s": round(rows / best_ref),
            "ours_rows_per_s": round(rows / best_ours),
            "ours_in_process_seconds": summary.get("seconds"),
            "masked_values": summary.get("masked_values"),
            "collisions_resolved": summary.get("collisions_resolved"),
            "load_average": loads,
        }
    finally:
        for server in (source, reference, ours):
            server.drop()


def main_results(customers: int, repeat: int, only: str = "pg,mysql") -> dict[str, Any]:
    """Both servers' figures (for ``benchmarks/run.py --only mask``)."""
    from dbtools import MYSQL_ADMIN, PG_ADMIN

    chosen = {"pg": ("postgresql", PG_ADMIN), "mysql": ("mysql", MYSQL_ADMIN)}
    results: dict[str, Any] = {"customers": customers, "repeat": repeat}
    for name in only.split(","):
        dialect, admin = chosen[name]
        results[name] = bench_server(dialect, admin, customers, repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", default="pg,mysql")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    results = main_results(args.customers, args.repeat, args.only)
    for name in args.only.split(","):
        res = results[name]
        if "skipped" in res:
            print(f"[skip] {name}: {res['skipped']}")
            continue
        print(
            f"{name}: {sum(res['rows'].values()):,} rows; dump+restore best"
            f" {min(res['reference_seconds']):.2f} s ({res['reference_rows_per_s']:,} rows/s);"
            f" mask best {min(res['ours_seconds']):.2f} s ({res['ours_rows_per_s']:,} rows/s);"
            f" ratio {res['ratio']:.2f}x (target >= 0.5x, goal 0.8x); load {res['load_average']}",
            flush=True,
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "mask.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
