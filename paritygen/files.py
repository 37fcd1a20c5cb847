"""Writing the files paritygen produces (profiles, reports, verify results), and reading the
small YAML files users write (job files, tolerances, rules).

One way for all outputs: parent folders made, written to a temporary name and renamed, so a crash
or a full disk never leaves half a file where a previous good one stood, and any failure is one
line naming the path. One way for the inputs too: a missing file, an unreadable one and broken
YAML are each one line naming the file (and the line), never a traceback.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml

from paritygen.errors import ConfigError, ParitygenError


def write_atomic(path: str | Path, text: str, error: type[ParitygenError] = ConfigError) -> Path:
    """Write *text* to *path* atomically; raise *error* ("cannot write PATH: reason")."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
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
