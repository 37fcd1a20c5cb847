"""PostgreSQL's binary COPY format, written from a polars chunk with numpy (no Python per row).

Why: the server parses binary fields with each type's ``recv`` function instead of its text
input function (``timestamp_in``, ``numeric_in``, ``int4in``); loading the same 200,000 fact rows
(integers, numerics, a timestamp, a note) took 0.22-0.72 s in binary against 0.77-1.12 s in CSV,
interleaved (benchmarks/RESULTS.md, "Warehouse load, round 5").

Format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a 19-byte
header, then per row an int16 field count and per field an int32 byte length (-1 for NULL)
followed by the value in the type's binary ``send`` form, all big-endian; a trailer int16 -1.
The value forms used (``src/backend/utils/adt``): integers and floats as is; ``bool`` one byte;
``date`` int32 days and ``timestamp`` / ``timestamptz`` int64 microseconds since 2000-01-01
(UTC for timestamptz); ``time`` int64 microseconds since midnight; ``numeric`` as ndigits,
weight, sign, dscale (int16 each) and base-10000 digits; text types, ``json`` and enum labels as
their UTF-8 bytes; ``jsonb`` a version byte 1 and the text; ``bytea`` its bytes; ``uuid`` 16 bytes.

The encoder only takes a chunk when every column has such a form for its chunk dtype and target
type (:func:`binary_plan`); anything else (a domain, an array, a numeric without a scale, a
decimal that is not already rounded to its scale) goes through CSV, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10_957
"""Days from 1970-01-01 (polars' epoch) to 2000-01-01 (PostgreSQL's)."""
PG_EPOCH_US = PG_EPOCH_DAYS * 86_400 * 1_000_000
NUMERIC_POS, NUMERIC_NEG = 0x0000, 0x4000
ROUNDED_TOLERANCE = 1e-6
"""Largest distance (in units of the last decimal place) from a whole number for a decimal to
count as already rounded to its scale; others go as CSV, where the server rounds them."""

FLOAT_ERROR = 8 * np.finfo(np.float64).eps
"""Relative error a float64 decimal picks up when multiplied by a power of ten."""

TEXT_SHARE_MAX = 0.5
"""Largest share of text columns a chunk may have to go as binary. Text costs the server about
the same in either format, and its binary encoding costs the client more than polars' CSV: on
the warehouse benchmark (benchmarks/pg_copy_formats.py, client encoding + server CPU) the fact
table (1 text column of 16) took 0.85-0.91x of CSV's, ``review`` (2 of 7) 0.75x, ``customer``
(8 of 12) 1.07-1.45x."""

FIXED = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float4": ">f4", "float8": ">f8"}
TEXT = frozenset({"text", "varchar", "bpchar", "name", "json"})
"""Target types whose binary form is the text's UTF-8 bytes (``textrecv``, ``json_recv``)."""
INTEGER_DTYPES = frozenset({pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32})


@dataclass(frozen=True)
class TargetType:
    """One column of the target table as the catalog has it."""

    name: str
    """``pg_type.typname`` (``int4``, ``numeric``, ``timestamptz``...)."""
    enum: bool = False
    scale: int | None = None
    """A ``numeric``'s declared scale (None: unconstrained)."""


def target_type(typname: str, typtype: str, typmod: int) -> TargetType:
    """A catalog row as a :class:`TargetType`; a domain, range or composite gets a name no
    encoder takes (its own), so its table goes as CSV."""
    if typtype not in ("b", "e"):
        return TargetType(f"{typtype}:{typname}")
    scale = None
    if typname == "numeric" and typmod >= 0:
        # (precision << 16 | scale) + 4, the scale an 11-bit signed number since PostgreSQL 15
        # (src/backend/utils/adt/numeric.c, make_numeric_typmod); a negative one goes as CSV.
        raw = (typmod - 4) & 0x7FF
        scale = raw if raw < 0x400 else None
    return TargetType(typname, enum=typtype == "e", scale=scale)


def binary_plan(types: dict[str, TargetType], chunk: pl.DataFrame) -> bool:
    """True when every column of *chunk* has a binary form for its dtype and target type, and
    text is not most of it (:data:`TEXT_SHARE_MAX`)."""
    text = sum(1 for dtype in chunk.schema.values() if dtype in (pl.String, pl.Binary))
    if text > TEXT_SHARE_MAX * chunk.width:
        return False
    for name, dtype in chunk.schema.items():
        target = types.get(name)
        if target is None or not _supported(target, dtype):
            return False
    return True


def _supported(target: TargetType, dtype: pl.DataType) -> bool:
    kind = target.name
    if dtype == pl.Null:
        return True  # every value NULL: no bytes to write
    if kind in ("int2", "int4", "int8"):
        return dtype in INTEGER_DTYPES
    if kind in ("float4", "float8"):
        return dtype in (pl.Float32, pl.Float64) or dtype in INTEGER_DTYPES
    if kind == "numeric":
        return target.scale is not None and (dtype == pl.Float64 or dtype in INTEGER_DTYPES)
    if kind == "bool":
        return dtype == pl.Boolean
    if kind == "date":
        return dtype == pl.Date
    if kind in ("timestamp", "timestamptz"):
        return isinstance(dtype, pl.Datetime) and dtype.time_zone is None
    if kind == "time":
        return dtype == pl.Time
    if kind == "bytea":
        return dtype == pl.Binary
    if kind in TEXT or kind in ("jsonb", "uuid") or target.enum:
        return dtype == pl.String
    return False


def encode_binary(
    types: dict[str, TargetType], chunk: pl.DataFrame
) -> tuple[list[str], memoryview] | None:
    """(column order, binary COPY data) of the chunk, or None when one value has no exact
    binary form here (an integer out of its type's range, a decimal not rounded to its scale,
    a NaN in a numeric): the caller sends that chunk as CSV.

    Columns of one width in every row (no NULL; text too when all its values have one length)
    go first, so each row starts with one block of the same width (the field count, those
    fields, the next field's length): a numpy record
    array whose fields are big-endian, filled a column at a time. The other fields of a row
    follow its block, all written straight into the output by :func:`_interleave` (no Python
    per row, no per-byte index arrays, no intermediate copy of the chunk)."""
    rows = chunk.height
    fixed: list[tuple[str, _Fixed]] = []
    varying: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name in chunk.columns:
        field = _field(types[name], chunk[name])
        if field is None:
            return None
        if isinstance(field, _Fixed) and field.nulls is None:
            fixed.append((name, field))
        elif isinstance(field, _Fixed):  # a fixed width with NULLs: present values only
            present = ~field.nulls
            data = np.empty(int(present.sum()), dtype=field.dtype)
            data[...] = field.values[present]
            lengths = np.where(present, field.dtype.itemsize, -1)
            varying.append((name, lengths, data.view(np.uint8).ravel()))
        else:
            lengths, data = field
            width = int(lengths[0]) if len(lengths) else 0
            if width > 0 and (lengths == width).all():  # one length, no NULL: CHAR(1) flags
                values = np.frombuffer(data, dtype=np.uint8).reshape(rows, width)
                fixed.append((name, _Fixed(np.dtype(("u1", (width,))), values, None)))
            else:
                varying.append((name, lengths, np.frombuffer(data, dtype=np.uint8)))
    order = [name for name, _ in fixed] + [name for name, _, _ in varying]
    layout: list[tuple[str, object]] = [("count", ">i2")]
    for i, (_, field) in enumerate(fixed):
        layout += [(f"l{i}", ">i4"), (f"v{i}", field.dtype)]
    if varying:
        layout.append(("next", ">i4"))
    # The field count and the fixed lengths are the same in every row: one row written once
    # and repeated, then the values go in a column at a time.
    template = np.zeros(1, dtype=np.dtype(layout))
    template["count"] = len(order)
    for i, (_, field) in enumerate(fixed):
        template[f"l{i}"] = field.dtype.itemsize
    block = np.tile(template.view(np.uint8), rows).view(template.dtype)
    for i, (_, field) in enumerate(fixed):
        block[f"v{i}"] = field.values
    if varying:
        block["next"] = varying[0][1]
    first = block.view(np.uint8).ravel()
    streams: list[np.ndarray] = [first]
    runs: list[np.ndarray] = [np.full(rows, block.dtype.itemsize, dtype=np.int64)]
    for i, (_, lengths, data) in enumerate(varying):
        streams.append(data)
        runs.append(np.maximum(lengths, 0))
        if i + 1 < len(varying):
            streams.append(varying[i + 1][1].astype(">i4").view(np.uint8))
            runs.append(np.full(rows, 4, dtype=np.int64))
    total = sum(len(stream) for stream in streams)
    out = np.empty(len(HEADER) + total + len(TRAILER), dtype=np.uint8)
    out[: len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    out[len(HEADER) + total :] = np.frombuffer(TRAILER, dtype=np.uint8)
    # each row: its block, then the rest of its fields, straight into the output
    _interleave(streams, runs, out[len(HEADER) : len(HEADER) + total])
    return order, memoryview(out)
    return order, memoryview(out)


INTERLEAVE_ROWS = 4_096
"""Rows interleaved at a time: their labels and masks stay in the CPU's cache (a 65,536-row
chunk's, a byte per output byte, were 13 MB per pass, one pass per stream)."""


def _interleave(streams: list[np.ndarray], runs: list[np.ndarray], out: np.ndarray) -> None:
    """Row by row, the next ``runs[k][row]`` bytes of each stream k in turn, into *out*: one
    ``repeat`` labels every output byte with its stream, one masked assignment per stream
    fills it, :data:`INTERLEAVE_ROWS` rows at a time. Written in place: the chunk's bytes are
    held twice at most (the streams and *out*), plus a slice's labels and mask."""
    if len(streams) == 1:
        out[:] = streams[0]
        return
    rows = len(runs[0])
    cuts = np.arange(0, rows + INTERLEAVE_ROWS, INTERLEAVE_ROWS).clip(max=rows)
    # Where each slice starts in every stream and in the output.
    starts = [np.concatenate([[0], np.cumsum(run)])[cuts] for run in runs]
    written = np.sum(starts, axis=0)
    label = np.uint8 if len(streams) < 256 else np.uint16
    kinds = np.arange(len(streams), dtype=label)
    for i in range(len(cuts) - 1):
        low, high = cuts[i], cuts[i + 1]
        if low == high:
            continue
        sizes = np.stack([run[low:high] for run in runs], axis=1).ravel()
        which = np.repeat(np.tile(kinds, high - low), sizes)
        part = out[written[i] : written[i + 1]]
        for k, stream in enumerate(streams):
            part[which == k] = stream[starts[k][i] : starts[k][i + 1]]


@dataclass(frozen=True)
class _Fixed:
    """A column of one binary width: its values (numpy casts them to *dtype*, big-endian, as
    they are stored) and which rows are NULL (None: none)."""

    dtype: np.dtype
    values: np.ndarray
    nulls: np.ndarray | None


def _field(target: TargetType, series: pl.Series) -> _Fixed | tuple[np.ndarray, bytes] | None:
    """The column's binary values: fixed-width ones, or (byte length per row, -1 for NULL;
    the present values' bytes back to back); None when a value has no exact binary form."""
    rows = len(series)
    nulls = series.is_null().to_numpy() if series.null_count() else None
    kind = target.name
    if series.dtype == pl.Null:
        return np.full(rows, -1, dtype=np.int64), b""
    if kind in FIXED:
        dtype = np.dtype(FIXED[kind])
        values = series.to_physical().fill_null(0).to_numpy()
        if kind.startswith("int") and len(values):
            info = np.iinfo(dtype.newbyteorder("="))
            if values.min() < info.min or values.max() > info.max:
                return None
    elif kind == "numeric":
        values = _numeric(series.fill_null(0).to_numpy(), target.scale or 0)
        if values is None:
            return None
        dtype = np.dtype((">i2", (values.shape[1],)))
    elif kind == "bool":
        dtype, values = np.dtype("u1"), series.fill_null(False).to_numpy()
    elif kind == "date":
        dtype = np.dtype(">i4")
        values = series.to_physical().fill_null(0).to_numpy().astype(np.int64) - PG_EPOCH_DAYS
    elif kind in ("timestamp", "timestamptz"):
        dtype = np.dtype(">i8")
        micros = series.dt.cast_time_unit("us").to_physical().fill_null(0).to_numpy()
        values = micros.astype(np.int64) - PG_EPOCH_US
    elif kind == "time":
        dtype = np.dtype(">i8")
        values = series.to_physical().fill_null(0).to_numpy().astype(np.int64) // 1000
    elif kind == "uuid":
        raw = series.str.replace_all("-", "", literal=True).str.decode("hex")
        if raw.null_count() != series.null_count() or (raw.bin.size().fill_null(16) != 16).any():
            return None  # not a UUID's text: the server's parser says why, through CSV
        return _variable(raw, nulls, binary=True)
    elif kind == "bytea":
        return _variable(series, nulls, binary=True)
    else:
        return _variable(series, nulls, version=kind == "jsonb")
    return _Fixed(dtype, values, nulls)


def _variable(
    series: pl.Series, nulls: np.ndarray | None, *, version: bool = False, binary: bool = False
) -> tuple[np.ndarray, bytes]:
    """Lengths and bytes of text (UTF-8) or binary values; *version*: jsonb's version byte 1
    before each document."""
    present = series.drop_nulls()
    if binary:
        sizes = present.bin.size().to_numpy().astype(np.int64)
        data = bytes.fromhex(present.bin.encode("hex").str.join("").item() or "")
    else:
        if version:
            present = pl.select(pl.concat_str([pl.lit("\x01"), present])).to_series()
        sizes = present.str.len_bytes().to_numpy().astype(np.int64)
        # UTF-8 bytes straight from polars: no Python str of the whole column between
        data = present.str.join("").cast(pl.Binary).item() or b""
    lengths = np.full(len(series), -1, dtype=np.int64)
    if nulls is None:
        lengths[:] = sizes
    else:
        lengths[~nulls] = sizes
    return lengths, data


def _numeric(values: np.ndarray, scale: int) -> np.ndarray | None:
    """``numeric`` binary values of *values* at *scale* decimals as int16 columns (ndigits,
    weight, sign, dscale, digits...), every row with the same number of base-10000 digits
    (the server strips leading and trailing zero digits: ``make_result``)."""
    scaled = values.astype(np.float64) * 10.0**scale
    whole = np.rint(scaled)
    # Not rounded to the scale, or NaN / infinite (the comparison is then False): the
    # server's own parsing and rounding, through CSV. A float's own error grows with its
    # magnitude (12345678.12 x 10**4 is 1e-5 off).
    magnitude = np.abs(whole)
    if not (np.abs(scaled - whole) <= ROUNDED_TOLERANCE + magnitude * FLOAT_ERROR).all():
        return None
    fraction_groups = -(-scale // 4)
    if fraction_groups * 4 != scale:
        magnitude *= 10.0 ** (4 * fraction_groups - scale)
    top = float(magnitude.max()) if len(magnitude) else 0.0
    if top >= 2.0**53:
        return None  # beyond float64's exact integers
    ndigits = max(1, -(-len(str(int(top))) // 4))
    out = np.empty((len(values), 4 + ndigits), dtype=np.int16)
    out[:, 0] = ndigits
    out[:, 1] = ndigits - fraction_groups - 1
    out[:, 2] = np.where(whole < 0, NUMERIC_NEG, NUMERIC_POS)
    out[:, 3] = scale
    rest = magnitude.astype(np.int64)
    for i in range(ndigits - 1, -1, -1):
        rest, out[:, 4 + i] = np.divmod(rest, 10_000)
    return out
