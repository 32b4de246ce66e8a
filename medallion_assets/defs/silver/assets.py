"""Silver: bronze messages -> one typed, scored row per listing (lib/silver.py has the how and why)."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.lib import warehouse
from medallion_assets.lib.metadata import describe, md_table
from medallion_assets.lib.silver import QUALITY_LOG_TABLE, SILVER_TABLE, refresh_silver
from medallion_assets.lib.tables import column_schema

SILVER_COLUMNS = column_schema(SILVER_TABLE)

QUALITY_LOG_COLUMNS = column_schema(QUALITY_LOG_TABLE)


class SilverConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Forget silver's high-water marks and rebuild it from all of bronze (after a parsing rule "
        "changed). Default False: only bronze messages not yet processed are read.",
    )


@dg.multi_asset(
    name="silver_real_estate",
    group_name="silver",
    can_subset=False,
    pool="silver_writer",  # one writer at a time: the run's work table and marks are shared
    specs=[
        dg.AssetSpec(
            "silver_real_estate",
            deps=["bronze_real_estate"],
            kinds={"snowflake"},
            description=f"{SILVER_TABLE}: one row per listing id (latest version wins, deletes removed), both "
            "source shapes parsed to typed columns, data_quality_score 0.0-1.0 and the failed rules.",
            metadata={"dagster/table_name": SILVER_TABLE, "dagster/column_schema": SILVER_COLUMNS},
        ),
        dg.AssetSpec(
            "data_quality_log",
            deps=["bronze_real_estate"],
            kinds={"snowflake"},
            description=f"{QUALITY_LOG_TABLE}: one row per silver run: rows in, inserted, updated, deleted, "
            "listings per quality score and per failed rule.",
            metadata={"dagster/table_name": QUALITY_LOG_TABLE, "dagster/column_schema": QUALITY_LOG_COLUMNS},
        ),
    ],
)
def silver_real_estate(context: dg.AssetExecutionContext, config: SilverConfig, snowflake: SnowflakeResource):
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        result = refresh_silver(conn, context.run.run_id, full_refresh=config.full_refresh)
        preview = warehouse.fetch_all(conn, "silver/preview")
        marks = warehouse.fetch_all(conn, "silver/watermarks")
        quality_log = describe(conn, QUALITY_LOG_TABLE)
        log_rows = int(warehouse.fetch_all(conn, "common/row_count", names={"table": QUALITY_LOG_TABLE})[0]["n"])
    elapsed = time.monotonic() - started
    context.log.info(
        f"silver: {result['rows_in']} bronze rows in, {result['rows_inserted']} inserted, "
        f"{result['rows_updated']} updated, {result['rows_deleted']} deleted ({elapsed:.1f}s)"
    )
    yield dg.MaterializeResult(
        asset_key="silver_real_estate",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result["silver_rows"]),
            "rows_in": dg.MetadataValue.int(result["rows_in"]),
            "ids_in": dg.MetadataValue.int(result["ids_in"]),
            "tombstones_in": dg.MetadataValue.int(result["tombstones_in"]),
            "rows_inserted": dg.MetadataValue.int(result["rows_inserted"]),
            "rows_updated": dg.MetadataValue.int(result["rows_updated"]),
            "rows_deleted": dg.MetadataValue.int(result["rows_deleted"]),
            "score_distribution": dg.MetadataValue.json(result["score_distribution"]),
            "failed_rules": dg.MetadataValue.json(result["failed_rules"]),
            "high_water_marks": dg.MetadataValue.json(
                {f"{m['kafka_topic']}/{m['kafka_partition']}": int(m["processed_offset"]) for m in marks}
            ),
            "preview": dg.MetadataValue.md(md_table(preview)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="data_quality_log",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(log_rows),
            "run_id": dg.MetadataValue.text(context.run.run_id),
            "rows_in": dg.MetadataValue.int(result["rows_in"]),
            "rows_upserted": dg.MetadataValue.int(result["rows_upserted"]),
            "rows_deleted": dg.MetadataValue.int(result["rows_deleted"]),
            "score_distribution": dg.MetadataValue.json(result["score_distribution"]),
            **quality_log,
        },
    )
