"""The naming rules of ``--infer-keys``: which parent keys a column's name suggests.

Values confirm every candidate in the database (tests/integration/test_virtual_keys.py); here
the names alone, on the spellings found in other people's schemas."""

from __future__ import annotations

import pytest

from paritygen.profile.key_names import key_like, name_candidates, singular, snake, table_stems
from paritygen.profile.model import Column, Table


def _table(name: str, *columns: str, pk: tuple[str, ...] = ()) -> Table:
    cols = {c: Column(name=c, logical_type="integer", sql_type="int") for c in columns}
    return Table(name=name, columns=cols, primary_key=pk)


KEYS = {  # a shop, as its framework names tables
    "customers": ["id"],
    "addresses": ["id"],
    "order_items": ["id"],
    "categories": ["id"],
    "app_users": ["id"],
    "people": ["person_id"],
}
WAREHOUSE = {"customer": ["c_custkey"], "date_dim": ["d_date_sk"], "employee": ["employee_id"]}


def test_spellings() -> None:
    assert snake("CustomerID") == "customer_id"
    assert snake("BlogPost") == "blog_post"
    assert [singular(w) for w in ("categories", "addresses", "boxes", "people", "status")] == [
        "category", "address", "box", "person", "status",
    ]  # fmt: skip
    assert {"order_items", "order_item", "orderitem"} <= table_stems("order_items")
    assert "customer" in table_stems("tbl_customers")
    assert key_like("o_custkey") and key_like("ss_item_sk") and key_like("id")
    assert not key_like("paid") and not key_like("valid")


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("customer_id", ("customers", "id")),
        ("id_customer", ("customers", "id")),
        ("fk_customer", ("customers", "id")),
        ("CustomerId", ("customers", "id")),
        ("order_item_id", ("order_items", "id")),
        ("billing_address_id", ("addresses", "id")),
        ("user_id", ("app_users", "id")),
        ("person_id", ("people", "person_id")),
        ("o_custkey", ("customer", "c_custkey")),
        ("ss_sold_date_sk", ("date_dim", "d_date_sk")),
        ("support_rep_id", ("employee", "employee_id")),
    ],
)
def test_a_column_names_its_parent(column: str, expected: tuple[str, str]) -> None:
    child = _table("orders", "id", column, pk=("id",))
    keys = {**(KEYS if expected[0] in KEYS else WAREHOUSE), "orders": ["id"]}
    found = name_candidates(child, column, keys)
    assert found and (found[0].ref_table, found[0].ref_column) == expected, found


def test_self_references_and_the_reverse_direction() -> None:
    tree = _table("categories", "id", "parent_id", pk=("id",))
    found = name_candidates(tree, "parent_id", KEYS)
    assert [(c.ref_table, c.ref_column) for c in found] == [("categories", "id")]
    # customer_details.customer_id (its own PK) -> customers: yes; but customers.customer_id
    # (its own PK, same name) must not point back at customer_details.
    keys = {"customers": ["customer_id"], "customer_details": ["customer_id"]}
    details = _table("customer_details", "customer_id", pk=("customer_id",))
    assert [c.ref_table for c in name_candidates(details, "customer_id", keys)] == ["customers"]
    customers = _table("customers", "customer_id", pk=("customer_id",))
    assert name_candidates(customers, "customer_id", keys) == []


def test_names_that_say_nothing_propose_nothing() -> None:
    child = _table("orders", "id", "total", "external_id", "status_code", pk=("id",))
    for column in ("total", "external_id", "status_code", "id"):
        assert name_candidates(child, column, {**KEYS, "orders": ["id"]}) == [], column
