"""The structure corpus: foreign schemas built by the test from public descriptions of their kind
(tests/integration/corpus_schemas.py), round-tripped on PostgreSQL and MariaDB with exact rows,
0 orphans and at least 97 % of verify's measures per schema. MariaDB's SET columns come out as
production's member combinations, with its empty strings and NULLs, and ``verify --source``
reads SET and JSON values."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from corpus_schemas import SCHEMAS, build_corpus, orphan_counts

from paritygen.profile.io import dumps
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database

PARITY_SHARE = 0.97
"""Share of verify's measures each schema of the corpus must meet."""


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        names = [n for n in sa.inspect(engine).get_table_names() if n != "_paritygen_run"]
        with engine.connect() as conn:
            return {n: conn.execute(sa.text(f"SELECT count(*) FROM {n}")).scalar_one()
                    for n in names}  # fmt: skip
    finally:
        engine.dispose()


def _by_schema(result) -> dict[str, tuple[int, int, list]]:
    """(passed, measured, misses) per schema of the corpus."""
    out = {}
    for name, prefix in SCHEMAS.items():
        mine = [m for m in result.measures if m.target.startswith(prefix)]
        misses = [(m.target, m.measure, round(m.value, 3)) for m in mine if not m.passed]
        out[name] = (len(mine) - len(misses), len(mine), misses)
    return out


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_corpus_round_trip(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    build_corpus(source)
    profile = profile_database(source, progress=False)
    # people found by their values, whatever the column is called; none of them in the profile
    account = profile.table("ppl_account").columns
    assert account["owner"].pii and account["contact"].pii and account["manager"].pii
    engine = sa.create_engine(source)
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(sa.text("SELECT owner FROM ppl_account"))}
    engine.dispose()
    text = dumps(profile)
    assert [n for n in names if n in text] == []

    generate_database(profile, target, seed=8, progress=False)
    assert _counts(target) == _counts(source)  # exact rows, every table
    assert {k: v for k, v in orphan_counts(target).items() if v} == {}
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        julian = conn.execute(sa.text(
            "SELECT min(day_key), max(day_key), count(DISTINCT day_key) FROM snow_day"
        )).one()  # fmt: skip
        unique_pairs = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT DISTINCT student_id, course_code FROM m2m_enrollment) t"
        )).scalar_one()  # fmt: skip
        null_promotions = conn.execute(sa.text(
            "SELECT avg(CASE WHEN promotion_id IS NULL THEN 1.0 ELSE 0 END) FROM star_sales"
        )).scalar_one()  # fmt: skip
    engine.dispose()
    assert julian[0] >= 2_459_945 and julian[1] <= 2_460_310 and julian[2] == 365  # 2023's days
    assert unique_pairs == profile.table("m2m_enrollment").row_count
    assert abs(float(null_promotions) - 0.85) < 0.03

    result = verify_database(profile, target, progress=False)
    # every FK keeps its fan-out: a snapshot stocking 60 of 150 products stocks 60, not 150
    shapes = [(m.target, m.measure, round(m.value, 3)) for m in result.misses
              if m.measure in ("fanout_ks", "childless")]  # fmt: skip
    assert shapes == []
    for name, (passed, measured, misses) in _by_schema(result).items():
        assert measured and passed / measured >= PARITY_SHARE, (name, misses)


@pytest.mark.parametrize("db_url_pair", ["mysql"], indirect=True)
def test_set_columns_keep_combinations_empty_strings_and_nulls(db_url_pair) -> None:
    source, target = db_url_pair
    combos = [
        "Trailers",
        "Commentaries",
        "Trailers,Commentaries",
        "Deleted Scenes,Behind the Scenes",
        "Trailers,Commentaries,Deleted Scenes",
        "Trailers,Behind the Scenes",
    ]
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE film (id INT PRIMARY KEY, special_features SET('Trailers',"
            "'Commentaries','Deleted Scenes','Behind the Scenes'), doc JSON)"
        )
        rows = [{"id": i, "f": None if i % 20 == 0 else "" if i % 20 == 1 else
                 combos[(i * 7) % len(combos)], "d": f'{{"k": {i % 5}}}'}
                for i in range(1, 2001)]  # fmt: skip
        conn.execute(sa.text("INSERT INTO film VALUES (:id, :f, :d)"), rows)
    engine.dispose()
    profile = profile_database(source, progress=False)
    generate_database(profile, target, seed=2, progress=False)

    def shares(url: str) -> dict[str | None, int]:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT CAST(special_features AS CHAR), count(*) FROM film GROUP BY 1"
            ).all()
        engine.dispose()
        return {value: count for value, count in found}

    production, staging = shares(source), shares(target)
    assert set(staging) == set(production)  # 6 combinations, '' and NULL: no single members
    for value, count in production.items():
        assert abs(staging[value] - count) <= 0.01 * 2000, value
    result = verify_database(profile, target, source=source, progress=False)
    assert not result.misses, [(m.target, m.measure, m.value) for m in result.misses]


@pytest.mark.parametrize("db_url_pair", ["postgresql", "mysql"], indirect=True)
def test_star_schema_grows_three_times(db_url_pair: tuple[str, str]) -> None:
    """--scale 3 of the star schema: its small dimensions keep their rows, the facts triple
    (the snapshot stays within its combinations), 0 orphans, and verify finds no miss: the
    snapshot's FKs cannot all keep production's childless shares over fixed dimensions, so
    those shapes are named as not judged at this scale instead of failing."""
    source, target = db_url_pair
    build_corpus(source, ("star_",))
    profile = profile_database(source, progress=False)
    generate_database(profile, target, seed=8, scale=3.0, progress=False)
    before, after = _counts(source), _counts(target)
    for name in ("star_dim_date", "star_product", "star_store", "star_promotion"):
        assert after[name] == before[name], name
    assert after["star_sales"] == 3 * before["star_sales"]
    assert after["star_inventory"] == 3 * before["star_inventory"]
    assert {k: v for k, v in orphan_counts(target, ("star_",)).items() if v} == {}
    result = verify_database(profile, target, scale=3.0, progress=False)
    # bytes: InnoDB's allocation steps at 3x are the writers' measure (issue 11), not structure
    misses = [(m.target, m.measure, round(m.value, 3)) for m in result.misses]
    assert [miss for miss in misses if miss[1] != "bytes"] == []
    assert any("star_inventory.product_id: fanout_ks" in n for n in result.not_measured)
