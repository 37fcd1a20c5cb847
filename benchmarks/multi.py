"""Many tables at once: profile and generate on the warehouse schema, against the servers' tools.

One run per server and layout (``warehouse``: 24 tables around a fact of ``--fact-rows``;
``many``: 240 tables of 1,000 rows), in this order, all in the same minutes so the ratios share
the machine's load:

1. the "production" database is built from ready files (:mod:`warehouse`, untimed);
2. ``profile``: ``profile_database`` in a fresh process against one full read of every table by
   the client (``COPY (SELECT * FROM t) TO STDOUT`` / ``SELECT * FROM t`` to /dev/null, best of
   one read before and one after);
3. ``generate`` from that profile into an empty database, in a fresh process, once per ``--jobs``
   value (``1`` and the default), with the time split into start (imports), set-up (generators
   built), per-table load, keys and ANALYZE;
4. the reference: the rows paritygen wrote are exported (untimed) and restored the way the
   database's own tools restore a dump: PostgreSQL ``pg_dump --section=pre-data``, ``psql \\copy``
   per table, ``--section=post-data``; MariaDB the ``SHOW CREATE TABLE`` (primary key only),
   ``LOAD DATA LOCAL INFILE`` per table with FK and unique checks off, then the other keys and
   FKs. Each phase is timed; ANALYZE after the restore is timed apart (a dump restore does not
   run it, paritygen does), and the verdict's reference leaves it out, the stricter choice.
"""

from __future__ import annotations

import os
import time
from typing import Any

import sqlalchemy as sa
import tpch
import warehouse
from dbtools import Server, capture, run_tool, statement_seconds

QUICK_LAYOUTS = {
    "warehouse": warehouse.Layout(fact_rows=20_000),
    "many": warehouse.Layout(fact_rows=0, copies=2, rows_per_table=200),
    "tpch": tpch.Layout(scale=0.01),
}
FULL_LAYOUTS = {
    "warehouse": warehouse.Layout(fact_rows=1_000_000),
    "many": warehouse.Layout(fact_rows=0, copies=10, rows_per_table=1_000),
    "tpch": tpch.Layout(scale=0.1),
}
Layout = warehouse.Layout | tpch.Layout
TARGET_RATIO = 1.0
"""DESIGN.md, "Numbers to beat": generate <= 1.0x the restore, profile <= 1.0x one full read."""


def build_source(b: Any, server: Server, layout: Layout, name: str) -> dict[str, int]:
    """Create and fill the "production" database from ready files; return the row counts."""
    maker = tpch if isinstance(layout, tpch.Layout) else warehouse
    server.create()
    engine = sa.create_engine(server.url, connect_args=server.connect_args())
    try:
        maker.metadata(layout).create_all(engine)
    finally:
        engine.dispose()
    files = maker.write_files(layout, b.work / f"source_{name}_{server.dialect}")
    for table, path in files.items():
        run_tool(server.load_argv(table, path, checks=False, text_format=True))
        path.unlink()
    server.analyze(layout.tables())
    return {t: n for t, n in zip(layout.tables(), server.counts(layout.tables()), strict=True)}


def bench_layout(b: Any, server: Server, name: str, layout: Layout) -> dict[str, Any]:
    """Steps 1-4 of the module docstring for one layout on one server."""
    key = f"{name}/{'pg' if server.dialect == 'postgresql' else 'mysql'}"
    source = Server(server.dialect, server.admin_url, server.database + "_src")
    target = Server(server.dialect, server.admin_url, server.database + "_dst")
    tables = layout.tables()
    result: dict[str, Any] = {"tables": len(tables)}
    b.say(f"\n== {name} on {server.label}: {len(tables)} tables, {layout.total_rows():,} rows")
    try:
        counts = build_source(b, server=source, layout=layout, name=name)
        result["rows"] = sum(counts.values())
        result["profile"] = profile_step(b, source, tables, key)
        result["generate"] = {}
        for jobs in b.jobs_values():
            target.create()
            checkpoint(target)
            argv = ["generate", result["profile"]["path"], target.url]
            run = b.child(argv + (["--jobs", str(jobs)] if jobs else []), timeout=3600)
            run["counts_ok"] = target.counts(tables) == [counts[t] for t in tables]
            result["generate"][str(jobs or "default")] = run
        result["reference"] = restore_reference(b, target, tables)
        report(b, key, result)
    finally:
        if not b.args.keep:
            source.drop()
            target.drop()
    return result


def checkpoint(server: Server) -> None:
    if server.dialect == "postgresql":
        server.sql("CHECKPOINT")


def profile_step(b: Any, source: Server, tables: list[str], key: str) -> dict[str, Any]:
    def full_read() -> float:
        checkpoint(source)
        reads = [source.full_read_argv(t)[-1] for t in tables]
        return run_tool(source.session(reads), stdout_to=os.devnull)

    path = b.work / f"profile_{key.replace('/', '_')}.yaml"
    reads = [full_read()]
    run = b.child(["profile", source.url, str(path)], timeout=3600)
    reads.append(full_read())
    run.update(path=str(path), full_read_seconds=reads, ratio=run["seconds"] / min(reads))
    run["ratio_wall"] = run["wall_seconds"] / min(reads)
    return run


def restore_reference(b: Any, target: Server, tables: list[str]) -> dict[str, Any]:
    """Export what paritygen wrote, then restore it as the database's own tools do, by phase."""
    pre, post = target.capture_ddl(tables)
    folder = b.work / f"export_{target.dialect}"
    folder.mkdir(exist_ok=True)
    files = {
        t: folder / f"{t}.{'csv' if target.dialect == 'postgresql' else 'tsv'}" for t in tables
    }
    for table, path in files.items():
        target.export(table, path)
    expected = target.counts(tables)
    target.drop_tables(tables)
    checkpoint(target)
    t0 = time.perf_counter()
    target.run_script(pre)
    setup = time.perf_counter() - t0
    # One client session for every table, as a restore script runs; the client's own timing
    # gives each table's share.
    statements = target.restore_statements(files)
    t0 = time.perf_counter()
    out = capture(target.session(statements, timed=True), timeout=3600)
    load_wall = time.perf_counter() - t0
    each = statement_seconds(out)[-len(tables) :]
    loads = dict(zip(tables, each, strict=True))
    t0 = time.perf_counter()
    target.run_script(post)
    keys = time.perf_counter() - t0
    t0 = time.perf_counter()
    target.analyze(tables)
    analyze = time.perf_counter() - t0
    for path in files.values():
        path.unlink(missing_ok=True)
    if target.counts(tables) != expected:
        raise RuntimeError("the reference restore left different row counts")
    return {
        "setup_seconds": setup,
        "load_seconds": loads,
        "keys_seconds": keys,
        "analyze_seconds": analyze,
        "load_wall_seconds": load_wall,
        "seconds": setup + load_wall + keys,
        "seconds_with_analyze": setup + load_wall + keys + analyze,
    }


def phases(run: dict[str, Any]) -> dict[str, float]:
    """Ours by phase, wall seconds (phases that ran concurrently count once: child.py merges
    the intervals of each phase). Keys and ANALYZE are what the run spent after its last load
    (keys: all of it but ANALYZE): with ``--jobs`` they start beside the loads, where they add
    to the wall time only through the load's own figure."""
    split = run.get("split_seconds") or {}
    finish = split.get("after the load", split.get("finish_tables", 0.0))
    analyze = split.get("after the load: ANALYZE", split.get("finish: ANALYZE", 0.0))
    return {
        "start": run.get("import_seconds", 0.0),
        "set-up": split.get("set-up: generators built", 0.0),
        "load": split.get("load: writer.load (generation + encoding + server)", 0.0),
        "keys": max(0.0, finish - analyze),
        "analyze": analyze,
    }


def report(b: Any, key: str, result: dict[str, Any]) -> None:
    prof = result["profile"]
    b.figure(key, f"profile_database, {result['tables']} tables", f"{prof['seconds']:.2f} s")
    b.figure(
        key, "  one full read of every table (client)", f"{min(prof['full_read_seconds']):.2f} s"
    )
    b.figure(
        key, "  ratio profile / full read", f"{prof['ratio']:.2f}x",
        f"wall {prof['ratio_wall']:.2f}x",
        b.verdict(prof["ratio"] <= TARGET_RATIO, "<= 1.0x"),
    )  # fmt: skip
    ref = result["reference"]
    loads = ref["load_seconds"]
    b.figure(
        key, "reference restore: set-up / load / keys / ANALYZE",
        f"{ref['setup_seconds']:.2f} / {ref['load_wall_seconds']:.2f} / "
        f"{ref['keys_seconds']:.2f} / "
        f"{ref['analyze_seconds']:.2f} s", f"total {ref['seconds']:.2f} s (without ANALYZE)",
    )  # fmt: skip
    for jobs, run in result["generate"].items():
        ok = "" if run["counts_ok"] else " COUNT MISMATCH"
        p = phases(run)
        ratio = run["wall_seconds"] / ref["seconds"]
        run["ratio"] = ratio
        run["ratio_with_analyze"] = run["wall_seconds"] / ref["seconds_with_analyze"]
        b.figure(key, f"paritygen generate --jobs {jobs}{ok}", f"{run['wall_seconds']:.2f} s",
                 f"peak RSS {run['peak_rss_mb']:.0f} MB")  # fmt: skip
        b.figure(
            key, "  start / set-up / load / keys / ANALYZE",
            " / ".join(f"{p[k]:.2f}" for k in ("start", "set-up", "load", "keys", "analyze"))
            + " s",
        )  # fmt: skip
        b.figure(
            key, f"  ratio generate (--jobs {jobs}) / restore", f"{ratio:.2f}x",
            f"vs restore+ANALYZE {run['ratio_with_analyze']:.2f}x",
            b.verdict(ratio <= TARGET_RATIO, "<= 1.0x"),
        )  # fmt: skip
        b.figure(key, "  peak RSS", f"{run['peak_rss_mb']:.0f} MB", "",
                 b.verdict(run["peak_rss_mb"] <= 300, "<= 300 MB"))  # fmt: skip
    last = list(result["generate"].values())[-1]
    per_table = last.get("split_tables") or {}
    heavy = sorted(loads, key=loads.get, reverse=True)[:4]
    for table in heavy:
        ours = per_table.get(table, {}).get("load_seconds")
        if ours is not None:
            b.figure(key, f"  load {table}: ours / reference", f"{ours:.2f} / {loads[table]:.2f} s")


def run_multi(b: Any, servers: list[Server], names: list[str]) -> None:
    layouts = QUICK_LAYOUTS if b.args.quick else FULL_LAYOUTS
    for name in names:
        layout = layouts[name]
        if name == "warehouse" and b.args.fact_rows:
            layout = warehouse.Layout(fact_rows=b.args.fact_rows)
        if name == "tpch" and b.args.tpch_scale:
            layout = tpch.Layout(scale=b.args.tpch_scale)
        section: dict[str, Any] = {}
        b.results["sections"][name] = section
        if name == "tpch" and tpch.generator() is None:
            b.skip(name, f"{tpch.GENERATOR} not installed (pip install {tpch.GENERATOR})")
            continue
        for server in servers:
            label = "pg" if server.dialect == "postgresql" else "mysql"
            problem = server.problem()
            if problem:
                b.skip(f"{name}/{label}", problem)
                continue
            try:
                section[label] = bench_layout(b, server, name, layout)
            except Exception as exc:  # noqa: BLE001 - record, go on with the next server
                b.error(f"{name}/{label}", exc)
