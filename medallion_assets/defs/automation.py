"""What keeps the tables fresh without a click, applied to every asset in one place (definitions.py).

- `mongo_changes_sensor`: source changes not shipped yet -> one run from MongoDB through bronze, silver and gold
  (`change_to_gold_job`); at most one per MEDALLION_BATCH_WINDOW_S (the cost knob, lib/settings.py).
- `kafka_backlog_sensor`: messages in the topic that bronze has not loaded -> a bronze run.
- declarative automation: everything below bronze materializes when its upstream changed and no run that
  targets it is in progress (so after a change_to_gold_job run, silver and gold are not requested again; the
  ML, semantic and lakehouse layers follow it)
  (and its upstream's blocking checks passed), evaluated by `medallion_automation`, so the lakehouse
  publishes a gold table after it changed and gold's (blocking) checks passed; but not the daily
  partitions of `gold_market_pulse`, which `market_pulse_sensor` (defs/gold/pulse_sensor.py) rebuilds.
- `nightly_reconciliation`: every check over the whole graph, once a night.
- `observe_source_schedule`: the MongoDB collection's document count, every hour.
- freshness policies per layer, so the UI flags a table that fell behind.

The two sensors (defs/ingestion/sensors.py, defs/bronze/sensors.py) decide from the sources and the Dagster
instance alone, never the warehouse, so an idle pipeline leaves it suspended: MongoDB against the CDC cursor the
latest ingestion recorded, Kafka against the offsets bronze's consumer group committed (their modules say how).
Those are mirrors: runs still resume from the warehouse's cursor and positions, so a stale or missing mirror costs
one run that finds nothing, never a lost or doubled row. They use a run key naming the oldest unhandled change or
position, so the same changes never start two runs, and their cursor records what they last requested. A tick
that cannot reach MongoDB or Kafka skips with the server's message (`skip_for_outage`); a tick that fails for any
other reason raises, so it shows as a failed tick in the UI instead of hiding behind "no changes".
"""

from datetime import timedelta

import dagster as dg

from medallion_assets.lib.errors import AccessRefused, MissingObject, ServiceUnavailable

# Every run this code location starts (its jobs, their sensors and schedules, declarative automation) carries a
# maximum run time that run monitoring enforces in any instance: the Helm chart cannot render run_monitoring's
# max_runtime_seconds, and a hung run would otherwise hold its pool slots (bronze_loader) for good. deploy/dagster.yaml
# sets the same value for runs started by hand (tests/unit/test_instance_config.py keeps them equal).
MAX_RUNTIME_SECONDS = 6 * 3600
RUN_TAGS = {dg.MAX_RUNTIME_SECONDS_TAG: str(MAX_RUNTIME_SECONDS)}

observe_source_job = dg.define_asset_job(
    "observe_source_job",
    tags=RUN_TAGS,
    selection=dg.AssetSelection.assets("mongodb_listings"),
    description="Observe the MongoDB collection (document count as its data version).",
)

# Assets that a sensor of their own keeps fresh, never declarative automation: the daily-partitioned market pulse
# (an automation condition over an unpartitioned upstream would call every day stale on each history update;
# market_pulse_sensor in defs/gold/pulse_sensor.py rebuilds only the days whose history changed).
SENSOR_DRIVEN_ASSETS = ("gold_market_pulse",)

reconciliation_job = dg.define_asset_job(
    "reconciliation_job",
    tags=RUN_TAGS,
    # the pulse's check is per event day: it runs with each day's materialization, not in an unpartitioned run
    selection=dg.AssetSelection.all_asset_checks() - dg.AssetSelection.checks_for_assets(*SENSOR_DRIVEN_ASSETS),
    description="Every asset check over the whole graph (but the per-day pulse check), without materializing anything.",
)


observe_source_schedule = dg.ScheduleDefinition(
    name="observe_source_schedule",
    job=observe_source_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Observes the MongoDB collection every hour, so the UI shows when the source last changed.",
)


_FAILED = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def run_request_for(
    context: dg.SensorEvaluationContext,
    sensor_name: str,
    key: str,
    tags: dict[str, str],
    partition_key: str | None = None,
    update_cursor: bool = True,
) -> dg.RunRequest:
    """A run request for the oldest unhandled change `key`. Dagster never starts two runs with one run key,
    so after a run for `key` failed (an outage mid-run, a killed run) the next tick asks again under
    `key#2`, `key#3`, ...: a failed run is retried by the next tick instead of blocking the sensor forever.
    The run key becomes the cursor unless `update_cursor` is False (a sensor that keeps a cursor of its own)."""
    attempt, run_key = 1, key
    while True:
        filters = dg.RunsFilter(tags={"dagster/sensor_name": sensor_name, "dagster/run_key": run_key})
        runs = context.instance.get_runs(filters=filters, limit=1)
        if not runs or runs[0].status not in _FAILED:
            break
        attempt += 1
        run_key = f"{key}#{attempt}"
    if update_cursor:
        context.update_cursor(run_key)
    return dg.RunRequest(run_key=run_key, tags=tags, partition_key=partition_key)


def skip_for_outage(context: dg.SensorEvaluationContext, exc: ServiceUnavailable) -> dg.SkipReason:
    """A tick that could not reach a server skips, saying which server and why.

    Only outages skip: the sensors catch `ServiceUnavailable` alone, so any other exception (a bug,
    a missing table, bad data) fails the tick and Dagster shows it as a failed tick in the UI.
    """
    context.log.warning(f"{exc.service or 'a server'} unavailable: {exc}")
    return dg.SkipReason(f"could not look for changes: {exc}")


def setup_has_run(context: dg.SensorEvaluationContext) -> bool:
    """Whether warehouse_schema (which creates every database, schema and table) has been materialized here."""
    return context.instance.get_latest_materialization_event(dg.AssetKey("warehouse_schema")) is not None


def missing_after_setup(exc: MissingObject) -> AccessRefused:
    """Snowflake answers "does not exist or not authorized" (002003) alike for a missing table and a missing grant.
    Before the setup ever ran it means "not created yet"; after, it is a grant (or a dropped object): a failure
    someone must see, never a skipped tick."""
    return AccessRefused(
        f"{exc} although warehouse_schema has run: grant the pipeline's role access to it (see the grants in "
        "docs; `medallion doctor` checks them), or re-materialize warehouse_schema if it was dropped",
        service="Snowflake",
    )


automation_sensor = dg.AutomationConditionSensorDefinition(
    "medallion_automation",
    target=dg.AssetSelection.all(),
    run_tags=RUN_TAGS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Evaluates the automation conditions: silver -> gold -> ML -> semantic follow bronze by themselves.",
)


nightly_reconciliation = dg.ScheduleDefinition(
    name="nightly_reconciliation",
    job=reconciliation_job,
    cron_schedule="0 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs every asset check over the whole graph at 02:00.",
)


# On every blocking check: run the check when its asset was materialized and the check has not run since (the run
# died between the asset and its checks, or someone materialized the asset without them). Without it the layers below
# would wait forever on a gate nobody evaluates: their own condition needs the blocking checks passed. A check that
# ran in the same run as its asset counts as handled, so this requests nothing in the normal case. Only the check's
# own asset counts: a check that also reads another asset (gold_from_trusted_silver reads silver) must not run when
# only that one changed, against its own asset not rebuilt yet (it failed there, and its failure held what follows).
CHECK_AFTER_ITS_ASSET_LABEL = "check_after_its_asset"


def check_after_its_asset(asset: str) -> dg.AutomationCondition:
    return dg.AutomationCondition.eager().allow(dg.AssetSelection.assets(asset)).with_label(CHECK_AFTER_ITS_ASSET_LABEL)


# Follows its upstream: runs once all upstream assets are updated, none in progress, and their
# blocking checks passed (a failed quality gate on silver keeps gold as it was).
FOLLOW_UPSTREAM = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()

# The same for an unpartitioned asset reading a daily-partitioned one (the pulse's lakehouse publication): eager()
# waits until no upstream partition is missing, which never holds for a day range with days never materialized,
# so this one runs after any upstream day was updated, none in progress, and the blocking checks passed.
FOLLOW_PARTITIONED_UPSTREAM = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("follow_partitioned_upstream")


# Layers that follow their upstream by themselves; the price model (and the registry and importance it writes)
# is trained weekly by weekly_retrain_schedule or on demand, never because gold changed.
FOLLOWS_UPSTREAM_GROUPS = ("silver", "gold", "semantic", "ml", "lakehouse")
ON_DEMAND_ASSETS = ("price_model", "model_registry", "feature_importance")

# How stale each layer may get before the UI warns / fails it. The sensors keep ingestion and bronze
# within seconds of the source while it changes; a day without a run means something is off. The
# price model retrains weekly.
_DAILY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=24), warn_window=timedelta(hours=6))

FRESHNESS_BY_GROUP = {
    "ingestion": _DAILY,
    "bronze": _DAILY,
    "silver": _DAILY,
    "gold": _DAILY,
    "semantic": _DAILY,
    "ml": _DAILY,
    "lakehouse": _DAILY,
}

FRESHNESS_BY_ASSET = {
    "price_model": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
    "model_registry": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
    "feature_importance": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
}


def freshness_for(spec: dg.AssetSpec):
    return FRESHNESS_BY_ASSET.get(spec.key.to_user_string(), FRESHNESS_BY_GROUP.get(spec.group_name or ""))


def automation_for(spec: dg.AssetSpec):
    key = spec.key.to_user_string()
    follows = (
        spec.group_name in FOLLOWS_UPSTREAM_GROUPS and key not in ON_DEMAND_ASSETS and key not in SENSOR_DRIVEN_ASSETS
    )
    if not follows:
        return spec.automation_condition
    reads_sensor_driven = any(dep.asset_key.to_user_string() in SENSOR_DRIVEN_ASSETS for dep in spec.deps)
    return FOLLOW_PARTITIONED_UPSTREAM if reads_sensor_driven else FOLLOW_UPSTREAM


def apply_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Each asset's freshness policy and automation condition, from the tables above."""
    return spec.replace_attributes(freshness_policy=freshness_for(spec), automation_condition=automation_for(spec))
