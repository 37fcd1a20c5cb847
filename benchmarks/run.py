"""paritygen benchmarks: our speed as ratios to what the databases' own tools do, in one run.

    python benchmarks/run.py [--quick] [--rows 1000000,10000000]
                             [--only gen,pg,mysql,profile,memory,sdv] [--out DIR]

Sections (see benchmarks/README.md for what each measures and why):
  gen      generation alone: our generators vs a Faker loop, a mimesis loop, hand-written numpy
  pg       generate into PostgreSQL vs psql \\copy of the same rows into the same empty table
  mysql    generate into MariaDB vs LOAD DATA LOCAL INFILE of the same rows
  profile  profile_database of the largest table vs one full read of it (needs pg and/or mysql)
  memory   peak RSS of generate at each size (taken from the pg / mysql runs)
  warehouse  24 tables (a fact of --fact-rows, text-heavy dimensions, lookups): profile vs one
           full read, generate (--jobs 1 and the default) vs the dump restore, by phase
  many     the same on 240 tables of 1,000 rows (per-table fixed costs)
  tpch     the same on TPC-H at --tpch-scale (default 0.1: 8 tables, 866k rows), a schema and
           rows nobody here wrote (skipped unless tpchgen-cli is installed)
  sdv      SDV GaussianCopula and HMA on the same data, scored by our verify (not in --quick)
  mask     paritygen mask vs dump + restore of the same 1.5 M rows, unmasked
           (benchmarks/mask_throughput.py; not in --quick: it needs a minute or more)

Writes ``results.json`` and ``results.md`` to --out and prints the table. Exit status 0 when every
step that could run ran; a missing server or an unimportable paritygen stage is a printed skip,
not a failure; a step that fails (an exception in paritygen) makes the exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
USER_ALLOCATOR_CONF = os.environ.get(ALLOCATOR_ENV)
"""The caller's own polars allocator setting, read before this harness imports polars: polars'
import writes its default decays into ``os.environ``, every child inherited them, and
paritygen's ``limit_polars_retention`` then left them as if the user had asked (the warehouse's
generate peaked 50-60 MB above what ``paritygen generate`` from a shell does)."""

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import baselines  # noqa: E402
import multi  # noqa: E402
from dbtools import DB_PREFIX, Server, ToolFailed, run_tool, servers  # noqa: E402
from orders_profile import ORDERS_PER_CUSTOMER, write_benchmark_profile  # noqa: E402

SECTIONS = (
    "gen", "pg", "mysql", "profile", "memory", "warehouse", "many", "tpch", "sdv", "mask"
)  # fmt: skip
TABLES = ["customers", "orders"]
SDV_PYTHON_DEFAULT = "/work/venv-sdv/bin/python"
QUICK = {"rows": [20_000], "gen_rows": 100_000, "faker_rows": 300, "mimesis_rows": 3_000}
FULL = {
    "rows": [1_000_000, 10_000_000],
    "gen_rows": 2_000_000,
    "faker_rows": 20_000,
    "mimesis_rows": 200_000,
}


class Bench:
    """One benchmark run: its settings, its results and its table of figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out: Path = args.out
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="paritygen-bench-", dir=args.tmp))
        self.work.chmod(0o711)  # MariaDB's server user writes the INTO OUTFILE exports below it
        self.results: dict[str, Any] = {"sections": {}, "skipped": {}, "errors": []}
        self.rows: list[tuple[str, str, str, str, str]] = []

    # -- bookkeeping --------------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(text, flush=True)

    def skip(self, section: str, reason: str) -> None:
        self.results["skipped"][section] = reason
        self.say(f"[skip] {section}: {reason}")

    def error(self, where: str, exc: BaseException) -> None:
        text = f"{where}: {exc.__class__.__name__}: {str(exc).strip().splitlines()[-1:] or ''}"
        self.results["errors"].append(text)
        self.say(f"[error] {text}")

    def figure(self, section: str, what: str, value: str, ref: str = "", verdict: str = "") -> None:
        self.rows.append((section, what, value, ref, verdict))
        self.say(f"  {section:8} {what:52} {value:>22} {ref:>22} {verdict}")

    # -- child processes ----------------------------------------------------------------------
    def child(self, argv: list[str], timeout: float) -> dict[str, Any]:
        """Run a step in a fresh interpreter; return its JSON, wall seconds and peak RSS (MB)."""
        return run_measured([sys.executable, str(BENCH / "child.py"), *argv], timeout, self.work)

    def verdict(self, ok: bool, target: str) -> str:
        return verdict(ok, target)

    def jobs_values(self) -> list[int | None]:
        """``--jobs`` values each generate runs with (None: paritygen's default); only the
        default when this checkout's ``generate_database`` takes no ``jobs``."""
        import inspect

        from paritygen.run.generate import generate_database

        if "jobs" not in inspect.signature(generate_database).parameters:
            return [None]
        return self.args.jobs

    def profile_file(self, rows: int) -> Path:
        path = self.work / f"profile_{rows}.yaml"
        if not path.exists():
            write_benchmark_profile(rows, path)
        return path


def run_measured(argv: list[str], timeout: float, work: Path) -> dict[str, Any]:
    """Run *argv*; its wall time, its own peak RSS from wait4, and its last stdout line as JSON."""
    out = tempfile.NamedTemporaryFile(dir=work, delete=False)  # noqa: SIM115
    err = tempfile.NamedTemporaryFile(dir=work, delete=False)  # noqa: SIM115
    t0 = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    if USER_ALLOCATOR_CONF is not None:
        env[ALLOCATOR_ENV] = USER_ALLOCATOR_CONF
    proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.close()
    err.close()
    stdout = Path(out.name).read_text(errors="replace").strip().splitlines()
    stderr = Path(err.name).read_text(errors="replace").strip().splitlines()
    os.unlink(out.name)
    os.unlink(err.name)
    if proc.returncode != 0:
        tail = (stderr or stdout or [f"exit status {proc.returncode}"])[-1]
        raise RuntimeError(f"{Path(argv[1]).name} {argv[2]} failed: {tail[:300]}")
    data = json.loads(stdout[-1]) if stdout else {}
    data["wall_seconds"] = wall
    # The child's own high-water mark when it reports one: wait4's ru_maxrss includes the
    # parent's peak at the time of the exec (Linux), which is this harness's, not the child's.
    data["ru_maxrss_mb"] = usage.ru_maxrss / 1024
    data["peak_rss_mb"] = data.get("peak_rss_self_mb") or usage.ru_maxrss / 1024
    return data


# -- environment --------------------------------------------------------------------
def machine() -> dict[str, Any]:
    """Cores, memory and load: the figures mean little without them."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_start": os.getloadavg(),
    }
    try:
        model = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln]
        info["cpu"] = model[0].split(":", 1)[1].strip() if model else platform.processor()
        info["free_g"] = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gib"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in (
        "paritygen",
        "numpy",
        "polars",
        "psycopg",
        "pymysql",
        "sqlalchemy",
        "faker",
        "mimesis",
    ):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    for tool in ("psql", "mariadb"):
        try:
            found[tool] = subprocess.run(
                [tool, "--version"], capture_output=True, text=True
            ).stdout.strip()
        except OSError:
            found[tool] = "not found"
    return found


def missing_stage(module: str, name: str) -> str | None:
    """None when ``module.name`` imports, else why not (the stage is being written)."""
    try:
        getattr(importlib.import_module(module), name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "skip with a reason"
        return f"{module}.{name} not importable ({exc.__class__.__name__}: {exc})"
    return None


# -- 1. generation alone ------------------------------------------------------------
def bench_generation(b: Bench) -> None:
    sizes = b.args.sizes
    section: dict[str, Any] = {}
    b.say(f"\n== generation alone (no database), orders + customers (1 per {ORDERS_PER_CUSTOMER})")
    faker = baselines.faker_loop(sizes["faker_rows"])
    mimesis = baselines.mimesis_loop(sizes["mimesis_rows"])
    vector = baselines.vectorised(sizes["gen_rows"])
    section.update(faker_loop=faker, mimesis_loop=mimesis, handwritten_numpy=vector)
    b.figure("gen", f"Faker per-row loop ({faker['rows']:,} rows)", rate(faker["rows_per_s"]))
    b.figure("gen", f"mimesis per-row loop ({mimesis['rows']:,} rows)", rate(mimesis["rows_per_s"]))
    b.figure("gen", f"hand-written numpy+polars ({vector['rows']:,})", rate(vector["rows_per_s"]))
    b.figure("gen", "  same + CSV encoding", rate(vector["rows_per_s_with_csv"]))
    reason = missing_stage("paritygen.run.generate", "generate_database")
    if reason:
        b.skip("gen (ours)", reason)
        b.results["sections"]["gen"] = section
        return
    rows = sizes["gen_rows"]
    profile = b.profile_file(rows)
    for label, extra in (("ours", []), ("ours_csv", ["--csv"])):
        try:
            res = b.child(["genonly", str(profile), *extra], timeout=900)
        except RuntimeError as exc:
            b.error(f"gen {label}", exc)
            continue
        total_rows = sum(res["rows"].values())
        seconds = res["seconds"]
        orders_seconds = res["summary"]["tables"].get("orders", {}).get("seconds") or seconds
        speed = res["rows"].get("orders", 0) / seconds
        res["orders_rows_per_s"] = speed
        res["all_rows_per_s"] = total_rows / seconds
        res["orders_only_rows_per_s"] = res["rows"].get("orders", 0) / orders_seconds
        section[label] = res
        if extra:
            b.figure("gen", f"  same + CSV encoding ({rows:,})", rate(speed))
            continue
        b.figure(
            "gen",
            f"paritygen generators -> polars chunks ({rows:,})",
            rate(speed),
            f"orders alone {rate(res['orders_only_rows_per_s'])}",
            verdict(speed >= 1_000_000, ">= 1 M rows/s"),
        )
        detail = res["tables"].get("orders", {})
        if detail.get("steady_rows_per_s"):
            # Set-up (generators built, pools filled) vs the per-row rate that decides speed at
            # scale: the summary's table time minus the time spent pulling chunks.
            setup = orders_seconds - detail["load_seconds"] + detail["first_chunk_seconds"]
            res["orders_setup_seconds"] = setup
            b.figure("gen", "  orders: set-up before the first chunk", secs(setup))
            b.figure(
                "gen",
                "  orders: steady rate after the first chunk",
                rate(detail["steady_rows_per_s"]),
            )
        b.figure(
            "gen",
            "  ours / Faker loop",
            f"{speed / faker['rows_per_s']:.0f}x",
            "",
            verdict(speed >= 30 * faker["rows_per_s"], ">= 30x"),
        )
        b.figure("gen", "  ours / mimesis loop", f"{speed / mimesis['rows_per_s']:.1f}x")
        b.figure("gen", "  ours / hand-written numpy", f"{speed / vector['rows_per_s']:.2f}x")
    b.results["sections"]["gen"] = section


# -- 2/3/4/5. end to end, profiling, memory -----------------------------------------
def checkpoint(server: Server) -> None:
    """Start each timed step from a quiet server (PostgreSQL flushes the last load's WAL)."""
    if server.dialect == "postgresql":
        server.sql("CHECKPOINT")


def bench_server(b: Bench, server: Server, *, reference: bool, profile: bool) -> None:
    key = "pg" if server.dialect == "postgresql" else "mysql"
    problem = server.problem()
    if problem:
        b.skip(key, problem)
        return
    reason = missing_stage("paritygen.run.generate", "generate_database")
    if reason:
        b.skip(key, reason)
        return
    section: dict[str, Any] = {"sizes": {}}
    b.results["sections"][key] = section
    sizes = b.args.sizes["rows"]
    try:
        server.create()
        section["server_version"] = server.version()
        b.say(f"\n== {server.label} ({section['server_version'][:70]}), db {server.database}")
        for rows in sizes:
            section["sizes"][str(rows)] = bench_load(b, server, rows, reference=reference)
        if profile:
            section["profile"] = bench_profile(b, server, max(sizes))
    except Exception as exc:  # noqa: BLE001 - record, clean up, go on with the next section
        b.error(f"{key}", exc)
    finally:
        if not b.args.keep:
            server.drop()


def bench_load(b: Bench, server: Server, rows: int, *, reference: bool) -> dict[str, Any]:
    """paritygen generate into an empty database, then the client's bulk load of the same rows."""
    key = "pg" if server.dialect == "postgresql" else "mysql"
    tool = "psql \\copy" if key == "pg" else "LOAD DATA LOCAL"
    profile = b.profile_file(rows)
    customers = max(1, rows // ORDERS_PER_CUSTOMER)
    result: dict[str, Any] = {"rows": {"orders": rows, "customers": customers}, "ours": []}
    for _ in range(b.args.repeat):
        server.create()
        checkpoint(server)
        run = b.child(["generate", str(profile), server.url], timeout=3600)
        counts = {t: server.count(t) for t in TABLES}
        run["counts_ok"] = counts == {"orders": rows, "customers": customers}
        result["ours"].append(run)
    best = min(result["ours"], key=lambda r: r["wall_seconds"])
    ok = "" if best["counts_ok"] else " COUNT MISMATCH"
    result["table_bytes"] = {t: server.table_bytes(t) for t in TABLES}
    b.figure(key, f"paritygen generate, {rows:,} rows (child wall){ok}", secs(best["wall_seconds"]))
    b.figure(key, "  of which generate_database in-process", secs(best["generate_seconds"]))
    b.figure(key, "  peak RSS of the generate process", f"{best['peak_rss_mb']:.0f} MB")
    if not reference:
        return result

    pre, post = server.capture_ddl(TABLES)
    result["ddl"] = {"pre": pre, "post": post}
    files = {}
    export_dir = b.work / f"export_{key}_{rows}"
    export_dir.mkdir(exist_ok=True)
    for table in TABLES:
        files[table] = export_dir / f"{table}.{'csv' if key == 'pg' else 'tsv'}"
        server.export(table, files[table])
    result["file_bytes"] = sum(f.stat().st_size for f in files.values())

    variants = {v: v == "keyed" for v in b.args.refs}
    result["reference"] = {}
    result["reference_split"] = {}
    for variant, keyed in variants.items():
        times = []
        splits = []
        for _ in range(b.args.repeat):
            server.drop_tables(TABLES)
            checkpoint(server)
            # keyed: the final table (PK, indexes, FKs) exists, then the bulk load (MariaDB with
            # FK and unique checks on). restore: pg_restore's order, bare table (InnoDB: PK
            # only), the bulk load (MariaDB: checks off, as mysqldump files do), then the other
            # keys and FKs built once.
            server.run_script(pre + ("\n" + post if keyed else ""))
            load = sum(run_tool(server.load_argv(t, files[t], checks=keyed)) for t in TABLES)
            keys = 0.0
            if not keyed:
                t0 = time.perf_counter()
                server.run_script(post)
                keys = time.perf_counter() - t0
            times.append(load + keys)
            splits.append({"bulk_load_seconds": load, "keys_after_seconds": keys})
            if {t: server.count(t) for t in TABLES} != result["rows"]:
                raise RuntimeError(f"reference load of {rows} rows left wrong counts")
        result["reference"][variant] = min(times)
        # Its phases, to set against ours (set-up, load, finish_tables) when a ratio misses.
        result["reference_split"][variant] = splits[times.index(min(times))]
    for path in files.values():
        path.unlink(missing_ok=True)

    ours = best["wall_seconds"]
    fastest = min(result["reference"].values())
    result["ratio_wall"] = ours / fastest
    result["ratio_in_process"] = best["generate_seconds"] / fastest
    if "keyed" in result["reference"]:
        result["ratio_vs_keyed"] = ours / result["reference"]["keyed"]
    labels = {
        "keyed": "into the keyed table",
        "restore": "restore order (keys after)",
    }
    for variant, seconds in result["reference"].items():
        b.figure(key, f"{tool} of the same rows, {labels[variant]}", secs(seconds))
        split = result["reference_split"][variant]
        if split["keys_after_seconds"]:
            b.figure(
                key,
                "  reference: bulk load / keys and FKs after",
                f"{split['bulk_load_seconds']:.2f} / {split['keys_after_seconds']:.2f} s",
            )
    ours_split = best.get("split_seconds") or {}
    if ours_split:
        phases = (
            ("import_seconds", best),
            ("set-up: generators built", ours_split),
            ("load: writer.load (generation + encoding + server)", ours_split),
            ("finish_tables", ours_split),
        )
        b.figure(
            key,
            "  ours: imports / set-up / load / finish_tables",
            " / ".join(f"{source.get(name, 0.0):.2f}" for name, source in phases) + " s",
            f"of which ANALYZE {ours_split.get('finish: ANALYZE', 0.0):.2f} s",
        )
    b.figure(
        key,
        "ratio ours / fastest reference (wall)",
        f"{result['ratio_wall']:.2f}x",
        f"speed {1 / result['ratio_wall']:.2f}x",
        verdict(result["ratio_wall"] <= 1.25, "<= 1.25x"),
    )
    b.figure(
        key, "ratio ours (in-process) / fastest reference", f"{result['ratio_in_process']:.2f}x"
    )
    return result


def bench_profile(b: Bench, server: Server, rows: int) -> dict[str, Any]:
    """profile_database of the largest table vs one full read of both tables by the client."""
    key = "pg" if server.dialect == "postgresql" else "mysql"
    reason = missing_stage("paritygen.profile.run", "profile_database")
    if reason:
        b.skip(f"profile ({key})", reason)
        return {"skipped": reason}
    reads = []
    result: dict[str, Any] = {"rows": rows}

    def full_read() -> float:
        checkpoint(server)
        return sum(run_tool(server.full_read_argv(t), stdout_to=os.devnull) for t in TABLES)

    reads.append(full_read())
    run = b.child(["profile", server.url, str(b.work / f"profiled_{key}.yaml")], timeout=3600)
    reads.append(full_read())
    result.update(full_read_seconds=reads, profile=run)
    read = min(reads)
    result["ratio"] = run["seconds"] / read
    result["ratio_wall"] = run["wall_seconds"] / read
    b.figure("profile", f"{server.label}: profile_database, {rows:,} rows", secs(run["seconds"]))
    b.figure("profile", f"{server.label}: one full read via the client", secs(read))
    b.figure(
        "profile",
        f"{server.label}: ratio profile / full read",
        f"{result['ratio']:.2f}x",
        f"wall {result['ratio_wall']:.2f}x",
        verdict(result["ratio"] <= 1.0, "<= 1x"),
    )
    return result


def summarise_memory(b: Bench) -> None:
    """Peak RSS of generate per size, from the end-to-end runs (flat: <= 300 MB, within 20 %)."""
    section: dict[str, Any] = {}
    for key in ("pg", "mysql"):
        sizes = b.results["sections"].get(key, {}).get("sizes", {})
        peaks = {rows: max(r["peak_rss_mb"] for r in res["ours"]) for rows, res in sizes.items()}
        if not peaks:
            continue
        low, high = min(peaks.values()), max(peaks.values())
        flat = high <= 300 and (high - low) / low <= 0.20
        section[key] = {"peak_rss_mb": peaks, "flat": flat}
        text = ", ".join(f"{int(r):,}: {p:.0f} MB" for r, p in peaks.items())
        b.figure(
            "memory",
            f"peak RSS of generate into {key}",
            text,
            "",
            verdict(flat, "<= 300 MB, within 20 %"),
        )
    if section:
        b.results["sections"]["memory"] = section
    else:
        b.skip("memory", "no end-to-end run to read peak memory from (run pg or mysql)")


# -- 6. the peer --------------------------------------------------------------------
def bench_sdv(b: Bench, pg: Server) -> None:
    python = os.environ.get("PARITYGEN_SDV_PYTHON") or SDV_PYTHON_DEFAULT
    if not Path(python).exists():
        b.skip("sdv", f"no SDV interpreter at {python} (set PARITYGEN_SDV_PYTHON; see README)")
        return
    problem = pg.problem()
    if problem:
        b.skip("sdv", problem)
        return
    for module, name in (
        ("paritygen.run.generate", "generate_database"),
        ("paritygen.verify.compare", "verify_database"),
    ):
        reason = missing_stage(module, name)
        if reason:
            b.skip("sdv", reason)
            return
    rows = b.args.sdv_rows
    prod = Server("postgresql", pg.admin_url, f"{DB_PREFIX}sdv_source{b.args.db_suffix}")
    stage = Server("postgresql", pg.admin_url, f"{DB_PREFIX}sdv_stage{b.args.db_suffix}")
    section: dict[str, Any] = {"rows": rows}
    b.results["sections"]["sdv"] = section
    b.say(f"\n== SDV peer on {rows:,} orders (production made by paritygen from the profile)")
    try:
        prod.create()
        b.child(["generate", str(b.profile_file(rows)), prod.url], timeout=1800)
        prod_profile = b.work / "sdv_production_profile.yaml"
        if missing_stage("paritygen.profile.run", "profile_database"):
            shutil.copyfile(b.profile_file(rows), prod_profile)
            section["verify_profile"] = "the benchmark profile (profiler not importable)"
        else:
            b.child(["profile", prod.url, str(prod_profile)], timeout=1800)
            section["verify_profile"] = "profile_database of the production copy"
        pre, post = prod.capture_ddl(TABLES)
        data = b.work / "sdv_in"
        data.mkdir(exist_ok=True)
        for table in TABLES:
            capture_sql = f"\\copy {table} TO '{data / (table + '.csv')}' CSV HEADER"
            run_tool(prod.client(capture_sql))
            run_tool(prod.client(f"\\copy {table} TO '{data / (table + '.nohdr.csv')}' CSV"))
        for mode in ("gaussian", "hma"):
            section[mode] = sdv_mode(b, python, mode, data, stage, (pre, post), prod_profile)
        stage.create()
        ours = b.child(["generate", str(prod_profile), stage.url], timeout=1800)
        ours["verify"] = b.child(["verify", str(prod_profile), stage.url], timeout=1800)
        ours["violations"] = violations(stage)
        section["paritygen"] = ours
        report_peer(b, "paritygen generate", ours["wall_seconds"], None, ours)
    except Exception as exc:  # noqa: BLE001 - record, clean up, go on
        b.error("sdv", exc)
    finally:
        if not b.args.keep:
            prod.drop()
            stage.drop()


def sdv_mode(
    b: Bench,
    python: str,
    mode: str,
    data: Path,
    stage: Server,
    ddl: tuple[str, str],
    prod_profile: Path,
) -> dict[str, Any]:
    out = b.work / f"sdv_{mode}"
    argv = [
        python,
        str(BENCH / "sdv_peer.py"),
        mode,
        "--customers",
        str(data / "customers.csv"),
        "--orders",
        str(data / "orders.csv"),
        "--out",
        str(out),
    ]
    res = run_measured(argv, b.args.sdv_timeout, b.work)
    stage.create()
    pre, post = ddl
    stage.run_script(pre)  # bare tables first: SDV's rows cannot fail on a key while loading
    customers = out / "customers.csv" if mode == "hma" else data / "customers.nohdr.csv"
    run_tool(stage.load_argv("customers", customers))
    run_tool(stage.load_argv("orders", out / "orders.csv"))
    res["violations"] = violations(stage)
    try:
        # Then production's keys and FKs, as paritygen's tables have them (so verify also scores
        # fan-out and index bytes); a failure here is itself a finding about the sampled rows.
        stage.run_script(post)
        res["constraints"] = "applied"
    except ToolFailed as exc:
        res["constraints"] = f"failed: {exc}"
    res["verify"] = b.child(["verify", str(prod_profile), stage.url], timeout=1800)
    label = "SDV GaussianCopula (orders)" if mode == "gaussian" else "SDV HMA (customers+orders)"
    report_peer(b, label, res["fit_seconds"], res["sample_seconds"], res)
    return res


def violations(server: Server) -> dict[str, int]:
    """Independent SQL: duplicate keys and orphan FKs in what a tool loaded."""
    return {
        "duplicate_order_ids": int(server.sql("SELECT count(*) - count(DISTINCT id) FROM orders")),
        "orphan_customer_ids": int(
            server.sql(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS"
                " (SELECT 1 FROM customers c WHERE c.id = o.customer_id)"
            )
        ),
    }


def report_peer(b: Bench, label: str, fit: float, sample: float | None, res: dict) -> None:
    ver = res["verify"]
    time_text = secs(fit) if sample is None else f"fit {fit:.1f}s+sample {sample:.1f}s"
    b.figure("sdv", label, time_text, f"{res['peak_rss_mb']:.0f} MB")
    v = res["violations"]
    b.figure(
        "sdv",
        f"  verify: {ver['measures'] - ver['failed']}/{ver['measures']} measures pass",
        f"dup ids {v['duplicate_order_ids']}",
        f"orphan FKs {v['orphan_customer_ids']}",
        f"keys/FKs {res.get('constraints', 'applied')}"[:60],
    )


# -- output -------------------------------------------------------------------------
def rate(value: float) -> str:
    return f"{value:,.0f} rows/s"


def secs(value: float) -> str:
    return f"{value:.2f} s"


QUICK_RUN = {"on": False}
"""Set by main: a --quick run prints no verdicts (tiny sizes measure start-up, not speed)."""


def verdict(ok: bool, target: str) -> str:
    if QUICK_RUN["on"]:
        return ""
    return f"{'PASS' if ok else 'FAIL'} ({target})"


def write_outputs(b: Bench) -> None:
    (b.out / "results.json").write_text(json.dumps(b.results, indent=2, default=str) + "\n")
    lines = ["| section | what | figure | reference / note | target |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(cell.replace('|', '/') for cell in row)} |" for row in b.rows]
    (b.out / "results.md").write_text("\n".join(lines) + "\n")
    b.say(f"\nresults: {b.out / 'results.json'}, {b.out / 'results.md'}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run (< 60 s)")
    parser.add_argument("--rows", help="end-to-end sizes, comma separated (default 1M,10M)")
    parser.add_argument("--only", default=None, help="sections to run (default: all)")
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "latest")
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; best is kept")
    parser.add_argument("--gen-rows", type=int, help="rows for generation alone")
    parser.add_argument("--sdv-rows", type=int, default=100_000, help="orders SDV is fitted on")
    parser.add_argument("--sdv-timeout", type=float, default=3600)
    parser.add_argument("--tmp", default=None, help="scratch directory for exported files")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument(
        "--refs",
        default="keyed,restore",
        help="reference variants: keyed (load into the final table), restore (keys after)",
    )
    parser.add_argument("--db-suffix", default="", help="suffix for the database names")
    parser.add_argument(
        "--fact-rows", type=int, help="rows of the warehouse's fact table (default 1,000,000)"
    )
    parser.add_argument(
        "--tpch-scale", type=float, help="TPC-H scale factor of the tpch section (default 0.1)"
    )
    parser.add_argument(
        "--jobs",
        default="1,default",
        help="generate --jobs values for warehouse / many (comma separated; 'default' = ours)",
    )
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    if args.rows:
        sizes["rows"] = [int(float(x)) for x in args.rows.split(",") if x.strip()]
    if args.gen_rows:
        sizes["gen_rows"] = args.gen_rows
    args.sizes = sizes
    chosen = args.only is not None
    args.only = {s.strip() for s in (args.only or ",".join(SECTIONS)).split(",") if s.strip()}
    if args.quick and not chosen:
        # The smoke run keeps to a minute: the 24-table warehouse covers the many-table path,
        # once, with the default --jobs.
        args.only.discard("many")
        args.only.discard("tpch")
        args.jobs = "default"
    args.refs = [r.strip() for r in args.refs.split(",") if r.strip()]
    args.jobs = [
        None if j.strip() == "default" else int(j) for j in str(args.jobs).split(",") if j.strip()
    ]
    if not args.refs or set(args.refs) - {"keyed", "restore"}:
        parser.error("--refs takes keyed and/or restore")
    unknown = args.only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; choose from {SECTIONS}")
    if args.quick and "sdv" in args.only and args.only != {"sdv"}:
        args.only.discard("sdv")  # SDV is never part of the smoke run
    if args.quick and "mask" in args.only and args.only != {"mask"}:
        args.only.discard("mask")  # nor the mask comparison (a 1.5 M-row source per server)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    QUICK_RUN["on"] = args.quick
    b = Bench(args)
    started = time.perf_counter()
    b.results.update(
        command=" ".join([Path(sys.executable).name, "benchmarks/run.py", *(argv or sys.argv[1:])]),
        started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        machine=machine(),
        versions=versions(),
        sizes=args.sizes,
        repeat=args.repeat,
    )
    b.say(f"paritygen benchmarks: sections {sorted(args.only)}, sizes {args.sizes}")
    b.say(
        f"machine: {b.results['machine'].get('cpu')}, {b.results['machine']['nproc']} cores, "
        f"load {b.results['machine']['loadavg_start']}"
    )
    pg, mysql = servers(args.db_suffix)
    try:
        if "gen" in args.only:
            try:
                bench_generation(b)
            except (RuntimeError, OSError) as exc:
                b.error("gen", exc)
        profile = "profile" in args.only
        need_memory = "memory" in args.only
        if "pg" in args.only or ((profile or need_memory) and "mysql" not in args.only):
            bench_server(b, pg, reference="pg" in args.only, profile=profile)
        if "mysql" in args.only:
            bench_server(b, mysql, reference=True, profile=profile)
        if need_memory:
            summarise_memory(b)
        many_tables = [name for name in ("warehouse", "many", "tpch") if name in args.only]
        if many_tables:
            multi.run_multi(b, [pg, mysql], many_tables)
        if "sdv" in args.only:
            bench_sdv(b, pg)
        if "mask" in args.only:
            import mask_throughput

            customers = 2_000 if args.quick else 100_000
            b.results["sections"]["mask"] = mask_throughput.main_results(customers, args.repeat)
    finally:
        b.results["seconds"] = time.perf_counter() - started
        b.results["machine"]["loadavg_end"] = os.getloadavg()
        write_outputs(b)
        shutil.rmtree(b.work, ignore_errors=True)
    b.say(f"done in {b.results['seconds']:.0f} s; {len(b.results['errors'])} error(s)")
    return 1 if b.results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
