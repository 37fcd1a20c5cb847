"""Maskers as pure functions: format kept, checksums valid, deterministic, keyed, never input."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

import paritygen.mask.maskers  # noqa: F401 - registers the built-ins
from paritygen.errors import ConfigError
from paritygen.mask.keys import MaskKey, key_from_env
from paritygen.mask.maskers.base import MaskColumn
from paritygen.mask.maskers.finance import iban_check_digits, luhn_digit
from paritygen.profile.classify import iban_valid, luhn_valid
from paritygen.registry import maskers

KEY = MaskKey(b"k" * 32)
OTHER = MaskKey(b"o" * 32)
EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$")


def make(name: str, logical: str = "string", length: int | None = 80, **params: object):
    return maskers.get(name)(MaskColumn("t", "c", logical, length, params=params))


def run(name: str, values: list, **kwargs: object) -> list:
    return make(name, **kwargs).mask(pl.Series("c", values), KEY).to_list()


def test_email_valid_deterministic_and_keyed() -> None:
    values = [f"person{i}@acme-corp.com" for i in range(2000)] + [None]
    first = run("email", values)
    assert first == run("email", values)
    assert first[-1] is None
    assert all(EMAIL.match(v) for v in first[:-1])
    assert len(set(first[:-1])) == 2000  # distinct inputs stay distinct
    assert not set(first) & set(values[:-1])
    other = make("email").mask(pl.Series("c", values[:10]), OTHER).to_list()
    assert other != first[:10]  # another key, other pseudonyms
    assert all(
        v.endswith(("example.com", "example.org", "example.net", ".test")) for v in first[:-1]
    )


def test_email_domain_keep_and_short_column() -> None:
    kept = run("email", ["a.b@acme.com"], domain="keep")[0]
    assert kept.endswith("@acme.com") and kept != "a.b@acme.com"
    short = run("email", ["someone.long@acme.com"], length=16)[0]
    assert len(short) <= 16 and EMAIL.match(short)
    with pytest.raises(ConfigError, match="needs at least"):
        make("email", length=5)
    with pytest.raises(ConfigError, match="domain must be one of"):
        make("email", domain="drop")


def test_phone_layout_kept() -> None:
    values = ["+49 30 1234567", "(555) 123-4567", "0171/2345678"]
    out = run("phone", values)
    for before, after in zip(values, out, strict=True):
        assert len(before) == len(after) and after != before
        assert [c for c in before if not c.isdigit()] == [c for c in after if not c.isdigit()]
    assert out[0].startswith("+49 ")


def test_iban_and_card_checksums() -> None:
    ibans = ["DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819", "FR1420041010050500013M02606"]
    out = run("iban", ibans)
    for before, after in zip(ibans, out, strict=True):
        assert iban_valid(after) and len(after) == len(before) and after[:2] == before[:2]
        assert after != before
    cards = ["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009"]
    out = run("card_number", cards)
    for before, after in zip(cards, out, strict=True):
        assert luhn_valid(after) and len(after) == len(before) and after[0] == before[0]
        assert after != before
    assert iban_check_digits("DE", "370400440532013000") == "89"
    assert luhn_digit("411111111111111") == "1"


def test_names_from_pools_and_case() -> None:
    out = run("first_name", ["John", "JOHN", "john", "Mary"])
    assert out[0] != "John" and out[1] == out[0].upper() and out[2] == out[0].lower()
    full = run("full_name", ["John Smith", "Smith, John"])
    assert " " in full[0] and "," in full[1]
    assert run("full_name", ["John Smith"]) == full[:1]


def test_birth_date_moves_within_window() -> None:
    values = [dt.date(1980, 5, 1) + dt.timedelta(days=i) for i in range(500)] + [None]
    out = make("birth_date", "date", None, window_days=30).mask(pl.Series("c", values), KEY)
    moved = [(a - b).days for a, b in zip(out.to_list()[:-1], values[:-1], strict=True)]
    assert all(1 <= abs(d) <= 30 for d in moved)
    assert out.to_list()[-1] is None
    text = make("birth_date", "string", 20).mask(pl.Series("c", ["1980-05-01"]), KEY).to_list()
    assert text[0] != "1980-05-01" and re.match(r"^\d{4}-\d{2}-\d{2}$", text[0])


def test_free_text_keeps_length_and_replaces_spans() -> None:
    text = (
        "Call John at +49 30 1234567 or mail john.doe@acme.com; IBAN DE89370400440532013000,"
        " card 4111111111111111. Order 1234 shipped to Mary."
    )
    out = run("free_text", [text], length=None)[0]
    assert len(out) == len(text)
    for secret in ("John", "1234567", "john.doe@acme.com", "DE89370400440532013000",
                   "4111111111111111", "Mary"):  # fmt: skip
        assert secret not in out
    assert "Order 1234 shipped" in out
    regenerated = run("free_text", [text], length=None, mode="regenerate")[0]
    assert len(regenerated) == len(text) and "John" not in regenerated


def test_integer_key_is_a_bijection_keeping_digits() -> None:
    values = list(range(1, 20001))
    out = make("integer_key", "integer", None).mask(pl.Series("c", values), KEY).to_list()
    assert len(set(out)) == len(values)
    assert all(len(str(a)) == len(str(b)) for a, b in zip(values, out, strict=True))
    assert sorted(out[9:99]) == list(range(10, 100))  # 2-digit numbers permute among themselves


def test_construction_validates_against_the_column() -> None:
    with pytest.raises(ConfigError, match="cannot mask a integer column"):
        make("email", "integer")
    with pytest.raises(ConfigError, match="no parameter 'colour'"):
        make("phone", colour="red")
    with pytest.raises(ConfigError, match="unknown masker"):
        maskers.get("nope")
    with pytest.raises(ConfigError, match="unknown locale"):
        make("first_name", locale="xx_YY")


def test_lengths_never_exceed_the_column() -> None:
    for name in ("street", "city", "full_name", "username", "hash"):
        out = run(name, ["Somebody Somewhere 12"] * 3, length=6)
        assert all(len(v) <= 6 for v in out)


def test_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H13_NO_KEY", raising=False)
    with pytest.raises(
        ConfigError, match="no masking key: set the environment variable H13_NO_KEY"
    ):
        key_from_env("H13_NO_KEY")
    monkeypatch.setenv("H13_SHORT", "abc")
    with pytest.raises(ConfigError, match="too short"):
        key_from_env("H13_SHORT")
    monkeypatch.setenv("H13_GOOD", "a-secret-that-is-long-enough")
    key = key_from_env("H13_GOOD")
    assert "secret" not in repr(key)


def test_cached_pseudonyms_past_the_cache_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks that partly repeat earlier values give the pseudonyms a fresh masker gives,
    also when the remembered values pass the cache's bound (it starts again, no lookup of a
    forgotten value) and when two maskers share one cache."""
    from paritygen.mask.maskers import base

    monkeypatch.setattr(base, "CACHE_VALUES", 50)
    chunks = [[f"p{(i * 7 + c * 13) % 90}@acme.com" for i in range(40)] + [None] for c in range(6)]
    expected = [make("email").mask(pl.Series("c", chunk), KEY).to_list() for chunk in chunks]
    shared = base.PseudonymCache()
    first, second = make("email"), make("email")
    first.share_cache(shared)
    second.share_cache(shared)
    got = [
        (first if c % 2 else second).mask(pl.Series("c", chunk), KEY).to_list()
        for c, chunk in enumerate(chunks)
    ]
    assert got == expected
    assert 0 < shared.size <= 50
    assert got[0][-1] is None


def test_iban_vectorised_path_equals_the_general_one() -> None:
    """The vectorised IBAN masker gives, value for value, what the per-value reference gives:
    spaced and lower-case IBANs, short or non-IBAN text, letters outside ASCII, empty."""
    masker = make("iban", length=34)
    values = [
        "DE89 3704 0044 0532 0130 00", "gb82west12345698765432", "GB82 WEST 1234 5698 7654 32",
        "12345", "AB", "", "ÄÖ12ABCDEF12345", "de12x", "FR76-3000-6000", "NL91ABNA0417164300",
        "  ", "AT61 1904 3002 3457 3201", "XX00ÉCOLE12345678", "FR1420041010050500013M02606",
        "DE12\0AB345", "DE89370400440532013000\0", "DE\U0001f600123456",
    ] + [f"DE{i % 97:02d}{i * 7919:018d}" for i in range(500)]  # fmt: skip
    for attempt in (0, 2):
        fast = masker.mask_distinct(values, KEY, attempt)
        assert fast == masker._mask_general(values, KEY, attempt)
    assert all(iban_valid(v) for v in fast[-500:])


def test_replace_many_keeps_layout_nuls_and_wide_characters() -> None:
    """Every ASCII letter and digit replaced by one of its class, every other character (NULs of
    the value's own, inside or at its end, characters beyond the BMP) kept in place."""
    from paritygen.mask.maskers.base import replace_many

    values = ["ab\0", "\0\0", "x\0y1", "\U0001f600a1-", "", "Zz 09"]
    draws = KEY.byte_matrix("test", values, 8)
    out = replace_many(values, draws)
    assert [len(v) for v in out] == [len(v) for v in values]
    for before, after in zip(values, out, strict=True):
        for a, b in zip(before, after, strict=True):
            if a.isascii() and a.isalnum():
                assert b.isascii() and (a.isdigit(), a.isupper()) == (b.isdigit(), b.isupper())
            else:
                assert a == b


def test_replace_many_is_the_keyed_rule_per_character() -> None:
    """The vectorised rule, character by character: the n-th ASCII digit / upper / lower letter
    past the first *keep* of its value becomes ``'0' + byte % 10`` / ``'A' + byte % 26`` /
    ``'a' + byte % 26`` of its keyed byte; a kept count per value, or one for all."""
    import numpy as np

    from paritygen.mask.maskers.base import replace_many

    values = ["+49 30 1234567", "DE89 3704 0044", "ab-CD-12", "", "x", "Ünïcode 7z", "0000"]
    width = max(map(len, values))
    draws = KEY.byte_matrix("test/rule", values, width)

    def reference(value: str, row: np.ndarray, keep: int) -> str:
        out, seen = [], 0
        for i, c in enumerate(value):
            kind = (
                (48, 10) if "0" <= c <= "9" else (65, 26) if "A" <= c <= "Z"
                else (97, 26) if "a" <= c <= "z" else None
            )  # fmt: skip
            if kind is not None:
                seen += 1
                if seen > keep:
                    c = chr(kind[0] + int(row[i]) % kind[1])
            out.append(c)
        return "".join(out)

    for keep in (0, 2, np.array([3, 0, 1, 0, 5, 2, 4])):
        kept = np.broadcast_to(np.asarray(keep), (len(values),))
        expected = [reference(v, draws[i], int(kept[i])) for i, v in enumerate(values)]
        assert replace_many(values, draws, keep) == expected
        assert replace_many(values, draws.astype(np.int64), keep) == expected  # any integer type
