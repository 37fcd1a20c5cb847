"""Streets, cities and postcodes: plausible places picked by the key.

Streets and cities come from Faker's lists for the locale (``123 Main Street``, ``Port Evan``);
a postcode keeps its layout (``SW1A 1AA``, ``10115``) with keyed characters, so a country's
format survives while the place does not.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from paritygen.mask.maskers.base import MaskColumn, ShapedMasker, StringMasker, pick
from paritygen.mask.maskers.pools import DEFAULT_LOCALE, check_locale, pool
from paritygen.registry import maskers


class _PlaceMasker(StringMasker):
    case_blind = True
    parameters: ClassVar[dict[str, object]] = {"locale": DEFAULT_LOCALE}
    kind: ClassVar[str] = "street"

    def __init__(self, column: MaskColumn) -> None:
        super().__init__(column)
        self.locale = check_locale(column.label, self.params["locale"])
        self.need_length(3)

    def one(self, value: str, numbers: np.ndarray) -> str:
        del value
        return pick(pool(self.kind, self.locale), numbers[0])


@maskers.register("street")
class StreetMasker(_PlaceMasker):
    """A street address (number and street name) from Faker's list."""

    registered_name = "street"
    purpose = "place/street"
    kind = "street"


@maskers.register("city")
class CityMasker(_PlaceMasker):
    """A city name from Faker's list."""

    registered_name = "city"
    purpose = "place/city"
    kind = "city"


@maskers.register("postcode")
class PostcodeMasker(ShapedMasker):
    """Keyed digits and letters in the postcode's own layout."""

    registered_name = "postcode"
    purpose = "place/postcode"
