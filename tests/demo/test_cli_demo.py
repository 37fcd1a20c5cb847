"""``paritygen demo`` end to end through click's runner, in a temporary directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.demo.shop import SHOP_TABLES


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SHOP_TABLES}


def test_demo_runs_the_whole_loop(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(out), "--scale", "0.05", "--seed", "3"])
    assert result.exit_code == 0, result.output
    steps = ("[1/5] production", "[2/5] profile", "[3/5] staging", "[4/5] verify", "[5/5] report")
    for step in steps:
        assert step in result.output
    assert "PASSED" in result.output
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")
    assert "parity:" in result.output and "files:" in result.output
    production, staging = _counts(out / "production.sqlite"), _counts(out / "staging.sqlite")
    assert staging == production
    with sqlite3.connect(out / "production.sqlite") as conn:
        emails = [row[0] for row in conn.execute("SELECT email FROM customer")]
    profile_text = (out / "demo-shop.yaml").read_text(encoding="utf-8")
    assert not [email for email in emails if email in profile_text]


def test_demo_rejects_a_bad_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--scale", "0"])
    assert result.exit_code == 2
    assert "scale" in result.output.lower()


def test_summary_lists_rows_parity_and_the_worst_misses_first(tmp_path: Path) -> None:
    from paritygen.demo.loop import DemoResult, summary_lines
    from paritygen.verify import compare

    measures = [
        compare.Measure("customer", "email", "null_fraction", 0.0, 0.01, True),
        compare.Measure("sales_order", "created_at", "ks", 0.08, 0.05, False),
        compare.Measure("sales_order", "grand_total", "ks", 0.06, 0.05, False),
        compare.Measure("customer", None, "rows", 3.0, 0.0, False),
    ]
    result = DemoResult(
        directory=tmp_path,
        production_rows={"customer": 10, "sales_order": 20},
        staging_rows={"customer": 7, "sales_order": 20},
        parity=compare.ParityResult(measures=measures),
    )
    text = "\n".join(summary_lines(result))
    assert "1/4 measures within their bars (25.0 %)" in text
    rows = [line for line in text.splitlines() if line.startswith(("customer ", "sales_order "))]
    assert rows[0].split()[:3] == ["customer", "10", "7"] and "differs" in rows[0]
    assert "differs" not in rows[1]
    misses = text[text.index("worst misses") :].splitlines()[1:4]
    assert [line.split()[0] for line in misses] == [
        "customer",  # an exact bar missed ranks first
        "sales_order.created_at",  # then 60 % past its bar
        "sales_order.grand_total",  # then 20 %
    ]
    assert str(tmp_path / "staging.sqlite") in text
