"""Writing the files paritygen produces (profiles, reports, verify results), and reading the
small YAML files users write (job files, tolerances, rules).

One way for all outputs: parent folders made, written to a temporary name and renamed, so a crash
or a full disk never leaves half a file where a previous good one stood, and any failure is one
line naming the path. One way for the inputs too: a missing file, an unreadable one and broken
YAML are each one line naming the file (and the line), never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from importlib import metadata
from pathlib import Path

from paritygen.errors import ConfigError, ParitygenError


def write_atomic(path: str | Path, text: str, error: type[ParitygenError] = ConfigError) -> Path:
    """Write *text* to *path* atomically; raise *error* ("cannot write PATH: reason")."""
    path = Path(path)
    # One temporary name per process and thread: two writers of one file never share it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = exc.strerror or exc.__class__.__name__
        raise error(f"cannot write {path}: {reason}") from None
    return path


def read_yaml(path: str | Path, what: str) -> object:
    """The data in the YAML file *path* (a *what*: "job file", "tolerances file"), or one
    :class:`ConfigError` line: no such file, unreadable, or not valid YAML at line N."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.__class__.__name__})") from None
    import yaml  # here, not at the top: a generate from a cached profile never parses YAML

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None


def sweep_dead_folders(root: str | Path, prefix: str) -> list[str]:
    """Remove folders ``<prefix><pid>-...`` under *root* whose process no longer exists (a run
    killed with -9 runs no clean-up); returns what was removed."""
    import shutil

    removed = []
    for folder in Path(root).glob(f"{prefix}*"):
        pid = folder.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or process_alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(str(folder))
    return removed


def process_alive(pid: int) -> bool:
    """True when a process *pid* exists (signal 0 checks without sending anything)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


CACHE_ENV = "PARITYGEN_PROFILE_CACHE"
"""``off`` (or 0, no, false) turns every cache of :func:`cache_folder` off."""


def cache_folder(name: str) -> Path | None:
    """The user's cache folder for *name* (``$XDG_CACHE_HOME/paritygen/NAME`` or
    ``~/.cache/...``), or None when caching is off. What is kept there is plain data that saves
    time (parsed profiles, name dictionaries, pseudonym pools), never needed to be right."""
    if os.environ.get(CACHE_ENV, "").lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paritygen" / name


def package_version(package: str) -> str:
    """The installed version of *package* ("absent" when it is not installed): part of a cache
    entry's name where the cached data comes from that package."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def read_json_quietly(path: Path) -> object | None:
    """The JSON data in a cache entry, or None when it is missing, unreadable or damaged."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keep_quietly(path: Path, text: str) -> bool:
    """Write a cache entry atomically; False instead of an error (a read-only or full cache
    folder only means building again next time)."""
    try:
        write_atomic(path, text)
    except ParitygenError:
        return False
    return True
