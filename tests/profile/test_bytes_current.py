"""Table sizes must be current right after a bulk load, not the catalog's stale estimate."""

import sqlalchemy as sa

from paritygen.profile.run import profile_database


def test_mysql_bytes_do_not_wait_for_analyze(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("SET SESSION max_recursive_iterations = 100000"))
        conn.execute(sa.text("CREATE TABLE `wide-t` (id INT PRIMARY KEY, body VARCHAR(200))"))
        conn.execute(
            sa.text(
                "INSERT INTO `wide-t` WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                " FROM n WHERE i < 60000) SELECT i, REPEAT('x', 150) FROM n"
            )
        )
    before = profile_database(mysql_url, progress=False).tables["wide-t"]
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE TABLE `wide-t`")).fetchall()
    after = profile_database(mysql_url, progress=False).tables["wide-t"]
    engine.dispose()
    size_before = before.data_bytes + (before.index_bytes or 0)
    size_after = after.data_bytes + (after.index_bytes or 0)
    assert size_after > 60000 * 150  # the payload alone is 9 MB
    assert abs(size_before / size_after - 1.0) <= 0.2
