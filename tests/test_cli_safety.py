"""Safety at the command line: production-looking targets, secrets, one-line errors."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from paritygen.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO_PROFILE = ROOT / "profiles" / "demo-shop.yaml"


@pytest.mark.parametrize(
    "target",
    [
        "sqlite:///{tmp}/shop_production.sqlite",
        "postgresql://loader:s3cret-pw@prod-db.example.com:5432/shop",
        "mysql://root:s3cret-pw@10.0.0.1:3306/live",
    ],
)
def test_generate_refuses_a_production_looking_target(tmp_path: Path, target: str) -> None:
    url = target.format(tmp=tmp_path)
    result = CliRunner().invoke(cli, ["generate", str(DEMO_PROFILE), "--target", url])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "looks like production" in lines[0]
    assert "s3cret-pw" not in result.output
    assert not (tmp_path / "shop_production.sqlite").exists()  # nothing created


def test_generate_into_a_production_name_when_insisted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prod.sqlite"
    result = CliRunner().invoke(
        cli,
        ["generate", str(DEMO_PROFILE), "--target", url, "--scale", "0.01",
         "--allow-production-name", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "prod.sqlite").exists()


def test_unreachable_database_is_one_line_without_password() -> None:
    result = CliRunner().invoke(
        cli,
        ["generate", str(DEMO_PROFILE), "--target",
         "postgresql://u:hunter2-secret@127.0.0.1:1/staging"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "hunter2-secret" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "cannot connect" in result.output


def test_console_entry_point_flushes_output_and_keeps_exit_codes(tmp_path: Path) -> None:
    """main() leaves through os._exit: output must still arrive whole, codes unchanged."""
    import subprocess
    import sys

    run = [sys.executable, "-m", "paritygen.cli"]
    ok = subprocess.run([*run, "--version"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "paritygen, version" in ok.stdout
    bad = subprocess.run(
        [*run, "generate", str(tmp_path / "missing.yaml"), "--target", "sqlite:///x.sqlite"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "no such profile file" in bad.stderr
    listing = subprocess.run(
        [*run, "verify", str(DEMO_PROFILE), "--target", str(tmp_path / "none.sqlite")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert listing.returncode == 2 and "Traceback" not in listing.stderr
