"""Gold: the listing history, every version of every listing (type 2); lib/history.py has the how and why."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.unchanged import caught_up_skip, skipped_unchanged
from medallion_assets.lib import unchanged_state, warehouse
from medallion_assets.lib.history import EVENT_DAYS_KEY, HISTORY_TABLE, refresh_history, summary
from medallion_assets.lib.metadata import md_table
from medallion_assets.lib.tables import column_schema

HISTORY_COLUMNS = column_schema(HISTORY_TABLE)


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
    output_required=False,  # silver merged nothing new: no write, no materialization (defs/unchanged.py)
)
def gold_listing_history(context: dg.AssetExecutionContext, config: HistoryConfig, snowflake: SnowflakeResource):
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        # one read: silver's marks against the history's positions (the warehouse decides, not the instance)
        before = unchanged_state.history_positions(conn)
        if before.caught_up and not config.full_refresh:
            skip, reason = caught_up_skip(
                context,
                "gold_listing_history",
                before.version,
                "unchanged: silver merged no bronze message beyond the history's positions",
            )
            if skip:
                context.log.info(f"history: skipped, {reason}")
                yield skipped_unchanged("gold_listing_history", reason)
                return
            context.log.info(f"history: no write, {reason}")
            totals = summary(conn)
            yield dg.MaterializeResult(
                data_version=dg.DataVersion(before.version),
                metadata={
                    "dagster/row_count": dg.MetadataValue.int(totals["history_rows"]),
                    "versions_added": dg.MetadataValue.int(0),
                    EVENT_DAYS_KEY: dg.MetadataValue.json([]),
                    "unchanged": dg.MetadataValue.text(reason),
                },
            )
            return
        result = refresh_history(conn, full_refresh=config.full_refresh)
        version = unchanged_state.history_positions(conn).version
        latest = warehouse.fetch_all(conn, "gold/history_preview")
    elapsed = time.monotonic() - started
    context.log.info(
        f"history: {result['messages_in']} messages in, +{result['versions_added']} versions, "
        f"{result['versions_closed']} closed; {result['history_rows']} versions of {result['listings']} listings "
        f"({elapsed:.1f}s)"
    )
    yield dg.MaterializeResult(
        data_version=dg.DataVersion(version),  # its positions and when they moved (lib/unchanged_state.py)
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result["history_rows"]),
            **{
                key: dg.MetadataValue.int(result[key])
                for key in ("messages_in", "versions_added", "versions_closed", "listings", "current_versions")
            },
            "versions_by_change_type": dg.MetadataValue.json(
                {kind: result[kind] for kind in ("listed", "repriced", "changed", "delisted", "relisted")}
            ),
            # the pulse days this load may have made stale: market_pulse_sensor reads them from the instance
            EVENT_DAYS_KEY: dg.MetadataValue.json(result["event_days"]),
            "latest_changes": dg.MetadataValue.md(md_table(latest)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )
