"""Pseudonym pools for the maskers: realistic names, streets and cities from Faker's lists.

Pools are built once per (kind, locale) through :func:`paritygen.generate.pools.draw_values` with
a fixed seed, so every run (and every machine with the same Faker version) picks from the same
sorted list; a keyed number then chooses the entry. The pool is public, the choice is keyed.
"""

from __future__ import annotations

import functools

from paritygen.errors import ConfigError
from paritygen.generate.pools import EXTRA_LOCALES, draw_values, known_locale

POOL_SEED = 0
"""Pools are a function of the Faker version and locale only, never of the run."""

POOL_DRAWS = 20_000
"""Draws per pool sampled in bulk from Faker's word lists (deduplicated): every first / last
name and city Faker knows for the locale."""

SLOW_POOL_DRAWS = 2_000
"""Draws for kinds Faker makes one call at a time (street addresses, user names: tens of
microseconds each): thousands of values, built in well under a second."""

SLOW_KINDS = frozenset({"street", "username"})

DEFAULT_LOCALE = "en_US"

NAME_LOCALES = ("en_US", *EXTRA_LOCALES)
"""Locales whose first and last names free-text masking looks for inside text."""


def check_locale(label: str, locale: object) -> str:
    """The locale parameter, refused in one line when Faker does not know it."""
    if not isinstance(locale, str) or not known_locale(locale):
        raise ConfigError(f"{label}: unknown locale {locale!r} (Faker's names: en_US, de_DE...)")
    return locale


@functools.lru_cache(maxsize=64)
def pool(kind: str, locale: str = DEFAULT_LOCALE) -> tuple[str, ...]:
    """The sorted distinct values of one kind (first_name, last_name, street, city, username)."""
    draws = SLOW_POOL_DRAWS if kind in SLOW_KINDS else POOL_DRAWS
    values = draw_values(kind, locale, POOL_SEED, draws)
    if not values:
        raise ConfigError(f"Faker has no {kind} values for locale {locale}")
    return values


@functools.lru_cache(maxsize=8)
def by_length(kind: str, locale: str = DEFAULT_LOCALE) -> dict[int, tuple[str, ...]]:
    """The pool grouped by length: free text replaces a name by one of the same length."""
    groups: dict[int, list[str]] = {}
    for value in pool(kind, locale):
        groups.setdefault(len(value), []).append(value)
    return {length: tuple(values) for length, values in groups.items()}


@functools.lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    """First and last names of many locales: a capitalised word found here is taken for a
    person's name inside free text (over-masking a word called "Rose" is the safe error)."""
    names: set[str] = set()
    for locale in NAME_LOCALES:
        for kind in ("first_name", "last_name"):
            names.update(v for v in pool(kind, locale) if len(v) >= 3 and " " not in v)
    return frozenset(names)
