"""What keeps the tables fresh without a click.

- `mongo_changes_sensor`: source changes not shipped yet -> an ingestion + bronze run.
- `kafka_backlog_sensor`: messages in the topic that bronze has not loaded -> a bronze run.
- declarative automation: everything below bronze materializes when its upstream changed
  (and its upstream's blocking checks passed), evaluated by `medallion_automation`.
- `nightly_reconciliation`: every check over the whole graph, once a night.

Both sensors use a run key naming the oldest unhandled change or position, so the same
changes never start two runs, and their cursor records what they last requested.
"""

from datetime import timedelta

import dagster as dg

from medallion_assets import warehouse
from medallion_assets.bronze import stored_positions
from medallion_assets.ingestion import ChangeReader, load_cursor
from medallion_assets.resources import KafkaResource, MongoResource, SnowflakeResource

INGEST_SELECTION = dg.AssetSelection.assets("warehouse_schema", "data_ingestion", "bronze_real_estate")
BRONZE_SELECTION = dg.AssetSelection.assets("bronze_real_estate")

ingest_job = dg.define_asset_job(
    "ingest_job", selection=INGEST_SELECTION, description="Mongo -> Kafka -> bronze, with the bronze checks."
)
bronze_job = dg.define_asset_job(
    "bronze_job", selection=BRONZE_SELECTION, description="Kafka -> bronze, with the bronze checks."
)
observe_source_job = dg.define_asset_job(
    "observe_source_job",
    selection=dg.AssetSelection.assets("mongodb_listings"),
    description="Observe the MongoDB collection (document count as its data version).",
)
reconciliation_job = dg.define_asset_job(
    "reconciliation_job",
    selection=dg.AssetSelection.all_asset_checks(),
    description="Every asset check over the whole graph, without materializing anything.",
)


def _sensor_error(context: dg.SensorEvaluationContext, exc: Exception) -> dg.SkipReason:
    context.log.warning(f"{type(exc).__name__}: {exc}")
    return dg.SkipReason(f"could not look for changes: {exc}")


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests an ingestion + bronze run when MongoDB holds changes after the stored CDC cursor "
    "(change-stream events after the resume token; new documents in snapshot or watermark mode).",
)
def mongo_changes_sensor(
    context: dg.SensorEvaluationContext, mongo: MongoResource, kafka: KafkaResource, snowflake: SnowflakeResource
):
    try:
        with warehouse.connect(snowflake) as conn:
            cursor = load_cursor(conn, mongo.source_name, kafka.topic)
        with mongo.get_collection() as collection:
            pending = ChangeReader(collection, batch_size=1).first_pending(cursor)
    except Exception as exc:  # a sensor tick must not crash the daemon loop; say why it skipped
        return _sensor_error(context, exc)
    if pending is None:
        return dg.SkipReason("MongoDB has no change after the stored cursor")
    run_key = f"mongo:{pending}"
    context.update_cursor(run_key)
    return dg.RunRequest(run_key=run_key, tags={"medallion/trigger": "mongo_changes_sensor"})


@dg.sensor(
    job=bronze_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a bronze run when the topic holds messages past the positions stored in the warehouse.",
)
def kafka_backlog_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource, snowflake: SnowflakeResource):
    try:
        partitions = kafka.partitions()
        if not partitions:
            return dg.SkipReason(f"topic {kafka.topic} does not exist yet")
        with warehouse.connect(snowflake) as conn:
            positions = stored_positions(conn, kafka.topic)
        ends = kafka.end_offsets(partitions)
    except Exception as exc:  # a sensor tick must not crash the daemon loop; say why it skipped
        return _sensor_error(context, exc)
    lag = {p: ends[p] - positions.get(p, 0) for p in partitions if ends[p] > positions.get(p, 0)}
    if not lag:
        return dg.SkipReason("bronze has loaded every message in the topic")
    run_key = "kafka:" + ",".join(f"{p}@{positions.get(p, 0)}" for p in sorted(partitions))
    context.update_cursor(run_key)
    return dg.RunRequest(
        run_key=run_key,
        tags={"medallion/trigger": "kafka_backlog_sensor", "medallion/lag": str(sum(lag.values()))},
    )


automation_sensor = dg.AutomationConditionSensorDefinition(
    "medallion_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="Evaluates the automation conditions: silver -> gold -> ML -> semantic follow bronze by themselves.",
)

nightly_reconciliation = dg.ScheduleDefinition(
    name="nightly_reconciliation",
    job=reconciliation_job,
    cron_schedule="0 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs every asset check over the whole graph at 02:00.",
)

# Follows its upstream: runs once all upstream assets are updated, none in progress, and their
# blocking checks passed (a failed quality gate on silver keeps gold as it was).
FOLLOW_UPSTREAM = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()

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
}
FRESHNESS_BY_ASSET = {
    "price_model": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
    "model_registry": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
    "feature_importance": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7)),
}


def freshness_for(spec: dg.AssetSpec):
    return FRESHNESS_BY_ASSET.get(spec.key.to_user_string(), FRESHNESS_BY_GROUP.get(spec.group_name or ""))


sensors = [mongo_changes_sensor, kafka_backlog_sensor, automation_sensor]
schedules = [nightly_reconciliation]
jobs = [ingest_job, bronze_job, observe_source_job, reconciliation_job]
