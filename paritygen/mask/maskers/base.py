"""What a masker is: a keyed, deterministic, format-preserving transform of one column's values.

The Greenmask model (STYLE.md): the constructor validates its parameters against the column
before any row is read; :meth:`Masker.mask` is a pure function of (values, key, attempt) over a
whole chunk and knows nothing of databases. ``attempt`` > 0 asks for an alternative pseudonym of
the same values (still deterministic), which is how :mod:`paritygen.mask.unique` resolves the
rare collision in a unique column.

Most maskers work on distinct strings: :class:`StringMasker` hashes each distinct value of the
chunk once, maps it, spreads the results back over the rows, keeps NULLs, never returns the input
unchanged and cuts every result to the column's length.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.mask.keys import MaskKey, unique_strings

TEXT_TYPES = frozenset({"string", "text"})
"""Logical types a text masker accepts."""

CACHE_VALUES = 500_000
"""Distinct values whose pseudonyms a masker remembers (about 100 bytes each)."""

MAX_REDRAWS = 8
"""Fresh pseudonyms tried when one equals its input (a name mapped to itself)."""


@dataclass(frozen=True)
class MaskColumn:
    """What a masker may know about its column when it is built."""

    table: str
    name: str
    logical_type: str
    length: int | None = None
    """Declared maximum length in characters (VARCHAR(n)); None when unbounded."""
    unique: bool = False
    """Values must stay distinct on their own (single-column PK or unique constraint)."""
    semantic: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


class Masker:
    """Base of all maskers: parameter checking and the type check against the column."""

    accepts: ClassVar[frozenset[str]] = TEXT_TYPES
    """Logical types of the columns this masker can transform."""
    parameters: ClassVar[Mapping[str, Any]] = {}
    """Accepted parameters and their defaults; anything else is refused at construction."""
    purpose: ClassVar[str] = "masker"
    """Domain of the derived HMAC key (two maskers never share pseudonym streams)."""

    def __init__(self, column: MaskColumn) -> None:
        self.column = column
        unknown = sorted(set(column.params) - set(self.parameters))
        if unknown:
            known = ", ".join(sorted(self.parameters)) or "none"
            raise ConfigError(
                f"{column.label}: masker {self.name} has no parameter {unknown[0]!r}"
                f" (known: {known})"
            )
        if column.logical_type not in self.accepts:
            raise ConfigError(
                f"{column.label}: masker {self.name} cannot mask a {column.logical_type} column"
                f" (it masks {', '.join(sorted(self.accepts))})"
            )
        self.params = {**self.parameters, **dict(column.params)}

    @property
    def name(self) -> str:
        return getattr(self, "registered_name", self.__class__.__name__)

    def param_int(self, name: str, low: int, high: int) -> int:
        value = self.params[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{self.column.label}: masker {self.name} parameter {name} must be an integer"
                f" in [{low}, {high}], got {value!r}"
            )
        return value

    def param_choice(self, name: str, choices: Sequence[str]) -> str:
        value = self.params[name]
        if value not in choices:
            raise ConfigError(
                f"{self.column.label}: masker {self.name} parameter {name} must be one of"
                f" {', '.join(choices)}, got {value!r}"
            )
        return str(value)

    def need_length(self, shortest: int) -> None:
        """Refuse a column too short for any valid pseudonym (an IBAN in VARCHAR(10))."""
        length = self.column.length
        if length is not None and length < shortest:
            raise ConfigError(
                f"{self.column.label}: masker {self.name} needs at least {shortest} characters,"
                f" the column holds {length}"
            )

    def signature(self) -> tuple[Any, ...]:
        """What makes two columns' pseudonyms the same: masker, parameters and length. Columns
        with equal signatures map equal inputs to equal outputs (joins hold)."""
        return (self.name, tuple(sorted(self.params.items())), self.column.length)

    def mask(self, values: pl.Series, key: MaskKey, attempt: int = 0) -> pl.Series:
        """Pseudonyms of *values* (NULLs stay NULL), same length and order."""
        raise NotImplementedError


class StringMasker(Masker):
    """A masker defined on one distinct string at a time, from its keyed numbers."""

    words: ClassVar[int] = 2
    """64-bit keyed numbers each value gets from its digest."""
    case_blind: ClassVar[bool] = False
    """Key the value case- and space-insensitively (``JOHN@X.ORG`` is ``john@x.org``, ``SMITH``
    is ``Smith``), so the same person gets the same pseudonym however a table spells them."""

    def mask(self, values: pl.Series, key: MaskKey, attempt: int = 0) -> pl.Series:
        if attempt == 0:
            return self._cached(values, key)
        distinct, index = unique_strings(values)
        masked = self._mask_new(distinct, key, attempt)
        return spread(values.name, masked, index)

    def share_cache(self, cache: PseudonymCache) -> None:
        """Use *cache* for first-attempt pseudonyms: the run hands one to every masker of the
        same :meth:`signature` (equal inputs give equal outputs), so the e-mails a child table
        repeats from its parent are not masked twice."""
        self.__dict__["_cache"] = cache

    def _cached(self, values: pl.Series, key: MaskKey) -> pl.Series:
        """First-attempt pseudonyms of *values*, remembered per masker instance or signature
        (bounded): a parent's e-mails are masked once, not again in every child table and
        chunk. The distinct values of the chunk not seen before are masked together (in order
        of first appearance, as one batch), the rest come from the cache by a join."""
        cache = self.__dict__.setdefault("_cache", PseudonymCache())
        if cache.key is not key:
            cache.reset(key)
        frame = pl.DataFrame({"v": values.cast(pl.String)})
        if cache.all_found:  # the last chunk was all cached (a child repeating its parent's
            # values): one join, and the unique / anti join only if a value is new after all
            masked = frame.join(cache.frame, on="v", how="left", maintain_order="left")
            found = masked.get_column("m")
            if found.null_count() == values.null_count():
                return found.rename(values.name)
        distinct = frame.get_column("v").drop_nulls().unique(maintain_order=True)
        if cache.size + distinct.len() > CACHE_VALUES:
            cache.reset(key)
        missing = cache.unknown(distinct)
        cache.all_found = cache.size > 0 and missing.len() == 0
        if missing.len():
            new = pl.Series(values.name, self._mask_new(missing.to_list(), key, 0), pl.String)
            cache.add(missing, new)
            if missing.len() == frame.height:  # each row a value of its own, none seen before
                return new  # (a unique column's chunk): in row order already, no join
        masked = frame.join(cache.frame, on="v", how="left", maintain_order="left")
        return masked.get_column("m").rename(values.name)

    def _mask_new(self, distinct: list[str], key: MaskKey, attempt: int) -> list[str]:
        """Pseudonyms of *distinct*: redrawn where equal to the input, cut to the column."""
        masked = self.mask_distinct(distinct, key, attempt)
        for redraw in range(1, MAX_REDRAWS + 1):
            if not any(map(operator.eq, distinct, masked)):  # the usual case, found in C
                break
            same = [i for i, (a, b) in enumerate(zip(distinct, masked, strict=True)) if a == b]
            again = self.mask_distinct([distinct[i] for i in same], key, attempt + 101 * redraw)
            for i, value in zip(same, again, strict=True):
                masked[i] = value
        limit = self.column.length
        if limit is not None and max(map(len, masked), default=0) > limit:
            masked = [m[:limit] for m in masked]
        return masked

    def keyed(self, key: MaskKey, values: Sequence[str], attempt: int) -> np.ndarray:
        """The keyed numbers of each value, shape (len, words); attempt > 0 gives others."""
        purpose = self.purpose if attempt == 0 else f"{self.purpose}#{attempt}"
        if self.case_blind:
            values = [v.strip().casefold() for v in values]
        return key.numbers(purpose, values, self.words)

    def draws(self, key: MaskKey, values: Sequence[str], attempt: int, width: int) -> np.ndarray:
        """*width* keyed bytes per value (one per character to replace)."""
        purpose = self.purpose if attempt == 0 else f"{self.purpose}#{attempt}"
        if self.case_blind:
            values = [v.strip().casefold() for v in values]
        return key.byte_matrix(purpose, values, width)

    def mask_distinct(self, values: list[str], key: MaskKey, attempt: int) -> list[str]:
        """One pseudonym per distinct input string."""
        numbers = self.keyed(key, values, attempt)
        return [self.one(value, row) for value, row in zip(values, numbers, strict=True)]

    def one(self, value: str, numbers: np.ndarray) -> str:
        """The pseudonym of *value* from its keyed numbers."""
        raise NotImplementedError


class PseudonymCache:
    """First-attempt pseudonyms under one key: inputs and outputs as a two-column frame (each
    input once), looked up by a join, not a dictionary probe per row."""

    def __init__(self) -> None:
        self.key: MaskKey | None = None
        self.frame = _EMPTY_CACHE
        self.all_found = False
        """The last chunk looked up had every value cached already."""

    def reset(self, key: MaskKey) -> None:
        self.key = key
        self.frame = _EMPTY_CACHE
        self.all_found = False

    @property
    def size(self) -> int:
        return self.frame.height

    def unknown(self, distinct: pl.Series) -> pl.Series:
        """The values of *distinct* not cached, in their order (an anti join: a third of the
        cost of ``is_in`` against the whole cache)."""
        if not self.size:
            return distinct
        found = distinct.to_frame("v").join(self.frame, on="v", how="anti", maintain_order="left")
        return found.get_column("v")

    def add(self, inputs: pl.Series, outputs: pl.Series | list[str]) -> None:
        """Remember *outputs* for *inputs* (distinct, none cached yet)."""
        new = pl.DataFrame(
            {"v": inputs, "m": pl.Series("m", outputs, dtype=pl.String)},
            schema={"v": pl.String, "m": pl.String},
        )
        self.frame = pl.concat([self.frame, new], rechunk=False) if self.size else new


_EMPTY_CACHE = pl.DataFrame(schema={"v": pl.String, "m": pl.String})


def spread(name: str, distinct: list[str], index: np.ndarray) -> pl.Series:
    """Per row, the pseudonym of its distinct value (``index`` -1: NULL)."""
    lookup = pl.Series(name, [*distinct, None], dtype=pl.String)
    return lookup.gather(np.where(index < 0, len(distinct), index))


class ShapedMasker(StringMasker):
    """Digits and letters keyed in place, layout kept: phones, postcodes, IDs (vectorised)."""

    def keep_of(self, value: str) -> int:
        """Leading digits / letters of *value* that stay (a country code)."""
        del value
        return 0

    def mask_distinct(self, values: list[str], key: MaskKey, attempt: int) -> list[str]:
        width = max((len(v) for v in values), default=0)
        draws = self.draws(key, values, attempt, width)
        return replace_many(values, draws, self.keeps(values))

    def keeps(self, values: list[str]) -> np.ndarray:
        """:meth:`keep_of` of every value (maskers with a vectorised rule override this)."""
        return np.array([self.keep_of(v) for v in values], dtype=np.int64)


DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()


def keyed_stream(numbers: np.ndarray) -> np.random.Generator:
    """A numpy generator seeded by a value's keyed numbers, for the few draws a format needs
    beyond its characters (an IPv4's octets); still a pure function of value and key."""
    return np.random.default_rng([int(n) for n in numbers])


def replace_many(values: Sequence[str], draws: np.ndarray, keep: np.ndarray | int = 0) -> list[str]:
    """Each ASCII digit by a keyed digit, each ASCII letter by a keyed letter of the same case,
    everything else (separators, spaces, ``+``, accented letters) kept, for many values at once:
    the layout of phones, postcodes, IBANs and IDs survives. The first *keep* digits / letters
    of each value stay (a country code). *draws* holds a keyed byte per character (rows of
    :meth:`~paritygen.mask.keys.MaskKey.byte_matrix`).

    Vectorised over a padded code-point matrix: about a microsecond a value instead of a Python
    loop per character.
    """
    if not values:
        return []
    codes = code_points(values)
    width = codes.shape[1]
    if width == 0:
        return list(values)
    digit = (codes >= 48) & (codes <= 57)
    upper = (codes >= 65) & (codes <= 90)
    lower = (codes >= 97) & (codes <= 122)
    changed = digit | upper | lower
    if np.any(keep):  # (none kept: every character counted is past 0 anyway)
        keep_counts = np.broadcast_to(np.asarray(keep, dtype=np.int64), (len(values),))
        counted = np.int16 if width < 2**15 else np.int64  # a quarter of int64's bytes
        changed &= np.cumsum(changed, axis=1, dtype=counted) > keep_counts[:, None]
    byte = draws[:, :width]
    if byte.dtype != np.uint8:
        byte = byte.astype(np.uint32)
    # Written in place from byte-wide arrays: no (rows x width) uint32 temporaries to allocate,
    # fault in and free per character class.
    out = codes.copy()
    np.copyto(out, byte % np.uint8(10) + np.uint8(48), where=changed & digit)
    np.copyto(out, byte % np.uint8(26) + np.uint8(65), where=changed & upper)
    np.copyto(out, byte % np.uint8(26) + np.uint8(97), where=changed & lower)
    return from_code_points(out, values)


def code_points(values: Sequence[str]) -> np.ndarray:
    """The values as a (len, longest) matrix of code points, NUL-padded on the right (numpy's
    fixed-width strings: one C conversion instead of padding and encoding in Python)."""
    width = max(map(len, values), default=0)
    if width == 0:
        return np.zeros((len(values), 0), dtype="<u4")
    return np.array(values, dtype=f"<U{width}").view("<u4").reshape(len(values), width)


def from_code_points(codes: np.ndarray, values: Sequence[str]) -> list[str]:
    """Rows of *codes* as strings of the lengths of *values* (the inputs they were made from).

    numpy drops trailing NULs when it turns the rows back into strings, which is right for the
    padding; an input holding a NUL of its own is cut from the row by its length instead."""
    width = codes.shape[1]
    rows = np.ascontiguousarray(codes, dtype="<u4").view(f"<U{width}").ravel().tolist()
    if "\0" in "".join(values):
        text = codes.astype("<u4").tobytes().decode("utf-32-le")
        return [text[i * width : i * width + len(v)] for i, v in enumerate(values)]
    return rows


def replace_characters(value: str, draws: np.ndarray, keep: int = 0) -> str:
    """:func:`replace_many` of one value (*draws*: its keyed bytes, at least one a character)."""
    return replace_many([value], draws.reshape(1, -1), keep)[0]


def pick(pool: Sequence[str], number: int | np.integer) -> str:
    """The pool entry a keyed number points at."""
    return pool[int(number) % len(pool)]
