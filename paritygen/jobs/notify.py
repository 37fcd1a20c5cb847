"""Telling someone the run ended: a webhook POST and/or a command, the summary as JSON.

A failed notification never changes the run's exit code (the refresh itself did what it did); it
is logged as a warning. The webhook's URL is never logged whole, since chat webhooks carry their
token in the path: only its host is named. Standard library only (``urllib``, ``subprocess``), so
the notification works in the slimmest container image.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from paritygen.errors import ConfigError
from paritygen.jobs.config import Notify
from paritygen.jobs.events import JobLog

USER_AGENT = "paritygen-run"


def wanted(notify: Notify, status: str) -> bool:
    """Whether *status* (ok, parity_missed, error, locked) is one *notify* asks about."""
    if notify.when == "always":
        return True
    return (status == "ok") == (notify.when == "success")


def notify_all(notify: Notify | None, summary: dict[str, Any], log: JobLog) -> None:
    """Send the summary where the job says; failures become warnings."""
    if notify is None or not wanted(notify, summary["status"]):
        return
    body = json.dumps(summary, ensure_ascii=False).encode("utf-8")
    if notify.webhook:
        try:
            post(_webhook_url(notify.webhook), body, notify.timeout_seconds)
            log.info("notify", f"webhook to {_host(notify.webhook)} accepted the summary")
        except ConfigError as exc:
            log.warning("notify", str(exc))
    if notify.command:
        try:
            run_command(notify.command, body, notify.timeout_seconds)
            log.info("notify", f"command {_program(notify.command)} took the summary")
        except ConfigError as exc:
            log.warning("notify", str(exc))


def _webhook_url(value: str) -> str:
    if value.startswith("env:"):
        url = os.environ.get(value[4:], "")
        if not url:
            raise ConfigError(f"notify.webhook: environment variable {value[4:]} is not set")
        return url
    return value


def _host(value: str) -> str:
    if value.startswith("env:"):
        return f"${value[4:]}"
    return urllib.parse.urlsplit(value).hostname or "the webhook"


def post(url: str, body: bytes, timeout: float) -> None:
    """POST *body* as JSON; any answer other than 2xx is an error naming only the host."""
    host = urllib.parse.urlsplit(url).hostname or "?"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError("notify.webhook: only http:// and https:// URLs are posted to")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (checked)
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise ConfigError(f"webhook to {host} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(f"webhook to {host} failed: {reason}") from None


def _argv(command: str | tuple[str, ...]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def _program(command: str | tuple[str, ...]) -> str:
    argv = _argv(command)
    return argv[0] if argv else "?"


def run_command(command: str | tuple[str, ...], body: bytes, timeout: float) -> None:
    """Run *command* (no shell) with *body* on its standard input; non-zero exit is an error."""
    argv = _argv(command)
    if not argv:
        raise ConfigError("notify.command: empty command")
    try:
        done = subprocess.run(argv, input=body, capture_output=True, timeout=timeout, check=False)  # noqa: S603 (the job file's own command, no shell)
    except FileNotFoundError:
        raise ConfigError(f"notify.command: {argv[0]}: no such program") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"notify.command: {argv[0]} did not finish in {timeout:g} s") from None
    except OSError as exc:
        raise ConfigError(f"notify.command: {argv[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        said = f": {tail[-1]}" if tail else ""
        raise ConfigError(f"notify.command: {argv[0]} exited {done.returncode}{said}")
