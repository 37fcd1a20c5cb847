"""Which FK of a junction's key leads must not hang on the order a dialect reflects FKs in."""

from paritygen.generate.key_edges import choose_lead
from paritygen.profile.model import Column, FanoutStats, ForeignKey, Table


def _fk(column: str, parent: str, parents: int, mean: float, top: int) -> ForeignKey:
    fanout = FanoutStats(
        parent_rows=parents, child_rows=round(parents * mean), null_fraction=0.0,
        childless_fraction=0.0, max=top, mean=mean, quantiles=(0.0, mean, float(top)),
    )  # fmt: skip
    return ForeignKey(columns=(column,), ref_table=parent, ref_columns=("id",), fanout=fanout)


def test_the_skewed_side_leads_in_either_declaration_order() -> None:
    # Chinook's PlaylistTrack: 18 playlists, one holding 3,290 of 8,715 rows; tracks in 1-5.
    playlist = _fk("playlist_id", "playlist", 18, 484.0, 3290)
    track = _fk("track_id", "track", 3503, 2.5, 5)
    columns = {c: Column(name=c, logical_type="integer", sql_type="integer")
               for c in ("playlist_id", "track_id")}  # fmt: skip
    for fks in ([playlist, track], [track, playlist]):
        table = Table(name="playlist_track", columns=columns, row_count=8715,
                      primary_key=("playlist_id", "track_id"), foreign_keys=tuple(fks))  # fmt: skip
        lead = choose_lead(table, fks, [0, 1])
        assert fks[lead].columns == ("playlist_id",)


def test_equally_even_sides_keep_the_declared_order() -> None:
    product = _fk("product_id", "product", 4346, 3.0, 3)
    currency = _fk("currency_code", "currency", 3, 4346.0, 4346)
    columns = {c: Column(name=c, logical_type="integer", sql_type="integer")
               for c in ("product_id", "currency_code")}  # fmt: skip
    table = Table(name="price", columns=columns, row_count=13038,
                  primary_key=("product_id", "currency_code"),
                  foreign_keys=(product, currency))  # fmt: skip
    assert choose_lead(table, [product, currency], [0, 1]) == 0


def test_a_partial_junction_lets_the_few_heavy_parents_lead_in_either_order() -> None:
    # stock: 3 warehouses x 4,346 products, each product in about 2 of them.
    warehouse = _fk("fk_warehouse", "warehouse", 3, 2887.0, 4346)
    product = _fk("fk_product", "product", 4346, 1.99, 3)
    columns = {c: Column(name=c, logical_type="integer", sql_type="integer")
               for c in ("fk_warehouse", "fk_product")}  # fmt: skip
    for fks in ([warehouse, product], [product, warehouse]):
        key = ("fk_warehouse", "fk_product")
        table = Table(name="stock", columns=columns, row_count=8661, primary_key=key,
                      foreign_keys=tuple(fks))  # fmt: skip
        assert fks[choose_lead(table, fks, [0, 1])].columns == ("fk_warehouse",)


def test_a_full_cross_product_lets_the_many_small_groups_lead_in_either_order() -> None:
    product = _fk("product_id", "product", 4346, 3.0, 3)
    currency = _fk("currency_code", "currency", 3, 4346.0, 4346)
    columns = {c: Column(name=c, logical_type="integer", sql_type="integer")
               for c in ("product_id", "currency_code")}  # fmt: skip
    for fks in ([product, currency], [currency, product]):
        key = ("product_id", "currency_code")
        table = Table(name="price", columns=columns, row_count=13038, primary_key=key,
                      foreign_keys=tuple(fks))  # fmt: skip
        assert fks[choose_lead(table, fks, [0, 1])].columns == ("product_id",)
