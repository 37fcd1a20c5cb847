"""Birth dates: moved by a keyed offset of 1 to ``window_days`` days, earlier or later.

Why an offset and not a fresh date: ages, cohorts and "born before 1970" filters stay nearly
true, which load tests and reports rely on, while the exact date (the identifying part together
with a name or postcode) is gone. The offset is keyed by the date itself, so the same date moves
the same way in every table and run, and it is never zero.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from paritygen.mask.keys import MaskKey, unique_strings
from paritygen.mask.maskers.base import MaskColumn, Masker
from paritygen.registry import maskers

DEFAULT_WINDOW_DAYS = 180
"""Largest move, in days, either way: half a year keeps ages right to within a year."""


@maskers.register("birth_date")
class BirthDateMasker(Masker):
    """A date (or timestamp, or ISO date text) moved by a keyed number of days."""

    registered_name = "birth_date"
    purpose = "date/birth"
    accepts = frozenset({"date", "datetime", "string", "text"})
    parameters: ClassVar[dict[str, object]] = {"window_days": DEFAULT_WINDOW_DAYS}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.window = self.param_int("window_days", 1, 36_500)
        if column.logical_type in ("string", "text"):
            self.need_length(10)

    def offsets(self, text: pl.Series, key: MaskKey, attempt: int) -> pl.Series:
        """Keyed days in [-window, -1] U [1, window] per row (NULL where the value is NULL)."""
        distinct, index = unique_strings(text)
        purpose = self.purpose if attempt == 0 else f"{self.purpose}#{attempt}"
        numbers = key.numbers(purpose, distinct, 1)[:, 0]
        magnitude = (numbers % np.uint64(self.window)).astype(np.int64) + 1
        sign = np.where((numbers >> np.uint64(63)) == 1, -1, 1)
        days = np.append(magnitude * sign, 0)
        return pl.Series(days[index]).set(pl.Series(index < 0), None)

    def mask(self, values: pl.Series, key: MaskKey, attempt: int = 0) -> pl.Series:
        if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
            # keyed by the date alone, as the text path does: the same day moves the same way
            days = self.offsets(values.cast(pl.Date).cast(pl.String), key, attempt)
            return _shift(values, days)
        text = values.cast(pl.String)
        parsed = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        days = self.offsets(parsed.cast(pl.String), key, attempt)
        moved = _shift(parsed, days).dt.to_string("%Y-%m-%d")
        # Text that is no ISO date: its digits keyed the same way as any shape.
        rest = text.str.slice(10)
        out = pl.select(
            pl.when(parsed.is_not_null()).then(moved + rest.fill_null("")).otherwise(None)
        ).to_series()
        unreadable = text.is_not_null() & parsed.is_null()
        if unreadable.any():
            from paritygen.mask.maskers.generic import ShapeMasker

            shaped = ShapeMasker(self.column_for_shape()).mask(text.filter(unreadable), key)
            out = out.scatter(np.flatnonzero(unreadable.to_numpy()), shaped)
        return out.rename(values.name)

    def column_for_shape(self) -> MaskColumn:
        from dataclasses import replace

        return replace(self.column, params={})


def _shift(values: pl.Series, days: pl.Series) -> pl.Series:
    """*values* (Date or Datetime) plus *days* days, NULLs kept."""
    frame = pl.DataFrame({"v": values, "d": days})
    return frame.select(pl.col("v") + pl.duration(days=pl.col("d"))).to_series().rename(values.name)
