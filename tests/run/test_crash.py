"""Crash-safe reruns and one run per target, with real processes killed by SIGKILL.

Each case runs ``paritygen generate`` in a subprocess with ``PARITYGEN_FAULT`` set to a crash
point (paritygen/run/faults.py): the process kills itself with SIGKILL there, leaving whatever a
``kill -9`` leaves. The same command is then rerun and the target must hold exact row counts,
no duplicate key and every key / FK in place.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.run.state import STATE_TABLE

from .saas import COUNTS, saas_profile, table_counts


def generate(profile: Path, target: str, *flags: str, fault: str | None = None,
             wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:  # fmt: skip
    env = {**os.environ}
    env.pop("PARITYGEN_FAULT", None)
    if fault:
        env["PARITYGEN_FAULT"] = fault
    # --chunk-rows is rounded up to one 65,536-row block: the SaaS tables are one chunk each,
    # so chunk points fall between tables.
    args = [sys.executable, "-m", "paritygen.cli", "generate", str(profile), "--target", target,
            "--seed", "3", "--no-progress", *flags]  # fmt: skip
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)


def in_process(profile: Path, target: str, *flags: str) -> Any:
    """The same command, run in this process (no crash planned: no need to pay a start-up)."""
    args = ["generate", str(profile), "--target", target, "--seed", "3", "--no-progress"]
    return CliRunner().invoke(cli, [*args, *flags])


def assert_complete(url: str) -> None:
    """Exact counts, unique keys, every PK and FK of the source present, the run complete."""
    assert table_counts(url) == COUNTS
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        with engine.connect() as conn:
            for table, key in (("tenants", "tenant_id"), ("users", "user_id"),
                               ("projects", "project_id"), ("tasks", "task_id")):  # fmt: skip
                assert inspector.get_pk_constraint(table)["constrained_columns"] == [key]
                distinct = conn.execute(sa.text(f"SELECT count(DISTINCT {key}) FROM {table}"))
                assert distinct.scalar_one() == COUNTS[table]
            fks = {
                (t, fk["referred_table"]) for t in COUNTS for fk in inspector.get_foreign_keys(t)
            }
            assert fks == {("users", "tenants"), ("projects", "tenants"), ("tasks", "projects"),
                           ("tasks", "users"), ("tasks", "tasks")}  # fmt: skip
            orphans = conn.execute(sa.text(
                "SELECT count(*) FROM tasks t LEFT JOIN projects p ON p.project_id = t.project_id"
                " WHERE p.project_id IS NULL")).scalar_one()  # fmt: skip
            assert orphans == 0
            status = conn.execute(
                sa.text(f"SELECT status FROM {STATE_TABLE} WHERE item = '*run*'")
            ).scalar_one()
            assert status == "complete"
    finally:
        engine.dispose()


@pytest.fixture
def saas(db_url_pair: tuple[str, str], tmp_path: Path) -> tuple[Path, str]:
    source, target = db_url_pair
    return saas_profile(source, tmp_path), target


def test_killed_three_times_then_rerun_with_truncate_is_exact(saas: tuple[Path, str]) -> None:
    profile, target = saas
    order = ["tenants", "users", "projects", "tasks"]
    points = ["after-create", f"after-table:{random.Random().choice(order[:-1])}",
              "before-finish"]  # fmt: skip
    for point in points:
        killed = generate(profile, target, "--if-exists", "truncate", fault=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
    plain = in_process(profile, target)  # the unfinished run is named, nothing is written
    assert plain.exit_code == 2 and "did not finish" in plain.output, plain.output
    assert len(plain.output.strip().splitlines()) == 1
    rerun = in_process(profile, target, "--if-exists", "truncate")
    assert rerun.exit_code == 0, rerun.output
    assert_complete(target)
    if target.startswith("mysql"):
        left = [p.name.split("-")[2] for p in Path("/dev/shm").glob("paritygen-load-*")]
        assert not [pid for pid in left if pid.isdigit() and not _alive(pid)]


def test_killed_then_resumed_keeps_complete_tables(saas: tuple[Path, str]) -> None:
    profile, target = saas
    # One session: the tables load in plan order, so tenants is complete when users is
    # (side by side the largest tables go first, and tenants may still be loading).
    killed = generate(profile, target, "--jobs", "1", fault="after-table:users")
    assert killed.returncode == -signal.SIGKILL
    other_seed = in_process(profile, target, "--resume", "--seed", "4")
    assert other_seed.exit_code == 2 and "--resume" in other_seed.output
    resumed = in_process(profile, target, "--resume")
    assert resumed.exit_code == 0, resumed.output
    kept = next(line for line in resumed.output.splitlines() if "are kept:" in line)
    assert "users" in kept and "tenants" in kept and "tasks" not in kept
    assert_complete(target)


def test_second_run_is_refused_with_exit_3_naming_the_holder(
    saas: tuple[Path, str], tmp_path: Path
) -> None:
    profile, target = saas
    meet = tmp_path / "meet"
    meet.mkdir()
    first = generate(profile, target, fault=f"wait-after-table:users:{meet}", wait=False)
    try:
        while not (meet / "ready").exists():  # the first run holds the lock, mid-load
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        second = generate(profile, target, "--if-exists", "truncate")
        assert second.returncode == 3, second.stderr
        assert "locked by another paritygen run" in second.stderr
        assert f"pid {first.pid}" in second.stderr and "started 20" in second.stderr
    finally:
        (meet / "go").touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert_complete(target)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def test_sigterm_mid_load_cleans_up_and_the_rerun_is_exact(
    pg_url: str, mysql_url: str, tmp_path: Path
) -> None:
    """SIGTERM (systemd, docker stop) ends a run like Ctrl-C: exit 130, the state says failed,
    no chunk folder of that run is left; the same command with --if-exists truncate finishes."""
    profile, target = saas_profile(pg_url, tmp_path), mysql_url
    meet = tmp_path / "meet"
    meet.mkdir()
    run = generate(profile, target, fault=f"wait-after-table:users:{meet}", wait=False)
    while not (meet / "ready").exists():
        assert run.poll() is None, run.communicate()
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert len(err.strip().splitlines()) == 2 and "interrupted" in err  # the size note + error
    assert not list(Path("/dev/shm").glob(f"paritygen-load-{run.pid}-*"))
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        status = conn.execute(
            sa.text(f"SELECT status FROM {STATE_TABLE} WHERE item = '*run*'")
        ).scalar_one()
    engine.dispose()
    assert status == "failed"
    rerun = in_process(profile, target, "--if-exists", "truncate")
    assert rerun.exit_code == 0, rerun.output
    assert_complete(target)
