"""writers/expressions.py: profile text parsed, checked against an allow-list, re-rendered."""

from __future__ import annotations

import pytest

from paritygen.writers.expressions import Dropped, safe_expression

COLUMNS = {"status": "status", "age": "age", "email": "email", "doc": "doc"}


@pytest.mark.parametrize(
    "text",
    ["'x'); CREATE TABLE pwned(i int); --",
     "CURRENT_TIMESTAMP); DROP TABLE accounts; --",
     "1; DROP TABLE x",
     "(SELECT count(*) FROM users)",
     "pg_sleep(10) IS NULL",
     "other.age > 1",
     "nobody > 1",
     "lo_import('/etc/passwd') > 0"],
)  # fmt: skip
@pytest.mark.parametrize("target", ["postgresql", "mysql", "sqlite"])
def test_hostile_text_is_dropped(text: str, target: str) -> None:
    with pytest.raises(Dropped):
        safe_expression(text, "postgresql", target, columns=COLUMNS)


def test_a_default_cannot_read_a_column() -> None:
    with pytest.raises(Dropped, match="cannot read a column"):
        safe_expression("age + 1", "postgresql", "postgresql")


@pytest.mark.parametrize(
    ("text", "source", "target", "expected"),
    [("((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
      "postgresql", "mysql",
      "(CAST((`status`) AS CHAR) IN (CAST('a' AS CHAR), CAST('b' AS CHAR)))"),
     ("(status)::text <> ALL (ARRAY['x'::text])", "postgresql", "sqlite",
      'NOT CAST(("status") AS TEXT) IN (CAST(\'x\' AS TEXT))'),
     ("`age` >= 18", "mysql", "postgresql", '"age" >= 18'),
     ("(age >= 18)", "postgresql", "sqlite", '("age" >= 18)'),
     ("now()", "postgresql", "mysql", "CURRENT_TIMESTAMP()"),
     ("'it''s'", "mysql", "postgresql", "'it''s'"),
     ("json_valid(`doc`)", "mysql", "mysql", "JSON_VALID(`doc`)"),
     ("status ~ '^[A-Z]'", "postgresql", "postgresql", '"status" ~ \'^[A-Z]\'')],
)  # fmt: skip
def test_rendered_for_the_target(text: str, source: str, target: str, expected: str) -> None:
    assert safe_expression(text, source, target, columns=COLUMNS) == expected


def test_source_only_constructs_stay_home() -> None:
    with pytest.raises(Dropped):  # a regular expression has no faithful MariaDB / SQLite twin
        safe_expression("status ~ '^[A-Z]'", "postgresql", "mysql", columns=COLUMNS)


def test_column_names_are_mapped_and_quoted() -> None:
    out = safe_expression("AGE > 1", "postgresql", "postgresql", columns={"age": "Age Years"})
    assert out == '"Age Years" > 1'
