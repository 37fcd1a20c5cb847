"""The job file of ``paritygen run``: typed, validated once at the file boundary.

A job is what an unattended refresh needs to know, in one YAML file a team commits next to its
cron line or CronJob: where production and staging are (URLs or ``env:VAR``, so passwords stay in
the environment), which profile to use or re-take, how each table is filled, and where reports and
the growth history go. Every error names the path inside the file and what is allowed
(``job.yaml: tables.orders.mode: must be one of generate, mask, skip, keep``), because the person
reading it is looking at a failed nightly run, not at this code.

Relative paths resolve against the job file's folder, not the working directory: cron and
systemd start jobs from directories nobody chose.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from paritygen.errors import ConfigError
from paritygen.files import read_yaml

TABLE_MODES = ("generate", "mask", "skip", "keep")
"""generate: synthetic rows; mask: production's rows, PII pseudonymised; skip: not in the run at
all; keep: staging's own rows, left as they are (never emptied, never measured)."""
JOB_MODES = ("generate", "mask")
REPORT_FORMATS = ("html", "md", "json", "csv")
REPORT_KINDS = ("parity", "growth")
NOTIFY_WHEN = ("always", "failure", "success")
PLACEHOLDERS = ("date", "time", "datetime", "job")
"""Placeholders a report path may hold: {date} 2026-12-02, {time} 061500, {datetime}
20261202T061500Z (UTC, the run's start), {job} the job's name."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _mode_shorthand(value: Any) -> Any:
    """``orders: mask`` means ``orders: {mode: mask}``."""
    return {"mode": value} if isinstance(value, str) else value


def _report_shorthand(value: Any) -> Any:
    """``- reports/{date}/parity.html`` means ``- {path: ..., format: html}``."""
    return {"path": value} if isinstance(value, str) else value


def _list_of_names(value: Any) -> Any:
    """``tables: a,b`` is accepted as well as a YAML list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Names = Annotated[tuple[str, ...], BeforeValidator(_list_of_names)]


@dataclass(config=_STRICT)
class TableJob:
    """How one table is filled on each run."""

    mode: Literal["generate", "mask", "skip", "keep"]


@dataclass(config=_STRICT)
class Profiling:
    """How ``reprofile: true`` measures the source (the ``paritygen profile`` options)."""

    schema: str | None = None
    tables: Names = ()
    exclude: Names = ()
    sample_rows: Annotated[int, Field(ge=1)] = 1_000_000
    min_group_size: Annotated[int, Field(ge=1)] = 5
    estimate_rows: bool = False


@dataclass(config=_STRICT)
class VerifyJob:
    """The parity check after the fill; ``verify: false`` turns it off (exit 0 then means
    "filled", not "in parity")."""

    enabled: bool = True
    tolerances: str | dict[str, Any] | None = None
    """A tolerances file (docs/verify.md) or the same mapping inline."""
    sample_rows: Annotated[int, Field(ge=1)] = 1_000_000
    pii_check: bool = True
    """Also search staging for production's identifying PII values (reads the source)."""


@dataclass(config=_STRICT)
class ReportOutput:
    """One report written after each run; the format comes from the suffix unless given."""

    path: str
    format: Literal["html", "md", "json", "csv"] | None = None
    kind: Literal["parity", "growth"] = "parity"

    @property
    def resolved_format(self) -> str:
        return self.format or Path(self.path).suffix.lower().lstrip(".")


@dataclass(config=_STRICT)
class Notify:
    """Told when the run ends, with the summary as JSON (POST body / standard input)."""

    webhook: str | None = None
    """A URL or env:VAR (webhook URLs often carry a token, so env:VAR is the safe habit)."""
    command: str | tuple[str, ...] | None = None
    """A program and its arguments, run without a shell; a string is split like a shell would."""
    when: Literal["always", "failure", "success"] = "always"
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0


@dataclass(config=_STRICT)
class Job:
    """A whole job file (docs/jobs.md)."""

    source: Annotated[str, Field(min_length=1)]
    target: Annotated[str, Field(min_length=1)]
    profile: Annotated[str, Field(min_length=1)]
    name: str | None = None
    environment: str | None = None
    """Must say ``staging`` for the job to write without ``--force``."""
    reprofile: bool = False
    profiling: Profiling = field(default_factory=Profiling)
    mode: Literal["generate", "mask"] = "generate"
    tables: dict[str, Annotated[TableJob, BeforeValidator(_mode_shorthand)]] = field(
        default_factory=dict
    )
    scale: Annotated[float, Field(gt=0)] = 1.0
    seed: int = 0
    rules: str | dict[str, Any] | None = None
    """Overrides merged over the profile's ``rules:`` section: a file, or the mapping inline."""
    verify: Annotated[
        VerifyJob, BeforeValidator(lambda v: {"enabled": v} if v in (True, False) else v)
    ] = field(default_factory=VerifyJob)
    reports: tuple[Annotated[ReportOutput, BeforeValidator(_report_shorthand)], ...] = ()
    history: str | Literal[False] | None = None
    """The growth history file; None (left out): ``history/NAME.jsonl`` beside the job file, so
    every job keeps production's growth on record; ``false``: none."""
    notify: Notify | None = None
    mask_key: Annotated[str, Field(pattern=r"^env:[A-Za-z_][A-Za-z0-9_]*$")] = (
        "env:PARITYGEN_MASK_KEY"
    )
    """The environment variable holding the masking secret (never the secret itself)."""
    chunk_rows: Annotated[int, Field(ge=1)] | None = None
    allow_production_name: bool = False
    base_dir: str = "."
    """Folder of the job file (set by :func:`load_job`); relative paths resolve against it."""

    def path(self, value: str) -> Path:
        """*value* as a path, relative ones taken from the job file's folder."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate

    @property
    def profile_path(self) -> Path:
        return self.path(self.profile)

    @property
    def previous_profile_path(self) -> Path:
        """Where ``reprofile`` keeps the capture it replaced (``shop.yaml``: ``shop.prev.yaml``)."""
        path = self.profile_path
        return path.with_name(f"{path.stem}.prev{path.suffix}")

    @property
    def history_path(self) -> Path | None:
        if self.history is False:
            return None
        return self.path(self.history or f"history/{self.name or 'job'}.jsonl")

    @property
    def mask_key_env(self) -> str:
        return self.mask_key.removeprefix("env:")


_ADAPTER = TypeAdapter(Job)

_MESSAGES = {
    "missing": "required",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string",
    "dict_type": "expected a mapping",
    "tuple_type": "expected a list",
    "dataclass_type": "expected a mapping",
}
_UNION_WORDS = {"string_type": "a string", "dict_type": "a mapping", "tuple_type": "a list"}
_UNKNOWN_KEY = ("unexpected_keyword_argument", "extra_forbidden")


def _location(loc: tuple[Any, ...]) -> str:
    """The path in the file: pydantic adds union members' type names ("str", "dict[str,any]")."""
    parts = [str(p) for p in loc if not _is_type_name(p)]
    return ".".join(parts) or "(top level)"


def _is_type_name(part: Any) -> bool:
    return isinstance(part, str) and (
        part in ("str", "int", "float", "bool") or "[" in part or part.startswith("function-")
    )


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        options = ctx.get("expected", "").replace(" or ", ", ").replace("'", "")
        return f"must be one of {options} (found {error.get('input')!r})"
    if kind in _UNKNOWN_KEY:
        return "unknown key" + _known_keys(error["loc"])
    if kind in ("greater_than", "greater_than_equal"):
        sign, bound = (">", ctx["gt"]) if "gt" in ctx else (">=", ctx.get("ge"))
        return f"must be {sign} {bound} (found {error.get('input')!r})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"must be env:VARIABLE (found {error.get('input')!r})"
    return _MESSAGES.get(kind, error["msg"])


def _first(errors: list[dict[str, Any]]) -> tuple[str, str]:
    """The error to show: an unknown key first (a typo explains the rest), a union's failures
    merged into one ("expected a string or a mapping")."""
    chosen = next((e for e in errors if e["type"] in _UNKNOWN_KEY), errors[0])
    where = _location(chosen["loc"])
    if _is_type_name(chosen["loc"][-1]):
        same = [e for e in errors if _location(e["loc"]) == where]
        words = [_UNION_WORDS[e["type"]] for e in same if e["type"] in _UNION_WORDS]
        if len(words) == len(same) and words:
            return where, f"expected {' or '.join(dict.fromkeys(words))}"
    if chosen["type"] == "dataclass_type" and where == "verify":
        return where, "expected true, false or a mapping"
    return where, _message(chosen)


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(getattr(cls, "__dataclass_fields__", {}))


def job_from_dict(data: Any, origin: str = "job", base_dir: str | Path = ".") -> Job:
    """Validate plain data (as loaded from YAML) into a :class:`Job`; one line per failure."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: not a job file (expected a mapping with source, target,"
                          " profile)")  # fmt: skip
    if "base_dir" in data:
        raise ConfigError(f"{origin}: base_dir: unknown key")
    try:
        job = _ADAPTER.validate_python({**data, "base_dir": str(base_dir)})
    except ValidationError as exc:
        errors = exc.errors()
        where, message = _first(errors)
        shown = {where}
        more = len({_location(e["loc"]) for e in errors} - shown)
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{origin}: {where}: {message}{tail}") from None
    _check(job, origin)
    return job


_SECTIONS: dict[str, type] = {
    "profiling": Profiling,
    "verify": VerifyJob,
    "notify": Notify,
    "reports": ReportOutput,
    "tables": TableJob,
}


def _known_keys(loc: tuple[Any, ...]) -> str:
    """The keys allowed where an unknown one was found (a typo is the usual cause)."""
    names = [str(p) for p in loc if isinstance(p, str)]
    section = next((_SECTIONS[n] for n in reversed(names[:-1]) if n in _SECTIONS), Job)
    keys = [k for k in _fields(section) if k != "base_dir"]
    return f" (known: {', '.join(keys)})"


def _check(job: Job, origin: str) -> None:
    """Cross-field rules the types cannot say."""
    for i, report in enumerate(job.reports):
        where = f"{origin}: reports.{i}"
        if report.resolved_format not in REPORT_FORMATS:
            raise ConfigError(
                f"{where}.format: cannot tell the format of {report.path!r} from its suffix;"
                f" give format: one of {', '.join(REPORT_FORMATS)}"
            )
        if report.kind == "growth" and job.history is False:
            raise ConfigError(f"{where}.kind: a growth report needs a history (history: false)")
        for name in _placeholders(report.path, f"{where}.path"):
            if name not in PLACEHOLDERS:
                raise ConfigError(
                    f"{where}.path: unknown placeholder {{{name}}}"
                    f" (use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
                )
    for key in ("profile", "history"):
        value = getattr(job, key)
        if isinstance(value, str) and value and _placeholders(value, f"{origin}: {key}"):
            raise ConfigError(f"{origin}: {key}: placeholders are for report paths only; this"
                              " file must stay the same from run to run")  # fmt: skip
    if job.notify is not None and not (job.notify.webhook or job.notify.command):
        raise ConfigError(f"{origin}: notify: give webhook, command or both")
    if job.scale != 1.0 and (
        job.mode == "mask" or any(t.mode == "mask" for t in job.tables.values())
    ):
        raise ConfigError(f"{origin}: scale: masked tables copy production's rows as they are;"
                          " a job that masks runs at scale 1")  # fmt: skip
    if job.reprofile and Path(job.profile).suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ConfigError(f"{origin}: profile: a profile file ends in .yaml, .yml or .json")


def _placeholders(text: str, where: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise ConfigError(f"{where}: unbalanced braces in {text!r}") from None


def render_path(job: Job, template: str, started: dt.datetime) -> Path:
    """A report path with its placeholders filled from the run's start time (UTC)."""
    moment = started.astimezone(dt.UTC)
    text = template.format(
        date=moment.strftime("%Y-%m-%d"),
        time=moment.strftime("%H%M%S"),
        datetime=moment.strftime("%Y%m%dT%H%M%SZ"),
        job=job_name(job),
    )
    return job.path(text)


def job_name(job: Job) -> str:
    return job.name or "job"


def load_job(path: str | Path) -> Job:
    """Read and validate a job file; every failure is one :class:`ConfigError` line."""
    path = Path(path)
    data = read_yaml(path, "job file")
    if isinstance(data, dict) and data.get("name") is None:
        data = {**data, "name": path.stem}  # the file's name names the job in logs and history
    return job_from_dict(data, str(path), path.resolve().parent)
