"""Silver: bronze messages -> one typed, scored row per listing (lib/silver.py has the how and why)."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.unchanged import caught_up_skip, skipped_unchanged
from medallion_assets.lib import unchanged_state, warehouse
from medallion_assets.lib.metadata import describe, md_table
from medallion_assets.lib.silver import QUALITY_LOG_TABLE, SILVER_TABLE, quality_summary, refresh_silver
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
            skippable=True,  # nothing new in bronze: no write, no materialization (defs/unchanged.py)
        ),
        dg.AssetSpec(
            "data_quality_log",
            deps=["bronze_real_estate"],
            kinds={"snowflake"},
            description=f"{QUALITY_LOG_TABLE}: one row per silver run: rows in, inserted, updated, deleted, "
            "listings per quality score and per failed rule.",
            metadata={"dagster/table_name": QUALITY_LOG_TABLE, "dagster/column_schema": QUALITY_LOG_COLUMNS},
            skippable=True,  # a row per silver run that had work
        ),
    ],
)
def silver_real_estate(context: dg.AssetExecutionContext, config: SilverConfig, snowflake: SnowflakeResource):
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        # one read: bronze's newest offsets against silver's marks (the warehouse decides, not the instance)
        before = unchanged_state.silver_positions(conn)
        if before.caught_up and not config.full_refresh:
            skip, reason = caught_up_skip(
                context,
                "silver_real_estate",
                before.version,
                "unchanged: no bronze message above silver's high-water marks",
            )
            if skip:
                context.log.info(f"silver: skipped, {reason}")
                yield skipped_unchanged("silver_real_estate", reason)
                yield skipped_unchanged("data_quality_log", reason)
                return
            # caught up, but the instance does not know this version (new instance, a run that died after its
            # commit): a materialization from reads only, so that what reads silver follows
            context.log.info(f"silver: no write, {reason}")
            summary = quality_summary(conn)
            preview = warehouse.fetch_all(conn, "silver/preview")
            yield dg.MaterializeResult(
                asset_key="silver_real_estate",
                data_version=dg.DataVersion(before.version),
                metadata={
                    "dagster/row_count": dg.MetadataValue.int(summary["silver_rows"]),
                    "rows_in": dg.MetadataValue.int(0),
                    "score_distribution": dg.MetadataValue.json(summary["score_distribution"]),
                    "failed_rules": dg.MetadataValue.json(summary["failed_rules"]),
                    "preview": dg.MetadataValue.md(md_table(preview)),
                    "unchanged": dg.MetadataValue.text(reason),
                },
            )
            return
        result = refresh_silver(conn, context.run.run_id, full_refresh=config.full_refresh)
        version = unchanged_state.silver_positions(conn).version
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
        data_version=dg.DataVersion(version),  # its marks and when they moved (lib/unchanged_state.py)
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
