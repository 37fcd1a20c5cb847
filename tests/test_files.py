"""Output files: whole or not at all, and a failure is one clear line."""

from pathlib import Path

import pytest

from paritygen.errors import ConfigError, ProfileError
from paritygen.files import write_atomic


def test_write_atomic_makes_folders_and_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.md"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temporary left


def test_write_atomic_failure_names_the_path_and_keeps_the_error_type(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ProfileError, match="cannot write .*file/shop.yaml"):
        write_atomic(blocker / "shop.yaml", "text", ProfileError)
    with pytest.raises(ConfigError):
        write_atomic(blocker / "r.md", "text")
