"""Vectorised sampling helpers of the demo shop: Faker pools, Zipf fan-out, unique e-mails.

Faker makes a few hundred values per pool once; numpy samples them for every row (a Faker call
per row is about 300x slower). Everything takes an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from faker import Faker

EMAIL_DOMAINS = ["gmail.com", "web.de", "gmx.de", "t-online.de", "yahoo.com", "outlook.com",
                 "hotmail.com", "icloud.com", "posteo.de", "bluewin.ch"]  # fmt: skip
EMAIL_DOMAIN_SHARE = [0.25, 0.15, 0.15, 0.08, 0.07, 0.1, 0.05, 0.05, 0.04, 0.06]


def ascii_fold(text: str) -> str:
    """Fold a name to the lowercase ASCII an e-mail local part uses (Jürgen -> juergen)."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum())


def fake_pool(make: Callable[[], str], size: int) -> np.ndarray:
    """A small pool of fake values, built once; numpy samples it (Faker per row is too slow)."""
    return np.array(sorted({make() for _ in range(size)}), dtype=object)


def zipf_counts(
    rng: np.random.Generator, parents: int, children: int, childless: float, exponent: float
) -> np.ndarray:
    """Children per parent: *childless* share get none, the rest at least one, the surplus by Zipf.

    Heavy parents are spread at random over the key space (not simply the first ids).
    """
    counts = np.zeros(parents, dtype=np.int64)
    active = min(max(1, round(parents * (1.0 - childless))), parents, children)
    chosen = rng.choice(parents, size=active, replace=False)
    weights = 1.0 / np.arange(1, active + 1, dtype=np.float64) ** exponent
    counts[chosen] = 1 + rng.multinomial(children - active, weights / weights.sum())
    return counts


def pick(rng: np.random.Generator, values: list, shares: list[float], size: int) -> np.ndarray:
    shares_arr = np.asarray(shares, dtype=np.float64)
    return np.asarray(values, dtype=object)[
        rng.choice(len(values), size, p=shares_arr / shares_arr.sum())
    ]


def nullify(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(values)) < share] = None
    return out


def digits(rng: np.random.Generator, size: int, width: int) -> pl.Series:
    """Zero-padded random digit strings of *width* characters."""
    return (
        pl.Series(rng.integers(0, 10**width, size), dtype=pl.Int64).cast(pl.String).str.zfill(width)
    )


def to_frame(columns: dict[str, object]) -> pl.DataFrame:
    """A polars frame from numpy arrays, lists and Series (polars wants datetimes in us)."""
    series = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "M":
            values = values.astype("M8[us]")
        elif isinstance(values, np.ndarray) and values.dtype == object:
            values = values.tolist()  # None-holding columns: let polars infer the real type
        series[name] = pl.Series(name, values, strict=False)
    return pl.DataFrame(series)


@dataclass(frozen=True)
class Pools:
    """Fake values drawn once from Faker (sorted, so a seed always gives the same pool)."""

    first_male: np.ndarray
    first_female: np.ndarray
    last_names: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    sentences: np.ndarray
    words: np.ndarray

    @classmethod
    def build(cls, seed: int) -> Pools:
        faker = Faker("de_DE")
        faker.seed_instance(seed)
        return cls(
            first_male=fake_pool(faker.first_name_male, 250),
            first_female=fake_pool(faker.first_name_female, 250),
            last_names=fake_pool(faker.last_name, 600),
            streets=fake_pool(faker.street_name, 700),
            cities=fake_pool(faker.city, 300),
            sentences=fake_pool(lambda: faker.sentence(nb_words=10), 300),
            words=fake_pool(faker.word, 300),
        )

    def sample(self, rng: np.random.Generator, pool: np.ndarray, size: int) -> np.ndarray:
        return pool[rng.integers(0, len(pool), size)]


def unique_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> pl.Series:
    """Realistic, unique e-mail addresses (first.last, f.last, lastfirst, plus numbers)."""
    size = len(first)
    fold = np.vectorize(ascii_fold, otypes=[object])
    uniq_first, first_inv = np.unique(first.astype(str), return_inverse=True)
    uniq_last, last_inv = np.unique(last.astype(str), return_inverse=True)
    f = pl.Series(fold(uniq_first)).gather(first_inv)
    la = pl.Series(fold(uniq_last)).gather(last_inv)
    frame = pl.DataFrame({
        "first": f, "last": la,
        "pattern": rng.choice(4, size, p=[0.45, 0.2, 0.15, 0.2]),
        "number": pl.Series(rng.integers(1, 99, size)).cast(pl.String),
        "domain": pick(rng, EMAIL_DOMAINS, EMAIL_DOMAIN_SHARE, size).astype(str),
    })  # fmt: skip
    first_c, last_c, pattern = pl.col("first"), pl.col("last"), pl.col("pattern")
    frame = frame.select(
        pl.col("domain"),
        local=pl.when(pattern == 0).then(first_c + "." + last_c)
        .when(pattern == 1).then(first_c.str.slice(0, 1) + "." + last_c)
        .when(pattern == 2).then(last_c + first_c)
        .otherwise(first_c + last_c + pl.col("number")),
    )  # fmt: skip
    email = frame.select(pl.col("local") + "@" + pl.col("domain")).to_series()
    # Make duplicates unique (anna.meier@x, anna.meier2@x, ...); repeat until no clash remains.
    while email.is_duplicated().any():
        frame = frame.with_columns(email=email).with_columns(
            rank=pl.col("email").cum_count().over("email")
        )
        frame = frame.with_columns(
            local=pl.when(pl.col("rank") > 1)
            .then(pl.col("local") + pl.col("rank").cast(pl.String))
            .otherwise(pl.col("local"))
        )
        email = frame.select(pl.col("local") + "@" + pl.col("domain")).to_series()
    return email.alias("email")
