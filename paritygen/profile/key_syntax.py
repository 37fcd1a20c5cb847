"""The shorthand of virtual keys in ``rules:``, read as data.

``customer_id -> customers.id``, ``(tenant_id, customer_id) -> customers.(tenant_id, id)`` and
``commentable_id -> posts.id when commentable_type = 'Post'`` are what users write (Greenmask's
``virtual_references`` and the subsetters' quasi-FK files use the same two halves). A profile is
untrusted input, so this is a small tokenizer that accepts identifiers, one ``=`` comparison and a
literal (quoted text, a number, true/false) and nothing else: the condition becomes a
(column, value) pair whose value is bound as a parameter, never SQL text sent as it was written.
Errors are ``ValueError`` so that pydantic reports them at the rule's exact path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<arrow>->)
      | (?P<punct>[().,=])
      | (?P<string>'(?:[^']|'')*')
      | (?P<number>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<quoted>"(?:[^"]|"")+"|`(?:[^`]|``)+`)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"when": "when", "true": True, "false": False}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot read {text[pos : pos + 20]!r} in {text!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "string":
            out.append(("literal", raw[1:-1].replace("''", "'")))
        elif kind == "number":
            out.append(("literal", float(raw) if any(c in raw for c in ".eE") else int(raw)))
        elif kind == "quoted":
            quote = raw[0]
            out.append(("name", raw[1:-1].replace(quote * 2, quote)))
        elif kind == "word" and raw.lower() in _KEYWORDS:
            word = _KEYWORDS[raw.lower()]
            out.append(("when", "when") if word == "when" else ("literal", word))
        elif kind == "word":
            out.append(("name", raw))
        else:
            out.append((kind, raw))
    return out


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: Any = None, what: str = "") -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            found = "the end" if token is None else repr(token[1])
            raise ValueError(f"expected {what or value or kind} but found {found} in {self.text!r}")
        self.pos += 1
        return token[1]

    def columns(self) -> list[str]:
        token = self.peek()
        if token is not None and token == ("punct", "("):
            self.pos += 1
            names = [self.take("name", what="a column name")]
            while self.peek() == ("punct", ","):
                self.pos += 1
                names.append(self.take("name", what="a column name"))
            self.take("punct", ")")
            return names
        return [self.take("name", what="a column name")]

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise ValueError(f"unexpected {token[1]!r} in {self.text!r}")


def parse_columns(text: str) -> list[str]:
    """``id`` or ``(tenant_id, id)`` as a list of column names."""
    reader = _Reader(text)
    names = reader.columns()
    reader.end()
    return names


def parse_foreign_key(text: str) -> dict[str, Any]:
    """``cols -> table.cols [when column = literal]`` as the mapping form of a virtual FK."""
    reader = _Reader(text)
    columns = reader.columns()
    reader.take("arrow", what="'->'")
    table = reader.take("name", what="the parent table")
    reader.take("punct", ".", what="'.' and the parent's column(s)")
    ref_columns = reader.columns()
    out: dict[str, Any] = {"columns": columns, "ref_table": table, "ref_columns": ref_columns}
    if reader.peek() is not None:
        reader.take("when", what="'when' or the end")
        column = reader.take("name", what="the condition's column")
        reader.take("punct", "=", what="'=' (a condition compares one column with a literal)")
        value = reader.take("literal", what="a literal ('text', a number, true or false)")
        out["when"] = {"column": column, "equals": value}
    reader.end()
    return out


def _name(name: str) -> str:
    return (
        name
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name)
        else '"' + name.replace('"', '""') + '"'
    )


def _columns(names: Sequence[str]) -> str:
    return _name(names[0]) if len(names) == 1 else f"({', '.join(map(_name, names))})"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def format_foreign_key(
    columns: Sequence[str],
    ref_table: str,
    ref_columns: Sequence[str],
    condition: tuple[str, Any] | None = None,
) -> str:
    """The shorthand spelling of a virtual FK (the inverse of :func:`parse_foreign_key`)."""
    text = f"{_columns(columns)} -> {_name(ref_table)}.{_columns(ref_columns)}"
    if condition is not None:
        text += f" when {_name(condition[0])} = {_literal(condition[1])}"
    return text
