"""Validated inputs: --scale, the size check before writing, --create-database, --debug codes,
a one-line failure naming its table, and schema creation that is all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from paritygen.cli import cli

from .saas import saas_profile, tiny_profile

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_profile(tmp_path)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("scale", ["inf", "nan", "-1", "0", "1e300"])
def test_bad_scale_is_one_line_and_writes_nothing(scale: str, tmp_path: Path, tiny: Path) -> None:
    target = tmp_path / "staging.sqlite"
    code, output = invoke("generate", str(tiny), "--target", f"sqlite:///{target}",
                          "--scale", scale)  # fmt: skip
    assert code == 2, output
    assert "Traceback" not in output and "scale" in output.strip().splitlines()[-1]
    assert not target.exists()


def test_size_is_printed_and_limits_refuse_before_writing(tmp_path: Path, tiny: Path) -> None:
    target = tmp_path / "staging.sqlite"
    code, output = invoke("generate", str(PROFILE), "--target", f"sqlite:///{target}",
                          "--scale", "10000")  # fmt: skip  (about 1.7 billion rows)
    assert code == 2 and "above --max-rows 100,000,000" in output and not target.exists()
    code, output = invoke("generate", str(tiny), "--target", f"sqlite:///{target}",
                          "--scale", "100", "--max-rows", "999")  # fmt: skip
    assert code == 2 and "1,000 rows, above --max-rows 999" in output and not target.exists()
    code, output = invoke("generate", str(tiny), "--target", f"sqlite:///{target}",
                          "--max-bytes", "500B")  # fmt: skip
    assert code == 2 and "above --max-bytes" in output and not target.exists()
    code, output = invoke("generate", str(tiny), "--target", f"sqlite:///{target}",
                          "--no-progress")  # fmt: skip
    assert code == 0, output
    assert "writing 10 rows in 1 table(s), about 1,000 B" in output


def test_debug_keeps_the_documented_exit_code(tmp_path: Path) -> None:
    code, output = invoke("--debug", "generate", str(PROFILE), "--target",
                          "postgresql://u@127.0.0.1:5432/shop_prod")  # fmt: skip
    assert code == 2 and "Traceback" in output and "looks like production" in output


def test_missing_database_is_named_and_created_on_request(tmp_path: Path, tiny: Path) -> None:
    from tests.conftest import DB_PREFIX, PG_ADMIN

    name = f"{DB_PREFIX}created_{tmp_path.name[-6:].lower()}"
    url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    code, output = invoke("generate", str(tiny), "--target", url, "--no-progress")
    assert code == 2 and "does not exist" in output and "--create-database" in output
    try:
        code, output = invoke("generate", str(tiny), "--target", url, "--no-progress",
                              "--create-database")  # fmt: skip
        assert code == 0, output
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 10
        engine.dispose()
    finally:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_schema_creation_is_all_or_nothing(db_url_pair: tuple[str, str], tmp_path: Path) -> None:
    """The last table's DDL fails on the server (a stored generated column over a function the
    database refuses there): no table of the run is left behind, on MariaDB too, whose DDL is
    not transactional."""
    import yaml

    source, target = db_url_pair
    profile = saas_profile(source, tmp_path)
    data = yaml.safe_load(profile.read_text())
    points = data["tables"]["tasks"]["columns"]["points"]
    points["generated"], points["generated_stored"] = "CURRENT_TIMESTAMP", True
    data["source"].pop("identity", None)
    profile.write_text(yaml.safe_dump(data, sort_keys=False))
    code, output = invoke("generate", str(profile), "--target", target, "--no-progress")
    assert code == 2, output
    lines = [line for line in output.strip().splitlines() if "error" in line]
    assert len(lines) == 1 and "creating tables failed" in lines[0], output
    engine = sa.create_engine(target)
    left = set(sa.inspect(engine).get_table_names()) - {"_paritygen_run"}
    engine.dispose()
    assert left == set(), left
