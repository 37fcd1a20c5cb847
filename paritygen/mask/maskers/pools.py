"""Pseudonym pools for the maskers: realistic names, streets and cities from Faker's lists.

Pools are built once per (kind, locale) through :func:`paritygen.generate.pools.draw_values` with
a fixed seed, so every run (and every machine with the same Faker version) picks from the same
sorted list; a keyed number then chooses the entry. The pool is public, the choice is keyed.

Building them imports Faker (its locale scan alone is 0.1 s) and its provider modules, and the
free-text name list samples 28 pools: 0.5-1 s of every ``mask`` run's critical path on a loaded
machine. The pools are therefore kept as JSON in the user's cache folder (beside the name
dictionaries of :mod:`paritygen.profile.names`), named by everything they are a function of
(this module's and the pool builder's source, Faker's and numpy's versions), and read back in
milliseconds; a mask run whose pools are all cached never imports Faker. The entry is plain data
(lists of strings, checked as such); any I/O problem or damage just means building again;
``PARITYGEN_PROFILE_CACHE=off`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from pathlib import Path

from paritygen.errors import ConfigError
from paritygen.files import cache_folder, keep_quietly, package_version, read_json_quietly
from paritygen.generate.locales import EXTRA_LOCALES

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

NAME_LOCALES = (DEFAULT_LOCALE, *EXTRA_LOCALES)
"""Locales whose first and last names free-text masking looks for inside text: the default
locale and the ones generation mixes into its pools."""

POOLS_CACHE_FORMAT = 1
"""Version of the cached pools' layout."""


def check_locale(label: str, locale: object) -> str:
    """The locale parameter, refused in one line when Faker does not know it."""
    if locale == DEFAULT_LOCALE:  # Faker's own default: known without importing Faker
        return locale
    from paritygen.generate.pools import known_locale

    if not isinstance(locale, str) or not known_locale(locale):
        raise ConfigError(f"{label}: unknown locale {locale!r} (Faker's names: en_US, de_DE...)")
    return locale


@functools.lru_cache(maxsize=64)
def pool(kind: str, locale: str = DEFAULT_LOCALE) -> tuple[str, ...]:
    """The sorted distinct values of one kind (first_name, last_name, street, city, username)."""
    cached = _CACHE.get(f"{kind}/{locale}")
    if cached is not None:
        return cached
    from paritygen.generate.pools import draw_values

    draws = SLOW_POOL_DRAWS if kind in SLOW_KINDS else POOL_DRAWS
    values = draw_values(kind, locale, POOL_SEED, draws)
    if not values:
        raise ConfigError(f"Faker has no {kind} values for locale {locale}")
    _CACHE.put(f"{kind}/{locale}", values)
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
    cached = _CACHE.get("known_names")
    if cached is not None:
        return frozenset(cached)
    names: set[str] = set()
    for locale in NAME_LOCALES:
        for kind in ("first_name", "last_name"):
            names.update(v for v in pool(kind, locale) if len(v) >= 3 and " " not in v)
    _CACHE.put("known_names", tuple(sorted(names)))
    return frozenset(names)


class _PoolCache:
    """Pools by ``kind/locale`` in one JSON file per (sources, versions) stamp: read once on
    first use, rewritten atomically (a concurrent reader sees the old file or the new) when a
    pool is added. Never raises: an unreadable or unwritable cache means building the pools."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: Path | None = None
        self._pools: dict[str, tuple[str, ...]] | None = None

    def _load(self) -> dict[str, tuple[str, ...]]:
        if self._pools is None:
            self._entry = _cache_entry()
            self._pools = _read(self._entry) if self._entry is not None else {}
        return self._pools

    def get(self, name: str) -> tuple[str, ...] | None:
        with self._lock:
            return self._load().get(name)

    def put(self, name: str, values: tuple[str, ...]) -> None:
        with self._lock:
            pools = self._load()
            pools[name] = values
            if self._entry is not None:
                _write(self._entry, {**_read(self._entry), **pools})


def _cache_entry() -> Path | None:
    """The cache file for this code and the installed Faker and numpy, or None (off)."""
    folder = cache_folder("pools")
    if folder is None:
        return None
    here = Path(__file__).resolve()
    sources = [here, here.parents[2] / "generate" / "pools.py"]
    stamp = f"{POOLS_CACHE_FORMAT}/{POOL_SEED}/{POOL_DRAWS}/{SLOW_POOL_DRAWS}"
    digest = hashlib.sha256(stamp.encode())
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            return None
    digest.update(f"faker {package_version('faker')}/numpy {package_version('numpy')}".encode())
    return folder / f"{digest.hexdigest()[:32]}.json"


def _read(entry: Path) -> dict[str, tuple[str, ...]]:
    data = read_json_quietly(entry)
    if not isinstance(data, dict):
        return {}
    return {
        name: tuple(values)
        for name, values in data.items()
        if isinstance(name, str)
        and isinstance(values, list)
        and values
        and all(isinstance(v, str) for v in values)
    }


def _write(entry: Path, pools: dict[str, tuple[str, ...]]) -> None:
    keep_quietly(entry, json.dumps({k: list(v) for k, v in pools.items()}))


_CACHE = _PoolCache()
