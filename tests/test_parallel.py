"""The executor's process set-up: glibc malloc arenas capped before threads allocate."""

import os
import platform
import subprocess
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


def _retention_in_fresh_process(env: dict[str, str], first: str = "") -> str:
    code = (
        f"{first}\nimport os\nfrom paritygen.parallel import limit_polars_retention\n"
        "print(limit_polars_retention(), os.environ.get('_RJEM_MALLOC_CONF'))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_polars_allocator_gives_freed_pages_back_unless_the_environment_says():
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    conf = parallel.POLARS_ALLOCATOR_CONF
    assert _retention_in_fresh_process(env) == f"True {conf}"
    # polars already imported: its allocator has read its settings, ours would come too late
    late = _retention_in_fresh_process(env, "import polars")
    assert late.startswith("False ") and conf not in late
    own = {**env, "_RJEM_MALLOC_CONF": "dirty_decay_ms:5000"}
    assert _retention_in_fresh_process(own) == "False dirty_decay_ms:5000"


def test_free_heap_pages_go_back_to_the_system():
    # ~100 MB of 2 KB blocks (malloc's heap, not pymalloc's), the heap's top kept in use so
    # that free() alone cannot shrink it; in a fresh process, so the count is this test's.
    code = (
        "from paritygen.parallel import release_free_memory\n"
        "def rss():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(status.split('VmRSS:')[1].split()[0]) // 1024\n"
        "blocks = [bytes(2048) for _ in range(50_000)]\n"
        "pin = bytes(2048)\n"
        "del blocks\n"
        "freed = rss()\n"
        "release_free_memory()\n"
        "print(freed - rss())\n"
    )
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (int(done.stdout) >= 80) is glibc
