"""The large-grid distinct-count calibration must agree with the point-by-point count."""

import numpy as np
import pytest

from paritygen.generate.base import ColumnContext, expected_seen
from paritygen.generate.numeric import OrderedModel, cells_by_boundary
from paritygen.profile.model import Column, ColumnStats, Table, ValueFrequency
from paritygen.profile.values import from_number, to_number


def _pointwise(model: OrderedModel, grid: int, draws: float) -> float:
    values = np.rint(model.round(model.inverse((np.arange(grid) + 0.5) / grid)) / model.step)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
    cells = np.diff(np.concatenate([starts, [grid]]))
    return expected_seen(cells, grid, draws)


@pytest.mark.parametrize("kind", ["datetime", "decimal"])
def test_segment_calibration_matches_pointwise(kind: str) -> None:
    rng = np.random.default_rng(5)
    if kind == "datetime":  # five years of seconds, growing volume: near-unique values
        numbers = np.sort(1.6e9 + 1.5e8 * np.sqrt(rng.random(200_000)))
        column_kw = {"logical_type": "datetime", "sql_type": "timestamp"}
    else:  # log-normal money with cents: dense at the low end, sparse in the tail
        numbers = np.sort(np.round(np.exp(rng.normal(3.6, 1.0, 200_000)), 2))
        column_kw = {"logical_type": "decimal", "sql_type": "numeric(12,2)", "precision": 12,
                     "scale": 2}  # fmt: skip
    quantiles = np.quantile(numbers, np.linspace(0, 1, 101))
    stats = ColumnStats(
        null_fraction=0.0,
        distinct_count=len(np.unique(numbers)),
        quantiles=tuple(from_number(q, kind) for q in quantiles),
        min=from_number(numbers[0], kind),
        max=from_number(numbers[-1], kind),
    )
    column = Column(name="c", nullable=False, stats=stats, **column_kw)
    table = Table(name="t", columns={"c": column}, row_count=2_000_000)
    model = OrderedModel(ColumnContext(table=table, column=column, row_count=2_000_000, seed=1))
    atoms = np.rint(model.atom_values / model.step)
    for grid in (1 << 21, 1 << 22):
        exact = _pointwise(model, grid, 2_000_000.0)
        approx = model._expected_by_segment(grid, 2_000_000.0, atoms)
        assert approx == pytest.approx(exact, rel=0.02)


@pytest.mark.parametrize("kind", ["integer", "date"])
def test_boundary_counting_matches_pointwise(kind: str) -> None:
    """Grid points per value counted from the rounding boundaries (O(values)) equal the
    point-by-point count, ties at a boundary aside, atoms left out alike."""
    if kind == "integer":  # a 1-10 rating: three most-common values, the rest spread
        quantiles = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
        common = (ValueFrequency(value=5, frequency=0.3), ValueFrequency(value=8, frequency=0.2))
        column_kw = {"logical_type": "integer", "sql_type": "smallint"}
    else:  # three years of days, denser at the start
        start = to_number("2021-01-01", "date")
        quantiles = tuple(from_number(start + 1095 * (i / 20) ** 2, "date") for i in range(21))
        common = ()
        column_kw = {"logical_type": "date", "sql_type": "date"}
    stats = ColumnStats(
        null_fraction=0.0,
        distinct_count=len(quantiles),
        quantiles=quantiles,
        min=quantiles[0],
        max=quantiles[-1],
        most_common=common,
    )
    column = Column(name="c", nullable=False, stats=stats, **column_kw)
    table = Table(name="t", columns={"c": column}, row_count=5_000)
    model = OrderedModel(ColumnContext(table=table, column=column, row_count=5_000, seed=1))
    atoms = np.rint(model.atom_values / model.step)
    values = model._resolution_values()
    assert values is not None and values <= (10 if kind == "integer" else 1_096)
    ranks = model._boundary_ranks(values, atoms)
    for grid in (values, 997, 65_536):
        cells, kept = cells_by_boundary(grid, *ranks)
        point_cells, point_kept = model._cells_by_point(grid, atoms)
        assert cells.sum() == point_cells.sum() == grid
        assert len(cells) == len(point_cells)
        assert np.abs(cells - point_cells).max() <= 1  # a point on a boundary: either side
        assert (kept == point_kept).all()
        if len(atoms):
            assert not kept.all()  # the most-common values' cells are left out
