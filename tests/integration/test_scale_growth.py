"""Scale that means growth, on Chinook: at --scale 3 three times the customers and invoices
with production's fan-out shape, lookups unchanged; at --scale 0.5 a tree that keeps its roots;
verify judges shapes at any scale."""

from __future__ import annotations

import sqlite3

import pytest

from paritygen.profile.model import Rules, TableRule
from paritygen.profile.run import profile_database
from paritygen.profile.volume import detected_lookups
from paritygen.run.generate import generate_database
from paritygen.verify.compare import verify_database

SHAPE_MEASURES = {"rows", "fanout_ks", "childless", "ks", "null_fraction", "tv"}
"""Measures a scaled run must meet everywhere; ``distinct`` of free-text columns at other volumes
is value generation's affair (issue 9)."""


def _query(path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _generated(chinook_sqlite, tmp_path, scale: float, **options):
    profile = profile_database(f"sqlite:///{chinook_sqlite}", progress=False)
    target = tmp_path / f"staging_{scale}.sqlite"
    generate_database(profile, f"sqlite:///{target}", seed=3, scale=scale, progress=False,
                      **options)  # fmt: skip
    return profile, target


def _shape_misses(result) -> list[tuple[str, str, float]]:
    return [
        (m.target, m.measure, round(m.value, 3))
        for m in result.misses
        if m.measure in SHAPE_MEASURES
    ]


def test_lookups_are_detected(chinook_sqlite) -> None:
    profile = profile_database(f"sqlite:///{chinook_sqlite}", progress=False)
    assert detected_lookups(profile) == {"Genre", "MediaType", "Playlist"}


def test_scale_one_passes_every_measure(chinook_sqlite, tmp_path) -> None:
    """Chinook at --scale 1 passes verify whole (the scheduled job's exit 0): the dense
    junction PlaylistTrack keeps each track's 2-5 playlists (fan-out KS was 0.06)."""
    profile, target = _generated(chinook_sqlite, tmp_path, 1.0)
    result = verify_database(profile, f"sqlite:///{target}", progress=False)
    assert [(m.target, m.measure, round(m.value, 3)) for m in result.misses] == []
    spread = _query(target, (
        "SELECT min(n), max(n) FROM (SELECT t.TrackId, count(p.TrackId) AS n FROM Track t"
        " LEFT JOIN PlaylistTrack p ON p.TrackId = t.TrackId GROUP BY 1)"
    ))  # fmt: skip
    assert spread == [(2, 5)]


def test_scale_three_grows_the_business_not_the_lookups(chinook_sqlite, tmp_path) -> None:
    profile, target = _generated(chinook_sqlite, tmp_path, 3.0)
    _, once = _generated(chinook_sqlite, tmp_path, 1.0)
    assert _query(target, "SELECT count(*) FROM Customer") == [(177,)]
    for lookup in ("Genre", "MediaType"):  # same rows, same values as at scale 1
        sql = f"SELECT * FROM {lookup} ORDER BY 1"
        assert _query(target, sql) == _query(once, sql)
        assert len(_query(target, sql)) == profile.table(lookup).row_count
    childless, heaviest = _query(target, (
        "SELECT sum(n = 0), max(n) FROM (SELECT c.CustomerId, count(i.InvoiceId) AS n"
        " FROM Customer c LEFT JOIN Invoice i ON i.CustomerId = c.CustomerId GROUP BY 1)"
    ))[0]  # fmt: skip
    fanout = profile.table("Invoice").foreign_keys[0].fanout
    assert childless == round(fanout.childless_fraction * 177)  # every customer buys
    assert heaviest <= fanout.max  # 7 invoices at most, as in production (not 21)
    # the invoices spread over the whole scaled customer range, not the first 59 ids
    assert _query(target, "SELECT count(DISTINCT CustomerId) FROM Invoice") == [(177,)]
    result = verify_database(profile, f"sqlite:///{target}", scale=3.0, progress=False)
    assert not _shape_misses(result)
    assert result.counts()["passed"] / result.counts()["measures"] >= 0.97


def test_scale_lookups_opts_in_and_rules_override(chinook_sqlite, tmp_path) -> None:
    profile, target = _generated(chinook_sqlite, tmp_path, 2.0, scale_lookups=True)
    assert _query(target, "SELECT count(*) FROM Genre") == [(50,)]
    ruled = profile.__class__(
        format=profile.format, source=profile.source, tables=profile.tables,
        settings=profile.settings,
        rules=Rules(tables={"Genre": TableRule(lookup=False), "Artist": TableRule(lookup=True)}),
    )  # fmt: skip
    assert detected_lookups(ruled) == {"Genre", "MediaType", "Playlist"}  # detection unchanged
    target = tmp_path / "ruled.sqlite"
    generate_database(ruled, f"sqlite:///{target}", seed=3, scale=2.0, progress=False)
    assert _query(target, "SELECT count(*) FROM Genre") == [(50,)]  # lookup: false scales it
    assert _query(target, "SELECT count(*) FROM Artist") == [(275,)]
    assert _query(target, "SELECT count(*) FROM MediaType") == [(5,)]
    assert _query(target, "SELECT count(*) FROM Customer") == [(118,)]


@pytest.mark.parametrize("scale", [0.5, 0.25])
def test_scaled_down_tree_keeps_roots_and_verify_judges_shapes(
    chinook_sqlite, tmp_path, scale: float
) -> None:
    profile, target = _generated(chinook_sqlite, tmp_path, scale)
    rows, roots, own = _query(target, (
        "SELECT count(*), sum(ReportsTo IS NULL), sum(ReportsTo = EmployeeId) FROM Employee"
    ))[0]  # fmt: skip
    assert rows == max(1, round(8 * scale)) and roots >= 1 and own == 0
    result = verify_database(profile, f"sqlite:///{target}", scale=scale, progress=False)
    assert not _shape_misses(result)
    one_value = {
        f"{t.name}.{c.name}"
        for t in profile.tables.values()
        for c in t.columns.values()
        if c.stats is not None and c.stats.distinct_count == 1
    }
    assert one_value and not [m for m in result.misses if m.target in one_value]
