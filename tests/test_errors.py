"""Passwords never reach a message, a report or JSON output, wherever the URL carries them."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from paritygen.errors import redact, safe_url


def test_safe_url_hides_a_password_given_as_query_parameter() -> None:
    """``?password=`` (accepted by libpq and PyMySQL) used to survive ``safe_url`` and reach
    ParityResult.target, hence verify's JSON and every report file."""
    for text in (
        "postgresql+psycopg://u@h/db?password=SECRETPW&sslmode=require",
        "mysql+pymysql://u:SECRETPW@h/db?PWD=SECRETPW",
    ):
        shown = safe_url(make_url(text))
        assert "SECRETPW" not in shown, shown
        assert shown.startswith(text.split("@")[0].split(":SECRETPW")[0])
    assert "sslmode=require" in safe_url(make_url("postgresql://u:pw@h/db?sslmode=require"))
    assert "SECRETPW" not in safe_url("postgresql://u@h/db?password=SECRETPW")


def test_redact_libpq_dsn_and_url() -> None:
    assert "s3" not in redact("connection to 'host=x password=s3cret user=y' failed")
    assert redact("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
