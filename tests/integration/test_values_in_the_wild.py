"""Values as a help desk nobody here wrote holds them: text, names, account numbers, addresses.

Production: tickets with a subject written from a small vocabulary, an ``owner`` column holding
people's names (not called a name), two IBAN columns, a card number and the client's IP.
After profile -> generate: text is made of the column's own words (never lorem ipsum) and starts
and ends on whole words, the owner column is found and no production name comes back, IBANs are
mod-97 valid, cards Luhn-valid, IPs valid, and no two such columns hold the same value in a row.
"""

from __future__ import annotations

import ipaddress
import random
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from faker import Faker

from paritygen.profile.classify import iban_valid, luhn_valid
from paritygen.profile.io import dumps
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

VOCABULARY = (
    "printer", "offline", "again", "cannot", "login", "password", "reset", "invoice", "missing",
    "urgent", "please", "help", "error", "screen", "broken", "network", "slow", "email", "access",
    "request", "laptop", "update", "failed", "vpn",
)
LOREM = {"lorem", "ipsum", "dolor", "amet", "consectetur", "adipiscing", "eiusmod", "tempor"}
ROWS = 1500


def _production(url: str) -> dict[str, set[str]]:
    fake = Faker("en_US")
    fake.seed_instance(3)
    rnd = random.Random(3)
    engine = sa.create_engine(url)
    owners = [fake.name() for _ in range(40)]
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE ticket (id integer PRIMARY KEY, subject varchar(80), owner varchar(60),"
            " payout_account varchar(34), refund_account varchar(34), card varchar(19),"
            " client varchar(45), balance numeric(38,10))"
        ))  # fmt: skip
        rows = []
        for i in range(ROWS):
            balance = f"{12345678901234560000 + rnd.randrange(10**4)}.{rnd.randrange(10**10):010d}"
            words = [rnd.choice(VOCABULARY) for _ in range(rnd.randint(2, 7))]
            rows.append({"i": i, "s": " ".join(words).capitalize(), "o": rnd.choice(owners),
                         "p": fake.iban(), "r": fake.iban(), "c": fake.credit_card_number(),
                         "a": fake.ipv4(),
                         "b": balance})  # fmt: skip
        conn.execute(sa.text("INSERT INTO ticket VALUES (:i, :s, :o, :p, :r, :c, :a, :b)"), rows)
    engine.dispose()
    return {"owner": set(owners), "payout_account": {r["p"] for r in rows},
            "card": {r["c"] for r in rows}, "balance": {r["b"] for r in rows}}  # fmt: skip


def test_text_names_and_account_numbers(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    production = _production(source)
    profile = profile_database(source, progress=False)
    columns = profile.tables["ticket"].columns
    assert columns["owner"].semantic == "full_name" and columns["owner"].pii
    assert columns["payout_account"].semantic == "iban"
    assert columns["card"].semantic == "card_number"
    assert columns["client"].semantic == "ip_address"
    text = dumps(profile)
    assert not [name for name in production["owner"] if name in text]
    generate_database(profile, target, seed=1, progress=False)
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT subject, owner, payout_account, refund_account, card, client, balance"
            " FROM ticket"
        )).all()  # fmt: skip
    engine.dispose()
    assert len(rows) == ROWS
    vocabulary = {w.lower() for w in VOCABULARY}
    tokens = [t.lower() for r in rows if r[0] for t in r[0].split()]
    assert not LOREM & set(tokens)
    assert sum(t in vocabulary for t in tokens) / len(tokens) >= 0.9
    subjects = [r[0] for r in rows if r[0]]
    assert all(re.match(r"^\w.*\w$|^\w$", s) for s in subjects)  # no stray spaces at the ends
    assert sum(r[1] in production["owner"] for r in rows) <= 0.03 * ROWS
    assert all(iban_valid(r[2]) and iban_valid(r[3]) for r in rows if r[2] and r[3])
    assert sum(r[2] == r[3] for r in rows) == 0
    assert all(luhn_valid(r[4]) for r in rows if r[4])
    assert not {r[2] for r in rows} & production["payout_account"]
    assert not {r[4] for r in rows} & production["card"]
    for r in rows:
        if r[5]:
            ipaddress.ip_address(r[5])
    if engine.dialect.name != "sqlite":  # SQLite keeps decimals as floats
        # numeric(38,10) profiled and generated exactly: no float round trip.
        stats = columns["balance"].stats
        assert stats.distinct_count == len(production["balance"])
        low, high = Decimal(stats.min), Decimal(stats.max)
        assert (low, high) == (min(map(Decimal, production["balance"])),
                               max(map(Decimal, production["balance"])))  # fmt: skip
        balances = [Decimal(r[6]) for r in rows]
        assert all(low <= b <= high for b in balances)
        assert len(set(balances)) >= 0.9 * len(production["balance"])


CITIES = {"Lyon": "France", "Paris": "France", "Nice": "France", "Porto": "Portugal",
          "Lisbon": "Portugal", "Braga": "Portugal", "Osaka": "Japan", "Kyoto": "Japan",
          "Tokyo": "Japan", "Lima": "Peru", "Cusco": "Peru", "Quito": "Ecuador"}  # fmt: skip


@pytest.mark.parametrize("db_url_pair", ["postgresql"], indirect=True)
def test_cities_stay_in_their_countries(db_url_pair: tuple[str, str]) -> None:
    source, target = db_url_pair
    rnd = random.Random(5)
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE member (id integer PRIMARY KEY, email varchar(60), city varchar(30),"
            " country varchar(30))"
        ))  # fmt: skip
        rows = []
        for i in range(900):
            city = rnd.choice(sorted(CITIES))
            rows.append({"i": i, "e": f"m{i}@club.test", "c": city, "n": CITIES[city]})
        conn.execute(sa.text("INSERT INTO member VALUES (:i, :e, :c, :n)"), rows)
    engine.dispose()
    profile = profile_database(source, progress=False)
    stats = profile.tables["member"].columns["country"].stats
    assert stats.follows == ("city",)
    assert dict(stats.mapping) == CITIES
    generate_database(profile, target, seed=4, progress=False)
    staging = sa.create_engine(target)
    with staging.connect() as conn:
        pairs = conn.execute(sa.text("SELECT city, country FROM member")).all()
    staging.dispose()
    known = [(city, country) for city, country in pairs if city in CITIES]
    assert len(known) >= 0.9 * len(pairs)
    assert all(CITIES[city] == country for city, country in known)
