"""Writing the files paritygen produces (profiles, reports, verify results).

One way for all of them: parent folders made, written to a temporary name and renamed, so a crash
or a full disk never leaves half a file where a previous good one stood, and any failure is one
line naming the path.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

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
