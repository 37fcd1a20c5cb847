"""Realistic fake values for semantic / PII columns: faker pools built once, sampled by numpy.

A pool of a few thousand values per column is made once with Faker (locale from the rule's
``locale`` param, default en_US, seeded so the same seed gives the same pool); blocks gather
from it. Values never come from production: the profile holds none for PII columns. Values
that must be distinct (``ctx.unique``) mix the global row number in (``first.last123@...``), and
checksummed kinds (card numbers, IBANs) are built digit by digit in numpy so they stay valid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from faker import Faker

from paritygen.errors import ConfigError
from paritygen.generate import temporal
from paritygen.generate.base import (
    ColumnContext,
    column_rule_param,
    expected_non_null_rows,
    grid_size,
    non_null_rows,
    null_mask,
    profiled_null_fraction,
    spread,
    stable_hash,
)
from paritygen.generate.text import (
    LengthTextGenerator,
    bytes_to_strings,
    draw_lengths,
    length_knots,
    mix64,
    unit_from_bits,
    uuid_strings,
)
from paritygen.profile.model import Column
from paritygen.registry import generators

POOL_SIZE = 3000
"""Values per pool: enough variety for realistic frequencies, built in well under a second."""

POOLED: dict[str, Callable[[Faker], str]] = {
    "phone": lambda f: f.phone_number(),
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "full_name": lambda f: f.name(),
    "name": lambda f: f.name(),
    "street": lambda f: f.street_address(),
    "address": lambda f: f.street_address(),
    "city": lambda f: f.city(),
    "postcode": lambda f: f.postcode(),
    "country": lambda f: f.country(),
    "company": lambda f: f.company(),
    "username": lambda f: f.user_name(),
    "url": lambda f: f.url(),
    "ip": lambda f: f.ipv4(),
}
"""Kinds sampled from a faker pool, by semantic tag."""

COMPUTED = frozenset({"email", "card_number", "iban", "birth_date", "uuid", "free_text"})
"""Kinds built in numpy (checksums, uniqueness, dates) or by another generator."""

TEXT_TYPES = frozenset({"string", "text"})


def supports(tag: str, column: Column) -> bool:
    """Whether the semantic generator can fill *column* for *tag*."""
    if tag == "birth_date":
        return column.logical_type in ("date", "datetime", "string", "text")
    if tag == "uuid":
        return column.logical_type in ("uuid", "string", "text")
    return (tag in POOLED or tag in COMPUTED) and column.logical_type in TEXT_TYPES


def _faker(ctx: ColumnContext) -> Faker:
    locale = str(column_rule_param(ctx, "locale", "en_US"))
    try:
        fake = Faker(locale)
    except AttributeError as exc:
        raise ConfigError(f"{ctx.table.name}.{ctx.column.name}: unknown locale {locale!r}") from exc
    fake.seed_instance((ctx.seed << 32) ^ stable_hash(f"{ctx.table.name}.{ctx.column.name}"))
    return fake


def _ascii_lower(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and (ch.isalnum() or ch in "._"))


def luhn_complete(digits: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to each row of a (rows, k) digit matrix."""
    doubled = digits[:, ::-1].copy()
    doubled[:, 0::2] *= 2
    doubled[doubled > 9] -= 9
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return np.concatenate([digits, check[:, None]], axis=1)


def iban_digits(country: str, bban: np.ndarray) -> np.ndarray:
    """IBAN check digits for numeric BBANs (ISO 13616: mod 97 of BBAN + country + "00")."""
    letters = [ord(ch) - 55 for ch in country]  # A=10 ... Z=35
    tail = [d for value in letters for d in divmod(value, 10)] + [0, 0]
    remainder = np.zeros(len(bban), dtype=np.int64)
    for column in range(bban.shape[1]):
        remainder = (remainder * 10 + bban[:, column]) % 97
    for digit in tail:
        remainder = (remainder * 10 + digit) % 97
    check = 98 - remainder
    return np.stack([check // 10, check % 10], axis=1)


def _digits_from_ids(ids: np.ndarray, width: int) -> np.ndarray:
    """A (rows, width) digit matrix from non-negative integers (low digits last)."""
    out = np.empty((len(ids), width), dtype=np.int64)
    values = ids.astype(np.uint64)
    for column in range(width - 1, -1, -1):
        out[:, column] = (values % np.uint64(10)).astype(np.int64)
        values = values // np.uint64(10)
    return out


def _scatter_ids(rows: np.ndarray, modulus: int) -> np.ndarray:
    """A bijection of row numbers onto ``[0, modulus)`` (affine, multiplier coprime with 10):
    distinct rows give distinct digit strings, scattered rather than sequential."""
    multiplier = 6_364_136_223_846_793 % modulus | 1
    while multiplier % 5 == 0:
        multiplier += 2
    ids = (rows.astype(object) * multiplier + 1_442_695_040_888_963) % modulus
    return ids.astype(np.uint64)


COMPOSED = frozenset({"full_name", "name", "street", "address", "phone", "username", "email"})
"""Kinds whose values combine a pool entry with a second part, so their variety is not capped
by the pool size (production may hold millions of distinct phones or streets)."""


@generators.register("semantic")
class SemanticGenerator:
    """Fake e-mails, names, addresses, phones, IBANs, cards, birth dates... by semantic tag.

    Every row draws a *value id*: its row number when values must be unique, else an id from a
    grid sized to production's distinct count (see ``base.grid_size``). The id picks the pool
    entry and the composed parts, so the distinct count follows production's.
    """

    def __init__(self, ctx: ColumnContext) -> None:
        column = ctx.column
        rule = ctx.rule
        tag = (rule.semantic if rule is not None and rule.semantic else None) or column.semantic
        tag = str(column_rule_param(ctx, "kind", tag) or "")
        where = f"{ctx.table.name}.{column.name}"
        if not tag or not supports(tag, column):
            raise ConfigError(
                f"{where}: semantic generator cannot make {tag or 'untagged'} values for a "
                f"{column.logical_type} column"
            )
        self.tag = tag
        self.name = column.name
        self.kind = column.logical_type
        self.bound = column.length or None
        self.unique = ctx.unique
        self.null_fraction = profiled_null_fraction(ctx)
        self.row_digits = len(str(max(ctx.row_count, 1) * 2))
        stats = column.stats
        distinct = stats.distinct_count if stats is not None else 0
        self.grid = grid_size(distinct, expected_non_null_rows(ctx)) if distinct else None
        self.delegate = None
        if tag == "free_text":
            self.delegate = LengthTextGenerator(ctx)
            return
        if tag == "uuid":
            if self.bound is not None and self.bound < 36:
                raise ConfigError(f"{where}: a UUID needs 36 characters, column holds {self.bound}")
            return
        if tag in ("card_number", "iban"):
            width = 16 if tag == "card_number" else 22
            if self.bound is not None and self.bound < width:
                raise ConfigError(
                    f"{where}: a {tag} needs {width} characters, column holds {self.bound}"
                )
            return
        if tag in ("birth_date", "ip"):
            return
        fake = _faker(ctx)
        self.english = str(column_rule_param(ctx, "locale", "en_US")).startswith("en")
        if tag == "email":
            locals_ = {
                _ascii_lower(f"{fake.first_name()}.{fake.last_name()}") for _ in range(POOL_SIZE)
            }
            self.pool = pl.Series(sorted(v for v in locals_ if v) or ["user"])
            self.domains = pl.Series(["example.com", "example.org", "example.net", "mail.test"])
            suffix = max(len(d) for d in self.domains) + 1
            digits = self.row_digits if self.unique else 4
            if self.bound is not None and self.bound < suffix + digits + 1:
                raise ConfigError(f"{where}: length {self.bound} is too short for e-mails")
            longest = int(self.pool.str.len_chars().max()) + digits + suffix
            self.truncate = self.bound is not None and longest > self.bound
            return
        if tag in ("full_name", "name"):
            self.pool = self._pool(lambda f: f.first_name(), fake)
            self.second = self._pool(lambda f: f.last_name(), fake)
        elif tag in ("street", "address"):
            self.pool = self._pool(lambda f: f.street_name(), fake)
        elif tag == "phone":
            phones = [fake.phone_number() for _ in range(POOL_SIZE)]
            # Templates whose last four characters are digits: those get a varied ending.
            templates = sorted({p for p in phones if p[-4:].isdigit()} or set(phones))
            self.pool = self._fit(pl.Series(templates))
        else:
            self.pool = self._pool(POOLED[tag], fake)
            self._fit_lengths(column)
        if self.unique and self.bound is not None and self.bound < self.row_digits + 1:
            raise ConfigError(f"{where}: length {self.bound} cannot hold unique {tag} values")

    def _fit_lengths(self, column: Column) -> None:
        """Prepare picks by length, so a pooled kind follows the profiled length distribution:
        the pool is sorted by length and each target length maps to the entries whose length
        is nearest."""
        self.length_knots = None
        stats = column.stats
        if stats is None or stats.length is None or len(stats.length.quantiles) < 2:
            return
        lengths = self.pool.str.len_chars()
        order = np.argsort(lengths.to_numpy(), kind="stable")
        self.pool = self.pool.gather(order)
        sorted_lengths = lengths.to_numpy()[order]
        available = np.unique(sorted_lengths)
        self.length_knots = length_knots(column)
        targets = np.arange(int(self.length_knots[-1]) + 1)
        right = np.clip(np.searchsorted(available, targets), 0, len(available) - 1)
        left = np.clip(right - 1, 0, len(available) - 1)
        use_left = np.abs(available[left] - targets) < np.abs(available[right] - targets)
        nearest = np.where(use_left, available[left], available[right])
        self.length_start = np.searchsorted(sorted_lengths, nearest, side="left")
        self.length_count = np.searchsorted(sorted_lengths, nearest, side="right") - (
            self.length_start
        )

    def _fit(self, values: pl.Series) -> pl.Series:
        """Pool values within the column length (cut only when none fits)."""
        if self.bound is None:
            return values
        fitting = values.filter(values.str.len_chars() <= self.bound)
        return fitting if len(fitting) else values.str.slice(0, self.bound).unique().sort()

    def _pool(self, make: Callable[[Faker], str], fake: Faker) -> pl.Series:
        values = {make(fake).replace("\n", ", ") for _ in range(POOL_SIZE)}
        return self._fit(pl.Series(sorted(values)))

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        if self.delegate is not None:
            return self.delegate.generate(start, count, rng)
        nulls = null_mask(rng, count, self.null_fraction)
        n = count if nulls is None else count - int(nulls.sum())
        rows = non_null_rows(start, nulls, count) if self.unique else None
        return spread(self._values(n, rng, rows), nulls).alias(self.name)

    def residual(self, n: int, rng: np.random.Generator) -> pl.Series:
        """*n* non-NULL values (the share not taken by a column's most-common values)."""
        if self.delegate is not None:
            return self.delegate.residual(n, rng)
        return self._values(n, rng, None)

    def _ids(self, n: int, rng: np.random.Generator, rows: np.ndarray | None) -> np.ndarray:
        """Scrambled 64-bit value ids: one per row (unique) or from the distinct-count grid."""
        if rows is not None:
            return mix64(rows)
        if self.grid is not None:
            return mix64(rng.integers(0, self.grid, n))
        return mix64(rng.integers(0, 1 << 62, n))

    def _values(self, n: int, rng: np.random.Generator, rows: np.ndarray | None) -> pl.Series:
        tag = self.tag
        if tag == "uuid":
            return uuid_strings(rng.integers(0, 256, (n, 16), dtype=np.uint8))
        if tag == "birth_date":
            today = temporal.default_range("date")[1]
            days = today - rng.uniform(18 * 365.25, 90 * 365.25, n)
            dates = temporal.to_series(np.floor(days), "date")
            if self.kind == "date":
                return dates
            return (
                dates.cast(pl.Datetime("us")) if self.kind == "datetime" else dates.cast(pl.String)
            )
        bits = self._ids(n, rng, rows)
        if tag == "card_number":
            ids = _scatter_ids(rows, 10**14) if rows is not None else bits % np.uint64(10**14)
            digits = luhn_complete(
                np.concatenate([np.full((n, 1), 4), _digits_from_ids(ids, 14)], 1)
            )
            return bytes_to_strings((digits + 48).astype(np.uint8))
        if tag == "iban":
            ids = _scatter_ids(rows, 10**18) if rows is not None else bits % np.uint64(10**18)
            bban = _digits_from_ids(ids, 18)
            check = iban_digits("DE", bban)
            head = np.tile(np.frombuffer(b"DE", dtype=np.uint8), (n, 1))
            matrix = np.concatenate([head, (np.concatenate([check, bban], 1) + 48)], axis=1)
            return bytes_to_strings(matrix.astype(np.uint8))
        if tag == "ip":
            octets = [
                ((bits >> np.uint64(8 * i)) % np.uint64(254)).astype(np.int64) + 1 for i in range(4)
            ]
            return pl.select(
                pl.concat_str([pl.Series(o).cast(pl.String) for o in octets], separator=".")
            ).to_series()
        pool = self.pool
        if getattr(self, "length_knots", None) is not None:
            wanted = draw_lengths(self.length_knots, unit_from_bits(mix64(bits)))
            pick = self.length_start[wanted] + (
                bits % self.length_count[wanted].astype(np.uint64)
            ).astype(np.int64)
            first = pool.gather(pick)
        else:
            first = pool.gather((bits % np.uint64(len(pool))).astype(np.int64))
        high = bits >> np.uint64(24)
        # Beyond the pool's size, a second part tells values apart (house number, last name...).
        varied = rows is not None or self.grid is None or self.grid > len(pool)
        if tag == "email":
            parts = [first]
            if rows is not None:
                parts.append(pl.Series(rows).cast(pl.String))
            elif varied:
                parts.append(pl.Series((high % np.uint64(10_000)).astype(np.int64)).cast(pl.String))
            domain = self.domains.gather(
                (bits >> np.uint64(60)).astype(np.int64) % len(self.domains)
            )
            if self.truncate:
                room = self.bound - 1 - domain.str.len_chars()
                if len(parts) > 1:
                    room = room - parts[1].str.len_chars()
                parts[0] = pl.select(first.str.slice(0, room)).to_series()
            return pl.select(pl.concat_str([*parts, pl.lit("@"), domain])).to_series()
        if tag in ("full_name", "name"):
            last = self.second.gather((high % np.uint64(len(self.second))).astype(np.int64))
            values = pl.select(pl.concat_str([first, pl.lit(" "), last])).to_series()
        elif tag in ("street", "address"):
            number = pl.Series((high % np.uint64(9_999)).astype(np.int64) + 1).cast(pl.String)
            order = [number, pl.lit(" "), first] if self.english else [first, pl.lit(" "), number]
            values = pl.select(pl.concat_str(order)).to_series()
        elif tag == "phone" and varied:
            ending = pl.Series((high % np.uint64(10_000)).astype(np.int64)).cast(pl.String)
            ending = ending.str.zfill(4)
            values = pl.select(
                pl.concat_str([first.str.slice(0, first.str.len_chars() - 4), ending])
            ).to_series()
        elif tag == "username" and varied:
            number = pl.Series((high % np.uint64(1_000)).astype(np.int64)).cast(pl.String)
            values = pl.select(pl.concat_str([first, number])).to_series()
        else:
            values = first
        if self.bound is not None and tag in COMPOSED:
            values = values.str.slice(0, self.bound)
        if rows is None:
            return values
        numbers = pl.Series(rows).cast(pl.String)
        if self.bound is not None:
            room = self.bound - numbers.str.len_chars() - 1
            values = pl.select(values.str.slice(0, room)).to_series()
        return pl.select(pl.concat_str([values, pl.lit(" "), numbers])).to_series()
