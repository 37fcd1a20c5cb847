"""A small multi-tenant SaaS source (tenants, users, projects, tasks with a self-reference),
profiled into a file, and a checksum that proves a database was left untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from paritygen.profile.io import write_profile
from paritygen.profile.run import profile_database

TENANTS, USERS, PROJECTS, TASKS = 12, 150, 60, 400
COUNTS = {"tenants": TENANTS, "users": USERS, "projects": PROJECTS, "tasks": TASKS}


def build_saas(url: str) -> None:
    """Create and fill the source schema (portable DDL, one FK cycle-free self-reference)."""
    metadata = sa.MetaData()
    sa.Table("tenants", metadata, sa.Column("tenant_id", sa.Integer, primary_key=True,
             autoincrement=False), sa.Column("plan", sa.String(12), nullable=False,
             server_default="free"), sa.Column("name", sa.String(60), nullable=False),
             sa.CheckConstraint("tenant_id > 0", name="tenants_positive"))  # fmt: skip
    sa.Table("users", metadata, sa.Column("user_id", sa.Integer, primary_key=True,
             autoincrement=False), sa.Column("tenant_id", sa.ForeignKey("tenants.tenant_id"),
             nullable=False), sa.Column("email", sa.String(80), nullable=False, unique=True),
             sa.Column("age", sa.Integer),
             sa.CheckConstraint("age >= 18", name="adult"))  # fmt: skip
    sa.Table("projects", metadata, sa.Column("project_id", sa.Integer, primary_key=True,
             autoincrement=False), sa.Column("tenant_id", sa.ForeignKey("tenants.tenant_id"),
             nullable=False), sa.Column("title", sa.String(80), nullable=False))  # fmt: skip
    sa.Table("tasks", metadata, sa.Column("task_id", sa.Integer, primary_key=True,
             autoincrement=False), sa.Column("project_id", sa.ForeignKey("projects.project_id"),
             nullable=False), sa.Column("assignee_id", sa.ForeignKey("users.user_id")),
             sa.Column("parent_task_id", sa.ForeignKey("tasks.task_id")),
             sa.Column("points", sa.Integer, nullable=False),
             sa.Index("tasks_project_idx", "project_id"))  # fmt: skip
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    plans = ["free", "team", "enterprise"]
    with engine.begin() as conn:
        conn.execute(metadata.tables["tenants"].insert(), [
            {"tenant_id": i, "plan": plans[i % 3], "name": f"Tenant {i}"}
            for i in range(1, TENANTS + 1)])  # fmt: skip
        conn.execute(metadata.tables["users"].insert(), [
            {"user_id": i, "tenant_id": 1 + i % TENANTS, "email": f"user{i}@example.com",
             "age": None if i % 7 == 0 else 18 + i % 50} for i in range(1, USERS + 1)])  # fmt: skip
        conn.execute(metadata.tables["projects"].insert(), [
            {"project_id": i, "tenant_id": 1 + (i * 5) % TENANTS, "title": f"Project {i}"}
            for i in range(1, PROJECTS + 1)])  # fmt: skip
        conn.execute(metadata.tables["tasks"].insert(), [
            {"task_id": i, "project_id": 1 + (i * i) % PROJECTS,
             "assignee_id": None if i % 5 == 0 else 1 + (i * 3) % USERS,
             "parent_task_id": None if i < 20 or i % 3 else i - 10, "points": 1 + i % 8}
            for i in range(1, TASKS + 1)])  # fmt: skip
    engine.dispose()


TINY_PROFILE = """format: paritygen/1
source: {dialect: sqlite}
tables:
  t:
    name: t
    columns:
      id: {name: id, logical_type: integer, sql_type: integer, nullable: false}
    primary_key: [id]
    row_count: 10
"""
"""A one-table profile: reading it costs nothing, so the many refusal cases stay fast."""


def tiny_profile(folder: Path) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(TINY_PROFILE)
    return path


def saas_profile(url: str, folder: Path) -> Path:
    """Build the source at *url*, profile it, return the profile file."""
    build_saas(url)
    path = folder / "saas.yaml"
    write_profile(profile_database(url, progress=False), path)
    return path


def checksum(url: str) -> str:
    """A digest of every table's name, columns and rows (ordered): equal means untouched."""
    engine = sa.create_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for name in sorted(sa.inspect(conn).get_table_names()):
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                digest.update(f"{name}:{[c.name for c in table.columns]}".encode())
                for row in conn.execute(sa.select(table).order_by(*table.columns)):
                    digest.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


def table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
                for name in COUNTS
            }
    finally:
        engine.dispose()
