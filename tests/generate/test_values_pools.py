"""Semantic pools: Faker's word lists sampled in bulk, deterministic by seed, Faker kept for
the kinds whose methods are not plain word lists."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import numpy as np
import polars as pl
from faker import Faker

from paritygen.generate import pools
from paritygen.generate.base import ATOM_CELLS, AtomMixer, stratified_uniform


def _person(locale: str):
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


def test_name_pools_come_from_the_locale_word_lists_and_follow_the_seed():
    first = pools.draw_values("given_name", "de_DE", 7, 3000)
    assert set(first) <= set(_person("de_DE").first_names)
    assert pools.draw_values("given_name", "de_DE", 7, 3000) == first
    assert pools.draw_values("given_name", "de_DE", 8, 3000) != first
    last = pools.draw_values("family_name", "en_US", 7, 3000)
    assert set(last) <= set(_person("en_US").last_names)


def test_bulk_pools_keep_faker_weights():
    # en_US last names are weighted (Smith ~0.8 %, the rarest ~0.002 %): 300 draws see the
    # heavy names, never most of the rare ones, as Faker's own draws do.
    weights = _person("en_US").last_names
    drawn = set(pools.draw_values("family_name", "en_US", 1, 300))
    heavy = sorted(weights, key=weights.get, reverse=True)[:5]
    assert set(heavy) <= drawn
    rare = sorted(weights, key=weights.get)[:200]
    assert len(drawn & set(rare)) < 20


def test_city_and_email_pools_have_faker_shapes():
    cities = pools.draw_values("city", "en_US", 3, 3000)
    faker = Faker("en_US")
    faker.seed_instance(3)
    reference = {faker.city() for _ in range(3000)}
    assert abs(len(cities) - len(reference)) < 0.05 * len(reference)
    assert len(set(cities) & reference) > 100  # the same templates over the same lists
    locals_ = pools.draw_values("email_local", "en_US", 3, 3000)
    assert all(re.fullmatch(r"[a-z0-9._]+", value) for value in locals_)
    dotted = sum("." in value for value in locals_) / len(locals_)
    assert 0.4 < dotted < 0.6  # first.last is half the shapes


def test_other_kinds_and_unknown_locales():
    phones = pools.draw_values("phone", "en_US", 0, 200)
    assert len(phones) > 150 and all(any(ch.isdigit() for ch in p) for p in phones)
    assert pools.draw_values("phone", "en_US", 0, 200) == phones
    assert pools.known_locale("de-DE") and pools.known_locale("fr_FR")
    assert not pools.known_locale("xx_YY")
    # A locale whose name methods are not plain lists (ja_JP) keeps Faker's own path.
    assert pools._bulk_maker("first_name", "ja_JP") is None
    assert len(pools.draw_values("first_name", "ja_JP", 0, 300)) > 20


def test_atom_table_lookup_equals_a_binary_search():
    rng = np.random.default_rng(5)
    for atoms in (1, 5, 100, 3000):
        for total in (0.5, 0.9995, 1.0):
            shares = rng.random(atoms)
            shares = shares / shares.sum() * total
            mixer = AtomMixer(pl.Series([str(i) for i in range(atoms)]), shares)
            edges = mixer.cumulative[mixer.cumulative < 1]
            cells = np.arange(ATOM_CELLS) / ATOM_CELLS
            u = np.concatenate([stratified_uniform(rng, 50_000), edges, cells, [1 - 1e-16]])
            expected = np.searchsorted(mixer.cumulative, u, side="right")
            assert np.array_equal(mixer.choose(u), expected)


def test_pools_do_not_depend_on_the_hash_seed():
    # it_IT's city list is built from a set: its order changes with PYTHONHASHSEED.
    script = (
        "from paritygen.generate import pools\nprint(pools.draw_values('city', 'it_IT', 0, 500))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


FIRST_FAKER_IMPORTS = """
import threading
from paritygen.generate.pools import known_locale
from paritygen.generate.text import english_words
barrier = threading.Barrier(2)
errors = []
def run(first_use):
    barrier.wait()
    try:
        first_use()
    except Exception as exc:
        errors.append(repr(exc))
uses = (english_words, lambda: known_locale("en_US"))
threads = [threading.Thread(target=run, args=(use,)) for use in uses]
[t.start() for t in threads]
[t.join() for t in threads]
print(errors)
"""


def test_two_tables_setting_up_at_once_import_faker_without_deadlock():
    """Two threads' first Faker uses at once (a text column's English words and a semantic
    column's locale check, as two tables set up side by side): without one import at a time
    Python's import locks raised ``_DeadlockError`` in 8 fresh processes of 8."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(3):  # each a fresh interpreter: Faker not imported yet
        out = subprocess.run([sys.executable, "-c", FIRST_FAKER_IMPORTS], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        assert out.stdout.strip() == "[]", out.stdout
