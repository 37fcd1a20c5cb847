"""``paritygen run JOB.yaml``: one scheduled refresh, start to end, unattended.

The steps, in order, each logged as it ends:

1. **check** the target: declared ``environment: staging`` (else refused unless ``--force``),
   never the source itself, and held by no other run (the run stage's lock; exit 3).
2. **profile**: re-measure production (``reprofile: true``) or read the profile file.
3. **diff** against the last capture and **plan**: modes, expected rows and bytes, what is
   emptied; drift staging cannot take stops the run here, before anything is written.
   ``--dry-run`` prints the plan and stops here too, having written nothing.
4. **fill**: generate / mask per table through the run stage (the same code, checks and
   crash-safety as ``paritygen generate``); ``keep`` and ``skip`` tables are not touched.
5. **verify** staging against the profile; 6. **reports**; 7. **history**; then the summary
   and the notification.

A crash or kill at any point leaves a state the same command finishes from: the profile file is
replaced only once staging holds the rows it describes, the fill empties what it writes before
loading, and the history gains a line only when a run got that far.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paritygen.db import resolve_url
from paritygen.errors import (
    ExitStatus,
    ParitygenError,
    SchemaMismatch,
    UnsafeTarget,
    safe_url,
)
from paritygen.files import write_atomic
from paritygen.jobs import history as hist
from paritygen.jobs.config import Job, job_name, render_path
from paritygen.jobs.events import JobLog, stage_notes
from paritygen.jobs.notify import notify_all
from paritygen.jobs.plan import (
    RefreshPlan,
    build_plan,
    job_rules,
    render_plan,
    target_rows,
    with_modes,
)
from paritygen.profile.counts import pinned_counts, with_counts
from paritygen.profile.model import Profile

SUMMARY_KIND = "paritygen-run-summary"
STATUS_EXIT = {
    "ok": ExitStatus.OK,
    "dry_run": ExitStatus.OK,
    "unverified": ExitStatus.OK,
    "parity_missed": ExitStatus.CHECK_FAILED,
    "error": ExitStatus.ERROR,
}


@dataclass
class RunState:
    """What the run found and did so far (the summary is made from it, whatever happened)."""

    job: Job
    started: dt.datetime
    clock: float
    status: str = "error"
    exit_code: int = int(ExitStatus.ERROR)
    plan: RefreshPlan | None = None
    profile: Profile | None = None
    digest: str | None = None
    filled: dict[str, dict[str, Any]] = field(default_factory=dict)
    parity: Any = None
    reports: list[str] = field(default_factory=list)
    history: str | None = None
    error: str | None = None
    captured: bool = False
    """Production was measured by this run (``reprofile: true``, or the job's first run, when
    the profile file does not exist yet): the capture becomes the profile file."""

    def summary(self) -> dict[str, Any]:
        """The run in one JSON-ready mapping (printed last, sent to webhooks and commands)."""
        tables: dict[str, dict[str, Any]] = {}
        if self.plan is not None:
            for t in self.plan.tables:
                staging = self.parity.staging.tables.get(t.name) if self._measured else None
                tables[t.name] = {
                    "mode": t.mode,
                    "production_rows": t.production_rows,
                    "expected_rows": t.expected_rows,
                    "rows": staging.row_count if staging else self.filled.get(t.name, {})
                    .get("rows"),
                    "bytes": _bytes(staging) if staging else None,
                    "seconds": self.filled.get(t.name, {}).get("seconds"),
                }  # fmt: skip
        written = [t for t in tables.values() if t["rows"] is not None]
        sizes = [t["bytes"] for t in written if t["bytes"] is not None]
        parity = self.parity
        return {
            "kind": SUMMARY_KIND,
            "job": job_name(self.job),
            "status": self.status,
            "exit_code": self.exit_code,
            "started_at": hist.utc_text(self.started),
            "seconds": round(time.monotonic() - self.clock, 3),
            "source": _safe(self.job.source),
            "target": _safe(self.job.target),
            "profile": str(self.job.profile_path),
            "profile_digest": self.digest,
            "reprofiled": self.captured,
            "verdict": parity.verdict() if parity is not None else None,
            "parity": {"passed": parity.passed, "counts": parity.counts()} if parity else None,
            "drift": self.plan.drift_lines if self.plan is not None else [],
            "emptied": [t.name for t in self.plan.tables if t.empties] if self.plan else [],
            "blocking": self.plan.blocking if self.plan is not None else [],
            "tables": tables,
            "rows": sum(t["rows"] for t in written),
            "bytes": sum(sizes) if sizes else None,
            "reports": self.reports,
            "history": self.history,
            "error": self.error,
        }

    @property
    def _measured(self) -> bool:
        return self.parity is not None and self.parity.staging is not None


def _bytes(table: Any) -> int | None:
    return None if table.data_bytes is None else table.data_bytes + (table.index_bytes or 0)


def _safe(url: str) -> str:
    try:
        return safe_url(resolve_url(url))
    except ParitygenError:
        return url if url.startswith("env:") else "(unreadable URL)"


def check_target(job: Job, *, force: bool) -> None:
    """Refuse a target not declared staging (unless forced) and a target that is the source."""
    if job.environment != "staging" and not force:
        said = f"environment: {job.environment}" if job.environment else "no environment"
        raise UnsafeTarget(
            f"job {job_name(job)} declares {said}; a job writes only to a target declared"
            " 'environment: staging' (add it to the job file, or pass --force)"
        )
    refuse_source_as_target(job.source, job.target)


def refuse_source_as_target(source: str, target: str) -> None:
    """Never write into production: same server and database, whatever the flags."""
    a, b = resolve_url(source), resolve_url(target)
    same_server = (a.get_backend_name(), a.host, a.port) == (b.get_backend_name(), b.host, b.port)
    if same_server and (a.database or "") == (b.database or ""):
        raise UnsafeTarget(
            f"the target {safe_url(b)} is the source itself; a job never writes into production"
        )


def run_job(
    job: Job,
    *,
    dry_run: bool = False,
    force: bool = False,
    log: JobLog | None = None,
    progress: bool | None = None,
    echo: Any = print,
) -> dict[str, Any]:
    """Run *job* once (module docstring); returns the summary. Expected failures end as a
    summary with status ``error`` (and are re-raised by the CLI as one line and exit 2)."""
    log = log or JobLog(job_name(job))
    state = RunState(job=job, started=dt.datetime.now(dt.UTC), clock=time.monotonic())
    with stage_notes(log):
        try:
            _run(state, log, dry_run=dry_run, force=force, progress=progress, echo=echo)
        except ParitygenError as exc:
            locked = exc.exit_status == ExitStatus.LOCKED
            state.status, state.exit_code = "locked" if locked else "error", int(exc.exit_status)
            state.error = str(exc)
            log.error("failed", str(exc))
        except KeyboardInterrupt:
            state.status, state.exit_code = "error", int(ExitStatus.INTERRUPTED)
            state.error = "interrupted"
            log.error("failed", "interrupted")
        except Exception as exc:  # a defect: still said and notified, then raised for --debug
            state.error = f"unexpected {exc.__class__.__name__}: {exc}"
            log.error("failed", state.error)
            if not dry_run:
                notify_all(job.notify, state.summary(), log)
            raise
        if state.status == "error" and not dry_run:
            _record_failure(state, log)
        summary = state.summary()
        if not dry_run:
            notify_all(job.notify, summary, log)
    return summary


def _record_failure(state: RunState, log: JobLog) -> None:
    """A run that measured production and then failed still records production's figures
    (verdict ``error``): the growth is real even when staging could not follow it. Only for a
    fresh capture: a reused profile's figures are not a new observation."""
    job = state.job
    if not state.captured or state.profile is None or job.history_path is None:
        return
    modes = {t.name: t.mode for t in state.plan.tables} if state.plan is not None else {}
    record = hist.HistoryRecord(
        time=hist.utc_text(state.started), job=job_name(job), verdict="error",
        profile_digest=state.digest or "", captured_at=state.profile.source.captured_at,
        scale=job.scale, seconds=round(time.monotonic() - state.clock, 3),
        tables=hist.volumes(state.profile, None, modes, {}),
    )  # fmt: skip
    try:
        hist.append_record(job.history_path, record)
        state.history = str(job.history_path)
    except ParitygenError as exc:
        log.warning("history", str(exc))


def _run(
    state: RunState, log: JobLog, *, dry_run: bool, force: bool, progress: bool | None, echo: Any
) -> None:
    job = state.job
    check_target(job, force=force)
    with contextlib.ExitStack() as stack:
        if not dry_run:
            stack.enter_context(hold_target(job, log))
        _steps(state, log, dry_run=dry_run, progress=progress, echo=echo)


def _steps(
    state: RunState, log: JobLog, *, dry_run: bool, progress: bool | None, echo: Any
) -> None:
    job = state.job
    state.captured = job.reprofile or not job.profile_path.exists()
    previous, profile, now = _profiles(job, log, capture=state.captured)
    # Production as it is now (the history's and the summary's figures); staging's volumes
    # follow it through pinned counts, the statistics staying the reused profile's.
    measured = profile
    if now:  # counted now: a measurement of its own in the history, at the run's start
        measured = with_counts(profile, now)
        source = dataclasses.replace(measured.source, captured_at=hist.utc_text(state.started))
        measured = dataclasses.replace(measured, source=source)
    state.profile, state.digest = measured, hist.profile_digest(measured)
    profile = job_rules(job, profile)
    if now:
        profile = pinned_counts(profile, now, job.scale)
    present = target_rows(job.target)
    plan = build_plan(job, profile, previous, present, reprofiled=state.captured)
    if now:  # production's rows as counted now, not as the reused profile had them
        plan = dataclasses.replace(plan, tables=[
            dataclasses.replace(t, production_rows=now.get(t.name, t.production_rows))
            for t in plan.tables
        ])  # fmt: skip
    profile = with_modes(profile, {t.name: t.mode for t in plan.tables})
    plan.blocking.extend(_blocking_drift(job, profile, plan, present))
    state.plan = plan
    for line in plan.drift_lines:
        log.warning("drift", line)
    for note in plan.notes:
        log.info("plan", note)
    if dry_run:
        if echo is not None:
            echo(render_plan(plan, dry_run=True).rstrip("\n"))
        state.status = "dry_run" if not plan.blocking else "error"
        state.exit_code = int(STATUS_EXIT[state.status])
        if plan.blocking:
            state.error = f"the run would stop: {'; '.join(plan.blocking)}"
        return
    if plan.blocking:
        raise SchemaMismatch(
            f"production's schema changed in ways staging cannot take, nothing was written:"
            f" {'; '.join(plan.blocking)} (migrate staging, then rerun)"
        )
    emptied = [t.name for t in plan.tables if t.empties]
    log.info(
        "plan",
        f"writing {len(plan.written)} table(s), emptying first: {', '.join(emptied) or 'nothing'}",
        tables=plan.written,
        emptied=emptied,
    )
    _fill(state, profile, plan, log, progress)
    if state.captured:
        _keep_capture(job, state.profile, previous)
    _verify(state, profile, plan, log, progress)
    _reports(state, profile, log)
    _history(state, plan)
    if state.history and any(r.kind == "growth" for r in job.reports):
        _growth_reports(state, log)


@contextlib.contextmanager
def hold_target(job: Job, log: JobLog) -> Iterator[None]:
    """The run stage's lock on the target, taken before production is measured and held to the
    end of the run, so a second job exits 3 at once, having read nothing; the fill's own
    :class:`~paritygen.run.stage.TargetRun` takes the same lock again in this process. The
    target's identity is asked of its server here too, and a target that is the source refused
    before anything else happens."""
    from paritygen.db import make_engine
    from paritygen.profile.identity import server_identity
    from paritygen.profile.run import read_only_engine, read_only_url
    from paritygen.run.guard import refuse_source
    from paritygen.run.lock import TargetLock
    from paritygen.run.state import read_state

    url = resolve_url(job.target)
    if read_only_url(url) is not url and not Path(url.database or "").is_file():
        yield  # a database file the fill creates: nothing anyone could hold yet
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            identity = server_identity(conn)
        source = read_only_engine(job.source)
        try:
            with source.connect() as conn:
                source_identity = server_identity(conn)
        finally:
            source.dispose()
        refuse_source(identity, url, None, source_identity)

        def holder() -> str:
            previous = read_state(engine)
            if previous is None or previous.status != "running":
                return "holder not yet recorded"
            return previous.holder.describe()

        lock = TargetLock(engine, identity)
        lock.acquire(holder=holder)
        log.info("lock", f"holding {safe_url(url)} for this run")
        try:
            yield
        finally:
            lock.release()
    finally:
        engine.dispose()


def _profiles(
    job: Job, log: JobLog, *, capture: bool
) -> tuple[Profile | None, Profile, dict[str, int] | None]:
    """(the previous profile, the one this run fills staging from, production's rows now when
    the profile is reused). With *capture* production is measured now: every run with
    ``reprofile: true``, and a job's first run when its profile file does not exist yet (the
    minimal job works as written; the capture is kept at the profile's path once staging holds
    it)."""
    from paritygen.profile.io import read_profile

    path = job.profile_path
    if not capture:
        profile = read_profile(path)
        prev = job.previous_profile_path
        previous = read_profile(prev) if prev.exists() else None
        log.info("profile", f"reusing {path}: {len(profile.tables)} tables,"
                 f" {sum(t.row_count for t in profile.tables.values()):,} rows")  # fmt: skip
        return previous, profile, _current_rows(job, profile, log)
    if not job.reprofile:
        log.info("profile", f"{path} does not exist yet: measuring the source (first run);"
                 " the profile is kept there once staging is filled")  # fmt: skip
    from paritygen.profile.run import profile_database

    previous = read_profile(path) if path.exists() else None
    began = time.monotonic()
    notes: list[str] = []
    options = job.profiling
    profile = profile_database(
        job.source,
        schema=options.schema,
        tables=list(options.tables) or None,
        exclude=list(options.exclude),
        sample_rows=options.sample_rows,
        min_group_size=options.min_group_size,
        estimate_rows=options.estimate_rows,
        progress=False,
        rules=previous.rules if previous is not None else None,
        notes=notes,
    )
    for note in notes:
        log.info("profile", note)
    rows = sum(t.row_count for t in profile.tables.values())
    log.info(
        "profile",
        f"measured the source: {len(profile.tables)} tables, {rows:,} rows"
        f" in {time.monotonic() - began:.1f} s",
        tables=len(profile.tables),
        rows=rows,
    )
    return previous, profile, None


def _current_rows(job: Job, profile: Profile, log: JobLog) -> dict[str, int]:
    """Production's rows of now for a reused profile (read-only counts): staging keeps
    production's quantity and the history records its growth, while the distributions stay the
    profile's (``reprofile: true`` measures those again)."""
    from paritygen.profile.counts import source_row_counts
    from paritygen.profile.run import read_only_engine

    engine = read_only_engine(job.source)
    try:
        counts = source_row_counts(
            engine, list(profile.tables), schema=job.profiling.schema,
            estimate=job.profiling.estimate_rows,
        )  # fmt: skip
    finally:
        engine.dispose()
    changed = {n: (profile.tables[n].row_count, rows) for n, rows in counts.items()
               if rows != profile.tables[n].row_count}  # fmt: skip
    if changed:
        before = sum(old for old, _ in changed.values())
        after = sum(new for _, new in changed.values())
        detail = ", ".join(f"{name} {old:,} -> {new:,}" for name, (old, new) in changed.items())
        log.info("profile", f"production's rows now: {before:,} -> {after:,} in"
                 f" {len(changed)} table(s) since the profile was taken ({detail})",
                 tables=len(changed), rows_before=before, rows_now=after)  # fmt: skip
    return counts


def _blocking_drift(
    job: Job, profile: Profile, plan: RefreshPlan, present: dict[str, int]
) -> list[str]:
    """Column differences between the target's tables and the profile, for the tables the run
    writes and the target holds: production's migrations staging has not had. Table-level
    differences (keys or constraints missing) are left to the run stage, which tells an
    interrupted run's debris (it drops it) from a real mismatch (it stops, before writing too);
    a table staging lacks is created by it."""
    from paritygen.profile.run import read_only_engine
    from paritygen.writers.schema_diff import compare_schema

    lower = {name.lower() for name in present}
    there = [n for n in plan.written if n.lower() in lower]
    if not there:
        return []  # nothing there yet: the run creates every table it writes
    # A table staging lacks (new in production) is drift staging can take: the fill creates it
    # (the run stage's ``auto`` mode), named in the plan's notes.
    missing = [n for n in plan.written if n.lower() not in lower]
    if missing:
        plan.notes.append(
            f"created in staging by this run (it lacks them): {', '.join(missing)}"
        )
    engine = read_only_engine(job.target)
    try:
        differences = compare_schema(engine, profile, there)
    finally:
        engine.dispose()
    return [line for line in differences if any(line.startswith(f"{n}.") for n in there)]


def _fill(
    state: RunState, profile: Profile, plan: RefreshPlan, log: JobLog, progress: bool | None
) -> None:
    """Write every ``generate`` / ``mask`` table through the run stage: ``paritygen generate``'s
    code when nothing is masked, ``paritygen mask``'s (which also generates, with FKs remapped
    onto the copied parents) when something is."""
    job = state.job
    written = plan.written
    if not written:
        log.info("fill", "no table to write")
        return
    began = time.monotonic()
    modes = {t.name: t.mode for t in plan.tables}
    log.modes = modes  # named in the line logged as each table is filled
    if plan.names("mask"):
        from paritygen.mask.rules import RulesFile
        from paritygen.mask.run import mask_database

        summary = mask_database(
            job.source,
            job.target,
            profile=profile,
            rules=RulesFile(tables={name: {"mode": modes[name]} for name in written}),
            key_env=job.mask_key_env,
            tables=written,
            schema_mode="auto",
            if_exists="truncate",
            allow_production_name=job.allow_production_name,
            progress=progress,
            chunk_rows=job.chunk_rows,
            seed=job.seed,
        )
    else:
        from paritygen.run.generate import generate_database

        summary = generate_database(
            profile,
            job.target,
            scale=job.scale,
            seed=job.seed,
            tables=written,
            schema_mode="auto",
            if_exists="truncate",
            progress=progress,
            chunk_rows=job.chunk_rows,
            allow_production_name=job.allow_production_name,
            source=job.source,  # refused as a target by server identity, whatever the job says
        )
    for name, table in summary.tables.items():
        state.filled[name] = {"rows": table.rows, "seconds": round(table.seconds, 3)}
        if name in log.filled:
            continue  # logged as its rows went in
        log.info(  # a table copied outside the run stage's load (mask's pass-through)
            "fill",
            f"{name} ({modes[name]}): {table.rows:,} rows in {table.seconds:.2f} s",
            table=name,
            mode=modes[name],
            rows=table.rows,
            seconds=round(table.seconds, 3),
        )
    log.info("fill", f"wrote {summary.rows:,} rows in {len(summary.tables)} table(s) in"
             f" {time.monotonic() - began:.1f} s", rows=summary.rows)  # fmt: skip


def _keep_capture(job: Job, capture: Profile | None, previous: Profile | None) -> None:
    """Staging now holds what *capture* describes: it becomes the profile, the one it replaces
    is kept beside it (``shop.prev.yaml``) for ``paritygen diff``."""
    from paritygen.profile.io import dumps, write_profile

    if capture is None:
        return
    path = job.profile_path
    if previous is not None:
        fmt = "json" if path.suffix.lower() == ".json" else "yaml"
        write_atomic(job.previous_profile_path, dumps(previous, fmt))
    write_profile(capture, path)


def _verify(
    state: RunState, profile: Profile, plan: RefreshPlan, log: JobLog, progress: bool | None
) -> None:
    job = state.job
    if not job.verify.enabled or not plan.written:
        state.status, state.exit_code = "unverified", int(ExitStatus.OK)
        log.info("verify", "skipped (verify: false)" if not job.verify.enabled
                 else "nothing written to verify")  # fmt: skip
        return
    from paritygen.verify.compare import verify_database
    from paritygen.verify.tolerances import read_tolerances, tolerances_from_dict

    tolerances = job.verify.tolerances
    if isinstance(tolerances, str):
        bars = read_tolerances(job.path(tolerances))
    else:
        bars = tolerances_from_dict(tolerances, "verify.tolerances")
    began = time.monotonic()
    parity = verify_database(
        profile,
        job.target,
        tolerances=bars,
        sample_rows=job.verify.sample_rows,
        source=job.source if job.verify.pii_check else None,
        progress=False if progress is None else progress,
        scale=job.scale,
        tables=plan.written,
    )
    state.parity = parity
    state.status = "ok" if parity.passed else "parity_missed"
    state.exit_code = int(STATUS_EXIT[state.status])
    for miss in parity.misses[:10]:
        log.warning(
            "verify",
            f"{miss.target}: {miss.measure} {miss.value:.4g} > {miss.bar:.4g}",
            table=miss.table,
            column=miss.column,
            measure=miss.measure,
        )
    log.info(
        "verify",
        f"{parity.verdict()} ({time.monotonic() - began:.1f} s)",
        in_parity=parity.passed,
        measures=parity.counts(),
    )


def _reports(state: RunState, profile: Profile, log: JobLog) -> None:
    from paritygen.verify.report import write_report

    job = state.job
    for report in job.reports:
        if report.kind != "parity":
            continue
        path = render_path(job, report.path, state.started)
        write_report(profile, state.parity, report.resolved_format, path, name=job_name(job))
        state.reports.append(str(path))
        log.info("report", f"wrote {report.resolved_format} report -> {path}", path=str(path))


def _history(state: RunState, plan: RefreshPlan) -> None:
    job = state.job
    path = job.history_path
    if path is None or state.profile is None:
        return
    verdict = {"ok": "pass", "parity_missed": "fail", "unverified": "unverified"}[state.status]
    staging = state.parity.staging if state.parity is not None else None
    record = hist.HistoryRecord(
        time=hist.utc_text(state.started),
        job=job_name(job),
        verdict=verdict,
        profile_digest=state.digest or "",
        captured_at=state.profile.source.captured_at,
        scale=job.scale,
        seconds=round(time.monotonic() - state.clock, 3),
        tables=hist.volumes(
            state.profile, staging, {t.name: t.mode for t in plan.tables},
            {name: done["rows"] for name, done in state.filled.items()},
        ),
    )  # fmt: skip
    hist.append_record(path, record)
    state.history = str(path)


def _growth_reports(state: RunState, log: JobLog) -> None:
    from paritygen.jobs.growth import write_growth

    job = state.job
    for report in job.reports:
        if report.kind != "growth":
            continue
        path = render_path(job, report.path, state.started)
        write_growth(state.history or "", report.resolved_format, path)
        state.reports.append(str(path))
        log.info(
            "report", f"wrote {report.resolved_format} growth report -> {path}", path=str(path)
        )


def render_summary(summary: dict[str, Any]) -> str:
    """The last lines of a run, for people: per table, totals, verdict and exit code."""
    lines = [f"job {summary['job']}: {summary['status'].replace('_', ' ')}"
             f" in {summary['seconds']:.1f} s (exit {summary['exit_code']})"]  # fmt: skip
    tables = summary["tables"]
    if tables:
        width = max(len(name) for name in tables)
        lines.append(f"{'table':<{width}}  {'mode':<8}  {'production rows':>15}  {'rows':>12}"
                     f"  {'bytes':>10}  {'seconds':>8}")  # fmt: skip
        from paritygen.verify.report import human_bytes

        for name, t in tables.items():
            rows = "–" if t["rows"] is None else f"{t['rows']:,}"
            secs = "–" if t["seconds"] is None else f"{t['seconds']:.2f}"
            lines.append(f"{name:<{width}}  {t['mode']:<8}  {t['production_rows']:>15,}"
                         f"  {rows:>12}  {human_bytes(t['bytes']):>10}  {secs:>8}")  # fmt: skip
        total_bytes = human_bytes(summary["bytes"])
        lines.append(f"{'total':<{width}}  {'':<8}  {'':>15}  {summary['rows']:>12,}"
                     f"  {total_bytes:>10}")  # fmt: skip
    if summary["verdict"]:
        lines.append(summary["verdict"])
    for path in summary["reports"]:
        lines.append(f"report: {path}")
    if summary["history"]:
        lines.append(f"history: {summary['history']}")
    if summary["error"]:
        lines.append(f"error: {summary['error']}")
    return "\n".join(lines) + "\n"
