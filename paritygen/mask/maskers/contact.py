"""E-mail addresses and phone numbers: valid e-mails, phones with their layout kept.

An e-mail becomes ``first.last<digits>@domain``: a real-looking address whose keyed digits make
two different inputs land on the same output about once in a billion pairs (collisions left are
resolved by :mod:`paritygen.mask.unique`). The domain is mapped to a reserved example domain
(``domain: map``, the default: a company domain can identify a person) or kept (``keep``).
A phone keeps every separator, its length and its country code (``+49 ...``); the other
digits are keyed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from paritygen.mask.maskers.base import (
    MaskColumn,
    StringMasker,
    keyed_stream,
    pick,
    replace_characters,
)
from paritygen.mask.maskers.pools import DEFAULT_LOCALE, check_locale, pool
from paritygen.registry import maskers

MAPPED_DOMAINS = ("example.com", "example.org", "example.net", "mail.test", "shop.test")
"""Domains pseudonymised e-mails go to: reserved for examples (RFC 2606), never delivered."""

SUFFIX_DIGITS = 6
"""Keyed digits after the name in a local part: 10^6 x ~550k names keeps collisions rare."""

SHORTEST_EMAIL = len("a1@mail.test")
HEX = "0123456789abcdef"


@maskers.register("email")
class EmailMasker(StringMasker):
    """A valid, deliverable-nowhere e-mail address per input address."""

    case_blind = True

    registered_name = "email"
    purpose = "email"
    words = 4
    parameters: ClassVar[dict[str, object]] = {"domain": "map", "locale": DEFAULT_LOCALE}

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.domain = self.param_choice("domain", ("map", "keep"))
        self.locale = check_locale(column.label, self.params["locale"])
        self.need_length(SHORTEST_EMAIL)

    def one(self, value: str, numbers: np.ndarray) -> str:
        at = value.rfind("@")
        original_domain = value[at + 1 :] if at >= 0 else ""
        if self.domain == "keep" and original_domain:
            domain = original_domain
        else:
            domain = pick(MAPPED_DOMAINS, numbers[3])
        first = _plain(pick(pool("first_name", self.locale), numbers[0])) or "user"
        last = _plain(pick(pool("last_name", self.locale), numbers[1])) or "name"
        suffix = str(int(numbers[2]) % 10**SUFFIX_DIGITS)
        name = f"{first}.{last}"
        limit = self.column.length
        if limit is not None:
            room = limit - len(domain) - 1 - len(suffix)
            if room < 1:  # a long kept domain in a short column: fall back to a mapped one
                domain = min(MAPPED_DOMAINS, key=len)
                room = limit - len(domain) - 1 - len(suffix)
            name = name[: max(1, room)].rstrip(".") or first[:1]
        return f"{name}{suffix}@{domain}"


def _plain(name: str) -> str:
    """A name as an e-mail local part: ASCII letters only, lower case."""
    return "".join(ch for ch in name.lower() if "a" <= ch <= "z")


@maskers.register("phone")
class PhoneMasker(StringMasker):
    """Digits replaced by keyed digits; ``+``, spaces, dashes, brackets and length kept.

    ``keep_country: true`` (default) keeps the digits of a leading ``+CC`` country code up to
    the first separator (at most 3), so the number still dials into the same country's plan.
    """

    registered_name = "phone"
    purpose = "phone"
    parameters: ClassVar[dict[str, object]] = {"keep_country": True}

    def one(self, value: str, numbers: np.ndarray) -> str:
        keep = 0
        if self.params["keep_country"] and value.startswith("+"):
            head = value[1:]
            run = len(head) - len(head.lstrip("0123456789"))
            keep = min(run, 3) if run < len(head) else min(2, run)
        return replace_characters(value, keyed_stream(numbers), keep=keep)


@maskers.register("ip")
class IpMasker(StringMasker):
    """IPv4 addresses as keyed IPv4 addresses (octets 1-254); anything else keeps its shape."""

    registered_name = "ip"
    purpose = "ip"

    def one(self, value: str, numbers: np.ndarray) -> str:
        rng = keyed_stream(numbers)
        parts = value.split(".")
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            return ".".join(str(int(o)) for o in rng.integers(1, 255, size=4))
        if ":" in value:  # IPv6: hex digits by keyed hex digits, colons kept
            draws = rng.integers(0, 16, size=len(value))
            return "".join(
                ch if ch == ":" or not ch.isalnum() else HEX[d]
                for ch, d in zip(value, draws, strict=False)
            )
        return replace_characters(value, rng)
