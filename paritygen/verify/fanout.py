"""Fan-out measures: children per parent (zeros included) and the childless share per FK,
judged against production's counts under the scale's rule (the rule generate follows):
multiplied by the planned change of the mean fan-out, capped at the combinations a key made
of FKs allows, and not judged where a key's FKs cannot all keep their shapes at this scale."""

from __future__ import annotations

import math

import numpy as np

from paritygen.errors import ConfigError
from paritygen.profile.capacity import fanout_cap, key_foreign_keys
from paritygen.profile.fanout_shape import fanout_counts
from paritygen.profile.model import FanoutStats, ForeignKey, Profile, Table
from paritygen.profile.volume import capped_fanout, thinned_childless
from paritygen.verify import measures as m
from paritygen.verify.result import Collector


def fanout_measures(
    out: Collector, profile: Profile, table: Table, staging: Table, counts: dict[str, int]
) -> None:
    """Fan-out shape and childless share per FK. Under ``--scale`` production's counts are
    multiplied by the planned change of the mean fan-out (1 when parents and children grow
    alike; F under a lookup that keeps its rows), the rule generate follows."""
    staged = {(fk.columns, fk.ref_table, fk.condition): fk for fk in staging.foreign_keys}
    crowded = crowded_key_fks(profile, table, counts)
    for fk in table.foreign_keys:
        if fk.fanout is None:
            continue
        column = ",".join(fk.columns)
        if id(fk) in crowded:
            out.skip(table.name, column, "fanout_ks", crowded[id(fk)])
            out.skip(table.name, column, "childless", crowded[id(fk)])
            continue
        other = staged.get((fk.columns, fk.ref_table, fk.condition))
        if other is None or other.fanout is None:
            out.skip(table.name, column, "fanout_ks", "no fan-out measured in the target")
            continue
        a, b = fk.fanout, other.fanout
        growth = fanout_growth(profile, table, fk.ref_table, counts)
        childless = thinned_childless(a.quantiles, a.childless_fraction, growth)
        cap = fanout_cap(table, fk, counts)
        expected = fanout_cdf(a, growth, cap)
        planned = _planned_counts(table, fk, counts, cap) if growth != 1.0 else None
        if planned is not None:  # scaled: the very counts generate deals (mean kept exactly)
            expected = _counts_cdf(planned, len(a.quantiles))
        distance = m.ks_distance(expected, fanout_cdf(b))
        noise = m.ks_critical(a.parent_rows, b.parent_rows, out.tolerances.ks_noise)
        out.add(
            table.name,
            column,
            "fanout_ks",
            distance,
            floor=noise,
            detail=f"children per {fk.ref_table} row: mean {b.mean:.2f}, max {b.max}"
            f" (production mean {a.mean * growth:.2f}, max {a.max * growth:.0f})"
            + (f"; the key's combinations allow {cap}" if cap and a.max * growth > cap else ""),
        )
        out.add(
            table.name,
            column,
            "childless",
            abs(childless - b.childless_fraction),
            floor=m.share_resolution(b.parent_rows, a.parent_rows),
            expected=childless,
            observed=b.childless_fraction,
            detail=f"{b.childless_fraction:.1%} of {fk.ref_table} rows childless,"
            f" production {childless:.1%}",
        )


def _planned_counts(
    table: Table, fk: ForeignKey, counts: dict[str, int], cap: int | None
) -> np.ndarray | None:
    """Children per parent that generate plans for *fk* at this scale (production's shape
    with every count times the change of the mean, whole counts summing to the planned
    children: rounding 0.5 and 1.5 up alone would promise more children than there are)."""
    stats = fk.fanout
    parents = counts.get(fk.ref_table, 0)
    if stats is None or fk.ref_table == table.name or not parents:
        return None
    rows = counts.get(table.name, table.row_count)
    children = rows - round(rows * stats.null_fraction)
    try:
        return fanout_counts(stats, parents, children, cap or None)
    except ConfigError:
        return None


def _counts_cdf(planned: np.ndarray, points: int) -> m.CDF:
    """The CDF of whole counts, at the nearest-rank quantiles the profiler keeps."""
    ordered = np.sort(planned)
    positions = np.rint(np.linspace(0, ordered.size - 1, max(points, 2))).astype(np.int64)
    return m.QuantileCDF.from_quantiles([float(q) for q in ordered[positions]])


def crowded_key_fks(profile: Profile, table: Table, counts: dict[str, int]) -> dict[int, str]:
    """FKs (by ``id``) of a key made only of FKs whose production shapes cannot all hold at this
    scale, with the reason: the parents that keep children at production's childless shares
    give fewer combinations than the planned rows (a snapshot over 18 of 120 dates x 60 of 150
    products x 4 stores holds 4,320 rows; three times production's 3,456 do not fit while the
    dimensions keep their rows). Some parent must gain children there, so those shapes are
    not judged at this scale (they are at ``--scale 1``)."""
    rows = counts.get(table.name, table.row_count)
    if rows == table.row_count:
        return {}
    out: dict[int, str] = {}
    for key in [table.primary_key, *(u.columns for u in table.unique_constraints)]:
        fks = key_foreign_keys(table, tuple(key)) if key else None
        if fks is None or len(fks) < 2 or any(fk.fanout is None for fk in fks):
            continue
        active = []
        for fk in fks:
            parents = counts.get(fk.ref_table, 0)
            growth = fanout_growth(profile, table, fk.ref_table, counts)
            stats = fk.fanout
            assert stats is not None
            share = thinned_childless(stats.quantiles, stats.childless_fraction, growth)
            active.append((fk.ref_table, max(1, round(parents * (1.0 - share))), parents))
        room = math.prod(n for _, n, _ in active)
        if rows <= room or room >= math.prod(p for _, _, p in active):
            continue
        parts = " x ".join(f"{n} {name}" for name, n, _ in active)
        reason = (f"{rows} rows cannot keep every FK's childless share: the parents with"
                  f" children at production's shares allow {parts} = {room} combinations"
                  " (judged at --scale 1)")  # fmt: skip
        out.update({id(fk): reason for fk in fks})
    return out


FANOUT_GROWTH_NOISE = 0.05
"""A planned change of the mean fan-out below this share is rounding of the scaled row counts."""


def fanout_growth(profile: Profile, table: Table, parent: str, counts: dict[str, int]) -> float:
    """Planned change of the mean fan-out: (children / parents) planned over production's."""
    parent_rows = profile.tables[parent].row_count if parent in profile.tables else 0
    planned_parents = counts.get(parent, parent_rows)
    if not table.row_count or not parent_rows or not planned_parents:
        return 1.0
    planned = counts.get(table.name, table.row_count) / planned_parents
    growth = planned / (table.row_count / parent_rows)
    # Rounding the scaled tables moves the mean by a percent or so: that is no growth, and
    # multiplying a sketch of whole counts by 0.98 would turn every 2 into 1.96.
    return 1.0 if abs(growth - 1.0) < FANOUT_GROWTH_NOISE else growth


def fanout_cdf(stats: FanoutStats, growth: float = 1.0, cap: int | None = None) -> m.CDF:
    """Production's fan-out as staging should show it: every count times *growth*, at most
    *cap* per parent (a key made of FKs holds one child per combination of the others)."""
    if stats.quantiles:
        scaled = capped_fanout(np.asarray(stats.quantiles, dtype=np.float64) * growth, cap)
        return m.QuantileCDF.from_quantiles([math.floor(q + 0.5) for q in scaled])
    return m.StepCDF.from_frequencies({0.0: 1.0})
