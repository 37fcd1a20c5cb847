"""Keys without a database: bijections, sequences, fan-out shape, uniqueness, determinism."""

from __future__ import annotations

import numpy as np
import polars as pl

from paritygen.generate.fanout import _refit, locate
from paritygen.generate.fk_values import value_target
from paritygen.generate.keys import (
    ExistingKeys,
    IntegerSequence,
    KeyFactory,
    Permutation,
    fanout_counts,
    place_counts,
    uuid_strings,
)
from paritygen.generate.plan import build_plan
from paritygen.profile.io import profile_from_dict
from paritygen.profile.model import FanoutStats


def ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def zipf_fanout(parents: int, seed: int = 0) -> tuple[np.ndarray, FanoutStats]:
    """A skewed 'production' fan-out and the statistics a profiler would keep of it."""
    raw = np.minimum(np.random.default_rng(seed).zipf(1.7, parents) - 1, 3000)
    heavy = np.sort(raw)[::-1][: max(1, parents // 100)].sum()
    position = np.bincount(np.arange(parents) * 20 // parents, weights=raw) / raw.sum()
    stats = FanoutStats(
        parent_rows=parents,
        child_rows=int(raw.sum()),
        null_fraction=0.0,
        childless_fraction=float((raw == 0).mean()),
        max=int(raw.max()),
        mean=float(raw.mean()),
        quantiles=tuple(float(q) for q in np.quantile(raw, np.linspace(0, 1, 101))),
        top_share=float(heavy / raw.sum()),
        position_weights=tuple(
            float(w) for w in np.linspace(1, 3, 20) / np.linspace(1, 3, 20).sum()
        ),
    )
    del position
    return raw, stats


def test_permutation_is_a_bijection_with_an_inverse() -> None:
    for n in (1, 2, 3, 1000, 65_537):
        perm = Permutation(n, key=12345)
        idx = np.arange(n, dtype=np.int64)
        image = perm.forward(idx)
        assert np.array_equal(np.sort(image), idx)
        assert np.array_equal(perm.inverse(image), idx)
    a = Permutation(10_000, 1).forward(np.arange(10_000))
    b = Permutation(10_000, 2).forward(np.arange(10_000))
    assert (a != b).mean() > 0.99  # the key matters
    assert abs(np.corrcoef(np.arange(10_000), a)[0, 1]) < 0.05  # and it shuffles


def test_integer_sequence_keeps_range_gaps_and_is_strictly_increasing() -> None:
    # production: ids 10000..10999 then a gap, then 50000..58999 (10 k rows)
    prod = np.concatenate([np.arange(10_000, 11_000), np.arange(50_000, 59_000)])
    seq = IntegerSequence(len(prod), list(np.quantile(prod, np.linspace(0, 1, 101))))
    keys = seq.values(np.arange(len(prod)))
    assert (np.diff(keys) > 0).all()
    assert keys[0] == 10_000 and keys[-1] == 58_999
    assert ((keys > 11_000) & (keys < 50_000)).mean() < 0.02  # the gap stays (almost) empty
    assert ks(keys, prod) <= 0.05
    # any block alone gives the same values
    assert np.array_equal(seq.values(np.arange(5000, 6000)), keys[5000:6000])
    # scaled up beyond the range: still unique, range extended upward
    big = IntegerSequence(50_000, list(np.quantile(prod, np.linspace(0, 1, 101))))
    assert (np.diff(big.values(np.arange(50_000))) > 0).all()


def test_date_like_key_keeps_its_range() -> None:
    prod = np.array([20240101 + m * 100 + d for m in range(12) for d in range(28)])
    seq = IntegerSequence(len(prod), list(np.quantile(prod, np.linspace(0, 1, 101))))
    keys = seq.values(np.arange(len(prod)))
    assert keys.min() == 20240101 and keys.max() == prod.max()
    assert (np.diff(keys) > 0).all()


def test_uuids_are_unique_and_well_formed() -> None:
    values = uuid_strings(np.arange(200_000, dtype=np.int64), key=9)
    assert values.n_unique() == 200_000
    assert values.str.contains(
        r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    ).all()


def test_fanout_counts_follow_quantiles_childless_share_and_sum_exactly() -> None:
    raw, stats = zipf_fanout(20_000)
    counts = fanout_counts(stats, 20_000, int(raw.sum()))
    assert counts.sum() == raw.sum()
    assert ks(counts, raw) <= 0.05
    assert abs((counts == 0).mean() - stats.childless_fraction) < 0.005
    top = np.sort(counts)[::-1][:200].sum() / counts.sum()
    assert abs(top - stats.top_share) < 0.05
    # scale 2: both tables double, the shape holds
    doubled = fanout_counts(stats, 40_000, 2 * int(raw.sum()))
    assert doubled.sum() == 2 * raw.sum() and ks(doubled, raw) <= 0.05
    # a lookup parent kept fixed while children double: counts double, sum still exact
    fixed = fanout_counts(stats, 20_000, 2 * int(raw.sum()))
    assert fixed.sum() == 2 * raw.sum()


def test_counts_are_placed_on_the_heavy_positions() -> None:
    raw, stats = zipf_fanout(20_000, seed=3)
    counts = fanout_counts(stats, 20_000, int(raw.sum()))
    placed = place_counts(counts, value_target([], stats.position_weights, 20_000), key=5)
    assert np.array_equal(np.sort(placed), np.sort(counts))
    share = np.bincount(np.arange(20_000) * 20 // 20_000, weights=placed) / placed.sum()
    # where the children sit along the key space: a KS distance against the profiled buckets
    assert np.abs(np.cumsum(share - np.asarray(stats.position_weights))).max() < 0.01
    assert np.abs(share - np.asarray(stats.position_weights)).max() < 0.02


def _profile(fanout: FanoutStats, null_fraction: float) -> object:
    def col(name, logical="integer", nullable=False, **extra):
        return {"name": name, "logical_type": logical, "sql_type": logical, "nullable": nullable,
                **extra}  # fmt: skip

    fanout_dict = {**fanout.__dict__, "null_fraction": null_fraction}
    fanout_dict["position_weights"] = list(fanout.position_weights)
    fanout_dict["quantiles"] = list(fanout.quantiles)
    customer_ids = {"null_fraction": 0.0, "distinct_count": 1000, "quantiles": [5000, 30000, 60000]}
    tables = {
        "customer": {
            "name": "customer", "row_count": 20_000, "primary_key": ["id"],
            "columns": {"id": col("id", stats=customer_ids),
                        "code": col("code", "string", length=12),
                        "manager_id": col("manager_id", nullable=True)},
            "unique_constraints": [{"columns": ["code"]}],
            "foreign_keys": [{"columns": ["manager_id"], "ref_table": "customer",
                              "ref_columns": ["id"],
                              "fanout": {**fanout_dict, "null_fraction": 0.4,
                                         "position_weights": []}}],
        },
        "orders": {
            "name": "orders", "primary_key": ["id"],
            "row_count": round(fanout.child_rows / (1 - null_fraction)),
            "columns": {"id": col("id", "uuid"), "customer_id": col("customer_id", nullable=True)},
            "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customer",
                              "ref_columns": ["id"], "fanout": fanout_dict}],
        },
        "order_line": {
            "name": "order_line", "row_count": 30_000, "primary_key": ["order_id", "line_no"],
            "columns": {"order_id": col("order_id", "uuid"), "line_no": col("line_no")},
            "foreign_keys": [{"columns": ["order_id"], "ref_table": "orders",
                              "ref_columns": ["id"]}],
        },
        "voucher": {"name": "voucher", "row_count": 5000, "primary_key": ["code"],
                    "columns": {"code": col("code", "string", length=12)}},
        "tag": {"name": "tag", "row_count": 50, "primary_key": ["id"],
                "columns": {"id": col("id")}},
        "customer_tag": {
            "name": "customer_tag", "row_count": 40_000, "primary_key": ["customer_id", "tag_id"],
            "columns": {"customer_id": col("customer_id"), "tag_id": col("tag_id")},
            "foreign_keys": [
                {"columns": ["customer_id"], "ref_table": "customer", "ref_columns": ["id"]},
                {"columns": ["tag_id"], "ref_table": "tag", "ref_columns": ["id"]},
            ],
        },
        "profile": {
            "name": "profile", "row_count": 15_000, "primary_key": ["id"],
            "columns": {"id": col("id"), "customer_id": col("customer_id")},
            "unique_constraints": [{"columns": ["customer_id"]}],
            "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customer",
                              "ref_columns": ["id"]}],
        },
    }  # fmt: skip
    return profile_from_dict({"format": "paritygen/1", "source": {"dialect": "sqlite"},
                              "tables": tables})  # fmt: skip


def _all(keys, rows: int, chunk: int) -> pl.DataFrame:
    return pl.concat([keys.frame(s, min(chunk, rows - s)) for s in range(0, rows, chunk)])


def test_table_keys_unique_referencing_and_shaped() -> None:
    raw, stats = zipf_fanout(20_000, seed=1)
    profile = _profile(stats, null_fraction=0.1)
    plan = build_plan(profile, scale=1.0)
    factory = KeyFactory(profile, plan, seed=42)
    customers = _all(factory.table_keys("customer"), 20_000, 20_000)
    assert customers["id"].n_unique() == 20_000
    assert customers["id"].min() == 5000 and customers["id"].max() == 60_000
    # a column that is only unique (not a PK, not referenced) is a value: its generator makes it
    assert "code" not in factory.table_keys("customer").columns
    vouchers = factory.table_keys("voucher").frame(0, 5000)["code"]
    assert vouchers.n_unique() == 5000 and vouchers.str.len_chars().max() <= 12
    ids = set(customers["id"].to_list())

    rows = plan.row_count("orders")
    orders = _all(factory.table_keys("orders"), rows, 7000)
    assert orders["id"].n_unique() == rows
    fk = orders["customer_id"]
    assert abs(fk.null_count() / rows - 0.1) < 0.001
    assert set(fk.drop_nulls().unique().to_list()) <= ids  # no orphan
    per_parent = (
        customers.select("id")
        .join(
            fk.drop_nulls().value_counts(), left_on="id", right_on="customer_id", how="left"
        )  # fmt: skip
        .fill_null(0)["count"]
        .to_numpy()
    )
    assert per_parent.sum() == rows - round(rows * 0.1)
    assert ks(per_parent, raw) <= 0.05
    assert abs((per_parent == 0).mean() - stats.childless_fraction) < 0.02

    lines = _all(factory.table_keys("order_line"), 30_000, 30_000)
    assert lines.select(["order_id", "line_no"]).is_duplicated().sum() == 0
    assert lines["line_no"].min() == 1
    assert set(lines["order_id"].unique().to_list()) <= set(orders["id"].to_list())

    junction = _all(factory.table_keys("customer_tag"), 40_000, 40_000)
    assert junction.is_duplicated().sum() == 0
    assert set(junction["tag_id"].unique().to_list()) <= set(range(1, 51))

    one = _all(factory.table_keys("profile"), 15_000, 15_000)
    assert one["customer_id"].n_unique() == 15_000 and set(one["customer_id"]) <= ids


def test_self_reference_is_a_forest_and_keeps_its_null_share() -> None:
    _, stats = zipf_fanout(20_000, seed=2)
    profile = _profile(stats, 0.0)
    plan = build_plan(profile)
    keys = KeyFactory(profile, plan, seed=3).table_keys("customer")
    assert keys.deferred_list == ["manager_id"]
    loaded = keys.frame(0, 20_000)
    assert loaded["manager_id"].null_count() == 20_000  # loaded empty, filled by update
    update = keys.update_frame(0, 20_000, ["manager_id"])
    assert len(update) == 20_000 - 8000
    parent_of = dict(zip(update["id"].to_list(), update["manager_id"].to_list(), strict=True))
    # walking up always ends: no cycles
    for start in list(parent_of)[:2000]:
        seen, node = 0, start
        while node in parent_of and seen < 20_000:
            node, seen = parent_of[node], seen + 1
        assert seen < 20_000


def test_keys_are_the_same_whatever_the_chunk_size() -> None:
    raw, stats = zipf_fanout(20_000, seed=4)
    profile = _profile(stats, 0.2)
    plan = build_plan(profile)
    a = _all(
        KeyFactory(profile, plan, seed=7).table_keys("orders"), plan.row_count("orders"), 65_536
    )
    b = _all(KeyFactory(profile, plan, seed=7).table_keys("orders"), plan.row_count("orders"), 4096)
    c = _all(KeyFactory(profile, plan, seed=8).table_keys("orders"), plan.row_count("orders"), 4096)
    assert a.equals(b)
    assert not a.equals(c)


# --------------------------------------------------------------------------- value fidelity


def _col(name, logical="integer", nullable=False, **extra):
    return {"name": name, "logical_type": logical, "sql_type": logical, "nullable": nullable,
            **extra}  # fmt: skip


def _fanout_dict(counts: np.ndarray, positions: int = 20) -> dict:
    parents = counts.size
    top = np.sort(counts)[::-1][: max(1, parents // 100)].sum()
    weights = np.bincount(np.arange(parents) * positions // parents, weights=counts)
    return {
        "parent_rows": parents, "child_rows": int(counts.sum()), "null_fraction": 0.0,
        "childless_fraction": float((counts == 0).mean()), "max": int(counts.max()),
        "mean": float(counts.mean()), "top_share": float(top / counts.sum()),
        "quantiles": [float(q) for q in np.quantile(counts, np.linspace(0, 1, 101))],
        "position_weights": [float(w) for w in weights / counts.sum()],
    }  # fmt: skip


def _column_stats(values: np.ndarray, k: int = 5, mcv_limit: int = 200) -> dict:
    """What the profiler keeps of an FK column: quantiles and values seen at least k times."""
    uniq, freq = np.unique(values, return_counts=True)
    order = np.argsort(-freq, kind="stable")[:mcv_limit]
    common = [
        {"value": int(uniq[i]), "frequency": float(freq[i] / values.size)}
        for i in order
        if freq[i] >= k
    ]
    return {
        "null_fraction": 0.0, "distinct_count": int(uniq.size), "most_common": common,
        "quantiles": [int(q) for q in np.quantile(values, np.linspace(0, 1, 101))],
        "min": int(values.min()), "max": int(values.max()),
    }  # fmt: skip


def test_natural_key_parent_holds_the_childrens_frequent_values() -> None:
    """currency.code is a natural key: the child FK's most-common values ARE its keys."""
    shares = {"EUR": 0.7, "CHF": 0.2, "GBP": 0.08}  # 2 % spread over values below k
    code_stats = {"null_fraction": 0.0, "distinct_count": 12,
                  "shape": {"pattern": "AAA", "share": 1.0},
                  "length": {"min": 3, "max": 3, "mean": 3.0}}  # fmt: skip
    fk_stats = {
        "null_fraction": 0.0,
        "distinct_count": 6,
        "most_common": [{"value": v, "frequency": f} for v, f in shares.items()],
    }
    tables = {
        "currency": {"name": "currency", "row_count": 12, "primary_key": ["code"],
                     "columns": {"code": _col("code", "string", length=3, stats=code_stats)}},
        "orders": {
            "name": "orders", "row_count": 20_000, "primary_key": ["id"],
            "columns": {"id": _col("id"),
                        "currency_code": _col("currency_code", "string", length=3,
                                              stats=fk_stats)},
            "foreign_keys": [{"columns": ["currency_code"], "ref_table": "currency",
                              "ref_columns": ["code"],
                              "fanout": _fanout_dict(np.array([14000, 4000, 1600, 200, 200]
                                                              + [0] * 7))}],
        },
        # a composite parent whose currency is itself an FK: the chain reaches currency.code
        "price": {
            "name": "price", "row_count": 300, "primary_key": ["product", "currency_code"],
            "columns": {"product": _col("product"),
                        "currency_code": _col("currency_code", "string", length=3,
                                              stats={**fk_stats, "most_common": [
                                                  {"value": "USD", "frequency": 0.5}]})},
            "foreign_keys": [{"columns": ["currency_code"], "ref_table": "currency",
                              "ref_columns": ["code"]}],
        },
    }  # fmt: skip
    profile = profile_from_dict({"format": "paritygen/1", "source": {"dialect": "sqlite"},
                                 "tables": tables})  # fmt: skip
    factory = KeyFactory(profile, build_plan(profile), seed=9)
    codes = factory.table_keys("currency").frame(0, 12)["code"].to_list()
    assert codes[:3] == ["EUR", "CHF", "GBP"] and "USD" in codes
    assert len(set(codes)) == 12 and all(len(c) == 3 and c.isalpha() for c in codes)
    orders = _all(factory.table_keys("orders"), 20_000, 8192)["currency_code"]
    assert set(orders.unique().to_list()) <= set(codes)
    got = orders.value_counts(normalize=True)
    got = dict(zip(got["currency_code"], got["proportion"], strict=True))
    for value, share in shares.items():
        assert abs(got[value] - share) < 0.001  # exactly the profiled share, not a draw


def _skewed_child(keys: np.ndarray, children: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """'Production': Zipf counts, heavy parents mostly among the high (recent) keys."""
    parents = keys.size
    rng = np.random.default_rng(seed)
    raw = np.minimum(rng.zipf(1.6, parents) - 1, children // 8).astype(np.float64)
    counts = np.floor(raw * children / raw.sum()).astype(np.int64)
    counts[np.argmax(counts)] += children - counts.sum()
    position = np.arange(parents) / parents
    order = np.argsort(-rng.exponential(size=parents) * np.exp(3 * position))
    placed = np.zeros(parents, dtype=np.int64)
    placed[order] = np.sort(counts)[::-1]
    return placed, np.repeat(keys, placed)


def test_fk_values_follow_the_fk_columns_distribution_and_the_fanout() -> None:
    parents, children = 4000, 60_000
    edges = [int(q) for q in np.linspace(1000, 13_000, 101)]
    ids = {"null_fraction": 0.0, "distinct_count": parents, "min": 1000, "max": 13_000,
           "quantiles": edges}  # fmt: skip
    keys = IntegerSequence(parents, [float(e) for e in edges]).values(np.arange(parents))
    counts, fk_values = _skewed_child(keys, children, seed=21)
    tables = {
        "item": {"name": "item", "row_count": parents, "primary_key": ["id"],
                 "columns": {"id": _col("id", stats=ids)}},
        "sale": {"name": "sale", "row_count": children, "primary_key": ["id"],
                 "columns": {"id": _col("id"),
                             "item_id": _col("item_id", stats=_column_stats(fk_values))},
                 "foreign_keys": [{"columns": ["item_id"], "ref_table": "item",
                                   "ref_columns": ["id"], "fanout": _fanout_dict(counts)}]},
    }  # fmt: skip
    profile = profile_from_dict({"format": "paritygen/1", "source": {"dialect": "sqlite"},
                                 "tables": tables})  # fmt: skip
    factory = KeyFactory(profile, build_plan(profile), seed=4)
    items = factory.table_keys("item").frame(0, parents)["id"].to_numpy()
    assert np.array_equal(items, keys)
    got = _all(factory.table_keys("sale"), children, 16_384)["item_id"].to_numpy()
    # which parents are heavy: the FK's values over the key space (KS), heavy values exactly
    assert ks(got, fk_values) <= 0.03
    want = dict(zip(*np.unique(fk_values, return_counts=True), strict=True))
    have = dict(zip(*np.unique(got, return_counts=True), strict=True))
    for value in sorted(want, key=want.get)[-20:]:
        assert abs(have.get(value, 0) - want[value]) <= 0.002 * children
    # ... while the fan-out keeps its shape: quantiles, childless share, the heaviest parent
    per_parent = np.array([have.get(k, 0) for k in items])
    assert ks(per_parent, counts) <= 0.05
    assert abs((per_parent == 0).mean() - (counts == 0).mean()) < 0.01
    assert abs(per_parent.max() - counts.max()) <= 0.01 * counts.max()
    top = max(1, parents // 100)
    top_share = np.sort(per_parent)[::-1][:top].sum() / children
    assert abs(top_share - np.sort(counts)[::-1][:top].sum() / children) < 0.01


def test_small_lookup_keys_span_min_to_max() -> None:
    locale = [1] * 17 + [2] * 17 + [3] * 17 + [4] * 17 + [5] * 17 + [6] * 16
    assert IntegerSequence(6, locale).values(np.arange(6)).tolist() == [1, 2, 3, 4, 5, 6]
    assert IntegerSequence(3, [10, 10, 20, 30, 30]).values(np.arange(3)).tolist() == [10, 20, 30]
    values = IntegerSequence(500, list(np.linspace(7, 2000, 101))).values(np.arange(500))
    assert values[0] == 7 and values[-1] == 2000 and (np.diff(values) > 0).all()


def test_appended_keys_never_meet_the_existing_ones() -> None:
    raw, stats = zipf_fanout(20_000, seed=6)
    profile = _profile(stats, 0.1)
    plan = build_plan(profile)
    first = KeyFactory(profile, plan, seed=1)
    before = _all(first.table_keys("customer"), 20_000, 20_000)
    codes_before = first.table_keys("voucher").frame(0, 5000)["code"]
    orders_before = _all(first.table_keys("orders"), plan.row_count("orders"), 65_536)
    existing = {
        "customer": ExistingKeys(rows=20_000, max_values={"id": float(before["id"].max())}),
        "orders": ExistingKeys(rows=plan.row_count("orders")),
        "voucher": ExistingKeys(rows=5000),
    }
    second = KeyFactory(profile, plan, seed=1, existing=existing)  # same seed: worst case
    after = _all(second.table_keys("customer"), 20_000, 20_000)
    orders_after = _all(second.table_keys("orders"), plan.row_count("orders"), 65_536)
    assert after["id"].min() > before["id"].max()
    # the shape of the key range is kept: same width, same gaps
    assert after["id"].max() - after["id"].min() == before["id"].max() - before["id"].min()
    codes_after = second.table_keys("voucher").frame(0, 5000)["code"]
    assert codes_after.n_unique() == 5000
    assert not set(codes_after.to_list()) & set(codes_before.to_list())  # natural codes
    assert not set(orders_after["id"].to_list()) & set(orders_before["id"].to_list())  # UUIDs
    assert orders_after["id"].n_unique() == plan.row_count("orders")
    # the new children reference the new parents
    assert set(orders_after["customer_id"].drop_nulls().to_list()) <= set(after["id"].to_list())


def test_junction_partners_are_distinct_per_parent_and_independent() -> None:
    _, stats = zipf_fanout(20_000, seed=2)
    profile = _profile(stats, 0.0)
    factory = KeyFactory(profile, build_plan(profile), seed=5)
    junction = _all(factory.table_keys("customer_tag"), 40_000, 40_000)
    assert junction.is_duplicated().sum() == 0
    tags = junction["tag_id"].value_counts()["count"].to_numpy()
    assert tags.size == 50 and tags.min() > 0.5 * tags.mean()  # no tag left out or piled on


def test_locate_is_searchsorted_for_shuffled_slots() -> None:
    rng = np.random.default_rng(0)
    cum = np.cumsum(rng.integers(0, 5, 100_000))
    for size in (10, 5000, 65_536):
        slots = rng.integers(-50, int(cum[-1]) + 10, size)
        assert np.array_equal(locate(cum, slots), np.searchsorted(cum, slots, side="right"))


def test_tweaked_permutations_are_bijections_and_differ() -> None:
    perm = Permutation(1000, key=3)
    idx = np.arange(1000)
    one = perm.forward(idx, np.full(1000, 11, dtype=np.uint64))
    two = perm.forward(idx, np.full(1000, 12, dtype=np.uint64))
    assert np.array_equal(np.sort(one), idx) and np.array_equal(np.sort(two), idx)
    assert (one != two).mean() > 0.9


def test_refit_moves_only_what_it_must() -> None:
    """The rest of the counts, after the pinned parents took theirs, is shifted by a few
    children without turning its 1s into 2s (the fan-out body is what verify measures)."""
    counts = np.array([5] * 10 + [2] * 500 + [1] * 1500 + [0] * 100)
    for change in (-3, 3):
        out = _refit(counts, int(counts.sum()) + change, False)
        assert out.sum() == counts.sum() + change and (out == 0).sum() == 100
        assert abs((out == 1).sum() - 1500) <= 3 and abs((out == 2).sum() - 500) <= 3
    assert np.array_equal(_refit(counts, int(counts.sum()), False), counts)


def test_refit_grows_counts_that_are_all_one() -> None:
    """Parents of one child each, asked for many more children (a lookup kept at its size
    under a scaled table): nothing to share in proportion, so the growth is spread evenly
    (this raised ``kth out of bounds`` at ``--scale 0.1`` on the demo shop)."""
    for counts, total in ((np.array([1]), 11), (np.array([1, 1, 1, 0]), 10)):
        out = _refit(counts, total, False)
        assert out.sum() == total and (out == 0).sum() == (counts == 0).sum()
        assert out.max() - out[out > 0].min() <= 1


def _partner_pairs(lead_counts: np.ndarray, partner_counts: np.ndarray, key: int):
    from paritygen.generate.fanout import FanoutMap
    from paritygen.generate.partners import PartnerMap

    children = int(lead_counts.sum())
    lead = FanoutMap(lead_counts, children, 0, key)
    partner_map = PartnerMap(lead, partner_counts, key ^ 0xABC)
    idx = np.arange(children, dtype=np.int64)
    choice = lead.choose(idx)
    # chunk independence: two halves give the same partners as the whole
    whole = partner_map.choose(choice.parent, choice.rank)
    half = children // 2
    parts = np.concatenate(
        [
            partner_map.choose(choice.parent[:half], choice.rank[:half]),
            partner_map.choose(choice.parent[half:], choice.rank[half:]),
        ]
    )
    assert np.array_equal(whole, parts)
    return partner_map, choice.parent, whole


def test_partner_map_spaced_keeps_partner_counts_exactly_and_pairs_distinct() -> None:
    rng = np.random.default_rng(3)
    lead_counts = rng.integers(1, 8, size=5_000)
    children = int(lead_counts.sum())
    partner_counts = np.full(50, children // 50)
    partner_counts[: children % 50] += 1
    partner_map, parent, partner = _partner_pairs(lead_counts, partner_counts, 11)
    assert partner_map.stride  # the spaced path
    assert np.array_equal(np.bincount(partner, minlength=50), partner_counts)
    pairs = parent * 50 + partner
    assert np.unique(pairs).size == children


def test_partner_map_dense_junction_leaves_the_choice_to_the_caller() -> None:
    # lead parents take 9 or 10 of 10 partners: no spacing stride exists
    lead_counts = np.where(np.arange(300) % 2 == 0, 9, 10)
    partner_counts = np.full(10, 285)
    partner_map, _, partner = _partner_pairs(lead_counts, partner_counts, 5)
    assert partner_map.stride == 0
    assert (partner == -1).all()


def test_dense_junction_keeps_both_fanouts_exactly() -> None:
    """Chinook's playlist_track: 14 playlists (one holds 94 % of the tracks), each track in
    2-5 playlists. Drawing each playlist's tracks on its own left tracks in 1 playlist (5 %
    of them, production's minimum is 2); the rounds layout keeps every track's count."""
    from paritygen.generate.fanout import FanoutMap
    from paritygen.generate.partners import DenseJunctionMap, PartnerMap

    lead_counts = np.array([3290, 1, 213, 0, 1477, 1, 0, 3290, 213, 39, 75, 25, 25, 25, 15, 26])
    partner_counts = np.repeat([2, 3, 4, 5], [1946, 1446, 70, 41])
    partner_counts = np.random.default_rng(2).permutation(partner_counts)
    children = int(lead_counts.sum())
    assert int(partner_counts.sum()) == children
    lead = FanoutMap(lead_counts, children, 0, 13)
    assert PartnerMap(lead, partner_counts, 7).stride == 0  # too dense to space
    dense = DenseJunctionMap(lead, partner_counts)
    assert dense.feasible
    choice = lead.choose(np.arange(children, dtype=np.int64))
    partner = dense.choose(choice.parent, choice.rank)
    half = children // 2
    parts = np.concatenate([dense.choose(choice.parent[:half], choice.rank[:half]),
                            dense.choose(choice.parent[half:], choice.rank[half:])])  # fmt: skip
    assert np.array_equal(partner, parts)  # any block alone gives the same partners
    assert np.array_equal(np.bincount(partner, minlength=partner_counts.size), partner_counts)
    assert np.array_equal(np.bincount(choice.parent, minlength=lead_counts.size), lead_counts)
    assert np.unique(choice.parent * partner_counts.size + partner).size == children


def test_dense_junction_that_cannot_be_laid_out_says_so() -> None:
    from paritygen.generate.fanout import FanoutMap
    from paritygen.generate.partners import DenseJunctionMap

    # two parents of 3 children over 2 partners of 3: every pair would repeat a partner
    lead = FanoutMap(np.array([3, 3]), 6, 0, 5)
    dense = DenseJunctionMap(lead, np.array([3, 3]))
    assert not dense.feasible
    assert (dense.choose(np.array([0, 1]), np.array([0, 0])) == -1).all()


def test_greedy_junction_where_the_rounds_are_too_short() -> None:
    """600 students kept as they are under three times the enrolments: 3-24 courses each of
    40, a late round (students with 22+ courses) shorter than a small course. The rounds
    cannot lay that out; the greedy keeps both sides' counts exactly with distinct pairs."""
    from paritygen.generate.fanout import FanoutMap, apply_cap, integerise
    from paritygen.generate.partners import DenseJunctionMap, GreedyJunctionMap

    rng = np.random.default_rng(4)
    partner_counts = 3 * rng.integers(1, 9, size=600)
    weights = 1.0 / (1.0 + np.arange(40)) ** 0.7  # a few popular courses, a long tail
    lead_counts = apply_cap(integerise(weights, int(partner_counts.sum())), 600)
    children = int(lead_counts.sum())
    lead = FanoutMap(lead_counts, children, 0, 3)
    assert not DenseJunctionMap(lead, partner_counts).feasible
    greedy = GreedyJunctionMap(lead, partner_counts)
    assert greedy.feasible
    choice = lead.choose(np.arange(children, dtype=np.int64))
    partner = greedy.choose(choice.parent, choice.rank)
    assert np.array_equal(np.bincount(partner, minlength=600), partner_counts)
    assert np.unique(choice.parent * 600 + partner).size == children
