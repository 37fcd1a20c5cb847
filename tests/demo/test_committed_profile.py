"""profiles/demo-shop.yaml matches the shop the code builds and holds no PII value of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from paritygen.demo import LOOKUP_TABLES, SHOP_TABLES, build_shop

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"
PII_QUERIES = {
    "email": "SELECT email FROM customer",
    "first_name": "SELECT first_name FROM customer UNION SELECT first_name FROM customer_address",
    "last_name": "SELECT last_name FROM customer UNION SELECT last_name FROM customer_address",
    "street": "SELECT street FROM customer_address",
    "phone": "SELECT phone FROM customer WHERE phone IS NOT NULL",
}


def _scalars(node: object) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_scalars(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_scalars(v) for v in node)) if node else set()
    return {str(node)}


def test_committed_profile_matches_the_default_shop_and_holds_no_pii(tmp_path: Path) -> None:
    database = tmp_path / "production.sqlite"
    counts = build_shop(f"sqlite:///{database}")  # the defaults the profile was taken with
    text = PROFILE.read_text(encoding="utf-8")
    profile = yaml.safe_load(text)
    assert profile["format"] == "paritygen/1"
    assert {name: profile["tables"][name]["row_count"] for name in SHOP_TABLES} == counts
    fixed = {name for name, rule in profile["rules"]["tables"].items() if rule.get("fixed")}
    assert fixed == set(LOOKUP_TABLES)

    scalars = _scalars(profile)
    with sqlite3.connect(database) as conn:
        for kind, sql in PII_QUERIES.items():
            values = {row[0] for row in conn.execute(sql)}
            assert len(values) > 100, kind
            leaked = sorted(values & scalars)
            assert not leaked, f"{kind} values in the profile: {leaked[:5]}"
        emails = [row[0] for row in conn.execute(PII_QUERIES["email"])]
    assert not [email for email in emails if email in text]
