"""What to generate, in which order, in which chunks: the plan of one ``generate`` run.

Tables load parents first (a topological order of the FK graph) so that every FK constraint that
exists during the load is met row by row. A cycle of FKs (customer -> default address -> customer)
has no such order: one nullable FK edge of the cycle is loaded NULL and filled afterwards with
``Writer.update``, once its parent table is complete. A nullable self-reference (an employee's
manager, a comment's parent) is filled the same way, which lets the hierarchy be any forest, not
only one whose parents happen to come first in load order.

Row counts: ``round(row_count x scale)`` unless the table's rule pins ``row_count`` or marks it
``fixed``, or the table is a lookup (:mod:`paritygen.profile.volume`), which keeps its size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from paritygen.errors import ConfigError
from paritygen.generate.base import BLOCK_ROWS
from paritygen.profile.model import ForeignKey, Profile, Table
from paritygen.profile.volume import planned_counts, planned_rows

DEFAULT_CHUNK_ROWS = BLOCK_ROWS
"""Rows per chunk handed to a writer: big enough for the bulk paths, small enough for flat
memory (a 10-column chunk is a few tens of MB)."""


HEAVY_CHUNK_BYTES = 2_000_000
"""A table whose chunk holds at least this many bytes of values is heavy: its set-up and chunks
(generation, encoding, the writer's queue) take 60-130 MB above the process. Two heavy tables
loading side by side took the 1 M-row warehouse's ``--jobs 2`` peak to 330-355 MB (sales beside
customer, review or product), one at a time it stays near the largest alone."""

FIXED_VALUE_BYTES = 8
"""Bytes a value takes besides its text: a number, a date, or a string's offset."""


SLICE_BYTES = 4 << 20
"""Most bytes of values a chunk hands the writer at once: a wider chunk (a 50,000-row block of
400-character reviews is 20 MB) goes as row slices, each encoded and sent on its own; its
encoding held ~2x the chunk again (review's +41 MB at 20 MB)."""


@dataclass(frozen=True)
class TablePlan:
    """One table of the run."""

    name: str
    row_count: int
    """Rows this run makes for the table."""
    deferred_fks: tuple[ForeignKey, ...] = ()
    """FKs loaded NULL and filled by update after the load (cycle edges, nullable self-FKs)."""
    generate: bool = True
    """False for a parent that is not generated in this run (``--tables`` left it out): its keys
    are still computed, the same way an earlier run with the same seed and scale made them."""


@dataclass(frozen=True)
class GenerationPlan:
    """Tables in load order, with counts, deferred edges and the chunk size."""

    tables: tuple[TablePlan, ...]
    chunk_rows: int
    scale: float
    by_name: dict[str, TablePlan] = field(default_factory=dict, compare=False)
    unordered_fks: tuple[tuple[str, ForeignKey], ...] = ()
    """(child, FK) of NOT NULL cycles that do not order the load (only with ``deferrable``):
    the target must not check them until the load is over."""

    def __post_init__(self) -> None:
        self.by_name.update({t.name: t for t in self.tables})

    def row_count(self, name: str) -> int:
        """Planned rows of table *name*."""
        return self.by_name[name].row_count

    @property
    def to_generate(self) -> tuple[TablePlan, ...]:
        """The tables written by this run, in load order."""
        return tuple(t for t in self.tables if t.generate)


def chunk_bytes(table: Table, rows: int) -> float:
    """Estimated bytes of *rows* rows of *table* as a chunk: a fixed width per column plus each
    string's mean length where present (the profile's length statistics)."""
    width = 0.0
    for column in table.columns.values():
        width += FIXED_VALUE_BYTES
        stats = column.stats
        if stats is not None and stats.length is not None:
            width += stats.length.mean * (1.0 - stats.null_fraction)
    return width * rows


def is_heavy(table: Table, table_plan: TablePlan, chunk_rows: int) -> bool:
    """Whether *table*'s chunk reaches :data:`HEAVY_CHUNK_BYTES` (see there: why it matters)."""
    return chunk_bytes(table, min(table_plan.row_count, chunk_rows)) >= HEAVY_CHUNK_BYTES


def planned_row_count(
    profile: Profile, name: str, scale: float, *, scale_lookups: bool = False
) -> int:
    """Rows for table *name* before its keys are checked (see
    :func:`paritygen.profile.volume.planned_rows`)."""
    return planned_rows(profile, name, scale, scale_lookups=scale_lookups)


def chunk_rows_for(chunk_rows: int | None) -> int:
    """The chunk size actually used: a whole positive multiple of ``BLOCK_ROWS``."""
    if chunk_rows is None:
        return DEFAULT_CHUNK_ROWS
    if chunk_rows <= 0:
        raise ConfigError(f"--chunk-rows must be positive (got {chunk_rows})")
    blocks = max(1, round(chunk_rows / BLOCK_ROWS))
    return blocks * BLOCK_ROWS


def chunk_ranges(row_count: int, chunk_rows: int) -> Iterator[tuple[int, int]]:
    """``(start, count)`` of each chunk of a table; every chunk but the last is full."""
    for start in range(0, row_count, chunk_rows):
        yield start, min(chunk_rows, row_count - start)


def block_ranges(start: int, count: int) -> Iterator[tuple[int, int, int]]:
    """``(block, start, count)`` of each random block inside a chunk (chunks start on a block)."""
    end = start + count
    for block_start in range(start, end, BLOCK_ROWS):
        yield block_start // BLOCK_ROWS, block_start, min(BLOCK_ROWS, end - block_start)


def fk_nullable(table: Table, fk: ForeignKey) -> bool:
    """True when every column of the FK may hold NULL (so the edge can be loaded empty)."""
    return all(table.columns[c].nullable for c in fk.columns)


def _strongly_connected(nodes: Sequence[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's SCCs, iteratively (schemas can be deep); components in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, pos = work.pop()
            if pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = edges.get(node, [])
            if pos < len(succ):
                work.append((node, pos + 1))
                nxt = succ[pos]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _break_cycles(
    profile: Profile, names: Sequence[str], deferrable: bool
) -> tuple[dict[str, list[ForeignKey]], list[ForeignKey]]:
    """Choose the FK edges to load NULL (then update) so the remaining graph is acyclic.

    Returns the deferred edges per child table, and the NOT NULL cycle edges that only stop
    ordering tables (allowed when the target checks FKs after the load).
    """
    deferred: dict[str, list[ForeignKey]] = {n: [] for n in names}
    ignored: list[ForeignKey] = []
    member = set(names)
    # Self-references: nullable ones are filled by update; NOT NULL ones are written inline
    # (keys point to rows with a smaller rank, see keys.py) and need no ordering, and so are
    # those of a table without a primary key (an update could not find its rows).
    for name in names:
        table = profile.table(name)
        for fk in table.foreign_keys:
            if fk.ref_table == name and fk_nullable(table, fk) and table.primary_key:
                deferred[name].append(fk)

    def ordering(name: str, fk: ForeignKey) -> bool:
        return (
            fk.ref_table in member
            and fk.ref_table != name
            and fk not in deferred[name]
            and fk not in ignored
        )

    while True:
        edges: dict[str, list[str]] = {n: [] for n in names}
        for name in names:
            for fk in profile.table(name).foreign_keys:
                if ordering(name, fk):
                    edges[fk.ref_table].append(name)  # parent -> child: the parent loads first
        cyclic = [c for c in _strongly_connected(names, edges) if len(c) > 1]
        if not cyclic:
            return deferred, ignored
        component = set(cyclic[0])
        inside = [
            (name, fk)
            for name in names
            if name in component
            for fk in profile.table(name).foreign_keys
            if fk.ref_table in component and ordering(name, fk)
        ]
        candidates = [(n, fk) for n, fk in inside if fk_nullable(profile.table(n), fk)]
        if not candidates:
            if not deferrable:
                cycle = ", ".join(sorted(component))
                raise ConfigError(
                    f"tables {cycle} reference each other through NOT NULL foreign keys only, so"
                    " no load order can satisfy them; make one of those FK columns nullable, or"
                    " use --schema-mode create (constraints are added after the load)"
                )
            # FKs are checked after the load: keys are pure functions of row indices, so any
            # order yields consistent values; these edges just stop ordering the tables.
            ignored.extend(fk for _, fk in inside)
            continue
        # Prefer the edge whose child has the fewest rows: the later UPDATE is cheapest there.
        name, fk = min(candidates, key=lambda c: (profile.table(c[0]).row_count, c[0]))
        deferred[name].append(fk)


def topological_order(
    profile: Profile,
    names: Sequence[str],
    deferred: dict[str, list[ForeignKey]],
    ignored: Sequence[ForeignKey] = (),
) -> list[str]:
    """Kahn's algorithm, stable in profile order, over the FK edges that still order tables."""
    member = set(names)
    indegree = {n: 0 for n in names}
    children: dict[str, list[str]] = {n: [] for n in names}
    for name in names:
        for fk in profile.table(name).foreign_keys:
            if (
                fk.ref_table in member
                and fk.ref_table != name
                and fk not in deferred.get(name, [])
                and fk not in ignored
            ):
                indegree[name] += 1
                children[fk.ref_table].append(name)
    ready = [n for n in names if indegree[n] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if len(order) != len(names):  # only reachable with ignored edges left in a cycle
        order.extend(n for n in names if n not in order)
    return order


def build_plan(
    profile: Profile,
    *,
    scale: float = 1.0,
    tables: Sequence[str] | None = None,
    chunk_rows: int | None = None,
    deferrable: bool = False,
    scale_lookups: bool = False,
) -> GenerationPlan:
    """The plan for generating *tables* (default: every table not ruled ``skip``).

    *deferrable* says the target checks FKs only after the load (constraints added afterwards),
    so a cycle of NOT NULL FKs is not an error. Lookup tables keep their rows unless
    *scale_lookups* (:mod:`paritygen.profile.volume`).
    """
    if scale <= 0:
        raise ConfigError(f"--scale must be positive (got {scale})")
    if tables:
        unknown = [t for t in tables if t not in profile.tables]
        if unknown:
            raise ConfigError(
                f"--tables: {', '.join(unknown)} not in the profile"
                f" (has: {', '.join(profile.tables)})"
            )
        selected = [n for n in profile.tables if n in set(tables)]
    else:
        selected = [n for n in profile.tables if profile.table_rule(n).mode != "skip"]
    # Parents outside the selection are still needed to compute FK values.
    needed = list(selected)
    queue = list(selected)
    while queue:
        name = queue.pop()
        for fk in profile.table(name).foreign_keys:
            if fk.ref_table not in needed:
                needed.append(fk.ref_table)
                queue.append(fk.ref_table)
    names = [n for n in profile.tables if n in set(needed)]
    deferred, ignored = _break_cycles(profile, names, deferrable)
    order = topological_order(profile, names, deferred, ignored)
    chosen = set(selected)
    # every table's keys checked against its parents' counts before anything is written
    counts = planned_counts(profile, scale, scale_lookups=scale_lookups)
    plans = tuple(
        TablePlan(
            name=name,
            row_count=counts[name],
            deferred_fks=tuple(deferred.get(name, ())),
            generate=name in chosen,
        )
        for name in order
    )
    unordered = tuple(
        (name, fk) for name in names for fk in profile.table(name).foreign_keys if fk in ignored
    )
    return GenerationPlan(
        tables=plans, chunk_rows=chunk_rows_for(chunk_rows), scale=scale, unordered_fks=unordered
    )
