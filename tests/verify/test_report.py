"""The report in its four formats, from a real (damaged) staging database on SQLite.

The HTML report is opened in headless Chromium: scripts must run without errors, the charts must
be in the DOM afterwards, and a screenshot is kept under test-artifacts/ for people to look at.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from paritygen.profile.model import Profile
from paritygen.profile.run import profile_database
from paritygen.verify.compare import ParityResult, verify_database
from paritygen.verify.report import build_report, render_csv, render_md, write_report

from .shop import build_source, copy_database, damage

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCHEMA = json.loads(
    resources.files("paritygen.verify").joinpath("templates", "report.schema.json").read_text()
)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Profile, ParityResult, str]:
    base = tmp_path_factory.mktemp("report")
    source, target = f"sqlite:///{base / 'prod.sqlite'}", f"sqlite:///{base / 'staging.sqlite'}"
    build_source(source)
    copy_database(source, target)
    damage(target)
    production = profile_database(source, progress=False)
    return production, verify_database(production, target, progress=False), target


def test_json_follows_the_documented_schema(damaged) -> None:
    production, parity, _ = damaged
    report = build_report(production, parity, name="shop")
    jsonschema.validate(report, SCHEMA)
    jsonschema.validate(build_report(production), SCHEMA)  # volume only, no target
    assert report["parity"]["passed"] is False
    first = report["parity"]["measures"][0]
    assert first["passed"] is False  # misses first
    rows = {r["table"]: r for r in report["tables"]}
    assert rows["audit_log"]["staging_rows"] == 3960
    assert rows["audit_log"]["rows_as_expected"] is False
    assert rows["orders"]["rows_as_expected"] is True
    assert report["totals"]["production_rows"] == sum(r["production_rows"] for r in rows.values())
    # Invalid documents are refused: the schema is a real contract, not a formality.
    broken = dict(report, schema_version=2)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_csv_has_one_row_per_table_matching_sql(damaged) -> None:
    production, parity, target = damaged
    text = render_csv(build_report(production, parity))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["table"] for r in rows] == list(production.tables)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        for row in rows:
            count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {row['table']}")).scalar()
            assert int(row["staging_rows"]) == count
            assert int(row["production_rows"]) == production.tables[row["table"]].row_count
    engine.dispose()


def test_markdown_names_the_verdict_and_the_misses(damaged) -> None:
    production, parity, _ = damaged
    text = render_md(build_report(production, parity, name="shop"))
    assert "PARITY MISSED" in text
    assert "| orders.customer_id | orphans |" in text
    assert "| audit_log | 4,000 |" in text
    assert text.index("## Misses") < text.index("customers.email | duplicates")


def _render_html(damaged, name: str) -> Path:
    production, parity, _ = damaged
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    write_report(production, parity, "html", path, columns=["orders.status"], name="shop")
    return path


def test_html_is_one_offline_file(damaged) -> None:
    text = _render_html(damaged, "report.html").read_text()
    # Nothing fetched from anywhere: no external script, style sheet, image or font.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)
    assert "@import" not in text and "url(" not in text
    urls = set(re.findall(r"https?://[^\s'\"<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # an XML namespace, never fetched
    # Volume charts (linear and log) for rows and none for bytes (SQLite reports no sizes).
    assert text.count("class='chart bars'") == 2
    # An overlay for each column that misses on its distribution, and the one named.
    for column in ("orders.amount", "products.category", "orders.status"):
        assert f"<title>{column}" in text, column


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_html_renders_in_headless_chromium(damaged, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("PARITYGEN_REQUIRE_SERVERS") == "1" and os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium to run this test)")
    page = _render_html(damaged, "report-browser.html")
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    common = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [
        line for line in dom.stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "console" in line.lower()
    ]  # fmt: skip
    assert not console, console
    assert 'data-ready="1"' in dom.stdout  # the inline script ran to its end
    assert dom.stdout.count("<svg") >= 5
    assert dom.stdout.count("<polyline") >= 2  # production + staging CDF of orders.amount
    assert "PARITY MISSED" in dom.stdout
    snap = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1400,2000", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert snap.returncode == 0, snap.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
