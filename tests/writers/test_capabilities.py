"""The write side's layout: one module per database, generic modules that name none.

A new database must be one module plus its registration; these tests hold the generic modules to
that (no database name in them, every capability read somewhere) and show a third-party database
taking effect through its capabilities alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa

from paritygen.profile.model import Column, Profile, Source, Table
from paritygen.registry import writers
from paritygen.writers.base import SqlAlchemyWriter, open_writer
from paritygen.writers.capabilities import GENERIC, Capabilities, capabilities, family
from paritygen.writers.schema import build_metadata
from paritygen.writers.sqltypes import TypeContext, TypeMapper

WRITERS = Path(__file__).resolve().parents[2] / "paritygen" / "writers"
GENERIC_MODULES = (
    "schema.py",
    "finish.py",
    "held.py",
    "sqltypes.py",
    "schema_diff.py",
    "inspect.py",
    "schema_tool.py",
    "index_exprs.py",
)
DATABASE_NAMES = re.compile(r"postgres|mysql|maria|sqlite|innodb|\bpg_", re.IGNORECASE)


@pytest.mark.parametrize("module", GENERIC_MODULES)
def test_generic_modules_name_no_database(module: str) -> None:
    text = (WRITERS / module).read_text()
    found = sorted({m.group(0) for m in DATABASE_NAMES.finditer(text)})
    assert not found, f"{module} names a database: {found}"


def test_every_capability_is_read_by_a_generic_module() -> None:
    readers = "".join(
        (WRITERS / m).read_text() for m in (*GENERIC_MODULES, "base.py", "capabilities.py")
    )
    unread = [
        f.name
        for f in dataclasses.fields(Capabilities)
        if not re.search(rf"\.{f.name}\b", readers.replace(f"    {f.name}:", ""))
    ]
    assert not unread


def test_one_registry_entry_and_one_frozen_capabilities_per_writer() -> None:
    from paritygen.writers import load_builtin

    load_builtin()  # built-ins register on demand; this test wants all of them
    classes = {name: writers.get(name) for name in writers}
    assert {"generic", "postgresql", "mysql", "sqlite"} <= set(classes)
    families = [cls.caps.family for cls in classes.values()]
    assert len(families) == len(set(families)), "two writers claim one database"
    for cls in classes.values():
        assert dataclasses.is_dataclass(cls.caps)
        with pytest.raises(dataclasses.FrozenInstanceError):
            cls.caps.bulk_path = "x"  # type: ignore[misc]
    assert capabilities("mariadb") is capabilities("MySQL") is writers.get("mysql").caps
    assert family("postgres") == "postgresql"
    unknown = capabilities("somedb")
    assert unknown.family == "somedb" and unknown.deferred == GENERIC.deferred


class _UpperTypes(TypeMapper):
    def text(self, ctx: TypeContext) -> sa.types.TypeEngine:
        return sa.String(4000)


class _FakeWriter(SqlAlchemyWriter):
    caps: ClassVar[Capabilities] = Capabilities(
        family="fakedb",
        aliases=("fake",),
        display_name="FakeDB",
        types=_UpperTypes(),
        max_identifier_length=10,
        constraints_after_load=True,
        deferred=frozenset({"index"}),
    )


@pytest.fixture
def fake_database() -> Iterator[type]:
    writers.register("fakedb")(_FakeWriter)
    try:
        yield _FakeWriter
    finally:
        writers._items.pop("fakedb", None)


def test_a_new_database_is_a_module_and_its_registration(fake_database: type) -> None:
    """Registered capabilities alone change names, types and the writer picked."""
    table = Table(
        name="a_rather_long_table_name",
        columns={
            "id": Column(name="id", logical_type="integer", sql_type="integer", nullable=False),
            "note": Column(name="note", logical_type="text", sql_type="text"),
        },
        primary_key=("id",),
    )
    profile = Profile(
        format="paritygen/1", source=Source(dialect="sqlite"), tables={table.name: table}
    )
    metadata = build_metadata(profile, None, "fake")
    (made,) = metadata.tables.values()
    assert len(made.name) <= 10
    assert isinstance(made.c["note"].type, sa.String) and made.c["note"].type.length == 4000
    engine = sa.create_engine("sqlite://")
    assert type(open_writer(engine)).__name__ == "SQLiteWriter"
    assert capabilities("fake") is fake_database.caps
