"""The two things every layer stands on: the MongoDB collection and the warehouse DDL."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import warehouse
from medallion_assets.lib.mongo import MongoResource

SOURCE_ASSET_KEY = dg.AssetKey("mongodb_listings")


@dg.observable_source_asset(
    key=SOURCE_ASSET_KEY,
    group_name="source",
    kinds={"mongodb"},
    description="The listings collection in MongoDB (MONGO_DATABASE.MONGO_COLLECTION); observed by document count.",
)
def mongodb_listings(mongo: MongoResource) -> dg.ObserveResult:
    with mongo.get_collection() as collection:
        count = collection.count_documents({})
    return dg.ObserveResult(
        data_version=dg.DataVersion(str(count)),
        metadata={"document_count": dg.MetadataValue.int(count), "source": dg.MetadataValue.text(mongo.source_name)},
    )


@dg.asset(
    name="warehouse_schema",
    group_name="source",
    kinds={"snowflake"},
    description="Databases RAW_DB, STAGING_DB, ANALYTICS_DB, their schemas, tables and stages, from sql/setup/ "
    "(idempotent CREATE ... IF NOT EXISTS).",
)
def warehouse_schema(snowflake: SnowflakeResource) -> dg.MaterializeResult:
    with warehouse.connect(snowflake) as conn:
        applied = warehouse.apply_setup(conn)
    return dg.MaterializeResult(
        metadata={"statements": dg.MetadataValue.int(len(applied)), "files": dg.MetadataValue.json(applied)}
    )
