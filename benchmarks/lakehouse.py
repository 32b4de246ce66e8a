"""The lakehouse publication at scale: `stage_lakehouse` (a stage of `make bench`, after gold) and a standalone
run that generates gold feature rows directly, so the publication can be timed without the whole pipeline:

    .venv/bin/python -m benchmarks.lakehouse --rows 100000 1000000

Publication = the `lakehouse_*` asset's own work (defs/lakehouse/assets.publish_table): read the gold table
from the warehouse as Arrow, write the Iceberg snapshot to the embedded S3, expire. Size on disk compares the
Iceberg table's files in the bucket (data + metadata of the current snapshot) with the same rows as one zstd
Parquet file (what a COPY INTO @stage unload gives) and with the embedded warehouse's DuckDB file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def publish_all(home: Path) -> dict:
    """Publish every declared table; seconds, rows and sizes per table."""
    import pyarrow.parquet as pq

    from medallion_assets.defs.lakehouse.assets import publish_table
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib import lakehouse, warehouse
    from medallion_assets.lib.iceberg_catalog import LOCAL_BUCKET, lakehouse_resource

    snowflake, lake = resolved(snowflake_resource()), resolved(lakehouse_resource())
    tables, total_seconds, total_rows = {}, 0.0, 0
    for spec in lakehouse.PUBLISHED:
        started = time.perf_counter()
        metadata = publish_table(spec, snowflake, lake, "bench", lakehouse.DEFAULT_KEEP_DAYS)
        seconds = time.perf_counter() - started
        rows = metadata["dagster/row_count"].value
        with warehouse.connect(snowflake) as conn, tempfile.TemporaryDirectory() as scratch:
            parquet = Path(scratch) / "unload.parquet"
            pq.write_table(lakehouse.read_gold(conn, spec.warehouse_table), parquet, compression="zstd")
            parquet_bytes = parquet.stat().st_size
        tables[spec.name] = {
            "seconds": round(seconds, 2),
            "read_seconds": metadata["read_seconds"].value,
            "rows": rows,
            "data_files": metadata["data_files"].value,
            "iceberg_data_bytes": metadata["files_size_bytes"].value,
            "iceberg_folder_bytes": _folder_bytes(home / "s3" / LOCAL_BUCKET / "medallion" / spec.name),
            "parquet_zstd_bytes": parquet_bytes,
        }
        total_seconds += seconds
        total_rows += rows
    return {
        "seconds": total_seconds,
        "rows": total_rows,
        "tables": tables,
        "warehouse_analytics_db_bytes": sum(
            f.stat().st_size for f in (home / "snowflake").glob("*") if f.name.lower().startswith("analytics_db")
        ),
    }


def stage_lakehouse(params: dict) -> dict:
    """The stage benchmarks/stages.py runs (services and MEDALLION_HOME from the environment)."""
    from medallion_assets.lib.settings import medallion_home

    return publish_all(medallion_home())


def _features(rows: int):
    """Gold feature rows shaped like the synthetic data's (63 cities; a few NULLs), built directly."""
    import datetime as dt

    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(7)
    price = rng.lognormal(21.5, 0.8, rows).round(-6)
    area = rng.uniform(20, 300, rows).round(1)
    cities = np.array([f"Thành phố {i}" for i in range(63)], dtype=object)
    categories = np.array(["Budget", "Standard", "Premium", "Luxury"], dtype=object)
    return pa.table(
        {
            "id": pa.array([f"{i:024x}" for i in range(rows)]),
            "property_type": pa.array(rng.choice(np.array(["Căn hộ", "Nhà", "Đất", "Biệt thự"], dtype=object), rows)),
            "price": price,
            "price_per_sqm": price / area,
            "area": area,
            "bedrooms": rng.integers(0, 7, rows),
            "bathrooms": rng.integers(0, 5, rows),
            "rooms_total": rng.integers(0, 12, rows),
            "city": pa.array(rng.choice(cities, rows)),
            "district": pa.array([f"Quận {i % 24}" for i in range(rows)]),
            "latitude": rng.uniform(8, 23, rows),
            "longitude": rng.uniform(102, 110, rows),
            "posted_date": pa.array(
                [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, rows)], pa.date32()
            ),
            "is_high_value": price > np.percentile(price, 75),
            "price_category": pa.array(rng.choice(categories, rows)),
            "area_category": pa.array(np.where(area < 50, "Small", np.where(area < 100, "Medium", "Large"))),
            "processed_at": pa.array([dt.datetime(2026, 11, 30, 12, 0, 0)] * rows, pa.timestamp("us")),
        }
    )


def load_features(rows: int, workdir: Path) -> float:
    """Fill GOLD_ML_FEATURES with `rows` generated rows (PUT Parquet + COPY INTO); returns the seconds."""
    from medallion_assets.defs.resources import resolved, snowflake_resource
    from medallion_assets.lib import warehouse

    started = time.perf_counter()
    with warehouse.connect(resolved(snowflake_resource())) as conn:
        warehouse.apply_setup(conn)
        name = warehouse.stage_parquet(conn, _features(rows), "ANALYTICS_DB.ML_RESULTS.ML_STAGE", workdir, "gold")
        # benchmark-only statement (the product never loads gold from files)
        conn.cursor().execute(
            "COPY INTO ANALYTICS_DB.DWH.GOLD_ML_FEATURES FROM @ANALYTICS_DB.ML_RESULTS.ML_STAGE/" + name + " "
            "FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE PURGE = TRUE"
        )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    from medallion_assets.dev import services
    from medallion_assets.lib.settings import SERVICE_VARIABLES

    for key in SERVICE_VARIABLES:
        os.environ.pop(key, None)
    results = {}
    for rows in args.rows:
        home = PROJECT_ROOT / ".medallion" / "bench" / f"lakehouse-{rows}"
        if home.exists():
            services.down(home)
            shutil.rmtree(home)
        home.mkdir(parents=True)
        os.environ["MEDALLION_HOME"] = str(home)
        ports = services.Ports(*(services.free_port() for _ in range(4)))
        services.up(ports, home)
        try:
            load_seconds = load_features(rows, home)
            first = publish_all(home)
            second = publish_all(home)  # a republication: replaces the files of the first snapshot
            results[rows] = {"load_seconds": round(load_seconds, 2), "first": first, "second": second}
            print(json.dumps({rows: results[rows]}, indent=2), flush=True)
        finally:
            services.down(home)
    out = PROJECT_ROOT / "benchmarks" / "results" / f"lakehouse-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
