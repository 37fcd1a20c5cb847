"""The verify, report and diff commands: exit codes, output order, options, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.profile.io import write_profile
from paritygen.profile.run import profile_database

from .shop import build_source, copy_database, damage

DEMO_PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("cli")
    urls = {name: f"sqlite:///{base / (name + '.sqlite')}" for name in ("prod", "good", "bad")}
    build_source(urls["prod"])
    copy_database(urls["prod"], urls["good"])
    copy_database(urls["prod"], urls["bad"])
    damage(urls["bad"])
    profile = base / "shop.yaml"
    write_profile(profile_database(urls["prod"], progress=False), profile)
    return {**urls, "profile": str(profile), "dir": str(base)}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_faithful_target_exits_0(shop) -> None:
    code, out, _ = run("verify", shop["profile"], "--target", shop["good"])
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("PARITY HOLDS")


def test_damaged_target_exits_1_with_misses_first_worst_first(shop) -> None:
    code, out, _ = run("verify", shop["profile"], "--target", shop["bad"], "--all")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("MISSES (5")
    misses = lines[1:6]
    assert all("✗" in line for line in misses)
    assert any("orders.customer_id" in line and "orphans" in line for line in misses)
    assert lines[6].startswith("WITHIN BARS")
    assert lines[-1].startswith("PARITY MISSED: ") and "5 missed in 4 tables" in lines[-1]


def test_json_output_and_skip(shop, tmp_path: Path) -> None:
    out_file = tmp_path / "parity.json"
    code, out, _ = run(
        "verify", shop["profile"], "--target", shop["bad"], "--format", "json",
        "-o", str(out_file), "--skip", "orders.amount:ks", "--skip", "audit_log",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out_file.read_text())
    assert data == json.loads(out)
    missed = {(m["table"], m["column"], m["measure"]) for m in data["measures"] if not m["passed"]}
    assert ("orders", "amount", "ks") not in missed
    assert not any(m["table"] == "audit_log" for m in data["measures"])
    assert ("orders", "customer_id", "orphans") in missed


def test_tolerances_file_can_relax_a_bar(shop, tmp_path: Path) -> None:
    bars = tmp_path / "bars.yaml"
    bars.write_text(
        "bars:\n  null_fraction: 0.5\noverrides:\n  audit_log:rows: 0.02\n"
        "skip:\n  - orders.amount:ks\n  - orphans\n  - duplicates\n"
    )
    code, out, _ = run(
        "verify", shop["profile"], "--target", shop["bad"], "--tolerances", str(bars)
    )
    assert code == 0, out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bars:\n  kss: 0.1\n", "bars.kss: unknown measure"),
        ("bars:\n  ks: -1\n", "bars.ks: must be >= 0"),
        ("bars:\n  ks: lots\n", "bars.ks: expected a number"),
        ("overrides:\n  orders.amount: 0.1\n", "overrides.orders.amount: expected 'table:measure'"),
        ("skip:\n  - orders:nope\n", "skip.0: 'nope' matches no measure"),
        ("limits: {}\n", "limits: unknown key"),
    ],
)
def test_bad_tolerances_fail_with_the_path(shop, tmp_path: Path, text: str, message: str) -> None:
    bars = tmp_path / "bars.yaml"
    bars.write_text(text)
    code, _, err = run(
        "verify", shop["profile"], "--target", shop["good"], "--tolerances", str(bars)
    )
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_unreachable_target_is_exit_2_without_password(shop) -> None:
    code, _, err = run("verify", shop["profile"], "--target", "postgresql://u:s3cret@127.0.0.1:1/x")
    assert code == 2
    assert "s3cret" not in err and err.startswith("paritygen: error:")


def test_scale_expects_scaled_rows(shop) -> None:
    code, out, _ = run("verify", shop["profile"], "--target", shop["good"], "--scale", "2")
    assert code == 1
    assert "orders" in out and "24,000" in out  # expected rows at scale 2


def test_source_mode_finds_production_pii_in_a_copy(shop) -> None:
    code, out, _ = run("verify", "--source", shop["prod"], "--target", shop["good"], "--all")
    assert code == 1  # a plain copy of production leaks every e-mail and every row
    misses = out.split("WITHIN BARS")[0]
    assert "customers.email" in misses and "pii_leak" in misses
    assert "row_copies" in misses
    # Masking the e-mails removes the leak (independent check of the lookup).
    engine = sa.create_engine(shop["good"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE customers SET email = 'm' || id || '@staging.test'"))
    engine.dispose()
    try:
        _, out, _ = run("verify", "--source", shop["prod"], "--target", shop["good"], "--all")
        leak = [line for line in out.splitlines() if "pii_leak" in line and "email" in line]
        assert leak and "✓" in leak[0] and " 0 " in leak[0]
    finally:  # restore the faithful copy for the other tests of this module
        Path(shop["good"].removeprefix("sqlite:///")).unlink()
        copy_database(shop["prod"], shop["good"])


@pytest.mark.parametrize("fmt", ["md", "json", "csv", "html"])
def test_report_command_writes_each_format(shop, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    code, _, err = run(
        "report", shop["profile"], "--target", shop["bad"], "--format", fmt, "-o", str(out)
    )
    assert code == 0, err
    assert "PARITY MISSED" in err
    text = out.read_text()
    assert "audit_log" in text
    if fmt == "json":
        assert json.loads(text)["parity"]["passed"] is False
    code, _, _ = run("report", shop["profile"], "--target", shop["bad"], "--fail-on-miss")
    assert code == 1


def test_report_without_target_is_volume_only(shop) -> None:
    code, out, _ = run("report", shop["profile"], "--format", "csv")
    assert code == 0
    assert out.splitlines()[0].startswith("table,production_rows,production_bytes,staging_rows")
    assert len(out.splitlines()) == 5


def test_diff_command(shop, tmp_path: Path) -> None:
    grown = tmp_path / "grown.yaml"
    later = f"sqlite:///{tmp_path / 'later.sqlite'}"
    copy_database(shop["prod"], later)
    damage(later)
    engine = sa.create_engine(later)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE orders ADD COLUMN channel VARCHAR(10)"))
        conn.execute(sa.text("CREATE TABLE coupons (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    write_profile(profile_database(later, progress=False), grown)
    code, out, _ = run("diff", shop["profile"], str(grown))
    assert code == 0
    assert "new tables: coupons" in out
    assert "audit_log: 4,000 -> 3,960 rows, -40 (-1.0 %)" in out
    assert "new columns: channel" in out
    assert "amount: ks" in out
    assert "category: null_fraction" in out
    code, out, _ = run("diff", shop["profile"], str(grown), "--format", "json")
    data = json.loads(out)
    assert data["tables_added"] == ["coupons"]
    code, out, _ = run("diff", shop["profile"], str(grown), "--format", "md")
    assert out.startswith("# Production changes")


def test_verify_a_missing_sqlite_target_names_the_file_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """The read-only URI used to surface as 'cannot connect to sqlite:///file%3A...?mode=ro'."""
    missing = tmp_path / "staging.sqlite"
    result = CliRunner().invoke(
        cli, ["verify", str(DEMO_PROFILE), "--target", f"sqlite:///{missing}"]
    )
    assert result.exit_code == 2
    assert f"no SQLite database file at {missing}" in result.output
    assert "mode=ro" not in result.output and not missing.exists()


def test_unwritable_output_files_are_one_line(tmp_path: Path) -> None:
    """-o under a path whose parent is a file used to end in 'unexpected FileNotFoundError' /
    'NotADirectoryError' (verify, diff, report) or leave the profile step the same way."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    source = tmp_path / "src.sqlite"
    with sa.create_engine(f"sqlite:///{source}").begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 'a'), (2, 'b')"))
    out = str(blocker / "sub" / "out.txt")
    runs = [
        ["profile", str(source), "-o", str(blocker / "p.yaml")],
        ["verify", str(DEMO_PROFILE), "--target", str(source), "-o", out],
        ["diff", str(DEMO_PROFILE), str(DEMO_PROFILE), "-o", out],
        ["report", str(DEMO_PROFILE), "--format", "md", "-o", out],
    ]
    for args in runs:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("paritygen: error: ") and "unexpected" not in last, (args, last)
        assert "cannot write" in last, (args, last)
