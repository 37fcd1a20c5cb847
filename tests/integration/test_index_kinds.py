"""Index kinds survive a round trip on their own database, and the queries that need them run.

PostgreSQL GIN (tsvector, array), GiST (point), BRIN and hash indexes; MariaDB FULLTEXT and
SPATIAL indexes. Generated into an empty database, the target must hold the same index methods,
and a full-text query (``@@`` / ``MATCH ... AGAINST``, which MariaDB refuses without its
FULLTEXT index) must run on staging. What the profile cannot carry (a view, a trigger) is
named in the profile; an expression index is carried (tests/integration/test_index_exprs.py).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_identifiers import _load

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

PG_SOURCE = """
CREATE TABLE doc (id int PRIMARY KEY, tags text[], words tsvector, spot point, n int, body text);
INSERT INTO doc SELECT g, ARRAY['t' || g % 9], to_tsvector('simple', 'alpha beta ' || g),
       point(g, g), g, 'body ' || g FROM generate_series(1, 1500) g;
CREATE INDEX doc_tags ON doc USING gin (tags);
CREATE INDEX doc_words ON doc USING gin (words);
CREATE INDEX doc_spot ON doc USING gist (spot);
CREATE INDEX doc_n ON doc USING brin (n);
CREATE INDEX doc_body ON doc USING hash (body);
CREATE INDEX doc_lower ON doc (lower(body));
CREATE VIEW recent AS SELECT id FROM doc WHERE n > 100;
"""

MARIADB_SOURCE = """
CREATE TABLE doc (
  id int PRIMARY KEY,
  title varchar(100) NOT NULL,
  body text,
  spot point NOT NULL,
  FULLTEXT INDEX doc_text (title, body),
  SPATIAL INDEX doc_spot (spot)
);
INSERT INTO doc SELECT seq, CONCAT('title ', seq), CONCAT('lorem ipsum dolor ', seq),
       POINT(seq, seq) FROM seq_1_to_1500;
CREATE VIEW recent AS SELECT id FROM doc WHERE id > 100
"""


@pytest.mark.parametrize("db_url_pair", ["postgresql"], indirect=True)
def test_postgres_index_kinds(pg_url: str, db_url_pair) -> None:
    _load(pg_url, PG_SOURCE)
    profile = profile_database(pg_url, progress=False)
    assert "view recent" in profile.not_carried
    assert not any("doc_lower" in item for item in profile.not_carried)  # carried as data
    target = db_url_pair[1]
    generate_database(profile, target, seed=1, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        methods = dict(
            conn.exec_driver_sql(
                "SELECT i.relname, am.amname FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_am am ON am.oid = i.relam JOIN pg_class t ON t.oid = x.indrelid"
                " WHERE t.relname = 'doc'"
            ).all()
        )
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM doc WHERE words @@ to_tsquery('simple', 'lorem | alpha')"
        ).scalar()
    engine.dispose()
    assert methods["doc_tags"] == "gin" and methods["doc_words"] == "gin"
    assert methods["doc_spot"] == "gist" and methods["doc_n"] == "brin"
    assert methods["doc_body"] == "hash"
    assert found is not None


@pytest.mark.parametrize("db_url_pair", ["mysql"], indirect=True)
def test_mariadb_index_kinds(mysql_url: str, db_url_pair) -> None:
    _load(mysql_url, MARIADB_SOURCE)
    profile = profile_database(mysql_url, progress=False)
    assert "view recent" in profile.not_carried
    target = db_url_pair[1]
    generate_database(profile, target, seed=1, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        kinds = dict(
            conn.exec_driver_sql(
                "SELECT DISTINCT index_name, index_type FROM information_schema.statistics"
                " WHERE table_schema = DATABASE() AND table_name = 'doc'"
            ).all()
        )
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM doc WHERE MATCH (title, body) AGAINST ('lorem')"
        ).scalar()
    engine.dispose()
    assert kinds["doc_text"] == "FULLTEXT" and kinds["doc_spot"] == "SPATIAL"
    assert found is not None
