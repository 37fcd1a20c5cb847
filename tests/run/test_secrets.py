"""No password in any output, however odd its characters, on every path a URL can take."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.errors import safe_url

from .saas import tiny_profile


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-table profile: reading it costs nothing, so the many cases stay fast."""
    return tiny_profile(tmp_path_factory.mktemp("secrets"))
PASSWORDS = ["Zq1 Wv9x", "Zq2@Wv9x", "Zq3/Wv9x", "Zq4:Wv9x", "Zq5%Wv9x", "Zq6'Wv\"9x",
             "Zqü7ñ©Wv9x", "Zq8 @/:%'\" éWv9x"]  # fmt: skip


def _outputs(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _assert_hidden(password: str, output: str) -> None:
    for form in {password, quote(password, safe=""), quote(password)}:
        assert form not in output, output
    assert "Zq" not in output and "Wv" not in output, output  # no fragment either


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize(
    "template",
    ["postgresql://{user}:{pw}@127.0.0.1:5432/h10_nowhere",  # refused login (no such role)
     "mysql://{user}:{pw}@127.0.0.1:3306/h10_nowhere",
     "postgresql://{user}:{pw}@127.0.0.1:1/staging",  # unreachable
     "postgresql://{user}:{pw}@127.0.0.1:5432/shop_prod",  # production name
     "postgresql//{user}:{pw}@127.0.0.1/x",  # not a database URL
     "nosuchdb://{user}:{pw}@127.0.0.1/x"],  # unknown scheme
)  # fmt: skip
@pytest.mark.parametrize("encode", [True, False])
def test_no_password_in_any_output(
    template: str, password: str, encode: bool, profile: Path
) -> None:
    pw = quote(password, safe="") if encode else password
    url = template.format(user="h10_ghost", pw=pw)
    for debug in ([], ["--debug"]):
        code, output = _outputs(*debug, "generate", str(profile), "--target", url,
                                "--no-progress")  # fmt: skip
        assert code == 2, output
        _assert_hidden(password, output)
        if not debug:
            assert len(output.strip().splitlines()) == 1, output


def test_password_with_slash_or_at_never_redirects_the_host(profile: Path) -> None:
    """``p@ss/x`` unencoded would read host ``ss``: refused, and the refusal says how to fix."""
    code, output = _outputs("generate", str(profile), "--target",
                            "postgresql://u:p@ss/x@127.0.0.1:5432/db")  # fmt: skip
    assert code == 2 and "percent-encode" in output
    assert "@ss" not in output and "x@127" not in output and ":p@" not in output


def test_safe_url_hides_query_passwords() -> None:
    text = safe_url("postgresql://u:s3cr%20t@h/db?password=other%20secret&sslmode=require")
    assert "s3cr" not in text and "other" not in text and "sslmode=require" in text
