"""Generators import Faker only when a column draws from it: a run whose columns need no Faker
word list or pool (numbers, dates, codes, native literals unused) never pays its import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from paritygen.generate import native

ROOT = Path(__file__).resolve().parents[2]


def test_generator_modules_import_no_faker() -> None:
    code = (
        "import sys; import paritygen.generate.native, paritygen.generate.semantic,"
        " paritygen.generate.pools, paritygen.run.generate; print('faker' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "False"


def test_native_vocabulary_is_the_english_words() -> None:
    from paritygen.generate.text import english_words

    words = native._vocabulary()
    assert isinstance(words, pl.Series)
    assert words.to_list() == sorted({w for w in english_words() if w.isalpha()})
    assert len(words) > 500
