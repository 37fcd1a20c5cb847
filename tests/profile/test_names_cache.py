"""The name dictionaries are kept as JSON in the cache folder: read back they are the same
dictionaries the packages give, a damaged or wrongly shaped entry is rebuilt, not trusted, and
the switch turns the cache off."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from paritygen.profile import names, parse_cache


def _clear() -> None:
    names._sorted_names.cache_clear()
    names.dictionaries.cache_clear()
    names._dictionary_hashes.cache_clear()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(parse_cache.CACHE_ENV, raising=False)
    _clear()
    yield tmp_path / "paritygen" / "names"
    _clear()


@pytest.fixture(scope="module")
def built() -> tuple[frozenset[str], frozenset[str]]:
    return names._build()


def test_cached_dictionaries_are_the_built_ones(cache: Path, built) -> None:
    assert names.dictionaries() == built
    entries = list(cache.glob("*.json"))
    assert len(entries) == 1
    _clear()

    def no_build() -> None:
        raise AssertionError("built again although cached")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(names, "_build", no_build)
        assert names.dictionaries() == built
        given, family = names._dictionary_hashes()
        assert len(given) == len(built[0]) and len(family) == len(built[1])
        assert names._in(names.pl.Series(sorted(built[0])), given)[0].all()
    assert names.name_tag(names.pl.Series(["Mary Smith", "John Brown", "Anna Schmidt"])) == (
        "full_name"
    )


@pytest.mark.parametrize(
    "damage", ["{not json", json.dumps([1, 2]), json.dumps({"given": ["a"], "family": [3]})]
)
def test_damaged_entry_is_rebuilt(cache: Path, built, damage: str) -> None:
    names.dictionaries()
    (entry,) = cache.glob("*.json")
    entry.write_text(damage, encoding="utf-8")
    _clear()
    assert names.dictionaries() == built
    assert json.loads(entry.read_text(encoding="utf-8"))["given"] == sorted(built[0])


def test_switch_turns_it_off(cache: Path, built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    assert names.dictionaries() == built
    assert not cache.exists()
