"""Conversions between the profile's JSON scalars and numbers generators can interpolate.

Temporal values are stored as ISO-8601 text in the profile (diffable, dialect-neutral) and handled
as floats everywhere else: dates as days since 1970-01-01, datetimes as seconds since the epoch
(naive values are taken as UTC), times as seconds since midnight.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

EPOCH_DATE = dt.date(1970, 1, 1)
EPOCH = dt.datetime(1970, 1, 1)

# Sentinel dates such as 9999-12-31 23:59:59.999999 must survive float round trips: clamp to
# what Python's date types can hold rather than overflow.
_MIN_DAYS = (dt.date.min - EPOCH_DATE).days
_MAX_DAYS = (dt.date.max - EPOCH_DATE).days
_MIN_MICROS = (dt.datetime.min - EPOCH) // dt.timedelta(microseconds=1)
_MAX_MICROS = (dt.datetime.max - EPOCH) // dt.timedelta(microseconds=1)

TEMPORAL = frozenset({"date", "datetime", "time"})
NUMERIC = frozenset({"integer", "float", "decimal"})
ORDERED = NUMERIC | TEMPORAL


def to_number(value: Any, logical_type: str) -> float:
    """A profile scalar (or a Python value read from a database) as a float."""
    if logical_type == "date":
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        if isinstance(value, dt.datetime):
            value = value.date()
        return float((value - EPOCH_DATE).days)
    if logical_type == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return (value - EPOCH).total_seconds()
    if logical_type == "time":
        if isinstance(value, str):
            value = dt.time.fromisoformat(value)
        if isinstance(value, dt.timedelta):  # MySQL TIME comes back as timedelta
            return value.total_seconds()
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, bool):
        return float(value)
    return float(value)


def from_number(number: float, logical_type: str) -> Any:
    """The JSON scalar for a float produced by :func:`to_number` (used when writing profiles)."""
    if logical_type == "date":
        days = min(max(round(number), _MIN_DAYS), _MAX_DAYS)
        return (EPOCH_DATE + dt.timedelta(days=days)).isoformat()
    if logical_type == "datetime":
        micros = min(max(round(number * 1e6), _MIN_MICROS), _MAX_MICROS)
        return (EPOCH + dt.timedelta(microseconds=micros)).isoformat()
    if logical_type == "time":
        seconds = max(0.0, min(86399.999999, number))
        base = dt.datetime(2000, 1, 1) + dt.timedelta(seconds=seconds)
        return base.time().isoformat()
    if logical_type == "integer":
        return int(round(number))
    return float(number)


def to_scalar(value: Any, logical_type: str) -> Any:
    """A Python value read from a database as a profile scalar (JSON-safe, dialect-neutral)."""
    if value is None:
        return None
    if logical_type in TEMPORAL:
        return from_number(to_number(value, logical_type), logical_type)
    if isinstance(value, decimal.Decimal):
        return int(value) if logical_type == "integer" else float(value)
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)
