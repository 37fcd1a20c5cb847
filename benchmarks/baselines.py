"""Reference generators for the generation-alone figure: the ways people make such rows today.

- ``faker_loop``: one Python tuple per row from Faker and the ``random`` module (what most
  seeding scripts and tools built on Faker do).
- ``mimesis_loop``: the same with mimesis, the fastest per-row provider library.
- ``vectorised_chunks``: a hand-written numpy + polars generator for this one table: the ceiling a
  generic, profile-driven generator can hope to approach (pools filled once, numpy draws indices).

All three produce the ten columns of ``orders`` with the profile's shapes (skewed FK, status and
currency shares, log-normal amount, growing timestamps, 30 % NULL notes of 0-200 characters).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import itertools
import random
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl
from orders_profile import CITIES, CURRENCY, END, ORDERS_PER_CUSTOMER, START, STATUS

EPOCH = dt.datetime(1970, 1, 1)
START_S = (START - EPOCH).total_seconds()
END_S = (END - EPOCH).total_seconds()


def _customer_weights(customers: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = np.where(rng.random(customers) >= 0.15, rng.lognormal(0.0, 1.1, customers), 0.0)
    weights *= np.linspace(1.6, 0.6, customers)
    return np.cumsum(weights / weights.sum())


def _timed(rows_iter: Iterator[tuple[Any, ...]], rows: int) -> dict[str, float]:
    """Materialise the rows (the loop itself), then CSV-encode them: two figures."""
    t0 = time.perf_counter()
    data = list(itertools.islice(rows_iter, rows))
    loop = time.perf_counter() - t0
    t1 = time.perf_counter()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(data)
    encode = time.perf_counter() - t1
    return {
        "rows": rows,
        "seconds": loop,
        "rows_per_s": rows / loop,
        "seconds_with_csv": loop + encode,
        "rows_per_s_with_csv": rows / (loop + encode),
    }


def faker_rows(rows: int, seed: int = 0) -> Iterator[tuple[Any, ...]]:
    """Per-row Faker loop."""
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(seed)
    rnd = random.Random(seed)
    cum = _customer_weights(max(1, rows // ORDERS_PER_CUSTOMER), seed).tolist()
    status, status_w = list(STATUS), list(STATUS.values())
    currency, currency_w = list(CURRENCY), list(CURRENCY.values())
    for i in range(rows):
        note = None
        if rnd.random() >= 0.3:
            note = fake.text(max_nb_chars=200)[: rnd.randint(0, 200)]
        yield (
            10_000 + i,
            1000 + bisect.bisect_left(cum, rnd.random()),
            rnd.choices(status, status_w)[0],
            round(rnd.lognormvariate(3.6, 0.9), 2),
            rnd.choices(currency, currency_w)[0],
            fake.date_time_between(START, END),
            fake.email(),
            fake.first_name(),
            fake.city(),
            note,
        )


def mimesis_rows(rows: int, seed: int = 0) -> Iterator[tuple[Any, ...]]:
    """Per-row mimesis loop."""
    from mimesis import Address, Datetime, Locale, Person, Text

    person = Person(Locale.EN, seed=seed)
    address = Address(Locale.EN, seed=seed)
    text = Text(Locale.EN, seed=seed)
    when = Datetime(Locale.EN, seed=seed)
    rnd = random.Random(seed)
    cum = _customer_weights(max(1, rows // ORDERS_PER_CUSTOMER), seed).tolist()
    status, status_w = list(STATUS), list(STATUS.values())
    currency, currency_w = list(CURRENCY), list(CURRENCY.values())
    for i in range(rows):
        note = None
        if rnd.random() >= 0.3:
            note = text.text(quantity=3)[: rnd.randint(0, 200)]
        yield (
            10_000 + i,
            1000 + bisect.bisect_left(cum, rnd.random()),
            rnd.choices(status, status_w)[0],
            round(rnd.lognormvariate(3.6, 0.9), 2),
            rnd.choices(currency, currency_w)[0],
            when.datetime(start=START.year, end=END.year),
            person.email(),
            person.first_name(),
            address.city(),
            note,
        )


def faker_loop(rows: int) -> dict[str, float]:
    """rows/s of the Faker loop (and with csv.writer encoding)."""
    return _timed(faker_rows(rows), rows)


def mimesis_loop(rows: int) -> dict[str, float]:
    """rows/s of the mimesis loop (and with csv.writer encoding)."""
    return _timed(mimesis_rows(rows), rows)


class VectorisedOrders:
    """Hand-written numpy + polars generator for ``orders``: pools once, numpy per chunk."""

    def __init__(self, rows: int, seed: int = 0, pool_size: int = 10_000) -> None:
        from faker import Faker

        fake = Faker("en_US")
        Faker.seed(seed)
        self.rows = rows
        self.seed = seed
        self.cum = _customer_weights(max(1, rows // ORDERS_PER_CUSTOMER), seed)
        self.emails = pl.Series([fake.email() for _ in range(pool_size)])
        self.names = pl.Series([fake.first_name() for _ in range(2_000)])
        self.tail_cities = pl.Series([fake.city() for _ in range(1_900)])
        self.cities = pl.concat([pl.Series(CITIES), self.tail_cities])
        shares = 1.0 / np.arange(1, len(CITIES) + 1) ** 0.9
        shares = shares / shares.sum() * 0.55
        tail = np.full(len(self.tail_cities), 0.45 / len(self.tail_cities))
        self.city_cum = np.cumsum(np.concatenate([shares, tail]))
        self.city_cum[-1] = 1.0
        self.notes = pl.Series([fake.text(max_nb_chars=200) for _ in range(2_000)])
        self.status = pl.Series(list(STATUS))
        self.status_cum = np.cumsum(list(STATUS.values()))
        self.currency = pl.Series(list(CURRENCY))
        self.currency_cum = np.cumsum(list(CURRENCY.values()))

    def chunk(self, start: int, count: int) -> pl.DataFrame:
        """Rows ``[start, start + count)`` as a polars frame (the chunk contract's types)."""
        rng = np.random.default_rng([self.seed, start])
        n = count
        seconds = START_S + (END_S - START_S) * rng.random(n) ** (1.0 / 1.8)
        note_idx = rng.integers(0, len(self.notes), n)
        note_len = rng.integers(0, 201, n)
        null = rng.random(n) < 0.3
        frame = pl.DataFrame(
            {
                "id": np.arange(10_000 + start, 10_000 + start + n, dtype=np.int64),
                "customer_id": 1000 + np.searchsorted(self.cum, rng.random(n)),
                "status": self.status.gather(np.searchsorted(self.status_cum, rng.random(n))),
                "amount": np.round(rng.lognormal(3.6, 0.9, n), 2),
                "currency": self.currency.gather(
                    np.minimum(np.searchsorted(self.currency_cum, rng.random(n)), 3)
                ),
                "created_at": pl.Series((seconds * 1e6).astype(np.int64)).cast(pl.Datetime("us")),
                "email": self.emails.gather(rng.integers(0, len(self.emails), n)),
                "first_name": self.names.gather(rng.integers(0, len(self.names), n)),
                "city": self.cities.gather(np.searchsorted(self.city_cum, rng.random(n))),
                "note": self.notes.gather(note_idx).str.slice(0, pl.Series(note_len)),
                "_null": null,
            }
        )
        return frame.with_columns(
            pl.when(pl.col("_null")).then(None).otherwise(pl.col("note")).alias("note")
        ).drop("_null")

    def chunks(self, chunk_rows: int = 1 << 16) -> Iterator[pl.DataFrame]:
        """All rows, chunk by chunk."""
        for start in range(0, self.rows, chunk_rows):
            yield self.chunk(start, min(chunk_rows, self.rows - start))


def vectorised(rows: int) -> dict[str, float]:
    """rows/s of the hand-written vectorised generator, alone and with CSV encoding."""
    gen = VectorisedOrders(rows)
    t0 = time.perf_counter()
    gen_seconds = 0.0
    encode_seconds = 0.0
    for frame in gen.chunks():
        t1 = time.perf_counter()
        frame.write_csv(io.BytesIO(), include_header=False)
        encode_seconds += time.perf_counter() - t1
    gen_seconds = time.perf_counter() - t0 - encode_seconds
    return {
        "rows": rows,
        "seconds": gen_seconds,
        "rows_per_s": rows / gen_seconds,
        "seconds_with_csv": gen_seconds + encode_seconds,
        "rows_per_s_with_csv": rows / (gen_seconds + encode_seconds),
    }
