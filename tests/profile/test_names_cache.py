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


def _real_hashes(built: tuple[frozenset[str], frozenset[str]]) -> list:
    return [
        names.np.sort(
            names.pl.Series(sorted(part), dtype=names.pl.String)
            .hash(seed=names.NAME_HASH_SEED)
            .to_numpy()
        )
        for part in built
    ]


def test_hashes_are_kept_and_read_back_without_the_names(cache: Path, built) -> None:
    first = names._dictionary_hashes()
    expected = _real_hashes(built)
    assert all(names.np.array_equal(a, b) for a, b in zip(first, expected, strict=True))
    (kept,) = cache.glob("*.hashes")
    _clear()

    def no_names() -> None:
        raise AssertionError("names read although their hashes are kept")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(names, "_sorted_names", no_names)
        again = names._dictionary_hashes()
    assert all(names.np.array_equal(a, b) for a, b in zip(again, expected, strict=True))
    assert names.name_tag(names.pl.Series(["Mary Smith", "John Brown", "Anna Schmidt"])) == (
        "full_name"
    )


@pytest.mark.parametrize("damage", ["unsorted", "{not json", "short", "not base64"])
def test_damaged_hashes_are_made_again(cache: Path, built, damage: str) -> None:
    import base64

    names._dictionary_hashes()
    (kept,) = cache.glob("*.hashes")
    data = json.loads(kept.read_text(encoding="utf-8"))
    if damage == "unsorted":
        raw = names.np.frombuffer(base64.b64decode(data["given"]), dtype="<u8")[::-1].copy()
        data["given"] = base64.b64encode(raw.tobytes()).decode("ascii")
        kept.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "short":
        data["family"] = base64.b64encode(b"1234567").decode("ascii")
        kept.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "not base64":
        data["given"] = "*" * 16
        kept.write_text(json.dumps(data), encoding="utf-8")
    else:
        kept.write_text(damage, encoding="utf-8")
    _clear()
    again = names._dictionary_hashes()
    assert all(names.np.array_equal(a, b) for a, b in zip(again, _real_hashes(built), strict=True))
    _clear()
    assert names._read_hashes(kept) is not None  # written again, whole
