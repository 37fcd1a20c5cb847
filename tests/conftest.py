"""Shared fixtures: a fresh, private database per test on each real server.

Server tests skip with a clear reason when a server is not reachable, unless
``PARITYGEN_REQUIRE_SERVERS=1`` (set by ``.ci/run``), in which case they fail.
Override server locations with ``PARITYGEN_TEST_PG`` / ``PARITYGEN_TEST_MYSQL`` (admin URLs) and
the test databases' name prefix with ``PARITYGEN_TEST_DB_PREFIX`` (default ``pg_test_``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN = os.environ.get("PARITYGEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("PARITYGEN_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE = os.environ.get("PARITYGEN_REQUIRE_SERVERS") == "1"
# Every test database is named PREFIX + a random suffix, so parallel runs (and a shared server)
# never collide and leftovers are easy to find and drop.
DB_PREFIX = os.environ.get("PARITYGEN_TEST_DB_PREFIX", "pg_test_")

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
if not DATASETS.exists():  # CI clones next to a copy of shared/
    DATASETS = Path(os.environ.get("PARITYGEN_DATASETS", str(DATASETS)))

DIALECTS = ["sqlite", "postgresql", "mysql"]

_reachable: dict[str, str | None] = {}


def _server_problem(admin_url: str) -> str | None:
    """None when the server answers, else the reason (cached per session)."""
    if admin_url not in _reachable:
        try:
            engine = sa.create_engine(admin_url, connect_args=_connect_args(admin_url))
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            _reachable[admin_url] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _reachable[admin_url] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return _reachable[admin_url]


def _connect_args(url: str) -> dict:
    return {"local_infile": True} if "pymysql" in url else {}


def _require(admin_url: str, name: str) -> None:
    problem = _server_problem(admin_url)
    if problem is None:
        return
    message = f"{name} server not reachable at {admin_url}: {problem}"
    if REQUIRE:
        pytest.fail(f"{message} (PARITYGEN_REQUIRE_SERVERS=1)")
    pytest.skip(message)


def new_database(dialect: str, tmp_path: Path) -> Iterator[str]:
    """Create an empty database on *dialect* and yield its URL; drop it afterwards."""
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:12]}"
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.sqlite')}"
        return
    admin_url = PG_ADMIN if dialect == "postgresql" else MYSQL_ADMIN
    _require(admin_url, dialect)
    admin = sa.create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args=_connect_args(admin_url)
    )
    with admin.connect() as conn:
        if dialect == "postgresql":
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            if dialect == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database URL, once per dialect."""
    yield from new_database(request.param, tmp_path)


@pytest.fixture(params=DIALECTS)
def db_url_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh databases of the same dialect (source, target)."""
    src_dir = tmp_path / "src"
    dst_dir = tmp_path / "dst"
    src_dir.mkdir()
    dst_dir.mkdir()
    src = new_database(request.param, src_dir)
    dst = new_database(request.param, dst_dir)
    yield next(src), next(dst)
    for gen in (src, dst):
        next(gen, None)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    yield from new_database("postgresql", tmp_path)


@pytest.fixture
def mysql_url(tmp_path: Path) -> Iterator[str]:
    yield from new_database("mysql", tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield from new_database("sqlite", tmp_path)


@pytest.fixture
def chinook_sqlite(tmp_path: Path) -> Path:
    """A private copy of the Chinook SQLite database (the shared file is never written)."""
    src = DATASETS / "chinook" / "Chinook_Sqlite.sqlite"
    if not src.exists():
        message = f"Chinook dataset not found at {src}"
        if REQUIRE:
            pytest.fail(f"{message} (PARITYGEN_REQUIRE_SERVERS=1)")
        pytest.skip(message)
    dst = tmp_path / "chinook.sqlite"
    shutil.copyfile(src, dst)
    return dst
