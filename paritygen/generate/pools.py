"""Faker pools: the values each semantic kind is drawn from, built once per process.

Faker costs tens of microseconds a value, so a pool of a few thousand values per kind and
locale is made once (seeded, cached) and sampled by numpy (:mod:`paritygen.generate.semantic`).
"""

from __future__ import annotations

import functools
import importlib
import locale as pylocale
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from paritygen.generate.base import stable_hash

if TYPE_CHECKING:
    from faker import Faker, Generator

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
def normal_locale(locale: str) -> str:
    """Faker's own spelling of *locale* (``de-DE`` -> ``de_DE``), as ``Factory.create`` does."""
    return pylocale.normalize(locale.replace("-", "_")).split(".")[0]


_IMPORT_LOCK = threading.Lock()
"""Held while Faker is first imported (see :func:`import_faker`)."""


def import_faker() -> None:
    """Import Faker (package, locale list, the providers it walks) in one thread at a time.
    Tables set up side by side import Faker lazily from two threads; Faker's package import
    walks its providers while a lone provider import (the English word list) needs the package,
    and Python's import locks then fail with ``_DeadlockError`` (a TPC-H generate on two
    sessions failed 2 runs in 6). Call it before any other Faker import; once done it costs
    a lock and a dict lookup."""
    with _IMPORT_LOCK:
        import faker.config  # noqa: F401 - the import is the point


def known_locale(locale: str) -> bool:
    """Whether Faker knows *locale*: a set lookup, not a Faker build (0.3 s each)."""
    import_faker()
    from faker.config import AVAILABLE_LOCALES

    return normal_locale(locale) in AVAILABLE_LOCALES


_FAKER_LOCK = threading.Lock()
"""Pools may be built in a producer thread; a shared Faker is reseeded then drawn under it."""


@functools.lru_cache(maxsize=32)
def _faker(locale: str) -> Faker:
    """One Faker per locale for the process: building one loads every provider (~0.3 s)."""
    import_faker()
    from faker import Faker

    return Faker(locale)


@functools.lru_cache(maxsize=32)
def _phone_faker(locale: str) -> Generator | None:
    """A Faker generator holding the locale's phone provider only (the one that provider's
    formats and ``numerify`` need): its numbers are a full Faker's for the same seed, without
    loading every provider of the locale (0.06-0.8 s each). None when its formats call for
    another provider's values (then the caller builds the full Faker)."""
    name = normal_locale(locale)
    import_faker()
    try:
        module = importlib.import_module(f"faker.providers.phone_number.{name}")
    except ModuleNotFoundError:
        return None  # Faker falls back to another locale's provider: leave that to Faker
    from faker import Generator

    generator = Generator()
    generator.add_provider(module.Provider)
    generator.seed_instance(0)
    try:
        for _ in range(64):  # every format of a provider is tried in a few dozen draws
            _phone_template(generator)
    except AttributeError:
        return None
    return generator


@functools.lru_cache(maxsize=256)
def draw_values(maker: str, locale: str, seed: int, count: int) -> tuple[str, ...]:
    """*count* values of one kind (deduplicated, sorted), cached per process so columns of the
    same kind and locale share one pool. Kinds made of Faker's word lists (names, cities,
    e-mail local parts...) are sampled from those lists in bulk by numpy, with Faker's weights;
    the rest call Faker once a value (tens of microseconds each)."""
    salt = (seed << 32) ^ stable_hash(f"{maker}/{locale}")
    bulk = _bulk_maker(maker, normal_locale(locale))
    if bulk is not None:
        rng = np.random.default_rng(salt & (2**64 - 1))
        drawn = bulk(rng, count)
    else:
        make = MAKERS[maker]
        with _FAKER_LOCK:
            fake = _phone_faker(locale) if maker == "phone_template" else None
            fake = fake or _faker(locale)
            fake.seed_instance(salt)
            drawn = [make(fake) for _ in range(count)]
    return tuple(sorted({value.replace("\n", ", ") for value in drawn} - {""}))


def _ascii_lower(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and (ch.isalnum() or ch in "._"))


def _email_local(fake: Faker) -> str:
    """A local part in one of the usual shapes: first.last, flast, first_last, first."""
    first, last = _ascii_lower(fake.first_name()), _ascii_lower(fake.last_name())
    return _local_part(first, last, fake.random_int(0, 9))


def _local_part(first: str, last: str, shape: int) -> str:
    """The local part of *shape* 0-9: half first.last, then flast, first_last and first."""
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


# Bulk sampling from Faker's word lists ----------------------------------------------------
# Faker's person and address providers keep their words as plain tuples or weighted
# OrderedDicts, and most of their methods are one of two shapes: ``random_element(self.words)``
# or ``generator.parse(random_element(self.formats))`` over ``{{token}}`` templates. Those are
# read from the provider classes (one module import, no Faker build) and sampled by numpy with
# the same weights, so a pool of 3,000 names costs a millisecond instead of a Faker call each.
# Any method of another shape (numerify, hasattr branches, argument groups) keeps the Faker path.

Sampler = Callable[[np.random.Generator, int], list[str]]

_TOKEN = re.compile(r"\{\{\s*(\w+)(:\s*\w+?)?\s*\}\}")  # faker.generator._re_token


def _word_list_shape(self):  # noqa: ANN001, ANN202 - a bytecode reference, never called
    return self.random_element(self.words)


def _template_shape(self):  # noqa: ANN001, ANN202 - a bytecode reference, never called
    pattern = self.random_element(self.formats)
    return self.generator.parse(pattern)


def _inline_template_shape(self):  # noqa: ANN001, ANN202 - a bytecode reference, never called
    return self.generator.parse(self.random_element(self.formats))


_WORD_LIST = _word_list_shape.__code__.co_code
_TEMPLATES = {_template_shape.__code__.co_code, _inline_template_shape.__code__.co_code}
BULK_PROVIDERS = ("address", "person", "company")
"""Faker provider packages whose word lists the bulk path reads."""


@functools.lru_cache(maxsize=64)
def _provider_classes(locale: str) -> tuple[type, ...]:
    """The locale's provider classes, resolved as ``Factory._find_provider_class`` does: the
    provider package's default locale when it has no module for *locale*."""
    classes = []
    for name in BULK_PROVIDERS:
        package = importlib.import_module(f"faker.providers.{name}")
        try:
            module = importlib.import_module(f"faker.providers.{name}.{locale}")
        except ModuleNotFoundError:
            fallback = getattr(package, "default_locale", "") or "en_US"
            module = importlib.import_module(f"faker.providers.{name}.{fallback}")
        classes.append(module.Provider)
    return tuple(classes)


def _elements(values: object) -> tuple[list[str], np.ndarray | None] | None:
    """A word list's values and (for an OrderedDict) normalised weights, as Faker draws them."""
    if isinstance(values, OrderedDict):
        weights = np.asarray(list(values.values()), dtype=np.float64)
        if not len(weights) or weights.min() < 0 or weights.sum() <= 0:
            return None
        return [str(v) for v in values], weights / weights.sum()
    if isinstance(values, (tuple, list)) and values and all(isinstance(v, str) for v in values):
        # Sorted: some lists are built from a set (it_IT cities), whose order follows
        # PYTHONHASHSEED; a uniform draw from the sorted list is the same draw, run to run.
        return sorted(values), None
    return None


def _choose(elements: tuple[list[str], np.ndarray | None], rng: np.random.Generator, n: int):
    words, weights = elements
    return [words[i] for i in rng.choice(len(words), size=n, p=weights)]


def _method_sampler(method: str, classes: tuple[type, ...], depth: int = 0) -> Sampler | None:
    """A sampler for the Faker method *method*, or None when its shape is not a word list or
    a template of word lists (then the caller keeps Faker)."""
    owners = {getattr(cls, method) for cls in classes if hasattr(cls, method)}
    if len(owners) != 1 or depth > 4:
        return None
    (function,) = owners
    owner = next(cls for cls in classes if hasattr(cls, method))
    code = getattr(function, "__code__", None)
    if code is None or code.co_argcount != 1:
        return None
    # Same bytecode as a reference shape = same behaviour, whatever the attribute's name.
    if code.co_code == _WORD_LIST and code.co_names[0] == "random_element":
        elements = _elements(getattr(owner, code.co_names[1], None))
        if elements is None:
            return None
        return lambda rng, n: _choose(elements, rng, n)
    if code.co_code in _TEMPLATES and "parse" in code.co_names:
        formats = code.co_names[code.co_names.index("random_element") + 1]
        return _template_sampler(getattr(owner, formats, None), classes, depth)
    return None


def _template_sampler(formats: object, classes: tuple[type, ...], depth: int) -> Sampler | None:
    """A sampler for ``parse(random_element(formats))``: each value picks a format with
    Faker's weights, then fills each ``{{token}}`` from that token's own sampler."""
    elements = _elements(formats)
    if elements is None:
        return None
    templates = []
    for text in elements[0]:
        literals = _TOKEN.split(text)[::3]
        tokens = _TOKEN.findall(text)
        if any(argument for _, argument in tokens):
            return None
        samplers = [_method_sampler(token, classes, depth + 1) for token, _ in tokens]
        if any(sampler is None for sampler in samplers):
            return None
        templates.append((literals, samplers))

    def sample(rng: np.random.Generator, n: int) -> list[str]:
        picks = rng.choice(len(templates), size=n, p=elements[1])
        values = [""] * n
        for index, (literals, samplers) in enumerate(templates):
            rows = np.flatnonzero(picks == index)
            if not len(rows):
                continue
            parts = [sampler(rng, len(rows)) for sampler in samplers]
            for position, row in enumerate(rows):
                pieces = [literals[0]]
                for literal, words in zip(literals[1:], parts, strict=True):
                    pieces.append(words[position])
                    pieces.append(literal)
                values[row] = "".join(pieces)
        return values

    return sample


def _email_local_sampler(classes: tuple[type, ...]) -> Sampler | None:
    """:func:`_email_local` in bulk: the same shapes and shares, from sampled names."""
    first_names = _method_sampler("first_name", classes)
    last_names = _method_sampler("last_name", classes)
    if first_names is None or last_names is None:
        return None

    def sample(rng: np.random.Generator, n: int) -> list[str]:
        firsts = [_ascii_lower(v) for v in first_names(rng, n)]
        lasts = [_ascii_lower(v) for v in last_names(rng, n)]
        shapes = rng.integers(0, 10, n)
        return [
            _local_part(first, last, int(shape))
            for first, last, shape in zip(firsts, lasts, shapes, strict=True)
        ]

    return sample


BULK_METHODS = {
    "first_name": "first_name",
    "given_name": "first_name",
    "last_name": "last_name",
    "family_name": "last_name",
    "full_name": "name",
    "name": "name",
    "city": "city",
    "street_name": "street_name",
    "company": "company",
}
"""Pool kinds that may be sampled in bulk, with the Faker method each one stands for."""

_NUMERIFY = {"#": "0123456789", "%": "123456789", "$": "23456789"}
"""Faker's ``numerify`` placeholders that always become one digit, and the digits they take;
``!`` and ``@`` become a digit (any / non-zero) or nothing, half and half."""


def _phone_sampler(locale: str) -> Sampler | None:
    """:func:`_phone_template` in bulk, where the locale's ``phone_number`` is Faker's own
    ``numerify(random_element(formats))``: a format drawn uniformly, each placeholder filled
    as ``numerify`` fills it, formats not ending in four digits (extensions) drawn again."""
    import_faker()
    from faker.providers import phone_number as base

    try:
        module = importlib.import_module(f"faker.providers.phone_number.{locale}")
    except ModuleNotFoundError:
        module = importlib.import_module("faker.providers.phone_number.en_US")
    provider = module.Provider
    formats = getattr(provider, "formats", None)
    if provider.phone_number is not base.Provider.phone_number or not formats:
        return None
    if not all(isinstance(f, str) for f in formats):
        return None
    kept = sorted(
        f for f in formats if f[-4:] and all(c.isdigit() or c in _NUMERIFY for c in f[-4:])
    )
    if not kept:
        return None

    def fill(template: str, rng: np.random.Generator) -> str:
        digits = rng.integers(0, 1 << 30, len(template))
        out = []
        for char, draw in zip(template, digits, strict=True):
            if char in _NUMERIFY:
                choices = _NUMERIFY[char]
                out.append(choices[draw % len(choices)])
            elif char == "!":
                out.append("" if draw & 1 else str((draw >> 1) % 10))
            elif char == "@":
                out.append("" if draw & 1 else str((draw >> 1) % 9 + 1))
            else:
                out.append(char)
        return "".join(out)

    def sample(rng: np.random.Generator, n: int) -> list[str]:
        picks = rng.integers(0, len(kept), n)
        return [fill(kept[i], rng) for i in picks]

    return sample


@functools.lru_cache(maxsize=128)
def _bulk_maker(maker: str, locale: str) -> Sampler | None:
    """The bulk sampler for a pool kind in a locale, or None (the Faker path)."""
    if maker == "phone_template":
        return _phone_sampler(locale)
    if maker != "email_local" and maker not in BULK_METHODS:
        return None
    try:
        classes = _provider_classes(locale)
    except (ImportError, AttributeError):
        return None
    if maker == "email_local":
        return _email_local_sampler(classes)
    return _method_sampler(BULK_METHODS[maker], classes)
