"""The demo: an embedded e-commerce "production" that exercises every hard case paritygen handles.

:func:`paritygen.demo.shop.build_shop` builds it on SQLite, PostgreSQL or MariaDB; the ``demo``
command (:mod:`paritygen.demo.loop`) profiles it, generates a staging copy and verifies parity,
with no server needed.
"""

from paritygen.demo.schema import SHOP_TABLES, shop_metadata
from paritygen.demo.shop import LOOKUP_TABLES, build_shop, shop_rules

__all__ = ["LOOKUP_TABLES", "SHOP_TABLES", "build_shop", "shop_metadata", "shop_rules"]
