"""A text column's words: the same figures whether split per row or per distinct text."""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.profile.text import vocabulary


def _column(rows: int, seed: int) -> tuple[pl.Series, pl.Series]:
    rng = np.random.default_rng(seed)
    texts = [
        "DELIVER IN PERSON",
        "TAKE BACK RETURN",
        "NONE",
        "COLLECT COD",
        "Rare Words Here",  # one person's
        "Rare Again",
        None,
    ]
    picked = rng.choice(len(texts), rows, p=[0.3, 0.3, 0.2, 0.17, 0.01, 0.01, 0.01])
    values = pl.Series("v", [texts[i] for i in picked])
    persons = rng.integers(0, 40, rows).astype(str).astype(object)
    # "Rare" is held by two persons in one text and three in the other: five in all, though
    # no text alone reaches k = 5; "Words" only by the first two.
    for text, owners in (("Rare Words Here", ["a", "b"]), ("Rare Again", ["c", "d", "e"])):
        at = np.flatnonzero(picked == texts.index(text))
        persons[at] = [owners[i % len(owners)] for i in range(at.size)]
    return values, pl.Series("p", persons.tolist(), dtype=pl.String)


def test_words_per_distinct_text_equal_words_per_row() -> None:
    """Rows counted through their texts and persons through the most-held text (then exactly
    where that bound is below k): the same words, shares and order as row by row, with
    persons, without, and for a word ("rare") whose persons only the exact count finds."""
    values, persons = _column(3_000, 11)
    distinct = values.n_unique()
    for owners in (persons, None):
        by_row = vocabulary(values, owners, 5)
        by_text = vocabulary(values, owners, 5, distinct)
        assert by_text == by_row
        assert by_row  # words were kept
    kept = {w.value for w in vocabulary(values, persons, 5, distinct)}
    assert "Rare" in kept and "Words" not in kept  # "Words": one person's rows only
