"""The masking secret: read from an environment variable, used only through HMAC-SHA256.

Why a secret at all: an unkeyed hash of an e-mail is reversed by hashing a list of e-mails; with
HMAC the pseudonym of a value is reproducible only by whoever holds the key, and the same key
gives the same pseudonym in every table and every run, which is what keeps joins on masked
values (an e-mail used as a natural key) intact.

The key is never stored, printed or put into an error message; :class:`MaskKey` hides it from
``repr``. A run without the variable, or with a key too short to resist guessing, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

import numpy as np
import polars as pl

from paritygen.errors import ConfigError

DEFAULT_KEY_ENV = "PARITYGEN_MASK_KEY"
"""Environment variable read when ``--key-env`` is not given."""

MIN_KEY_BYTES = 16
"""Shortest accepted secret (128 bits of text): shorter keys are open to a dictionary search."""


class MaskKey:
    """An HMAC-SHA256 key with per-purpose domains (``email/local``, ``iban/bban``...).

    Each purpose gets its own derived key, so knowing a pseudonym made for one masker tells
    nothing about another's. Digests are cached per (purpose, value) within a run: names and
    cities repeat, and HMAC is the per-value cost of masking.
    """

    __slots__ = ("_secret", "_derived")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise ConfigError(
                f"the masking key is too short ({len(secret)} bytes; at least {MIN_KEY_BYTES})"
            )
        self._secret = secret
        self._derived: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return "MaskKey(***)"

    def _purpose_key(self, purpose: str) -> bytes:
        derived = self._derived.get(purpose)
        if derived is None:
            derived = hmac.new(self._secret, b"paritygen/" + purpose.encode(), "sha256").digest()
            self._derived[purpose] = derived
        return derived

    def digest(self, purpose: str, value: str | bytes) -> bytes:
        """HMAC-SHA256 of one value under the purpose's key (32 bytes)."""
        data = value.encode("utf-8") if isinstance(value, str) else value
        return hmac.new(self._purpose_key(purpose), data, hashlib.sha256).digest()

    def digests(self, purpose: str, values: Sequence[str]) -> list[bytes]:
        """HMAC-SHA256 of each value (RFC 2104 written out over hashlib states: the padded
        inner and outer keys are hashed once and copied per value, twice as fast as copying an
        ``hmac`` object, the per-value cost of masking)."""
        block = self._purpose_key(purpose).ljust(64, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        out = []
        append = out.append
        for value in values:
            state = inner.copy()
            state.update(value.encode("utf-8"))
            final = outer.copy()
            final.update(state.digest())
            append(final.digest())
        return out

    def numbers(self, purpose: str, values: Sequence[str], words: int = 1) -> np.ndarray:
        """*words* unsigned 64-bit numbers per value from its digest: shape (len, words).

        The keyed random source of every masker: the same value and key give the same numbers.
        """
        if words < 1 or words > 4:
            raise ValueError("words must be 1..4 (a SHA-256 digest holds four 64-bit words)")
        raw = b"".join(self.digests(purpose, values))
        table = np.frombuffer(raw, dtype="<u8").reshape(len(values), 4) if values else None
        if table is None:
            return np.zeros((0, words), dtype=np.uint64)
        return table[:, :words].copy()

    def byte_matrix(self, purpose: str, values: Sequence[str], width: int) -> np.ndarray:
        """*width* keyed bytes per value, shape (len, width): one digest per 32 bytes, each
        under its own derived key. The keyed draws of the character-by-character maskers."""
        blocks = [
            np.frombuffer(
                b"".join(self.digests(f"{purpose}/{block}", values)), dtype=np.uint8
            ).reshape(len(values), 32)
            for block in range(max(1, -(-width // 32)))
        ]
        if not values:
            return np.zeros((0, width), dtype=np.uint8)
        return np.hstack(blocks)[:, :width]


def key_from_env(var: str | None = None) -> MaskKey:
    """The key held by environment variable *var* (default :data:`DEFAULT_KEY_ENV`).

    Refuses to run without one: masking with a default or random key would either be guessable
    or break the promise that two runs give the same pseudonyms.
    """
    name = var or DEFAULT_KEY_ENV
    secret = os.environ.get(name, "")
    if not secret:
        raise ConfigError(
            f"no masking key: set the environment variable {name} to a secret of at least"
            f" {MIN_KEY_BYTES} characters (e.g. `export {name}=$(openssl rand -hex 32)`);"
            " keep it: the same key gives the same pseudonyms in every run"
        )
    return MaskKey(secret.encode("utf-8"))


def unique_strings(values: pl.Series) -> tuple[list[str], np.ndarray]:
    """(distinct non-NULL strings, index of each row's string or -1 for NULL): maskers compute
    each distinct value once and spread the result, since names and cities repeat a lot."""
    frame = pl.DataFrame({"v": values.cast(pl.String)})
    distinct = frame.get_column("v").drop_nulls().unique(maintain_order=True)
    lookup = pl.DataFrame({"v": distinct, "i": pl.arange(0, distinct.len(), eager=True)})
    index = frame.join(lookup, on="v", how="left", maintain_order="left").get_column("i")
    return distinct.to_list(), index.fill_null(-1).to_numpy().astype(np.int64)
