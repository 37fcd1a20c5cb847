"""Person names found by their values: a dictionary of given and family names.

Why: production schemas hide people in columns called ``owner``, ``manager``, ``contact`` or
``cc_name``; the column name says nothing, the values say "Mary Smith". The dictionary is the
union of every Faker and mimesis locale's given and family names (about 50,000 each), built from
the packages' own data (no download), lower-cased. Building it imports some 100 Faker modules and
parses every mimesis locale: 1.4-1.8 s, the largest fixed cost of a ``mask`` run's schema and
tag phase. The lists are therefore kept as JSON in the user's cache folder (beside the parsed
profiles of :mod:`paritygen.profile.parse_cache`, named by the Faker and mimesis versions, so
an upgrade rebuilds them) and read back in a few hundredths of a second. The entry is plain data
(two lists of strings, checked as such); any I/O problem or damage just means building again;
``PARITYGEN_PROFILE_CACHE=off`` turns it off.

The dictionaries are large and noisy (``west``, ``green``, ``paris`` are family names somewhere),
so a column is only called a name column when most of its distinct values *look like* names:
- full names: 2 to 4 word tokens whose first token is a given name and last a family name
  (or ``Smith, Mary``); a few such values are enough evidence;
- single given or family names: only with many distinct values (:data:`SINGLE_MIN_DISTINCT`),
  so a 5-row ``region`` of ``North, West...`` or a colour list never qualifies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import json
import pkgutil
from pathlib import Path

import numpy as np
import polars as pl

from paritygen.files import cache_folder, keep_quietly, package_version, read_json_quietly
from paritygen.profile.frames import ENGINE

FULL_NAME_SHARE = 0.5
"""Share of distinct values that must read as full names for a ``full_name`` tag."""
FULL_NAME_MIN_MATCHES = 3
"""Distinct full-name values needed at least (a 3-row ``owner`` column still qualifies)."""
SINGLE_NAME_SHARE = 0.8
"""Share of distinct values that must be dictionary names for a first/last name tag."""
SINGLE_MIN_DISTINCT = 20
"""Distinct values needed before single words are taken for names (colours, regions, months
are dictionary names too, and come in small sets)."""
LIST_SHARE = 0.3
"""Share of distinct values that must be lists (commas, slashes, "and") before lists of names
are looked for."""
SAMPLE_DISTINCT = 2_000
"""Distinct values checked per column."""
SAMPLE_ROWS = 10 * SAMPLE_DISTINCT
"""Rows the distinct values are taken from (a fixed-seed sample of a larger column): finding
every distinct value of a 600,000-row column to check 2,000 of them cost more than the check."""
TOKEN = r"^[\p{L}][\p{L}'’.-]*$"
"""One word of a name: letters, with apostrophes, dots and hyphens (O'Brien, Jean-Luc, J.)."""


def _flatten(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flatten(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _flatten(item)]
    return []


NAMES_CACHE_FORMAT = 1
"""Version of the cached lists' layout: bumped when :func:`_build` changes what it collects."""


def _cache_entry() -> Path | None:
    """The cache file of the dictionaries for the installed Faker and mimesis, or None (off)."""
    folder = cache_folder("names")
    if folder is None:
        return None
    stamp = (
        f"{NAMES_CACHE_FORMAT}/faker {package_version('faker')}"
        f"/mimesis {package_version('mimesis')}"
    )
    return folder / f"{hashlib.sha256(stamp.encode()).hexdigest()[:32]}.json"


def _read_cached(entry: Path) -> tuple[list[str], list[str]] | None:
    data = read_json_quietly(entry)
    if not isinstance(data, dict):
        return None
    given, family = data.get("given"), data.get("family")
    if not (isinstance(given, list) and given and isinstance(family, list) and family):
        return None
    if not all(isinstance(name, str) for name in (*given, *family)):
        return None
    return given, family


@functools.lru_cache(maxsize=1)
def _sorted_names() -> tuple[list[str], list[str]]:
    """(given names, family names), sorted: read from the cache when an entry for the installed
    versions exists, else built and kept there."""
    entry = _cache_entry()
    if entry is not None:
        cached = _read_cached(entry)
        if cached is not None:
            return cached
    given, family = (sorted(names) for names in _build())
    if entry is not None:
        keep_quietly(entry, json.dumps({"given": given, "family": family}))
    return given, family


@functools.lru_cache(maxsize=1)
def dictionaries() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, family names), lower-cased, from every Faker and mimesis locale."""
    given, family = _sorted_names()
    return frozenset(given), frozenset(family)


def _build() -> tuple[frozenset[str], frozenset[str]]:
    """The dictionaries from the packages' own data (1.4-1.8 s)."""
    given: set[str] = set()
    family: set[str] = set()
    import faker.providers.person as person

    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute, target in (
            ("first_names", given),
            ("first_names_male", given),
            ("first_names_female", given),
            ("last_names", family),
        ):
            names = provider.__dict__.get(attribute, ())
            if not isinstance(names, property):
                target.update(name.lower() for name in _flatten(names))
    try:
        import mimesis
    except ImportError:  # mimesis is a dependency; the Faker lists alone still work
        return frozenset(given), frozenset(family)
    for path in sorted(Path(mimesis.__file__).parent.glob("datasets/*/person.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        given.update(name.lower() for name in _flatten(data.get("names", {})))
        family.update(name.lower() for name in _flatten(data.get("surnames", {})))
    return frozenset(given), frozenset(family)


def _distinct_words(values: pl.Series) -> pl.Series:
    """Up to :data:`SAMPLE_DISTINCT` of the distinct non-blank values, from at most
    :data:`SAMPLE_ROWS` rows (a fixed-seed sample): the same ones every run."""
    rows = values.drop_nulls()
    if rows.len() > SAMPLE_ROWS:
        rows = rows.sample(SAMPLE_ROWS, seed=0)
    present = (
        rows.to_frame("v")
        .lazy()
        .select(pl.col("v").str.strip_chars())
        .filter(pl.col("v") != "")
        .unique(maintain_order=True)
        .collect(engine=ENGINE)
        .to_series()
        .rename(values.name)
    )
    if present.len() > SAMPLE_DISTINCT:
        present = present.sample(SAMPLE_DISTINCT, seed=0)
    return present


NAME_HASH_SEED = 0x4E41
"""Seed of polars' value hash for the dictionaries' membership test (one process, one seed)."""


NAMES_HASH_FORMAT = 1
"""Version of the cached hashes' layout (:func:`_hashes_entry`)."""


@functools.lru_cache(maxsize=1)
def _dictionary_hashes() -> tuple[np.ndarray, np.ndarray]:
    """:func:`dictionaries` as sorted arrays of 64-bit value hashes, built once. A membership
    test is then a binary search per distinct value; ``is_in`` against the ~50,000 names built
    a hash set of them on every call (2 ms each, five per text column profiled).

    The arrays are kept beside the dictionaries' cache entry: reading them back costs ~1 ms,
    reading the names and hashing them ~0.03 s of the single-threaded start of every ``mask``
    run (its schema and tags come before any row is copied)."""
    entry = _cache_entry()
    kept = _hashes_entry(entry) if entry is not None else None
    if kept is not None:
        cached = _read_hashes(kept)
        if cached is not None:
            return cached
    given, family = _sorted_names()
    hashes = tuple(
        np.sort(pl.Series(names, dtype=pl.String).hash(seed=NAME_HASH_SEED).to_numpy())
        for names in (given, family)
    )
    if kept is not None:
        text = {
            part: base64.b64encode(array.astype("<u8").tobytes()).decode("ascii")
            for part, array in zip(("given", "family"), hashes, strict=True)
        }
        keep_quietly(kept, json.dumps(text))
    return hashes  # type: ignore[return-value]


def _hashes_entry(entry: Path) -> Path:
    """The cache file of the hashes of the dictionaries in *entry*: named by that entry, by
    polars' version (its value hash is only stable within one) and by the seed."""
    stamp = f"{NAMES_HASH_FORMAT}/{entry.name}/polars {pl.__version__}/seed {NAME_HASH_SEED}"
    return entry.with_name(f"{hashlib.sha256(stamp.encode()).hexdigest()[:32]}.hashes")


def _read_hashes(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The two sorted hash arrays kept in *path*, or None when missing or not in that shape
    (then they are made again from the names)."""
    data = read_json_quietly(path)
    if not isinstance(data, dict):
        return None
    out = []
    for part in ("given", "family"):
        text = data.get(part)
        if not isinstance(text, str):
            return None
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:  # binascii.Error
            return None
        if not raw or len(raw) % 8:
            return None
        hashes = np.frombuffer(raw, dtype="<u8").astype(np.uint64)
        if bool(np.any(hashes[1:] < hashes[:-1])):  # a binary search needs them sorted
            return None
        out.append(hashes)
    return out[0], out[1]


def _in(words: pl.Series, *dictionaries: np.ndarray) -> list[pl.Series]:
    """Whether each of *words* (lower-cased) is in each of the *dictionaries* (of hashes);
    null is in none. The words are hashed once for all of them."""
    hashed = words.hash(seed=NAME_HASH_SEED).to_numpy()
    present = ~words.is_null().to_numpy()
    out = []
    for hashes in dictionaries:
        at = np.minimum(np.searchsorted(hashes, hashed), len(hashes) - 1)
        out.append(pl.Series((hashes[at] == hashed) & present, dtype=pl.Boolean))
    return out


def name_tag(values: pl.Series) -> str | None:
    """``full_name``, ``first_name`` or ``last_name`` when most distinct *values* are person
    names (see the module docstring), else None."""
    if values.dtype != pl.String:
        return None
    distinct = _distinct_words(values)
    n = distinct.len()
    if n == 0:
        return None
    if _lists_of_names(distinct):
        return "full_name"
    given, family = _dictionary_hashes()
    comma = pl.col("tokens").list.contains(",")
    words = pl.col("tokens").list.eval(pl.element().filter(pl.element() != ","))
    frame = (  # one polars query: per-step eager calls cost more than the work here
        pl.DataFrame({"value": distinct})
        .lazy()
        .with_columns(
            tokens=pl.col("value")
            .str.replace_all(r",", " , ")
            .str.split(" ")
            .list.eval(pl.element().filter(pl.element() != ""))
        )
        .with_columns(comma=comma, words=words)
        .with_columns(
            count=pl.col("words").list.len(),
            wordlike=pl.col("words").list.eval(pl.element().str.contains(TOKEN)).list.all(),
            first=pl.col("words").list.first().str.to_lowercase(),
            last=pl.col("words").list.last().str.to_lowercase(),
        )
        .collect(engine=ENGINE)
    )
    given_first, family_first = _in(frame.get_column("first"), given, family)
    given_last, family_last = _in(frame.get_column("last"), given, family)
    frame = frame.with_columns(
        given_first=given_first,
        family_last=family_last,
        family_first=family_first,
        given_last=given_last,
    )
    given_first = pl.col("given_first")
    family_last = pl.col("family_last")
    # "Smith, Mary": family name first, given name last.
    reversed_order = pl.col("comma") & pl.col("family_first") & pl.col("given_last")
    full = (
        pl.col("wordlike")
        & pl.col("count").is_between(2, 4)
        & ((given_first & family_last & ~pl.col("comma")) | reversed_order)
    )
    single = pl.col("wordlike") & (pl.col("count") == 1) & ~pl.col("comma")
    counts = frame.select(
        full=full.sum(),
        given=(single & given_first).sum(),
        family=(single & family_last).sum(),
    ).row(0)
    full_count, given_count, family_count = (int(c) for c in counts)
    if full_count >= FULL_NAME_MIN_MATCHES and full_count / n >= FULL_NAME_SHARE:
        return "full_name"
    if n < SINGLE_MIN_DISTINCT:
        return None
    if given_count / n >= SINGLE_NAME_SHARE and given_count >= family_count:
        return "first_name"
    if family_count / n >= SINGLE_NAME_SHARE:
        return "last_name"
    return None


LIST_SEPARATORS = r"\s*(?:[,/;&]|\band\b|\be\b|\bund\b|\bet\b|\by\b)\s*"
"""What joins names in a list ("Angus Young, Malcolm Young & Brian Johnson", "Page/Plant")."""


def _lists_of_names(distinct: pl.Series) -> bool:
    """Whether most values are people or lists of people ("Jimmy Page, Robert Plant",
    "Clapton"): credits, authors, attendees. Only for columns where lists are common (a
    column of single words never qualifies this way); each part of a value is checked on its
    own, as a full name or, inside such a column, a family name alone."""
    is_list = distinct.str.contains(r"[,/;&]|\band\b")
    if int(is_list.sum()) < FULL_NAME_MIN_MATCHES or float(is_list.mean() or 0.0) < LIST_SHARE:
        return False
    pieces = (
        pl.DataFrame({"value": distinct})
        .with_row_index("row")
        .with_columns(part=pl.col("value").str.replace_all(LIST_SEPARATORS, "|").str.split("|"))
        .explode("part")
        .with_columns(pl.col("part").str.strip_chars())
        .filter(pl.col("part") != "")
    )
    given, family = _dictionary_hashes()
    words = pl.col("part").str.split(" ")
    named = pieces.with_columns(
        first=words.list.first().str.to_lowercase(),
        last=words.list.last().str.to_lowercase(),
        count=words.list.len(),
    )
    given_first, family_first = _in(named.get_column("first"), given, family)
    (family_last,) = _in(named.get_column("last"), family)
    named = named.with_columns(
        given_first=given_first, family_last=family_last, family_first=family_first
    ).with_columns(
        name=(pl.col("count").is_between(2, 4) & pl.col("given_first") & pl.col("family_last"))
        | ((pl.col("count") == 1) & pl.col("family_first"))
    )
    share = named.group_by("row").agg(pl.col("name").mean())["name"]
    return float((share >= 0.5).sum()) / distinct.len() >= FULL_NAME_SHARE
