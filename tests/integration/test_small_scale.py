"""Tiny --scale values squeeze junction tables against their keys: the load must still hold."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from paritygen.profile.io import read_profile
from paritygen.run.generate import generate_database

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"


@pytest.mark.parametrize("scale", [0.001, 0.01, 0.05])
def test_small_scales_keep_every_key(tmp_path: Path, scale: float) -> None:
    profile = read_profile(PROFILE)
    url = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    summary = generate_database(profile, url, scale=scale, seed=3, progress=False)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stock = conn.execute(sa.text("SELECT COUNT(*) FROM stock")).scalar_one()
        distinct = conn.execute(
            sa.text("SELECT COUNT(*) FROM (SELECT DISTINCT fk_warehouse, fk_product FROM stock)")
        ).scalar_one()
        products = conn.execute(sa.text("SELECT COUNT(*) FROM product_concrete")).scalar_one()
        warehouses = conn.execute(sa.text("SELECT COUNT(*) FROM warehouse")).scalar_one()
    engine.dispose()
    assert stock == distinct == summary.tables["stock"].rows
    assert stock <= products * warehouses
    expected = round(profile.table("stock").row_count * scale)
    assert stock == min(expected, products * warehouses)


def test_empty_parent_with_all_null_children(tmp_path: Path) -> None:
    """Real schemas have empty tables; a child pointing at one holds only NULL references."""
    from paritygen.profile.run import profile_database

    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text(
            "CREATE TABLE child (id INTEGER PRIMARY KEY,"
            " fk INTEGER REFERENCES parent(id), v TEXT)"
        ))  # fmt: skip
        conn.execute(sa.text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
            " INSERT INTO child SELECT i, NULL, 'x' || i FROM n"
        ))  # fmt: skip
    engine.dispose()
    target = f"sqlite:///{tmp_path / 'staging.sqlite'}"
    generate_database(profile_database(source, progress=False), target, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        rows, refs = conn.execute(sa.text("SELECT COUNT(*), COUNT(fk) FROM child")).one()
        parents = conn.execute(sa.text("SELECT COUNT(*) FROM parent")).scalar_one()
    engine.dispose()
    assert (rows, refs, parents) == (20, 0, 0)
