"""The large-grid distinct-count calibration must agree with the point-by-point count."""

import numpy as np
import pytest

from paritygen.generate.base import ColumnContext, expected_seen
from paritygen.generate.numeric import OrderedModel
from paritygen.profile.model import Column, ColumnStats, Table
from paritygen.profile.values import from_number


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
