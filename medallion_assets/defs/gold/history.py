"""Gold: the listing history, every version of every listing (type 2); lib/history.py has the how and why."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.lib import warehouse
from medallion_assets.lib.history import HISTORY_TABLE, refresh_history
from medallion_assets.lib.metadata import column_schema, md_table

HISTORY_COLUMNS = column_schema(
    [
        ("id", "VARCHAR", "listing id (Mongo _id)"),
        ("version", "INTEGER", "1, 2, ... per listing, in Kafka order"),
        (
            "valid_from",
            "TIMESTAMP_NTZ",
            "event time (UTC): updated_at, else the Kafka message time; never before the version before",
        ),
        ("valid_to", "TIMESTAMP_NTZ", "the next version's valid_from; NULL for the last version"),
        ("is_current", "BOOLEAN", "the last version, unless it is a delisting"),
        ("change_type", "VARCHAR", "listed, repriced, changed (other fields), delisted (a tombstone), relisted"),
        ("price", "FLOAT", "VND, as silver parses it; a delisting carries the last known price"),
        ("previous_price", "FLOAT", "the version before's price; NULL for the first version"),
        ("price_change_pct", "FLOAT", "100 × (price - previous_price) / previous_price, 4 decimals"),
        ("area", "FLOAT", "m²"),
        ("price_per_sqm", "FLOAT", "price / area; NULL without a positive area"),
        ("city", "VARCHAR", ""),
        ("district", "VARCHAR", ""),
        ("property_type", "VARCHAR", ""),
        ("event_time_source", "VARCHAR", "updated_at, kafka_timestamp or ingested_at: where valid_from comes from"),
        ("arrived_at", "TIMESTAMP_NTZ", "when the change reached the warehouse (bronze ingested_at)"),
        ("version_hash", "VARCHAR", "MD5 of the tracked (typed) fields; 'delisted' for a delisting"),
        ("kafka_topic", "VARCHAR", ""),
        ("kafka_partition", "INTEGER", ""),
        ("kafka_offset", "BIGINT", "the bronze message of the version"),
        ("loaded_at", "TIMESTAMP_NTZ", "when the version was added"),
    ]
)


class HistoryConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Forget the history's positions and rebuild it from all of bronze (after a parsing rule changed).",
    )


@dg.asset(
    name="gold_listing_history",
    group_name="gold",
    deps=["bronze_real_estate", "silver_real_estate"],
    kinds={"snowflake"},
    pool="history_writer",
    description=f"{HISTORY_TABLE}: one row per version of a listing (listed, repriced, changed, delisted, relisted) "
    "with its validity interval in event time, built incrementally from bronze up to where silver has merged.",
    metadata={"dagster/table_name": HISTORY_TABLE, "dagster/column_schema": HISTORY_COLUMNS},
)
def gold_listing_history(
    context: dg.AssetExecutionContext, config: HistoryConfig, snowflake: SnowflakeResource
) -> dg.MaterializeResult:
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        result = refresh_history(conn, full_refresh=config.full_refresh)
        latest = warehouse.fetch_all(conn, "gold/history_preview")
    elapsed = time.monotonic() - started
    context.log.info(
        f"history: {result['messages_in']} messages in, +{result['versions_added']} versions, "
        f"{result['versions_closed']} closed; {result['history_rows']} versions of {result['listings']} listings "
        f"({elapsed:.1f}s)"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result["history_rows"]),
            **{
                key: dg.MetadataValue.int(result[key])
                for key in ("messages_in", "versions_added", "versions_closed", "listings", "current_versions")
            },
            "versions_by_change_type": dg.MetadataValue.json(
                {kind: result[kind] for kind in ("listed", "repriced", "changed", "delisted", "relisted")}
            ),
            "latest_changes": dg.MetadataValue.md(md_table(latest)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        }
    )
