"""IBANs and payment card numbers: same length, same layout, a valid checksum, keyed digits.

An IBAN keeps its country code and the character class of every BBAN position (digits stay
digits, letters letters), so it still looks like that country's IBAN; its two check digits are
recomputed (ISO 13616 mod-97). A card number keeps its length, separators and issuer prefix
(``keep_prefix`` digits, default 1: the card brand), the other digits are keyed and the last one is
the Luhn check digit (ISO/IEC 7812). Either passes the validators applications run.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from paritygen.mask.maskers.base import (
    DIGITS,
    MaskColumn,
    StringMasker,
    keyed_stream,
    replace_characters,
)
from paritygen.registry import maskers


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits making ``country + cc + bban`` valid (98 - (n mod 97))."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged.upper()))
    return f"{98 - number % 97:02d}"


def luhn_digit(payload: str) -> str:
    """The Luhn check digit that completes *payload* (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        digit = int(ch)
        if i % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


@maskers.register("iban")
class IbanMasker(StringMasker):
    """A valid IBAN of the same country, length and spacing."""

    registered_name = "iban"
    purpose = "iban"

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.need_length(15)

    def one(self, value: str, numbers: np.ndarray) -> str:
        compact = value.replace(" ", "")
        if len(compact) < 5 or not compact[:2].isalpha() or not compact.isalnum():
            return replace_characters(value, keyed_stream(numbers))  # not an IBAN: its shape
        country = compact[:2].upper()
        bban = replace_characters(compact[4:], keyed_stream(numbers)).upper()
        masked = country + iban_check_digits(country, bban) + bban
        return _respace(value, masked)


@maskers.register("card_number")
class CardMasker(StringMasker):
    """A Luhn-valid card number of the same length, separators and issuer prefix."""

    registered_name = "card_number"
    purpose = "card"
    parameters: ClassVar[dict[str, object]] = {"keep_prefix": 1}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.keep = self.param_int("keep_prefix", 0, 8)

    def one(self, value: str, numbers: np.ndarray) -> str:
        digits = [ch for ch in value if ch.isdigit()]
        if len(digits) < 2:
            return replace_characters(value, keyed_stream(numbers))
        keep = min(self.keep, len(digits) - 2)
        draws = keyed_stream(numbers).integers(0, 10, size=len(digits))
        body = digits[:keep] + [DIGITS[d] for d in draws[keep : len(digits) - 1]]
        payload = "".join(body)
        return _redigit(value, payload + luhn_digit(payload))


def _respace(layout: str, compact: str) -> str:
    """*compact* with the spaces of *layout* put back where they were."""
    out, chars = [], iter(compact)
    for ch in layout:
        out.append(" " if ch == " " else next(chars, ""))
    return "".join(out) + "".join(chars)


def _redigit(layout: str, digits: str) -> str:
    """*layout* with its digits replaced, in order, by *digits* (separators kept)."""
    chars = iter(digits)
    return "".join(next(chars) if ch.isdigit() else ch for ch in layout)
