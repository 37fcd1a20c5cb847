"""The terminal rendering of a verify run: misses first, worst first, then one verdict line."""

from __future__ import annotations

from paritygen.verify.result import Measure, ParityResult


def _value(measure: Measure) -> str:
    if measure.measure in ("orphans", "duplicates", "not_null", "check", "length", "pii_leak"):
        return f"{measure.value:,.0f}"
    return f"{measure.value:.4f}"


def _line(measure: Measure, mark: str) -> str:
    relation = "<=" if measure.passed else ">"
    return (
        f"  {mark} {measure.target:<32} {measure.measure:<13} {_value(measure):>10}"
        f" {relation} {measure.bar:<8.4g} {measure.detail}"
    )


def render_text(result: ParityResult, *, show_all: bool = False, notes: bool = True) -> str:
    """Misses (worst first, by how far past their bar), optionally the measures that hold, what
    could not be measured, and the verdict as the last line (what a CI log shows at a glance)."""
    lines: list[str] = []
    misses = result.misses
    if misses:
        lines.append(f"MISSES ({len(misses)}, worst first):")
        lines += [_line(x, "✗") for x in misses]
    if show_all:
        held = [x for x in result.measures if x.passed]
        if held:
            lines.append(f"WITHIN BARS ({len(held)}):")
            lines += [_line(x, "✓") for x in held]
    if notes and result.not_measured:
        lines.append(f"NOT MEASURED ({len(result.not_measured)}):")
        lines += [f"  - {n}" for n in result.not_measured]
    if notes and result.schema:
        lines.append(f"SCHEMA, NOT A MEASURE ({len(result.schema)}):")
        lines += [f"  - {n}" for n in result.schema]
    lines.append(result.verdict())
    return "\n".join(lines)
