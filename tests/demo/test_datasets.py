"""The test-data helpers: Chinook lands complete in the fixture's own database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from datasets import CHINOOK_ROWS, CHINOOK_TABLES, chinook_script, load_chinook


def _rows_per_table(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(sa.table(name))
                ).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_load_chinook_into_the_fixture_database(
    dialect: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(
        {"sqlite": "sqlite_url", "postgresql": "pg_url", "mysql": "mysql_url"}[dialect]
    )
    rows = _rows_per_table(load_chinook(dialect, url))
    assert len(rows) == CHINOOK_TABLES
    assert sum(rows.values()) == CHINOOK_ROWS
    assert {name.lower().replace("_", ""): n for name, n in rows.items()}["invoiceline"] == 2240


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_chinook_script_never_leaves_the_fixture_database(dialect: str) -> None:
    script = chinook_script(dialect).upper()
    assert "CREATE DATABASE" not in script and "DROP DATABASE" not in script
    assert "\\C CHINOOK" not in script and "USE `CHINOOK`" not in script
    assert script.count("INSERT INTO") == 24
