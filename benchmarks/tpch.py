"""TPC-H as a source nobody here wrote: the schema of the TPC-H specification, rows from
``tpchgen-cli`` (the DataFusion project's generator, ``pip install tpchgen-cli``).

Why: the warehouse of :mod:`warehouse` is ours, and a tool tuned on its own data proves little.
TPC-H at scale 0.1 is the "8-table, ~870k-row schema" of issue 12 (a 600k-row fact, text-heavy
dimensions with comment, name and address columns). The section is skipped, with the reason
printed, where the generator is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

GENERATOR = "tpchgen-cli"
ROWS_AT_SCALE_1 = {
    "region": 5,
    "nation": 25,
    "part": 200_000,
    "supplier": 10_000,
    "partsupp": 800_000,
    "customer": 150_000,
    "orders": 1_500_000,
    "lineitem": 6_001_215,
}
FIXED = {"region", "nation"}
"""Tables whose size does not follow the scale factor."""


@dataclass(frozen=True)
class Layout:
    scale: float = 0.1

    def tables(self) -> list[str]:
        """Parents first, the order a restore loads them in."""
        return list(ROWS_AT_SCALE_1)

    def total_rows(self) -> int:
        return sum(n if t in FIXED else int(n * self.scale) for t, n in ROWS_AT_SCALE_1.items())


def generator() -> str | None:
    """The generator's path (``$TPCHGEN`` or the PATH, the venv's bin first), None if absent."""
    explicit = os.environ.get("TPCHGEN")
    if explicit:
        return explicit
    beside = Path(os.sys.executable).parent / GENERATOR
    return str(beside) if beside.exists() else shutil.which(GENERATOR)


def metadata(_layout: Layout) -> sa.MetaData:
    """The specification's tables with their primary and foreign keys."""
    m = sa.MetaData()
    dec = sa.Numeric(15, 2)
    txt = sa.String

    def col(name: str, kind: sa.types.TypeEngine, *more: object, **kw: object) -> sa.Column:
        return sa.Column(name, kind, *more, nullable=False, **kw)

    sa.Table("region", m, col("r_regionkey", sa.Integer, primary_key=True, autoincrement=False),
             col("r_name", sa.CHAR(25)), sa.Column("r_comment", txt(152)))  # fmt: skip
    sa.Table("nation", m, col("n_nationkey", sa.Integer, primary_key=True, autoincrement=False),
             col("n_name", sa.CHAR(25)),
             col("n_regionkey", sa.Integer, sa.ForeignKey("region.r_regionkey")),
             sa.Column("n_comment", txt(152)))  # fmt: skip
    sa.Table("part", m, col("p_partkey", sa.Integer, primary_key=True, autoincrement=False),
             col("p_name", txt(55)), col("p_mfgr", sa.CHAR(25)), col("p_brand", sa.CHAR(10)),
             col("p_type", txt(25)), col("p_size", sa.Integer), col("p_container", sa.CHAR(10)),
             col("p_retailprice", dec), col("p_comment", txt(23)))  # fmt: skip
    sa.Table("supplier", m, col("s_suppkey", sa.Integer, primary_key=True, autoincrement=False),
             col("s_name", sa.CHAR(25)), col("s_address", txt(40)),
             col("s_nationkey", sa.Integer, sa.ForeignKey("nation.n_nationkey")),
             col("s_phone", sa.CHAR(15)), col("s_acctbal", dec),
             col("s_comment", txt(101)))  # fmt: skip
    sa.Table("partsupp", m,
             col("ps_partkey", sa.Integer, sa.ForeignKey("part.p_partkey"), primary_key=True),
             col("ps_suppkey", sa.Integer, sa.ForeignKey("supplier.s_suppkey"),
                 primary_key=True),
             col("ps_availqty", sa.Integer), col("ps_supplycost", dec),
             col("ps_comment", txt(199)))  # fmt: skip
    sa.Table("customer", m, col("c_custkey", sa.Integer, primary_key=True, autoincrement=False),
             col("c_name", txt(25)), col("c_address", txt(40)),
             col("c_nationkey", sa.Integer, sa.ForeignKey("nation.n_nationkey")),
             col("c_phone", sa.CHAR(15)), col("c_acctbal", dec), col("c_mktsegment", sa.CHAR(10)),
             col("c_comment", txt(117)))  # fmt: skip
    sa.Table("orders", m, col("o_orderkey", sa.Integer, primary_key=True, autoincrement=False),
             col("o_custkey", sa.Integer, sa.ForeignKey("customer.c_custkey")),
             col("o_orderstatus", sa.CHAR(1)), col("o_totalprice", dec),
             col("o_orderdate", sa.Date), col("o_orderpriority", sa.CHAR(15)),
             col("o_clerk", sa.CHAR(15)), col("o_shippriority", sa.Integer),
             col("o_comment", txt(79)))  # fmt: skip
    sa.Table("lineitem", m,
             col("l_orderkey", sa.Integer, sa.ForeignKey("orders.o_orderkey"), primary_key=True),
             col("l_partkey", sa.Integer), col("l_suppkey", sa.Integer),
             col("l_linenumber", sa.Integer, primary_key=True, autoincrement=False),
             col("l_quantity", dec), col("l_extendedprice", dec), col("l_discount", dec),
             col("l_tax", dec), col("l_returnflag", sa.CHAR(1)), col("l_linestatus", sa.CHAR(1)),
             col("l_shipdate", sa.Date), col("l_commitdate", sa.Date),
             col("l_receiptdate", sa.Date), col("l_shipinstruct", sa.CHAR(25)),
             col("l_shipmode", sa.CHAR(10)), col("l_comment", txt(44)),
             sa.ForeignKeyConstraint(["l_partkey", "l_suppkey"],
                                     ["partsupp.ps_partkey", "partsupp.ps_suppkey"]))  # fmt: skip
    return m


def write_files(layout: Layout, folder: Path) -> dict[str, Path]:
    """Run the generator, then rewrite its CSV as COPY's text format (what the warehouse's
    files are, and what LOAD DATA reads by default): tab-separated, no header, ``\\N`` NULL."""
    exe = generator()
    if exe is None:
        raise RuntimeError(f"{GENERATOR} is not installed (pip install {GENERATOR})")
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [exe, "csv", "-s", str(layout.scale), f"--output-dir={raw}"],
        check=True,
        capture_output=True,
    )
    files = {}
    for table in layout.tables():
        frame = pl.read_csv(raw / f"{table}.csv", infer_schema=False)
        path = folder / f"{table}.tsv"
        frame.write_csv(
            path, separator="\t", include_header=False, quote_style="never", null_value="\\N"
        )
        files[table] = path
    shutil.rmtree(raw, ignore_errors=True)
    return files
