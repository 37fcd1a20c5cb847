"""Reads running ahead of the measuring: order, bound, failures, several takers."""

from __future__ import annotations

import threading

import pytest

from paritygen.profile.read_ahead import ReadAhead


def test_reads_in_order_and_at_most_one_table_ahead() -> None:
    """Each table is read once, in order, and a table is read only once the one before it was
    taken: one table is held ahead of the measuring, not all of them."""
    events: list[str] = []
    lock = threading.Lock()

    def read(name: str) -> str:
        with lock:
            events.append(f"read {name}")
        return name.upper()

    ahead = ReadAhead(["a", "b", "c", "d"], read)
    try:
        for name in ("a", "b", "c", "d"):
            got = ahead.take(name)
            with lock:
                events.append(f"take {name}")
            assert got == name.upper()
    finally:
        ahead.close()
    assert [e for e in events if e.startswith("read")] == ["read a", "read b", "read c", "read d"]
    for before, name in (("b", "c"), ("c", "d")):
        assert events.index(f"take {before}") < events.index(f"read {name}")


def test_a_taker_waiting_further_on_lets_the_reader_past_the_bound() -> None:
    """Two measuring threads: one waits for "c" while "b" is read and not taken yet; the reader
    goes on instead of waiting for "b" to be taken (no taker waits on a waiting reader)."""
    ahead = ReadAhead(["a", "b", "c"], lambda name: name * 2)
    try:
        assert ahead.take("a") == "aa"
        assert ahead.take("c") == "cc"
        assert ahead.take("b") == "bb"
    finally:
        ahead.close()


def test_a_failed_read_is_raised_by_its_take_and_later_ones() -> None:
    def read(name: str) -> str:
        if name == "b":
            raise ValueError("table b: permission denied")
        return name

    ahead = ReadAhead(["a", "b", "c"], read)
    try:
        assert ahead.take("a") == "a"
        with pytest.raises(ValueError, match="table b"):
            ahead.take("b")
        with pytest.raises(ValueError, match="table b"):
            ahead.take("c")
    finally:
        ahead.close()


def test_close_stops_the_reader() -> None:
    read: list[str] = []
    ahead = ReadAhead(["a", "b", "c", "d"], lambda name: read.append(name) or name)
    ahead.close()
    assert len(read) <= 2  # at most the table under way and the one ahead
