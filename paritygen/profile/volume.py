"""How many rows each table gets at ``--scale F``, and which tables are lookups that keep theirs.

A user rehearsing 3x growth expects three times the customers, orders and order lines, not
three times the currencies, genres and media types: those are *lookup* tables, small sets of
codes that production does not grow with its business. They keep their rows (and, since every
value is a function of the seed and the row index, their values) at every scale.

A table is a lookup when all of these hold (:func:`is_lookup`):

- it has rows, at most :data:`LOOKUP_MAX_ROWS` (300) of them;
- another table references it, and its largest child table outnumbers it at least
  :data:`LOOKUP_MIN_CHILDREN` (10) to one (25 genres under 3,503 tracks; not 275 artists under
  347 albums);
- it holds no personal column (a table of people grows with the business);
- it holds labels, not measures: a text column, and no decimal or float column (a product with a
  price grows with the catalogue; a genre's name does not);
- its own foreign keys, if any, lead to lookups only (a region's country).

``rules: tables: NAME: lookup: true|false`` overrides the detection per table, and
``--scale-lookups`` scales detected lookups too. A table the profile kept verbatim (a reference
table, :mod:`paritygen.profile.reference`) keeps its rows at every scale like a lookup, unless
``--scale-lookups`` or ``lookup: false`` asks for it to be generated at scale.
:func:`planned_counts` decides the rows for
``generate`` and the rows ``verify`` expects, so the two never disagree.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from paritygen.profile.capacity import fit_capacity
from paritygen.profile.model import Profile

LOOKUP_MAX_ROWS = 300
"""Largest table that can be a lookup: every country, currency or language fits; a thousand
customers without personal columns do not."""

LABEL_TYPES = frozenset({"string", "text", "enum"})
"""A lookup names things: it has a column of one of these types."""

MEASURE_TYPES = frozenset({"decimal", "float"})
"""A table with a column of these types measures things (prices, rates): not a lookup."""

LOOKUP_MIN_CHILDREN = 10
"""A lookup's largest child table holds at least this many rows per lookup row."""


def _largest_children(profile: Profile) -> dict[str, int]:
    """Rows of the largest other table that references each table, in one pass over the FKs
    (asked per table, the question cost tables x tables x FKs: 20 s on 240 tables)."""
    largest: dict[str, int] = {}
    for child in profile.tables.values():
        for parent in {fk.ref_table for fk in child.foreign_keys} - {child.name}:
            largest[parent] = max(largest.get(parent, 0), child.row_count)
    return largest


_detected: tuple[weakref.ref[Profile], frozenset[str]] | None = None
"""The last profile's lookups: a run asks once per table (planner, row counts, verify)."""


def detected_lookups(profile: Profile) -> frozenset[str]:
    """The tables detected as lookups (rules not applied), see the module docstring."""
    global _detected
    if _detected is not None and _detected[0]() is profile:
        return _detected[1]
    found = _detect_lookups(profile)
    _detected = (weakref.ref(profile), found)
    return found


def _detect_lookups(profile: Profile) -> frozenset[str]:
    candidates = set()
    children = _largest_children(profile)
    for name, table in profile.tables.items():
        if not 0 < table.row_count <= LOOKUP_MAX_ROWS:
            continue
        kinds = {column.logical_type for column in table.columns.values()}
        if any(column.pii for column in table.columns.values()):
            continue
        if not kinds & LABEL_TYPES or kinds & MEASURE_TYPES:
            continue
        if children.get(name, 0) < LOOKUP_MIN_CHILDREN * table.row_count:
            continue
        candidates.add(name)
    # A lookup's own FKs lead to lookups only: drop candidates until that holds (a fixpoint).
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates):
            parents = {fk.ref_table for fk in profile.tables[name].foreign_keys} - {name}
            if not parents <= candidates:
                candidates.discard(name)
                changed = True
    return frozenset(candidates)


def is_lookup(profile: Profile, name: str, detected: frozenset[str] | None = None) -> bool:
    """True when table *name* keeps its rows at every scale: the rule's ``lookup`` when set,
    else the detection (*detected*, when the caller already has it)."""
    rule = profile.table_rule(name)
    if rule.lookup is not None:
        return rule.lookup
    return name in (detected if detected is not None else detected_lookups(profile))


def verbatim_row_count(profile: Profile, name: str) -> int | None:
    """Rows of a table the profile kept verbatim (``Table.reference_rows``), written as they are
    at every scale; None when the table is not one or a rule pins another count."""
    rows = profile.table(name).reference_rows
    if rows is None:
        return None
    rule = profile.table_rule(name)
    if rule.row_count is not None and rule.row_count != len(rows):
        return None  # the user pinned another count: generate as usual
    return len(rows)


def planned_rows(
    profile: Profile,
    name: str,
    scale: float,
    *,
    scale_lookups: bool = False,
    detected: frozenset[str] | None = None,
) -> int:
    """Rows for table *name* at *scale*: the pinned count; the profiled count for ``fixed``
    tables and lookups (unless *scale_lookups*); else ``round(rows x scale)``, at least one
    row when production had any (a scaled-down table never vanishes, its children need it)."""
    rule = profile.table_rule(name)
    verbatim = verbatim_row_count(profile, name)
    if verbatim is not None and not scale_lookups and rule.lookup is not False:
        return verbatim  # a reference table keeps its rows at every scale, like a lookup
    if rule.row_count is not None:
        return int(rule.row_count)
    rows = profile.table(name).row_count
    if rule.fixed or (not scale_lookups and is_lookup(profile, name, detected)):
        return int(rows)
    return max(int(round(rows * scale)), 1 if rows else 0)


def _parents_first(profile: Profile) -> list[str]:
    """Every table after the tables it references (a depth-first order; the edge that closes
    a cycle is left out, so its parent's count is not known when the child is fitted)."""
    order: list[str] = []
    state: dict[str, int] = {}
    for root in profile.tables:
        stack = [(root, iter(sorted({fk.ref_table for fk in profile.tables[root].foreign_keys})))]
        if root in state:
            continue
        state[root] = 1
        while stack:
            name, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                state[name] = 2
                order.append(name)
            elif parent in profile.tables and parent not in state:
                state[parent] = 1
                refs = {fk.ref_table for fk in profile.tables[parent].foreign_keys}
                stack.append((parent, iter(sorted(refs))))
    return order


def planned_counts(
    profile: Profile, scale: float, *, scale_lookups: bool = False
) -> dict[str, int]:
    """Rows of every table at *scale*, each checked against its keys' capacity
    (:func:`~paritygen.profile.capacity.fit_capacity`): an impossible count asked for as is
    (scale 1, a pinned count, a lookup) raises :class:`~paritygen.errors.ConfigError` naming the
    table and the numbers; a scaled one is fitted."""
    detected = detected_lookups(profile)
    counts: dict[str, int] = {}
    for name in _parents_first(profile):
        table = profile.tables[name]
        rows = planned_rows(profile, name, scale, scale_lookups=scale_lookups, detected=detected)
        exact = rows == table.row_count or profile.table_rule(name).row_count is not None
        exact = exact or verbatim_row_count(profile, name) is not None
        kept = [n for n in counts if scale != 1 and counts[n] == profile.tables[n].row_count]
        counts[name] = fit_capacity(table, rows, counts, exact=exact, kept=kept)
    return counts


def thinned_childless(quantiles: Sequence[float], childless: float, growth: float) -> float:
    """The childless share once every count is multiplied by *growth* (the change of the mean
    fan-out under ``--scale``): below 1, a count that falls under half a child is none, so the
    childless share grows as the children thin out. Generate and verify both use it."""
    if growth >= 1.0 or len(quantiles) < 2:
        return childless
    scaled = np.sort(np.asarray(quantiles, dtype=np.float64)) * growth
    thinned = np.flatnonzero(scaled < 0.5)
    if not thinned.size:
        return childless
    return max(childless, float(thinned[-1]) / (scaled.size - 1))


def capped_fanout(counts: np.ndarray, cap: int | None) -> np.ndarray:
    """Children per parent (equal-weight points of the fan-out, zeros included) once no parent
    may hold more than *cap*: the surplus goes to the parents with children under the cap in
    proportion to their room (to the childless only when they cannot take it all), as generate
    moves it. Verify judges a capped FK's fan-out against this shape."""
    values = np.asarray(counts, dtype=np.float64).copy()
    if cap is None or not values.size or values.max() <= cap:
        return values
    for _ in range(64):
        surplus = float(np.maximum(values - cap, 0.0).sum())
        if surplus <= 1e-9:
            break
        values = np.minimum(values, float(cap))
        room = np.where(values > 0, cap - values, 0.0)
        if room.sum() < surplus:
            room = cap - values  # the parents with children are full: the childless take some
        if room.sum() <= 0:
            break
        values += room * min(1.0, surplus / float(room.sum()))
    return values
