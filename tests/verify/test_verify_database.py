"""verify on real databases: a faithful copy passes; each damage is named by table and column."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from paritygen.db import make_engine
from paritygen.profile.run import profile_database
from paritygen.verify.compare import verify_database

from .shop import ORDERS, build_source, copy_database, damage, refresh_sizes

EXPECTED = {
    ("audit_log", None, "rows"),
    ("orders", "amount", "ks"),
    ("orders", "customer_id", "orphans"),
    ("products", "category", "null_fraction"),
    ("customers", "email", "duplicates"),
}
# A damaged table's size may legitimately move too: a PostgreSQL UPDATE leaves dead tuples (the
# table really is bigger), a dropped unique index really is gone.
SIDE_EFFECTS = {(t, None, "bytes") for t, _, _ in EXPECTED}


def test_faithful_copy_passes_and_damages_are_named(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    build_source(source)
    copy_database(source, target)
    refresh_sizes(source)
    refresh_sizes(target)
    production = profile_database(source, progress=False)
    assert production.tables["orders"].row_count == ORDERS

    result = verify_database(production, target, progress=False)
    misses = [(x.target, x.measure, x.detail) for x in result.misses]
    assert result.passed, misses
    kinds = {x.measure for x in result.measures}
    # Every family of measure was taken (bytes only where the database reports sizes).
    assert {
        "rows",
        "null_fraction",
        "ks",
        "length_ks",
        "tv",
        "distinct",
        "fanout_ks",
        "childless",
        "orphans",
        "duplicates",
        "not_null",
        "check",
    } <= kinds
    checks = [x for x in result.measures if x.measure == "check"]
    assert {x.column for x in checks} == {"price", "quantity"}

    damage(target)
    damaged = verify_database(production, target, progress=False)
    assert not damaged.passed
    found = {(x.table, x.column, x.measure) for x in damaged.misses}
    assert found >= EXPECTED, sorted(found, key=str)
    # No miss anywhere else: each damage is named where it was made and nowhere else.
    places = {(t, c) for t, c, _ in EXPECTED}
    stray = {f for f in found - EXPECTED - SIDE_EFFECTS if (f[0], f[1]) not in places}
    assert not stray, stray
    # Independent SQL agrees with the counts verify reports.
    engine = make_engine(target)
    with engine.connect() as conn:
        orphans = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
                " WHERE c.id IS NULL"
            )
        ).scalar()
        audit_rows = conn.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar()
    engine.dispose()
    by_key = {(x.table, x.column, x.measure): x for x in damaged.measures}
    assert by_key[("orders", "customer_id", "orphans")].value == orphans == 1
    assert by_key[("customers", "email", "duplicates")].value == 1
    assert by_key[("audit_log", None, "rows")].observed == audit_rows == 3960
    assert by_key[("products", "category", "null_fraction")].observed >= 0.19
    # With the source: the copy's e-mails and rows are production's own (looked up in batches).
    leaks = verify_database(production, target, source=source, progress=False)
    by_key = {(x.table, x.column, x.measure): x for x in leaks.measures}
    email = by_key[("customers", "email", "pii_leak")]
    assert not email.passed and email.value == 2999  # 3000 e-mails, one duplicated by damage 5
    assert by_key[("audit_log", None, "row_copies")].value > 0.99
    assert by_key[("orders", None, "row_copies")].value == 0  # every amount was shifted
    # Worst first: the ordering the CLI prints.
    excesses = [x.excess for x in damaged.misses]
    assert excesses == sorted(excesses, reverse=True)


def test_chinook_copy_passes_and_damages_are_named(chinook_sqlite, tmp_path) -> None:
    """A production-shaped database nobody here wrote (Chinook), copied file for file."""
    staging = tmp_path / "staging.sqlite"
    shutil.copyfile(chinook_sqlite, staging)
    production = profile_database(f"sqlite:///{chinook_sqlite}", progress=False)
    target = f"sqlite:///{staging}"
    assert verify_database(production, target, progress=False).passed
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE Track SET Milliseconds = Milliseconds * 1.3"))
        conn.execute(sa.text("DELETE FROM PlaylistTrack WHERE PlaylistId = 1 AND TrackId < 100"))
        conn.execute(sa.text("UPDATE Customer SET State = NULL WHERE CustomerId % 4 = 0"))
        conn.execute(sa.text("INSERT INTO InvoiceLine VALUES (99999, 1, 99999, 0.99, 1)"))
    engine.dispose()
    found = {(x.table, x.column, x.measure) for x in verify_database(production, target).misses}
    assert {
        ("Track", "Milliseconds", "ks"),
        ("PlaylistTrack", None, "rows"),
        ("Customer", "State", "null_fraction"),
        ("InvoiceLine", "TrackId", "orphans"),
    } <= found, found
