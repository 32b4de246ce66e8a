"""The daily market pulse: the project's partitioned asset (one partition per event day, UTC) and its check.

lib/pulse.py has the how (and the late-change rule); defs/gold/pulse_sensor.py decides which days to rebuild.
A run covers one day or a range of days (the sensor's catch-up, a backfill: at most MEDALLION_PULSE_DAYS_PER_RUN
per run); each day is replaced in its own transaction and gets its own check evaluation.
"""

import time
import warnings

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import pulse, settings, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.metadata import md_table
from medallion_assets.lib.tables import column_schema

PULSE_ASSET = "gold_market_pulse"
# end_offset=1: today is a partition too (its pulse grows during the day).
PULSE_PARTITIONS = dg.DailyPartitionsDefinition(start_date=settings.pulse_start_date(), end_offset=1, timezone="UTC")
CHECK_NAME = "pulse_counts_match_history"

PULSE_COLUMNS = column_schema(pulse.PULSE_TABLE)


# backfill_policy is a Dagster beta parameter; its warning says only that.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=dg.BetaWarning)

    @dg.asset(
        name=PULSE_ASSET,
        group_name="gold",
        deps=["gold_listing_history"],
        partitions_def=PULSE_PARTITIONS,
        # a backfill (and the sensor's catch-up) runs ranges of days, not one run per day
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.pulse_days_per_run()),
        kinds={"snowflake"},
        pool="gold_pulse",
        description=f"{pulse.PULSE_TABLE}: per (event day, city) new listings, repriced, price drops, changed, "
        "delisted, relisted, and the median asking price and price per m² of the day's new listings, from the "
        "listing history's in-time changes. One partition per event day (UTC), replaced as a unit; "
        "market_pulse_sensor rebuilds the stale days.",
        metadata={"dagster/table_name": pulse.PULSE_TABLE, "dagster/column_schema": PULSE_COLUMNS},
    )
    def gold_market_pulse(context: dg.AssetExecutionContext, snowflake: SnowflakeResource) -> dg.MaterializeResult:
        if not context.has_partition_key and not context.has_partition_key_range:
            raise MedallionError(
                f"{PULSE_ASSET} is partitioned by event day: materialize chosen days (a partition or a backfill), "
                "or let market_pulse_sensor do it"
            )
        days = context.partition_keys
        lateness = pulse.lateness_days()
        started = time.monotonic()
        built = {}
        with warehouse.connect(snowflake) as conn:
            for day in days:
                built[day] = pulse.build_day(conn, day, lateness)
            preview = pulse.preview_day(conn, days[-1])
        elapsed = time.monotonic() - started
        totals = {name: sum(b[name] for b in built.values()) for name in (*pulse.COUNTS, "cities")}
        context.log.info(
            f"pulse {days[0]}..{days[-1]}: {totals['total_changes']} changes in {totals['cities']} (day, city) rows, "
            f"lateness {lateness} days ({elapsed:.1f}s)"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(totals["cities"]),
                **{name: dg.MetadataValue.int(totals[name]) for name in pulse.COUNTS},
                "lateness_days": dg.MetadataValue.int(lateness),
                "busiest_cities": dg.MetadataValue.md(md_table(preview)),
                "seconds": dg.MetadataValue.float(round(elapsed, 2)),
            }
        )


# A check per partition (partitions_def on a check is a Dagster preview feature; its warning says only that).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=dg.PreviewWarning)

    @dg.asset_check(
        asset=gold_market_pulse,
        partitions_def=PULSE_PARTITIONS,
        additional_deps=["gold_listing_history"],
        description="Per event day: the pulse's counts per city equal the listing history's in-time changes of "
        "that day (listed, repriced, price drops, changed, delisted, relisted, total), with the lateness the "
        "day was built with.",
    )
    def pulse_counts_match_history(context: dg.AssetCheckExecutionContext, snowflake: SnowflakeResource):
        # One evaluation per event day, also in a run over a range of days (an AssetCheckResult would be
        # recorded once for the whole range, without a partition).
        days = PULSE_PARTITIONS.get_partition_keys_in_range(context.partition_key_range)
        default = pulse.lateness_days()
        with warehouse.connect(snowflake) as conn:
            results = {day: pulse.check_day(conn, day, default) for day in days}
        for day, result in results.items():
            yield dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(PULSE_ASSET),
                check_name=CHECK_NAME,
                passed=not (result["cities_differing"] or result["mixed_lateness"]),
                severity=dg.AssetCheckSeverity.ERROR,
                blocking=False,
                partition=day,
                metadata={
                    **{k: dg.MetadataValue.int(result[k]) for k in ("cities", "pulse_changes", "history_changes")},
                    "cities_differing": dg.MetadataValue.int(result["cities_differing"]),
                    "mixed_lateness": dg.MetadataValue.bool(result["mixed_lateness"]),
                    "lateness_days": dg.MetadataValue.int(result["lateness_days"]),
                },
            )
        yield dg.Output(None)
