"""What an unattended run says while it works: one line per step, for people or for log shippers.

``text`` lines read well in a cron mail or ``journalctl`` (time, job, step, message); ``json``
lines carry the same facts as fields (one object per line: ``time``, ``level``, ``job``,
``event``, ``message`` and the step's figures) for Loki, Elasticsearch or CloudWatch. The stage
modules' own notices (``logging.getLogger("paritygen")`` warnings: tables emptied, types a
dialect cannot express) are routed through the same log while a job runs, so a JSON log stays
pure JSON. Every message passes :func:`~paritygen.errors.redact` first: no password ever leaves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from paritygen.errors import redact

LOG_FORMATS = ("text", "json")


class JobLog:
    """Writes the run's events to *stream* (standard error by default)."""

    def __init__(self, job: str, fmt: str = "text", stream: TextIO | None = None) -> None:
        if fmt not in LOG_FORMATS:
            raise ValueError(f"log format {fmt!r}")
        self.job = job
        self.fmt = fmt
        self.stream = stream if stream is not None else sys.stderr
        self.modes: dict[str, str] = {}
        """table -> mode of the run's tables, named in the per-table fill lines."""
        self.filled: set[str] = set()
        """Tables whose fill line was logged as their rows went in."""

    def info(self, event: str, message: str, **fields: Any) -> None:
        self.emit("info", event, message, **fields)

    def warning(self, event: str, message: str, **fields: Any) -> None:
        self.emit("warning", event, message, **fields)

    def error(self, event: str, message: str, **fields: Any) -> None:
        self.emit("error", event, message, **fields)

    def emit(self, level: str, event: str, message: str, **fields: Any) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = redact(message)
        if self.fmt == "json":
            record = {"time": now, "level": level, "job": self.job, "event": event,
                      "message": message, **fields}  # fmt: skip
            line = redact(json.dumps(record, ensure_ascii=False, default=str))
        else:
            mark = "" if level == "info" else f"{level.upper()} "
            line = f"{now[:19]}Z {self.job} {event}: {mark}{message}"
        print(line, file=self.stream, flush=True)


class _Forward(logging.Handler):
    def __init__(self, log: JobLog) -> None:
        super().__init__(level=logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        from paritygen.run.load import TABLE_DONE  # loaded already: the fill logs it

        done = getattr(record, TABLE_DONE, None)
        if done is not None:  # a table's rows are in: say so now, not after the whole fill
            name, rows, seconds = done
            self.log.filled.add(name)
            mode = self.log.modes.get(name)
            label = f"{name} ({mode})" if mode else name
            self.log.info("fill", f"{label}: {rows:,} rows in {seconds:.2f} s", table=name,
                          mode=mode, rows=rows, seconds=round(seconds, 3))  # fmt: skip
        elif record.levelno >= logging.WARNING:
            self.log.warning("note", record.getMessage())


@contextlib.contextmanager
def stage_notes(log: JobLog) -> Iterator[None]:
    """Route the stages' notices into *log* for the duration of the run (and only then): their
    warnings, and a line per table as it is filled."""
    logger = logging.getLogger("paritygen")
    saved = list(logger.handlers)
    level = logger.level
    for handler in saved:
        logger.removeHandler(handler)
    forward = _Forward(log)
    logger.addHandler(forward)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(forward)
        logger.setLevel(level)
        for handler in saved:
            logger.addHandler(handler)
