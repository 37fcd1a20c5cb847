"""Children keyed under their parent (an order line's ``(order_id, line_no)``) come out in key
order, as production inserts them with their parent; other children stay spread."""

from pathlib import Path

import sqlalchemy as sa

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database


def _decreasing_steps(conn: sa.Connection, table: str, column: str) -> int:
    """Rows whose *column* is smaller than the row inserted before it (SQLite's rowid)."""
    return conn.execute(sa.text(
        f"SELECT COUNT(*) FROM (SELECT {column} - LAG({column}) OVER (ORDER BY rowid) AS d"
        f" FROM {table}) WHERE d < 0"
    )).scalar_one()  # fmt: skip


def test_children_keyed_under_their_parent_load_in_key_order(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE orders (id INTEGER PRIMARY KEY, placed TEXT)"))
        conn.execute(sa.text(
            "CREATE TABLE order_line (order_id INTEGER NOT NULL REFERENCES orders(id),"
            " line_no INTEGER NOT NULL, qty INTEGER, PRIMARY KEY (order_id, line_no))"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TABLE review (id INTEGER PRIMARY KEY,"
            " order_id INTEGER NOT NULL REFERENCES orders(id), stars INTEGER)"
        ))  # fmt: skip
        conn.execute(sa.text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
            " INSERT INTO orders SELECT i, date('2024-01-01', '+' || (i / 10) || ' days') FROM n"
        ))  # fmt: skip
        conn.execute(sa.text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)"
            " INSERT INTO order_line SELECT o.id, n.i, (o.id * n.i) % 5 + 1 FROM orders o, n"
            " WHERE n.i <= 1 + (o.id * 7919) % 7 ORDER BY o.id, n.i"
        ))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO review SELECT id, (id * 7919) % 3000 + 1, id % 5 + 1 FROM orders"
            " WHERE id % 3 = 0"
        ))  # fmt: skip
    engine.dispose()
    profile = profile_database(source, progress=False)
    target = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    generate_database(profile, target, seed=5, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        lines = conn.execute(sa.text("SELECT COUNT(*) FROM order_line")).scalar_one()
        in_order = _decreasing_steps(conn, "order_line", "order_id")
        spread = _decreasing_steps(conn, "review", "order_id")
        reviews = conn.execute(sa.text("SELECT COUNT(*) FROM review")).scalar_one()
    engine.dispose()
    assert lines == profile.table("order_line").row_count
    assert in_order == 0
    # A review's order is not part of its key: reviews stay spread over the orders.
    assert spread > reviews // 4
