"""The whole paritygen loop on the embedded demo shop: build, profile, generate, verify, report.

``paritygen demo`` is the first thing a new user runs, so it needs no server: production and
staging are SQLite files in one directory, next to the profile and an HTML parity report.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paritygen.demo.schema import SHOP_TABLES
from paritygen.demo.shop import build_shop, shop_rules
from paritygen.profile.io import write_profile
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database
from paritygen.verify.report import write_report

PROFILE_NAME = "demo-shop.yaml"
PRODUCTION_NAME = "production.sqlite"
STAGING_NAME = "staging.sqlite"
REPORT_NAME = "report.html"


@dataclass
class DemoResult:
    """What the demo did: where the files are, rows per table and the parity outcome."""

    directory: Path
    production_rows: dict[str, int]
    staging_rows: dict[str, int] = field(default_factory=dict)
    parity: Any = None
    """The :class:`ParityResult` of the verify stage."""

    @property
    def production(self) -> Path:
        return self.directory / PRODUCTION_NAME

    @property
    def profile(self) -> Path:
        return self.directory / PROFILE_NAME

    @property
    def staging(self) -> Path:
        return self.directory / STAGING_NAME

    @property
    def report(self) -> Path:
        return self.directory / REPORT_NAME


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _fresh(path: Path) -> None:
    """Remove a previous run's database file (and SQLite's side files) so each run starts clean."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_demo(
    directory: str | Path = "demo-out",
    *,
    scale: float = 1.0,
    seed: int = 7,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Run the loop in *directory*; *echo* gets one progress line per stage."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(directory=out, production_rows={})

    started = time.perf_counter()
    _fresh(result.production)
    result.production_rows = build_shop(_sqlite_url(result.production), scale=scale, seed=seed)
    echo(
        f"[1/5] production: built {result.production} "
        f"({sum(result.production_rows.values()):,} rows in {len(result.production_rows)} tables, "
        f"{time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    profile = profile_database(_sqlite_url(result.production), progress=None)
    # Lookup tables stay fixed when the user later generates this profile at another --scale.
    profile = dataclasses.replace(profile, rules=shop_rules())
    write_profile(profile, result.profile)
    echo(
        f"[2/5] profile: wrote {result.profile} ({len(profile.tables)} tables, "
        f"{time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    _fresh(result.staging)
    # Staging gets production's volume: the profile already measured the --scale'd shop.
    summary = generate_database(
        profile, _sqlite_url(result.staging), scale=1.0, seed=seed, schema_mode="create",
        progress=None,
    )  # fmt: skip
    result.staging_rows = {name: table.rows for name, table in summary.tables.items()}
    echo(
        f"[3/5] staging: generated {result.staging} "
        f"({sum(result.staging_rows.values()):,} rows, {time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    result.parity = verify_database(
        profile, _sqlite_url(result.staging), source=_sqlite_url(result.production),
        progress=None,
    )  # fmt: skip
    measures = list(result.parity.measures)
    passed = sum(1 for m in measures if m.passed)
    echo(
        f"[4/5] verify: {passed}/{len(measures)} parity measures passed "
        f"({time.perf_counter() - started:.1f} s)"
    )

    write_report(profile, result.parity, "html", result.report, name="paritygen demo shop")
    echo(f"[5/5] report: wrote {result.report} (open it in a browser)")
    return result


def _worst_first(measure: Any) -> tuple[bool, float]:
    """Sort key of the misses: exact bars missed (rows, violations) first, then by excess."""
    return (measure.bar > 0, -float(measure.excess))


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def summary_lines(result: DemoResult, *, worst: int = 10) -> list[str]:
    """A short, readable report: rows per table, parity passed/total, the worst misses, files."""
    lines = ["", f"{'table':<20} {'production':>12} {'staging':>12}"]
    names = [n for n in SHOP_TABLES if n in result.production_rows]
    names += [n for n in result.staging_rows if n not in names]
    for name in names:
        prod = result.production_rows.get(name)
        stag = result.staging_rows.get(name)
        mark = "" if prod == stag else "  <- differs"
        lines.append(f"{name:<20} {_number(prod):>12} {_number(stag):>12}{mark}")
    if result.parity is not None:
        measures = list(result.parity.measures)
        misses = sorted((m for m in measures if not m.passed), key=_worst_first)
        share = 100.0 * (len(measures) - len(misses)) / len(measures) if measures else 100.0
        verdict = "PASSED" if result.parity.passed else "NOT within all bars"
        lines += ["", f"parity: {len(measures) - len(misses)}/{len(measures)} measures "
                      f"within their bars ({share:.1f} %): {verdict}"]  # fmt: skip
        if misses:
            lines.append(f"worst misses ({min(worst, len(misses))} of {len(misses)}):")
        for miss in misses[:worst]:
            lines.append(
                f"  {miss.target:<40} {miss.measure:<20} {_number(miss.value)} "
                f"(bar {_number(miss.bar)})"
            )
    lines += ["", f"files: production {result.production}", f"       profile    {result.profile}"]
    if result.staging_rows:
        lines.append(f"       staging    {result.staging}")
    if result.report.exists():
        lines.append(f"       report     {result.report}")
    return lines
