"""Growth history and its report: appends survive crashes, the trend is least squares, every
format shows every run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paritygen.cli import cli
from paritygen.errors import ConfigError
from paritygen.jobs.growth import build_growth, fit_trend, sparkline, write_growth
from paritygen.jobs.history import (
    HistoryRecord,
    TableVolume,
    append_record,
    read_history,
    utc_text,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _record(
    day: float,
    orders: int,
    customers: int,
    *,
    verdict: str = "pass",
    captured: float | None = None,
    staging: int | None = None,
) -> HistoryRecord:
    moment = T0 + dt.timedelta(days=day)
    capture = T0 + dt.timedelta(days=captured if captured is not None else day)
    return HistoryRecord(
        time=utc_text(moment), job="shop", verdict=verdict, profile_digest=f"sha256:{day}",
        captured_at=utc_text(capture),
        tables={
            "orders": TableVolume("generate", orders, orders * 100,
                                  orders if staging is None else staging, orders * 101),
            "customers": TableVolume("generate", customers, None, customers, None),
        },
    )  # fmt: skip


def test_least_squares_trend_and_projection() -> None:
    times = [T0 + dt.timedelta(days=d) for d in (0, 10, 20, 30)]
    exact = fit_trend(times, [1000, 1100, 1200, 1300])
    assert exact is not None
    assert exact.per_day == pytest.approx(10.0)
    assert exact.projected == pytest.approx(1300 + 30 * 10.0)  # last run + 30 days
    assert exact.r2 == pytest.approx(1.0)
    noisy = fit_trend(times, [1000, 1150, 1150, 1300])
    # slope = sum(dx*dy)/sum(dx^2) = (-15*-150 + -5*0 + 5*0 + 15*150)/(2*(225+25)) = 9
    assert noisy.per_day == pytest.approx(9.0)
    assert noisy.projected == pytest.approx(1150 + 9.0 * (30 + 30 - 15))
    assert 0 < noisy.r2 < 1
    assert fit_trend(times[:1], [5]) is None  # a line through one point says nothing
    assert fit_trend([T0, T0], [5, 6]) is None
    shrinking = fit_trend(times[:2], [100, 10])
    assert shrinking.projected == 0.0  # never a negative row count


def test_append_survives_a_torn_line_and_reads_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "h" / "history.jsonl"
    append_record(path, _record(10, 1100, 210))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"format": "paritygen-history/1", "time": "2026-')  # killed mid-write
    append_record(path, _record(0, 1000, 200))
    notes: list[str] = []
    records = read_history(path, notes)
    assert [r.tables["orders"].production_rows for r in records] == [1000, 1100]
    assert len(notes) == 1 and "history.jsonl:2: unreadable history record skipped" in notes[0]
    assert all(json.loads(line)["format"] == "paritygen-history/1"
               for line in path.read_text().splitlines() if line.endswith("}"))  # fmt: skip
    with pytest.raises(ConfigError, match="no such history file"):
        read_history(tmp_path / "none.jsonl")


def test_reused_captures_add_no_production_point() -> None:
    records = [_record(0, 1000, 200), _record(1, 1000, 200, captured=0),
               _record(30, 1300, 230)]  # fmt: skip
    growth = build_growth(records)
    orders = next(t for t in growth["tables"] if t["table"] == "orders")
    assert len(growth["runs"]) == 3
    assert [p["production_rows"] for p in orders["points"]] == [1000, 1300]
    assert orders["rows_per_day"] == pytest.approx(10.0)
    assert orders["projected_rows"] == 1600
    assert orders["change_pct"] == pytest.approx(30.0)


def test_staging_last_fill_ignores_failed_runs() -> None:
    records = [_record(0, 1000, 200, staging=990), _record(5, 1050, 205, verdict="error",
                                                            staging=None)]  # fmt: skip
    records[1].tables["orders"] = TableVolume("generate", 1050, 105_000, None, None)
    growth = build_growth(records)
    orders = next(t for t in growth["tables"] if t["table"] == "orders")
    assert orders["staging"]["rows"] == 990 and orders["staging"]["time"] == records[0].time


def test_sparkline() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([]) == ""


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "shop.jsonl"
    for day, orders, customers in ((0, 1000, 200), (7, 1070, 207), (14, 1140, 214)):
        append_record(path, _record(day, orders, customers))
    return path


def test_md_csv_json_show_every_run_and_the_projection(history: Path) -> None:
    md = write_growth(history, "md", None)
    for day in (0, 7, 14):
        assert utc_text(T0 + dt.timedelta(days=day)) in md
    assert "| orders | `▁▅█` | 1,000 | 1,140 | +14.0 % | 10.0 | 1,440 |" in md
    assert "least-squares" in md
    rows = list(csv.DictReader(io.StringIO(write_growth(history, "csv", None))))
    assert [r["kind"] for r in rows].count("run") == 6
    projection = [r for r in rows if r["kind"] == "projection" and r["table"] == "orders"]
    assert projection[0]["production_rows"] == "1440"
    assert projection[0]["time"] == utc_text(T0 + dt.timedelta(days=44))
    data = json.loads(write_growth(history, "json", None))
    assert data["totals"]["projected_rows"] == 1440 + 244


def test_html_charts_each_table_with_staging_and_projection(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "growth.html"
    result = CliRunner().invoke(cli, ["report", "--history", str(history), "--format", "html",
                                      "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.count("<svg") == 3  # all tables + orders + customers
    assert html.count("class='point production'") == 9  # 3 captures x (total + 2 tables)
    assert html.count("class='point staging'") == 3 and html.count("class='projection'") == 3
    assert html.count('<tr class="run">') == 3
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no network


def test_report_history_cli_errors(history: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "p.yaml", "--history", str(history)])
    assert result.exit_code == 2 and "--history makes a growth report on its own" in result.output
    result = CliRunner().invoke(cli, ["report", "--format", "md"])
    assert result.exit_code == 2 and "give a PROFILE" in result.output
    result = CliRunner().invoke(cli, ["report", "--history", str(history), "--format", "md"])
    assert result.exit_code == 0 and "# Production growth" in result.output


def test_two_captures_in_one_second_are_two_points() -> None:
    # A quick refresh run twice: both runs measured production within one second (history
    # times are kept to the second); the second saw production grown.
    records = [_record(0, 1000, 200), _record(0, 1400, 200)]
    growth = build_growth(records)
    orders = next(t for t in growth["tables"] if t["table"] == "orders")
    assert [p["production_rows"] for p in orders["points"]] == [1000, 1400]
