"""Read the lakehouse with DuckDB (no medallion_assets): row count of each published table.

The httpfs, avro and iceberg extensions come from their PyPI packages (outside-client-requirements.txt) and are
loaded from there, with DuckDB's automatic download switched off: it works offline.

    medallion lakehouse connect --format json > lakehouse.json
    python lakehouse_duckdb.py lakehouse.json
"""

import json
import sys
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import duckdb_extension_avro
import duckdb_extension_httpfs
import duckdb_extension_iceberg

with open(sys.argv[1]) as file:
    settings = json.load(file)

con = duckdb.connect()
con.execute("SET autoinstall_known_extensions = false")
con.execute("SET autoload_known_extensions = false")
for package in (duckdb_extension_httpfs, duckdb_extension_avro, duckdb_extension_iceberg):
    (extension,) = Path(package.__file__).parent.glob("extensions/*/*.duckdb_extension")
    con.execute(f"LOAD '{extension}'")

endpoint = urlparse(settings["s3_endpoint"])  # http://127.0.0.1:<s3 port>
con.execute(
    f"""CREATE SECRET lakehouse (
        TYPE s3,
        KEY_ID '{settings["s3_access_key_id"]}',
        SECRET '{settings["s3_secret_access_key"]}',
        REGION '{settings["s3_region"]}',
        ENDPOINT '{endpoint.netloc}',
        USE_SSL {str(endpoint.scheme == "https").lower()},
        URL_STYLE 'path'
    )"""
)
for name, metadata_location in settings["tables"].items():
    if metadata_location is None:
        continue  # not published yet
    (rows,) = con.execute(f"SELECT count(*) FROM iceberg_scan('{metadata_location}')").fetchone()
    print(name, rows)
