"""Read the lakehouse with plain pyiceberg (no medallion_assets): row count of each published table.

medallion lakehouse connect --format json > lakehouse.json
python lakehouse_pyiceberg.py lakehouse.json
"""

import json
import sys

from pyiceberg.catalog.sql import SqlCatalog

with open(sys.argv[1]) as file:
    settings = json.load(file)

catalog = SqlCatalog(
    "medallion",
    uri=settings["catalog_uri"],  # sqlite:////.../lakehouse/catalog.db
    warehouse=settings["warehouse"],  # s3://medallion-lakehouse/
    **{
        "s3.endpoint": settings["s3_endpoint"],  # http://127.0.0.1:<s3 port>
        "s3.access-key-id": settings["s3_access_key_id"],
        "s3.secret-access-key": settings["s3_secret_access_key"],
        "s3.region": settings["s3_region"],
    },
)
for name, metadata_location in settings["tables"].items():
    if metadata_location is None:
        continue  # not published yet
    table = catalog.load_table((settings["namespace"], name))
    print(name, table.scan().to_arrow().num_rows)
