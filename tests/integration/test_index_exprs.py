"""Expression and partial indexes: carried as data, rebuilt within the family, checked as data.

On PostgreSQL the target's index definitions must equal the source's (``pg_indexes.indexdef``)
and the planner must use the expression index for the query it serves; a unique expression
index the generated rows satisfy is built, one they do not is left out with a note. An
expression outside the allow-list (a function of the source's own, a call planted in the
profile) leaves its index out; across families notes say what changed.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from test_identifiers import _load

from paritygen.profile.model import Index
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.writers.schema import build_metadata, schema_notes

SOURCE = """
CREATE FUNCTION my_norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE TABLE person (id int PRIMARY KEY, email text NOT NULL, deleted_at timestamptz, n int);
INSERT INTO person SELECT g, 'user' || g || '@example.com',
  CASE WHEN g % 5 = 0 THEN timestamptz '2024-01-01' END, g FROM generate_series(1, 1200) g;
CREATE INDEX p_lower ON person (lower(email));
CREATE INDEX p_live ON person (email) WHERE deleted_at IS NULL;
CREATE INDEX p_mix ON person (n, (n * 2), email);
CREATE INDEX p_words ON person USING gin (to_tsvector('english', email));
CREATE UNIQUE INDEX p_live_id ON person (id) WHERE deleted_at IS NULL;
CREATE INDEX p_custom ON person (my_norm(email));
"""
KEPT = ("p_lower", "p_live", "p_mix", "p_words", "p_live_id")


def _indexdefs(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'person'"
        ).all())  # fmt: skip
    engine.dispose()
    return found


@pytest.mark.parametrize("db_url_pair", ["postgresql"], indirect=True)
def test_expression_and_partial_indexes_round_trip(
    pg_url: str, db_url_pair: tuple[str, str], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _load(pg_url, SOURCE)
    profile = profile_database(pg_url, progress=False)
    indexes = {ix.name: ix for ix in profile.tables["person"].indexes}
    assert indexes["p_lower"].expressions == ("lower(email)",)
    assert indexes["p_live"].where and indexes["p_live_id"].unique
    assert not any("p_lower" in item for item in profile.not_carried)

    target = db_url_pair[1]
    with caplog.at_level(logging.WARNING, logger="paritygen"):
        generate_database(profile, target, seed=2, progress=False)
    source, made = _indexdefs(pg_url), _indexdefs(target)
    for name in KEPT:
        assert made[name] == source[name]
    assert "p_custom" not in made
    assert any("p_custom left out: calls my_norm()" in r.getMessage() for r in caplog.records)

    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(conn.exec_driver_sql(
            "EXPLAIN SELECT id FROM person WHERE lower(email) = 'user7@example.com'"
        ).scalars())  # fmt: skip
    engine.dispose()
    assert "p_lower" in plan

    # Across families: what cannot be kept is named (SQLite keeps the predicate).
    metadata = build_metadata(profile, ["person"], "sqlite")
    notes = schema_notes(metadata)
    assert any("p_lower on expressions left out" in n for n in notes)
    (live,) = [ix for ix in metadata.tables["person"].indexes if ix.name == "p_live"]
    assert "deleted_at" in str(live.dialect_options["sqlite"]["where"])
    generate_database(profile, sqlite_url, seed=2, progress=False)


@pytest.mark.parametrize(
    "planted",
    ["pg_sleep(10)", "(SELECT 1)", "lower(email)); DROP TABLE person; --", "lower(other.email)"],
)
def test_a_planted_index_expression_is_refused(planted: str) -> None:
    """A profile is untrusted: an index element or predicate outside the allow-list leaves the
    index out, with the reason, and no SQL of it reaches the DDL."""
    from paritygen.profile.model import Column, Profile, Source, Table

    column = Column(name="email", logical_type="text", sql_type="text", nullable=True)
    table = Table(
        name="person", columns={"email": column}, primary_key=(),
        indexes=(Index(name="bad", expressions=(planted,)),
                 Index(name="bad_where", columns=("email",), where=planted)),
    )  # fmt: skip
    profile = Profile(
        format="paritygen/1", source=Source(dialect="postgresql"), tables={"person": table}
    )
    metadata = build_metadata(profile, ["person"], "postgresql")
    notes = schema_notes(metadata)
    assert not metadata.tables["person"].indexes
    assert sum("left out" in n for n in notes) == 2, notes
