"""The sketch distances against independent computations (dense grids, known answers)."""

from __future__ import annotations

import numpy as np
import pytest

from paritygen.verify import measures as m


def _dense_ks(qa: np.ndarray, qb: np.ndarray) -> float:
    """KS on a very fine grid with numpy's interpolation (valid for strictly increasing edges)."""
    grid = np.linspace(min(qa[0], qb[0]) - 1, max(qa[-1], qb[-1]) + 1, 400_001)
    fa = np.interp(grid, qa, np.linspace(0, 1, qa.size), left=0, right=1)
    fb = np.interp(grid, qb, np.linspace(0, 1, qb.size), left=0, right=1)
    return float(np.abs(fa - fb).max())


@pytest.mark.parametrize("seed", range(5))
def test_quantile_ks_matches_a_dense_grid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = np.quantile(rng.normal(0, 1, 5000), np.linspace(0, 1, 101))
    b = np.quantile(rng.normal(0.2, 1.3, 5000), np.linspace(0, 1, 21))
    exact = m.ks_distance(m.QuantileCDF.from_quantiles(a), m.QuantileCDF.from_quantiles(b))
    assert exact == pytest.approx(_dense_ks(a, b), abs=2e-4)
    assert exact >= _dense_ks(a, b) - 1e-9  # the grid can only miss the supremum


def test_identical_sketches_are_at_distance_zero() -> None:
    q = [1, 1, 1, 2, 5, 5, 9]
    cdf = m.QuantileCDF.from_quantiles(q)
    assert m.ks_distance(cdf, m.QuantileCDF.from_quantiles(q)) == 0.0


def test_shift_is_measured_in_full() -> None:
    a = m.QuantileCDF.from_quantiles(np.linspace(0, 100, 101))
    b = m.QuantileCDF.from_quantiles(np.linspace(50, 150, 101))
    assert m.ks_distance(a, b) == pytest.approx(0.5)
    far = m.QuantileCDF.from_quantiles(np.linspace(500, 600, 101))
    assert m.ks_distance(a, far) == pytest.approx(1.0)


def test_point_mass_jump_is_seen_from_both_sides() -> None:
    # a: 50 % of the mass exactly at 10, the rest uniform on [10, 20]; b: uniform on [10, 20].
    a = m.QuantileCDF.from_quantiles([10] * 51 + list(np.linspace(10, 20, 51)[1:]))
    b = m.QuantileCDF.from_quantiles(np.linspace(10, 20, 101))
    assert m.ks_distance(a, b) == pytest.approx(0.5, abs=0.011)


def test_discrete_columns_use_exact_steps() -> None:
    a = m.make_cdf([1, 1, 2, 3], {1.0: 0.5, 2.0: 0.3, 3.0: 0.2})
    b = m.make_cdf([1, 2, 2, 3], {1.0: 0.2, 2.0: 0.6, 3.0: 0.2})
    assert isinstance(a, m.StepCDF)
    assert m.ks_distance(a, b) == pytest.approx(0.3)
    # A step CDF against a linear one (x / 4 on [0, 4]): sup at x = 2, where a is at 0.8.
    line = m.QuantileCDF.from_quantiles([0, 4])
    assert m.ks_distance(a, line) == pytest.approx(0.8 - 0.5)


def test_total_variation_counts_unlisted_mass() -> None:
    assert m.total_variation({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0.0
    assert m.total_variation({"a": 0.7, "b": 0.3}, {"a": 0.5, "b": 0.5}) == pytest.approx(0.2)
    # Staging values all rare (none listed): as far as the listed mass.
    assert m.total_variation({"a": 0.6, "b": 0.3}, {}) == pytest.approx(0.9)


def test_expected_distinct_scales_sensibly() -> None:
    assert m.expected_distinct(1000, 1000, 2000) == 2000  # unique column
    assert m.expected_distinct(12, 100_000, 10_000) == pytest.approx(12, abs=0.01)  # status codes
    mid = m.expected_distinct(5000, 10_000, 20_000)
    assert 5000 < mid < 10_000
    assert m.expected_distinct(5000, 10_000, 10_000) == 5000


def test_ks_noise_floor() -> None:
    assert m.ks_critical(20_000, 20_000, 1.63) == pytest.approx(0.0163, abs=1e-4)
    assert m.ks_critical(300, 300, 1.63) > 0.13
    assert m.ks_critical(300, 300, 0) == 0.0


def _exact_two_sample_ks(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.sort(x), np.sort(y)
    points = np.union1d(x, y)
    fx = np.searchsorted(x, points, side="right") / x.size
    fy = np.searchsorted(y, points, side="right") / y.size
    return float(np.abs(fx - fy).max())


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: rng.gamma(2.0, 40.0, 20_000),  # continuous, skewed
        lambda rng: rng.zipf(1.6, 20_000).clip(max=5000).astype(float),  # heavy point masses
        lambda rng: rng.integers(1, 6, 20_000).astype(float),  # five values
    ],
)
def test_sketch_ks_tracks_the_exact_ks_of_the_raw_values(draw) -> None:
    """The distance verify computes from two 101-point profiles is within a sketch's resolution
    (1 / 100) of the exact two-sample KS of the full columns."""
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.5, 3.0):
        a, b = draw(rng), draw(rng) + shift
        exact = _exact_two_sample_ks(a, b)
        assert m.ks_distance(_sketch(a), _sketch(b)) == pytest.approx(exact, abs=0.015), shift


def _sketch(values: np.ndarray) -> m.CDF:
    """What the profiler keeps: 101 quantiles and the values seen at least 5 times."""
    distinct, counts = np.unique(values, return_counts=True)
    common = {float(k): c / values.size for k, c in zip(distinct, counts, strict=True) if c >= 5}
    return m.make_cdf(np.quantile(values, np.linspace(0, 1, 101)), common)
