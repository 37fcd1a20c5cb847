"""Table order, cycle breaking, row counts and chunks, without a database."""

from __future__ import annotations

import pytest

from paritygen.errors import ConfigError
from paritygen.generate.base import BLOCK_ROWS
from paritygen.generate.plan import build_plan, chunk_ranges, chunk_rows_for
from paritygen.profile.io import profile_from_dict


def col(name: str, nullable: bool = True, logical: str = "integer") -> dict:
    return {"name": name, "logical_type": logical, "sql_type": logical, "nullable": nullable}


def table(name: str, rows: int, columns: list[dict], fks=(), pk=("id",)) -> dict:
    return {
        "name": name,
        "row_count": rows,
        "primary_key": list(pk),
        "columns": {c["name"]: c for c in columns},
        "foreign_keys": [
            {"columns": [c], "ref_table": ref, "ref_columns": ["id"]} for c, ref in fks
        ],
    }


def make_profile(tables: list[dict], rules: dict | None = None):
    data = {
        "format": "paritygen/1",
        "source": {"dialect": "sqlite"},
        "tables": {t["name"]: t for t in tables},
    }
    if rules:
        data["rules"] = {"tables": rules}
    return profile_from_dict(data)


def shop(address_customer_nullable: bool = True, customer_address_nullable: bool = True):
    return make_profile(
        [
            table("order_items", 500, [col("id", False), col("order_id", False)],
                  [("order_id", "orders")]),
            table("orders", 100, [col("id", False), col("customer_id", False)],
                  [("customer_id", "customer")]),
            table("customer", 40, [col("id", False), col("address_id", customer_address_nullable)],
                  [("address_id", "address")]),
            table("address", 50, [col("id", False), col("customer_id", address_customer_nullable)],
                  [("customer_id", "customer")]),
            table("employee", 10, [col("id", False), col("manager_id")],
                  [("manager_id", "employee")]),
            table("country", 7, [col("id", False)]),
        ],
        rules={"country": {"fixed": True}, "employee": {"row_count": 3}},
    )  # fmt: skip


def test_parents_load_before_children_and_cycle_broken_on_nullable_edge() -> None:
    plan = build_plan(shop(address_customer_nullable=False), scale=1.0)
    order = [t.name for t in plan.tables]
    assert order.index("customer") < order.index("orders") < order.index("order_items")
    # address.customer_id is NOT NULL, so the cycle breaks on customer.address_id
    assert order.index("customer") < order.index("address")
    customer = plan.by_name["customer"]
    assert [fk.columns for fk in customer.deferred_fks] == [("address_id",)]
    assert not plan.by_name["address"].deferred_fks
    # the nullable self-reference is filled by update
    assert [fk.columns for fk in plan.by_name["employee"].deferred_fks] == [("manager_id",)]


def test_cycle_of_not_null_fks_is_a_clear_error_unless_deferrable() -> None:
    profile = shop(address_customer_nullable=False, customer_address_nullable=False)
    with pytest.raises(ConfigError, match="address, customer.*nullable"):
        build_plan(profile)
    plan = build_plan(profile, deferrable=True)
    assert {t.name for t in plan.tables} == {t for t in profile.tables}
    assert not plan.by_name["customer"].deferred_fks


def test_row_counts_scale_round_and_respect_rules() -> None:
    plan = build_plan(shop(), scale=2.5)
    assert plan.row_count("order_items") == 1250
    assert plan.row_count("orders") == 250
    assert plan.row_count("country") == 7  # fixed
    assert plan.row_count("employee") == 3  # pinned
    assert build_plan(shop(), scale=0.333).row_count("customer") == round(40 * 0.333)


def test_subset_keeps_parents_for_reference_only() -> None:
    plan = build_plan(shop(), tables=["orders"])
    assert [t.name for t in plan.to_generate] == ["orders"]
    assert not plan.by_name["customer"].generate
    with pytest.raises(ConfigError, match="nope"):
        build_plan(shop(), tables=["nope"])


def test_chunks_are_whole_blocks() -> None:
    assert chunk_rows_for(None) % BLOCK_ROWS == 0
    assert chunk_rows_for(1) == BLOCK_ROWS
    assert chunk_rows_for(3 * BLOCK_ROWS + 5) == 3 * BLOCK_ROWS
    ranges = list(chunk_ranges(2 * BLOCK_ROWS + 10, BLOCK_ROWS))
    assert ranges == [(0, BLOCK_ROWS), (BLOCK_ROWS, BLOCK_ROWS), (2 * BLOCK_ROWS, 10)]
    with pytest.raises(ConfigError):
        chunk_rows_for(0)


def snapshot(fact_rows: int, pinned: dict | None = None):
    """A warehouse snapshot fact keyed by three FKs, one of them to a one-row warehouse."""
    fact = table(
        "inventory", fact_rows,
        [col("date_key", False), col("item_id", False), col("warehouse_id", False)],
        [("date_key", "dim_date"), ("item_id", "item"), ("warehouse_id", "warehouse")],
        pk=("date_key", "item_id", "warehouse_id"),
    )  # fmt: skip
    return make_profile(
        [
            table("dim_date", 60, [col("id", False), col("label", logical="string")]),
            table("item", 80, [col("id", False), col("label", logical="string")]),
            table("warehouse", 1, [col("id", False), col("label", logical="string")]),
            fact,
        ],
        rules=pinned,
    )


def test_composite_fk_key_capacity_is_the_product_of_its_parents() -> None:
    plan = build_plan(snapshot(3349), scale=1.0)
    assert plan.row_count("inventory") == 3349  # 60 x 80 x 1 = 4800 combinations


def test_impossible_key_fails_at_plan_time_with_the_numbers() -> None:
    with pytest.raises(ConfigError) as caught:
        build_plan(snapshot(5000), scale=1.0)
    message = str(caught.value)
    assert "inventory" in message and "5000" in message and "4800" in message
    with pytest.raises(ConfigError, match="4800"):  # a pinned count is asked for as is
        build_plan(snapshot(10, {"inventory": {"row_count": 4801}}), scale=1.0)


def test_scaled_rounding_is_fitted_not_refused() -> None:
    profile = snapshot(4800)  # every combination used; at 0.5 only 30 x 40 x 1 remain
    plan = build_plan(profile, scale=0.5, scale_lookups=True)
    assert plan.row_count("inventory") == 30 * 40 * 1
    # the dimensions are lookups (small, no personal column, far outnumbered): kept by default
    plan = build_plan(profile, scale=0.5)
    assert (plan.row_count("dim_date"), plan.row_count("inventory")) == (60, 2400)


def test_price_table_unique_over_three_fks_fits_its_combinations() -> None:
    price = table(
        "price", 0, [col("id", False), col("method_id", False), col("store_id", False),
                     col("currency_id", False)],
        [("method_id", "method"), ("store_id", "store"), ("currency_id", "currency")],
    )  # fmt: skip
    price["unique_constraints"] = [{"columns": ["method_id", "store_id", "currency_id"]}]
    empty = [table(n, 0, [col("id", False)]) for n in ("method", "store", "currency")]
    pins = {"method": {"row_count": 3}, "store": {"row_count": 3}, "currency": {"row_count": 20},
            "price": {"row_count": 10}}  # fmt: skip
    assert build_plan(make_profile([*empty, price], pins)).row_count("price") == 10
    pins["price"] = {"row_count": 181}
    with pytest.raises(ConfigError, match="180 combinations"):
        build_plan(make_profile([*empty, price], pins))


def test_not_null_fk_to_an_empty_parent_fails_at_plan_time() -> None:
    profile = make_profile(
        [table("parent", 5, [col("id", False)]),
         table("child", 5, [col("id", False), col("parent_id", False)], [("parent_id", "parent")])],
        rules={"parent": {"row_count": 0}},
    )  # fmt: skip
    with pytest.raises(ConfigError, match="child.*parent"):
        build_plan(profile)


def test_heavy_tables_are_told_by_their_chunk_bytes() -> None:
    """A table is heavy by its chunk's bytes (rows in a chunk x mean row width from the
    profile), not by its rows: 20,000 rows of 400-character text weigh more than a million
    narrow rows' chunk, and a small table of the same text is light."""
    from paritygen.generate.plan import HEAVY_CHUNK_BYTES, chunk_bytes, is_heavy

    body = col("body", logical="text") | {
        "stats": {"null_fraction": 0.0, "distinct_count": 100,
                  "length": {"min": 10, "max": 800, "mean": 400.0}},
    }  # fmt: skip
    profile = make_profile([
        table("review", 20_000, [col("id", False), body]),
        table("note", 100, [col("id", False), body]),
        table("fact", 1_000_000, [col("id", False), col("amount", logical="float")]),
    ])  # fmt: skip
    plan = build_plan(profile, scale=1.0)
    heavy = {t.name: is_heavy(profile.table(t.name), t, plan.chunk_rows) for t in plan.tables}
    assert heavy == {"review": True, "note": False, "fact": False}
    assert chunk_bytes(profile.table("review"), 20_000) == 20_000 * (8 + 8 + 400.0)
    assert chunk_bytes(profile.table("fact"), plan.chunk_rows) < HEAVY_CHUNK_BYTES


def test_wide_chunks_go_as_byte_slices_of_the_same_rows() -> None:
    """A chunk above SLICE_BYTES reaches the writer as consecutive row slices, each at most
    about SLICE_BYTES, that put together are the chunk; a narrow chunk goes whole."""
    import polars as pl

    from paritygen.generate.plan import SLICE_BYTES
    from paritygen.generate.rows import byte_slices

    rows = 50_000
    wide = pl.DataFrame({"id": range(rows), "body": ["x" * 400] * rows})
    assert wide.estimated_size() > 4 * SLICE_BYTES
    pieces = list(byte_slices(wide))
    assert len(pieces) >= 5
    assert all(p.estimated_size() <= SLICE_BYTES * 1.01 for p in pieces)
    assert pl.concat(pieces).equals(wide)
    narrow = wide.head(1000)
    assert [p.height for p in byte_slices(narrow)] == [1000]
