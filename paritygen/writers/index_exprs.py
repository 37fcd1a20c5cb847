"""Expression and partial indexes from a profile, rebuilt as data, never as the source's text.

``CREATE INDEX ... ((lower(email)))`` and ``... WHERE deleted_at IS NULL`` serve the queries a
load test runs (a case-insensitive login lookup, the live rows of a soft-deleted table); without
them staging plans those queries differently from production. The profile carries each element
and the predicate as text (:class:`paritygen.profile.model.Index`), and a profile is untrusted:
every expression goes through :func:`paritygen.writers.expressions.safe_expression` (parsed by
sqlglot, every node on an allow-list, column names checked, re-rendered with quoted names). An
index with an element or predicate outside the allow-list is left out with a note.

Within one database family only: an expression rendered for another database would index
something else (collations, function semantics). Across families an expression index is left
out and a partial one built whole (non-unique) or left out (unique), each with a note. What the
target offers is read from its capabilities (``expression_indexes``, ``partial_index_option``).

A unique index on expressions or with a predicate is not a unique constraint of its columns,
so the generator does not make values unique for it: it is built after the load only, and
:mod:`paritygen.writers.finish` leaves it out with a note when the generated rows do not satisfy
it (:data:`OPTIONAL`). Such indexes are found in the target by name (:data:`BY_NAME`), since
their reflected columns are not theirs.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from paritygen.profile.model import Index
from paritygen.writers.capabilities import Capabilities
from paritygen.writers.expressions import INDEX_FUNCTIONS, Dropped, safe_expression

BY_NAME = "paritygen_by_name"
"""``Index.info`` key: the target holds this index when an index of its name exists."""
OPTIONAL = "paritygen_optional"
"""``Index.info`` key: build it if the rows allow, else leave it out with a note."""


def is_special(ix: Index) -> bool:
    """True for an index this module builds (expressions, a predicate, or unique such)."""
    return bool(ix.expressions or ix.where or ix.unique)


def add_special_index(
    table: sa.Table,
    ix: Index,
    caps: Capabilities,
    source_family: str,
    columns: dict[str, str],
    index_name: Callable[[str], str],
) -> str | None:
    """Add *ix* to *table* as the target can hold it; the note to print, if any.

    *columns* maps the profile's column names to the target's; *index_name* turns a wanted
    name into a unique, length-limited one."""
    label = f"{table.name}: index {ix.name or '(unnamed)'}"
    same = source_family == caps.family
    if ix.expressions and not (same and caps.expression_indexes):
        return f"{label} on expressions left out (kept on the source's own database only)"
    if ix.unique and not (
        "unique" in caps.deferred and caps.constraints_after_load and caps.alter_add_constraint
    ):
        return f"{label} (unique, on expressions or partial) left out: {caps.display_name}" \
            " builds unique indexes before the load, which the generated rows may not satisfy"
    try:
        elements = [_element(table, text, source_family, caps, columns)
                    for text in ix.expressions or ix.columns]  # fmt: skip
        where = (
            safe_expression(ix.where, source_family, caps.family, columns=columns,
                            functions=INDEX_FUNCTIONS)  # fmt: skip
            if ix.where
            else None
        )
    except Dropped as reason:
        return f"{label} left out: {reason}"
    options: dict[str, object] = {}
    note = None
    if ix.kind and ix.kind in caps.index_kinds and same and caps.index_kind_option:
        options[caps.index_kind_option] = ix.kind.upper()
    if where is not None and caps.partial_index_option:
        options[caps.partial_index_option] = sa.text(where)
    elif where is not None and ix.unique:
        return f"{label} (partial, unique) left out: {caps.display_name} has no partial indexes"
    elif where is not None:
        note = f"{label} is partial in the source, whole on {caps.display_name}"
    made = sa.Index(
        index_name(ix.name or f"{table.name}_expr_idx"), *elements, unique=bool(ix.unique),
        _table=table, **options,
    )  # fmt: skip
    made.info[BY_NAME] = True
    made.info[OPTIONAL] = bool(ix.unique)
    return note


def _element(
    table: sa.Table, text: str, source_family: str, caps: Capabilities, columns: dict[str, str]
) -> sa.ColumnElement | sa.Column:
    """A column of *table* when *text* names one, else the checked expression, parenthesised
    (an index element that is not a column or a function call must be)."""
    if text in columns:
        return table.c[text]
    rendered = safe_expression(
        text, source_family, caps.family, columns=columns, functions=INDEX_FUNCTIONS
    )
    return sa.text(f"({rendered})")
