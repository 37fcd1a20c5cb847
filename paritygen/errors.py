"""The error family every stage raises, so the CLI can turn any failure into one line.

Each error carries a message meant for the user (what went wrong and, where possible, what to do
next) and the exit status the CLI returns for it. Nothing in a message may contain a password:
build messages from :func:`safe_url`, never from a raw URL.
"""

from __future__ import annotations

import enum
import re


class ExitStatus(enum.IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    CHECK_FAILED = 1  # verify ran and at least one parity measure is out of its bar
    ERROR = 2  # bad input, unreachable database, broken profile, ...
    LOCKED = 3  # another paritygen run holds the target's lock
    INTERRUPTED = 130


class ParitygenError(Exception):
    """Base of all expected failures; ``str(err)`` is the one line shown to the user."""

    exit_status: ExitStatus = ExitStatus.ERROR
    detail: str | None = None
    """Longer context (e.g. every table's state after a failed load): shown with ``--debug``
    and kept in the run's state table, never on the one error line."""


class ProfileError(ParitygenError):
    """A profile file is missing, unreadable, of the wrong version or invalid at some path."""


class ConnectionFailed(ParitygenError):
    """A database could not be reached or refused the credentials."""


class SchemaMismatch(ParitygenError):
    """The target schema differs from the profile in a way that makes writing unsafe."""


class UnsafeTarget(ParitygenError):
    """The target looks like production (or is the source) and the user did not insist."""


class TargetLocked(ParitygenError):
    """Another run holds the target's lock (one run per target)."""

    exit_status = ExitStatus.LOCKED


class ConfigError(ParitygenError):
    """Bad command-line option or job file value."""


class LoadError(ParitygenError):
    """Writing to the target failed part-way; the message says what state the target is in."""


_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^@]*)@")
"""``scheme://user:PASSWORD@``: the password runs to the next '@', spaces included."""


def redact(text: str) -> str:
    """Replace every password inside URLs found in *text* with ``***``.

    Driver exceptions quote the connection string or DSN at times; everything that reaches the
    user passes through here first.
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***@", text)
    # password=... in a DSN or query string; "***" itself is left alone (already hidden)
    return re.sub(r"(password\s*=\s*)(?!\*\*\*)('[^']*'|[^\s&]+)", r"\1***", text,
                  flags=re.IGNORECASE)


SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "sslpassword"})
"""Query parameters that carry a password (libpq and PyMySQL accept ``?password=...``)."""


def safe_url(url: object) -> str:
    """The one way a URL is shown: parsed by SQLAlchemy's ``make_url`` and rendered with
    ``hide_password=True``, a ``?password=`` query value hidden too. Text that does not parse as
    a URL is never echoed: only its scheme is named."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if isinstance(url, str):
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            scheme = url.split("://", 1)[0] if "://" in url else ""
            return f"{scheme}://(not a valid URL)" if scheme.isidentifier() else "(not a URL)"
    render = getattr(url, "render_as_string", None)
    if render is None:
        return redact(str(url))
    query = getattr(url, "query", None) or {}
    if any(key.lower() in SECRET_QUERY_KEYS for key in query):
        hidden = {k: "***" if k.lower() in SECRET_QUERY_KEYS else v for k, v in query.items()}
        url = url.set(query=hidden)  # type: ignore[attr-defined]
    return redact(url.render_as_string(hide_password=True))  # type: ignore[attr-defined]
