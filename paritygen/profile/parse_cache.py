"""A large profile's parsed YAML kept as JSON, so the next command reads it in a tenth of a second.

PyYAML builds every scalar through Python (libyaml only parses): a 240-table profile (3 MB,
320,000 scalars) took 11 s to load, the largest fixed cost of a 240-table ``generate``, while
``json.loads`` reads the same data in 0.16 s. The data of a profile text is cached under the
user's cache folder (``$XDG_CACHE_HOME/paritygen/profiles`` or ``~/.cache/...``), named by the
SHA-256 of the text, so an edited profile is parsed afresh, and only when JSON gives back
exactly the same values (no dates, no non-string keys). What is read back is plain data,
validated like any profile (:func:`paritygen.profile.io.profile_from_dict`): the cache holds no
code and never decides anything. ``PARITYGEN_PROFILE_CACHE=off`` turns it off; any I/O problem
(read-only home, full disk, a damaged entry) just means parsing the YAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from paritygen.files import CACHE_ENV, cache_folder, keep_quietly, read_json_quietly

__all__ = ["CACHE_ENV", "cache_dir", "cached", "remember"]

MIN_CACHED_CHARS = 32 << 10
"""Texts shorter than this (32 KiB, a table or two) parse in about 10 ms: not cached. PyYAML
takes about 0.1 s of CPU for TPC-H's 8 tables (300 KB), a fifth of a ``generate``'s start, and
JSON 2 ms."""

MAX_ENTRIES = 8
"""Entries kept; the least recently used beyond this are removed."""


def cache_dir() -> Path | None:
    """The folder of cached profiles, or None when caching is off."""
    return cache_folder("profiles")


def _entry(text: str) -> Path | None:
    folder = cache_dir()
    if folder is None or len(text) < MIN_CACHED_CHARS:
        return None
    return folder / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}.json"


def cached(text: str) -> Any | None:
    """The data parsed earlier from exactly *text*, or None."""
    entry = _entry(text)
    if entry is None:
        return None
    data = read_json_quietly(entry)
    if data is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: kept by the pruning
    return data


def remember(text: str, data: Any) -> None:
    """Keep *data* (parsed from *text*) when JSON carries it unchanged; never raises."""
    entry = _entry(text)
    if entry is None:
        return
    try:
        dumped = json.dumps(data, ensure_ascii=False, allow_nan=False)
        if json.loads(dumped) != data:
            return  # non-string keys or the like: JSON would change the data
    except (TypeError, ValueError):
        return  # dates, bytes, NaN: not JSON data
    if not keep_quietly(entry, dumped):
        return
    with contextlib.suppress(OSError):
        entries = sorted(entry.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
