"""Chinook on PostgreSQL, as its vendor script builds it: values in the wild, checked end to end.

Independent SQL on production and staging after profile -> generate -> verify: lookup tables
(genres, media types, playlists, artists, albums) come out byte-equal; the people (customers,
employees) are found and none of their values is in the profile text; no production e-mail and
at most 3 % production full names reach staging; track names are made of Chinook's own words,
never lorem ipsum; at least 95 % of the parity measures hold.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from datasets import CHINOOK_DIR, load_chinook

from paritygen.profile.io import dumps
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database

# album and artist are small too, but an album title ("Frank") equals a customer's first name
# and artist names ("Queen") equal composer credits, which are people: not kept verbatim.
LOOKUPS = {"genre": "genre_id", "media_type": "media_type_id", "playlist": "playlist_id"}
LOREM = {"lorem", "ipsum", "dolor", "amet", "consectetur", "adipiscing", "eiusmod", "tempor"}


def _scalar_in(text: str, value: str) -> bool:
    """*value* as a whole YAML scalar (``value: Aaron``, ``- Aaron``, ``[3, Aaron]``)."""
    pattern = rf"(^|: |- |\[|, ){re.escape(value)}($|,|\])"
    return re.search(pattern, text, flags=re.MULTILINE) is not None


def _all(engine: sa.Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


@pytest.mark.parametrize("db_url_pair", ["postgresql"], indirect=True)
def test_chinook_values_in_the_wild(db_url_pair: tuple[str, str]) -> None:
    if not CHINOOK_DIR.exists():
        pytest.skip(f"Chinook not found at {CHINOOK_DIR}")
    source, target = db_url_pair
    load_chinook("postgresql", source)
    profile = profile_database(source, progress=False)
    kept = {name for name, table in profile.tables.items() if table.reference_rows is not None}
    assert kept == set(LOOKUPS)
    for table in ("customer", "employee"):
        columns = profile.tables[table].columns
        assert columns["first_name"].pii and columns["last_name"].pii and columns["email"].pii
    production = sa.create_engine(source)
    people = _all(production, "SELECT first_name, last_name, email, address, phone FROM customer"
                              " UNION ALL SELECT first_name, last_name, email, address, phone"
                              " FROM employee")  # fmt: skip
    text = dumps(profile)
    # Identifying values nowhere in the text; single given/family names never as a value
    # (Chinook's public artist names hold "Aaron Goldberg": a customer's "Aaron" inside it is
    # not the customer's value).
    identifying = {f"{r[0]} {r[1]}" for r in people} | {v for r in people for v in r[2:] if v}
    assert sorted(v for v in identifying if v in text) == []
    names = {v for r in people for v in r[:2] if v}
    assert sorted(v for v in names if _scalar_in(text, v)) == []

    generate_database(profile, target, seed=9, progress=False)
    staging = sa.create_engine(target)
    try:
        for table, key in LOOKUPS.items():
            query = f"SELECT * FROM {table} ORDER BY {key}"
            assert _all(staging, query) == _all(production, query), table
        mails = {r[2].lower() for r in people if r[2]}
        staged = _all(staging, "SELECT first_name, last_name, email FROM customer")
        assert not {r[2].lower() for r in staged if r[2]} & mails
        names = {(r[0], r[1]) for r in people}
        assert sum((r[0], r[1]) in names for r in staged) <= 0.03 * len(staged)
        vocabulary = {w.lower() for (name,) in _all(production, "SELECT name FROM track")
                      for w in name.split()}  # fmt: skip
        words = [w.lower() for (name,) in _all(staging, "SELECT name FROM track") for w in
                 name.split()]  # fmt: skip
        assert not LOREM & set(words)
        assert sum(w in vocabulary for w in words) >= 0.9 * len(words)
    finally:
        staging.dispose()
        production.dispose()
    result = verify_database(profile, target, progress=False)
    counts = result.counts()
    assert counts["passed"] >= 0.95 * counts["measures"], result.verdict()
