"""A killed ``paritygen mask`` is finished by the same command: exact counts, no duplicates,
every key in place, and the very target an uninterrupted run gives.

Real processes killed with SIGKILL at the run stage's crash points (``PARITYGEN_FAULT``,
paritygen/run/faults.py): after a table, and just before the keys are added.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_database

from paritygen.cli import cli
from paritygen.run.state import STATE_TABLE

from . import saas

KEY_ENV = "H13_TEST_MASK_KEY"
KEY = "a-test-secret-that-nobody-uses-0123456789"
KEYS = {"tenants": "id", "customers": "id", "orders": "id"}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def command(src: str, dst: str, *flags: str) -> list[str]:
    return ["mask", "--source", src, "--target", dst, "--key-env", KEY_ENV, "--no-progress",
            *flags]  # fmt: skip


def killed(args: list[str], point: str) -> None:
    """Run the command in a fresh process that kills itself with SIGKILL at *point*."""
    env = {**os.environ, "PARITYGEN_FAULT": point}
    proc = subprocess.run(
        [sys.executable, "-m", "paritygen.cli", *args], env=env, capture_output=True, text=True
    )
    assert proc.returncode == -signal.SIGKILL, (point, proc.stderr)


def target_rows(url: str) -> dict[str, list[tuple]]:
    return {
        table: sorted(saas.fetch(url, f"SELECT * FROM {table}"), key=repr)
        for table in ("tenants", "customers", "orders", "order_lines")
    }


def assert_finished(url: str, counts: dict[str, int], expected: dict[str, list[tuple]]) -> None:
    for table, rows in counts.items():
        assert saas.fetch(url, f"SELECT count(*) FROM {table}")[0][0] == rows, table
    for table, key in KEYS.items():
        distinct = saas.fetch(url, f"SELECT count(DISTINCT {key}) FROM {table}")[0][0]
        assert distinct == counts[table], table
    status = saas.fetch(url, f"SELECT status FROM {STATE_TABLE} WHERE item = '*run*'")
    assert status == [("complete",)]
    orphans = saas.fetch(
        url, "SELECT count(*) FROM order_lines l LEFT JOIN orders o ON o.id = l.order_id"
        " WHERE o.id IS NULL",
    )  # fmt: skip
    assert orphans == [(0,)]
    assert target_rows(url) == expected


def test_killed_mask_resumes_or_reruns_to_the_same_target(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL (the pass-through tables copied side by side): killed after two tables,
    --resume keeps them; killed before the keys, the same command starts over."""
    src_db = new_database("postgresql", tmp_path)
    src = next(src_db)
    try:
        _resume_then_rerun(src, pg_url)
    finally:
        next(src_db, None)


def _resume_then_rerun(src: str, dst: str) -> None:
    counts = saas.build(src, customers=120)
    runner = CliRunner()
    clean = runner.invoke(cli, command(src, dst))
    assert clean.exit_code == 0, clean.output
    expected = target_rows(dst)  # what an uninterrupted run gives
    truncate = command(src, dst, "--if-exists", "truncate")

    killed(truncate, "after-table:orders")
    other_seed = runner.invoke(cli, command(src, dst, "--resume", "--seed", "4"))
    assert other_seed.exit_code == 2 and "--resume" in other_seed.output, other_seed.output
    resumed = runner.invoke(cli, command(src, dst, "--resume"))
    assert resumed.exit_code == 0, resumed.output
    kept = next(line for line in resumed.output.splitlines() if "are kept:" in line)
    assert "customers" in kept and "orders" in kept and "order_lines" not in kept
    assert_finished(dst, counts, expected)

    killed(truncate, "before-finish")
    plain = runner.invoke(cli, command(src, dst))  # names the unfinished run, writes nothing
    assert plain.exit_code == 2 and "did not finish" in plain.output, plain.output
    rerun = runner.invoke(cli, truncate)
    assert rerun.exit_code == 0, rerun.output
    assert_finished(dst, counts, expected)


def test_killed_mask_on_mariadb_is_finished_by_the_same_command(
    mysql_url: str, tmp_path: Path
) -> None:
    src_db = new_database("mysql", tmp_path)
    src = next(src_db)
    try:
        counts = saas.build(src, customers=120)
        runner = CliRunner()
        clean = runner.invoke(cli, command(src, mysql_url))
        assert clean.exit_code == 0, clean.output
        expected = target_rows(mysql_url)
        truncate = command(src, mysql_url, "--if-exists", "truncate")
        killed(truncate, "after-table:customers")
        rerun = runner.invoke(cli, truncate)
        assert rerun.exit_code == 0, rerun.output
        assert_finished(mysql_url, counts, expected)
    finally:
        next(src_db, None)
