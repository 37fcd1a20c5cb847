"""Faker pools: the values each semantic kind is drawn from, built once per process.

Faker costs tens of microseconds a value, so a pool of a few thousand values per kind and
locale is made once (seeded, cached) and sampled by numpy (:mod:`paritygen.generate.semantic`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from faker import Faker

from paritygen.generate.base import stable_hash

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


@functools.lru_cache(maxsize=64)
def known_locale(locale: str) -> bool:
    try:
        Faker(locale)
    except AttributeError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def draw_values(maker: str, locale: str, seed: int, count: int) -> tuple[str, ...]:
    """*count* faker values of one kind (deduplicated, sorted), cached per process: faker costs
    tens of microseconds a value, so columns of the same kind and locale share one pool."""
    fake = Faker(locale)
    fake.seed_instance((seed << 32) ^ stable_hash(f"{maker}/{locale}"))
    make = MAKERS[maker]
    return tuple(sorted({make(fake).replace("\n", ", ") for _ in range(count)} - {""}))


def _ascii_lower(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and (ch.isalnum() or ch in "._"))


EXTRA_LOCALES = (
    "en_GB",
    "de_DE",
    "fr_FR",
    "pt_BR",
    "en_CA",
    "nl_NL",
    "es_ES",
    "it_IT",
    "pl_PL",
    "de_AT",
    "en_AU",
    "da_DK",
    "pt_PT",
)
"""Locales mixed into a pool when no locale is set and the default one cannot produce the
profiled lengths (an international customer base: 4- to 10-character postcodes)."""


def _email_local(fake: Faker) -> str:
    """A local part in one of the usual shapes: first.last, flast, first_last, first."""
    first, last = _ascii_lower(fake.first_name()), _ascii_lower(fake.last_name())
    shape = fake.random_int(0, 9)
    if shape < 5:
        return f"{first}.{last}"
    if shape < 7:
        return f"{first[:1]}{last}"
    if shape < 9:
        return f"{first}_{last}"
    return first


def _phone_template(fake: Faker) -> str:
    for _ in range(20):
        phone = fake.phone_number()
        if phone[-4:].isdigit():
            return phone
    return phone


MAKERS: dict[str, Callable[[Faker], str]] = {
    **POOLED,
    "email_local": _email_local,
    "phone_template": _phone_template,
    "given_name": lambda f: f.first_name(),
    "family_name": lambda f: f.last_name(),
    "street_name": lambda f: f.street_name(),
}
"""Every pool kind by name (names key the pool cache)."""
