"""The executor's process set-up: glibc malloc arenas capped before threads allocate."""

import platform
import sys

from paritygen import parallel


def test_malloc_arenas_are_capped_on_glibc_unless_the_environment_says(monkeypatch):
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    parallel.limit_malloc_arenas.cache_clear()
    try:
        assert parallel.limit_malloc_arenas() is glibc
        parallel.limit_malloc_arenas.cache_clear()
        monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
        assert parallel.limit_malloc_arenas() is False  # the user's own setting stands
    finally:
        parallel.limit_malloc_arenas.cache_clear()
