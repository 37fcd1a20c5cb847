"""A profile is data: SQL smuggled into a default, a CHECK or a generated expression creates
nothing on the target; the run goes on without them and says so."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from paritygen.cli import cli

from .saas import saas_profile

INJECTED = "'x'); CREATE TABLE pwned(i int); --"


def _poison(profile: Path) -> None:
    data = yaml.safe_load(profile.read_text())
    tenants = data["tables"]["tenants"]
    tenants["columns"]["plan"]["default"] = INJECTED
    tenants["checks"] = [{"name": "tenants_positive", "sqltext": "tenant_id > 0) ; CREATE TABLE"
                          " pwned(i int); SELECT (1"},  # fmt: skip
                         {"name": "sneaky", "sqltext": "tenant_id > (SELECT count(*) FROM users)"},
                         {"name": "sleepy", "sqltext": "pg_sleep(1) IS NOT NULL"},
                         {"name": "fine", "sqltext": "tenant_id < 1000000"}]  # fmt: skip
    users = data["tables"]["users"]
    users["columns"]["age"]["default"] = "1; DROP TABLE tenants"
    data["source"].pop("identity", None)  # the target is a different database anyway
    profile.write_text(yaml.safe_dump(data, sort_keys=False))


def test_hostile_profile_creates_nothing(db_url_pair: tuple[str, str], tmp_path: Path) -> None:
    source, target = db_url_pair
    profile = saas_profile(source, tmp_path)
    _poison(profile)
    result = CliRunner().invoke(cli, ["generate", str(profile), "--target", target,
                                      "--no-progress", "--seed", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "plan: default" in result.output and "dropped" in result.output
    engine = sa.create_engine(target)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert names == {"tenants", "users", "projects", "tasks", "_paritygen_run"}
        checks = {c["name"] for c in sa.inspect(engine).get_check_constraints("tenants")}
        assert not checks & {"sneaky", "sleepy", "tenants_positive"}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM tenants")).scalar_one() == 12
    finally:
        engine.dispose()
