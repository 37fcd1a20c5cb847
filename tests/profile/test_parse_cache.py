"""A large profile's parsed data is cached as JSON: the same profile comes back, an edited or
damaged entry is never used, data JSON would change is not cached, and the switch turns it off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paritygen.profile import parse_cache
from paritygen.profile.io import loads, read_profile

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "profiles" / "demo-shop.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(parse_cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(parse_cache, "MIN_CACHED_CHARS", 0)
    return tmp_path / "paritygen" / "profiles"


def test_cached_profile_is_the_same(cache: Path) -> None:
    first = read_profile(SHOP)
    entries = list(cache.glob("*.json"))
    assert len(entries) == 1
    assert read_profile(SHOP) == first
    entries[0].write_text("{not json", encoding="utf-8")  # damaged: parsed afresh
    assert read_profile(SHOP) == first


def test_edited_text_is_parsed_afresh(cache: Path) -> None:
    text = SHOP.read_text(encoding="utf-8")
    loads(text)
    edited = loads(text.replace("format: paritygen/1", "format: paritygen/1\n# edited", 1))
    assert edited == loads(text)
    assert len(list(cache.glob("*.json"))) == 2


def test_data_json_would_change_is_not_cached(cache: Path) -> None:
    parse_cache.remember("a: 2024-01-01", {"a": __import__("datetime").date(2024, 1, 1)})
    parse_cache.remember("1: x", {1: "x"})
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_switched_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    read_profile(SHOP)
    assert not cache.exists()


def test_written_profile_is_cached_as_it_reads(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paritygen.profile.io import write_profile

    profile = read_profile(SHOP)
    for entry in cache.glob("*.json"):
        entry.unlink()
    path = write_profile(profile, tmp_path / "copy.yaml")
    assert len(list(cache.glob("*.json"))) == 1  # cached by the write, before any read
    cached = read_profile(path)
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    assert cached == read_profile(path) == profile  # the same as parsing the YAML


def test_cached_profile_and_generate_import_no_yaml(tmp_path: Path) -> None:
    """A profile of a few tables (the demo shop, 260 KB) is cached at the default size, and a
    fresh process reading it from the cache, with generate's modules, never imports PyYAML."""
    assert len(SHOP.read_text(encoding="utf-8")) >= parse_cache.MIN_CACHED_CHARS
    code = (
        "import sys; from paritygen.profile.io import read_profile;"
        " import paritygen.run.generate, paritygen.writers.postgres;"
        f" read_profile({str(SHOP)!r}); print('yaml' in sys.modules)"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    assert runs == ["True", "False"]  # parsed (and cached) once, then read from the cache
