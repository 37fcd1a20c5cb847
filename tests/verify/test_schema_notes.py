"""Staging's schema against production's: one line per difference a load test would feel."""

from __future__ import annotations

import dataclasses

from paritygen.profile.model import Column, Index, Profile, Source, Table
from paritygen.verify.report import build_report, render_md
from paritygen.verify.result import ParityResult
from paritygen.verify.schema_notes import schema_differences


def _profile(
    dialect: str, tags_type: str, kind: str | None, not_carried: tuple[str, ...]
) -> Profile:
    columns = {
        "id": Column(name="id", logical_type="integer", sql_type="integer", nullable=False),
        "tags": Column(name="tags", logical_type="text", sql_type=tags_type, nullable=True,
                       value_kind="array" if tags_type.endswith("[]") else None),
    }  # fmt: skip
    table = Table(
        name="doc", columns=columns, primary_key=("id",),
        indexes=(Index(columns=("tags",), name="doc_tags", kind=kind),
                 Index(name="doc_lower", expressions=("lower(tags)",))),
    )  # fmt: skip
    return Profile(format="paritygen/1", source=Source(dialect=dialect), tables={"doc": table},
                   not_carried=not_carried)  # fmt: skip


def test_differences_named_once_each() -> None:
    production = _profile("postgresql", "text[]", "gin", ("view recent", "trigger t on doc"))
    staging = _profile("mysql", "text", None, ())
    staging = dataclasses.replace(staging, tables={"doc": dataclasses.replace(
        staging.tables["doc"], indexes=staging.tables["doc"].indexes[:1])})  # fmt: skip
    found = schema_differences(production, staging)
    assert found == [
        "view recent: in production, not in staging",
        "trigger t on doc: in production, not in staging",
        "doc: index doc_tags is gin in production, btree in staging",
        "doc: index doc_lower in production, not in staging",
        "doc.tags: text[] in production, text in staging",
    ]
    assert schema_differences(production, production) == []


def test_reports_carry_them() -> None:
    production = _profile("postgresql", "text[]", "gin", ("view recent",))
    alone = build_report(production)
    assert alone["schema"] == {"not_carried": ["view recent"], "differences": None}
    assert "- view recent" in render_md(alone)
    parity = ParityResult(measures=[], schema=["view recent: in production, not in staging"])
    with_target = build_report(production, parity)
    assert with_target["schema"]["differences"] == ["view recent: in production, not in staging"]
    assert with_target["parity"]["schema"] == with_target["schema"]["differences"]
    assert "## Schema (not a measure)" in render_md(with_target)
