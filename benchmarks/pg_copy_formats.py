"""Binary against CSV COPY into PostgreSQL: client encoding and server CPU, same rows, interleaved.

    python benchmarks/pg_copy_formats.py POSTGRES_URL [--tables sales,customer] [--repeat 4]

Reads the named tables of an already filled database (a ``generate`` target) as the chunks a
writer gets (decimals as floats), then, for each table and format, in alternating order: encodes
the rows (``paritygen.writers.postgres.encode_csv`` / ``paritygen.writers.pg_binary``), and COPYs
them into an empty copy of the table (``CREATE TABLE .. (LIKE ..)``, no index), one transaction.
Measured: the client's CPU seconds for the encoding (``time.process_time``) and the server
backend's CPU seconds for the COPY (``/proc/PID/stat`` of ``pg_backend_pid()``: the server must
run on this machine), so the figures hold on a loaded machine where wall seconds do not. The
rows loaded are compared (``EXCEPT ALL`` both ways) so a faster path that changed a value fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import polars as pl
import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paritygen.writers import pg_binary  # noqa: E402
from paritygen.writers.postgres import CATALOG_TYPES, encode_csv  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a server process (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="postgresql+psycopg://... of a filled database")
    parser.add_argument("--tables", default="sales,customer,review")
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    engine = sa.create_engine(args.url)
    dsn = sa.make_url(args.url).set(drivername="postgresql").render_as_string(False)
    conn = psycopg.connect(dsn, autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    load = [os.getloadavg()[0]]
    print(f"load {load[0]:.1f}; best / median of {args.repeat}, CPU seconds")
    for name in [t.strip() for t in args.tables.split(",") if t.strip()]:
        frame = pl.read_database(f"SELECT * FROM {name}", engine, infer_schema_length=None)
        frame = frame.with_columns(
            pl.col(c).cast(pl.Float64) for c, d in frame.schema.items() if isinstance(d, pl.Decimal)
        )
        table = sa.Table(name, sa.MetaData(), *(sa.Column(c) for c in frame.columns))
        types = {
            col: pg_binary.target_type(typname, typtype, typmod)
            for col, typname, typtype, typmod in conn.execute(CATALOG_TYPES, (name,))
        }
        copy_table = f"copy_formats_{name}"
        conn.execute(f"DROP TABLE IF EXISTS {copy_table}")
        conn.execute(f"CREATE TABLE {copy_table} (LIKE {name})")
        spent: dict[str, list[tuple[float, float]]] = {"csv": [], "binary": []}
        for rep in range(args.repeat):
            for fmt in ("csv", "binary") if rep % 2 == 0 else ("binary", "csv"):
                conn.execute(f"TRUNCATE {copy_table}")
                began = time.process_time()
                if fmt == "csv":
                    columns, data = list(frame.columns), encode_csv(table, frame)
                else:
                    encoded = pg_binary.encode_binary(types, frame)
                    if encoded is None:
                        print(f"{name}: no binary form, skipped")
                        break
                    columns, data = encoded
                client = time.process_time() - began
                server = backend_cpu(pid)
                names = ", ".join(f'"{c}"' for c in columns)
                with (
                    conn.transaction(),
                    conn.cursor().copy(
                        f"COPY {copy_table} ({names}) FROM STDIN (FORMAT {fmt})"
                    ) as copy,
                ):
                    copy.write(data)
                spent[fmt].append((client, backend_cpu(pid) - server))
            if fmt == "binary" and rep == 0:  # the rows binary COPY loaded, against the table's
                differ = conn.execute(
                    f"SELECT (SELECT count(*) FROM (TABLE {name} EXCEPT ALL TABLE {copy_table}) a)"
                    f" + (SELECT count(*) FROM (TABLE {copy_table} EXCEPT ALL TABLE {name}) b)"
                ).fetchone()[0]
                if differ:
                    raise SystemExit(f"{name}: binary COPY loaded {differ} different rows")
        conn.execute(f"DROP TABLE {copy_table}")
        if not spent["binary"]:
            continue
        line = [f"{name:12} {frame.height:>8,} rows"]
        for fmt in ("csv", "binary"):
            clients, servers = zip(*spent[fmt], strict=True)
            line.append(
                f"{fmt}: encode {min(clients):.3f}/{statistics.median(clients):.3f}"
                f" server {min(servers):.2f}/{statistics.median(servers):.2f}"
            )
        csv_total = statistics.median(c + s for c, s in spent["csv"])
        bin_total = statistics.median(c + s for c, s in spent["binary"])
        line.append(f"binary/csv (encode + server, median) {bin_total / csv_total:.2f}x")
        print("  ".join(line))
    load.append(os.getloadavg()[0])
    print(f"load {load[0]:.1f} -> {load[1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
