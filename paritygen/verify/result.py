"""What verify found: each measure with its bar, and the whole result with its verdict.

Kept apart from :mod:`.compare` (which takes the measures) so reports, the CLI and CI tooling can
read results without the measuring code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paritygen.profile.model import Profile
from paritygen.verify.tolerances import Tolerances

SCHEMA_VERSION = 1
"""Version of the dictionary :meth:`ParityResult.to_dict` returns (docs/report-json.md)."""


@dataclass(frozen=True)
class Measure:
    """One parity measure: a distance (``value``) that passes when it is at most ``bar``."""

    table: str
    column: str | None
    measure: str
    value: float
    bar: float
    passed: bool
    expected: float | None = None
    """Production's figure (scaled), when the measure compares two figures."""
    observed: float | None = None
    """Staging's figure."""
    detail: str = ""

    @property
    def excess(self) -> float:
        """How far past the bar, relative to the bar (absolute when the bar is 0)."""
        if self.passed:
            return 0.0
        return (self.value - self.bar) / self.bar if self.bar > 0 else self.value

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "measure": self.measure,
            "value": _finite(self.value),
            "bar": _finite(self.bar),
            "passed": self.passed,
            "expected": _finite(self.expected),
            "observed": _finite(self.observed),
            "detail": self.detail,
        }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    return round(float(value), 6)


@dataclass
class ParityResult:
    """Everything verify measured. ``staging`` is the target's profile (for reports and charts)."""

    measures: list[Measure]
    not_measured: list[str] = field(default_factory=list)
    """``table.column: measure: reason`` for each measure that could not be taken."""
    scale: float = 1.0
    scale_lookups: bool = False
    """Staging was generated with ``--scale-lookups`` (lookup tables scaled too)."""
    target: str | None = None
    """The target URL, password hidden."""
    seconds: float = 0.0
    staging: Profile | None = None
    schema: list[str] = field(default_factory=list)
    """What staging's schema lacks or holds differently from production's (views, triggers,
    indexes, changed types; :mod:`paritygen.verify.schema_notes`): notes, never a miss."""

    @property
    def passed(self) -> bool:
        return all(measure.passed for measure in self.measures)

    @property
    def misses(self) -> list[Measure]:
        """Measures out of their bar, worst first."""
        return sorted((x for x in self.measures if not x.passed), key=lambda x: -x.excess)

    def ordered(self) -> list[Measure]:
        """Misses first (worst first), then the measures that hold, in schema order."""
        return self.misses + [x for x in self.measures if x.passed]

    def counts(self) -> dict[str, int]:
        missed = sum(1 for x in self.measures if not x.passed)
        return {
            "measures": len(self.measures),
            "passed": len(self.measures) - missed,
            "missed": missed,
            "not_measured": len(self.not_measured),
        }

    def verdict(self) -> str:
        """The one-line verdict shown last by the CLI and at the top of reports."""
        c = self.counts()
        word = "PARITY HOLDS" if self.passed else "PARITY MISSED"
        tables = len({x.table for x in self.misses})
        where = f" in {tables} table{'s' if tables != 1 else ''}" if c["missed"] else ""
        return (
            f"{word}: {c['passed']} of {c['measures']} measures within their bars,"
            f" {c['missed']} missed{where}, {c['not_measured']} not measured"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "passed": self.passed,
            "verdict": self.verdict(),
            "scale": self.scale,
            "target": self.target,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "measures": [x.to_dict() for x in self.ordered()],
            "not_measured": list(self.not_measured),
            "schema": list(self.schema),
        }


class Collector:
    """Builds measures, applying the tolerances' bars and skips in one place."""

    def __init__(self, tolerances: Tolerances) -> None:
        self.tolerances = tolerances
        self.measures: list[Measure] = []
        self.not_measured: list[str] = []

    def wants(self, measure: str, table: str, column: str | None = None) -> bool:
        return not self.tolerances.skipped(measure, table, column)

    def add(
        self,
        table: str,
        column: str | None,
        measure: str,
        value: float,
        *,
        floor: float = 0.0,
        expected: float | None = None,
        observed: float | None = None,
        detail: str = "",
    ) -> None:
        if not self.wants(measure, table, column):
            return
        bar = max(self.tolerances.bar(measure, table, column), floor)
        passed = value <= bar + 1e-12
        self.measures.append(
            Measure(table, column, measure, float(value), bar, passed, expected, observed, detail)
        )

    def skip(self, table: str, column: str | None, measure: str, reason: str) -> None:
        where = f"{table}.{column}" if column else table
        note = f"{where}: {measure}: {reason}"
        # "*" notes hold for every table (SQLite has no sizes at all): said once, not per table.
        if self.wants(measure, table, column) and note not in self.not_measured:
            self.not_measured.append(note)
