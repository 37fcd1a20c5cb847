"""The `profile` command: summary, rules carried over, and one-line errors without secrets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.profile.io import read_profile

SECRET = "s3cr3t-Pa55word"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("paritygen: error: ") and "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "people.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, flavour TEXT, city TEXT)")
        conn.executemany(
            "INSERT INTO person (flavour, city) VALUES (?, ?)",
            [(f"zorblax{i % 3}", "Berlin" if i % 2 else "Bonn") for i in range(60)],
        )
    return path


def test_profile_writes_file_and_summary(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    code, stdout, stderr = _run("profile", f"sqlite:///{small_db}", "-o", str(out), "--no-progress")
    assert code == 0, stderr
    assert "1 tables" in stdout and "60 rows" in stdout and str(out) in stdout
    profile = read_profile(out)
    assert profile.tables["person"].row_count == 60
    flavour = profile.tables["person"].columns["flavour"]
    assert not flavour.pii and "zorblax1" in out.read_text()  # a k-anonymous category


def test_rules_survive_reprofiling_and_win(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    assert _run("profile", str(small_db), "-o", str(out))[0] == 0
    data = yaml.safe_load(out.read_text())
    data["rules"] = {"tables": {"person": {"columns": {"flavour": {"semantic": "username",
                                                                    "pii": True}}}}}  # fmt: skip
    out.write_text(yaml.safe_dump(data))
    code, _, stderr = _run("profile", str(small_db), "-o", str(out))
    assert code == 0, stderr
    profile = read_profile(out)
    flavour = profile.tables["person"].columns["flavour"]
    assert flavour.pii and flavour.semantic == "username"
    assert profile.rules.tables["person"].columns["flavour"].pii is True
    assert "zorblax" not in out.read_text()  # the user's PII rule removed the raw values


def test_unknown_table_names_close_matches(small_db: Path, tmp_path: Path) -> None:
    code, _, stderr = _run("profile", str(small_db), "-o", str(tmp_path / "p.yaml"),
                           "--tables", "persn")  # fmt: skip
    line = _one_error_line(stderr)
    assert code == 2 and "persn" in line and "person" in line


def test_corrupt_existing_profile_is_one_line(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    out.write_text("format: paritygen/1\ntables: [\n")
    code, _, stderr = _run("profile", str(small_db), "-o", str(out))
    assert code == 2 and "not valid YAML" in _one_error_line(stderr)
    out.write_text("format: paritygen/0\ntables: {}\n")
    code, _, stderr = _run("profile", str(small_db), "-o", str(out))
    assert code == 2 and "paritygen/1" in _one_error_line(stderr)


def test_missing_sqlite_file(tmp_path: Path) -> None:
    code, _, stderr = _run("profile", str(tmp_path / "nope.sqlite"), "-o", str(tmp_path / "p"))
    assert code == 2 and "nope.sqlite" in _one_error_line(stderr)
    assert not (tmp_path / "nope.sqlite").exists()  # read-only: nothing created


def test_unreachable_host_with_password(tmp_path: Path) -> None:
    url = f"postgresql://someone:{SECRET}@127.0.0.1:1/db"
    code, stdout, stderr = _run("profile", url, "-o", str(tmp_path / "p.yaml"))
    line = _one_error_line(stderr)
    assert code == 2 and "127.0.0.1" in line
    assert SECRET not in stderr + stdout


@pytest.mark.parametrize("fixture", ["pg_url", "mysql_url"])
def test_wrong_password_is_never_shown(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    real = request.getfixturevalue(fixture)  # skips when the server is not reachable
    url = sa.make_url(real).set(username="paritygen_nobody", password=SECRET)
    text = url.render_as_string(hide_password=False)
    code, stdout, stderr = _run("profile", text, "-o", str(tmp_path / "p.yaml"))
    _one_error_line(stderr)
    assert code == 2 and SECRET not in stderr + stdout


def test_missing_database(pg_url: str, tmp_path: Path) -> None:
    url = sa.make_url(pg_url).set(database="paritygen_no_such_db").render_as_string(False)
    code, _, stderr = _run("profile", url, "-o", str(tmp_path / "p.yaml"))
    assert code == 2 and "paritygen_no_such_db" in _one_error_line(stderr)


def test_empty_schema(pg_url: str, tmp_path: Path) -> None:
    code, _, stderr = _run("profile", pg_url, "-o", str(tmp_path / "p.yaml"), "--schema", "nothing")
    assert code == 2 and "no tables" in _one_error_line(stderr)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://u:{SECRET}@127.0.0.1:notaport/x", "not a database URL"),
        (f"nosuchdb://u:{SECRET}@127.0.0.1/x", "cannot use nosuchdb://"),
        (f"postgresql://u:{SECRET}@tail@127.0.0.1:1/x", "percent-encode"),
    ],
)
def test_malformed_urls_are_one_line_without_any_part_of_the_password(
    url: str, expected: str, tmp_path: Path
) -> None:
    """A non-numeric port, an unknown scheme and an unescaped '@' in the password used to end in
    'unexpected ValueError/NoSuchModuleError' or show the password's tail as the host name."""
    code, _, stderr = _run("profile", url, "-o", str(tmp_path / "p.yaml"))
    assert code == 2
    line = _one_error_line(stderr)
    assert expected in line and "unexpected" not in line
    assert SECRET not in stderr and "tail" not in stderr


def test_fk_to_an_empty_parent_profiles_into_a_readable_file(tmp_path: Path) -> None:
    """An FK whose parent table has no rows has no fan-out quantiles: the written file left the
    field out and reading it back failed ('fanout.quantiles: Field required')."""
    source = tmp_path / "edge.sqlite"
    with sqlite3.connect(source) as conn:
        conn.executescript(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE child (id INTEGER PRIMARY KEY,"
            " fk INTEGER REFERENCES parent (id), note TEXT);"
        )
        conn.executemany(
            "INSERT INTO child (id, fk, note) VALUES (?, NULL, 'n')", [(i,) for i in range(20)]
        )
    out = tmp_path / "edge.yaml"
    code, _, stderr = _run("profile", str(source), "-o", str(out))
    assert code == 0, stderr
    profile = read_profile(out)
    fanout = profile.tables["child"].foreign_keys[0].fanout
    assert fanout is not None and fanout.parent_rows == 0 and fanout.null_fraction == 1.0
    assert fanout.quantiles == ()
