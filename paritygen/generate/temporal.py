"""Dates, datetimes and times: numbers from the quantile model turned into polars temporal types.

Generators work on the numbers of :mod:`paritygen.profile.values` (days since 1970-01-01 for
dates, seconds since the epoch for datetimes, seconds since midnight for times) because the
profile's quantiles interpolate linearly there; this module converts a whole block at once,
with the resolution production used (whole days, whole seconds, or microseconds).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.profile.values import to_number

SECONDS_PER_DAY = 86_400.0

DEFAULT_RANGES: dict[str, tuple[str, str]] = {
    "date": ("2020-01-01", "2025-12-31"),
    "datetime": ("2020-01-01T00:00:00", "2025-12-31T23:59:59"),
    "time": ("00:00:00", "23:59:59"),
}
"""Ranges used for a temporal column with no statistics (an empty production table)."""


def default_range(logical_type: str) -> tuple[float, float]:
    """The (low, high) numbers of :data:`DEFAULT_RANGES` for *logical_type*."""
    low, high = DEFAULT_RANGES[logical_type]
    return to_number(low, logical_type), to_number(high, logical_type)


def resolution(logical_type: str, knots: np.ndarray) -> float:
    """The step values are rounded to: whole days for dates; for datetimes and times whole
    seconds when every profiled knot is whole (production stores seconds), else microseconds."""
    if logical_type == "date":
        return 1.0
    if len(knots) and np.all(np.abs(knots - np.round(knots)) < 1e-6):
        return 1.0
    return 1e-6


def to_series(numbers: np.ndarray, logical_type: str, name: str = "") -> pl.Series:
    """Numbers (already rounded to their resolution) as a Date, Datetime("us") or Time series."""
    if logical_type == "date":
        days = np.rint(numbers).astype(np.int32)
        return pl.Series(name, days).cast(pl.Date)
    if logical_type == "datetime":
        micros = np.rint(numbers * 1e6).astype(np.int64)
        return pl.Series(name, micros).cast(pl.Datetime("us"))
    if logical_type == "time":
        nanos = np.rint(np.clip(numbers, 0.0, SECONDS_PER_DAY - 1e-6) * 1e6).astype(np.int64) * 1000
        return pl.Series(name, nanos).cast(pl.Time)
    raise ValueError(f"not a temporal type: {logical_type}")
