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

    def column(name: str) -> pl.Series:
        return changed.get(name, frame[name])

    for relation in _drivers(table, relations, fixed | computed):
        target = relation.columns[0] if relation.kind == "fk_order" else relation.columns[1]
        if target not in frame.columns:
            continue
        if relation.kind == "order":
            if relation.columns[0] not in frame.columns:
                continue
            bound = _numbers(column(relation.columns[0]))
        else:
            parents = parent_values(relation)
            fk_column = relation.via[0]
            source = links if links is not None and fk_column in links.columns else frame
            if parents is None or fk_column not in source.columns:
                continue
            keys = source[fk_column].alias("__key").cast(parents["__key"].dtype, strict=False)
            joined = pl.DataFrame([keys]).join(parents, on="__key", how="left",
                                               maintain_order="left")  # fmt: skip
            bound = _numbers(joined["__value"])
        series = column(target)
        moved = order_after(bound, _numbers(series), relation.share, rng)
        changed[target] = _back(moved, series)
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
