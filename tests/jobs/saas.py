"""A small multi-tenant SaaS "production" (about 2,300 rows) that grows and migrates like one.

Tenants of very different sizes (a Zipf spread: one tenant holds a third of the users), users with
e-mail addresses, projects, tasks with an optional assignee and a done date after the creation
date, and a feature-flag lookup table staging keeps for itself. :func:`grow` adds a month of
activity, :func:`add_column` is the migration production gets before staging does. Built with
SQLAlchemy Core, so PostgreSQL and MariaDB hold the same schema and rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa

TENANTS, USERS, PROJECTS, TASKS = 12, 300, 60, 1500
PLANS = ("free", "team", "business", "enterprise")
ROLES = ("owner", "admin", "member", "guest")
STATES = ("open", "doing", "review", "done")
START = dt.datetime(2025, 1, 1)


def saas_metadata() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "tenants", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("plan", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "users", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "projects", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    )  # fmt: skip
    sa.Table(
        "tasks", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("estimate_hours", sa.Numeric(6, 1)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="ck_tasks_priority"),
    )  # fmt: skip
    sa.Table(
        "feature_flags", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
    )  # fmt: skip
    return md


def _zipf_parents(rng: np.random.Generator, parents: np.ndarray, n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, parents.size + 1) ** 1.1
    return rng.choice(parents, size=n, p=weights / weights.sum())


def _users(rng: np.random.Generator, ids: np.ndarray, tenants: np.ndarray) -> list[dict]:
    owners = _zipf_parents(rng, tenants, ids.size)
    roles = rng.choice(ROLES, size=ids.size, p=[0.05, 0.15, 0.6, 0.2])
    return [
        {"id": int(i), "tenant_id": int(t), "email": f"user{int(i)}.{rng.integers(1e6)}@acme.io",
         "role": str(r), "created_at": START + dt.timedelta(hours=int(i) * 7)}
        for i, t, r in zip(ids, owners, roles, strict=True)
    ]  # fmt: skip


def _tasks(
    rng: np.random.Generator, ids: np.ndarray, projects: np.ndarray, users: np.ndarray
) -> list[dict]:
    owners = _zipf_parents(rng, projects, ids.size)
    assignees = rng.choice(users, size=ids.size)
    unassigned = rng.random(ids.size) < 0.2
    priority = rng.choice([1, 2, 3, 4, 5], size=ids.size, p=[0.05, 0.15, 0.5, 0.2, 0.1])
    state = rng.choice(STATES, size=ids.size, p=[0.3, 0.2, 0.1, 0.4])
    estimate = np.round(rng.gamma(2.0, 3.0, size=ids.size), 1)
    no_estimate = rng.random(ids.size) < 0.3
    return [
        {"id": int(i), "project_id": int(p), "assignee_id": None if u_none else int(u),
         "priority": int(pr), "state": str(s), "estimate_hours": None if e_none else float(e),
         "created_at": START + dt.timedelta(minutes=int(i) * 97)}
        for i, p, u, u_none, pr, s, e, e_none in zip(
            ids, owners, assignees, unassigned, priority, state, estimate, no_estimate, strict=True
        )
    ]  # fmt: skip


def build_saas(url: str, seed: int = 11) -> dict[str, int]:
    """Create and fill the schema at *url*; rows per table."""
    rng = np.random.default_rng(seed)
    md = saas_metadata()
    engine = sa.create_engine(url)
    tenants = np.arange(1, TENANTS + 1)
    users = np.arange(1, USERS + 1)
    projects = np.arange(1, PROJECTS + 1)
    try:
        md.create_all(engine)
        with engine.begin() as conn:
            conn.execute(md.tables["tenants"].insert(), [
                {"id": int(t), "slug": f"tenant-{int(t)}", "plan": PLANS[int(t) % 4],
                 "created_at": START + dt.timedelta(days=int(t))} for t in tenants
            ])  # fmt: skip
            conn.execute(md.tables["users"].insert(), _users(rng, users, tenants))
            conn.execute(md.tables["projects"].insert(), [
                {"id": int(p), "tenant_id": int(t), "name": f"Project {int(p)}",
                 "archived": bool(rng.random() < 0.1)}
                for p, t in zip(projects, _zipf_parents(rng, tenants, projects.size), strict=True)
            ])  # fmt: skip
            conn.execute(md.tables["tasks"].insert(),
                         _tasks(rng, np.arange(1, TASKS + 1), projects, users))  # fmt: skip
            conn.execute(md.tables["feature_flags"].insert(), [
                {"id": i, "name": f"flag_{i}", "enabled": i % 2 == 0} for i in range(1, 9)
            ])  # fmt: skip
    finally:
        engine.dispose()
    return counts(url)


def grow(url: str, users: int = 60, tasks: int = 400, seed: int = 12) -> dict[str, int]:
    """A month of activity: new users and tasks after the existing ones; rows per table."""
    rng = np.random.default_rng(seed)
    md = sa.MetaData()
    engine = sa.create_engine(url)
    try:
        md.reflect(engine, only=["tenants", "users", "projects", "tasks"])
        with engine.begin() as conn:
            top_user = conn.execute(sa.select(sa.func.max(md.tables["users"].c.id))).scalar_one()
            top_task = conn.execute(sa.select(sa.func.max(md.tables["tasks"].c.id))).scalar_one()
            tenants = np.arange(1, TENANTS + 1)
            new_users = np.arange(top_user + 1, top_user + users + 1)
            conn.execute(md.tables["users"].insert(), _users(rng, new_users, tenants))
            all_users = np.arange(1, top_user + users + 1)
            new_tasks = np.arange(top_task + 1, top_task + tasks + 1)
            conn.execute(md.tables["tasks"].insert(),
                         _tasks(rng, new_tasks, np.arange(1, PROJECTS + 1), all_users))  # fmt: skip
    finally:
        engine.dispose()
    return counts(url)


def add_column(url: str) -> None:
    """Production's migration: tasks gain a nullable ``label`` column."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE tasks ADD COLUMN label VARCHAR(20)"))
    finally:
        engine.dispose()


def add_table(url: str) -> None:
    """Production's other migration: a new ``audit_events`` table with a few rows."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE audit_events (id INTEGER PRIMARY KEY, what VARCHAR(20) NOT NULL)"
                )
            )
            conn.execute(sa.text("INSERT INTO audit_events VALUES (1, 'login'), (2, 'logout')"))
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    """Rows per table (the run stage's own state table left out)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names() if n != "_paritygen_run"]
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(sa.table(name))
                ).scalar_one()
                for name in names
                if not name.startswith("_paritygen")
            }
    finally:
        engine.dispose()
