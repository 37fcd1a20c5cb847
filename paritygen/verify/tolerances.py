"""The parity bars and how a user changes them: a small YAML file, validated at the boundary.

Defaults are the bars of the design ("What parity means"). A tolerances file may change a bar
everywhere, change it for one table or column, or skip measures::

    bars:
      null_fraction: 0.02        # every column
      ks: 0.05
    overrides:
      orders.amount:ks: 0.10     # one column, one measure
      events:rows: 0.001         # one table: row counts within 0.1 %
    skip:
      - bytes                    # a measure everywhere
      - audit_log                # every measure of a table
      - orders.note              # every measure of a column
      - orders.amount:ks         # one measure of one column ("*" and "?" globs allowed)

Every error names its path in the file (``tolerances.yaml: bars.kss: unknown measure``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from paritygen.errors import ConfigError

MEASURES: dict[str, str] = {
    "rows": "row count off by this share of the expected count (exact: 0)",
    "null_fraction": "absolute difference of the NULL share",
    "ks": "Kolmogorov-Smirnov distance of numeric / temporal values",
    "length_ks": "Kolmogorov-Smirnov distance of string lengths",
    "tv": "total variation distance of categorical frequencies",
    "distinct": "distinct count off by this share of the expected count",
    "fanout_ks": "Kolmogorov-Smirnov distance of children per parent",
    "childless": "absolute difference of the share of childless parents",
    "orphans": "child rows whose parent does not exist",
    "duplicates": "rows repeating a primary or unique key",
    "not_null": "NULLs in NOT NULL columns",
    "check": "rows violating a CHECK constraint",
    "length": "strings longer than the declared length",
    "bytes": "table + index bytes off by this share of production's",
    "pii_leak": "staging values of identifying PII columns found in production",
    "row_copies": "share of sampled staging rows equal to a production row",
    "ordering": "difference of the share of rows where a <= b (two columns of a row)",
    "fk_ordering": "difference of the share of rows where a column follows its parent's",
    "diamond": "difference of the share of rows whose two FK paths reach the same ancestor",
    "identity": "difference of the share of rows where c = a + b or c = a * b holds",
}
"""Every measure verify reports, with the meaning of its value."""


@dataclass(frozen=True)
class Tolerances:
    """Bars per measure, per-target overrides and skips. Frozen: verify never mutates it."""

    rows: float = 0.0
    null_fraction: float = 0.01
    ks: float = 0.05
    length_ks: float = 0.05
    tv: float = 0.05
    distinct: float = 0.10
    fanout_ks: float = 0.05
    childless: float = 0.05
    orphans: float = 0.0
    duplicates: float = 0.0
    not_null: float = 0.0
    check: float = 0.0
    length: float = 0.0
    bytes: float = 0.20
    pii_leak: float = 0.0
    row_copies: float = 0.05
    ordering: float = 0.02
    fk_ordering: float = 0.02
    diamond: float = 0.02
    identity: float = 0.02
    distinct_min_values: int = 20
    """Distinct counts are compared only for columns with at least this many values."""
    categorical_max_values: int = 200
    """Frequencies are compared only for columns with at most this many values."""
    row_copies_min_rows: int = 1000
    """Whole-row copies are looked for only in tables with at least this many rows."""
    ks_noise: float = 1.63
    """KS bars never drop below ``ks_noise * sqrt((n+m)/(n*m))`` for samples of n and m rows, the
    distance two honest samples reach by chance at the 1 % level; 0 turns this off."""
    tv_noise: float = 1.5
    """Total-variation bars never drop below ``tv_noise`` x half the summed standard deviations of
    the shares for samples of n and m rows (about 1.9 x the distance expected by chance)."""
    overrides: dict[str, float] = field(default_factory=dict)
    """``target:measure`` -> bar, target being ``table`` or ``table.column`` (globs allowed)."""
    skip: tuple[str, ...] = ()
    """Skip patterns: ``measure``, ``table``, ``table.column``, ``target:measure``."""

    def bar(self, measure: str, table: str, column: str | None = None) -> float:
        """The bar for *measure* on *table* (.*column*): the most specific override wins."""
        target = f"{table}.{column}" if column else table
        best: tuple[int, float] | None = None
        for key, value in self.overrides.items():
            pattern, _, name = key.rpartition(":")
            if name != measure or not _target_matches(pattern, table, column):
                continue
            specificity = pattern.count(".") * 2 + (0 if any(c in pattern for c in "*?[") else 1)
            if pattern == target:
                specificity += 10
            if best is None or specificity > best[0]:
                best = (specificity, value)
        return best[1] if best else float(getattr(self, measure))

    def skipped(self, measure: str, table: str, column: str | None = None) -> bool:
        """True when the user asked not to measure *measure* on this table or column."""
        for pattern in self.skip:
            target, sep, name = pattern.rpartition(":")
            if not sep:
                if pattern in MEASURES:
                    target, name = "", pattern
                else:
                    target, name = pattern, "*"
            if not fnmatch.fnmatchcase(measure, name):
                continue
            if not target or _target_matches(target, table, column):
                return True
        return False


def _target_matches(pattern: str, table: str, column: str | None) -> bool:
    """``table`` matches the table and all its columns; ``table.column`` only that column."""
    if "." in pattern:
        if column is None:
            return False
        return fnmatch.fnmatchcase(f"{table}.{column}", pattern)
    return fnmatch.fnmatchcase(table, pattern)


_NUMBER_FIELDS = {f.name for f in fields(Tolerances) if f.name not in ("overrides", "skip")}


def _number(value: Any, where: str, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, found {value!r}")
    if value < 0:
        raise ConfigError(f"{where}: must be >= 0, found {value!r}")
    if integer and int(value) != value:
        raise ConfigError(f"{where}: expected a whole number, found {value!r}")
    return int(value) if integer else float(value)


def tolerances_from_dict(data: Any, origin: str = "tolerances") -> Tolerances:
    """Validate plain data (as loaded from YAML) into :class:`Tolerances`."""
    if data is None:
        return Tolerances()
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping with bars / overrides / skip")
    unknown = set(data) - {"bars", "overrides", "skip"}
    if unknown:
        raise ConfigError(
            f"{origin}: {sorted(unknown)[0]}: unknown key (use bars, overrides, skip)"
        )
    changes: dict[str, Any] = {}
    bars = data.get("bars") or {}
    if not isinstance(bars, dict):
        raise ConfigError(f"{origin}: bars: expected a mapping of measure: bar")
    for name, value in bars.items():
        where = f"{origin}: bars.{name}"
        if name not in _NUMBER_FIELDS:
            raise ConfigError(f"{where}: unknown measure (known: {', '.join(sorted(MEASURES))})")
        integer = name.endswith(("_values", "_rows"))
        changes[name] = _number(value, where, integer=integer)
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(f"{origin}: overrides: expected a mapping of 'target:measure': bar")
    parsed: dict[str, float] = {}
    for key, value in overrides.items():
        where = f"{origin}: overrides.{key}"
        target, sep, name = str(key).rpartition(":")
        if not sep or not target:
            raise ConfigError(f"{where}: expected 'table:measure' or 'table.column:measure'")
        if name not in MEASURES:
            raise ConfigError(f"{where}: unknown measure {name!r}")
        parsed[str(key)] = _number(value, where)
    skip = data.get("skip") or []
    if isinstance(skip, str):
        skip = [skip]
    if not isinstance(skip, list):
        raise ConfigError(f"{origin}: skip: expected a list of patterns")
    for i, pattern in enumerate(skip):
        where = f"{origin}: skip.{i}"
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"{where}: expected a pattern such as 'bytes' or 'orders.note'")
        _, sep, name = pattern.rpartition(":")
        if sep and not any(fnmatch.fnmatchcase(m, name) for m in MEASURES):
            raise ConfigError(f"{where}: {name!r} matches no measure")
    return replace(Tolerances(), **changes, overrides=parsed, skip=tuple(skip))


def read_tolerances(path: str | Path) -> Tolerances:
    """Read a tolerances YAML file; every failure is one line naming the path inside the file."""
    from paritygen.files import read_yaml

    data = read_yaml(path, "tolerances file")
    return tolerances_from_dict(data, str(path))
