"""Realistic fake values for semantic / PII columns: faker pools built once, sampled by numpy.

A pool of a few thousand values per column is made once with Faker (locale from the rule's
``locale`` param, default en_US, seeded so the same seed gives the same pool); blocks gather
from it. Values never come from production: the profile holds none for PII columns. Values
that must be distinct (``ctx.unique``) mix the global row number in (``first.last123@...``), and
checksummed kinds (card numbers, IBANs) are built digit by digit in numpy so they stay valid.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate import temporal
from paritygen.generate.base import (
    ColumnContext,
    DistinctIds,
    column_rule_param,
    expected_non_null_rows,
    expected_seen,
    grid_size,
    id_ranks,
    non_null_ordinals,
    non_null_rows,
    null_mask,
    profiled_null_fraction,
    residual_knots,
    spread,
    stable_hash,
)
from paritygen.generate.lengths import place_within_length
from paritygen.generate.locales import EXTRA_LOCALES
from paritygen.generate.pools import POOL_SIZE, POOLED, draw_values, known_locale
from paritygen.generate.structured import (
    digits_from_ids,
    iban_digits,
    luhn_complete,
    scatter_ids,
    uuid_strings,
)
from paritygen.generate.text import (
    LengthPool,
    LengthTextGenerator,
    apply_case,
    atom_lengths,
    bytes_to_strings,
    checked_lengths,
    draw_lengths,
    length_knots,
    mix64,
)
from paritygen.generate.variety import JOINERS, MAX_POOL, WORD_KINDS, VarietyPool, joined_pairs
from paritygen.profile.model import Column
from paritygen.registry import generators

COMPUTED = frozenset({"email", "card_number", "iban", "birth_date", "uuid", "free_text"})
"""Kinds built in numpy (checksums, uniqueness, dates) or by another generator."""

TEXT_TYPES = frozenset({"string", "text"})


def supports(tag: str, column: Column) -> bool:
    """Whether the semantic generator can fill *column* for *tag*."""
    if tag == "birth_date":
        return column.logical_type in ("date", "datetime", "string", "text")
    if tag == "uuid":
        return column.logical_type in ("uuid", "string", "text")
    if tag == "ip_address":
        tag = "ip"
    return (tag in POOLED or tag in COMPUTED) and column.logical_type in TEXT_TYPES


def _locale(ctx: ColumnContext) -> str:
    """The rule's ``locale`` param (default en_US), checked before any row is made."""
    locale = str(column_rule_param(ctx, "locale", "en_US"))
    if not known_locale(locale):
        raise ConfigError(f"{ctx.table.name}.{ctx.column.name}: unknown locale {locale!r}")
    return locale


COMPOSED = frozenset({"full_name", "name", "street", "address", "phone", "username", "email"})
"""Kinds whose values combine a pool entry with a second part, so their variety is not capped
by the pool size (production may hold millions of distinct phones or streets)."""

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.test", "shop.test", "x.test")
"""Reserved domains only (RFC 2606 / 6761): a fake address can never reach a real mailbox."""

DOMAIN_LENGTHS = np.array([len(domain) for domain in EMAIL_DOMAINS], dtype=np.int64)

NAMED_EMAIL_DOMAINS = EMAIL_DOMAINS + tuple(
    f"{label}.{base}"
    for label in ("mail", "shop", "users", "members", "customer", "customers", "accounts",
                  "newsletter", "subscribers")
    for base in ("example.com", "example.org", "example.net")
)  # fmt: skip
"""Domains for e-mails built from a row's names: subdomains of the reserved ones (still never a
real mailbox) give lengths from 6 to 23 characters, so ``mary.smith@`` plus a domain reaches
production's lengths (``MARY.SMITH@sakilacustomer.org``) without a run of padding digits."""

NAMED_DOMAIN_LENGTHS = np.array([len(domain) for domain in NAMED_EMAIL_DOMAINS], dtype=np.int64)
DOMAIN_CHOICES = np.sort(np.unique(NAMED_DOMAIN_LENGTHS, return_index=True)[1])
"""The first named domain of each length, in domain order: the candidates an e-mail's length
is fitted with (10 lengths, not 33 domains, per row and name form)."""
DOMAIN_CHOICE_LENGTHS = NAMED_DOMAIN_LENGTHS[DOMAIN_CHOICES]

CALIBRATION_BLOCK = 1 << 16
"""Ids mapped onto the pool at once while a grid is calibrated (bounds its memory)."""
NUMBER_TABLE = 100_000
"""Largest digit range whose text is kept as a table (a few MB at most)."""

POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)


MAX_PAD = 4
"""Digits an e-mail built from a name may carry to reach production's lengths (mary.smith77)."""


def _ascii_letters(names: pl.Series) -> pl.Series:
    """Names as e-mail local parts write them: accents dropped (Köhler -> Kohler), letters and
    spaces only."""
    return names.cast(pl.String).str.normalize("NFKD").str.replace_all(r"[^A-Za-z ]", "")


def decimal_digits(values: np.ndarray) -> np.ndarray:
    """Characters of each non-negative integer written in decimal, without making strings."""
    return np.searchsorted(POWERS_OF_TEN, values, side="right") + 1


@functools.lru_cache(maxsize=128)
def locale_pool(maker: str, locale: str, seed: int, bound: int | None, mixed: bool) -> LengthPool:
    """The pool of one kind in *locale* (*mixed*: with :data:`EXTRA_LOCALES`' values), cut
    to a column length *bound*: shared by every column asking for the same, so 240 tables of
    names and cities sort and index each pool once per process, not once per column. Pools
    are only read after they are built (safe to share between threads)."""
    values = set(draw_values(maker, locale, seed, POOL_SIZE))
    if mixed:
        for extra in EXTRA_LOCALES:
            values |= set(draw_values(maker, extra, seed, POOL_SIZE // 8))
    return LengthPool(fitting(pl.Series(sorted(v for v in values if v) or ["x"]), bound))


def fitting(series: pl.Series, bound: int | None) -> pl.Series:
    """Values within the column length *bound* (cut only when none fits)."""
    series = series.cast(pl.String)
    if bound is None:
        return series
    kept = series.filter(series.str.len_chars() <= bound)
    return kept if len(kept) else series.str.slice(0, bound)


FIT_ROWS = 4096
"""Rows whose e-mail forms and domains are costed at once: the (rows x forms x domain
lengths) arrays of a 40,000-row block at once took 80 MB for an instant; a slice's take 1 MB."""


def _best_fit(
    lengths: np.ndarray, fixed: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the (form x domain length) choice whose e-mail length fits *wanted* best,
    and the characters left to pad (negative: too long), :data:`FIT_ROWS` rows at a time (the
    same choice as all rows at once: each row's cost is its own). Domains of one length cost
    the same: the first of each length stands for them all (argmin takes the first of equal
    costs, so the same form and domain are chosen)."""
    rows = len(lengths)
    best = np.empty(rows, dtype=np.intp)
    dtype = np.result_type(wanted, lengths, fixed, DOMAIN_CHOICE_LENGTHS)
    room = np.empty(rows, dtype=dtype)
    for lo in range(0, rows, FIT_ROWS):
        hi = min(lo + FIT_ROWS, rows)
        totals = (lengths[lo:hi, :, None] + fixed[lo:hi, None, None]
                  + DOMAIN_CHOICE_LENGTHS[None, None, :])  # fmt: skip
        deficit = (wanted[lo:hi, None, None] - totals).reshape(hi - lo, -1)
        cost = np.where(deficit >= 0, np.maximum(deficit - MAX_PAD, 0) + deficit * 0.01, -deficit)
        best[lo:hi] = cost.argmin(axis=1)
        room[lo:hi] = deficit[np.arange(hi - lo), best[lo:hi]]
    return best, room


@generators.register("semantic")
class SemanticGenerator:
    """Fake e-mails, names, addresses, phones, IBANs, cards, birth dates... by semantic tag.

    Every row draws a *value id*: its row number when values must be unique, else an id from a
    grid sized to production's distinct count (see ``base.grid_size``). The id picks the pool
    entries and the composed parts, and a length from the profiled length distribution that
    the picks aim at, so distinct count and lengths both follow production's.
    """

    def __init__(self, ctx: ColumnContext, *, known_values: int = 0, share: float = 1.0) -> None:
        """*known_values* / *share*: when used for the rest of a column whose most-common values
        are drawn elsewhere, how many distinct values and what share of rows those take."""
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
        if tag == "ip_address":  # the classifier's tag for the pool's "ip" kind
            tag = "ip"
        self.tag = tag
        self.name = column.name
        self.salt = np.uint64(stable_hash(f"{ctx.table.name}.{column.name}"))
        self.kind = column.logical_type
        shortest, self.bound = checked_lengths(ctx)
        self.unique = ctx.unique
        self.null_fraction = profiled_null_fraction(ctx)
        self.row_digits = len(str(max(ctx.row_count, 1) * 2))
        stats = column.stats
        distinct = (stats.distinct_count if stats is not None else 0) - known_values
        draws = expected_non_null_rows(ctx) * share
        self.grid = grid_size(distinct, draws) if distinct > 0 else None
        self.ctx = ctx
        self.share = share
        # Production all distinct (no grid: every draw a new value): ids are row numbers, so
        # small tables repeat nothing. A column that repeats a little (601 streets in 665 rows)
        # keeps its grid, or staging would show 665 where verify expects 601.
        self.all_distinct = (
            not self.unique and self.grid is None and distinct > 0 and known_values == 0
        )
        has_lengths = stats is not None and stats.length is not None
        self.knots = length_knots(column) if has_lengths else None
        if self.knots is not None and known_values:
            self.knots = residual_knots(self.knots, *atom_lengths(column))
        if self.knots is not None:
            self.knots = np.clip(self.knots, shortest, self.bound)
        self.delegate = None
        self.words: VarietyPool | None = None
        self.family: VarietyPool | None = None
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
        self.locale = _locale(ctx)
        self.locale_fixed = column_rule_param(ctx, "locale") is not None
        self.english = str(column_rule_param(ctx, "locale", "en_US")).startswith("en")
        self.seed = ctx.seed
        if tag == "email":
            self.follows = stats.follows if stats is not None else ()
            self.case = stats.letter_case if stats is not None else None
            self.pool = self._pool("email_local")
            # Local parts as they end when not cut: most rows need no per-row slice.
            self.stripped = self.pool.values.str.strip_chars_end("._")
            self.domains = pl.Series(EMAIL_DOMAINS)
            digits = self.row_digits if self.unique else 4
            if (
                self.bound is not None
                and self.bound < len(max(EMAIL_DOMAINS, key=len)) + digits + 2
            ):
                raise ConfigError(f"{where}: length {self.bound} is too short for e-mails")
        elif tag in ("full_name", "name"):
            # Given x family names make the variety: each part needs about its square root.
            parts = int(4 * math.sqrt(self._variety(distinct)))
            self.pool = self._pool("given_name", distinct=parts)
            self.second = self._pool("family_name", distinct=parts)
            if self.knots is not None:
                # Given name x family number: distinct ids give distinct full names, family
                # names running out at a length continue as made-up words of that length.
                self.family = VarietyPool(self.second, self.knots)
        elif tag in ("street", "address"):
            self.pool = self._pool("street_name", fit=True, shorter_by=5)  # "1234 " or " 12"
        elif tag == "phone":
            # Templates whose last four characters are digits get a varied ending.
            self.pool = self._pool("phone_template", fit=True)
        else:
            # The pool grows (other locales, joined pairs) toward the run's variety; made-up
            # words (VarietyPool) supply what real values cannot at a length.
            variety = self._variety(distinct)
            self.pool = self._pool(
                tag, fit=True, distinct=distinct, variety=int(variety), joiner=JOINERS.get(tag)
            )
            if tag in WORD_KINDS and self.knots is not None:
                # One value per id (short lengths that run out of real names get made-up
                # words), so the grid shows its distinct count as computed: no calibration.
                self.words = VarietyPool(self.pool, self.knots, capital=tag != "username")
            elif self.grid is not None:
                self.grid = self._calibrate_grid(distinct, draws)
        if self.unique and self.bound is not None and self.bound < self.row_digits + 1:
            raise ConfigError(f"{where}: length {self.bound} cannot hold unique {tag} values")
        # Digits appended (e-mails, user names) only as far as the variety needed calls for:
        # about 50 candidates per distinct value of the run (the pool's values are split by
        # length) keeps accidental repeats rare at any --scale.
        variety = max(distinct, self._variety(distinct)) if distinct > 0 else 10**6
        needed = 50 * variety / max(len(self.pool), 1)
        self.number_modulus = 1 if needed <= 1 else 10 ** min(6, math.ceil(math.log10(needed)))
        # The digits' text, gathered per row (casting numbers to text costs more).
        self.number_text = None
        if 1 < self.number_modulus <= NUMBER_TABLE:
            self.number_text = pl.Series(np.arange(self.number_modulus)).cast(pl.String)

    def _wanted(self, ids: np.ndarray) -> np.ndarray | None:
        """The length each value aims at: a function of its id, so an id keeps its value;
        spread evenly over the ids in use (:func:`id_ranks`)."""
        if self.knots is None:
            return None
        return draw_lengths(self.knots, id_ranks(ids))

    def _single_index(self, ids: np.ndarray) -> np.ndarray:
        """Pool positions of a single-pool kind (city, company, postcode...) for value ids."""
        slots = ids.astype(np.uint64)
        if self.knots is None:
            return self.pool.any_index(slots)
        ranks = id_ranks(slots)
        wanted = draw_lengths(self.knots, ranks)
        # Ids of one length spread over its bucket: a 109-row country list shows 109 names,
        # not the 91 that slots hashed into small buckets showed.
        within = place_within_length(self.knots, ranks, wanted)
        return self.pool.pick_index(wanted, slots, within)

    def _calibrate_grid(self, distinct: int, draws: float) -> int | None:
        """The id grid that shows about *distinct* values after ids map onto the pool (several
        ids can land on one value: a few short names, one length bucket)."""

        @functools.lru_cache(maxsize=64)
        def expected(grid: int) -> float:
            # Counted a block of ids at a time: a 2 M-id grid mapped at once held ~300 MB of
            # intermediate arrays (Sakila's 603 postcodes peaked a generate at 470 MB).
            cells = np.zeros(len(self.pool), dtype=np.int64)
            for start in range(0, grid, CALIBRATION_BLOCK):
                ids = np.arange(start, min(grid, start + CALIBRATION_BLOCK), dtype=np.uint64)
                cells += np.bincount(self._single_index(ids), minlength=len(self.pool))
            cells = cells[cells > 0]
            return expected_seen(cells, grid, draws)

        if distinct >= 0.95 * len(self.pool):
            return None  # more values than the pool holds: take all the variety it has
        low = self.grid
        if expected(low) >= distinct * 0.98:
            return low
        high = low
        while expected(high) < distinct and high < 64 * low and high < 2_000_000:
            high *= 2
        if expected(high) < distinct:
            return None  # the pool cannot show that many: take all the variety it has
        while high - low > max(1, low // 50):  # 2 % is ample for a 10 % bar
            middle = (low + high) // 2
            if expected(middle) < distinct:
                low = middle
            else:
                high = middle
        return high

    def _variety(self, distinct: int) -> float:
        """Distinct values this run should show: the grid's share at this run's rows, or every
        row when production repeated nothing (the pool must offer more than that)."""
        if distinct <= 0:
            return 0.0
        rows = self.ctx.row_count * (1.0 - self.null_fraction) * self.share
        if self.grid is None:
            return rows
        return float(-self.grid * np.expm1(-rows / self.grid))

    def _pool(
        self,
        maker: str,
        fit: bool = False,
        distinct: int = 0,
        shorter_by: int = 0,
        variety: int = 0,
        joiner: str | None = None,
    ) -> LengthPool:
        """A pool from the column's locale; when no locale is set, other locales join if the
        profiled lengths (*fit*; the pool's part is *shorter_by* characters shorter) or the
        distinct count need values the locale lacks. Faker knows a few hundred to a few
        thousand names or cities per locale; when the run needs *variety* values beyond that,
        pairs of pool values joined by *joiner* (Anna-Lena, Smith-Jones) make up the rest."""
        pool = locale_pool(maker, self.locale, self.seed, self.bound, mixed=False)
        if not (fit or distinct):
            return pool
        if not self.locale_fixed:
            knots = None if self.knots is None else np.maximum(self.knots - shorter_by, 1)
            short_of_lengths = fit and knots is not None and pool.misses(knots) > 0.05
            short_of_values = max(distinct, variety) > 0.8 * len(pool)
            if short_of_lengths or short_of_values:
                pool = locale_pool(maker, self.locale, self.seed, self.bound, mixed=True)
        wanted = min(variety, MAX_POOL)
        if joiner is not None and wanted > len(pool):
            base = pool.values
            extra = joined_pairs(base, wanted - len(base), joiner, self.seed)
            pool = LengthPool(fitting(pl.concat([base, extra]), self.bound))
        return pool

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        if self.delegate is not None:
            return self.delegate.generate(start, count, rng)
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        if self.unique:
            rows = non_null_rows(start, nulls, count)
        else:
            rows = non_null_ordinals(start, nulls, count, self.null_fraction)
        return spread(self._values(n, rng, rows), nulls).alias(self.name)

    def generate_following(
        self, start: int, count: int, rng: np.random.Generator, sources: list[pl.Series]
    ) -> pl.Series:
        """E-mails built from the row's generated names (``mary.smith@...``, in production's
        letter case), where production's follow its name columns (``ColumnStats.follows``);
        distinct ones carry the row number. Rows without a name get a pool address."""
        nulls = null_mask(rng, count, self.null_fraction, start)
        rows = non_null_rows(start, nulls, count)
        keep = np.flatnonzero(~nulls) if nulls is not None else np.arange(count)
        words = [_ascii_letters(series.gather(keep)) for series in sources]
        if len(words) == 1:  # a full name: its first and last word
            parts = words[0].str.split(" ")
            words = [parts.list.first(), parts.list.last()]
        else:
            words = [w.str.replace_all(" ", "") for w in words]
        initial = words[0].str.slice(0, 1)
        forms = [
            pl.select(pl.concat_str(words, separator=sep)).to_series()
            for sep in (".", "")
        ] + [pl.select(pl.concat_str([initial, words[1]], separator=sep)).to_series()
             for sep in (".", "")]  # fmt: skip
        suffix = pl.Series([""] * len(keep), dtype=pl.String)
        if self.unique or self.all_distinct:
            suffix = pl.Series(rows).cast(pl.String)
        bits = mix64(rows.astype(np.uint64) ^ self.salt)
        # Aim at production's e-mail lengths: of the forms (mary.smith, marysmith, m.smith,
        # msmith) and domains, the one whose length fits best, then up to four digits.
        fixed = suffix.str.len_chars().to_numpy().astype(np.int64) + 1
        lengths = np.stack(
            [f.str.len_chars().fill_null(0).to_numpy().astype(np.int64) for f in forms], axis=1
        )
        wanted = self._wanted(rows.astype(np.uint64))
        if wanted is None:
            wanted = lengths[:, 0] + fixed + int(DOMAIN_LENGTHS.mean())
        best, room = _best_fit(lengths, fixed, wanted)
        form, choice = np.divmod(best, len(DOMAIN_CHOICES))
        pick = DOMAIN_CHOICES[choice]
        local = forms[0]
        for index in range(1, len(forms)):
            chosen = pl.Series(form == index)
            local = pl.select(pl.when(chosen).then(forms[index]).otherwise(local)).to_series()
        pad = np.clip(room, 0, MAX_PAD)
        if self.unique or self.all_distinct:
            # The row number, zero-padded to the room: names have no digits, so the digits'
            # value (the row) keeps every address distinct whatever its width.
            width = pl.Series(fixed - 1 + pad, dtype=pl.UInt32)
            tail = pl.select(suffix.str.zfill(width)).to_series()
        else:
            digits = pl.Series((bits % np.uint64(10_000)).astype(np.int64)).cast(pl.String)
            tail = digits.str.zfill(MAX_PAD).str.slice(0, pl.Series(pad, dtype=pl.UInt32))
        local = pl.select(pl.concat_str([local, tail])).to_series()
        domain = pl.Series(NAMED_EMAIL_DOMAINS).gather(pick)
        if self.bound is not None:
            room = self.bound - domain.str.len_chars() - 1
            local = pl.select(local.str.slice(0, room)).to_series()
        values = pl.select(pl.concat_str([local, pl.lit("@"), domain])).to_series()
        fallback = self._values(len(keep), rng, rows if self.unique else None)
        bad = local.is_null() | (local.str.len_chars() < 3)
        values = pl.select(pl.when(bad).then(fallback).otherwise(values)).to_series()
        return spread(apply_case(values, self.case), nulls).alias(self.name)

    def residual(self, n: int, rng: np.random.Generator) -> pl.Series:
        """*n* non-NULL values (the share not taken by a column's most-common values)."""
        if self.delegate is not None:
            return self.delegate.residual(n, rng)
        return self._values(n, rng, None)

    def _ids(self, n: int, rng: np.random.Generator, rows: np.ndarray | None) -> np.ndarray:
        """Value ids: the row number (unique, or production all distinct) or ids that show
        production's distinct count (:class:`DistinctIds`)."""
        if rows is not None and (self.unique or self.all_distinct):
            return rows.astype(np.uint64)
        return DistinctIds(self.grid, self.ctx, self.share).draw(n, rng, rows)

    def _values(self, n: int, rng: np.random.Generator, rows: np.ndarray | None) -> pl.Series:
        tag = self.tag
        if tag == "uuid":
            return uuid_strings(rng.integers(0, 256, (n, 16), dtype=np.uint8))
        if tag == "birth_date":
            return self._birth_dates(n, rng)
        ids = self._ids(n, rng, rows)
        bits = mix64(ids ^ self.salt)  # the column's own stream: no two columns alike
        if not self.unique:
            rows = None  # row numbers only served as ids: no suffix
        if tag in ("card_number", "iban", "ip"):
            return self._numbered(tag, n, bits, rows)
        wanted = self._wanted(ids)
        high = bits >> np.uint64(24)
        if tag == "email":
            return self._emails(bits, high, wanted, rows)
        if tag in ("full_name", "name") and self.family is not None and wanted is not None:
            given = np.uint64(len(self.pool))
            ids64 = ids.astype(np.uint64)
            first = self.pool.values.gather(self.pool.any_index(ids64 % given))
            shortest = int(self.second.lengths[0])
            room = np.maximum(wanted - first.str.len_chars().to_numpy() - 1, shortest)
            last = self.family.value_at(room, (ids64 // given).astype(np.int64))
            values = pl.select(pl.concat_str([first, pl.lit(" "), last])).to_series()
        elif tag in ("full_name", "name"):
            first = self.pool.any(bits)
            if wanted is None:
                last = self.second.any(high)
            else:
                last = self.second.pick(wanted - first.str.len_chars().to_numpy() - 1, high)
            values = pl.select(pl.concat_str([first, pl.lit(" "), last])).to_series()
        elif tag in ("street", "address"):
            # House numbers of 1 to 4 digits, fewer where the wanted length is short.
            shortest = int(self.pool.lengths[0])
            digits = (
                np.full(len(ids), 4) if wanted is None else np.clip(wanted - shortest - 1, 1, 4)
            )
            low = 10 ** (digits - 1)
            house = low + (high % (9 * low).astype(np.uint64)).astype(np.int64)
            number = pl.Series(house).cast(pl.String)
            if wanted is None:
                street = self.pool.any(bits)
            else:
                street = self.pool.pick(wanted - digits - 1, bits)
            order = [number, pl.lit(" "), street] if self.english else [street, pl.lit(" "), number]
            values = pl.select(pl.concat_str(order)).to_series()
        elif tag == "phone":
            values = self.pool.any(bits) if wanted is None else self.pool.pick(wanted, bits)
            # The ending follows the id, so distinct ids give distinct phones even where the
            # templates of one length are few.
            ending = pl.Series((high % np.uint64(10_000)).astype(np.int64)).cast(pl.String)
            values = pl.select(
                pl.concat_str(
                    [values.str.slice(0, values.str.len_chars() - 4), ending.str.zfill(4)]
                )
            ).to_series()
        elif tag == "username" and self.number_modulus > 1 and self.words is None:
            modulus = np.uint64(self.number_modulus)
            number = pl.Series((high % modulus).astype(np.int64)).cast(pl.String)
            if wanted is None:
                base = self.pool.any(bits)
            else:
                base = self.pool.pick(wanted - number.str.len_chars().to_numpy(), bits)
            values = pl.select(pl.concat_str([base, number])).to_series()
        else:
            if self.words is not None:
                values = self.words.values_of(ids)
            else:
                values = self.pool.gather(self._single_index(ids))
        if self.bound is not None and tag in COMPOSED:
            values = values.str.slice(0, self.bound)
        if rows is None:
            return values
        numbers = pl.Series(rows).cast(pl.String)
        if self.bound is not None:
            room = self.bound - numbers.str.len_chars() - 1
            values = pl.select(values.str.slice(0, room)).to_series()
        return pl.select(pl.concat_str([values, pl.lit(" "), numbers])).to_series()

    def _emails(self, bits, high, wanted, rows) -> pl.Series:
        """``local[digits]@domain``; the local part is cut to the wanted length and the column
        bound; unique ones carry the row number (no digits elsewhere, so no two collide)."""
        pick = (bits >> np.uint64(58)).astype(np.int64) % len(self.domains)
        domain = self.domains.gather(pick)
        fixed = DOMAIN_LENGTHS[pick] + 1
        if rows is not None:
            values = np.asarray(rows, dtype=np.int64)
        elif self.number_modulus > 1:
            values = (high % np.uint64(self.number_modulus)).astype(np.int64)
        else:
            values = None
        number = None
        if values is not None and rows is None and self.number_text is not None:
            number = self.number_text.gather(values)
        elif values is not None:
            number = pl.Series(values).cast(pl.String)
        if values is not None:
            fixed = fixed + decimal_digits(values)
        room = np.full(len(bits), 10**6, dtype=np.int64)
        if wanted is not None:
            room = np.maximum(wanted - fixed, 1)
        if self.bound is not None:
            room = np.minimum(room, self.bound - fixed)
        index = self.pool.any_index(bits) if wanted is None else self.pool.pick_index(room, bits)
        # Cut to the room then stripped of a trailing dot: only rows whose pick is longer than
        # their room are cut; the rest take the pool's stripped value as it is.
        local = self.stripped.gather(index)
        cut = np.flatnonzero(self.pool.lengths[index] > room)
        if len(cut):
            shortened = self.pool.values.gather(index[cut]).str.slice(0, pl.Series(room[cut]))
            local = local.scatter(cut, shortened.str.strip_chars_end("._"))
        parts = [local] if number is None else [local, number]
        return pl.select(pl.concat_str([*parts, pl.lit("@"), domain])).to_series()

    def _numbered(self, tag: str, n: int, bits: np.ndarray, rows) -> pl.Series:
        """Card numbers (Luhn-valid), IBANs (valid check digits) and IPv4 addresses from ids;
        unique ones from a bijection of the row number, so no two rows share one."""
        if tag == "card_number":
            ids = (
                scatter_ids(rows, 10**14, self.salt)
                if rows is not None
                else bits % np.uint64(10**14)
            )
            body = np.concatenate([np.full((n, 1), 4), digits_from_ids(ids, 14)], axis=1)
            return bytes_to_strings((luhn_complete(body) + 48).astype(np.uint8))
        if tag == "iban":
            ids = (
                scatter_ids(rows, 10**18, self.salt)
                if rows is not None
                else bits % np.uint64(10**18)
            )
            bban = digits_from_ids(ids, 18)
            check = iban_digits("DE", bban)
            head = np.tile(np.frombuffer(b"DE", dtype=np.uint8), (n, 1))
            matrix = np.concatenate([head, (np.concatenate([check, bban], 1) + 48)], axis=1)
            return bytes_to_strings(matrix.astype(np.uint8))
        if rows is not None:
            bits = scatter_ids(rows, 254**4, self.salt)
        octets = [
            ((bits // np.uint64(254**i)) % np.uint64(254)).astype(np.int64) + 1 for i in range(4)
        ]
        return pl.select(
            pl.concat_str([pl.Series(o).cast(pl.String) for o in octets], separator=".")
        ).to_series()

    def _birth_dates(self, n: int, rng: np.random.Generator) -> pl.Series:
        """Ages 18 to 90 at the default horizon, as the column's type."""
        today = temporal.default_range("date")[1]
        days = today - rng.uniform(18 * 365.25, 90 * 365.25, n)
        dates = temporal.to_series(np.floor(days), "date")
        if self.kind == "date":
            return dates
        if self.kind == "datetime":
            return dates.cast(pl.Datetime("us"))
        return dates.cast(pl.String)
