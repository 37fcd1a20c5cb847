"""The peer: SDV fitted on the benchmark's "production" rows, then sampled (runs in venv-sdv).

Run by ``run.py`` with the SDV interpreter (``/work/venv-sdv/bin/python`` or
``$PARITYGEN_SDV_PYTHON``), never imported by paritygen. Input: header CSV files of ``customers``
and ``orders`` exported from production. Output: CSV files without header in PostgreSQL's CSV
format (empty field = NULL), ready for ``psql \\copy`` into a staging copy of the schema, and one
JSON line on stdout with fit / sample seconds and the peak memory of this process.

Modes: ``gaussian`` (GaussianCopulaSynthesizer on ``orders`` alone; ``customer_id`` is modelled as
a number, because a single-table model knows no parent) and ``hma`` (HMASynthesizer on both
tables with the FK relationship, SDV's multi-table model).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

ORDERS = {
    "id": {"sdtype": "id"},
    "customer_id": {"sdtype": "id"},
    "status": {"sdtype": "categorical"},
    "amount": {"sdtype": "numerical", "computer_representation": "Float"},
    "currency": {"sdtype": "categorical"},
    "created_at": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S.%f"},
    "email": {"sdtype": "email", "pii": True},
    "first_name": {"sdtype": "first_name", "pii": True},
    "city": {"sdtype": "categorical"},
    "note": {"sdtype": "text"},
}
CUSTOMERS = {
    "id": {"sdtype": "id"},
    "signup_at": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S.%f"},
    "country": {"sdtype": "categorical"},
}


def _metadata(mode: str) -> dict:
    orders = {key: dict(value) for key, value in ORDERS.items()}
    if mode == "gaussian":
        orders["customer_id"] = {"sdtype": "numerical", "computer_representation": "Int64"}
        return {
            "METADATA_SPEC_VERSION": "V1",
            "tables": {"orders": {"primary_key": "id", "columns": orders}},
            "relationships": [],
        }
    return {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "customers": {"primary_key": "id", "columns": CUSTOMERS},
            "orders": {"primary_key": "id", "columns": orders},
        },
        "relationships": [
            {
                "parent_table_name": "customers",
                "parent_primary_key": "id",
                "child_table_name": "orders",
                "child_foreign_key": "customer_id",
            }
        ],
    }


def _read(path: Path, columns: dict) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for name, spec in columns.items():
        if spec["sdtype"] == "datetime":
            frame[name] = pd.to_datetime(frame[name], format="mixed")
    return frame


def _write(frame: pd.DataFrame, columns: dict, path: Path) -> None:
    frame = frame[list(columns)].copy()
    for name, spec in columns.items():
        if spec["sdtype"] == "datetime":
            frame[name] = pd.to_datetime(frame[name]).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    if "amount" in frame:
        frame["amount"] = frame["amount"].round(2)
    frame.to_csv(path, header=False, index=False, na_rep="")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["gaussian", "hma"])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--orders", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import sdv
    from sdv.metadata import Metadata

    t0 = time.perf_counter()
    data = {"orders": _read(args.orders, ORDERS)}
    if args.mode == "hma":
        data["customers"] = _read(args.customers, CUSTOMERS)
    read_seconds = time.perf_counter() - t0
    metadata = Metadata.load_from_dict(_metadata(args.mode))

    t1 = time.perf_counter()
    if args.mode == "gaussian":
        from sdv.single_table import GaussianCopulaSynthesizer

        synth = GaussianCopulaSynthesizer(metadata)
        synth.fit({"orders": data["orders"]})
    else:
        from sdv.multi_table import HMASynthesizer

        synth = HMASynthesizer(metadata)
        synth.fit(data)
    fit_seconds = time.perf_counter() - t1

    t2 = time.perf_counter()
    if args.mode == "gaussian":
        sampled = synth.sample(num_rows=len(data["orders"]))
    else:
        # SDV 2 samples the multi-table model from the root table's row count.
        sampled = synth.sample(num_rows=len(data["customers"]), main_table_name="customers")
    if isinstance(sampled, pd.DataFrame):
        sampled = {"orders": sampled}
    sample_seconds = time.perf_counter() - t2

    args.out.mkdir(parents=True, exist_ok=True)
    _write(sampled["orders"], ORDERS, args.out / "orders.csv")
    if "customers" in sampled:
        _write(sampled["customers"], CUSTOMERS, args.out / "customers.csv")
    result = {
        "mode": args.mode,
        "sdv_version": sdv.__version__,
        "rows_in": {name: len(frame) for name, frame in data.items()},
        "rows_out": {name: len(frame) for name, frame in sampled.items()},
        "read_seconds": read_seconds,
        "fit_seconds": fit_seconds,
        "sample_seconds": sample_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
