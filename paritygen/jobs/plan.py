"""What a refresh will do, decided before anything is written: the plan ``--dry-run`` prints.

Per table: its mode, production's rows, the rows and bytes staging will hold, what the target
holds now and whether the run empties it. Beside it, production's drift since the last capture
(from :func:`paritygen.verify.diff.diff_profiles`) and the drift staging cannot take: a table the
run writes whose columns in staging no longer match production's (a column added, dropped or
retyped by a migration staging has not had). Such drift stops the run before it writes, naming
each difference, because loading into the old shape would fail half-way or silently drop data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from paritygen.db import describe_db_error, resolve_url
from paritygen.errors import ConfigError, ConnectionFailed, safe_url
from paritygen.files import read_yaml
from paritygen.jobs.config import Job
from paritygen.profile.model import Profile, Rules
from paritygen.verify.compare import expected_rows
from paritygen.verify.report import human_bytes

WRITTEN = ("generate", "mask")
"""Modes whose tables the run empties and fills."""


@dataclass(frozen=True)
class TablePlan:
    """One table in the plan."""

    name: str
    mode: str
    production_rows: int
    production_bytes: int | None
    expected_rows: int | None
    """Rows staging holds after the run (None: the run does not write the table)."""
    expected_bytes: int | None
    target_rows: int | None
    """Rows the target holds now (None: no such table there yet)."""

    @property
    def empties(self) -> bool:
        return self.mode in WRITTEN and bool(self.target_rows)


@dataclass(frozen=True)
class RefreshPlan:
    """The whole plan: tables, drift, and what stops the run."""

    job: str
    source: str
    target: str
    profile: str
    reprofiled: bool
    tables: list[TablePlan]
    drift: dict[str, Any] | None = None
    drift_lines: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def names(self, *modes: str) -> list[str]:
        return [t.name for t in self.tables if t.mode in modes]

    @property
    def written(self) -> list[str]:
        return self.names(*WRITTEN)


_RULES = TypeAdapter(Rules)


def job_rules(job: Job, profile: Profile) -> Profile:
    """*profile* with the job's ``rules`` merged over its own (a job's table rule replaces the
    profile's rule for that table), checked against the profile's tables and columns."""
    if job.rules is None:
        return profile
    origin = "rules"
    data = job.rules
    if isinstance(data, str):
        path = job.path(data)
        origin = str(path)
        data = read_yaml(path, "rules file")
        if isinstance(data, dict) and "rules" in data and "tables" not in data:
            data = data["rules"]  # a file holding a whole profile-style "rules:" section
    try:
        rules = _RULES.validate_python(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function", "[")))
        raise ConfigError(f"{origin}: {where or '(top level)'}: {first['msg']}") from None
    for tname, rule in rules.tables.items():
        if tname not in profile.tables:
            raise ConfigError(f"{origin}: tables.{tname}: no such table in the profile")
        for cname in rule.columns:
            if cname not in profile.tables[tname].columns:
                raise ConfigError(f"{origin}: tables.{tname}.columns.{cname}: no such column")
    merged = {**profile.rules.tables, **rules.tables}
    return replace(profile, rules=replace(profile.rules, tables=merged))


def table_modes(job: Job, profile: Profile) -> dict[str, str]:
    """Every profiled table's mode: the job's per-table mode, else the profile rule's mode when
    it is not the default, else the job's mode."""
    unknown = sorted(set(job.tables) - set(profile.tables))
    if unknown:
        raise ConfigError(
            f"tables.{unknown[0]}: no such table in the profile {job.profile}"
            f" (it has: {', '.join(list(profile.tables)[:12])})"
        )
    modes = {}
    for name in profile.tables:
        chosen = job.tables.get(name)
        rule_mode = profile.table_rule(name).mode
        modes[name] = (
            chosen.mode if chosen else (rule_mode if rule_mode != "generate" else job.mode)
        )
    return modes


def with_modes(profile: Profile, modes: dict[str, str]) -> Profile:
    """*profile* with each table's rule set to its mode in this run, as the run stage reads it:
    ``keep`` tables are ``skip`` to it (never touched), and a masked table holds production's
    rows at any scale (``fixed``), which is what verify then expects."""
    tables = {}
    for name, mode in modes.items():
        rule = profile.table_rule(name)
        staged = "skip" if mode == "keep" else mode
        tables[name] = replace(rule, mode=staged, fixed=rule.fixed or mode == "mask")
    return replace(profile, rules=replace(profile.rules, tables=tables))


def target_rows(target: str) -> dict[str, int]:
    """Rows per table in the target now, read-only; an absent database file holds nothing."""
    from paritygen.profile.run import read_only_engine, read_only_url

    resolved = resolve_url(target)
    if read_only_url(resolved) is not resolved and not Path(resolved.database or "").is_file():
        return {}  # a file database the first run will create
    engine = read_only_engine(resolved)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name)))
                          .scalar_one())
                for name in names
            }  # fmt: skip
    except sa.exc.DBAPIError as exc:
        raise ConnectionFailed(
            f"cannot read the target {safe_url(resolved)}: {describe_db_error(exc)}"
        ) from None
    finally:
        engine.dispose()


def _bytes(profile: Profile, name: str) -> int | None:
    table = profile.tables[name]
    return None if table.data_bytes is None else table.data_bytes + (table.index_bytes or 0)


def build_plan(
    job: Job,
    profile: Profile,
    previous: Profile | None,
    present: dict[str, int],
    *,
    reprofiled: bool,
    blocking: list[str] | None = None,
) -> RefreshPlan:
    """The plan for *profile* against a target holding *present* (rows per table)."""
    from paritygen.verify.diff import diff_profiles

    modes = table_modes(job, profile)
    lower = {name.lower(): rows for name, rows in present.items()}
    tables = []
    for name, table in profile.tables.items():
        mode = modes[name]
        rows = expected_rows(profile, name, 1.0 if mode == "mask" else job.scale)
        size = _bytes(profile, name)
        written = mode in WRITTEN
        tables.append(TablePlan(
            name=name, mode=mode, production_rows=table.row_count, production_bytes=size,
            expected_rows=rows if written else None,
            expected_bytes=round(size * rows / table.row_count)
            if written and size is not None and table.row_count else (0 if written else None),
            target_rows=lower.get(name.lower()),
        ))  # fmt: skip
    drift = diff_profiles(previous, profile) if previous is not None else None
    plan = RefreshPlan(
        job=job.name or "job",
        source=safe_url(resolve_url(job.source)),
        target=safe_url(resolve_url(job.target)),
        profile=str(job.profile_path),
        reprofiled=reprofiled,
        tables=tables,
        drift=drift,
        drift_lines=drift_lines(drift) if drift else [],
        blocking=list(blocking or []),
    )
    plan.notes.extend(_notes(plan, profile))
    return plan


def drift_lines(drift: dict[str, Any]) -> list[str]:
    """Production's schema changes since the last capture, one line each, and the growth."""
    lines = [f"new table {name}" for name in drift["tables_added"]]
    lines += [f"table {name} dropped" for name in drift["tables_dropped"]]
    moved = 0
    for entry in drift["tables"]:
        name = entry["table"]
        lines += [f"{name}: new column {c}" for c in entry["columns_added"]]
        lines += [f"{name}: column {c} dropped" for c in entry["columns_dropped"]]
        lines += [f"{name}: type of {c['column']}: {c['old']} -> {c['new']}"
                  for c in entry["type_changes"]]  # fmt: skip
        moved += len(entry["moved"])
    if moved:
        lines.append(
            f"{moved} distribution(s) moved past verify's bars (paritygen diff shows them)"
        )
    return lines


def _notes(plan: RefreshPlan, profile: Profile) -> list[str]:
    """What a careful user would want pointed out before a run."""
    notes = []
    modes = {t.name: t.mode for t in plan.tables}
    for table in plan.tables:
        if table.mode == "keep" and table.target_rows is None:
            notes.append(f"{table.name}: mode keep, but the target has no such table")
        if table.mode not in WRITTEN:
            continue
        for fk in profile.tables[table.name].foreign_keys:
            parent = modes.get(fk.ref_table)
            if parent in ("keep", "skip"):
                notes.append(
                    f"{table.name} references {fk.ref_table} (mode {parent}): its"
                    f" {', '.join(fk.columns)} values follow production's key range, so the"
                    f" target's {fk.ref_table} must hold those keys"
                )
    return notes


def render_plan(plan: RefreshPlan, *, dry_run: bool) -> str:
    """The plan for people: what is written, emptied, kept and skipped, and the drift."""
    verb = "would" if dry_run else "will"
    width = max([len(t.name) for t in plan.tables] + [5])
    lines = [
        f"job {plan.job}: {plan.source} -> {plan.target}",
        f"profile {plan.profile}" + (" (re-profiled now)" if plan.reprofiled else " (reused)"),
        "",
        f"{'table':<{width}}  {'mode':<8}  {'production rows':>15}  {'staging rows':>13}"
        f"  {'staging bytes':>13}  target now",
    ]
    for t in plan.tables:
        now = "absent" if t.target_rows is None else f"{t.target_rows:,} rows"
        if t.empties:
            now += f", {verb} be emptied"
        rows = "–" if t.expected_rows is None else f"{t.expected_rows:,}"
        size = "–" if t.expected_rows is None else human_bytes(t.expected_bytes)
        lines.append(
            f"{t.name:<{width}}  {t.mode:<8}  {t.production_rows:>15,}  {rows:>13}  {size:>13}"
            f"  {now}"
        )
    written = [t for t in plan.tables if t.expected_rows is not None]
    total_bytes = sum(t.expected_bytes or 0 for t in written)
    emptied = [t.name for t in plan.tables if t.empties]
    lines += [
        "",
        f"{verb} write {len(written)} table(s), {sum(t.expected_rows or 0 for t in written):,}"
        f" rows, about {human_bytes(total_bytes)}; {verb} empty first:"
        f" {', '.join(emptied) or 'nothing'}",
    ]
    kept = plan.names("keep")
    skipped = plan.names("skip")
    if kept:
        lines.append(f"left as they are (keep): {', '.join(kept)}")
    if skipped:
        lines.append(f"not in the run (skip): {', '.join(skipped)}")
    if plan.drift is not None:
        t = plan.drift["totals"]
        lines.append(f"since the last capture: {t['rows_old']:,} -> {t['rows_new']:,} rows")
        lines += [f"  drift: {line}" for line in plan.drift_lines]
    for note in plan.notes:
        lines.append(f"note: {note}")
    for problem in plan.blocking:
        lines.append(f"STOP: {problem}")
    return "\n".join(lines) + "\n"
