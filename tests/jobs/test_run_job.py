"""``paritygen run JOB.yaml`` on real servers: the minimal job end to end, the plan that writes
nothing, drift named and stopped, three runs of history, refusals, notifications, JSON logs."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from paritygen.cli import cli

from .saas import add_column, add_table, build_saas, counts, grow
from .test_job_config import MINIMAL

EXTRA = """\
reprofile: true
history: history/shop.jsonl
reports:
  - reports/{date}/parity.html
  - reports/{date}/parity.json
  - path: reports/growth.md
    kind: growth
"""


def _pair(dialect: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    from conftest import new_database

    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    source = new_database(dialect, tmp_path / "src")
    target = new_database(dialect, tmp_path / "dst")
    urls = next(source), next(target)
    build_saas(urls[0])
    yield urls
    for gen in (source, target):
        next(gen, None)


@pytest.fixture(params=["postgresql", "mysql"])
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(production with the SaaS schema, an empty staging) on one server, each of them."""
    yield from _pair(request.param, tmp_path)


@pytest.fixture
def pg_servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The same on PostgreSQL only: for what does not depend on the database."""
    yield from _pair("postgresql", tmp_path)


def write_job(folder: Path, text: str = MINIMAL + EXTRA) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shop.yaml"
    path.write_text(text)
    return path


def run(job: Path, *args: str, source: str, target: str) -> tuple[int, str, str]:
    env = {"PROD_URL": source, "STAGING_URL": target}
    result = CliRunner(env=env).invoke(cli, ["run", str(job), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def table_digest(url: str) -> dict[str, str]:
    """Every table's rows, sorted, hashed: equal digests mean equal contents."""
    engine = sa.create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for name in sorted(set(sa.inspect(conn).get_table_names()) - {"_paritygen_run"}):
                columns = [c["name"] for c in sa.inspect(conn).get_columns(name)]
                table = sa.table(name, *(sa.column(c) for c in columns))
                rows = sorted(map(repr, conn.execute(sa.select(table))))
                out[name] = hashlib.sha256(repr((columns, rows)).encode()).hexdigest()
    finally:
        engine.dispose()
    return out


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def test_minimal_job_as_written(servers: tuple[str, str], tmp_path: Path) -> None:
    """The issue's six lines exactly, on a first run: no profile file yet, so the run measures
    the source, fills staging in parity and keeps the capture at the profile's path; the next
    run reuses it."""
    source, target = servers
    job = write_job(tmp_path / "jobs", MINIMAL)
    profile = tmp_path / "jobs/profiles/shop.yaml"
    assert not profile.exists()
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert counts(target) == counts(source)
    assert "PARITY HOLDS" in out and "job shop: ok" in out
    assert "does not exist yet: measuring the source (first run)" in err
    assert profile.exists()
    # production grows; the next run reuses the profile, counts production's rows again, fills
    # staging at the new volume and records the growth in the default history file
    grown = grow(source)
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert counts(target) == grown
    assert "profile: reusing" in err and "production's rows now:" in err
    history = tmp_path / "jobs/history/shop.jsonl"
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert [line["tables"]["tasks"]["production_rows"] for line in lines] == [1500, grown["tasks"]]
    result = CliRunner().invoke(cli, ["report", "--history", str(history), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert f"| tasks | `▁█` | 1,500 | {grown['tasks']:,} |" in result.output


def test_refresh_end_to_end_then_growth(servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = servers
    job = write_job(tmp_path / "jobs")
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert counts(target) == counts(source)
    folder = tmp_path / "jobs"
    assert (folder / "profiles/shop.yaml").exists() and not (
        folder / "profiles/shop.prev.yaml"
    ).exists()
    assert len(list((folder / "reports").glob("*/parity.html"))) == 1
    report = json.loads(next((folder / "reports").glob("*/parity.json")).read_text())
    assert report["parity"]["passed"] is True
    # production grows; the second run refills staging with the new volume and names the growth
    grown = grow(source)
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert counts(target) == grown
    assert (folder / "profiles/shop.prev.yaml").exists()
    lines = (folder / "history/shop.jsonl").read_text().splitlines()
    assert len(lines) == 2
    second = json.loads(lines[1])
    assert second["verdict"] == "pass"
    assert second["tables"]["tasks"]["production_rows"] == grown["tasks"]
    assert second["tables"]["tasks"]["staging_rows"] == grown["tasks"]
    growth_md = (folder / "reports/growth.md").read_text()
    assert f"| tasks | `▁█` | 1,500 | {grown['tasks']:,} |" in growth_md


def test_dry_run_writes_nothing(pg_servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    assert run(job, source=source, target=target)[0] == 0
    grow(source)
    before_db, before_files = table_digest(target), tree_digest(tmp_path / "jobs")
    code, out, err = run(job, "--dry-run", source=source, target=target)
    assert code == 0, err
    assert table_digest(target) == before_db
    assert tree_digest(tmp_path / "jobs") == before_files
    assert "would empty first: feature_flags, projects, tasks, tenants, users" in out
    assert re.search(
        r"^tasks +generate +1,900 +1,900 +[0-9.]+ kB +1,500 rows, would be emptied$",
        out,
        re.MULTILINE,
    ), out
    assert "since the last capture: 1,880 -> 2,340 rows" in out


def test_drift_is_named_and_stops_before_writing(
    pg_servers: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    assert run(job, source=source, target=target)[0] == 0
    add_column(source)  # production migrated; staging not yet
    add_table(source)
    before_db, before_files = table_digest(target), tree_digest(tmp_path / "jobs")
    code, out, err = run(job, source=source, target=target)
    assert code == 2
    assert "drift: WARNING tasks: new column label" in err
    assert "drift: WARNING new table audit_events" in err
    assert "created in staging by this run (it lacks them): audit_events" in err
    assert "staging cannot take" in err and "nothing was written" in err
    assert table_digest(target) == before_db
    after_files = tree_digest(tmp_path / "jobs")
    history = "history/shop.jsonl"
    assert {k: v for k, v in after_files.items() if k != history} == {
        k: v for k, v in before_files.items() if k != history
    }  # the profile is kept: staging still holds what it describes
    last = json.loads((tmp_path / "jobs" / history).read_text().splitlines()[-1])
    assert last["verdict"] == "error" and "staging_rows" not in last["tables"]["tasks"]


def test_new_production_table_is_created_in_staging(
    pg_servers: tuple[str, str], tmp_path: Path
) -> None:
    """A table new in production is drift staging can take: the next run creates it there
    (keys inline), fills it and the rest, and is in parity."""
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    assert run(job, source=source, target=target)[0] == 0
    add_table(source)
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert "drift: WARNING new table audit_events" in err
    assert "creating 1 table(s) the target lacks: audit_events" in err
    assert counts(target) == counts(source)
    engine = sa.create_engine(target)
    try:
        assert sa.inspect(engine).get_pk_constraint("audit_events")["constrained_columns"] == [
            "id"
        ]
    finally:
        engine.dispose()


def test_three_runs_make_a_history_report(pg_servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    sizes = []
    for step in range(3):
        if step:
            sizes.append(grow(source, users=10 * step, tasks=100 * step, seed=step)["tasks"])
        else:
            sizes.append(counts(source)["tasks"])
        assert run(job, source=source, target=target)[0] == 0
    history = tmp_path / "jobs/history/shop.jsonl"
    result = CliRunner().invoke(cli, ["report", "--history", str(history), "--format", "csv"])
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    tasks = [r for r in rows if r[2] == "tasks" and r[1] == "run"]
    assert [int(r[3]) for r in tasks] == sizes and [int(r[5]) for r in tasks] == sizes
    html = tmp_path / "growth.html"
    result = CliRunner().invoke(cli, ["report", "--history", str(history), "--format", "html",
                                      "-o", str(html)])  # fmt: skip
    assert result.exit_code == 0
    assert html.read_text().count('<tr class="run">') == 3


def test_refusals(pg_servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_servers
    undeclared = write_job(tmp_path / "a", MINIMAL.replace("environment: staging\n", "") + EXTRA)
    code, out, err = run(undeclared, source=source, target=target)
    assert code == 2 and "declares no environment" in err and "--force" in err
    assert counts(target) == {}
    code, out, err = run(undeclared, "--force", source=source, target=target)
    assert code == 0, err
    itself = write_job(tmp_path / "b")
    code, out, err = run(itself, "--force", source=source, target=source)
    assert code == 2 and "is the source itself" in err


def test_keep_and_skip_modes(pg_servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    assert run(job, source=source, target=target)[0] == 0
    engine = sa.create_engine(target)
    with engine.begin() as conn:  # staging's own flags, which the refresh must not touch
        conn.execute(sa.text("DELETE FROM feature_flags WHERE id > 2"))
    engine.dispose()
    job.write_text(job.read_text() + "tables:\n  feature_flags: keep\n  tenants: {mode: keep}\n")
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    after = counts(target)
    assert after["feature_flags"] == 2 and after["tenants"] == counts(source)["tenants"]
    assert "left as they are (keep)" not in out  # the plan is printed by --dry-run only
    code, out, err = run(job, "--dry-run", source=source, target=target)
    assert "left as they are (keep): feature_flags, tenants" in out
    assert "users references tenants (mode keep)" in err


def test_json_log_and_notifications(pg_servers: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_servers
    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stdin_copy = tmp_path / "summary.json"
    script = f"import sys; open({str(stdin_copy)!r}, 'wb').write(sys.stdin.buffer.read())"
    job = write_job(tmp_path / "jobs", MINIMAL + EXTRA + (
        "notify:\n"
        f"  webhook: http://127.0.0.1:{server.server_port}/hook/s3cr3t-token\n"
        f"  command: [{json.dumps(sys.executable)}, '-c', {json.dumps(script)}]\n"
    ))  # fmt: skip
    try:
        code, out, err = run(job, "--log-format", "json", source=source, target=target)
    finally:
        server.shutdown()
    assert code == 0, err
    events = [json.loads(line) for line in err.splitlines()]
    assert {"start", "profile", "fill", "verify", "report", "notify", "end"} <= {
        e["event"] for e in events}  # fmt: skip
    assert all(e["job"] == "shop" for e in events)
    # One line per table, logged as its rows went in (before the fill's total line).
    fills = [e for e in events if e["event"] == "fill"]
    per_table = [e["table"] for e in fills if "table" in e]
    assert sorted(per_table) == sorted(counts(source))
    assert "table" not in fills[-1] and fills[-1]["message"].startswith("wrote ")
    assert all(e["mode"] == "generate" for e in fills if "table" in e)
    summary = json.loads(out)
    assert summary["status"] == "ok" and summary["exit_code"] == 0
    assert summary["rows"] == sum(counts(source).values())
    assert summary["tables"]["tasks"]["rows"] == 1500
    assert json.loads(received[0]) == summary
    assert json.loads(stdin_copy.read_text()) == summary
    assert "s3cr3t-token" not in err  # a webhook's token is never logged


def test_masked_and_generated_tables_in_one_job(
    pg_servers: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = pg_servers
    monkeypatch.setenv("PARITYGEN_MASK_KEY", "job-test-key-0123456789abcdef")
    job = write_job(tmp_path / "jobs", MINIMAL + EXTRA + (
        "tables:\n  users: mask\n  tenants: mask\n  feature_flags: skip\n"
        "verify:\n  tolerances:\n    skip: ['users.email:length_ks']\n"
    ))  # fmt: skip
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert "users (mask): 300 rows" in err and "tasks (generate): 1,500 rows" in err
    produced, staged = counts(source), counts(target)
    assert "feature_flags" not in staged
    assert {k: staged[k] for k in ("tenants", "users", "projects", "tasks")} == {
        k: produced[k] for k in ("tenants", "users", "projects", "tasks")}  # fmt: skip
    engine = sa.create_engine(source)
    with engine.connect() as conn:
        real = set(conn.execute(sa.text("SELECT email FROM users")).scalars())
        slugs = list(conn.execute(sa.text("SELECT slug FROM tenants ORDER BY id")).scalars())
    engine.dispose()
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        masked = set(conn.execute(sa.text("SELECT email FROM users")).scalars())
        copied = list(conn.execute(sa.text("SELECT slug FROM tenants ORDER BY id")).scalars())
    engine.dispose()
    assert len(masked) == 300 and not masked & real  # no production e-mail reached staging
    assert copied == slugs  # non-personal columns of a masked table are production's
    assert "PARITY HOLDS" in out
