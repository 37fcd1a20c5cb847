"""What a text column is made of, without keeping any of its values: its words and letter case.

Why: staging text made of lorem ipsum ("eview nulla balance") looks like nothing production
holds; the column's own vocabulary ("Rock", "Live", "Love") makes generated titles and
descriptions read like production's and match the same ``LIKE '%live%'`` queries. A word is kept
only when it occurs in at least k rows *and* for at least k distinct persons (the same rule as
``most_common``, docs/profile.md "k counts people"), so no word identifies anyone. Columns
that identify a person keep no words at all.

The letter case (``MARY SMITH`` or ``mary smith``) is a shape, kept for personal columns too,
so generated names and e-mails look like production's.
"""

from __future__ import annotations

import polars as pl

from paritygen.profile.frames import ENGINE
from paritygen.profile.model import ValueFrequency

MAX_WORDS = 500
"""Words kept per column (the most frequent)."""
WORDS_SAMPLE = 200_000
"""Rows the vocabulary is counted on (a sample beyond that)."""
WORDY_SHARE = 0.1
"""Share of values holding two words or more for a column to be called text (not codes)."""
CASE_SHARE = 0.9
"""Share of the values with letters that must share one letter case for it to be recorded."""
WORD = r"\p{L}[\p{L}'’]*\p{L}"
"""A word: two or more letters, apostrophes inside (don't, O'Brien); no digits, so generated
text can carry a row number and stay unique."""


def is_wordy(values: pl.Series) -> bool:
    """Whether the column holds text (several words in a fair share of values), not codes."""
    sample = values.drop_nulls()
    if sample.dtype != pl.String or sample.len() == 0:
        return False
    if sample.len() > 5_000:
        sample = sample.sample(5_000, seed=0)
    return float(sample.str.contains(r"\S\s+\S").mean() or 0.0) >= WORDY_SHARE


REPEATED_TEXT = 4
"""Rows per distinct text from which words are read per distinct text, not per row (a
600,000-row column of four instructions is four texts to split, not 200,000 rows)."""


def vocabulary(
    values: pl.Series,
    persons: pl.Series | None,
    min_group_size: int,
    distinct: int | None = None,
) -> tuple[ValueFrequency, ...]:
    """The column's words seen in at least k rows of at least k persons, with the share of
    non-NULL rows holding each, most frequent first (ties alphabetical: profiles diff).

    *distinct*, the column's distinct count when known: a column whose texts repeat (at least
    :data:`REPEATED_TEXT` rows each) is split per distinct text; the figures are the same."""
    frame = (
        pl.DataFrame({"text": values})
        .lazy()
        .with_columns(
            person=persons if persons is not None else pl.int_range(pl.len(), dtype=pl.Int64)
        )
        .drop_nulls("text")
        .with_row_index("row")
        .collect(engine=ENGINE)
    )
    if frame.height == 0:
        return ()
    if frame.height > WORDS_SAMPLE:
        frame = frame.sample(WORDS_SAMPLE, seed=0)
    if distinct is not None and distinct * REPEATED_TEXT <= frame.height:
        counted = _words_by_text(frame, persons is not None, min_group_size)
    else:
        counted = _words_by_row(frame, min_group_size)
    total = frame.height
    return tuple(
        ValueFrequency(value=word, frequency=min(1.0, rows / total))
        for word, rows in counted.select("word", "rows").iter_rows()
    )


def _kept_words(counted: pl.LazyFrame, min_group_size: int) -> pl.DataFrame:
    """(word, rows, people) of the words seen in k rows of k persons, the most frequent
    :data:`MAX_WORDS` first (ties alphabetical)."""
    return (
        counted.filter((pl.col("rows") >= min_group_size) & (pl.col("people") >= min_group_size))
        .sort(["rows", "word"], descending=[True, False])
        .head(MAX_WORDS)
        .collect(engine=ENGINE)
    )


def _words_by_row(frame: pl.DataFrame, min_group_size: int) -> pl.DataFrame:
    """Every row split into its words (one polars query: per-step eager calls cost more than
    the work on small tables)."""
    counted = (
        frame.lazy()
        .select("row", "person", word=pl.col("text").str.extract_all(WORD))
        .explode("word")
        .drop_nulls("word")
        .unique(["row", "word"])
        .group_by("word")
        .agg(rows=pl.len(), people=pl.col("person").n_unique())
    )
    return _kept_words(counted, min_group_size)


def _words_by_text(frame: pl.DataFrame, by_person: bool, min_group_size: int) -> pl.DataFrame:
    """:func:`_words_by_row`'s figures from the distinct texts: a word's rows are the rows of
    the texts holding it. Its persons are at least those of its most-held text; a word below k
    by that bound has its persons counted over its rows (rows are persons without *by_person*)."""
    texts = frame.lazy().group_by("text").agg(rows=pl.len(), people=pl.col("person").n_unique())
    split = (
        texts.select("text", "rows", "people", word=pl.col("text").str.extract_all(WORD))
        .explode("word")
        .drop_nulls("word")
        .unique(["text", "word"])
        .collect(engine=ENGINE)
    )
    counted = split.group_by("word").agg(
        pl.col("rows").sum(),
        people=pl.col("rows").sum() if not by_person else pl.col("people").max(),
    )
    unsure = counted.filter(
        (pl.col("rows") >= min_group_size) & (pl.col("people") < min_group_size)
    )
    if by_person and unsure.height:
        exact = (
            frame.lazy()
            .join(
                split.lazy().join(unsure.lazy().select("word"), on="word", how="semi"),
                on="text",
            )
            .group_by("word")
            .agg(people=pl.col("person").n_unique())
        )
        counted = counted.update(exact.collect(engine=ENGINE), on="word")
    return _kept_words(counted.lazy(), min_group_size)


def letter_case(values: pl.Series) -> str | None:
    """``upper``, ``lower`` or ``title`` when at least :data:`CASE_SHARE` of the values with
    letters are written so, else None (the three cases counted in one polars query)."""
    if values.dtype != pl.String:
        return None
    sample = values
    if values.len() - values.null_count() > 5_000:
        sample = values.drop_nulls().sample(5_000, seed=0)
    v = pl.col("v")
    n, *counts = (
        sample.to_frame("v")
        .lazy()
        .filter(v.str.contains(r"\p{L}"))
        .select(
            n=pl.len(),
            upper=(v.str.to_uppercase() == v).sum(),
            lower=(v.str.to_lowercase() == v).sum(),
            title=(v.str.to_titlecase() == v).sum(),
        )
        .collect(engine=ENGINE)
        .row(0)
    )
    if n == 0:
        return None
    for name, count in zip(("upper", "lower", "title"), counts, strict=True):
        if float(count) / n >= CASE_SHARE:
            return name
    return None


FOLLOW_SHARE = 0.5
"""Share of rows whose e-mail holds the row's own family name for the e-mail to follow it."""


def email_sources(columns: list, data: dict) -> dict[str, tuple[str, ...]]:
    """E-mail columns built from the row's name columns (``MARY.SMITH@...`` beside ``Mary`` and
    ``Smith``): e-mail column -> (given name column, family name column) or (full name column,).
    Only the relation is kept, never a value."""
    by_tag: dict[str, str] = {}
    for column in columns:
        if column.semantic in ("first_name", "last_name", "full_name"):
            by_tag.setdefault(column.semantic, column.name)
    if "last_name" in by_tag and "first_name" in by_tag:
        sources = (by_tag["first_name"], by_tag["last_name"])
        family = data[by_tag["last_name"]].values
    elif "full_name" in by_tag:
        sources = (by_tag["full_name"],)
        family = data[by_tag["full_name"]].values.str.extract(r"(\p{L}+)\W*$")
    else:
        return {}
    found = {}
    for column in columns:
        if column.semantic != "email" or family.dtype != pl.String:
            continue
        frame = pl.DataFrame(
            {"mail": data[column.name].values, "family": family.str.to_lowercase()}
        ).drop_nulls()
        if frame.height == 0:
            continue
        local = frame["mail"].str.to_lowercase().str.split("@").list.first()
        family_letters = frame["family"].str.replace_all(r"[^\p{L}]", "")
        holds = pl.select(
            local.str.contains(family_letters, literal=True) & (family_letters.str.len_chars() > 1)
        ).to_series()
        if float(holds.mean() or 0.0) >= FOLLOW_SHARE:
            found[column.name] = sources
    return found
