"""Strings of production's shape: free word text and short-code patterns.

Text is cut from a pool of pre-generated word text: each row takes one pool entry at a random
offset and exact length (one polars gather + slice, no per-row Python). Fixed-width shapes
(patterns like ``AA-9999``, UUIDs) are written as a numpy byte matrix and handed to polars in one
step. Lengths follow the profiled length quantiles and never exceed the column's length
(:mod:`paritygen.generate.lengths`); the distinct count follows production's through a value-id
grid (see ``base.grid_size``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate.base import (
    ColumnContext,
    DistinctIds,
    expected_non_null_rows,
    grid_size,
    id_ranks,
    non_null_ordinals,
    non_null_rows,
    null_mask,
    profiled_null_fraction,
    residual_knots,
    spread,
    stable_hash,
    stratified_uniform,
)
from paritygen.generate.lengths import (  # noqa: F401 (re-exported: the length layer)
    DEFAULT_TEXT_LENGTHS,
    SLOT_PRIME,
    LengthPool,
    atom_lengths,
    checked_lengths,
    draw_lengths,
    length_inverse,
    length_knots,
    length_share,
    max_length,
    place_within_length,
)
from paritygen.profile.model import Column
from paritygen.registry import generators


@functools.lru_cache(maxsize=1)
def english_words() -> tuple[str, ...]:
    """The vocabulary of text columns that kept no words of their own (a personal column, a
    tiny table): about 950 common English words from Faker's en_US word list, letters only (so
    row numbers appended stay unique), never lorem ipsum. Loaded on first use (import cost)."""
    from paritygen.generate.pools import import_faker

    import_faker()
    from faker.providers.lorem.en_US import Provider

    return tuple(w for w in Provider.word_list if len(w) >= 2 and w.isalpha())


POOL_BYTES = 8 << 20
"""Upper bound on the text pool's size per column."""

POOL_ENTRIES = (64, 4096)
"""Fewest and most entries of a column's text pool."""

PLACES_PER_VALUE = 256
"""Cut positions (entry x offset) the pool offers per value the run makes: values drawn at
random positions then repeat by accident for about one row in 500, while a 1,000-row table
no longer builds (and holds) the megabytes of text a 10 M-row one needs."""


def pool_entries(values: float, span: int, size: int) -> int:
    """Entries of *size* characters (offsets over *span*) in a text pool for *values* values:
    enough places for :data:`PLACES_PER_VALUE` each, within :data:`POOL_ENTRIES` and
    :data:`POOL_BYTES`."""
    fewest, most = POOL_ENTRIES
    wanted = math.ceil(PLACES_PER_VALUE * max(values, 1.0) / max(span - 2, 1))
    return int(max(fewest, min(most, POOL_BYTES // (size + 1), wanted)))


def __getattr__(name: str) -> object:
    """``WORDS``, the English vocabulary, loaded on first use (PEP 562): importing this module
    stays cheap for runs that make no text."""
    if name == "WORDS":
        return english_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def word_text(
    rng: np.random.Generator,
    chars: int,
    words: tuple[str, ...] | None = None,
    weights: np.ndarray | None = None,
) -> str:
    """About *chars* characters of space-separated words (built once per column), drawn at
    *weights* (production's word frequencies) when given; English words by default."""
    words = words or english_words()
    average = sum(len(w) for w in words) / len(words) + 1
    count = int(chars / average) + 16
    if weights is None:
        picks = rng.integers(0, len(words), count)
    else:
        picks = rng.choice(len(words), count, p=weights / weights.sum())
    text = pl.Series(words, dtype=pl.String).gather(picks).str.join(" ").item()
    while len(text) < chars:
        text = text + " " + text
    return text[:chars]


def code_points(text: str) -> np.ndarray:
    """One code point per character, so positions are characters whatever the script: bytes
    for ASCII text (a quarter of the memory of UTF-32, which other text takes)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def mix64(values: np.ndarray) -> np.ndarray:
    """A bijective 64-bit scramble (splitmix64 finaliser): value ids to well-spread bits."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def bytes_to_strings(matrix: np.ndarray) -> pl.Series:
    """A (rows, width) uint8 matrix of UTF-8 text as a String series (trailing NUL bytes
    dropped)."""
    width = matrix.shape[1]
    if width == 0 or matrix.shape[0] == 0:
        return pl.Series([""] * matrix.shape[0], dtype=pl.String)
    flat = np.ascontiguousarray(matrix).view(f"S{width}").ravel()
    return pl.Series(flat).cast(pl.String)


@generators.register("length_text")
class LengthTextGenerator:
    """Word text with production's length distribution and distinct count."""

    def __init__(self, ctx: ColumnContext, avoid: pl.Series | None = None) -> None:
        column = ctx.column
        if column.logical_type not in ("string", "text", "enum", "json"):
            raise ConfigError(
                f"{ctx.table.name}.{column.name}: generator 'length_text' needs a text column, "
                f"not {column.logical_type}"
            )
        self.name = column.name
        self.null_fraction = profiled_null_fraction(ctx)
        self.knots = length_knots(column)
        if avoid is not None:
            self.knots = residual_knots(self.knots, *atom_lengths(column))
        shortest, self.bound = checked_lengths(ctx)
        self.knots = np.clip(self.knots, shortest, self.bound if self.bound is not None else None)
        self.unique = ctx.unique
        self.avoid = avoid
        self.alphabet_codes = None
        if self.unique:
            digits = len(str(max(ctx.row_count, 1) * 2))
            if self.bound is not None and self.bound < digits + SHORT_PREFIX:
                # Too short for words + a row number: codes over a whole alphabet (a unique
                # varchar(2) holds 676 letter pairs, not 49 numbers).
                from paritygen.generate.codes import AlphabetCodes

                wanted = int(round(float(np.median(self.knots)))) if len(self.knots) else 1
                self.alphabet_codes = AlphabetCodes(ctx, self.bound, wanted)
            self.digits = digits
        longest = int(self.knots[-1]) if len(self.knots) else 0
        self.span = max(longest, 64)
        size = longest + self.span
        entries = pool_entries(ctx.row_count * (1.0 - self.null_fraction), self.span, size)
        seed = np.random.default_rng([len(column.name), *column.name.encode("utf-8")[:16]])
        words, weights = column_words(column)
        text = word_text(seed, entries * size, words, weights)
        self.pool = pl.Series([text[i * size : (i + 1) * size] for i in range(entries)])
        self.size = size
        # Where the spaces are, a bit per character (a flag byte each held 8 MB for a column of
        # long text, as much as its pool).
        spaces = code_points(text) == 32
        self.pool_chars = len(spaces)
        self.space_bits = np.packbits(spaces)
        del spaces
        self.case = column.stats.letter_case if column.stats is not None else None
        # Values in production's case cut from a pool cased once (ASCII keeps every character
        # in its place), not cased value by value; whole-word places are still told apart on
        # the pool as drawn, and values kept off ``avoid`` are compared before casing. Made on
        # the first generate(): a generator only asked for residual values never needs it.
        self.cases_pool = self.case in ("lower", "upper") and avoid is None and text.isascii()
        self._cased_pool: pl.Series | None = None
        self._place_cache: dict[int, tuple[np.ndarray, int]] = {}
        self._table: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        # Distinct values wanted per length (the id grid, or every row), spread over the lengths.
        spread_of_lengths = float(self.knots[-1] - self.knots[0]) if len(self.knots) else 0.0
        lengths_used = max(1.0, spread_of_lengths + 1.0)
        self.per_length = 1.0
        self._prefix: np.ndarray | None = None
        self._word_edges: tuple[np.ndarray, np.ndarray] | None = None
        stats = column.stats
        distinct = stats.distinct_count if stats is not None else 0
        avoided = len(avoid) if avoid is not None else 0
        self.grid = None
        share = 1.0
        if avoid is not None and stats is not None:
            share = max(0.0, 1.0 - sum(item.frequency for item in stats.most_common))
        if not self.unique and distinct > avoided:
            self.grid = grid_size(distinct - avoided, expected_non_null_rows(ctx) * share)
        self.lengths_used = lengths_used
        self.aim_distinct(ctx, self.grid, share)

    def aim_distinct(self, ctx: ColumnContext, grid: int | None, share: float) -> None:
        """Draw value ids from *grid* cells for the *share* of the rows this generator makes
        (a pattern's other values are 7 % of a state column: they hold its 2 non-code values,
        not another 10 of its 25)."""
        self.grid = grid
        self.ids = DistinctIds(grid, ctx, share)
        wanted = grid if grid is not None else expected_non_null_rows(ctx) * share
        self.per_length = float(wanted) / self.lengths_used
        # Whole-word places are searched in as much of the pool as this run's values need.
        made = self.ids.count
        if made is None:
            made = ctx.row_count * (1.0 - profiled_null_fraction(ctx)) * share
        self.made = float(made)
        self.place_chars = int(min(PLACE_CHARS, max(PLACE_CHARS_MIN, PLACE_CHARS_PER_VALUE * made)))

    def residual(
        self,
        n: int,
        rng: np.random.Generator,
        rows: np.ndarray | None = None,
        id_rows: np.ndarray | None = None,
        pool: pl.Series | None = None,
    ) -> pl.Series:
        """*n* strings (the non-NULL values of a block), kept off the ``avoid`` values.

        *rows*: row numbers that make each value unique; *id_rows*: row numbers that only pick
        value ids (see :class:`DistinctIds`); *pool*: the text cut (the pool as drawn, or
        cased once: :attr:`cases_pool`)."""
        values = self._strings(n, rng, rows, id_rows, self.pool if pool is None else pool)
        if self.avoid is not None and len(self.avoid) and n:
            for _ in range(3):
                clash = np.flatnonzero(values.is_in(self.avoid.implode()).to_numpy())
                if len(clash) == 0:
                    break
                again = self._strings(len(clash), rng, None, None, self.pool)
                values = values.scatter(clash, again)
        return values

    def _strings(
        self,
        n: int,
        rng: np.random.Generator,
        rows: np.ndarray | None,
        id_rows: np.ndarray | None,
        pool: pl.Series,
    ) -> pl.Series:
        place_ids = id_rows  # distinct ordinals: distinct whole-word places (no grid)
        if self.grid is not None:
            value_ids = self.ids.draw(n, rng, id_rows)
            place_ids = value_ids
            bits = mix64(value_ids)
            u = id_ranks(value_ids)
            entry = (bits % np.uint64(len(self.pool))).astype(np.int64)
            offset = ((bits >> np.uint64(20)) % np.uint64(self.span - 2)).astype(np.int64)
        else:
            # Every value its own (no grid): with ordinals, the length is a function of the
            # ordinal too, so the ordinals of one length are evenly spread over its places.
            u = id_ranks(id_rows) if id_rows is not None else stratified_uniform(rng, n)
            entry = rng.integers(0, len(self.pool), n)
            offset = rng.integers(0, self.span - 2, n)  # room for _trim's moves
        lengths = draw_lengths(self.knots, u)
        offset = self._trim(entry, offset, lengths)
        if rows is not None:
            return self._unique(entry, offset, lengths, rows, pool)
        ranks = u if place_ids is not None else None
        numbered = self._whole_words(entry, offset, lengths, place_ids, ranks)
        values = pl.select(
            pool.gather(entry).str.slice(pl.Series(offset), pl.Series(lengths))
        ).to_series()
        if numbered is None:
            return values
        return pl.select(pl.concat_str([values, numbered])).to_series()

    def _trim(self, entry: np.ndarray, offset: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Offsets moved by one character so no value starts or ends with a space (real text
        does not; and MariaDB's PAD SPACE collations would make ``'ab '`` equal ``'ab'``). The
        pool has single spaces between words of two or more letters, so one move suffices."""
        if not len(entry):
            return offset
        space = self._space_at
        base = entry * self.size
        offset = np.maximum(offset, 1)  # so a move back is always possible
        offset += space(base + offset)
        ends_in_space = space(base + offset + np.maximum(lengths, 1) - 1) & (lengths > 0)
        before = space(base + offset - 1)
        # End on a space: step back one, unless that would start on a space; then step on.
        offset += np.where(ends_in_space, np.where(before, 1, -1), 0)
        return offset

    def _space_at(self, positions: np.ndarray) -> np.ndarray:
        """Whether the pool's character at each (flat) position is a space."""
        bits = self.space_bits[positions >> 3] >> (7 - (positions & 7)).astype(np.uint8)
        return (bits & 1).astype(bool)

    def _whole_words(
        self,
        entry: np.ndarray,
        offset: np.ndarray,
        lengths: np.ndarray,
        ids: np.ndarray | None = None,
        ranks: np.ndarray | None = None,
    ) -> pl.Series | None:
        """Each value moved to a place of the pool where its exact length starts and ends on
        whole words ("Love Of My Life", not "ve Of My Li"), so lengths keep production's
        distribution exactly. The place is a function of the value's own (entry, offset), so a
        value id keeps its value; a length no place fits (one long word) keeps its cut.

        With the *ranks* the lengths were drawn at (evenly spread over the ids), each id's
        place among the ids of its length picks the place: distinct ids of one length land on
        distinct places as long as there are places enough (TPC-H's 20,000 part names had
        shown 17,346 values when ids were folded onto the places modulo their number).
        A length whose whole-word strings are fewer than the distinct values it should show
        (store names of 16 characters from 53 words: 189 strings for 296 stores) takes a
        shorter whole-word head and the id's number (``Nice store 713``), as names that only a
        number tells apart are. *entry*, *offset* and *lengths* are moved in place; the
        return is the numbers to append (empty strings elsewhere), or None when none are."""
        if not len(entry):
            return None
        if ranks is None or ids is None:
            self._whole_words_at(entry, offset, lengths)
            return None
        return self._whole_words_ranked(entry, offset, lengths, ids, ranks)

    def _whole_words_at(self, entry: np.ndarray, offset: np.ndarray, lengths: np.ndarray) -> None:
        """:meth:`_whole_words` without ids: the value's own position picks its place (an
        affine map onto the places), where a length has places enough for its variety."""
        size = self.size
        key = entry * size + offset
        wanted = np.unique(lengths)
        # Longer values keep their cut (no place is searched for them: WHOLE_WORD_MAX).
        for length in wanted[(wanted > 0) & (wanted <= WHOLE_WORD_MAX)]:
            places, variety = self._places(int(length))
            if len(places) == 0 or variety < PLACE_VARIETY * self.per_length:
                continue  # one long word, say, or too few whole-word values: exact cuts
            rows = np.flatnonzero(lengths == length)
            chosen = places[(key[rows] * PLACE_STEP) % len(places)]
            entry[rows], offset[rows] = np.divmod(chosen, size)

    def _whole_words_ranked(
        self,
        entry: np.ndarray,
        offset: np.ndarray,
        lengths: np.ndarray,
        ids: np.ndarray,
        ranks: np.ndarray,
    ) -> pl.Series | None:
        """:meth:`_whole_words` by each id's place among the ids of its length, every length
        at once: the places of all lengths sit in one array (:meth:`_place_table`), so a block
        costs a few gathers, not a pass over its rows per length."""
        size = self.size
        lengths_in = np.clip(lengths, 0, WHOLE_WORD_MAX + 1)
        first, count, numbered, flat = self._place_table(np.bincount(lengths_in) > 0)
        within = place_within_length(self.knots, ranks, lengths)
        slot = np.minimum(lengths_in, WHOLE_WORD_MAX + 1)
        places = count[slot]
        plain = np.flatnonzero((places > 0) & ~numbered[slot])
        if len(plain):
            at = slot[plain]
            chosen = flat[first[at] + (within[plain] * count[at]).astype(np.int64)]
            entry[plain], offset[plain] = np.divmod(chosen, size)
        rows = np.flatnonzero((places > 0) & numbered[slot])
        if not len(rows):
            return None
        # A shorter whole-word head, a space and the id's number, as long as the length.
        numbers = ids[rows].astype(np.int64) + 1
        heads = lengths[rows] - (np.searchsorted(DECIMAL_POWERS, numbers, side="right") + 1) - 1
        heads = np.maximum(heads, 0)
        first, count, _, flat = self._place_table(np.bincount(heads, minlength=1) > 0)
        fits = np.flatnonzero((heads > 0) & (count[heads] > 0))
        if not len(fits):
            return None
        pick, head = rows[fits], heads[fits]
        chosen = flat[first[head] + (within[pick] * count[head]).astype(np.int64)]
        entry[pick], offset[pick] = np.divmod(chosen, size)
        lengths[pick] = head
        marked = np.zeros(len(entry), dtype=bool)
        marked[pick] = True
        number = np.zeros(len(entry), dtype=np.int64)
        number[pick] = numbers[fits]
        return pl.select(
            pl.when(pl.Series(marked))
            .then(pl.concat_str([pl.lit(" "), pl.Series(number).cast(pl.String)]))
            .otherwise(pl.lit(""))
        ).to_series()

    def _place_table(
        self, used: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(first, count, numbered, places) over the lengths 0 .. WHOLE_WORD_MAX (+ 1, which
        has none): length L's places are ``places[first[L] : first[L] + count[L]]``, and
        ``numbered[L]`` says they are fewer than the distinct values L should show. *used*
        (a mask over lengths) names the lengths a block needs: those are searched
        (:meth:`_places`) if they were not yet, and the table is rebuilt only then."""
        lengths = np.flatnonzero(used[: WHOLE_WORD_MAX + 1])
        missing = [int(n) for n in lengths if n > 0 and n not in self._place_cache]
        if missing or self._table is None:
            for length in missing:
                self._places(length)
            slots = WHOLE_WORD_MAX + 2
            count = np.zeros(slots, dtype=np.int64)
            numbered = np.zeros(slots, dtype=bool)
            parts = []
            for length, (places, variety) in sorted(self._place_cache.items()):
                if 0 < length <= WHOLE_WORD_MAX:
                    count[length] = len(places)
                    numbered[length] = variety < self._demand(length)
                    parts.append(places)
            first = np.zeros(slots, dtype=np.int64)
            first[1:] = np.cumsum(count)[:-1]
            flat = np.concatenate(parts) if parts else np.zeros(1, dtype=np.int64)
            self._table = (first, count, numbered, flat)
        return self._table

    def _demand(self, length: int) -> float:
        """Distinct values this run should show at *length*."""
        return self.made * length_share(self.knots, length)

    def _places(self, length: int) -> tuple[np.ndarray, int]:
        """Pool positions (first :attr:`place_chars` characters) where *length* characters
        start on a word and end on one, inside one pool entry, and how many distinct strings
        they hold (a single word's length has few); cached per length. A length that finds
        too few there for the variety wanted searches the first :data:`PLACE_CHARS`."""
        cached = self._place_cache.get(length)
        if cached is None:
            cached = self._find_places(length, self.place_chars)
            wanted = max(self.per_length, self._demand(length))
            if cached[1] < PLACE_VARIETY * wanted and self.place_chars < PLACE_CHARS:
                cached = self._find_places(length, PLACE_CHARS)
            self._place_cache[length] = cached
        return cached

    def _find_places(self, length: int, chars: int) -> tuple[np.ndarray, int]:
        """:meth:`_places` in the pool's first *chars* characters."""
        if self._word_edges is None or len(self._word_edges[0]) < min(chars + 1, self.pool_chars):
            count = min(chars + 1, self.pool_chars)
            flat = np.unpackbits(self.space_bits[: (count + 7) // 8], count=count).view(bool)
            starts = ~flat
            starts[1:] &= flat[:-1]
            ends = np.zeros(len(flat) + 1, dtype=bool)  # ends[p]: a word ends before p
            ends[1 : len(flat)] = ~flat[:-1] & flat[1:]
            self._word_edges = (starts, ends)
        starts, ends = self._word_edges
        total = min(len(starts), chars + 1)
        size = self.size
        if length <= 0 or length > min(total, WHOLE_WORD_MAX):
            places = np.zeros(0, dtype=np.int64)
        else:
            fit = starts[: total - length + 1] & ends[length : total + 1]
            fit[-1] = False  # its end is past the search, whichever edges are cached
            places = np.flatnonzero(fit).astype(np.int64)
            places = places[(places % size) + length <= size]
        # One place per distinct string, so distinct ids give distinct values (strings
        # told apart by a rolling hash of their characters: no substring is copied).
        hashes = self._substring_hashes(places, length, chars)
        ordered = np.sort(hashes)
        if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():  # else all distinct
            _, first = np.unique(hashes, return_index=True)
            places = places[np.sort(first)]
        return places, len(places)

    def _substring_hashes(self, starts: np.ndarray, length: int, chars: int) -> np.ndarray:
        """A 64-bit hash of the pool's *length* characters at each start (within its first
        *chars* characters): position-weighted prefix sums of the code points, brought to a
        common base by the inverse power of the (odd) multiplier, all modulo 2**64 (numpy's
        wrapping uint64 arithmetic)."""
        if self._prefix is None or len(self._prefix) < min(chars + 2, self.pool_chars + 1):
            size = self.size
            head = "".join(self.pool.head(-(-(chars + 1) // size)).to_list())[: chars + 1]
            codes = code_points(head).astype(np.uint64)
            powers, _ = hash_powers()
            with np.errstate(over="ignore"):
                prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
                prefix[1:] = np.cumsum(codes * powers[: len(codes)], dtype=np.uint64)
                self._prefix = prefix
        prefix, (_, inverse) = self._prefix, hash_powers()
        with np.errstate(over="ignore"):
            return (prefix[starts + length] - prefix[starts]) * inverse[starts]

    def _unique(self, entry, offset, lengths, rows: np.ndarray, pool: pl.Series) -> pl.Series:
        """Distinct strings: a word prefix then the row number (the vocabulary has no digits,
        so different rows can never give the same text)."""
        numbers = pl.Series(rows).cast(pl.String)
        digits = numbers.str.len_chars().to_numpy().astype(np.int64)
        prefix = np.maximum(lengths - digits, 0)
        if self.bound is not None:
            prefix = np.minimum(prefix, np.maximum(self.bound - digits, 0))
        head = pool.gather(entry).str.slice(pl.Series(offset), pl.Series(prefix))
        return pl.select(pl.concat_str([head, numbers])).to_series()

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        if self.alphabet_codes is not None:
            codes = self.alphabet_codes.codes(non_null_rows(start, nulls, count))
            return spread(codes, nulls).alias(self.name)
        cased = None
        if self.cases_pool:
            if self._cased_pool is None:
                self._cased_pool = apply_case(self.pool, self.case)
            cased = self._cased_pool
        if self.unique:
            rows = non_null_rows(start, nulls, count)
            values = self.residual(n, rng, rows, pool=cased)
        else:
            ordinals = non_null_ordinals(start, nulls, count, self.null_fraction)
            values = self.residual(n, rng, None, ordinals, pool=cased)
        if cased is None:
            values = apply_case(values, self.case)
        return spread(values, nulls).alias(self.name)


def column_words(column: Column) -> tuple[tuple[str, ...], np.ndarray | None]:
    """(words, weights) of a column's text: its own profiled vocabulary at production's word
    frequencies, or the English fallback (:func:`english_words`) when it kept none."""
    stats = column.stats
    if stats is None or len(stats.words) < MIN_VOCABULARY:
        return english_words(), None
    words = tuple(str(item.value) for item in stats.words)
    weights = np.asarray([item.frequency for item in stats.words], dtype=np.float64)
    return words, weights


SHORT_PREFIX = 2
"""Fewest word characters a unique value keeps before its row number; shorter columns take
alphabet codes (:class:`paritygen.generate.codes.AlphabetCodes`)."""

HASH_BASE = np.uint64(0x9E3779B97F4A7C15)
"""Odd multiplier of the substring hash (odd, so it has an inverse modulo 2**64)."""
HASH_INVERSE = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))


PLACE_STEP = 7_919
"""Odd prime stepping value ids across the places (distinct ids below the count, distinct
places, unless the count is a multiple of it)."""
PLACE_VARIETY = 1.5
"""Places per distinct value wanted at a length before values move to whole words (fewer
would make distinct values collide on one place)."""
PLACE_CHARS = 1 << 18
"""Pool characters searched for whole-word places of a length (a bitmask pass per length)."""
PLACE_CHARS_PER_VALUE = 64
"""Characters searched per value the run makes (about one whole-word place per 40 characters
at a length, so places outnumber the values); within [PLACE_CHARS_MIN, PLACE_CHARS]."""
PLACE_CHARS_MIN = 1 << 14


@functools.lru_cache(maxsize=1)
def hash_powers() -> tuple[np.ndarray, np.ndarray]:
    """Powers of :data:`HASH_BASE` and of its inverse over the searched part of a pool, made
    once per process (a uint64 ``cumprod`` of 256 K terms takes milliseconds, every column
    used to pay it twice)."""
    steps = np.full(PLACE_CHARS + 2, HASH_BASE, dtype=np.uint64)
    steps[0] = 1
    inverse = np.full(PLACE_CHARS + 2, HASH_INVERSE, dtype=np.uint64)
    inverse[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(steps, dtype=np.uint64), np.cumprod(inverse, dtype=np.uint64)


DECIMAL_POWERS = 10 ** np.arange(1, 19, dtype=np.int64)
"""10, 100, ...: a positive number's digits are one more than the powers it reaches."""

WHOLE_WORD_MAX = 80
"""Longest value moved onto whole words (titles, names, short notes); longer text keeps its
exact cut, trimmed of spaces at its ends."""

MIN_VOCABULARY = 8
"""Fewer profiled words than this make repetitive text: the English fallback is used instead."""


def apply_case(values: pl.Series, case: str | None) -> pl.Series:
    """Values written in production's letter case (``MARY SMITH``), when it had one."""
    if case == "upper":
        return values.str.to_uppercase()
    if case == "lower":
        return values.str.to_lowercase()
    if case == "title":
        return values.str.to_titlecase()
    return values


PATTERN_CLASSES = {
    "A": np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8),
    "a": np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8),
    "9": np.frombuffer(b"0123456789", dtype=np.uint8),
}
"""Character classes of :class:`paritygen.profile.model.ShapeStats` patterns."""


@generators.register("pattern")
class PatternGenerator:
    """Short codes in the profiled shape (``AA-9999``); unique ones by a bijection of the row."""

    def __init__(self, ctx: ColumnContext, *, known_values: int = 0, share: float = 1.0) -> None:
        """*known_values* / *share*: when used for the rest of a column whose most-common values
        are drawn elsewhere (``Clerk#000000878`` x 100 beside 900 other clerks), how many
        distinct values and what share of the non-NULL rows those take, so that the codes made
        here add the distinct values still missing, not the column's whole count again."""
        column = ctx.column
        where = f"{ctx.table.name}.{column.name}"
        from paritygen.generate.base import column_rule_param

        pattern = column_rule_param(ctx, "pattern")
        if pattern is None and column.stats is not None and column.stats.shape is not None:
            pattern = column.stats.shape.pattern
        if not pattern:
            raise ConfigError(f"{where}: generator 'pattern' needs a shape pattern")
        pattern = str(pattern)
        if column.length and len(pattern) > column.length:
            raise ConfigError(f"{where}: pattern {pattern!r} is longer than {column.length}")
        self.name = column.name
        self.null_fraction = profiled_null_fraction(ctx)
        self.unique = ctx.unique
        # The matrix holds UTF-8 bytes: other characters of the shape (``é``, an emoji) stay
        # literal, and the class letters A / a / 9 are single bytes that no multi-byte
        # character contains, so slots are found on the encoded pattern.
        shape = column.stats.shape if column.stats is not None else None
        prefix = shape.prefix if shape is not None and shape.pattern == pattern else None
        prefix = prefix if prefix and len(prefix) < len(pattern) else ""
        # A constant prefix (``Customer#``) stays literal; the rest follows the classes.
        fixed = len(prefix.encode("utf-8"))
        encoded = prefix.encode("utf-8") + pattern[len(prefix) :].encode("utf-8")
        self.literal = np.frombuffer(encoded, dtype=np.uint8)
        self.slots = [
            i for i, byte in enumerate(encoded) if i >= fixed and chr(byte) in PATTERN_CLASSES
        ]
        # Customer#000000042: a prefix and digits are a sequence; unique ones count up.
        self.sequential = bool(prefix) and all(encoded[i] == ord("9") for i in self.slots)
        self.alphabets = [PATTERN_CLASSES[chr(encoded[i])] for i in self.slots]
        self.capacity = int(np.prod([len(a) for a in self.alphabets], dtype=object) or 1)
        if self.unique and self.capacity < ctx.row_count:
            raise ConfigError(
                f"{where}: pattern {pattern!r} has only {self.capacity} values for "
                f"{ctx.row_count} unique rows"
            )
        stats = column.stats
        distinct = max(0, (stats.distinct_count if stats is not None else 0) - known_values)
        shape = stats.shape if stats is not None else None
        self.share = shape.share if shape is not None and shape.pattern == pattern else 1.0
        self.other = None
        if not self.unique and self.share < 0.99 and column.logical_type in ("string", "text"):
            self.other = LengthTextGenerator(ctx)
            # The profiled lengths include the shaped codes: the other text takes what remains
            # ('u' || n: 67 % of 'a9999' leaves lengths 2-4 to the rest, not mostly 5 again).
            self.other.knots = residual_knots(
                self.other.knots, np.array([float(len(pattern))]), np.array([self.share])
            )
        # Other values no longer than the shape are taken as its shortened codes ('u7' next to
        # 'u1273'): distinct like production's, where short word text repeats within a few
        # hundred values.
        self.prefixes = (
            self.other is not None
            and pattern.isascii()
            and float(self.other.knots[-1]) <= len(pattern)
        )
        self.short_codes = self._short_code_plan(ctx, pattern) if self.unique else {}
        self.grid = None
        draws = expected_non_null_rows(ctx) * share
        if not self.unique and distinct:
            shaped = max(1, round(min(distinct * self.share, self.capacity)))
            self.grid = grid_size(shaped, draws * self.share)
            if self.other is not None:  # the rest of the distinct values, over the rest
                rest = 1.0 - self.share
                grid = grid_size(max(1, distinct - shaped), draws * rest)
                self.other.aim_distinct(ctx, grid, rest * share)
        self.ids = DistinctIds(self.grid, ctx, self.share * share)
        # A multiplier near capacity x 0.618 (golden ratio) and coprime with the capacity turns
        # consecutive ids into codes scattered over every position (a bijection of the range).
        start = (self.capacity * 0x9E3779B97F4A7C15 >> 64) | 1
        self.multiplier = next(
            m for m in range(start, start + 10**6, 2) if math.gcd(m, self.capacity) == 1
        )

    def _short_code_plan(self, ctx: ColumnContext, pattern: str) -> dict[int, tuple[int, int]]:
        """Unique codes whose profile also holds shorter ones ('DE--10000' beside 'DE--100000':
        a sequence that gained a digit): per shorter length L, the capacity and multiplier of
        the pattern cut to L. Empty when the profile has none, or a cut pattern cannot give
        every row its own code (then every row takes the full pattern, as before)."""
        stats = ctx.column.stats
        if self.share >= 0.99 or stats is None or stats.length is None or not pattern.isascii():
            return {}
        knots = residual_knots(
            LengthTextGenerator(ctx).knots, np.array([float(len(pattern))]),
            np.array([self.share]),
        )  # fmt: skip
        self.short_knots = knots
        plan: dict[int, tuple[int, int]] = {}
        for length in range(max(1, int(np.floor(knots[0]))), len(pattern)):
            sizes = [len(a) for slot, a in zip(self.slots, self.alphabets, strict=True)
                     if slot < length]  # fmt: skip
            capacity = int(np.prod(sizes, dtype=object)) if sizes else 1
            if capacity < ctx.row_count:
                return {}
            start = (capacity * 0x9E3779B97F4A7C15 >> 64) | 1
            plan[length] = (capacity, next(
                m for m in range(start, start + 10**6, 2) if math.gcd(m, capacity) == 1
            ))  # fmt: skip
        self.split_key = np.uint64(stable_hash(f"{ctx.table.name}.{ctx.column.name}") ^ ctx.seed)
        return plan

    def _unique_codes(self, rows: np.ndarray) -> pl.Series:
        """Row-unique codes; with a short-code plan, the profiled share of rows takes the full
        pattern and the others their own cut pattern (different lengths never collide, and
        within one length the row number is a bijection of its capacity)."""
        if self.sequential:
            return self._sequence(rows)
        if not self.short_codes:
            return self._codes(rows)
        u = (mix64(rows.astype(np.uint64) ^ self.split_key) >> np.uint64(11)) / float(1 << 53)
        shaped = u < self.share
        lengths = np.full(len(rows), len(self.literal), dtype=np.int64)
        rest = ~shaped
        if rest.any():
            ranks = (u[rest] - self.share) / (1.0 - self.share)
            cut = draw_lengths(self.short_knots, np.clip(ranks, 0.0, 1.0 - 1e-12))
            lengths[rest] = np.clip(cut, min(self.short_codes), len(self.literal))
        # Each length's codes made together, then put back in row order with one gather
        # (no Python object per row).
        parts, order = [], []
        for length in np.unique(lengths):
            pick = np.flatnonzero(lengths == length)
            if length >= len(self.literal):
                parts.append(self._codes(rows[pick]))
            else:
                parts.append(self._cut_codes(rows[pick], int(length)))
            order.append(pick)
        back = np.empty(len(rows), dtype=np.int64)
        back[np.concatenate(order)] = np.arange(len(rows))
        return pl.concat(parts).cast(pl.String).gather(back).alias(self.name)

    def _sequence(self, rows: np.ndarray) -> pl.Series:
        """Prefix and zero-padded row number + 1 (``Customer#000000001``, ...)."""
        matrix = np.repeat(self.literal[None, :], len(rows), axis=0)
        numbers = (rows.astype(np.int64) + 1) % self.capacity
        for slot in reversed(self.slots):
            numbers, digit = np.divmod(numbers, 10)
            matrix[:, slot] = PATTERN_CLASSES["9"][digit]
        return bytes_to_strings(matrix)

    def _cut_codes(self, ids: np.ndarray, length: int) -> pl.Series:
        """Codes of the pattern cut to *length*, a bijection of that pattern's capacity."""
        capacity, multiplier = self.short_codes[length]
        matrix = np.repeat(self.literal[None, :length], len(ids), axis=0)
        codes = (ids.astype(object) * multiplier + 12345) % capacity
        codes = codes.astype(np.uint64) if capacity < 2**63 else codes
        for slot, alphabet in zip(self.slots, self.alphabets, strict=True):
            if slot >= length:
                break
            radix = len(alphabet)
            matrix[:, slot] = alphabet[(codes % radix).astype(np.int64)]
            codes = codes // radix
        return bytes_to_strings(matrix)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        if self.unique:
            codes = self._unique_codes(non_null_rows(start, nulls, count))
            return spread(codes, nulls).alias(self.name)
        ordinals = non_null_ordinals(start, nulls, count, self.null_fraction)
        return spread(self.residual(n, rng, ordinals), nulls).alias(self.name)

    def residual(
        self, n: int, rng: np.random.Generator, id_rows: np.ndarray | None = None
    ) -> pl.Series:
        """*n* non-NULL values: the pattern at its profiled share, other text for the rest."""
        if self.other is None:
            return self._random(n, rng, id_rows)
        shaped = stratified_uniform(rng, n) < self.share
        k = int(shaped.sum())
        index = np.empty(n, dtype=np.int64)
        index[shaped] = np.arange(k)
        index[~shaped] = k + np.arange(n - k)
        shaped_rows = id_rows[shaped] if id_rows is not None else None
        if self.prefixes:
            other_rows = id_rows[~shaped] if id_rows is not None else None
            lengths = draw_lengths(self.other.knots, stratified_uniform(rng, n - k))
            codes = self._random(n - k, rng, other_rows)
            others = codes.str.slice(0, pl.Series(lengths, dtype=pl.UInt64))
        else:
            others = self.other.residual(n - k, rng)
        parts = pl.concat([self._random(k, rng, shaped_rows), others])
        return parts.gather(index)

    def _random(self, n: int, rng: np.random.Generator, id_rows: np.ndarray | None) -> pl.Series:
        if self.grid is not None:
            return self._codes(self.ids.draw(n, rng, id_rows))
        matrix = np.repeat(self.literal[None, :], n, axis=0)
        for slot, alphabet in zip(self.slots, self.alphabets, strict=True):
            matrix[:, slot] = alphabet[rng.integers(0, len(alphabet), n)]
        return bytes_to_strings(matrix)

    def _codes(self, ids: np.ndarray) -> pl.Series:
        """The code of each id: a bijection of ``[0, capacity)`` written in mixed radix."""
        matrix = np.repeat(self.literal[None, :], len(ids), axis=0)
        codes = (ids.astype(object) * self.multiplier + 12345) % self.capacity
        codes = codes.astype(np.uint64) if self.capacity < 2**63 else codes
        for slot, alphabet in zip(self.slots, self.alphabets, strict=True):
            radix = len(alphabet)
            matrix[:, slot] = alphabet[(codes % radix).astype(np.int64)]
            codes = codes // radix
        return bytes_to_strings(matrix)
