"""Distances between two distributions known only by their sketches (quantiles, most-common values).

Verify never holds two full columns side by side: production is known by its profile and staging
by a profile taken the same way. So every distance here works on the sketches themselves, exactly:

- A quantile sketch ``q`` (``q[i]`` is the value at rank ``i / (len - 1)``) is a piecewise-linear
  CDF through the points ``(q[i], i / (len - 1))``. Repeated edges are a point mass: the CDF jumps
  there. Two such CDFs differ by a linear function between consecutive edges of either sketch, so
  the supremum of their difference is reached at an edge, from the left or from the right. We
  evaluate both one-sided limits of both CDFs on the union of edges: the result is the exact KS
  distance between the two sketched distributions, not an approximation on a grid.
- A discrete column (its most-common values hold all its rows) is a step CDF; the same union-of-
  breakpoints evaluation is exact for any mix of step and piecewise-linear CDFs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DISCRETE_COVERAGE = 0.999
"""Most-common values covering at least this share of the non-NULL rows make a column discrete."""


@dataclass(frozen=True)
class QuantileCDF:
    """The piecewise-linear CDF of an equi-depth quantile sketch (edges sorted ascending)."""

    edges: np.ndarray

    @classmethod
    def from_quantiles(cls, quantiles: Sequence[float]) -> QuantileCDF:
        edges = np.sort(np.asarray(quantiles, dtype=np.float64))
        if edges.size == 0:
            raise ValueError("empty quantile sketch")
        return cls(edges)

    @property
    def breakpoints(self) -> np.ndarray:
        return self.edges

    def _ranks(self) -> np.ndarray:
        n = self.edges.size
        return np.linspace(0.0, 1.0, n) if n > 1 else np.ones(1)

    def right(self, x: np.ndarray) -> np.ndarray:
        """F(x) = P(X <= x)."""
        q, r = self.edges, self._ranks()
        j = np.searchsorted(q, x, side="right") - 1  # last edge <= x
        out = np.where(j >= q.size - 1, 1.0, 0.0)
        inner = (j >= 0) & (j < q.size - 1)
        jj = np.clip(j, 0, max(q.size - 2, 0))
        if q.size > 1:
            lo, hi = q[jj], q[jj + 1]
            span = np.where(hi > lo, hi - lo, 1.0)
            interp = r[jj] + (x - lo) / span * (r[jj + 1] - r[jj])
            out = np.where(inner, interp, out)
        return out

    def left(self, x: np.ndarray) -> np.ndarray:
        """F(x-) = P(X < x)."""
        q, r = self.edges, self._ranks()
        i = np.searchsorted(q, x, side="left")  # first edge >= x
        out = np.where(i >= q.size, 1.0, 0.0)
        inner = (i > 0) & (i < q.size)
        ii = np.clip(i, 1, max(q.size - 1, 1))
        if q.size > 1:
            lo, hi = q[ii - 1], q[ii]
            span = np.where(hi > lo, hi - lo, 1.0)
            interp = r[ii - 1] + (x - lo) / span * (r[ii] - r[ii - 1])
            out = np.where(inner, interp, out)
        return out


@dataclass(frozen=True)
class StepCDF:
    """The CDF of a discrete distribution: point masses at ``values`` (sorted) with ``probs``."""

    values: np.ndarray
    cumulative: np.ndarray

    @classmethod
    def from_frequencies(cls, freqs: Mapping[float, float]) -> StepCDF:
        if not freqs:
            raise ValueError("no frequencies")
        values = np.asarray(sorted(freqs), dtype=np.float64)
        probs = np.asarray([freqs[v] for v in sorted(freqs)], dtype=np.float64)
        total = probs.sum()
        probs = probs / total if total > 0 else probs
        return cls(values, np.cumsum(probs))

    @property
    def breakpoints(self) -> np.ndarray:
        return self.values

    def right(self, x: np.ndarray) -> np.ndarray:
        j = np.searchsorted(self.values, x, side="right") - 1
        return np.where(j >= 0, self.cumulative[np.clip(j, 0, None)], 0.0)

    def left(self, x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.values, x, side="left") - 1
        return np.where(i >= 0, self.cumulative[np.clip(i, 0, None)], 0.0)


CDF = QuantileCDF | StepCDF


def rank_cdf(values: Sequence[float], keys: Sequence[float]) -> QuantileCDF:
    """The CDF of a foreign key's values as ranks (0..1) among its parent's keys: the "which
    parents are heavy" shape, comparable across ``--scale`` where the raw key values move."""
    grid = np.sort(np.asarray(keys, dtype=np.float64))
    points = np.sort(np.asarray(values, dtype=np.float64))
    if grid.size < 2 or grid[-1] <= grid[0]:
        return QuantileCDF.from_quantiles(np.zeros(max(points.size, 1)))
    return QuantileCDF.from_quantiles(np.interp(points, grid, np.linspace(0.0, 1.0, grid.size)))


def share_resolution(rows: int, production_rows: int, share: float = 0.0) -> float:
    """The finest a share of *rows* rows can come to production's *share* measured on
    *production_rows*: half a row's worth when the counts differ (``--scale``: one NULL in 4 rows
    is 25 %, the nearest to production's 1 in 8), and at least one row's worth of a share that
    was not 0 (a tree of 2 employees keeps its root: 50 % NULL managers, production 12.5 %);
    0 when the counts are equal (the same share is reachable)."""
    if rows <= 0 or rows == production_rows:
        return 0.0
    floor = 0.5 / rows
    if 0.0 < share < 1.0 / rows:
        floor = max(floor, 1.0 / rows - share)
    return floor + 1e-9


def ks_distance(a: CDF, b: CDF) -> float:
    """Exact sup |F_a - F_b| over the real line (see the module docstring for why edges suffice)."""
    points = np.union1d(a.breakpoints, b.breakpoints)
    right = np.abs(a.right(points) - b.right(points))
    left = np.abs(a.left(points) - b.left(points))
    return float(max(right.max(initial=0.0), left.max(initial=0.0)))


def make_cdf(
    quantiles: Sequence[float], most_common: Mapping[float, float] | None = None
) -> CDF | None:
    """The best CDF a sketch allows: a step CDF when the most-common values hold (nearly) all
    rows (a discrete column, where interpolating between quantile edges would smear the point
    masses), else the quantile CDF. None when the sketch is empty."""
    if most_common and sum(most_common.values()) >= DISCRETE_COVERAGE:
        return StepCDF.from_frequencies(most_common)
    if len(quantiles) == 0:
        return None
    return QuantileCDF.from_quantiles(quantiles)


def total_variation(a: Mapping[object, float], b: Mapping[object, float]) -> float:
    """Total variation distance of two frequency tables known only by their frequent values.

    The mass a table does not list (values below the profile's k threshold) is one "other" bucket
    on each side, so a staging column full of values production never had still shows as far away.
    Values only *b* lists join *b*'s "other": production did not list them (fewer than k people
    held them), so they are compared as production sees them; staging is measured with a lower k
    under ``--scale`` below 1, and a value 5 customers share in production is listed there with 2.
    """
    b = {k: v for k, v in b.items() if k in a}
    keys = set(a)
    listed = sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)
    other = abs((1.0 - sum(a.values())) - (1.0 - sum(b.values())))
    return 0.5 * (listed + max(other, 0.0))


def ks_critical(n: int | None, m: int | None, coefficient: float) -> float:
    """The two-sample KS distance that sampling noise alone reaches with samples of n and m rows
    (``coefficient`` 1.63 is the 1 % level). Bars never drop below it: two honest samples of 300
    rows routinely differ by 0.1, which says nothing about the generator."""
    if not coefficient or not n or not m:
        return 0.0
    return coefficient * math.sqrt((n + m) / (n * m))


def expected_distinct(distinct: int, rows: int, scaled_rows: float) -> float:
    """Distinct values expected in ``scaled_rows`` rows when ``rows`` rows held ``distinct``.

    Models the column as uniform draws from a population of D values, solving
    ``distinct = D (1 - exp(-rows / D))`` for D, then evaluating at the scaled size: a unique column
    scales with the rows, a 12-value status column stays at 12, and the curve in between is smooth.
    """
    if rows <= 0 or distinct <= 0:
        return float(distinct)
    if scaled_rows == rows:
        return float(distinct)
    if distinct >= rows:  # every value distinct: the population is unbounded
        return float(scaled_rows)

    def seen(population: float, n: float) -> float:
        return population * -math.expm1(-n / population)

    lo, hi = float(distinct), float(distinct)
    while seen(hi, rows) < distinct and hi < 1e15:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if seen(mid, rows) < distinct:
            lo = mid
        else:
            hi = mid
    return min(seen(hi, scaled_rows), scaled_rows)
