"""Discrete value models: categories at their measured shares, fixed values, constants, booleans.

Most-common values are drawn as atoms at their shares (exact per block, see
``base.stratified_uniform``); when they cover only part of the column, the rest comes from the
model the column would use without them (quantiles, its semantic kind, its shape pattern or
length-shaped text), kept off the atom values, so frequencies and distributions both hold.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.errors import ConfigError
from paritygen.generate import temporal
from paritygen.generate.base import (
    AtomMixer,
    ColumnContext,
    column_rule_param,
    null_mask,
    profiled_null_fraction,
    spread,
    stratified_uniform,
)
from paritygen.generate.checks import InCheck, column_rules, parse_checks
from paritygen.generate.numeric import QuantileGenerator
from paritygen.profile.model import Column
from paritygen.profile.values import TEMPORAL, to_number
from paritygen.registry import generators


def typed_values(values: list[object], column: Column) -> pl.Series:
    """Profile or rule scalars as a series of the column's contract type."""
    kind = column.logical_type
    if kind in TEMPORAL:
        return temporal.to_series(
            np.array([to_number(v, kind) for v in values], dtype=np.float64), kind
        )
    if kind == "integer":
        return pl.Series([int(round(float(v))) for v in values], dtype=pl.Int64)
    if kind in ("float", "decimal"):
        return pl.Series([float(v) for v in values], dtype=pl.Float64)
    if kind == "boolean":
        return pl.Series([v in (True, 1, "1", "true", "t", "True") for v in values])
    if kind == "binary":
        return pl.Series([bytes.fromhex(str(v)) for v in values], dtype=pl.Binary)
    return pl.Series([str(v) for v in values], dtype=pl.String)


def category_atoms(ctx: ColumnContext) -> tuple[list[object], np.ndarray]:
    """The categories and shares of a column: MCVs, completed by enum labels or a CHECK IN list
    (labels never seen share the leftover mass evenly), restricted to what the CHECK allows.
    A SET's categories are production's member combinations (``''`` included) at their shares,
    completed by its single members."""
    column = ctx.column
    stats = column.stats
    seen = [(item.value, item.frequency) for item in stats.most_common] if stats else []
    allowed: list[object] | None = None
    for rule in column_rules(parse_checks(ctx.table), column.name):
        if isinstance(rule, InCheck) and not rule.negated:
            allowed = list(rule.values)
    if column.member_set:  # production's member combinations, then the unseen members
        members = set(column.enum_values or ())
        combos = [v for v, _ in seen if not str(v) or set(str(v).split(",")) <= members]
        allowed = combos + [m for m in column.enum_values or () if m not in combos]
    elif column.enum_values:
        allowed = [v for v in column.enum_values if allowed is None or v in allowed]
    if allowed is None:
        values = [v for v, _ in seen]
        return values, np.array([f for _, f in seen], dtype=np.float64)
    keys = [str(v) for v in allowed]
    share = {str(v): f for v, f in seen if str(v) in keys}
    leftover = max(0.0, 1.0 - sum(share.values()))
    unseen = [k for k in keys if k not in share]
    for key in unseen:
        share[key] = leftover / len(unseen)
    shares = np.array([share[k] for k in keys], dtype=np.float64)
    if shares.sum() <= 0:
        shares = np.ones(len(keys))
    return list(allowed), shares / shares.sum()


@generators.register("categorical")
class CategoricalGenerator:
    """Most-common values at their measured shares; the rest from the column's own model with
    values outside the set (quantiles for ordered columns, length-shaped text otherwise)."""

    def __init__(self, ctx: ColumnContext) -> None:
        self.name = ctx.column.name
        self.null_fraction = profiled_null_fraction(ctx)
        kind = ctx.column.logical_type
        values, shares = category_atoms(ctx)
        self.delegate = None
        if kind in ("integer", "float", "decimal", *TEMPORAL) and not ctx.column.enum_values:
            has_in = any(
                isinstance(r, InCheck) and not r.negated
                for r in column_rules(parse_checks(ctx.table), ctx.column.name)
            )
            if not has_in:
                self.delegate = QuantileGenerator(ctx)
                return
        if not values:
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: generator 'categorical' needs most-common "
                "values, enum labels or a CHECK IN list"
            )
        stats = ctx.column.stats
        if stats is not None and 0 < stats.distinct_count <= len(values):
            shares = shares / shares.sum()  # the MCVs are every value production held
        self.mixer = AtomMixer(typed_values(values, ctx.column), shares)
        self.residual = None
        if self.mixer.residual_share > 0:
            self.residual = residual_model(ctx, self.mixer.atoms)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        if self.delegate is not None:
            return self.delegate.generate(start, count, rng)
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        return spread(self.mixer.draw(n, rng, self.residual), nulls).alias(self.name)


def residual_model(ctx: ColumnContext, atoms: pl.Series):
    """``(k, rng) -> k values`` outside *atoms*, from the model the column would use without
    its most-common values: its semantic kind, its shape pattern, or length-shaped text."""
    from paritygen.generate import native, semantic, text

    column = ctx.column
    rule = ctx.rule
    tag = (rule.semantic if rule is not None and rule.semantic else None) or column.semantic
    stats = column.stats
    if native.makes(column):
        make = native.NativeGenerator(ctx).residual
    elif tag and semantic.supports(tag, column):
        share = 1.0 - float(sum(item.frequency for item in stats.most_common)) if stats else 1.0
        make = semantic.SemanticGenerator(ctx, known_values=len(atoms), share=share).residual
    elif stats is not None and stats.shape is not None and stats.shape.share >= 0.5:
        share = 1.0 - float(sum(item.frequency for item in stats.most_common))
        make = text.PatternGenerator(ctx, known_values=len(atoms), share=share).residual
    else:
        return text.LengthTextGenerator(ctx, avoid=atoms).residual

    def draw(k: int, rng: np.random.Generator) -> pl.Series:
        values = make(k, rng)
        for _ in range(3):
            clash = np.flatnonzero(values.is_in(atoms.implode()).to_numpy())
            if len(clash) == 0:
                break
            values = values.scatter(clash, make(len(clash), rng))
        return values

    return draw


@generators.register("values")
class ValuesGenerator:
    """The rule's fixed list of values, uniformly or by the rule's weights."""

    def __init__(self, ctx: ColumnContext) -> None:
        rule = ctx.rule
        where = f"{ctx.table.name}.{ctx.column.name}"
        if rule is None or not rule.values:
            raise ConfigError(f"{where}: generator 'values' needs a rule with values")
        weights = np.array(rule.weights or [1.0] * len(rule.values), dtype=np.float64)
        if len(weights) != len(rule.values) or np.any(weights < 0) or weights.sum() <= 0:
            raise ConfigError(f"{where}: rule weights must be one non-negative number per value")
        try:
            atoms = typed_values(list(rule.values), ctx.column)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{where}: rule values do not fit {ctx.column.logical_type}: {exc}"
            ) from None
        self.name = ctx.column.name
        self.mixer = AtomMixer(atoms, weights / weights.sum())
        self.null_fraction = profiled_null_fraction(ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        return spread(self.mixer.draw(n, rng, None), nulls).alias(self.name)


@generators.register("constant")
class ConstantGenerator:
    """One value everywhere (rule param ``value``, else the most common value), NULLs kept."""

    def __init__(self, ctx: ColumnContext) -> None:
        value = column_rule_param(ctx, "value")
        stats = ctx.column.stats
        if value is None and stats is not None and stats.most_common:
            value = max(stats.most_common, key=lambda item: item.frequency).value
        if value is None:
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: generator 'constant' needs params.value"
            )
        self.name = ctx.column.name
        self.value = typed_values([value], ctx.column)
        self.null_fraction = profiled_null_fraction(ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        return spread(self.value.gather(np.zeros(n, dtype=np.int64)), nulls).alias(self.name)


@generators.register("boolean")
class BooleanGenerator:
    """True at the profiled share (rule param ``true_fraction`` overrides; default one half)."""

    def __init__(self, ctx: ColumnContext) -> None:
        stats = ctx.column.stats
        share = column_rule_param(ctx, "true_fraction")
        if share is None:
            share = stats.true_fraction if stats is not None else None
        if share is None and stats is not None and stats.most_common:
            share = sum(
                item.frequency
                for item in stats.most_common
                if item.value in (True, 1, "1", "true", "t")
            )
        share = 0.5 if share is None else float(share)
        if not 0.0 <= share <= 1.0:
            raise ConfigError(
                f"{ctx.table.name}.{ctx.column.name}: true_fraction must be in [0, 1]"
            )
        self.name = ctx.column.name
        self.true_fraction = share
        self.null_fraction = profiled_null_fraction(ctx)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        nulls = null_mask(rng, count, self.null_fraction, start)
        n = count if nulls is None else count - int(nulls.sum())
        values = pl.Series(self.name, stratified_uniform(rng, n) < self.true_fraction)
        return spread(values, nulls).alias(self.name)


class Determined:
    """A categorical column that production ties to another of the row (a city's country):
    where the row's source value is one of the profiled pairs, this column takes its partner;
    elsewhere (and where production's column is NULL) the column's own generator decides."""

    def __init__(self, base: object, column: Column) -> None:
        stats = column.stats
        assert stats is not None and stats.follows and stats.mapping
        self.base = base
        self.follows = stats.follows
        self.name = column.name
        self.sources = [str(a) for a, _ in stats.mapping]
        self.partners = typed_values([b for _, b in stats.mapping], column)

    def generate(self, start: int, count: int, rng: np.random.Generator) -> pl.Series:
        return self.base.generate(start, count, rng)  # type: ignore[attr-defined]

    def generate_following(
        self, start: int, count: int, rng: np.random.Generator, sources: list[pl.Series]
    ) -> pl.Series:
        own = self.generate(start, count, rng)
        source = sources[0].cast(pl.String)
        partner = source.replace_strict(
            self.sources, self.partners, default=None, return_dtype=self.partners.dtype
        )
        return pl.select(
            pl.when(own.is_null()).then(None)
            .when(partner.is_not_null()).then(partner)
            .otherwise(own)
            .alias(self.name)
        ).to_series()  # fmt: skip


def determined(generator: object, column: Column) -> object:
    """*generator*, tied to the column it follows when the profile holds value pairs."""
    stats = column.stats
    if stats is None or not stats.follows or not stats.mapping or column.semantic == "email":
        return generator
    return Determined(generator, column)
