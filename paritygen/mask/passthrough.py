"""Tables with nothing to mask: the source's raw COPY text straight into the target's COPY.

Every column ``keep`` and the keys unchanged, going to a database of the same kind that shares
a raw format with the source (PostgreSQL's COPY text): no value is parsed or re-printed in
Python, the copy costs what ``pg_dump | psql`` costs. Each table is one transaction. Under
``--jobs`` such a table loads on a session of its own while the masked tables load (it needs
almost no Python, only the two servers' work), as ``pg_dump --jobs`` reads tables at once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paritygen.mask.rules import TableAction
from paritygen.profile.model import Column


def raw_format(source: Any, writer: Any) -> str | None:
    """The raw COPY format source and writer share, or None (then every table is parsed)."""
    from paritygen.profile.stream import raw_copy_format

    wanted = getattr(writer, "raw_copy_format", None)
    return wanted if wanted is not None and raw_copy_format(source.conn) == wanted else None


def passes_through(action: TableAction) -> bool:
    """Every column kept as it is (keys included): the rows need no Python at all."""
    return all(column.mode == "keep" for column in action.columns.values())


def copy_raw(
    source: Any, writer: Any, table: sa.Table, columns: list[Column], name: str, bar: Any
) -> int:
    """One table's COPY text from a reader of the source snapshot into the target; its rows."""
    from paritygen.profile.dialects import quote_table
    from paritygen.profile.stream import stream_raw

    with source.reader() as conn:
        blocks = stream_raw(conn, quote_table(conn, None, name), columns)
        try:
            rows = writer.load_raw(table, [c.name for c in columns], blocks, bar.advance)
            return int(rows)
        finally:
            blocks.close()  # type: ignore[attr-defined]
