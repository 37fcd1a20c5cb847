"""People's names and user names: realistic fake names picked by the key from Faker's pools.

A name maps to a name, never to itself; the same name maps to the same pseudonym in every table
(``customer.first_name`` and ``employee.first_name`` agree), so a name used to join still joins.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from paritygen.mask.maskers.base import MaskColumn, StringMasker, pick
from paritygen.mask.maskers.pools import DEFAULT_LOCALE, check_locale, pool
from paritygen.registry import maskers


class _PoolMasker(StringMasker):
    case_blind = True
    parameters: ClassVar[dict[str, object]] = {"locale": DEFAULT_LOCALE}
    kind: ClassVar[str] = "first_name"

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.locale = check_locale(column.label, self.params["locale"])
        self.need_length(2)

    def one(self, value: str, numbers: np.ndarray) -> str:
        return _cased_like(value, pick(pool(self.kind, self.locale), numbers[0]))


def _cased_like(original: str, pseudonym: str) -> str:
    """Keep the original's all-caps or all-lower spelling (``SMITH`` stays shouted)."""
    if original.isupper():
        return pseudonym.upper()
    if original.islower():
        return pseudonym.lower()
    return pseudonym


@maskers.register("first_name")
class FirstNameMasker(_PoolMasker):
    """A first name from Faker's list for the locale."""

    registered_name = "first_name"
    purpose = "name/first"
    kind = "first_name"


@maskers.register("last_name")
class LastNameMasker(_PoolMasker):
    """A last name from Faker's list for the locale."""

    registered_name = "last_name"
    purpose = "name/last"
    kind = "last_name"


@maskers.register("full_name")
class FullNameMasker(_PoolMasker):
    """``First Last`` (or ``Last, First`` when the original has a comma): the first and last
    names are chosen apart, so about half a million combinations exist per locale."""

    registered_name = "full_name"
    purpose = "name/full"

    def one(self, value: str, numbers: np.ndarray) -> str:
        first = pick(pool("first_name", self.locale), numbers[0])
        last = pick(pool("last_name", self.locale), numbers[1])
        text = f"{last}, {first}" if "," in value else f"{first} {last}"
        return _cased_like(value, text)


@maskers.register("username")
class UsernameMasker(_PoolMasker):
    """A user name from Faker's list plus keyed digits (user names are usually unique)."""

    registered_name = "username"
    purpose = "name/user"
    kind = "username"

    def one(self, value: str, numbers: np.ndarray) -> str:
        suffix = str(int(numbers[1]) % 10_000)
        base = pick(pool(self.kind, self.locale), numbers[0])
        limit = self.column.length
        if limit is not None:
            base = base[: max(1, limit - len(suffix))]
        return f"{base}{suffix}"
