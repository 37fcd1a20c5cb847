"""Semantic and PII tags: by column name first, then by the shape of sampled values.

Why both: names are cheap and usually right (``email``, ``nachname``), but production schemas hide
PII in columns called ``contact`` or ``ref``; a value check on the sample catches e-mails, IBANs
(checksum), card numbers (Luhn), UUIDs, IPs, URLs, phone numbers and person names
(:mod:`paritygen.profile.names`) whatever the name. The PII set
is documented in docs/profile.md ("PII policy"); the user's ``rules`` always win.
"""

from __future__ import annotations

import re

import polars as pl

from paritygen.profile.frames import ENGINE
from paritygen.profile.names import name_tag

PII_SEMANTICS = frozenset(
    {
        "email",
        "phone",
        "first_name",
        "last_name",
        "full_name",
        "username",
        "street",
        "postcode",
        "iban",
        "card_number",
        "birth_date",
        "ip_address",
        "free_text",
        "national_id",
        "password",
    }
)
"""Semantic tags whose values identify (or help identify) a person: no raw value is stored."""

# (tag, pattern over the lower-cased column name with separators normalised to "_").
# Order matters: the first match wins, specific before general.
NAME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tag, re.compile(pattern))
    for tag, pattern in (
        ("email", r"(^|_)(e_?mail|mail_?address|courriel|correo)(_|$)|email"),
        ("password", r"(^|_)(password|passwd|pwd|password_hash|kennwort)(_|$)"),
        ("iban", r"(^|_)iban(_|$)"),
        # A card number is named as one ("card_no", "cc_number", "credit_card"); a bare "cc_" or
        # "card_" prefix is not (cc_name, cc_city, card_type): values decide those (Luhn).
        (
            "card_number",
            r"card_?(no|num|number|nr)(_|$)|(^|_)(cc|pan)_?(no|num|number|nr)(_|$)|(^|_)cc$"
            r"|(^|_)pan$|(^|_)credit_?card(_|$)",
        ),
        (
            "birth_date",
            r"(^|_)(birth|dob|birthday|birthdate|geburtsdatum|geburtstag|date_of_birth)"
            r"|birth_?date|(^|_)born(_|$)",
        ),
        ("national_id", r"(^|_)(ssn|social_security|tax_?id|national_id|passport)(_|$)"),
        ("ip_address", r"(^|_)(ip|ip_?address|ipv4|ipv6|remote_?addr|client_?ip)(_|$)"),
        ("phone", r"(^|_)(phone|tel|telephone|telefon|mobile|mobil|cell|fax|handy)(_|$)|phone"),
        ("first_name", r"(^|_)(first_?name|firstname|given_?name|forename|vorname|prenom)(_|$)"),
        ("last_name", r"(^|_)(last_?name|lastname|surname|family_?name|nachname|nom)(_|$)"),
        (
            "full_name",
            r"(^|_)(full_?name|customer_?name|contact_?name|person_?name|display_?name)$",
        ),
        ("username", r"(^|_)(user_?name|login|nickname|screen_?name|handle)(_|$)"),
        (
            "street",
            r"(^|_)(street|strasse|straße|address_?(line)?_?[12]?|addr_?[12]?|"
            r"billing_?address|shipping_?address|house_?number|hausnummer)(_|$)",
        ),
        ("postcode", r"(^|_)(zip|zip_?code|postcode|post_?code|postal_?code|plz)(_|$)"),
        ("city", r"(^|_)(city|town|ort|stadt|ville|locality)(_|$)"),
        ("country", r"(^|_)(country|country_?code|land|pays)(_|$)"),
        ("url", r"(^|_)(url|uri|website|homepage|link)(_|$)"),
        ("uuid", r"(^|_)(uuid|guid)(_|$)"),
        ("company", r"(^|_)(company|company_?name|firma|organisation|organization)(_|$)"),
        (
            "free_text",
            r"(^|_)(comment|comments|note|notes|description|message|remark|remarks|"
            r"bemerkung|body|feedback|review)(_|$)",
        ),
    )
)

FREE_TEXT_TYPES = frozenset({"string", "text"})
"""``free_text`` by name only applies to textual columns (``note_id`` integer is not free text)."""

NAME_TAG_TYPES: dict[str, frozenset[str]] = {
    "birth_date": frozenset({"date", "datetime", "string", "text"}),
    "ip_address": frozenset({"string", "text", "binary", "integer"}),
    "uuid": frozenset({"uuid", "string", "text", "binary"}),
}
"""Tags restricted to plausible logical types (``ip`` integer counters stay untagged otherwise)."""

TEXT_ONLY_TAGS = frozenset(
    {
        "full_name",
        "city",
        "last_name",
        "username",
        "street",
        "free_text",
        "first_name",
        "country",
        "password",
        "url",
        "company",
        "email",
    }
)
"""Tags that only make sense on text columns (an integer ``email_count`` is not an e-mail)."""

TEXTUAL = frozenset({"string", "text", "json", "enum", "uuid"})


def classify_name(name: str, logical_type: str) -> str | None:
    """The semantic tag suggested by a column name, or None."""
    norm = re.sub(r"[^0-9a-zß]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()).strip("_")
    for tag, pattern in NAME_PATTERNS:
        if not pattern.search(norm):
            continue
        if tag in TEXT_ONLY_TAGS and logical_type not in FREE_TEXT_TYPES:
            continue
        allowed = NAME_TAG_TYPES.get(tag)
        if allowed is not None and logical_type not in allowed:
            continue
        return tag
    return None


VALUE_SHARE = 0.9
"""Share of the sampled non-NULL values that must match a value shape for the tag to apply."""

VALUE_SAMPLE = 2000
"""Values checked per column: enough for a stable share, cheap even with Python checksums."""
VALUE_ROWS = 10 * VALUE_SAMPLE
"""Rows (a fixed-seed sample of a larger column) the checked values are drawn from once the
blanks are left out: stripping every value of a 600,000-row column to pick 2,000 cost more
than checking them."""

_EMAIL = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A fixed-length hex token (md5, sha1, API key) is not a UUID: no dashes, any length.
_HEX = r"^([0-9a-f]{8,}|[0-9A-F]{8,})$"
_IPV4 = r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$"
_IPV6 = r"^[0-9a-fA-F:]{2,39}$"
_URL = r"^(https?|ftp)://[^\s]+$"
_PHONE = r"^\+?\(?[0-9][0-9 ()./-]{6,18}[0-9]$"
_IBAN = r"^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{11,36}$"
_CARD = r"^[0-9][0-9 -]{11,21}[0-9]$"


def iban_valid(text: str) -> bool:
    """ISO 13616 mod-97 check: the IBAN, rotated and letters as numbers, is 1 mod 97."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rotated = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rotated)
    return int(digits) % 97 == 1


def luhn_valid(text: str) -> bool:
    """Luhn check digit of payment card numbers (ISO/IEC 7812)."""
    digits = [int(ch) for ch in text if ch.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def classify_values(values: pl.Series) -> str | None:
    """The semantic tag that at least :data:`VALUE_SHARE` of the string *values* match, or None.

    Every pattern is counted in one polars query (on at most :data:`VALUE_SAMPLE` values): one
    query per pattern cost more in per-call overhead than the matching itself."""
    if values.dtype != pl.String:
        return None
    present = values.drop_nulls()
    if present.len() > VALUE_ROWS:  # the rows the sample is drawn from, not the whole column
        present = present.sample(VALUE_ROWS, seed=0)
    # Blank strings are "no value" (MariaDB's NOT NULL DEFAULT ''): they must not dilute the
    # share, or an e-mail column that is 20 % blank keeps its frequent addresses as values.
    sample = (
        present.to_frame("v")
        .lazy()
        .select(pl.col("v").str.strip_chars())
        .filter(pl.col("v") != "")
        .collect(engine=ENGINE)
        .to_series()
    )
    if sample.len() == 0:
        return None
    if sample.len() > VALUE_SAMPLE:
        sample = sample.sample(VALUE_SAMPLE, seed=0)
    n = sample.len()
    v = pl.col("v")
    found = (
        sample.to_frame("v")
        .select(
            email=v.str.contains(_EMAIL).sum(),
            uuid=v.str.contains(_UUID).sum(),
            hex=v.str.contains(_HEX).sum(),
            hex_letters=v.str.contains(r"[a-fA-F]").sum(),
            url=v.str.contains(_URL).sum(),
            ipv4=v.str.contains(_IPV4).sum(),
            ipv6=(v.str.contains(":") & v.str.contains(_IPV6)).sum(),
            iban=v.str.contains(_IBAN).sum(),
            card=v.str.contains(_CARD).sum(),
            phone=v.str.contains(_PHONE).sum(),
        )
        .row(0, named=True)
    )

    def share(name: str) -> float:
        return float(found[name]) / n

    if share("email") >= VALUE_SHARE:
        return "email"
    if share("uuid") >= VALUE_SHARE:
        return "uuid"
    if share("hex") >= VALUE_SHARE and share("hex_letters") >= 0.5:
        lengths = sample.str.len_chars()
        if lengths.min() == lengths.max():
            return "hex"
    if share("url") >= VALUE_SHARE:
        return "url"
    if share("ipv4") >= VALUE_SHARE:
        return "ip_address"
    if share("ipv6") >= VALUE_SHARE:
        ipv6 = sample.filter(sample.str.contains(":") & sample.str.contains(_IPV6))
        if ipv6.str.count_matches(":").min() >= 2:
            return "ip_address"
    if share("iban") >= VALUE_SHARE:
        ibans = sample.filter(sample.str.contains(_IBAN))
        if sum(iban_valid(v) for v in ibans.to_list()) / n >= VALUE_SHARE:
            return "iban"
    if share("card") >= VALUE_SHARE:
        cards = sample.filter(sample.str.contains(_CARD))
        if sum(luhn_valid(v) for v in cards.to_list()) / n >= VALUE_SHARE:
            return "card_number"
    # Plain digit strings of one length are codes (EAN, order numbers), not phone numbers: ask for
    # a leading + or separators in most values.
    if share("phone") >= VALUE_SHARE:
        phones = sample.filter(sample.str.contains(_PHONE))
        formatted = phones.str.contains(r"^\+|[ ()./-]").sum()
        if formatted / n >= 0.5:
            return "phone"
    return None


def decide(name: str, logical_type: str, values: pl.Series | None) -> tuple[str | None, bool]:
    """(semantic tag, pii) for a column: the name wins, values fill in when the name says nothing.

    A value-detected tag also upgrades a name tag that is not PII (a ``contact`` column full of
    e-mails is an e-mail column).
    """
    tag = classify_name(name, logical_type)
    if values is not None and logical_type in TEXTUAL and (tag is None or tag not in PII_SEMANTICS):
        by_value = classify_values(values)
        if by_value is None and tag is None:
            # Person names whatever the column is called (owner, manager, contact, cc_name).
            by_value = name_tag(values)
        if by_value is not None and (tag is None or by_value in PII_SEMANTICS):
            tag = by_value
    return tag, tag in PII_SEMANTICS
