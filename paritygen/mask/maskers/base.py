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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.mask.keys import MaskKey, unique_strings

TEXT_TYPES = frozenset({"string", "text"})
"""Logical types a text masker accepts."""

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
        distinct, index = unique_strings(values)
        masked = self.mask_distinct(distinct, key, attempt)
        for redraw in range(1, MAX_REDRAWS + 1):
            same = [i for i, (a, b) in enumerate(zip(distinct, masked, strict=True)) if a == b]
            if not same:
                break
            again = self.mask_distinct([distinct[i] for i in same], key, attempt + 101 * redraw)
            for i, value in zip(same, again, strict=True):
                masked[i] = value
        limit = self.column.length
        if limit is not None:
            masked = [m[:limit] for m in masked]
        lookup = np.array(masked + [None], dtype=object)
        return pl.Series(values.name, lookup[index], dtype=pl.String)

    def keyed(self, key: MaskKey, values: Sequence[str], attempt: int) -> np.ndarray:
        """The keyed numbers of each value, shape (len, words); attempt > 0 gives others."""
        purpose = self.purpose if attempt == 0 else f"{self.purpose}#{attempt}"
        if self.case_blind:
            values = [v.strip().casefold() for v in values]
        return key.numbers(purpose, values, self.words)

    def mask_distinct(self, values: list[str], key: MaskKey, attempt: int) -> list[str]:
        """One pseudonym per distinct input string."""
        numbers = self.keyed(key, values, attempt)
        return [self.one(value, row) for value, row in zip(values, numbers, strict=True)]

    def one(self, value: str, numbers: np.ndarray) -> str:
        """The pseudonym of *value* from its keyed numbers."""
        raise NotImplementedError


DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()


def keyed_stream(numbers: np.ndarray) -> np.random.Generator:
    """A numpy generator seeded by a value's keyed numbers: as many keyed draws as a format
    needs (a 19-digit card number), still a pure function of value and key."""
    return np.random.default_rng([int(n) for n in numbers])


def replace_characters(value: str, rng: np.random.Generator, keep: int = 0) -> str:
    """Each digit by a keyed digit, each letter by a keyed letter of the same case, everything
    else (separators, spaces, ``+``) kept: the layout of phones, postcodes and IDs survives.
    The first *keep* digits / letters stay (a country code)."""
    out = []
    seen = 0
    draws = rng.integers(0, 1 << 30, size=len(value))
    for ch, draw in zip(value, draws, strict=True):
        if ch.isdigit() or ch.isalpha():
            seen += 1
            if seen <= keep:
                out.append(ch)
            elif ch.isdigit():
                out.append(DIGITS[draw % 10])
            elif ch.isupper():
                out.append(UPPER[draw % 26])
            else:
                out.append(LOWER[draw % 26])
        else:
            out.append(ch)
    return "".join(out)


def pick(pool: Sequence[str], number: int | np.integer) -> str:
    """The pool entry a keyed number points at."""
    return pool[int(number) % len(pool)]
