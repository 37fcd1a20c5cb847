"""Production is never written: the checks every writing run passes before its first write.

Two independent guards, both applied whatever ``--if-exists`` says (append and truncate too):

1. **Identity.** The target's identity is asked of the server
   (:mod:`paritygen.profile.identity`) and compared with the profile's ``source.identity``
   (recorded at profile time) and with the ``--source`` URL's, when one is given. Equal means
   "this is the source": refused, and ``--allow-production-name`` does not change that.
2. **Names.** Every name that can choose the database (the URL's host, its path, the query
   parameters ``dbname`` / ``database`` / ``db``, and the database name the server reports once
   connected) is matched against production patterns: ``prod``, ``production``, ``prd`` and
   ``live`` as *words*, plus the user's own patterns. ``--allow-production-name`` lifts this
   guard only.

A word is a run of letters, split at anything else and at a camelCase step: ``shop_prod``,
``prod-db``, ``ShopProd``, ``prod2`` and ``live.example.com`` say production; ``shop_preprod``
(a pre-production environment), ``shop_prodcopy``, ``products`` and ``delivery`` do not, because
matching inside words would refuse ``products`` and ``delivery`` too. Name such databases in a
pattern of your own (a regular expression, case-insensitive) in the safety file:
``$PARITYGEN_SAFETY_FILE``, else ``~/.config/paritygen/safety.yaml``::

    production_names:
      - prodcopy        # our nightly copies of production are production too
      - '^main$'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa

from paritygen.errors import ConfigError, UnsafeTarget, safe_url
from paritygen.profile.identity import ServerIdentity

PRODUCTION_WORDS = ("prod", "production", "prd", "live")
"""Default production words (matched as whole words, see the module docstring)."""
SAFETY_FILE_ENV = "PARITYGEN_SAFETY_FILE"
DEFAULT_SAFETY_FILE = Path("~/.config/paritygen/safety.yaml")
DATABASE_QUERY_KEYS = ("dbname", "database", "db")
"""URL query parameters a driver reads as the database (libpq, PyMySQL)."""

_WORD = re.compile(r"[a-z]+")
_CAMEL_STEP = re.compile(r"(?<=[a-z])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    """The lower-case words of *name* (``ShopProd_2`` -> ``shop``, ``prod``)."""
    return _WORD.findall(_CAMEL_STEP.sub("_", name).lower())


def user_patterns(path: str | Path | None = None) -> list[re.Pattern[str]]:
    """The user's production-name patterns from the safety file (none when it is absent)."""
    chosen = path or os.environ.get(SAFETY_FILE_ENV) or DEFAULT_SAFETY_FILE.expanduser()
    file = Path(chosen)
    if not file.exists():
        if path or os.environ.get(SAFETY_FILE_ENV):
            raise ConfigError(f"safety file {file} does not exist")
        return []
    import yaml  # only with a safety file: most runs have none

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read safety file {file}: {exc.__class__.__name__}") from None
    raw = data.get("production_names", []) if isinstance(data, dict) else None
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ConfigError(f"{file}: production_names must be a list of regular expressions")
    patterns = []
    for i, text in enumerate(raw):
        try:
            patterns.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"{file}: production_names[{i}]: {exc}") from None
    return patterns


def production_reason(name: str, patterns: Iterable[re.Pattern[str]]) -> str | None:
    """Why *name* says production (the word or pattern), or None."""
    for word in name_words(name):
        if word in PRODUCTION_WORDS:
            return f"the word {word!r}"
    for pattern in patterns:
        if pattern.search(name):
            return f"the pattern {pattern.pattern!r}"
    return None


def url_names(url: sa.engine.URL) -> list[str]:
    """Every part of *url* that can choose the database (and the host, whose name often says
    production too)."""
    names = [url.host or ""]
    if url.database:
        database = url.database
        if url.get_backend_name() == "sqlite":
            database = Path(database.removeprefix("file:")).name
        names.append(database)
    for key, value in url.query.items():
        if key.lower() in DATABASE_QUERY_KEYS:
            names.extend([value] if isinstance(value, str) else list(value))
    return [n for n in names if n]


def refuse_production_names(
    names: Iterable[str], url: sa.engine.URL, allow: bool, patterns: list[re.Pattern[str]]
) -> None:
    """Refuse when any of *names* says production, unless the user insists (*allow*)."""
    if allow:
        return
    for name in names:
        reason = production_reason(name, patterns)
        if reason:
            raise UnsafeTarget(
                f"target {safe_url(url)} looks like production ({name!r} has {reason});"
                " paritygen writes only to staging. Pass --allow-production-name if this really"
                " is a staging database"
            )


def refuse_source(
    target: ServerIdentity | None,
    url: sa.engine.URL,
    profile_identity: str | None,
    source: ServerIdentity | None = None,
) -> None:
    """Refuse, whatever the flags, when the target is the profiled source or ``--source``."""
    if target is None:
        return
    key = target.key()
    for label, other in (("the profiled source", profile_identity),
                         ("the --source database", source.key() if source else None)):  # fmt: skip
        if other is not None and other == key:
            raise UnsafeTarget(
                f"target {safe_url(url)} is {label} (server identity {target.dialect}"
                f" database {target.database!r}); paritygen never writes into the source,"
                " whatever the flags"
            )
