"""Production is never written: the source refused by server identity under every flag and URL
form (source unchanged by checksum), production names refused wherever the URL names them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.run.guard import production_reason, url_names, user_patterns

from .saas import checksum, saas_profile, tiny_profile


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "paritygen.cli", *args], capture_output=True, text=True,
        check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "production"),
    [("shop_prod", True), ("prod-db.example.com", True), ("ShopProd", True), ("prod2", True),
     ("live", True), ("shop_production", True), ("PRD_shop", True),
     ("shop_preprod", False), ("shop_prodcopy", False), ("products", False),
     ("delivery", False), ("staging", False)],
)  # fmt: skip
def test_production_words(name: str, production: bool) -> None:
    assert (production_reason(name, []) is not None) is production


def test_user_patterns_from_the_safety_file(tmp_path: Path, monkeypatch) -> None:
    file = tmp_path / "safety.yaml"
    file.write_text("production_names:\n  - prodcopy\n  - '^main$'\n")
    monkeypatch.setenv("PARITYGEN_SAFETY_FILE", str(file))
    patterns = user_patterns()
    assert production_reason("shop_prodcopy", patterns) == "the pattern 'prodcopy'"
    assert production_reason("main", patterns) and not production_reason("mainly", patterns)
    file.write_text("production_names:\n  - '(['\n")
    with pytest.raises(Exception, match=r"production_names\[0\]"):
        user_patterns()


def test_every_url_part_that_picks_a_database_is_read() -> None:
    url = sa.make_url("postgresql://u@h:5432/staging?dbname=shop_prod&database=x&db=y")
    assert {"staging", "shop_prod", "x", "y"} <= set(url_names(url))


@pytest.mark.parametrize(
    "target",
    ["postgresql://postgres@127.0.0.1:5432/staging?dbname=shop_prod",
     "mysql://root@127.0.0.1:3306/staging?database=shop_prod",
     "postgresql://postgres@127.0.0.1:5432/shop_prod",
     "mysql://root:pw@127.0.0.1:3306/ShopProd"],
)  # fmt: skip
def test_production_name_in_query_or_path_is_refused(target: str, tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path)
    for flags in ([], ["--if-exists", "truncate"], ["--if-exists", "append"]):
        result = CliRunner().invoke(cli, ["generate", str(profile), "--target", target,
                                          "--no-progress", *flags])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "looks like production" in result.output and "has the word 'prod'" in result.output
        assert ":pw@" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def _variants(url: str) -> list[str]:
    """The source spelled other ways: another host name, the database in a query parameter."""
    made = sa.make_url(url)
    out = [url, made.set(host="localhost").render_as_string(hide_password=False)]
    if made.get_backend_name() == "postgresql":
        # libpq lets ?dbname= override the path's database
        out.append(made.set(database="postgres", query={"dbname": made.database})
                   .render_as_string(hide_password=False))  # fmt: skip
    if made.get_backend_name() == "sqlite":
        path = Path(made.database)
        link = path.parent / "alias.sqlite"
        link.symlink_to(path)
        out = [url, f"sqlite:///{link}", str(path)]
    return out


def test_source_is_refused_under_every_flag_and_url_form(db_url: str, tmp_path: Path) -> None:
    profile = saas_profile(db_url, tmp_path)
    before = checksum(db_url)
    flag_sets = [[], ["--if-exists", "truncate"], ["--if-exists", "append"],
                 ["--if-exists", "truncate", "--allow-production-name", "--schema-mode",
                  "existing"], ["--resume"]]  # fmt: skip
    runner = CliRunner()
    for target in _variants(db_url):
        for flags in flag_sets:
            result = runner.invoke(cli, ["generate", str(profile), "--target", target,
                                         "--no-progress", "--scale", "0.5", *flags])  # fmt: skip
            assert result.exit_code == 2, (target, flags, result.output)
            assert "is the profiled source" in result.output, result.output
    assert checksum(db_url) == before


def test_source_given_with_source_is_refused(pg_url: str, tmp_path: Path) -> None:
    """A profile without recorded identity (older file): --source still protects the source."""
    profile = saas_profile(pg_url, tmp_path)
    text = re.sub(r"\n  identity: .*", "", profile.read_text())
    profile.write_text(text)
    before = checksum(pg_url)
    result = run_cli("generate", str(profile), "--target", pg_url, "--source", pg_url,
                     "--if-exists", "truncate", "--no-progress")  # fmt: skip
    assert result.returncode == 2 and "is the --source database" in result.stderr
    assert checksum(pg_url) == before
