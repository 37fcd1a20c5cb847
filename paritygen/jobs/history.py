"""The growth history: one JSON line per run with production's and staging's volumes per table.

JSON lines because a history is appended to by one run at a time for years and read whole by
``paritygen report --history``: an append is one ``write`` of one line (``O_APPEND``, fsynced),
a half-written last line after a crash costs that line only (readers skip it and say so), and the
file stays greppable and diffable. Each record holds what a capacity planner asks later: when,
which capture (the profile's digest), production's rows and bytes per table, what staging was
filled with, and the verdict. The record shape is documented in docs/jobs.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from paritygen.errors import ConfigError
from paritygen.profile.model import Profile

HISTORY_FORMAT = "paritygen-history/1"
"""Written into every record; readers skip records of another format (with a note)."""
VERDICTS = ("pass", "fail", "unverified", "error")
"""pass / fail: parity held or was missed; unverified: filled with verify turned off; error: the
run stopped after production was measured (production's figures are still worth keeping)."""


@dataclass(frozen=True)
class TableVolume:
    """One table's volumes in one run (None: not measured, e.g. SQLite has no byte sizes)."""

    mode: str
    production_rows: int | None = None
    production_bytes: int | None = None
    staging_rows: int | None = None
    staging_bytes: int | None = None


@dataclass(frozen=True)
class HistoryRecord:
    """One run."""

    time: str
    """ISO-8601 UTC time the run started."""
    job: str
    verdict: str
    profile_digest: str
    captured_at: str | None = None
    """When production was measured (the profile's capture time)."""
    scale: float = 1.0
    seconds: float | None = None
    tables: dict[str, TableVolume] = field(default_factory=dict)
    format: str = HISTORY_FORMAT

    @property
    def moment(self) -> dt.datetime:
        return parse_time(self.time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tables"] = {
            name: {k: v for k, v in asdict(volume).items() if v is not None}
            for name, volume in self.tables.items()
        }
        return {"format": data.pop("format"), **data}


def parse_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def profile_digest(profile: Profile) -> str:
    """A short fingerprint of a capture: the same profile always gives the same digest."""
    from paritygen.profile.io import dumps

    return "sha256:" + hashlib.sha256(dumps(profile, "json").encode("utf-8")).hexdigest()[:16]


def _bytes(data: int | None, index: int | None) -> int | None:
    return None if data is None else data + (index or 0)


def volumes(
    production: Profile,
    staging: Profile | None,
    modes: dict[str, str],
    staging_rows: dict[str, int],
) -> dict[str, TableVolume]:
    """Per table: production's figures from its profile, staging's from verify's measurement of
    the target (or, when verify is off, the rows the load wrote)."""
    out = {}
    for name, table in production.tables.items():
        measured = staging.tables.get(name) if staging is not None else None
        out[name] = TableVolume(
            mode=modes.get(name, "skip"),
            production_rows=table.row_count,
            production_bytes=_bytes(table.data_bytes, table.index_bytes),
            staging_rows=measured.row_count if measured else staging_rows.get(name),
            staging_bytes=_bytes(measured.data_bytes, measured.index_bytes) if measured else None,
        )
    return out


def append_record(path: str | Path, record: HistoryRecord) -> None:
    """Append one line; a torn last line from an earlier crash is closed first."""
    path = Path(path)
    line = json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            if handle.tell() > 0 and not _ends_with_newline(path):
                line = "\n" + line
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ConfigError(f"cannot append to history {path}: {exc.strerror or exc}") from None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def read_history(path: str | Path, notes: list[str] | None = None) -> list[HistoryRecord]:
    """Every readable record in time order; unreadable lines are skipped with a note."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such history file (a job with history: FILE writes it)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the history ({exc.__class__.__name__})") from None
    records = []
    remarks = [] if notes is None else notes
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_record(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            remarks.append(f"{path}:{number}: unreadable history record skipped ({exc})")
    return sorted(records, key=lambda r: r.moment)


def _record(data: Any) -> HistoryRecord:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("format") != HISTORY_FORMAT:
        raise ValueError(f"format {data.get('format')!r}, expected {HISTORY_FORMAT!r}")
    if data.get("verdict") not in VERDICTS:
        raise ValueError(f"verdict {data.get('verdict')!r}")
    parse_time(str(data["time"]))
    tables = {}
    for name, volume in (data.get("tables") or {}).items():
        if not isinstance(volume, dict):
            raise ValueError(f"tables.{name}: not an object")
        figures = {
            k: volume.get(k)
            for k in ("production_rows", "production_bytes", "staging_rows", "staging_bytes")
        }
        for key, value in figures.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"tables.{name}.{key}: not a whole number")
        tables[str(name)] = TableVolume(mode=str(volume.get("mode", "generate")), **figures)
    return HistoryRecord(
        time=str(data["time"]),
        job=str(data.get("job", "")),
        verdict=data["verdict"],
        profile_digest=str(data.get("profile_digest", "")),
        captured_at=data.get("captured_at"),
        scale=float(data.get("scale", 1.0)),
        seconds=data.get("seconds"),
        tables=tables,
    )
