"""Copied rows are cut into chunks whatever the source's read batches: whole blocks where a
column is generated, a short first chunk otherwise (the writer starts early); no row is lost,
doubled or reordered."""

from __future__ import annotations

import polars as pl

from paritygen.mask.copy import rebatch


def _batches(sizes: list[int]) -> list[pl.DataFrame]:
    out, start = [], 0
    for size in sizes:
        out.append(pl.DataFrame({"i": list(range(start, start + size))}))
        start += size
    return out


def test_chunks_of_rows_from_any_batches() -> None:
    chunks = list(rebatch(_batches([7, 0, 30, 1, 12]), 16))
    assert [c.height for c in chunks] == [16, 16, 16, 2]
    assert pl.concat(chunks)["i"].to_list() == list(range(50))


def test_a_short_first_chunk() -> None:
    chunks = list(rebatch(_batches([3, 40, 7]), 16, first=4))
    assert [c.height for c in chunks] == [4, 16, 16, 14]
    assert pl.concat(chunks)["i"].to_list() == list(range(50))
