"""Structure without statistics: the shape an FK gets when the profile measured none.

A shop seeded from its schema alone (every table profiled empty, volumes pinned in ``rules:``)
has no fan-out to follow. Even, one-child-each counts then make every hierarchy a 1,000-deep
chain whose first row is its own parent, point every order at some reclamation and give each
customer another customer's default address. The defaults here are documented and plausible:

- **fan-out**: a skewed shape (:func:`default_counts`): children per parent follow a Pareto
  curve with exponent :data:`DEFAULT_SKEW` through stratified ranks, scaled to the planned
  mean, so a few parents are heavy and, where the mean is small, many have none;
- **self-references** are forests: :data:`DEFAULT_ROOT_SHARE` of the rows are roots (at least
  one), and the others hang under about ``1 / DEFAULT_BRANCHING`` of the rows, laid out breadth
  first, so the depth grows with the log of the rows;
- **owner-consistent FKs**: a nullable FK from T to U where U has an FK back to T (a customer's
  default address, an order's reclamation) picks one of the row's *own* children in U
  (:class:`OwnerMap`), NULL when it has none: the nullable side of such a cycle is mostly NULL
  whenever most rows have no child there.
"""

from __future__ import annotations

import math

import numpy as np

from paritygen.generate.fanout import FanoutMap, ParentChoice, integerise
from paritygen.profile.model import FanoutStats

DEFAULT_SKEW = 0.5
"""Exponent of the default fan-out's Pareto curve ``(1 - rank) ** -DEFAULT_SKEW``: the heaviest
1 % of parents hold about a tenth of the children."""

DEFAULT_ROOT_SHARE = 0.05
"""Share of a self-referencing table's rows that are roots when nothing was measured."""

DEFAULT_BRANCHING = 4
"""Mean children of a parent row in a default hierarchy (a category's subcategories)."""


def measured(stats: FanoutStats | None) -> bool:
    """True when the profile holds a fan-out to follow (a table profiled with rows)."""
    return stats is not None and stats.child_rows > 0 and len(stats.quantiles) >= 2


def default_counts(parents: int, children: int) -> np.ndarray:
    """Children per parent, descending, summing to *children*: the skewed default shape."""
    if parents <= 0:
        return np.zeros(0, dtype=np.int64)
    ranks = (np.arange(parents, dtype=np.float64) + 0.5) / parents
    weights = (1.0 - ranks) ** -DEFAULT_SKEW
    counts = integerise(weights, children)
    return np.sort(counts)[::-1]


def default_tree(rows: int, roots: int) -> np.ndarray:
    """Children per row of a default forest of *rows* rows with *roots* roots (descending: the
    breadth-first layout puts the parents first)."""
    children = max(rows - roots, 0)
    parents = min(rows, max(1, math.ceil(children / DEFAULT_BRANCHING))) if children else 0
    counts = np.zeros(rows, dtype=np.int64)
    counts[:parents] = default_counts(parents, children)
    return counts


def default_roots(rows: int) -> int:
    """Roots of a default forest of *rows* rows: a share, at least one."""
    return max(1, round(rows * DEFAULT_ROOT_SHARE)) if rows else 0


class OwnerMap:
    """A row's FK to one of its own children: customer i's default address is the first
    address whose ``customer_id`` is i (read back through that FK's :class:`FanoutMap`), NULL
    for a customer without addresses. A pure function of the row index, like every map."""

    def __init__(self, children: FanoutMap) -> None:
        self.children = children

    def choose(self, idx: np.ndarray) -> ParentChoice:
        counts = self.children.counts
        safe = np.minimum(idx, max(counts.size - 1, 0))
        has = (idx < counts.size) & (counts[safe] > 0) if counts.size else np.zeros(idx.size, bool)
        first = self.children.cum[safe] - counts[safe] + self.children.nulls
        row = self.children.permutation.inverse(np.where(has, first, 0))
        parent = np.where(has, row, -1)
        return ParentChoice(parent=parent, rank=np.zeros_like(parent))
