"""Relationships kept in staging: orderings in a row and along an FK, arithmetic identities.

The profile holds, per table, the relations that held in (nearly) every production row
(:mod:`paritygen.profile.relations`), each with its share. Columns come out of their generators
independently, so a block is then brought to those shares, keeping each column's values:

- **orderings** (``a <= b`` in a row; ``c >= p`` with ``p`` the parent's column): the later
  column's values in the block are *re-paired* with the rows by the earlier column's rank (the
  smallest ``b`` goes to the row with the smallest ``a``). That is a permutation of ``b``
  within the block, so its distribution is untouched, and the pairing is the one that holds
  most often; rows still out of order (when ``b``'s values do not dominate ``a``'s) are moved
  just past their bound by a gap drawn from the rows in order, only as many as the share needs,
  and a share below 1 is met by swapping a few pairs back. Each column follows one earlier
  column (its *driver*): chains (created <= paid <= shipped) follow each other in order.
- **identities** (``c = a + b``, ``c = a * b``): ``c`` is computed from ``a`` and ``b`` in the
  share of rows production had, rounded to ``c``'s scale, never past its precision.

FK diamonds are kept by the keys themselves (:mod:`paritygen.generate.keys`). All of it is a
pure function of the block and its random source: the same seed gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from paritygen.profile.model import Relation, Table

ParentValues = Callable[[Relation], pl.DataFrame | None]
"""For an ``fk_order`` relation: the parent's (referenced key, column) for every parent row, or
None when it cannot be had (too large a parent, a column the target computes)."""


def _numbers(series: pl.Series) -> np.ndarray:
    """Values as float64 (NaN for NULL): microseconds / days for temporal columns."""
    if series.dtype in (pl.Date, pl.Datetime("us")):
        series = series.cast(pl.Int64)
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64, copy=True)


def _back(values: np.ndarray, like: pl.Series) -> pl.Series:
    """Floats back into *like*'s type (NaN -> NULL)."""
    out = pl.Series(like.name, values).fill_nan(None)
    if like.dtype == pl.Date:
        return out.round(0).cast(pl.Int32).cast(pl.Date)
    if like.dtype == pl.Datetime("us"):
        return out.round(0).cast(pl.Int64).cast(pl.Datetime("us"))
    if like.dtype.is_integer():
        return out.round(0).cast(like.dtype)
    return out.cast(like.dtype)


def order_after(
    bound: np.ndarray, values: np.ndarray, share: float, rng: np.random.Generator
) -> np.ndarray:
    """*values* re-paired with the rows so ``values >= bound`` in *share* of the rows where
    both are known (see the module docstring); NaN stays where it was."""
    out = values.copy()
    known = np.flatnonzero(~(np.isnan(bound) | np.isnan(values)))
    if known.size < 2:
        return out
    by_bound = known[np.argsort(bound[known], kind="stable")]
    out[by_bound] = np.sort(values[known])
    low, high = bound[known], out[known]
    wanted = int(np.ceil(share * known.size - 1e-9))
    late = high < low
    missing = wanted - int((~late).sum())
    if missing > 0 and (~late).any():  # move the nearest ones just past their bound
        gaps = (high - low)[~late]
        fix = np.flatnonzero(late)[:missing]
        draw = rng.choice(gaps, size=fix.size)
        out[known[fix]] = low[fix] + np.maximum(draw, 0.0)
    elif missing < 0:  # production held it less often: swap a few pairs back
        ordered = np.flatnonzero(~late)
        swap = rng.choice(ordered, size=min(-missing, ordered.size), replace=False)
        rows = known[swap]
        mate = rng.permutation(rows)
        out[rows] = out[mate]
    return out


HARD_ORDER_SHARE = 0.9995
"""An ordering held in at least this share of production's rows is kept in every row, also
where it is not its column's driver (a floor)."""


def _later(relation: Relation) -> str:
    """The column an ordering moves: the later one (``b`` of ``a <= b``; an FK ordering's own)."""
    return relation.columns[0] if relation.kind == "fk_order" else relation.columns[1]


def raise_to(bound: np.ndarray, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """*values* with each one below its *bound* moved just past it, by a gap drawn from the rows
    already in order (so the moved ones look like the rest); NaN stays where it was."""
    out = values.copy()
    known = ~(np.isnan(bound) | np.isnan(values))
    late = known & (values < bound)
    if not late.any():
        return out
    gaps = (values - bound)[known & ~late]
    draw = rng.choice(gaps, size=int(late.sum())) if gaps.size else np.zeros(int(late.sum()))
    out[late] = bound[late] + np.maximum(draw, 0.0)
    return out


def lower_between(
    floor: np.ndarray, bound: np.ndarray, values: np.ndarray, share: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """*values* with rows in order (``>= bound``) beyond *share* brought between their *floor*
    and their *bound* (an order shipped after its required date, still after it was placed)."""
    out = values.copy()
    known = np.flatnonzero(~(np.isnan(bound) | np.isnan(out)))
    if not known.size:
        return out
    wanted = int(np.ceil(share * known.size - 1e-9))
    excess = int((out[known] >= bound[known]).sum()) - wanted
    room = known[(out[known] >= bound[known]) & (bound[known] - floor[known] >= 1.0)]
    if excess <= 0 or not room.size:
        return out
    rows = rng.choice(room, size=min(excess, room.size), replace=False)
    # Whole steps below the bound: dates, timestamps and integers stay below it once rounded.
    out[rows] = floor[rows] + np.floor((bound[rows] - floor[rows]) * rng.random(rows.size))
    return out


def _floor(
    relation: Relation,
    relations: tuple[Relation, ...],
    bound_of: Callable[[Relation], np.ndarray | None],
) -> np.ndarray | None:
    """The row-wise largest hard floor (an ordering held in every production row) of
    *relation*'s column, other than *relation* itself; None when it has none."""
    target = _later(relation)
    bounds = [
        bound_of(other)
        for other in relations
        if other is not relation
        and other.kind in ("order", "fk_order")
        and _later(other) == target
        and other.share >= HARD_ORDER_SHARE
    ]
    known = [b for b in bounds if b is not None]
    if not known:
        return None
    with np.errstate(all="ignore"):
        return np.fmax.reduce(np.vstack(known), axis=0)


def _drivers(table: Table, relations: tuple[Relation, ...], fixed: set[str]) -> list[Relation]:
    """One ordering per column it moves, in an order where a column's driver is settled first
    (FK orderings before row orderings; a row ordering after the one that moved its earlier
    column). Key columns, identity results and columns already driven are never moved."""
    chosen: dict[str, Relation] = {}
    for relation in relations:
        if relation.kind == "fk_order" and relation.columns[0] not in fixed:
            chosen.setdefault(relation.columns[0], relation)
    rows = [r for r in relations if r.kind == "order" and r.columns[1] not in fixed]
    for relation in rows:  # a row ordering wins over an FK one: it is the tighter bound
        chosen[relation.columns[1]] = relation
    ordered: list[Relation] = []
    done: set[str] = set()
    pending = dict(chosen)
    while pending:
        ready = [c for c, r in pending.items()
                 if r.kind == "fk_order" or r.columns[0] not in pending]  # fmt: skip
        if not ready:  # a cycle of orderings: keep the rest as they are
            break
        for column in ready:
            ordered.append(pending.pop(column))
            done.add(column)
    return ordered


def apply_relations(
    frame: pl.DataFrame,
    table: Table,
    fixed: set[str],
    parent_values: ParentValues,
    rng: np.random.Generator,
    links: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """*frame* (one block) brought to the table's relations; *fixed* columns (keys) never move.
    *links*: the block's key columns with the FKs an update fills later (a cycle's edge), so an
    FK ordering knows each row's parent even while the row is loaded without it."""
    relations = table.relations
    if not relations or not frame.height:
        return frame
    computed = {r.columns[0] for r in relations if r.kind in ("sum", "product")}
    changed: dict[str, pl.Series] = {}
    reached: dict[tuple, np.ndarray | None] = {}

    def column(name: str) -> pl.Series:
        return changed.get(name, frame[name])

    def bound_of(relation: Relation) -> np.ndarray | None:
        """The values *relation*'s later column must not fall below, row by row."""
        if relation.kind == "order":
            if relation.columns[0] not in frame.columns:
                return None
            return _numbers(column(relation.columns[0]))
        # The parent's column, joined once per block: keys never move, and the orderings of
        # several columns on one parent column (shipped, committed, received >= ordered) and
        # their floors ask for it again.
        reach = (tuple(relation.via), relation.ref_table, tuple(relation.ref_columns))
        if reach not in reached:
            reached[reach] = _parent_bound(relation)
        return reached[reach]

    def _parent_bound(relation: Relation) -> np.ndarray | None:
        parents = parent_values(relation)
        fk_column = relation.via[0]
        source = links if links is not None and fk_column in links.columns else frame
        if parents is None or fk_column not in source.columns:
            return None
        keys = source[fk_column].alias("__key").cast(parents["__key"].dtype, strict=False)
        joined = pl.DataFrame([keys]).join(parents, on="__key", how="left",
                                           maintain_order="left")  # fmt: skip
        bound = _numbers(joined["__value"])
        bound.flags.writeable = False  # shared by the relations that read it
        return bound

    # A column production holds constant (a bulk load's last_update) keeps its one value:
    # moving it past a bound would make values production never had.
    constant = {
        name for name, spec in table.columns.items()
        if spec.stats is not None and spec.stats.distinct_count <= 1
    }  # fmt: skip
    fixed = fixed | constant
    drivers = _drivers(table, relations, fixed | computed)
    for relation in drivers:
        target = _later(relation)
        bound = bound_of(relation) if target in frame.columns else None
        if bound is None:
            continue
        series = column(target)
        floor = _floor(relation, relations, bound_of) if relation.share < 1.0 else None
        if floor is None:
            moved = order_after(bound, _numbers(series), relation.share, rng)
        else:  # out of order as often as production, never below a hard floor
            moved = raise_to(floor, order_after(bound, _numbers(series), 1.0, rng), rng)
            moved = lower_between(floor, bound, moved, relation.share, rng)
        changed[target] = _back(moved, series)
    # A column has one driver; its other orderings that held in every production row (an
    # order's required date after its order date, when the driver is its shipped date) are
    # floors: only the rows below one are moved, just past it.
    moved_columns = {_later(r) for r in drivers}
    for relation in relations:
        target = _later(relation) if relation.kind in ("order", "fk_order") else None
        if (
            target is None
            or relation in drivers
            or target in fixed
            or target not in moved_columns
            or relation.share < HARD_ORDER_SHARE
        ):
            continue
        bound = bound_of(relation)
        if bound is None:
            continue
        series = column(target)
        changed[target] = _back(raise_to(bound, _numbers(series), rng), series)
    for relation in relations:
        if relation.kind not in ("sum", "product") or not set(relation.columns) <= set(
            frame.columns
        ):
            continue
        target, left, right = relation.columns
        a, b = _numbers(column(left)), _numbers(column(right))
        value = a + b if relation.kind == "sum" else a * b
        spec = table.columns[target]
        if spec.logical_type == "decimal" and spec.scale is not None:
            value = np.round(value, spec.scale)
        elif spec.logical_type == "integer":
            value = np.round(value)
        if spec.logical_type == "decimal" and spec.precision:
            limit = 10.0 ** (spec.precision - (spec.scale or 0))
            value = np.where(np.abs(value) < limit, value, np.nan)
        keep = _numbers(column(target))  # NULLs stay NULL: the NULL share is the column's
        chosen = (rng.random(frame.height) < relation.share) & ~np.isnan(value) & ~np.isnan(keep)
        changed[target] = _back(np.where(chosen, value, keep), column(target))
    if not changed:
        return frame
    return frame.with_columns(list(changed.values()))
