"""The built-in maskers, registered in :data:`paritygen.registry.maskers` on import.

One module per concept (people, contact, places, finance, dates, text, generic); a third-party
masker registers itself the same way (``@maskers.register("my_masker")``) and is named in the
rules like any built-in.
"""

from paritygen.mask.maskers import (  # noqa: F401 - registration side effects
    contact,
    dates,
    finance,
    generic,
    people,
    places,
    text,
)
from paritygen.mask.maskers.base import MaskColumn, Masker

__all__ = ["MaskColumn", "Masker"]
