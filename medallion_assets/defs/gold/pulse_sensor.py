"""`market_pulse_sensor`: rebuilds exactly the pulse days whose history changed, and logs late changes.

Each tick:
1. logs the late versions (arrived after their day closed) loaded since an hour before the cursor into
   GOLD_PULSE_LATE_CHANGES, once each (the overlap catches a load stamped before one that committed first);
   they never make a day stale;
2. asks the warehouse which event days are stale: the newest loaded_at of a day's in-time versions is newer
   than the one its pulse was built from, or the day has no pulse yet (a new day);
3. requests one run per stale day inside the partitions definition, with a run key naming the day, that
   history watermark and the lateness (the same stale state never starts two runs; a failed run is asked for
   again under key#2 by `run_request_for`, so a day is never stuck);
4. moves its cursor to the newest loaded_at it saw.

Staleness is read from the tables, not remembered, so a tick lost to an outage or a restart loses nothing.
Declarative automation leaves the pulse alone (automation.SENSOR_DRIVEN_ASSETS).
"""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.automation import (
    RUN_TAGS,
    missing_after_setup,
    run_request_for,
    setup_has_run,
    skip_for_outage,
)
from medallion_assets.defs.gold.pulse import PULSE_ASSET, PULSE_PARTITIONS
from medallion_assets.lib import pulse, warehouse
from medallion_assets.lib.errors import MissingObject, ServiceUnavailable

SENSOR_NAME = "market_pulse_sensor"

market_pulse_job = dg.define_asset_job(
    "market_pulse_job",
    selection=dg.AssetSelection.assets(PULSE_ASSET),
    tags=RUN_TAGS,
    description="One event day of the market pulse, with its check.",
)


def plan(context: dg.SensorEvaluationContext, snowflake: SnowflakeResource) -> dict:
    """What a tick found: stale days, late versions logged now per day, the new cursor."""
    lateness = pulse.lateness_days()
    since = context.cursor or pulse.BEGINNING
    scan_from = pulse.late_scan_start(since)
    with warehouse.connect(snowflake) as conn:
        newest, new_versions, scanned = pulse.history_watermark(conn, since, scan_from)
        late = pulse.log_late(conn, lateness, scan_from) if scanned else {}
        stale = pulse.stale_days(conn, lateness)
    known = set(PULSE_PARTITIONS.get_partition_keys(current_time=None))
    return {
        "lateness": lateness,
        "cursor": newest or context.cursor,
        "new_versions": new_versions,
        "late": late,
        "stale": [d for d in stale if d["event_day"] in known],
        "outside": sorted(d["event_day"] for d in stale if d["event_day"] not in known),
    }


@dg.sensor(
    name=SENSOR_NAME,
    job=market_pulse_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one market-pulse run per event day whose in-time listing history is newer than its "
    "pulse (new days included); logs changes later than the lateness window (MEDALLION_PULSE_LATENESS_DAYS, "
    "default 7) to GOLD_PULSE_LATE_CHANGES instead of reopening closed days.",
)
def market_pulse_sensor(context: dg.SensorEvaluationContext, snowflake: SnowflakeResource):
    try:
        found = plan(context, snowflake)
    except MissingObject as exc:  # a new deployment: the setup step creates the history and pulse tables
        if setup_has_run(context):
            raise missing_after_setup(exc) from None
        return dg.SkipReason(f"the history or pulse table does not exist yet ({exc})")
    except ServiceUnavailable as exc:  # an outage skips the tick; anything else fails it, visibly
        return skip_for_outage(context, exc)
    late = sum(found["late"].values())
    if late:
        days = ", ".join(f"{day}: {n}" for day, n in sorted(found["late"].items()))
        context.log.warning(f"{late} late change(s) logged, not applied to closed days ({days})")
    if found["outside"]:
        context.log.warning(f"history has changes on days outside the pulse partitions: {found['outside']}")
    requests = [
        run_request_for(
            context,
            SENSOR_NAME,
            f"pulse:{day['event_day']}@{day['history_loaded_at']}/L{found['lateness']}",
            {"medallion/trigger": SENSOR_NAME, "medallion/pulse_versions": str(day["versions"])},
            partition_key=day["event_day"],
            update_cursor=False,
        )
        for day in found["stale"]
    ]
    if found["cursor"]:
        context.update_cursor(found["cursor"])
    if requests:
        return requests
    return dg.SkipReason(
        f"every pulse day is up to date ({found['new_versions']} history versions since the last tick, "
        f"{late} of them late)"
    )
