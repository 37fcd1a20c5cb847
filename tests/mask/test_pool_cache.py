"""The maskers' pseudonym pools are kept as JSON in the cache folder: read back they are the
pools Faker gives (so pseudonyms do not change with the cache), a run whose pools are cached does
not import Faker, a damaged entry is rebuilt, not trusted, and the switch turns the cache off."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from paritygen.mask.maskers import pools
from paritygen.profile import parse_cache

ROOT = Path(__file__).resolve().parents[2]


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pools, "_CACHE", pools._PoolCache())
    pools.pool.cache_clear()
    pools.by_length.cache_clear()
    pools.known_names.cache_clear()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(parse_cache.CACHE_ENV, raising=False)
    _clear(monkeypatch)
    yield tmp_path / "paritygen" / "pools"
    _clear(monkeypatch)


@pytest.fixture(scope="module")
def built() -> tuple[tuple[str, ...], frozenset[str]]:
    from paritygen.generate.pools import draw_values

    first = draw_values("first_name", "en_US", pools.POOL_SEED, pools.POOL_DRAWS)
    names = {
        v
        for locale in pools.NAME_LOCALES
        for kind in ("first_name", "last_name")
        for v in draw_values(kind, locale, pools.POOL_SEED, pools.POOL_DRAWS)
        if len(v) >= 3 and " " not in v
    }
    return first, frozenset(names)



def test_cached_pools_are_the_built_ones(cache: Path, built, monkeypatch) -> None:
    assert pools.pool("first_name") == built[0]
    assert pools.known_names() == built[1]
    (entry,) = cache.glob("*.json")
    _clear(monkeypatch)
    import paritygen.generate.pools as generator

    def no_build(*args: object) -> None:
        raise AssertionError("built again although cached")

    monkeypatch.setattr(generator, "draw_values", no_build)
    assert pools.pool("first_name") == built[0]
    assert pools.known_names() == built[1]
    assert set(json.loads(entry.read_text(encoding="utf-8"))) >= {"first_name/en_US", "known_names"}


def test_cached_pools_do_not_import_faker(cache: Path) -> None:
    pools.pool("last_name")
    pools.known_names()
    code = (
        "import sys; from paritygen.mask.maskers import pools, contact;"
        " from paritygen.mask.maskers.base import MaskColumn;"
        " contact.EmailMasker(MaskColumn('t', 'e', 'string', 80));"
        " pools.pool('last_name'); pools.known_names(); print('faker' in sys.modules)"
    )
    env = {"XDG_CACHE_HOME": str(cache.parent.parent), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)}, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "damage", ["{not json", json.dumps([1, 2]), json.dumps({"first_name/en_US": [3]})]
)
def test_damaged_entry_is_rebuilt(cache: Path, built, damage: str, monkeypatch) -> None:
    pools.pool("first_name")
    (entry,) = cache.glob("*.json")
    entry.write_text(damage, encoding="utf-8")
    _clear(monkeypatch)
    assert pools.pool("first_name") == built[0]
    assert json.loads(entry.read_text(encoding="utf-8"))["first_name/en_US"] == list(built[0])


def test_switch_turns_it_off(cache: Path, built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    assert pools.pool("first_name") == built[0]
    assert not cache.exists()
