"""A job killed (SIGKILL) at three points and rerun leaves exact counts and no duplicates; a
second job while one holds the target exits 3 at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from .saas import counts
from .test_run_job import pg_servers, run, write_job  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


def _start(job: Path, source: str, target: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PROD_URL": source,
        "STAGING_URL": target,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "paritygen.cli", "run", str(job), "--no-progress"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_at(job: Path, source: str, target: str, marker: str) -> list[str]:
    """Run the job in a subprocess and SIGKILL it as soon as a log line holds *marker*."""
    process = _start(job, source, target)
    seen = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    return seen


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


def test_killed_three_times_then_rerun(pg_servers: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    source, target = pg_servers
    job = write_job(tmp_path / "jobs")
    # 1: as the fill starts (tables being created), 2: as the second run's fill starts (its
    # tables hold the first run's debris), 3: right after the fill, while verify measures.
    for marker in ("plan: writing", "plan: writing", "fill: wrote"):
        _kill_at(job, source, target, marker)
    assert not (tmp_path / "jobs/history/shop.jsonl").exists()  # no run got to its end
    code, out, err = run(job, source=source, target=target)
    assert code == 0, err
    expected = counts(source)
    assert counts(target) == expected
    assert set(_duplicates(target).values()) == {0}
    assert len((tmp_path / "jobs/history/shop.jsonl").read_text().splitlines()) == 1

