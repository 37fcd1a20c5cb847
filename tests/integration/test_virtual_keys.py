"""Keys production never declared: inferred from a copy without FKs, then used end to end.

For each foreign-looking schema (TPC-H naming, a Rails shop with polymorphic comments, a
multi-tenant SaaS) on PostgreSQL and MariaDB: the schema is built with its FKs and copied without
them (same rows). ``--infer-keys`` on the copy must recover the declared FKs (precision and recall
>= 95 %), the polymorphic association and the undeclared primary key; staging generated from the
inferred profile must match staging generated from the declared schema on every fan-out measure,
checked by SQL written here (not by paritygen's verify): 0 orphans on the original FKs, children
per parent (zeros included) within the KS bar and the same childless share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import new_database
from keyless_schemas import SCHEMAS, Schema, build

from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

SHARE = 0.95
"""Precision, recall and fan-out pass share required (the issue's bar)."""
FANOUT_KS = 0.05
CHILDLESS = 0.05


@pytest.fixture(params=["postgresql", "mysql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Four fresh databases of one kind: declared, bare copy, and a staging for each."""
    names = ("declared", "bare", "stage_declared", "stage_inferred")
    makers = {}
    for name in names:
        (tmp_path / name).mkdir()
        makers[name] = new_database(request.param, tmp_path / name)
    yield {name: next(maker) for name, maker in makers.items()}
    for maker in makers.values():
        next(maker, None)


def _children_per_parent(url: str, fk: tuple[str, str, str, str], where: str = "") -> np.ndarray:
    """Children of every parent row, zeros included, by SQL (the independent checker)."""
    child, column, parent, ref = fk
    engine = sa.create_engine(url)
    prep = engine.dialect.identifier_preparer
    q = prep.quote
    sql = (
        f"SELECT count(c.{q(column)}) FROM {q(parent)} p LEFT JOIN {q(child)} c"
        f" ON c.{q(column)} = p.{q(ref)}{where} GROUP BY p.{q(ref)}"
    )
    try:
        with engine.connect() as conn:
            return np.asarray([r[0] for r in conn.execute(sa.text(sql))], dtype=np.int64)
    finally:
        engine.dispose()


def _orphans(url: str, fk: tuple[str, str, str, str], where: str = "") -> int:
    child, column, parent, ref = fk
    engine = sa.create_engine(url)
    q = engine.dialect.identifier_preparer.quote
    sql = (
        f"SELECT count(*) FROM {q(child)} c WHERE c.{q(column)} IS NOT NULL{where} AND NOT EXISTS"
        f" (SELECT 1 FROM {q(parent)} p WHERE p.{q(ref)} = c.{q(column)})"
    )
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar())
    finally:
        engine.dispose()


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / max(a.size, 1)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / max(b.size, 1)
    return float(np.abs(cdf_a - cdf_b).max()) if grid.size else 0.0


def _fanout_agrees(a: np.ndarray, b: np.ndarray) -> bool:
    childless = abs(float((a == 0).mean()) - float((b == 0).mean())) if a.size and b.size else 0
    return _ks(a, b) <= FANOUT_KS and childless <= CHILDLESS


@pytest.mark.parametrize("schema_name", sorted(SCHEMAS))
def test_inferred_keys_recover_declared_ones(databases: dict[str, str], schema_name: str) -> None:
    schema: Schema = SCHEMAS[schema_name](np.random.default_rng(11))
    build(schema, databases["declared"], declared=True)
    build(schema, databases["bare"], declared=False)
    notes: list[str] = []
    inferred = profile_database(databases["bare"], infer_keys=True, notes=notes, progress=False)
    declared = profile_database(databases["declared"], progress=False)

    # Precision and recall of the inferred (unconditional) FKs against the declared ones.
    truth = schema.foreign_keys()
    found = {
        (name, fk.columns[0], fk.ref_table, fk.ref_columns[0])
        for name, table in inferred.tables.items()
        for fk in table.foreign_keys
        if fk.condition is None
    }
    assert all(
        fk.virtual for t in inferred.tables.values() for fk in t.foreign_keys
    ), "the bare copy declares no FK: every FK in its profile is inferred"
    hits = len(truth & found)
    precision, recall = hits / max(len(found), 1), hits / len(truth)
    print(f"{schema_name}: {len(truth)} FKs, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= SHARE and recall >= SHARE, (truth - found, found - truth)
    # Every proposal is in rules: with its evidence, and was said on the notes channel.
    proposed = [fk for r in inferred.rules.tables.values() for fk in r.foreign_keys]
    assert all(fk.inferred and fk.inferred.match_share >= 0.99 for fk in proposed)
    assert sum("inferred foreign key" in n for n in notes) == len(proposed)
    for table, column, type_column, value, parent in schema.polymorphic:
        fk = next(
            fk for fk in inferred.tables[table].foreign_keys
            if fk.condition is not None and fk.condition.equals == value
        )  # fmt: skip
        assert (fk.columns, fk.ref_table, fk.condition.column) == ((column,), parent, type_column)
        assert fk.fanout is not None and fk.fanout.child_rows > 0
    for table in schema.keyless:
        has_key_like = table == "legacy_coupons"
        assert bool(inferred.tables[table].primary_key) == has_key_like, table

    # Staging from each profile, same seed; the independent checker compares them.
    generate_database(declared, databases["stage_declared"], seed=3)
    generate_database(inferred, databases["stage_inferred"], seed=3)
    agree = 0
    for fk in sorted(truth):
        assert _orphans(databases["stage_inferred"], fk) == 0, fk
        inferred_counts = _children_per_parent(databases["stage_inferred"], fk)
        declared_counts = _children_per_parent(databases["stage_declared"], fk)
        agree += _fanout_agrees(inferred_counts, declared_counts)
    share = agree / len(truth)
    print(f"{schema_name}: fan-out agrees on {agree} of {len(truth)} FKs ({share:.0%})")
    assert share >= SHARE
    for table, column, type_column, value, parent in schema.polymorphic:
        fk = (table, column, parent, "id")
        where = f" AND c.{type_column} = '{value}'"  # the test's own constant
        assert _orphans(databases["stage_inferred"], fk, where) == 0
        production = _children_per_parent(databases["bare"], fk, where)
        staging = _children_per_parent(databases["stage_inferred"], fk, where)
        assert staging.sum() == production.sum()  # each type keeps its rows exactly
        assert _fanout_agrees(production, staging), (value, _ks(production, staging))

    # Virtual keys create no constraint in staging.
    engine = sa.create_engine(databases["stage_inferred"])
    try:
        inspector = sa.inspect(engine)
        assert not any(inspector.get_foreign_keys(t) for t in inspector.get_table_names())
        if "legacy_coupons" in inferred.tables:
            pk = inspector.get_pk_constraint("legacy_coupons")["constrained_columns"]
            assert not pk
            with engine.connect() as conn:
                rows, distinct = conn.execute(
                    sa.text("SELECT count(*), count(DISTINCT coupon_id) FROM legacy_coupons")
                ).one()
            assert rows == distinct == len(schema.rows["legacy_coupons"])
    finally:
        engine.dispose()


def _ks_bar(parents: int) -> float:
    """The fan-out bar, widened for few parents as verify widens it (a KS distance between
    two samples of n parents moves in steps of 1/n): 1.36 * sqrt(2 / n), at least 0.05."""
    return max(FANOUT_KS, 1.36 * (2.0 / max(parents, 1)) ** 0.5)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_chinook_with_its_fks_dropped(dialect: str, tmp_path: Path) -> None:
    """A schema nobody here wrote: Chinook (snake_case on PostgreSQL, CamelCase on MariaDB)
    profiled with its FKs, then with every FK constraint dropped and the keys inferred; staging
    from each profile. Inference must lose nothing: 0 orphans on the original FKs and the same
    fan-out as staging from the declared schema. (Against production itself, the junction
    playlist_track's track side misses the KS bar by a hair from the declared schema too: a
    generation matter, printed, not inference's.)"""
    from datasets import load_chinook

    makers = [new_database(dialect, tmp_path / str(i)) for i in range(3)]
    for i in range(3):
        (tmp_path / str(i)).mkdir()
    production, stage_declared, stage_inferred = (next(m) for m in makers)
    try:
        load_chinook(dialect, production)
        declared = profile_database(production, progress=False)
        engine = sa.create_engine(production)
        inspector = sa.inspect(engine)
        truth, drops = set(), []
        q = engine.dialect.identifier_preparer.quote
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                truth.add((table, fk["constrained_columns"][0], fk["referred_table"],
                           fk["referred_columns"][0]))  # fmt: skip
                verb = "FOREIGN KEY" if dialect == "mysql" else "CONSTRAINT"
                drops.append(f"ALTER TABLE {q(table)} DROP {verb} {q(fk['name'])}")
        with engine.begin() as conn:
            for drop in drops:
                conn.exec_driver_sql(drop)
        engine.dispose()
        assert len(truth) == 11
        inferred = profile_database(production, infer_keys=True, progress=False)
        found = {
            (name, fk.columns[0], fk.ref_table, fk.ref_columns[0])
            for name, table in inferred.tables.items()
            for fk in table.foreign_keys
        }
        hits = len(truth & found)
        precision, recall = hits / max(len(found), 1), hits / len(truth)
        print(f"chinook {dialect}: precision {precision:.3f}, recall {recall:.3f}")
        assert precision >= SHARE and recall >= SHARE, (truth - found, found - truth)
        generate_database(declared, stage_declared, seed=5)
        generate_database(inferred, stage_inferred, seed=5)
        agree = within = 0
        for fk in sorted(truth):
            assert _orphans(stage_inferred, fk) == 0, fk
            want = _children_per_parent(production, fk)
            got = _children_per_parent(stage_inferred, fk)
            agree += _fanout_agrees(got, _children_per_parent(stage_declared, fk))
            childless = abs(float((want == 0).mean()) - float((got == 0).mean()))
            within += _ks(want, got) <= _ks_bar(want.size) and childless <= CHILDLESS
        print(f"chinook {dialect}: fan-out as from the declared schema on {agree} of"
              f" {len(truth)} FKs; within the bars against production on {within}")  # fmt: skip
        assert agree / len(truth) >= SHARE
    finally:
        for maker in makers:
            next(maker, None)
