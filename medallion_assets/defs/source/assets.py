"""The two things every layer stands on: the MongoDB collection and the warehouse DDL."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.unchanged import recorded_version
from medallion_assets.lib import unchanged_state, warehouse
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
    "(idempotent CREATE ... IF NOT EXISTS). Applied only when the DDL changed (its fingerprint is the data "
    "version) or a declared table is missing (one read of INFORMATION_SCHEMA); otherwise no statement is sent.",
)
def warehouse_schema(context: dg.AssetExecutionContext, snowflake: SnowflakeResource) -> dg.MaterializeResult:
    # Materialized every run (what reads the schema must not be skipped), with the DDL's fingerprint as data version.
    ddl = unchanged_state.setup_fingerprint()
    previous = recorded_version(context, "warehouse_schema")
    with warehouse.connect(snowflake) as conn:
        missing = unchanged_state.missing_tables(conn)
        if previous == ddl and not missing:
            reason = "unchanged: the DDL is as last applied and every declared table exists"
            context.log.info(f"warehouse_schema: no DDL sent ({reason})")
            return dg.MaterializeResult(
                data_version=dg.DataVersion(ddl),
                metadata={"statements": dg.MetadataValue.int(0), "skipped_reason": dg.MetadataValue.text(reason)},
            )
        applied = warehouse.apply_setup(conn)
    why = f"{len(missing)} declared table(s) missing" if missing else "the DDL changed since it was last applied"
    context.log.info(f"warehouse_schema: applied {len(applied)} statements ({why})")
    return dg.MaterializeResult(
        data_version=dg.DataVersion(ddl),
        metadata={
            "statements": dg.MetadataValue.int(len(applied)),
            "files": dg.MetadataValue.json(applied),
            "applied_because": dg.MetadataValue.text(why),
            "missing_tables": dg.MetadataValue.json(missing),
        },
    )
