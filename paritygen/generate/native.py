"""Values of database-specific types in the literal form the database reads.

A column whose profile carries a ``value_kind`` (an ``inet``, an ``integer[]``, a ``tstzrange``,
a ``point``, an ``xml`` document, a MariaDB ``POINT``...) gets values the server accepts on
input, each a function of its value id so the distinct count follows production's, and as long
as production's text forms where the form has a free length (arrays, bit strings, documents,
tsvectors, hstores). The literal forms follow the vendors' input syntax:
https://www.postgresql.org/docs/current/datatype-net-types.html,
https://www.postgresql.org/docs/current/arrays.html#ARRAYS-INPUT,
https://www.postgresql.org/docs/current/rangetypes.html#RANGETYPES-IO,
https://www.postgresql.org/docs/current/datatype-geometric.html,
https://www.postgresql.org/docs/current/datatype-textsearch.html,
https://www.postgresql.org/docs/current/hstore.html, and WKT for spatial columns
(https://mariadb.com/kb/en/st_geomfromtext/). Interval and money columns are numbers (seconds,
amounts) and use the numeric generators; the writers send them as such.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
import polars as pl

from paritygen.generate.base import (
    ColumnContext,
    DistinctIds,
    expected_non_null_rows,
    grid_size,
    id_ranks,
    non_null_ordinals,
    null_mask,
    profiled_null_fraction,
    spread,
)
from paritygen.generate.lengths import draw_lengths, length_knots, max_length
from paritygen.generate.text import english_words, mix64
from paritygen.profile.model import Column
from paritygen.registry import generators

Maker = Callable[[np.ndarray, np.ndarray, Column], pl.Series]
"""(value-id bits, wanted text lengths, column) -> literals."""

MAX_ARRAY_ELEMENTS = 64
"""Most elements one generated array holds, whatever length the profile asks for."""
_HEX_PAIRS = pl.Series([f"{i:02x}" for i in range(256)])


@functools.cache
def _vocabulary() -> pl.Series:
    """The English words native literals are made of, built on first use: the list comes from
    Faker, whose import (0.05-0.1 s) a run whose columns make no such literal never pays."""
    return pl.Series(sorted({w for w in english_words() if w.isalpha()}))


def _field(bits: np.ndarray, shift: int, modulus: int) -> np.ndarray:
    """Independent-looking small numbers from one value id's 64 bits."""
    mixed = mix64(bits ^ np.uint64((shift * 0x9E3779B97F4A7C15) & (2**64 - 1)))
    return (mixed % np.uint64(modulus)).astype(np.int64)


def _text(values: np.ndarray) -> pl.Series:
    return pl.Series(values).cast(pl.String)


def _join(*parts: pl.Series | str) -> pl.Series:
    exprs = [pl.lit(p) if isinstance(p, str) else pl.lit(p) for p in parts]
    return pl.select(pl.concat_str(exprs)).to_series()


def _inet(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    octets = [_text(_field(bits, i, 256)) for i in range(4)]
    return _join(octets[0], ".", octets[1], ".", octets[2], ".", octets[3])


def _cidr(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    """Networks with their host bits zero (a cidr refuses anything else)."""
    prefix = np.array([8, 16, 24, 32])[_field(bits, 9, 4)]
    address = (mix64(bits) & np.uint64(0xFFFFFFFF)).astype(np.uint64)
    mask = (np.uint64(0xFFFFFFFF) << (np.uint64(32) - prefix.astype(np.uint64))) & np.uint64(
        0xFFFFFFFF
    )
    network = address & mask
    octets = [
        _text(((network >> np.uint64(s)) & np.uint64(255)).astype(np.int64)) for s in (24, 16, 8, 0)
    ]
    return _join(octets[0], ".", octets[1], ".", octets[2], ".", octets[3], "/", _text(prefix))


def _mac(width: int) -> Maker:
    def make(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
        parts: list[pl.Series | str] = []
        for i in range(width):
            if i:
                parts.append(":")
            parts.append(_HEX_PAIRS.gather(_field(bits, i, 256)))
        return _join(*parts)

    return make


def _bits(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    """``0``/``1`` strings: exactly n for ``bit(n)``, production's lengths for ``varbit``."""
    fixed = column.value_kind == "bit"
    n = np.full(len(bits), column.length or 1) if fixed else np.maximum(lengths, 1)
    if column.length:
        n = np.minimum(n, column.length)
    width = int(n.max()) if len(n) else 1
    matrix = np.empty((len(bits), width), dtype=np.uint8)
    for start in range(0, width, 64):
        chunk = mix64(bits + np.uint64(start))
        for j in range(min(64, width - start)):
            matrix[:, start + j] = ((chunk >> np.uint64(j)) & np.uint64(1)).astype(np.uint8)
    matrix = np.where(np.arange(width)[None, :] < n[:, None], matrix + ord("0"), 0)
    flat = np.ascontiguousarray(matrix.astype(np.uint8)).view(f"S{width}").ravel()
    return pl.Series(flat).cast(pl.String)


def _first_joined(columns: list[pl.Series], counts: np.ndarray, separator: str) -> pl.Series:
    """Row-wise: the first ``counts[i]`` of the *columns*' values joined by *separator*."""
    frame = pl.DataFrame({f"c{j}": c for j, c in enumerate(columns)}).with_columns(
        pl.Series("n", counts, dtype=pl.Int64)
    )
    return frame.select(
        pl.concat_list(pl.exclude("n")).list.head(pl.col("n")).list.join(separator)
    ).to_series()


def _words(bits: np.ndarray, lengths: np.ndarray, separator: str = " ") -> pl.Series:
    """Whole words from the list, about *lengths* characters each (at least one word)."""
    count = np.clip(np.rint(lengths / 7.0), 1, 200).astype(np.int64)
    top = int(count.max()) if len(count) else 1
    words = _vocabulary()
    picks = [words.gather(_field(bits, 20 + j, len(words))) for j in range(top)]
    return _first_joined(picks, count, separator)


def _xml(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    body = _words(bits, np.maximum(lengths - 20, 4))
    return _join('<doc id="', _text(_field(bits, 1, 1_000_000)), '">', body, "</doc>")


def _tsvector(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    return _words(bits, lengths)


def _hstore(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    pairs = np.clip(np.rint(lengths / 14.0), 1, 50).astype(np.int64)
    top = int(pairs.max()) if len(pairs) else 1
    words = _vocabulary()
    items = [
        _join('"k', str(j), '"=>"', words.gather(_field(bits, 40 + j, len(words))), '"')
        for j in range(top)
    ]
    return _first_joined(items, pairs, ", ")


_ELEMENT_INTEGER = re.compile(r"^(small|big)?int|^integer|^serial|^bigserial|^int[248]")
_ELEMENT_NUMBER = re.compile(r"^(numeric|decimal|real|double|float)")


def _array_elements(bits: np.ndarray, element: str, slot: int) -> tuple[pl.Series, int]:
    """One element per row for slot *slot*, and its typical printed width."""
    if element == "boolean" or element == "bool":
        return pl.Series(np.where(_field(bits, slot, 2) == 1, "t", "f")), 1
    if _ELEMENT_INTEGER.match(element):
        return _text(_field(bits, slot, 1000)), 3
    if _ELEMENT_NUMBER.match(element):
        return _join(_text(_field(bits, slot, 1000)), ".", _text(_field(bits, slot + 500, 10))), 5
    if element.startswith("date"):
        return _dates(bits, slot), 10
    if element.startswith("timestamp"):
        return _join(_dates(bits, slot), " ", _clock(bits, slot)), 19
    if element.startswith("uuid"):
        from paritygen.generate.structured import uuid_strings

        raw = np.stack([_field(bits, slot * 16 + i, 256) for i in range(16)], axis=1)
        return uuid_strings(raw.astype(np.uint8)), 36
    words = _vocabulary()
    return _join('"', words.gather(_field(bits, slot, len(words))), '"'), 8


def _array(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    """``{e1,e2,...}`` with as many elements as production's text length holds."""
    element = column.sql_type.split("[", 1)[0].strip().lower()
    first, width = _array_elements(bits, element, 0)
    count = np.clip(np.rint((lengths - 1) / (width + 1)), 0, MAX_ARRAY_ELEMENTS).astype(np.int64)
    top = int(count.max()) if len(count) else 0
    columns = [first] + [_array_elements(bits, element, j)[0] for j in range(1, top)]
    if top == 0:
        return pl.Series(["{}"] * len(bits))
    return _join("{", _first_joined(columns[:top], count, ","), "}")


EPOCH_DAY = np.datetime64("2000-01-01")


def _dates(bits: np.ndarray, slot: int, days: int = 9000) -> pl.Series:
    return pl.Series(EPOCH_DAY + _field(bits, slot, days).astype("timedelta64[D]")).dt.to_string(
        "%Y-%m-%d"
    )


def _clock(bits: np.ndarray, slot: int) -> pl.Series:
    seconds = _field(bits, slot + 7, 86400)
    parts = [_text(v).str.zfill(2) for v in (seconds // 3600, seconds // 60 % 60, seconds % 60)]
    return _join(parts[0], ":", parts[1], ":", parts[2])


def _range(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    """``[low,high)`` of the range's subtype, never empty."""
    word = column.sql_type.strip().lower()
    low = _field(bits, 1, 1_000_000)
    span = 1 + _field(bits, 2, 1000)
    if word.startswith(("int4", "int8")):
        return _join("[", _text(low), ",", _text(low + span), ")")
    if word.startswith("num"):
        return _join("[", _text(low), ".5,", _text(low + span), ".25)")
    day = _field(bits, 3, 9000)
    start = pl.Series(EPOCH_DAY + day.astype("timedelta64[D]"))
    end = pl.Series(EPOCH_DAY + (day + span).astype("timedelta64[D]"))
    if word.startswith("date"):
        return _join("[", start.dt.to_string("%Y-%m-%d"), ",", end.dt.to_string("%Y-%m-%d"), ")")
    zone = "+00" if word.startswith("tstz") else ""
    clock = _clock(bits, 4)
    return _join(
        '["', start.dt.to_string("%Y-%m-%d"), " ", clock, zone, '","',
        end.dt.to_string("%Y-%m-%d"), " ", clock, zone, '")',
    )  # fmt: skip


def _multirange(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    single = Column(
        name=column.name, logical_type="text", sql_type=column.sql_type.replace("multi", "")
    )
    return _join("{", _range(bits, lengths, single), "}")


def _coordinate(bits: np.ndarray, slot: int) -> pl.Series:
    return _join(_text(_field(bits, slot, 2000) - 1000), ".", _text(_field(bits, slot + 99, 100)))


def _pair(bits: np.ndarray, slot: int, separator: str = ",") -> pl.Series:
    return _join(_coordinate(bits, slot), separator, _coordinate(bits, slot + 1))


def _geometric(kind: str) -> Maker:
    def make(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
        a, b, c = (_join("(", _pair(bits, 2 * i), ")") for i in range(3))
        if kind == "point":
            return a
        if kind == "box":
            return _join(a, ",", b)
        if kind == "lseg":
            return _join("[", a, ",", b, "]")
        if kind == "path":
            return _join("[", a, ",", b, ",", c, "]")
        if kind == "polygon":
            return _join("(", a, ",", b, ",", c, ")")
        if kind == "circle":
            return _join("<", a, ",", _text(1 + _field(bits, 11, 500)), ">")
        # line {A,B,C}: A is never 0, so A and B are never both zero
        return _join("{", _text(1 + _field(bits, 12, 50)), ",", _coordinate(bits, 13), ",",
                     _coordinate(bits, 14), "}")  # fmt: skip

    return make


def _wkt(bits: np.ndarray, lengths: np.ndarray, column: Column) -> pl.Series:
    """WKT of the column's spatial type (a GEOMETRY column gets points)."""
    word = column.sql_type.strip().lower().split("(", 1)[0]
    pts = [_pair(bits, 2 * i, " ") for i in range(4)]
    if word == "linestring":
        return _join("LINESTRING(", pts[0], ",", pts[1], ")")
    if word == "polygon":  # a closed ring of four points
        return _join("POLYGON((", pts[0], ",", pts[1], ",", pts[2], ",", pts[0], "))")
    if word == "multipoint":
        return _join("MULTIPOINT(", pts[0], ",", pts[1], ")")
    if word == "multilinestring":
        return _join("MULTILINESTRING((", pts[0], ",", pts[1], "))")
    if word == "multipolygon":
        return _join("MULTIPOLYGON(((", pts[0], ",", pts[1], ",", pts[2], ",", pts[0], ")))")
    if word == "geometrycollection":
        return _join("GEOMETRYCOLLECTION(POINT(", pts[0], "))")
    return _join("POINT(", pts[0], ")")


MAKERS: dict[str, Maker] = {
    "inet": _inet,
    "cidr": _cidr,
    "macaddr": _mac(6),
    "macaddr8": _mac(8),
    "bit": _bits,
    "varbit": _bits,
    "xml": _xml,
    "tsvector": _tsvector,
    "hstore": _hstore,
    "array": _array,
    "range": _range,
    "multirange": _multirange,
    "geometry": _wkt,
    **{
        kind: _geometric(kind)
        for kind in ("point", "line", "lseg", "box", "path", "polygon", "circle")
    },
}
"""Value kinds made here (interval and money are numbers: the numeric generators make them)."""


def makes(column: Column) -> bool:
    """Whether this module makes the column's values (its value kind has a literal form)."""
    return column.value_kind in MAKERS


@generators.register("native")
class NativeGenerator:
    """Literals of the column's value kind, one per value id (distinct count as production's),
    text lengths from production's where the form has a free length."""

    def __init__(self, ctx: ColumnContext) -> None:
        self.column = ctx.column
        self.name = ctx.column.name
        self.make = MAKERS[ctx.column.value_kind or ""]
        self.null_fraction = profiled_null_fraction(ctx)
        self.knots = length_knots(ctx.column)
        self.bound = max_length(ctx.column)
        stats = ctx.column.stats
        distinct = stats.distinct_count if stats is not None else 0
        grid = (
            None
            if ctx.unique
            else (grid_size(distinct, expected_non_null_rows(ctx)) if distinct else None)
        )
        self.ids = DistinctIds(grid, ctx)

    def _values(self, value_ids: np.ndarray) -> pl.Series:
        lengths = draw_lengths(self.knots, id_ranks(value_ids)) if len(value_ids) else value_ids
        return self.make(mix64(value_ids), np.asarray(lengths, dtype=np.int64), self.column)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        ordinals = non_null_ordinals(start, nulls, count, self.null_fraction)
        values = (
            self._values(self.ids.draw(n, rng, ordinals)) if n else pl.Series([], dtype=pl.String)
        )
        return spread(values, nulls).alias(self.name)

    def residual(self, k: int, rng: np.random.Generator) -> pl.Series:
        """*k* values for the share production's most-common values leave (categorical)."""
        if k == 0:
            return pl.Series([], dtype=pl.String)
        return self._values(rng.integers(0, 1 << 62, k).astype(np.uint64))
