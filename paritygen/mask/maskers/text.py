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

import re
from typing import ClassVar

import numpy as np

from paritygen.mask.maskers.base import (
    MaskColumn,
    StringMasker,
    keyed_stream,
    pick,
    replace_characters,
)
from paritygen.mask.maskers.finance import CardMasker, IbanMasker
from paritygen.mask.maskers.pools import by_length, known_names
from paritygen.profile.classify import iban_valid, luhn_valid
from paritygen.registry import maskers

EMAIL_IN_TEXT = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
IBAN_IN_TEXT = r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
CARD_IN_TEXT = r"\b[0-9](?:[ -]?[0-9]){11,18}\b"
PHONE_IN_TEXT = r"(?:\+|\b)[0-9][0-9 ()./-]{5,18}[0-9]\b"
WORD_IN_TEXT = r"\b[A-ZÀ-Þ][a-zß-ÿ]{2,}\b"

SPANS = re.compile(
    "|".join(
        f"(?P<{name}>{pattern})"
        for name, pattern in (
            ("email", EMAIL_IN_TEXT),
            ("iban", IBAN_IN_TEXT),
            ("card", CARD_IN_TEXT),
            ("phone", PHONE_IN_TEXT),
            ("word", WORD_IN_TEXT),
        )
    )
)
"""Candidate spans, most specific first (an IBAN's digits are not a phone number)."""

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
    """Personal spans replaced in place (same length), or the whole text regenerated."""

    registered_name = "free_text"
    purpose = "text"
    parameters: ClassVar[dict[str, object]] = {"mode": "inplace"}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.mode = self.param_choice("mode", ("inplace", "regenerate"))
        inner = MaskColumn(column.table, column.name, "string")
        self._iban = IbanMasker(inner)
        self._card = CardMasker(inner)

    def one(self, value: str, numbers: np.ndarray) -> str:
        rng = keyed_stream(numbers)
        if self.mode == "regenerate":
            return _filler(len(value), rng)
        return SPANS.sub(lambda match: self._replace(match, rng), value)

    def _replace(self, match: re.Match[str], rng: np.random.Generator) -> str:
        text, kind = match.group(0), match.lastgroup
        if kind == "email":
            local, _, domain = text.rpartition("@")
            return f"{replace_characters(local, rng)}@{_letters(domain, rng)}"
        if kind == "iban" and iban_valid(text):
            return self._iban.one(text, rng.integers(0, 2**63, size=2, dtype=np.uint64))
        if kind in ("iban", "card") and luhn_valid(text):
            return self._card.one(text, rng.integers(0, 2**63, size=2, dtype=np.uint64))
        if kind in ("card", "phone") and sum(ch.isdigit() for ch in text) >= MIN_PHONE_DIGITS:
            return replace_characters(text, rng, keep=1 if text.startswith("+") else 0)
        if kind == "word" and text in known_names():
            same = by_length("first_name").get(len(text)) or by_length("last_name").get(len(text))
            if same:
                return pick(same, rng.integers(0, 1 << 62))
            return text[0] + replace_characters(text[1:], rng)
        return text


def _letters(domain: str, rng: np.random.Generator) -> str:
    """A domain of the same shape with keyed letters (``acme.co.uk`` -> ``qxzv.rp.ab``)."""
    return replace_characters(domain.lower(), rng)


def _filler(length: int, rng: np.random.Generator) -> str:
    """Keyed filler words, exactly *length* characters."""
    words: list[str] = []
    size = 0
    while size < length:
        word = FILLER[int(rng.integers(0, len(FILLER)))]
        words.append(word)
        size += len(word) + 1
    text = " ".join(words)[:length]
    return text[:1].upper() + text[1:]
