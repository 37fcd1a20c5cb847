"""The producer/consumer pipeline under the writers: order, bounded look-ahead, failures."""

from __future__ import annotations

import threading
import time

import pytest

from paritygen.writers.base import QUEUE_DEPTH, pipelined


def test_yields_every_item_in_order() -> None:
    assert list(pipelined(range(50), lambda x: x * 2)) == [x * 2 for x in range(50)]


def test_producer_runs_at_most_depth_plus_two_ahead() -> None:
    made: list[int] = []
    lock = threading.Lock()

    def encode(x: int) -> int:
        with lock:
            made.append(x)
        return x

    stream = pipelined(range(100), encode)
    assert next(stream) == 0
    time.sleep(0.3)  # give the producer every chance to run ahead
    with lock:
        ahead = len(made)
    stream.close()
    # one consumed + QUEUE_DEPTH queued + one blocked in put()
    assert ahead <= 1 + QUEUE_DEPTH + 1


def test_producer_error_reaches_the_consumer() -> None:
    def items():
        yield 1
        raise ValueError("generator broke")

    with pytest.raises(ValueError, match="generator broke"):
        list(pipelined(items(), lambda x: x))


def test_consumer_error_stops_the_producer_and_discards_leftovers() -> None:
    made: list[int] = []
    discarded: list[int] = []

    def encode(x: int) -> int:
        made.append(x)
        return x

    with pytest.raises(RuntimeError):
        for x in pipelined(range(1000), encode, discard=discarded.append):
            if x == 3:
                raise RuntimeError("server went away")
    time.sleep(0.2)
    assert len(made) < 10  # the producer stopped instead of encoding all 1000 items
    consumed = 4
    assert sorted(discarded) == made[consumed:]
    assert not any(t.name == "paritygen-producer" and t.is_alive() for t in threading.enumerate())
