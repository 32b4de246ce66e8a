"""`market_pulse_sensor`: rebuilds exactly the pulse days whose history changed, and logs late changes.

It wakes on history materializations, not on the clock. Each tick:
1. reads from the Dagster instance (no warehouse request) the gold_listing_history materializations after its
   cursor and the event days they touched (their `event_days` metadata), and the outcome of the pulse runs it
   asked for; when nothing touched a day, none of its runs failed and the lateness setting is the one of its
   last round, the tick ends there: an idle tick sends nothing to the warehouse;
2. otherwise runs one pulse round (lib/pulse.plan, as `medallion pipeline` and the bench do): logs the late
   versions (arrived after their day closed) into GOLD_PULSE_LATE_CHANGES, once each, and asks the warehouse,
   the source of truth, which days are stale;
3. requests one run per range of stale days (at most MEDALLION_PULSE_DAYS_PER_RUN days each) with a run key
   naming the range, the history watermark and the lateness (the same stale state never starts two runs; a
   failed run is asked for again under key#2 by `run_request_for`, so a day is never stuck);
4. moves its cursor: the last history materialization seen, the newest loaded_at seen, the run keys pending.

Without a cursor (a new instance, a reset sensor) the tick does one warehouse round: a lost cursor costs at most
a round that finds nothing, never a stale day left behind. Declarative automation leaves the pulse alone
(automation.SENSOR_DRIVEN_ASSETS).
"""

import json

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
from medallion_assets.lib.history import EVENT_DAYS_KEY

SENSOR_NAME = "market_pulse_sensor"
HISTORY_ASSET = dg.AssetKey("gold_listing_history")
MAX_EVENTS_PER_TICK = 1000
_DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.CANCELED}
_FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

market_pulse_job = dg.define_asset_job(
    "market_pulse_job",
    selection=dg.AssetSelection.assets(PULSE_ASSET),
    tags=RUN_TAGS,
    description="A range of event days of the market pulse (one or more), each with its check.",
)


def read_cursor(raw: str | None) -> dict:
    """{after: storage id of the last history materialization seen, loaded_through, pending: [run keys]};
    an empty dict without a cursor (or with one this sensor cannot read: it then starts over)."""
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        state = {}
    return state if isinstance(state, dict) else {}


def history_events(instance: dg.DagsterInstance, after: int | None) -> tuple[int, set[str]]:
    """(the newest history materialization's storage id, 0 when there is none yet; the event days touched by
    those after `after`). `after` None: no cursor, so only where the instance stands now."""
    if after is None:
        latest = instance.fetch_materializations(HISTORY_ASSET, limit=1, ascending=False).records
        return (latest[0].storage_id if latest else 0), set()
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=HISTORY_ASSET, after_storage_id=after),
        limit=MAX_EVENTS_PER_TICK,
        ascending=True,
    ).records
    touched: set[str] = set()
    for record in records:
        value = record.asset_materialization.metadata.get(EVENT_DAYS_KEY) if record.asset_materialization else None
        touched.update(value.value if value is not None else ["(unknown)"])  # an older history run: look anyway
    return (records[-1].storage_id if records else after), touched


def run_states(instance: dg.DagsterInstance, run_keys: list[str]) -> tuple[list[str], list[str]]:
    """(the pending run keys still open, those whose run failed)."""
    still, failed = [], []
    for key in run_keys:
        filters = dg.RunsFilter(tags={"dagster/sensor_name": SENSOR_NAME, "dagster/run_key": key})
        runs = instance.get_runs(filters=filters, limit=1)
        if runs and runs[0].status in _FAILED:
            failed.append(key)
        elif not runs or runs[0].status not in _DONE:
            still.append(key)
    return still, failed


def run_request(context: dg.SensorEvaluationContext, run: pulse.PulseRun, lateness: int) -> dg.RunRequest:
    tags = {"medallion/trigger": SENSOR_NAME, "medallion/pulse_versions": str(run.versions)}
    if run.single:
        key = f"pulse:{run.first}@{run.history_loaded_at}/L{lateness}"
        return run_request_for(context, SENSOR_NAME, key, tags, partition_key=run.first, update_cursor=False)
    key = f"pulse:{run.first}..{run.last}@{run.history_loaded_at}/L{lateness}"
    tags |= {"dagster/asset_partition_range_start": run.first, "dagster/asset_partition_range_end": run.last}
    return run_request_for(context, SENSOR_NAME, key, tags, update_cursor=False)


@dg.sensor(
    name=SENSOR_NAME,
    job=market_pulse_job,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Wakes on gold_listing_history materializations (the event days in their metadata) and requests "
    "pulse runs over ranges of event days whose in-time listing history is newer than their pulse; logs changes "
    "later than the lateness window (MEDALLION_PULSE_LATENESS_DAYS, default 7) to GOLD_PULSE_LATE_CHANGES "
    "instead of reopening closed days. An idle tick sends nothing to the warehouse.",
)
def market_pulse_sensor(context: dg.SensorEvaluationContext, snowflake: SnowflakeResource):
    state = read_cursor(context.cursor)
    after, touched = history_events(context.instance, state.get("after"))
    pending, failed = run_states(context.instance, list(state.get("pending", [])))
    lateness_changed = state.get("lateness") != pulse.lateness_days()  # a new window can make closed days stale
    if "after" in state and not touched and not failed and not lateness_changed:
        context.update_cursor(json.dumps({**state, "after": after, "pending": pending}))
        return dg.SkipReason("no history materialization touched an event day since the last tick")
    try:
        with warehouse.connect(snowflake) as conn:
            found = pulse.plan(
                conn,
                PULSE_PARTITIONS.get_partition_keys(current_time=None),
                state.get("loaded_through") or pulse.BEGINNING,
            )
    except MissingObject as exc:  # a new deployment: the setup step creates the history and pulse tables
        if setup_has_run(context):
            raise missing_after_setup(exc) from None
        return dg.SkipReason(f"the history or pulse table does not exist yet ({exc})")
    except ServiceUnavailable as exc:  # an outage skips the tick (the cursor stays); anything else fails it
        return skip_for_outage(context, exc)
    late = sum(found.late.values())
    if late:
        days = ", ".join(f"{day}: {n}" for day, n in sorted(found.late.items()))
        context.log.warning(f"{late} late change(s) logged, not applied to closed days ({days})")
    if found.outside:
        context.log.warning(f"history has changes on days outside the pulse partitions: {found.outside}")
    requests = [run_request(context, run, found.lateness) for run in found.runs]
    context.update_cursor(
        json.dumps(
            {
                "after": after,
                "loaded_through": found.loaded_through or state.get("loaded_through"),
                "lateness": found.lateness,
                "pending": sorted({*pending, *(r.run_key for r in requests)}),
            }
        )
    )
    if requests:
        return requests
    return dg.SkipReason(
        f"every pulse day is up to date ({len(touched)} event day(s) touched since the last tick, "
        f"{late} late change(s) logged)"
    )
