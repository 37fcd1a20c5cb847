"""The growth report: production's volume per table over time, staging's last fill beside it, and
next month projected from the trend (``paritygen report --history FILE``).

One data structure, three renderings (html, md, csv), like the parity report. The projection is
an ordinary least-squares line through every recorded run of a table (value against time in days),
read at the last run plus :data:`PROJECTION_DAYS`: the simplest trend a capacity planner can check
by hand, said in the report together with its fit (R²) so nobody mistakes it for a forecast model.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paritygen import __version__
from paritygen.errors import ConfigError
from paritygen.files import write_atomic
from paritygen.jobs.history import HistoryRecord, parse_time, read_history, utc_text
from paritygen.verify import charts
from paritygen.verify.report import human_bytes, template_environment

FORMATS = ("html", "md", "csv", "json")
PROJECTION_DAYS = 30
"""How far ahead the trend is read: "next month"."""
SHORT_SPAN_DAYS = 1.0
"""Measurements closer together than this make a projection a month ahead a wild guess (said)."""
CHART_TABLES = 40
"""Tables charted one by one in the HTML page (largest first); the summary table lists all."""
METHOD = (
    f"Production's figures are placed at the time production was measured (a run that reuses"
    f" a profile counts production's rows at its start). Projection: an ordinary least-squares"
    f" line through those points (value against time in days), read {PROJECTION_DAYS} days"
    f" after the last measurement; R² says how well a straight line fits. It needs two"
    f" measurements at different times and assumes steady, linear growth."
)
SPARKS = "▁▂▃▄▅▆▇█"
CSV_FIELDS = (
    "time", "kind", "table", "production_rows", "production_bytes", "staging_rows",
    "staging_bytes", "verdict", "profile_digest",
)  # fmt: skip


@dataclass(frozen=True)
class Trend:
    """A least-squares line through (days since the first run, value)."""

    points: int
    per_day: float
    projected: float
    r2: float | None


def fit_trend(
    times: Sequence[dt.datetime], values: Sequence[float], horizon_days: float = PROJECTION_DAYS
) -> Trend | None:
    """The trend of *values* over *times*, read *horizon_days* after the last time; None with
    fewer than two distinct times (a line through one point says nothing)."""
    pairs = [(t, float(v)) for t, v in zip(times, values, strict=True) if v is not None]
    if len({t for t, _ in pairs}) < 2:
        return None
    origin = min(t for t, _ in pairs)
    xs = [(t - origin).total_seconds() / 86_400 for t, _ in pairs]
    ys = [v for _, v in pairs]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    projected = max(0.0, intercept + slope * (max(xs) + horizon_days))
    r2 = (sxy * sxy) / (sxx * syy) if syy > 0 else None
    return Trend(points=n, per_day=slope, projected=projected, r2=r2)


def captures(records: Sequence[HistoryRecord]) -> list[HistoryRecord]:
    """One record per production capture, in capture order: runs that reused a profile repeat
    its capture, and production's figures are as of when it was measured, not when it was used.
    A capture is its time and its figures: times are kept to the second, and two runs that each
    measure production can fall in one second (a quick refresh run twice)."""
    latest: dict[tuple[str, tuple], HistoryRecord] = {}
    for record in records:
        figures = tuple(sorted((n, v.production_rows) for n, v in record.tables.items()))
        latest[(capture_time(record), figures)] = record
    return sorted(latest.values(), key=lambda r: parse_time(capture_time(r)))


def capture_time(record: HistoryRecord) -> str:
    return record.captured_at or record.time


def build_growth(records: Sequence[HistoryRecord], *, source: str = "") -> dict[str, Any]:
    """The growth report as plain data."""
    if not records:
        raise ConfigError(f"{source or 'history'}: no runs recorded yet")
    measured = captures(records)
    names: dict[str, int] = {}
    for record in measured:
        for name, volume in record.tables.items():
            names[name] = volume.production_rows or 0  # the last capture's size orders tables
    tables = [
        _table(name, measured, records) for name in sorted(names, key=lambda n: (-names[n], n))
    ]
    runs = [
        {
            "time": r.time,
            "job": r.job,
            "verdict": r.verdict,
            "profile_digest": r.profile_digest,
            "captured_at": r.captured_at,
            "scale": r.scale,
            "production_rows": _sum(v.production_rows for v in r.tables.values()),
            "production_bytes": _sum(v.production_bytes for v in r.tables.values()),
            "staging_rows": _sum(v.staging_rows for v in r.tables.values()),
            "staging_bytes": _sum(v.staging_bytes for v in r.tables.values()),
        }
        for r in records
    ]
    series = [
        {"time": capture_time(r),
         "production_rows": _sum(v.production_rows for v in r.tables.values())}
        for r in measured
    ]  # fmt: skip
    total = fit_trend([dict_moment(p) for p in series],
                      [p["production_rows"] or 0 for p in series])  # fmt: skip
    first, last = series[0]["production_rows"], series[-1]["production_rows"]
    span = (dict_moment(series[-1]) - dict_moment(series[0])).total_seconds() / 86_400
    return {
        "kind": "paritygen-growth",
        "history": source,
        "generated_at": utc_text(dt.datetime.now(dt.UTC)),
        "paritygen_version": __version__,
        "jobs": sorted({r.job for r in records}),
        "projection_days": PROJECTION_DAYS,
        "method": METHOD
        + (
            f" The measurements here span {_duration(span)} only: read"
            f" {PROJECTION_DAYS} days ahead, the line extrapolates far beyond what it saw."
            if len(series) > 1 and span < SHORT_SPAN_DAYS
            else ""
        ),
        "runs": runs,
        "production": series,
        "totals": {
            "captures": len(series),
            "span_days": round(span, 3),
            "first_rows": first,
            "last_rows": last,
            "change_pct": _pct(first, last),
            "rows_per_day": total.per_day if total else None,
            "projected_rows": round(total.projected) if total else None,
        },
        "tables": tables,
    }


def _duration(days: float) -> str:
    hours = days * 24
    return f"{hours * 60:.0f} minutes" if hours < 1 else f"{hours:.1f} hours"


def _sum(values: Any) -> int | None:
    items = [v for v in values if v is not None]
    return sum(items) if items else None


def _pct(old: float | None, new: float | None) -> float | None:
    return round((new - old) / old * 100.0, 2) if old and new is not None else None


def _table(
    name: str, measured: Sequence[HistoryRecord], records: Sequence[HistoryRecord]
) -> dict[str, Any]:
    points = [
        {"time": capture_time(r), "production_rows": v.production_rows,
         "production_bytes": v.production_bytes}
        for r in measured if (v := r.tables.get(name)) is not None
        and v.production_rows is not None
    ]  # fmt: skip
    seen = [(r, r.tables[name]) for r in records if name in r.tables]
    filled = [(r, v) for r, v in seen if v.staging_rows is not None and r.verdict != "error"]
    staging = None
    if filled:
        r, v = filled[-1]
        staging = {"time": r.time, "rows": v.staging_rows, "bytes": v.staging_bytes,
                   "verdict": r.verdict, "mode": v.mode}  # fmt: skip
    moments = [dict_moment(p) for p in points]
    rows = fit_trend(moments, [p["production_rows"] for p in points])
    with_bytes = [p for p in points if p["production_bytes"] is not None]
    size = fit_trend(
        [dict_moment(p) for p in with_bytes], [p["production_bytes"] for p in with_bytes]
    )
    first = points[0]["production_rows"] if points else None
    last = points[-1]["production_rows"] if points else None
    return {
        "table": name,
        "points": points,
        "staging": staging,
        "first_rows": first,
        "last_rows": last,
        "last_bytes": with_bytes[-1]["production_bytes"] if with_bytes else None,
        "change_pct": _pct(first, last),
        "rows_per_day": round(rows.per_day, 3) if rows else None,
        "projected_rows": round(rows.projected) if rows else None,
        "projected_bytes": round(size.projected) if size else None,
        "r2": round(rows.r2, 4) if rows and rows.r2 is not None else None,
    }


def dict_moment(point: dict[str, Any]) -> dt.datetime:
    return parse_time(point["time"])


def sparkline(values: Sequence[float | None]) -> str:
    """The series as one line of block characters (Markdown has no charts)."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    span = hi - lo
    return "".join(
        " " if v is None else SPARKS[0 if span == 0 else round((v - lo) / span * (len(SPARKS) - 1))]
        for v in values
    )


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _signed_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} %"


def render_md(growth: dict[str, Any]) -> str:
    """Markdown for wikis and pull requests: a sparkline per table instead of a chart."""
    runs = growth["runs"]
    t = growth["totals"]
    lines = [
        "# Production growth",
        "",
        f"{len(runs)} run{'s' if len(runs) != 1 else ''} from {runs[0]['time']} to"
        f" {runs[-1]['time']} · production {_num(t['first_rows'])} -> {_num(t['last_rows'])} rows"
        f" ({_signed_pct(t['change_pct'])}) · projected in {growth['projection_days']} days:"
        f" {_num(t['projected_rows'])} rows",
        "",
        "| table | production rows over time | first | last | change | rows/day"
        f" | projected (+{growth['projection_days']} d) | R² | staging last fill |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for table in growth["tables"]:
        spark = sparkline([p["production_rows"] for p in table["points"]])
        staging = table["staging"]
        fill = f"{_num(staging['rows'])} rows ({staging['time']})" if staging else "–"
        lines.append(
            f"| {table['table']} | `{spark}` | {_num(table['first_rows'])}"
            f" | {_num(table['last_rows'])} | {_signed_pct(table['change_pct'])}"
            f" | {_num(table['rows_per_day'])} | {_num(table['projected_rows'])}"
            f" | {_num(table['r2'])} | {fill} |"
        )
    lines += ["", "## Runs", "", "| time | job | verdict | production rows | production bytes"
              " | staging rows | profile |", "|---|---|---|---:|---:|---:|---|"]  # fmt: skip
    for run in runs:
        lines.append(
            f"| {run['time']} | {run['job']} | {run['verdict']} | {_num(run['production_rows'])}"
            f" | {human_bytes(run['production_bytes'])} | {_num(run['staging_rows'])}"
            f" | `{run['profile_digest']}` |"
        )
    lines += ["", growth["method"]]
    return "\n".join(lines) + "\n"


def render_csv(growth: dict[str, Any], records: Sequence[HistoryRecord]) -> str:
    """Long format, one row per (run, table), then one ``projection`` row per table."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        for name, volume in record.tables.items():
            writer.writerow({
                "time": record.time, "kind": "run", "table": name,
                "production_rows": volume.production_rows,
                "production_bytes": volume.production_bytes, "staging_rows": volume.staging_rows,
                "staging_bytes": volume.staging_bytes, "verdict": record.verdict,
                "profile_digest": record.profile_digest,
            })  # fmt: skip
    last = parse_time(growth["production"][-1]["time"]) + dt.timedelta(
        days=growth["projection_days"]
    )
    for table in growth["tables"]:
        if table["projected_rows"] is not None:
            writer.writerow({
                "time": utc_text(last), "kind": "projection", "table": table["table"],
                "production_rows": table["projected_rows"],
                "production_bytes": table["projected_bytes"],
            })  # fmt: skip
    return out.getvalue()


def _point(time: str, value: float | None) -> charts.TimePoint | None:
    if value is None:
        return None
    return charts.TimePoint(dict_moment({"time": time}).timestamp(), float(value))


def _chart(table: dict[str, Any], days: int) -> str:
    points = [p for p in (_point(x["time"], x["production_rows"]) for x in table["points"]) if p]
    staging = table["staging"]
    projection = None
    if table["projected_rows"] is not None and points:
        projection = charts.TimePoint(points[-1].at + days * 86_400, table["projected_rows"])
    subtitle = (
        f"{_num(table['first_rows'])} -> {_num(table['last_rows'])} rows"
        f" ({_signed_pct(table['change_pct'])})"
        + (f" · {_num(table['projected_rows'])} in {days} d" if projection else "")
    )
    return charts.growth_chart(
        points,
        staging=_point(staging["time"], staging["rows"]) if staging else None,
        projection=projection,
        title=table["table"],
        subtitle=subtitle,
    )


def render_html(growth: dict[str, Any]) -> str:
    """One self-contained page (inline CSS and SVG), the parity report's look."""
    days = growth["projection_days"]
    total = {
        "table": "all tables",
        "points": growth["production"],
        "staging": next(
            (
                {"time": r["time"], "rows": r["staging_rows"]}
                for r in reversed(growth["runs"])
                if r["staging_rows"] is not None and r["verdict"] != "error"
            ),
            None,
        ),  # fmt: skip
        "first_rows": growth["totals"]["first_rows"],
        "last_rows": growth["totals"]["last_rows"],
        "change_pct": growth["totals"]["change_pct"],
        "projected_rows": growth["totals"]["projected_rows"],
    }
    charted = [t for t in growth["tables"] if t["points"]][:CHART_TABLES]
    template = template_environment().get_template("growth.html.j2")
    return template.render(
        growth=growth,
        total_chart=_chart(total, days),
        table_charts=[_chart(t, days) for t in charted],
        more=max(0, len(growth["tables"]) - len(charted)),
        spark=sparkline,
    )


def write_growth(
    history: str | Path, fmt: str, output: str | Path | None, notes: list[str] | None = None
) -> str:
    """Read *history*, render *fmt*, write it to *output* (atomically) or return the text."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: a growth report is one of {', '.join(FORMATS)}")
    records = read_history(history, notes)
    growth = build_growth(records, source=str(history))
    if fmt == "json":
        text = json.dumps(growth, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "md":
        text = render_md(growth)
    elif fmt == "csv":
        text = render_csv(growth, records)
    else:
        text = render_html(growth)
    if output is not None:
        write_atomic(output, text)
    return text
