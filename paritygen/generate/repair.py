"""Enforcing parsed CHECK rules on a generated chunk: find the violating rows, repair them.

Repairs are vectorised and touch only the violators: out-of-range values are clipped to the
bound (one step inside for strict bounds), IN-list violators are redrawn from the allowed set,
NOT NULL gaps are filled from the column's own values, column comparisons are swapped (or the
left side shifted), and string lengths are cut or padded. NULL never violates a CHECK (SQL's
rule), except NOT NULL.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from paritygen.generate.checks import (
    CheckRule,
    CompareCheck,
    InCheck,
    LengthCheck,
    NotNullCheck,
    RangeCheck,
    SkippedCheck,
)


def _literal_for(value: object, dtype: pl.DataType) -> object:
    """A CHECK literal in the column's type (dates and times arrive as ISO text)."""
    if isinstance(value, str):
        if dtype == pl.Date:
            return dt.date.fromisoformat(value[:10])
        if isinstance(dtype, pl.Datetime):
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        if dtype == pl.Time:
            return dt.time.fromisoformat(value)
        if dtype.is_numeric():
            return float(value)
    if isinstance(value, bool) and dtype.is_numeric():
        return int(value)
    return value


def _step(dtype: pl.DataType) -> object:
    """The smallest move that turns ``>=`` into ``>`` for a type."""
    if dtype == pl.Date:
        return dt.timedelta(days=1)
    if isinstance(dtype, pl.Datetime):
        return dt.timedelta(microseconds=1)
    if dtype == pl.Time:
        return dt.timedelta(microseconds=1)
    if dtype.is_integer():
        return 1
    return None


def _float_step(value: float) -> float:
    """A move off a float bound that survives single precision (MariaDB ``FLOAT`` is 32-bit)."""
    return max(abs(float(value)), 1.0) * 1e-6


def _holds(expr: pl.Expr, op: str, other: object) -> pl.Expr:
    return {
        ">": expr > other,
        ">=": expr >= other,
        "<": expr < other,
        "<=": expr <= other,
        "=": expr == other,
        "<>": expr != other,
    }[op]


def violations(df: pl.DataFrame, rule: CheckRule) -> pl.Expr | None:
    """A boolean expression that is True on the rows breaking *rule* (NULL never breaks a CHECK
    except NOT NULL, as in SQL)."""
    if isinstance(rule, SkippedCheck):
        return None
    if isinstance(rule, NotNullCheck):
        return pl.col(rule.column).is_null() if rule.column in df.columns else None
    if isinstance(rule, RangeCheck):
        if rule.column not in df.columns:
            return None
        value = _literal_for(rule.value, df.schema[rule.column])
        return (~_holds(pl.col(rule.column), rule.op, value)).fill_null(False)
    if isinstance(rule, InCheck):
        if rule.column not in df.columns:
            return None
        dtype = df.schema[rule.column]
        allowed = pl.Series([_literal_for(v, dtype) for v in rule.values]).cast(dtype, strict=False)
        inside = pl.col(rule.column).is_in(allowed.implode())
        return (inside if rule.negated else ~inside).fill_null(False)
    if isinstance(rule, LengthCheck):
        if rule.column not in df.columns or df.schema[rule.column] != pl.String:
            return None
        text = pl.col(rule.column).str
        length = text.len_bytes() if rule.in_bytes else text.len_chars()
        return (~_holds(length, rule.op, rule.value)).fill_null(False)
    if rule.left not in df.columns or rule.right not in df.columns:
        return None
    return (~_holds(pl.col(rule.left), rule.op, pl.col(rule.right))).fill_null(False)


def _fit_length(df: pl.DataFrame, rule: LengthCheck, rows: np.ndarray) -> pl.Series:
    """The violating strings cut or padded (with ``x``) to a length the rule allows."""
    values = df[rule.column].gather(rows)
    if rule.in_bytes:  # ASCII makes bytes and characters one: the cut below then holds
        values = values.str.replace_all(r"[^\x00-\x7F]", "x")
    n = rule.value
    shortest = {">=": n, ">": n + 1, "=": n}.get(rule.op, 0)
    longest = {"<=": n, "<": n - 1, "=": n}.get(rule.op)
    if rule.op == "<>":  # exactly n long: one character more (or drop one when n is large)
        return values.str.pad_end(n + 1, "x") if n == 0 else values.str.slice(0, n - 1)
    if longest is not None:
        values = values.str.slice(0, max(longest, 0))
    return values.str.pad_end(shortest, "x")


def _repair(df: pl.DataFrame, rule: CheckRule, rng: np.random.Generator) -> pl.DataFrame:
    bad_expr = violations(df, rule)
    if bad_expr is None:
        return df
    bad = df.select(bad_expr.alias("bad")).to_series()
    count = int(bad.sum())
    if count == 0:
        return df
    rows = np.flatnonzero(bad.to_numpy())
    if isinstance(rule, LengthCheck):
        return df.with_columns(df[rule.column].scatter(rows, _fit_length(df, rule, rows)))
    if isinstance(rule, NotNullCheck):
        present = df[rule.column].drop_nulls()
        if len(present) == 0:
            return df
        fill = present.gather(rng.integers(0, len(present), count))
        return df.with_columns(df[rule.column].scatter(rows, fill))
    if isinstance(rule, InCheck):
        dtype = df.schema[rule.column]
        allowed = pl.Series([_literal_for(v, dtype) for v in rule.values]).cast(dtype, strict=False)
        if rule.negated:
            present = df[rule.column].filter(~bad).drop_nulls()
            if len(present) == 0:
                return df.with_columns(df[rule.column].scatter(rows, None))
            fill = present.gather(rng.integers(0, len(present), count))
        else:
            fill = allowed.gather(rng.integers(0, len(allowed), count))
        return df.with_columns(df[rule.column].scatter(rows, fill))
    if isinstance(rule, RangeCheck):
        column = rule.column
        dtype = df.schema[column]
        value = _literal_for(rule.value, dtype)
        step = _step(dtype)
        if not (dtype.is_numeric() or dtype.is_temporal()):
            # Text ranges (``code <> ''``): reuse values of rows that already hold.
            present = df[column].filter(~bad).drop_nulls()
            if len(present) == 0:
                return df
            fill = present.gather(rng.integers(0, len(present), count))
            return df.with_columns(df[column].scatter(rows, fill))
        if rule.op in (">=", "<=", "="):
            target = value
        elif rule.op in (">", "<"):
            sign = 1 if rule.op == ">" else -1
            if step is not None:
                target = value + step if sign > 0 else value - step
            else:
                target = float(value) + sign * _float_step(float(value))
        else:  # "<>": move off the forbidden value
            target = value + step if step is not None else float(value) + _float_step(value)
        fill = pl.Series([target] * count).cast(dtype, strict=False)
        return df.with_columns(df[column].scatter(rows, fill))
    # Column comparison: swap the pair where that fixes it, otherwise shift the left side.
    left, right = df[rule.left], df[rule.right]
    if rule.op in (">=", "<=", ">", "<") and left.dtype == right.dtype:
        new_left = left.scatter(rows, right.gather(rows))
        new_right = right.scatter(rows, left.gather(rows))
        df = df.with_columns(new_left, new_right)
        still = violations(df, rule)
        bad = df.select(still.alias("bad")).to_series()
        rows = np.flatnonzero(bad.to_numpy())
        if len(rows) == 0:
            return df
        left, right = df[rule.left], df[rule.right]
    step = _step(left.dtype)
    right_values = right.gather(rows)
    if rule.op in (">", ">="):
        moved = (
            right_values + step
            if step is not None
            else right_values + (right_values.abs() * 1e-6 + 1e-6)
        )
    elif rule.op in ("<", "<="):
        moved = (
            right_values - step
            if step is not None
            else right_values - (right_values.abs() * 1e-6 + 1e-6)
        )
    elif rule.op == "=":
        moved = right_values
    else:
        moved = right_values + step if step is not None else right_values + 1.0
    return df.with_columns(left.scatter(rows, moved.cast(left.dtype, strict=False)))


def repair_all(df: pl.DataFrame, rules: list[CheckRule], rng: np.random.Generator) -> pl.DataFrame:
    """*df* repaired so every parsed rule holds (skipped rules are left alone).

    Rules are applied in turn; a repair can break an earlier rule (a swap pushing a value out of
    its range), so the pass repeats until a pass changes nothing.
    """
    active = [r for r in rules if not isinstance(r, SkippedCheck)]
    df = couple_ordered(df, active, rng)
    for _ in range(4):
        for rule in active:
            df = _repair(df, rule, rng)
        if all(_violation_count(df, rule) == 0 for rule in active):
            break
    return df


ORDERING = frozenset({">", ">=", "<", "<="})


def couple_ordered(df: pl.DataFrame, rules: list[CheckRule], rng: np.random.Generator):
    """Rank-align columns tied by ordering comparisons (``ends_at >= starts_at``,
    ``gross_price >= net_price``) before any repair.

    Generated independently, such columns break the rule on about half the rows, and swapping
    the pairs would bend both distributions. Giving every tied column the same random rank
    order instead (a comonotonic coupling over the rows where all are set) keeps each column's
    values exactly, and the rule then holds on every row where one distribution dominates the
    other, as it does in production; the few rows left are repaired one by one afterwards.
    """
    pairs = [
        (r.left, r.right)
        for r in rules
        if isinstance(r, CompareCheck)
        and r.op in ORDERING
        and r.left in df.columns
        and r.right in df.columns
        and df.schema[r.left] == df.schema[r.right]
    ]
    if not pairs or df.height < 2:
        return df
    ties = [r for r in rules if isinstance(r, CompareCheck) and (r.left, r.right) in pairs]
    if all(_violation_count(df, rule) == 0 for rule in ties):
        return df  # already in order (the profile's orderings did it): keep their pairing
    groups: list[set[str]] = []
    for left, right in pairs:
        touching = [g for g in groups if left in g or right in g]
        merged = {left, right}.union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    for group in groups:
        columns = sorted(group)
        if len({df.schema[c] for c in columns}) != 1:
            continue
        present = df.select(pl.all_horizontal([pl.col(c).is_not_null() for c in columns]))
        rows = np.flatnonzero(present.to_series().to_numpy())
        if len(rows) < 2:
            continue
        placement = rows[rng.permutation(len(rows))]
        updates = [df[c].scatter(placement, df[c].gather(rows).sort()) for c in columns]
        df = df.with_columns(updates)
    return df


def _violation_count(df: pl.DataFrame, rule: CheckRule) -> int:
    expr = violations(df, rule)
    if expr is None:
        return 0
    return int(df.select(expr.sum()).item())


def count_violations(df: pl.DataFrame, rules: list[CheckRule]) -> int:
    """Rows-times-rules that break a parsed rule (0 after :func:`apply_checks`)."""
    return sum(_violation_count(df, rule) for rule in rules)
