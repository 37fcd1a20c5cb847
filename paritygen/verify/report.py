"""The volume and parity report: one data structure, four renderings (json, csv, md, html).

:func:`build_report` gathers the figures once; every format renders that same dictionary, so the
numbers in the HTML page, the Markdown summary and the JSON a CI job gates on never disagree. The
JSON shape is a stable contract documented in ``docs/report-json.md`` (``schema_version``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from paritygen import __version__
from paritygen.errors import ConfigError
from paritygen.files import write_atomic
from paritygen.profile.model import Profile
from paritygen.profile.values import ORDERED
from paritygen.verify import charts
from paritygen.verify import measures as m
from paritygen.verify.compare import column_cdf, expected_counts
from paritygen.verify.result import ParityResult

REPORT_SCHEMA_VERSION = 1
"""Bumped only on an incompatible change of the JSON shape (docs/report-json.md)."""
FORMATS = ("md", "json", "csv", "html")
LARGEST = 10
CHART_TABLES = 40
"""Tables drawn in the volume charts (largest first); the sortable table lists them all."""
CSV_FIELDS = (
    "table",
    "production_rows",
    "production_bytes",
    "staging_rows",
    "staging_bytes",
    "expected_rows",
    "rows_ratio",
    "bytes_ratio",
    "parity_missed",
)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b:
        return None
    return round(a / b, 6)


def _bytes(data: int | None, index: int | None) -> int | None:
    return None if data is None else data + (index or 0)


def build_report(
    profile: Profile, parity: ParityResult | None = None, *, name: str | None = None
) -> dict[str, Any]:
    """The report as plain data (the JSON document, schema_version 1)."""
    staging = parity.staging if parity else None
    scale = parity.scale if parity else 1.0
    missed: dict[str, int] = {}
    if parity:
        for measure in parity.misses:
            missed[measure.table] = missed.get(measure.table, 0) + 1
    rows = []
    counts = expected_counts(profile, scale, parity.scale_lookups) if parity else {}
    for tname, table in profile.tables.items():
        other = staging.tables.get(tname) if staging else None
        prod_bytes = _bytes(table.data_bytes, table.index_bytes)
        stage_rows = other.row_count if other else (0 if staging else None)
        stage_bytes = _bytes(other.data_bytes, other.index_bytes) if other else None
        expected = counts.get(tname)
        rows.append(
            {
                "table": tname,
                "production_rows": table.row_count,
                "production_rows_method": table.row_count_method,
                "production_bytes": prod_bytes,
                "production_data_bytes": table.data_bytes,
                "production_index_bytes": table.index_bytes,
                "columns": len(table.columns),
                "staging_rows": stage_rows,
                "staging_bytes": stage_bytes,
                "expected_rows": expected if parity else None,
                "rows_ratio": _ratio(stage_rows, table.row_count),
                "bytes_ratio": _ratio(stage_bytes, prod_bytes),
                "rows_as_expected": stage_rows == expected if parity else None,
                "parity_missed": missed.get(tname, 0) if parity else None,
            }
        )
    totals = {
        "tables": len(rows),
        "production_rows": sum(r["production_rows"] for r in rows),
        "production_bytes": _sum(r["production_bytes"] for r in rows),
        "staging_rows": _sum(r["staging_rows"] for r in rows) if staging else None,
        "staging_bytes": _sum(r["staging_bytes"] for r in rows) if staging else None,
    }
    totals["rows_ratio"] = _ratio(totals["staging_rows"], totals["production_rows"])
    totals["bytes_ratio"] = _ratio(totals["staging_bytes"], totals["production_bytes"])
    by_size = sorted(
        rows, key=lambda r: (r["production_bytes"] or 0, r["production_rows"]), reverse=True
    )
    src = profile.source
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": "paritygen-report",
        "name": name,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "paritygen_version": __version__,
        "production": {
            "dialect": src.dialect,
            "server_version": src.server_version,
            "database": src.database,
            "schema": src.schema,
            "captured_at": src.captured_at,
        },
        "staging": {"target": parity.target, "scale": scale} if parity else None,
        "tables": rows,
        "totals": totals,
        "largest_tables": [r["table"] for r in by_size[:LARGEST]],
        "parity": parity.to_dict() if parity else None,
        "schema": {
            # Objects of production the profile does not carry (a staging built from the
            # profile lacks them), and, with a target, what staging's schema really lacks.
            "not_carried": list(profile.not_carried),
            "differences": list(parity.schema) if parity else None,
        },
    }


def _sum(values: Any) -> int | None:
    items = [v for v in values if v is not None]
    return sum(items) if items else None


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def render_csv(report: dict[str, Any]) -> str:
    """One row per table (spreadsheets and BI tools); the totals are the sum of the rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in report["tables"]:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_FIELDS})
    return out.getvalue()


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}"


def human_bytes(value: Any) -> str:
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


def render_md(report: dict[str, Any]) -> str:
    """A Markdown summary for pull requests, wikis and chat."""
    lines = [f"# paritygen report{': ' + report['name'] if report['name'] else ''}", ""]
    prod = report["production"]
    lines.append(
        f"Production: {prod['dialect']} {prod['server_version'] or ''}"
        f"{' · ' + prod['database'] if prod['database'] else ''}"
        f"{' · captured ' + prod['captured_at'] if prod['captured_at'] else ''}"
    )
    if report["staging"]:
        lines.append(f"Staging: {report['staging']['target']} · scale {report['staging']['scale']}")
    parity = report["parity"]
    if parity:
        lines += ["", f"**{parity['verdict']}**"]
    t = report["totals"]
    lines += [
        "",
        f"{t['tables']} tables · production {_num(t['production_rows'])} rows,"
        f" {human_bytes(t['production_bytes'])}"
        + (
            f" · staging {_num(t['staging_rows'])} rows, {human_bytes(t['staging_bytes'])}"
            if report["staging"]
            else ""
        ),
    ]
    lines += _md_volume(report)
    lines += [
        "",
        "Largest tables: " + ", ".join(report["largest_tables"]),
    ]
    if parity:
        misses = [x for x in parity["measures"] if not x["passed"]]
        if misses:
            lines += ["", "## Misses (worst first)", ""]
            lines += ["| target | measure | value | bar | detail |", "|---|---|---:|---:|---|"]
            for x in misses:
                target = f"{x['table']}.{x['column']}" if x["column"] else x["table"]
                lines.append(
                    f"| {target} | {x['measure']} | {x['value']:.4g} | {x['bar']:.4g}"
                    f" | {x['detail']} |"
                )
        if parity["not_measured"]:
            lines += ["", "## Not measured", ""] + [f"- {n}" for n in parity["not_measured"]]
    lines += _md_schema(report["schema"])
    return "\n".join(lines) + "\n"


def _md_schema(schema: dict[str, Any]) -> list[str]:
    """Staging's schema against production's: measured differences with a target, else what
    the profile does not carry."""
    if schema["differences"]:
        return ["", "## Schema (not a measure)", ""] + [f"- {n}" for n in schema["differences"]]
    if schema["differences"] is None and schema["not_carried"]:
        return ["", "## Not carried by the profile", "",
                "Staging built from the profile lacks these; `generate --schema-from` builds them.",
                ""] + [f"- {n}" for n in schema["not_carried"]]  # fmt: skip
    return []


def _share(part: int | None, whole: int | None) -> str:
    return f"{part / whole:.1%}" if part is not None and whole else "–"


def _md_volume(report: dict[str, Any]) -> list[str]:
    """The per-table volume table: production against staging, or production's shares alone."""
    t = report["totals"]
    if not report["staging"]:
        lines = ["", "| table | rows | bytes | share of rows | share of bytes |",
                 "|---|---:|---:|---:|---:|"]  # fmt: skip
        for r in report["tables"]:
            lines.append(
                f"| {r['table']} | {_num(r['production_rows'])}"
                f" | {human_bytes(r['production_bytes'])}"
                f" | {_share(r['production_rows'], t['production_rows'])}"
                f" | {_share(r['production_bytes'], t['production_bytes'])} |"
            )
        lines.append(
            f"| **total** | {_num(t['production_rows'])} | {human_bytes(t['production_bytes'])}"
            " | 100% | 100% |"
        )
        return lines
    lines = [
        "",
        "| table | production rows | production bytes | staging rows | staging bytes"
        " | rows ratio | bytes ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["tables"]:
        lines.append(
            f"| {r['table']} | {_num(r['production_rows'])} | {human_bytes(r['production_bytes'])}"
            f" | {_num(r['staging_rows'])} | {human_bytes(r['staging_bytes'])}"
            f" | {_num(r['rows_ratio'])} | {_num(r['bytes_ratio'])} |"
        )
    lines.append(
        f"| **total** | {_num(t['production_rows'])} | {human_bytes(t['production_bytes'])}"
        f" | {_num(t['staging_rows'])} | {human_bytes(t['staging_bytes'])}"
        f" | {_num(t['rows_ratio'])} | {_num(t['bytes_ratio'])} |"
    )
    return lines


def _distribution_charts(
    profile: Profile, parity: ParityResult | None, columns: Sequence[str]
) -> list[str]:
    """Overlays for every column that misses, and every column the user named."""
    if parity is None or parity.staging is None:
        return []
    wanted: list[tuple[str, str, str]] = []
    for x in parity.misses:
        if x.column and x.measure in (
            "ks",
            "length_ks",
            "tv",
            "null_fraction",
            "distinct",
            "fanout_ks",
            "childless",
        ):
            wanted.append((x.table, x.column, x.measure))
    for spec in columns:
        table, _, column = spec.partition(".")
        if table not in profile.tables or column not in profile.tables[table].columns:
            raise ConfigError(f"--column {spec}: no such column in the profile")
        wanted.append((table, column, ""))
    seen: set[tuple[str, str, str]] = set()
    out = []
    for table, column, measure in wanted:
        kind = {"fanout_ks": "fanout", "childless": "fanout", "length_ks": "length"}
        key = (table, column, kind.get(measure, "values"))
        if key in seen:
            continue
        seen.add(key)
        svg = _column_chart(profile, parity, table, column, measure)
        if svg:
            out.append(svg)
    return out


def _column_chart(
    profile: Profile, parity: ParityResult, table: str, column: str, measure: str
) -> str | None:
    staging = parity.staging.tables.get(table) if parity.staging else None
    if staging is None:
        return None
    found = [x for x in parity.ordered() if x.table == table and x.column == column]
    summary = " · ".join(
        f"{x.measure} {x.value:.3g} {'≤' if x.passed else '>'} {x.bar:.3g}" for x in found[:3]
    )
    title = f"{table}.{column}"
    if measure in ("fanout_ks", "childless"):
        fk_a = next(
            (f for f in profile.tables[table].foreign_keys if ",".join(f.columns) == column), None
        )
        fk_b = next((f for f in staging.foreign_keys if ",".join(f.columns) == column), None)
        if not (
            fk_a
            and fk_b
            and fk_a.fanout
            and fk_b.fanout
            and fk_a.fanout.quantiles
            and fk_b.fanout.quantiles
        ):
            return None
        return charts.cdf_chart(
            m.QuantileCDF.from_quantiles(fk_a.fanout.quantiles),
            m.QuantileCDF.from_quantiles(fk_b.fanout.quantiles),
            title=f"{title}: children per {fk_a.ref_table} row",
            subtitle=summary,
            logical_type="integer",
        )
    col_a = profile.tables[table].columns[column]
    col_b = staging.columns.get(column)
    if col_b is None or col_a.stats is None or col_b.stats is None:
        return None
    a, b = col_a.stats, col_b.stats
    if col_a.logical_type in ORDERED and measure != "length_ks":
        cdf_a, cdf_b = column_cdf(col_a, a), column_cdf(col_b, b)
        if cdf_a is None and cdf_b is None:
            return None
        return charts.cdf_chart(
            cdf_a, cdf_b, title=f"{title} (CDF)", subtitle=summary, logical_type=col_a.logical_type
        )
    if (a.most_common or b.most_common) and measure != "length_ks":
        # Shares of all rows, NULL included, so injected NULLs show as a bar of their own.
        freq_a = {str(v.value): v.frequency * (1 - a.null_fraction) for v in a.most_common}
        freq_b = {str(v.value): v.frequency * (1 - b.null_fraction) for v in b.most_common}
        if a.null_fraction or b.null_fraction:
            freq_a["(NULL)"], freq_b["(NULL)"] = a.null_fraction, b.null_fraction
        return charts.frequency_chart(
            freq_a, freq_b, title=f"{title} (share of rows)", subtitle=summary
        )
    if a.length and b.length and a.length.quantiles and b.length.quantiles:
        return charts.cdf_chart(
            m.QuantileCDF.from_quantiles(a.length.quantiles),
            m.QuantileCDF.from_quantiles(b.length.quantiles),
            title=f"{title} (string length CDF)",
            subtitle=summary,
            logical_type="integer",
        )
    return None


def template_environment() -> jinja2.Environment:
    """The templates of every HTML report (parity here, growth in ``jobs/growth.py``): one look,
    one set of filters."""
    loader = jinja2.FunctionLoader(
        lambda name: (
            resources.files("paritygen.verify")
            .joinpath("templates", name)
            .read_text(encoding="utf-8")
        )
    )
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.filters["num"] = _num
    env.filters["bytes"] = human_bytes
    return env


def render_html(
    report: dict[str, Any],
    profile: Profile,
    parity: ParityResult | None = None,
    *,
    columns: Sequence[str] = (),
) -> str:
    """One self-contained HTML file: inline CSS, inline JS, inline SVG charts, no network."""
    tables = report["tables"]
    by_rows = sorted(tables, key=lambda r: -max(r["production_rows"], r["staging_rows"] or 0))
    bars_rows = [charts.Bar(r["table"], r["production_rows"], r["staging_rows"]) for r in by_rows]
    with_bytes = [r for r in tables if r["production_bytes"] is not None or r["staging_bytes"]]
    with_bytes.sort(key=lambda r: -max(r["production_bytes"] or 0, r["staging_bytes"] or 0))
    bars_bytes = [
        charts.Bar(r["table"], r["production_bytes"], r["staging_bytes"]) for r in with_bytes
    ]

    def title(what: str, count: int) -> str:
        return f"{what} (largest {CHART_TABLES} of {count})" if count > CHART_TABLES else what

    volume = {
        "rows": {
            log: charts.bar_chart(
                bars_rows[:CHART_TABLES], unit="rows", log=log,
                title=title("Rows per table", len(bars_rows)),
            )
            for log in (False, True)
        },
        "bytes": {
            log: charts.bar_chart(
                bars_bytes[:CHART_TABLES], unit="bytes", log=log,
                title=title("Table + index bytes per table", len(bars_bytes)),
            )
            for log in (False, True)
        }
        if bars_bytes
        else None,
    }  # fmt: skip
    template = template_environment().get_template("report.html.j2")
    return template.render(
        report=report,
        parity=report["parity"],
        volume=volume,
        distributions=_distribution_charts(profile, parity, columns),
    )


def write_report(
    profile: Profile,
    parity: ParityResult | None,
    fmt: str,
    output: str | Path | None,
    *,
    columns: Sequence[str] = (),
    name: str | None = None,
) -> str:
    """Render *fmt* and write it to *output* (atomically) or return it when *output* is None."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    report = build_report(profile, parity, name=name)
    if fmt == "json":
        text = render_json(report)
    elif fmt == "csv":
        text = render_csv(report)
    elif fmt == "md":
        text = render_md(report)
    else:
        text = render_html(report, profile, parity, columns=columns)
    if output is not None:
        write_atomic(output, text)
    return text
