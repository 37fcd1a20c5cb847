"""Free text (comments, notes, messages): its length kept, the personal parts inside replaced.

``mode: inplace`` (default) finds, inside the text, e-mail addresses, IBANs, card numbers
(Luhn-valid digit runs), phone numbers and people's names (capitalised words that are first or
last names in Faker's lists for many locales) and replaces each span by a keyed pseudonym of
exactly its length: a valid IBAN, a Luhn-valid card, a phone in the same layout, an e-mail of the
same shape, a name of the same length. Everything else (product names, order numbers, the
sentence itself) stays, so text search and length statistics behave as in production.
``mode: regenerate`` replaces the whole text by keyed filler words of the same length, for text
too personal to keep in any form.

What it cannot find: a name that is in no list ("Xochitl"), an address spelled out in prose.
Use ``regenerate`` (or ``null``) for columns where that matters.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from paritygen.mask.keys import MaskKey
from paritygen.mask.maskers.base import MaskColumn, StringMasker, pick, replace_many
from paritygen.mask.maskers.finance import CardMasker, IbanMasker
from paritygen.mask.maskers.pools import by_length, known_names
from paritygen.profile.classify import iban_valid, luhn_valid
from paritygen.registry import maskers

EMAIL_IN_TEXT = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
IBAN_IN_TEXT = r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
CARD_IN_TEXT = r"\b[0-9](?:[ -]?[0-9]){11,18}\b"
PHONE_IN_TEXT = r"(?:\+|\b)[0-9][0-9 ()./-]{5,18}[0-9]\b"
WORD_IN_TEXT = r"\b[A-ZÀ-Þ][a-zß-ÿ]{2,}\b"

CANDIDATES = (
    ("email", EMAIL_IN_TEXT),
    ("iban", IBAN_IN_TEXT),
    ("card", CARD_IN_TEXT),
    ("phone", PHONE_IN_TEXT),
    ("word", WORD_IN_TEXT),
)
"""Candidate spans by kind (Rust regex syntax, run by polars over a whole chunk)."""

MIN_PHONE_DIGITS = 7
"""Digit runs shorter than this are quantities or order numbers, not phone numbers."""

_FILLER_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut"
    " labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco"
    " laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate"
    " velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident"
    " sunt culpa qui officia deserunt mollit anim id est laborum"
)
FILLER = tuple(_FILLER_TEXT.split(" "))
"""Filler words of ``mode: regenerate`` (keyed choice, exact length)."""


@maskers.register("free_text")
class FreeTextMasker(StringMasker):
    """Personal spans replaced in place (same length), or the whole text regenerated.

    Each span is keyed by its own text, so an e-mail quoted in two notes gets the same
    pseudonym in both."""

    registered_name = "free_text"
    purpose = "text"
    parameters: ClassVar[dict[str, object]] = {"mode": "inplace"}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.mode = self.param_choice("mode", ("inplace", "regenerate"))
        inner = MaskColumn(column.table, column.name, "string")
        self._iban = IbanMasker(inner)
        self._card = CardMasker(inner)

    def mask_distinct(self, values: list[str], key: MaskKey, attempt: int) -> list[str]:
        if self.mode == "regenerate":
            numbers = self.keyed(key, values, attempt)
            return [_filler(len(v), row) for v, row in zip(values, numbers, strict=True)]
        # Candidates are found by polars (Rust regex) over the whole chunk; the checks a regex
        # cannot make (checksums, name lists) run once per distinct span; every span gets a
        # same-length pseudonym keyed by its own text, put back by one Aho-Corasick pass with the
        # longest span first (an e-mail wins over the name inside it).
        series = pl.Series(values, dtype=pl.String)
        names = known_names()
        by_kind: dict[str, list[str]] = {}
        for candidate, pattern in CANDIDATES:
            found = series.str.extract_all(pattern).explode().drop_nulls().unique().to_list()
            for text in found:
                kind = _kind(candidate, text, names)
                if kind is not None:
                    by_kind.setdefault(kind, []).append(text)
        mapping: dict[str, str] = {}
        for kind, texts in by_kind.items():
            texts = sorted(set(texts) - set(mapping))
            if texts:
                mapping.update(zip(texts, self._mask_kind(kind, texts, key, attempt), strict=True))
        if not mapping:
            return list(values)
        patterns = sorted(mapping, key=len, reverse=True)
        # Both lists handed over as one list scalar each (a Series imploded): polars takes a
        # Python list of 50,000 spans through a slower literal conversion (~0.03 s).
        find = pl.lit(pl.Series(patterns, dtype=pl.String).implode()).first()
        put = pl.lit(pl.Series([mapping[p] for p in patterns], dtype=pl.String).implode()).first()
        replaced = series.to_frame("s").select(
            pl.col("s").str.replace_many(find, put, leftmost=True)
        )
        return replaced.to_series().to_list()

    def _mask_kind(self, kind: str, texts: list[str], key: MaskKey, attempt: int) -> list[str]:
        """Same-length pseudonyms of the spans of one kind (each keyed by its own text)."""
        if kind == "iban":
            return self._iban.mask_distinct(texts, key, attempt)
        if kind == "card":
            return self._card.mask_distinct(texts, key, attempt)
        width = max(map(len, texts))
        draws = self.draws(key, texts, attempt, width)
        if kind == "name":
            numbers = self.keyed(key, texts, attempt)[:, 0]
            out = []
            for text, number, row in zip(texts, numbers, draws, strict=True):
                same = by_length("first_name").get(len(text)) or by_length("last_name").get(
                    len(text)
                )
                if same:
                    name = pick(same, number)
                    out.append(name if name != text else pick(same, int(number) + 1))
                else:
                    out.append(text[0] + replace_many([text[1:]], row[1:].reshape(1, -1))[0])
            return out
        if kind != "phone":
            return replace_many(texts, draws)
        keep = np.array([1 if t.startswith("+") else 0 for t in texts], dtype=np.int64)
        return replace_many(texts, draws, keep)


def _kind(candidate: str, text: str, names: frozenset[str]) -> str | None:
    """What a candidate span is, after the checks a regex cannot make; None: leave it."""
    if candidate == "word":
        return "name" if text in names else None
    if candidate == "email":
        return "email"  # '@' and dots kept by the shape: still an address
    if candidate == "iban" and iban_valid(text):
        return "iban"
    if candidate in ("iban", "card") and luhn_valid(text):
        return "card"
    if candidate in ("card", "phone") and sum(map(str.isdigit, text)) >= MIN_PHONE_DIGITS:
        return "phone"
    return None


def _filler(length: int, numbers: np.ndarray) -> str:
    """Keyed filler words, exactly *length* characters."""
    state = int(numbers[0]) | 1
    words: list[str] = []
    size = 0
    while size < length:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        word = FILLER[(state >> 33) % len(FILLER)]
        words.append(word)
        size += len(word) + 1
    text = " ".join(words)[:length]
    return text[:1].upper() + text[1:]
