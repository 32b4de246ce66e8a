"""Bronze: Kafka topic -> RAW_DB.LANDING.BRONZE_REAL_ESTATE, exactly once per message (lib/bronze_loader.py)."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import unchanged_state, warehouse
from medallion_assets.lib.bronze_loader import BronzeConfig, load_topic
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.metadata import md_table
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.tables import column_schema


@dg.asset(
    name="bronze_real_estate",
    group_name="bronze",
    deps=["data_ingestion", "warehouse_schema"],
    kinds={"kafka", "snowflake"},
    pool="bronze_loader",
    description="RAW_DB.LANDING.BRONZE_REAL_ESTATE: one row per Kafka message (raw JSON in a VARIANT), loaded "
    "exactly once from warehouse-kept positions; unparseable messages go to BRONZE_REJECTS.",
    metadata={
        "dagster/table_name": "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
        "dagster/column_schema": column_schema("RAW_DB.LANDING.BRONZE_REAL_ESTATE"),
    },
)
def bronze_real_estate(
    context: dg.AssetExecutionContext,
    config: BronzeConfig,
    kafka: KafkaResource,
    mongo: MongoResource,
    snowflake: SnowflakeResource,
) -> dg.MaterializeResult:
    started = time.monotonic()
    with warehouse.connect(snowflake, schema="RAW_DB.LANDING") as conn:
        report = load_topic(conn, kafka, mongo.source_name, config, log=context.log)
        totals = warehouse.fetch_one(conn, "bronze/counts", {"kafka_topic": kafka.topic})
        latest = warehouse.fetch_all(conn, "bronze/preview", {"kafka_topic": kafka.topic})
    elapsed = time.monotonic() - started
    loaded = report.rows + report.rejects
    return dg.MaterializeResult(
        # the committed positions: the same version while nothing lands, a new one whenever rows do (also rows
        # a killed run committed), so silver's skip never rests on this run's own counts (defs/unchanged.py)
        data_version=dg.DataVersion(unchanged_state.bronze_version(report.positions, kafka.topic)),
        metadata={
            "dagster/row_count": dg.MetadataValue.int(int(totals["bronze_rows"])),
            "rows_loaded": dg.MetadataValue.int(report.rows),
            "rejects": dg.MetadataValue.int(report.rejects),
            "rejects_total": dg.MetadataValue.int(int(totals["rejected_rows"])),
            "batches": dg.MetadataValue.int(report.batches),
            "partition_offsets": dg.MetadataValue.json({str(p): o for p, o in sorted(report.positions.items())}),
            "lag": dg.MetadataValue.json({str(p): lag for p, lag in sorted(report.lag.items())}),
            "rows_per_second": dg.MetadataValue.float(round(loaded / elapsed, 1) if elapsed else 0.0),
            "latest_messages": dg.MetadataValue.md(md_table(latest)),
        },
    )
