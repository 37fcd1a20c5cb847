"""E-mail addresses and phone numbers: valid e-mails, phones with their layout kept.

An e-mail becomes ``first.last<digits>@domain``: a real-looking address whose keyed digits make
two different inputs land on the same output about once in a billion pairs (collisions left are
resolved by :mod:`paritygen.mask.unique`). The domain is mapped to a reserved example domain
(``domain: map``, the default: a company domain can identify a person) or kept (``keep``).
A phone keeps every separator, its length and its country code (``+49 ...``); the other
digits are keyed.
"""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np
import polars as pl

from paritygen.mask.keys import MaskKey
from paritygen.mask.maskers.base import (
    DIGITS,
    MaskColumn,
    ShapedMasker,
    StringMasker,
    keyed_stream,
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

    def mask_distinct(self, values: list[str], key: MaskKey, attempt: int) -> list[str]:
        """Vectorised: keyed indices into the (ASCII, lower-case) name pools, polars strings."""
        numbers = self.keyed(key, values, attempt)
        firsts, lasts = (
            _plain_pool("first_name", self.locale),
            _plain_pool("last_name", self.locale),
        )
        frame = pl.DataFrame(
            {
                "first": firsts[(numbers[:, 0] % np.uint64(len(firsts))).astype(np.int64)],
                "last": lasts[(numbers[:, 1] % np.uint64(len(lasts))).astype(np.int64)],
                "suffix": (numbers[:, 2] % np.uint64(10**SUFFIX_DIGITS)).astype(np.int64),
                "mapped": MAPPED[(numbers[:, 3] % np.uint64(len(MAPPED))).astype(np.int64)],
                "value": values,
            },
            schema_overrides={"first": pl.String, "last": pl.String, "mapped": pl.String},
        )
        domain = pl.col("mapped")
        if self.domain == "keep":
            kept = pl.col("value").str.extract(r"@([^@]+)$", 1)
            domain = pl.when(kept.is_not_null() & (kept != "")).then(kept).otherwise(domain)
        suffix = pl.col("suffix").cast(pl.String)
        name = pl.col("first") + "." + pl.col("last")
        limit = self.column.length
        if limit is not None:
            shortest = min(MAPPED_DOMAINS, key=len)
            room = limit - domain.str.len_chars() - 1 - suffix.str.len_chars()
            domain = pl.when(room < 1).then(pl.lit(shortest)).otherwise(domain)
            room = limit - domain.str.len_chars() - 1 - suffix.str.len_chars()
            name = name.str.slice(0, pl.max_horizontal(room, pl.lit(1))).str.strip_chars_end(".")
        result = frame.select(pl.concat_str(name, suffix, pl.lit("@"), domain).alias("e"))
        return result.get_column("e").to_list()


MAPPED = np.array(MAPPED_DOMAINS, dtype=object)


@functools.lru_cache(maxsize=16)
def _plain_pool(kind: str, locale: str) -> np.ndarray:
    """A name pool as e-mail local parts (ASCII letters, lower case), empty ones dropped."""
    plain = sorted({_plain(v) for v in pool(kind, locale)} - {""})
    return np.array(plain or ["user"], dtype=object)


def _plain(name: str) -> str:
    """A name as an e-mail local part: ASCII letters only, lower case."""
    return "".join(ch for ch in name.lower() if "a" <= ch <= "z")


@maskers.register("phone")
class PhoneMasker(ShapedMasker):
    """Digits replaced by keyed digits; ``+``, spaces, dashes, brackets and length kept.

    ``keep_country: true`` (default) keeps the digits of a leading ``+CC`` country code up to
    the first separator (at most 3), so the number still dials into the same country's plan.
    """

    registered_name = "phone"
    purpose = "phone"
    parameters: ClassVar[dict[str, object]] = {"keep_country": True}

    def keep_of(self, value: str) -> int:
        if not (self.params["keep_country"] and value.startswith("+")):
            return 0
        head = value[1:]
        run = len(head) - len(head.lstrip("0123456789"))
        return min(run, 3) if run < len(head) else min(2, run)

    def keeps(self, values: list[str]) -> np.ndarray:
        """:meth:`keep_of` of many values at once (polars string kernels, same rule)."""
        if not self.params["keep_country"]:
            return np.zeros(len(values), dtype=np.int64)
        head = pl.col("v").str.slice(1)
        length = head.str.len_chars().cast(pl.Int64)
        run = length - head.str.strip_chars_start(DIGITS).str.len_chars().cast(pl.Int64)
        keep = (
            pl.when(~pl.col("v").str.starts_with("+"))
            .then(0)
            .when(run < length)
            .then(pl.min_horizontal(run, pl.lit(3)))
            .otherwise(pl.min_horizontal(run, pl.lit(2)))
        )
        frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
        return frame.select(keep.cast(pl.Int64)).to_series().to_numpy()


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
        return replace_characters(value, rng.integers(0, 256, size=len(value), dtype=np.uint8))
