"""The ``run`` command's body: load the job, run it, print the summary, return the exit code.

Kept out of ``cli.py`` (which only parses options) so tests and other launchers call the same
thing. Log lines go to standard error as the run works; the summary goes to standard output at the
end (text, or one JSON object with ``--log-format json``), so ``paritygen run job.yaml >
summary.json`` keeps a machine-readable record of each run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from paritygen.jobs.config import job_name, load_job
from paritygen.jobs.events import JobLog
from paritygen.jobs.refresh import render_summary, run_job


def run_from_file(
    path: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    log_format: str = "text",
    progress: bool | None = None,
    echo: Callable[..., Any] = print,
) -> int:
    """Run the job at *path* once; its exit code (0 ok, 1 parity missed, 2 error, 3 locked)."""
    job = load_job(path)
    log = JobLog(job_name(job), log_format)
    if log_format == "json":
        progress = False  # bars would break a JSON log; the log lines say the same
    elif progress is None:
        progress = sys.stderr.isatty()

    log.info("start", f"{'dry run' if dry_run else 'run'} of {path}", dry_run=dry_run)
    plan_echo = None if log_format == "json" else echo  # the JSON summary holds the plan
    summary = run_job(job, dry_run=dry_run, force=force, log=log, progress=progress, echo=plan_echo)
    if log_format == "json":
        echo(json.dumps(summary, ensure_ascii=False))
    elif not dry_run or summary["status"] == "error":
        echo(render_summary(summary).removesuffix("\n"))
    log.info("end", f"{summary['status'].replace('_', ' ')} (exit {summary['exit_code']})",
             status=summary["status"], exit_code=summary["exit_code"])  # fmt: skip
    return int(summary["exit_code"])
