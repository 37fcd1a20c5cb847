"""How many children each parent of an FK gets: production's fan-out shape (quantiles,
childless share, the heaviest 1 %'s share and the maximum) as a multiset of whole counts for
the planned parents and children, under ``--scale`` and a key's cap.

Generate deals these counts to parents (:mod:`paritygen.generate.fanout`); verify judges a
scaled FK's fan-out against the same counts (:mod:`paritygen.verify.fanout`), so the two
never follow different rules.
"""

from __future__ import annotations

import numpy as np

from paritygen.errors import ConfigError
from paritygen.profile.model import FanoutStats
from paritygen.profile.volume import thinned_childless


def _interp_quantiles(quantiles: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, quantiles.size)
    return np.interp(ranks, grid, quantiles)


def integerise(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative floats to integers summing exactly to *total* (largest remainder)."""
    values = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    whole_sum = values.sum()
    scaled = values * (total / whole_sum) if whole_sum > 0 else np.zeros(values.size)
    whole = np.floor(scaled).astype(np.int64)
    missing = total - int(whole.sum())
    if missing > 0 and values.size:
        order = np.argsort(-(scaled - whole), kind="stable")[:missing]
        whole[order] += 1
    return whole


def _shape_top(low: float, high: float, count: int, target: float) -> np.ndarray:
    """*count* values rising from *low* to *high* (a power curve) whose sum is *target*."""
    t = (np.arange(count, dtype=np.float64) + 1.0) / count
    if high <= low or count == 0:
        return np.full(count, max(low, high))
    lo_exp, hi_exp = -7.0, 7.0  # exponent 2**e: sum falls as e grows
    for _ in range(40):
        mid = (lo_exp + hi_exp) / 2
        total = float((low + (high - low) * t ** (2.0**mid)).sum())
        if total > target:
            lo_exp = mid
        else:
            hi_exp = mid
    return low + (high - low) * t ** (2.0 ** ((lo_exp + hi_exp) / 2))


def fanout_counts(
    stats: FanoutStats | None, parents: int, children: int, cap: int | None = None
) -> np.ndarray:
    """Children per parent, sorted descending, summing exactly to *children*.

    Follows the profiled quantiles (stratified ranks, so the distribution is matched rather than
    sampled), keeps the childless share, shapes the heaviest 1 % to hold ``top_share`` with the
    heaviest parent at the profiled ``max``, and moves the rounding remainder onto the parents
    in the middle, never onto the heaviest one.

    Under ``--scale`` every count (quantiles and max) is multiplied by the change of the mean
    fan-out, ``(children / parents) / (profiled children / profiled parents)``: when parents and
    children both grow by F the shape is production's as it was (a customer's 7 invoices stay
    at most 7); under a lookup that keeps its rows, every count grows by F. A count that falls
    under half a child is none: the childless share grows as the children thin out.
    """
    if parents <= 0:
        return np.zeros(0, dtype=np.int64)
    if children <= 0:
        return np.zeros(parents, dtype=np.int64)
    if cap is not None and cap * parents < children:
        raise ConfigError(f"{children} child rows cannot fit {parents} parents x {cap} each")
    if stats is None or len(stats.quantiles) < 2:
        counts = np.full(parents, children // parents, dtype=np.int64)
        counts[: children % parents] += 1
        return counts
    growth = mean_growth(stats, parents, children)
    quantiles = np.maximum(np.asarray(stats.quantiles, dtype=np.float64), 0.0) * growth
    # fewer children per parent (a kept parent, fewer children): a count under half is none
    zeros = round(thinned_childless(stats.quantiles, stats.childless_fraction, growth) * parents)
    positive = max(1, min(parents - zeros, children))
    if cap:  # enough parents with children to stay under the cap (small --scale, junctions)
        positive = min(parents, max(positive, -(-children // cap)))
    zero_share = 1.0 - positive / parents
    ranks = zero_share + (1.0 - zero_share) * (np.arange(positive) + 0.5) / positive
    values = np.maximum(_interp_quantiles(quantiles, ranks), 1.0)
    top = max(1, round(parents * 0.01))
    if stats.top_share > 0 and top < positive:
        low = float(values[-top - 1])
        high = max(float(stats.max) * growth, low)
        target = stats.top_share * children
        values[-top:] = _shape_top(low, high, top, target)
    counts = np.maximum(np.floor(values + 0.5).astype(np.int64), 1)  # half up, as verify
    counts = _settle(counts, children, top)
    if cap is not None:
        counts = apply_cap(counts, cap)
    counts = np.sort(counts)[::-1]
    return np.concatenate([counts, np.zeros(parents - positive, dtype=np.int64)])


def mean_growth(stats: FanoutStats, parents: int, children: int) -> float:
    """How much the mean fan-out grew from the profile to the plan (1.0 at ``--scale 1``)."""
    if not stats.parent_rows or not stats.child_rows or not parents:
        return 1.0
    return (children / parents) / (stats.child_rows / stats.parent_rows)


def _settle(counts: np.ndarray, total: int, top: int) -> np.ndarray:
    """Make ascending *counts* (all >= 1) sum to *total*: the difference goes to the body (the
    parents below the heaviest *top*), proportionally to each one's excess over 1, so the shape
    of the tail (max, top share) stays as computed."""
    missing = total - int(counts.sum())
    if missing == 0:
        return counts
    body = counts[:-top] if top < counts.size else counts
    if missing < 0 and int((body - 1).sum()) < -missing:
        body = counts  # the body alone cannot give enough back: everyone shares
    weight = (body - 1).astype(np.float64) if missing < 0 else body.astype(np.float64)
    if weight.sum() <= 0:
        weight = np.ones(body.size)
    change = integerise(weight, abs(missing))
    if missing < 0:
        change = np.minimum(change, body - 1)
        short = -missing - int(change.sum())
        if short:  # rounding left some: take them from the largest
            room = body - 1 - change
            change += integerise(room.astype(np.float64), short)
        body -= change
    else:
        body += change
        limit = int(counts[-top:].min()) if top < counts.size else 0
        if limit and int(body.sum()) <= limit * body.size:
            body[:] = apply_cap(body, limit)  # the body never outgrows the heaviest parents
    return counts


def apply_cap(counts: np.ndarray, cap: int) -> np.ndarray:
    """Clip counts at *cap*, moving the surplus onto the parents below it."""
    counts = counts.copy()
    for _ in range(64):
        surplus = int(np.maximum(counts - cap, 0).sum())
        if surplus == 0:
            break
        counts = np.minimum(counts, cap)
        room = cap - counts
        counts += integerise(room.astype(np.float64), surplus)
    return counts
