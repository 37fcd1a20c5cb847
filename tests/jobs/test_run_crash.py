"""A job killed (SIGKILL) at three points of its fill and rerun leaves exact counts and no
duplicates; a second job while one holds the target exits 3 at once.

The kill points are the run stage's fault points (``PARITYGEN_FAULT``, docs/safety.md): after
the tables are created, after one table's rows are in, just before keys and indexes are added.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from paritygen.run.state import read_state

from .saas import counts
from .test_run_job import pg_servers, run, write_job  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


def _start(job: Path, source: str, target: str, fault: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "PROD_URL": source,
        "STAGING_URL": target,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PARITYGEN_FAULT", None)
    if fault:
        env["PARITYGEN_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "paritygen.cli", "run", str(job), "--no-progress"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _duplicates(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(sa.text(
                    f"SELECT count(*) - count(DISTINCT id) FROM {name}")).scalar_one()
                for name in sa.inspect(conn).get_table_names() if not name.startswith("_")
            }  # fmt: skip
    finally:
        engine.dispose()


def _unfinished(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        state = read_state(engine)
    finally:
        engine.dispose()
    return state is not None and state.unfinished


def test_killed_three_times_then_rerun(pg_servers: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    for fault in ("after-create", "after-table:users", "before-finish"):
        process = _start(job, source, target, fault)
        _, err = process.communicate(timeout=300)
        assert process.returncode == -signal.SIGKILL, err
        # Killed mid-run: the state table says so (tables load side by side, so the rows of
        # every table may be in when one of them reaches its fault point).
        assert _unfinished(target), fault
    assert not (tmp_path / "jobs/history/shop.jsonl").exists()  # no run got to its end
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    assert counts(target) == counts(source)
    assert set(_duplicates(target).values()) == {0}
    assert len((tmp_path / "jobs/history/shop.jsonl").read_text().splitlines()) == 1


def test_a_second_job_exits_3_at_once(pg_servers: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    """Job A is held in flight (a rendezvous at a fault point) while it fills the target;
    job B exits 3 before measuring anything; A, let go, finishes in parity."""
    source, target = pg_servers
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    first = _start(write_job(tmp_path / "a"), source, target,
                   f"wait-after-table:users:{meeting}")  # fmt: skip
    try:
        while not (meeting / "ready").exists():
            assert first.poll() is None, first.communicate()[1]
            time.sleep(0.05)  # a rendezvous with job A, not a timing assumption
        code, out, err = run(write_job(tmp_path / "b"), source=source, target=target)
    finally:
        (meeting / "go").touch()
    assert code == 3, err
    assert "locked by another paritygen run" in err
    assert " profile: " not in err  # refused before measuring production
    assert "job shop: locked" in out
    _, rest = first.communicate(timeout=300)
    assert first.returncode == 0, rest
    assert counts(target) == counts(source)
