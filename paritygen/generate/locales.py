"""The locales value pools mix, kept apart from :mod:`paritygen.generate.pools` so that a reader
of the list (mask's cached name pools) does not import Faker to learn it."""

from __future__ import annotations

EXTRA_LOCALES = (
    "en_GB",
    "de_DE",
    "fr_FR",
    "pt_BR",
    "en_CA",
    "nl_NL",
    "es_ES",
    "it_IT",
    "pl_PL",
    "de_AT",
    "en_AU",
    "da_DK",
    "pt_PT",
)
"""Locales mixed into a pool when no locale is set and the default one cannot produce the
profiled lengths (an international customer base: 4- to 10-character postcodes)."""
