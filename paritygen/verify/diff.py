"""How production changed between two captures: growth, schema changes, distributions that moved.

Both sides are profiles, so the comparison uses the same sketch distances as verify, and calls a
distribution "moved" when it would miss verify's default bar: a moved column is one a staging
database generated from the old profile would no longer match.
"""

from __future__ import annotations

import json
from typing import Any

from paritygen.errors import ConfigError
from paritygen.profile.model import Column, Profile, Table
from paritygen.profile.values import ORDERED
from paritygen.verify import measures as m
from paritygen.verify.compare import CATEGORICAL_TYPES, column_cdf, frequencies
from paritygen.verify.tolerances import Tolerances

DIFF_SCHEMA_VERSION = 1
FORMATS = ("text", "md", "json")


def _pct(old: float, new: float) -> float | None:
    return round((new - old) / old * 100.0, 3) if old else None


def _bytes(table: Table) -> int | None:
    return None if table.data_bytes is None else table.data_bytes + (table.index_bytes or 0)


def diff_profiles(old: Profile, new: Profile, tolerances: Tolerances | None = None) -> dict:
    """The changes from *old* to *new* as plain data (the JSON document of ``paritygen diff``)."""
    bars = tolerances or Tolerances()
    tables = []
    for name in [t for t in new.tables if t in old.tables]:
        a, b = old.tables[name], new.tables[name]
        entry: dict[str, Any] = {
            "table": name,
            "rows_old": a.row_count,
            "rows_new": b.row_count,
            "rows_change": b.row_count - a.row_count,
            "rows_change_pct": _pct(a.row_count, b.row_count),
            "bytes_old": _bytes(a),
            "bytes_new": _bytes(b),
            "columns_added": [c for c in b.columns if c not in a.columns],
            "columns_dropped": [c for c in a.columns if c not in b.columns],
            "type_changes": [],
            "moved": [],
        }
        for cname in [c for c in b.columns if c in a.columns]:
            ca, cb = a.columns[cname], b.columns[cname]
            if (ca.logical_type, ca.sql_type, ca.nullable) != (
                cb.logical_type,
                cb.sql_type,
                cb.nullable,
            ):
                entry["type_changes"].append({"column": cname, "old": _type(ca), "new": _type(cb)})
            entry["moved"] += _moved(ca, cb, bars)
        entry["moved"] += _fanout_moved(a, b, bars)
        tables.append(entry)
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "kind": "paritygen-diff",
        "old": {"captured_at": old.source.captured_at, "dialect": old.source.dialect},
        "new": {"captured_at": new.source.captured_at, "dialect": new.source.dialect},
        "tables_added": [t for t in new.tables if t not in old.tables],
        "tables_dropped": [t for t in old.tables if t not in new.tables],
        "totals": {
            "rows_old": sum(t.row_count for t in old.tables.values()),
            "rows_new": sum(t.row_count for t in new.tables.values()),
        },
        "tables": tables,
    }


def _type(column: Column) -> str:
    return f"{column.sql_type}{'' if column.nullable else ' NOT NULL'}"


def _moved(a: Column, b: Column, bars: Tolerances) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    sa_, sb = a.stats, b.stats
    if sa_ is None or sb is None:
        return out

    def add(measure: str, value: float, bar: float, old: Any = None, new: Any = None) -> None:
        if value > bar + 1e-12:
            out.append(
                {
                    "column": a.name,
                    "measure": measure,
                    "value": round(value, 6),
                    "bar": bar,
                    "old": old,
                    "new": new,
                }
            )

    add(
        "null_fraction",
        abs(sa_.null_fraction - sb.null_fraction),
        bars.null_fraction,
        sa_.null_fraction,
        sb.null_fraction,
    )
    if a.logical_type in ORDERED and a.logical_type == b.logical_type:
        cdf_a, cdf_b = column_cdf(a, sa_), column_cdf(b, sb)
        if cdf_a is not None and cdf_b is not None:
            add("ks", m.ks_distance(cdf_a, cdf_b), bars.ks, sa_.min, sb.min)
    if sa_.length and sb.length and sa_.length.quantiles and sb.length.quantiles:
        add(
            "length_ks",
            m.ks_distance(
                m.QuantileCDF.from_quantiles(sa_.length.quantiles),
                m.QuantileCDF.from_quantiles(sb.length.quantiles),
            ),
            bars.length_ks,
            round(sa_.length.mean, 2),
            round(sb.length.mean, 2),
        )
    if a.logical_type in CATEGORICAL_TYPES and not a.pii and sa_.distinct_count <= 200:
        fa, fb = frequencies(sa_), frequencies(sb)
        if fa is not None and fb is not None:
            add("tv", m.total_variation(fa, fb), bars.tv)
    if max(sa_.distinct_count, sb.distinct_count) >= bars.distinct_min_values:
        base = max(sa_.distinct_count, 1)
        add(
            "distinct",
            abs(sb.distinct_count / base - 1.0),
            bars.distinct,
            sa_.distinct_count,
            sb.distinct_count,
        )
    return out


def _fanout_moved(a: Table, b: Table, bars: Tolerances) -> list[dict[str, Any]]:
    out = []
    new_fks = {(fk.columns, fk.ref_table): fk for fk in b.foreign_keys}
    for fk in a.foreign_keys:
        other = new_fks.get((fk.columns, fk.ref_table))
        if not (
            fk.fanout and other and other.fanout and fk.fanout.quantiles and other.fanout.quantiles
        ):
            continue
        value = m.ks_distance(
            m.QuantileCDF.from_quantiles(fk.fanout.quantiles),
            m.QuantileCDF.from_quantiles(other.fanout.quantiles),
        )
        if value > bars.fanout_ks:
            out.append(
                {
                    "column": ",".join(fk.columns),
                    "measure": "fanout_ks",
                    "value": round(value, 6),
                    "bar": bars.fanout_ks,
                    "old": round(fk.fanout.mean, 3),
                    "new": round(other.fanout.mean, 3),
                }
            )
    return out


def _growth(entry: dict[str, Any]) -> str:
    pct = entry["rows_change_pct"]
    pct_text = f" ({pct:+.1f} %)" if pct is not None else ""
    change = f"{entry['rows_change']:+,}"
    return f"{entry['rows_old']:,} -> {entry['rows_new']:,} rows, {change}{pct_text}"


def render_diff(data: dict[str, Any], fmt: str = "text") -> str:
    """Render the diff as text (terminal), md (pull requests) or json (machines)."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    md = fmt == "md"
    head = "## " if md else ""
    item = "- " if md else "  "
    t = data["totals"]
    growth = _pct(t["rows_old"], t["rows_new"])
    lines = [
        f"{'# ' if md else ''}Production changes: {data['old']['captured_at']}"
        f" -> {data['new']['captured_at']}",
        f"{t['rows_old']:,} -> {t['rows_new']:,} rows in all"
        f" ({t['rows_new'] - t['rows_old']:+,}"
        f"{f', {growth:+.1f} %' if growth is not None else ''})",
    ]
    if data["tables_added"]:
        lines.append(f"new tables: {', '.join(data['tables_added'])}")
    if data["tables_dropped"]:
        lines.append(f"dropped tables: {', '.join(data['tables_dropped'])}")
    for entry in sorted(data["tables"], key=lambda e: -abs(e["rows_change"])):
        changed = (
            entry["rows_change"]
            or entry["columns_added"]
            or entry["columns_dropped"]
            or entry["type_changes"]
            or entry["moved"]
        )
        if not changed:
            continue
        lines += ["", f"{head}{entry['table']}: {_growth(entry)}"]
        if entry["columns_added"]:
            lines.append(f"{item}new columns: {', '.join(entry['columns_added'])}")
        if entry["columns_dropped"]:
            lines.append(f"{item}dropped columns: {', '.join(entry['columns_dropped'])}")
        for change in entry["type_changes"]:
            lines.append(f"{item}type of {change['column']}: {change['old']} -> {change['new']}")
        for moved in entry["moved"]:
            extra = ""
            if moved["old"] is not None or moved["new"] is not None:
                extra = f" ({moved['old']} -> {moved['new']})"
            lines.append(
                f"{item}{moved['column']}: {moved['measure']} {moved['value']:.4g}"
                f" > {moved['bar']:g}{extra}"
            )
    unchanged = sum(
        1
        for e in data["tables"]
        if not (
            e["rows_change"]
            or e["columns_added"]
            or e["columns_dropped"]
            or e["type_changes"]
            or e["moved"]
        )
    )
    lines += ["", f"{unchanged} table{'s' if unchanged != 1 else ''} unchanged"]
    return "\n".join(lines) + "\n"
