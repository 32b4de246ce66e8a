"""Sensor that starts a bronze run when the topic holds messages past the positions stored in the warehouse."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.automation import RUN_TAGS, run_request_for, skip_for_outage
from medallion_assets.lib import warehouse
from medallion_assets.lib.bronze_loader import stored_positions
from medallion_assets.lib.errors import ServiceUnavailable
from medallion_assets.lib.kafka import KafkaResource

BRONZE_SELECTION = dg.AssetSelection.assets("bronze_real_estate")

# Jobs whose runs load bronze (ingest_job: ingestion + bronze; bronze_job); while one is queued or running it will
# load the backlog, so a second bronze run would only wait for the pool and make what follows wait for it.
LOADING_JOBS = ("ingest_job", "bronze_job")
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def loading_run(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    """A queued or running run that loads bronze, if any. A run whose process died is failed by run monitoring,
    so this never holds the sensor back for good."""
    for job_name in LOADING_JOBS:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=IN_FLIGHT), limit=1)
        if runs:
            return runs[0]
    return None


bronze_job = dg.define_asset_job(
    "bronze_job", selection=BRONZE_SELECTION, tags=RUN_TAGS, description="Kafka -> bronze, with the bronze checks."
)


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
    except ServiceUnavailable as exc:  # an outage skips the tick; anything else fails it, visibly
        return skip_for_outage(context, exc)
    lag = {p: ends[p] - positions.get(p, 0) for p in partitions if ends[p] > positions.get(p, 0)}
    if not lag:
        return dg.SkipReason("bronze has loaded every message in the topic")
    running = loading_run(context.instance)
    if running is not None:
        return dg.SkipReason(
            f"{sum(lag.values())} messages wait, and run {running.run_id} of {running.job_name} "
            f"({running.status.value}) will load them"
        )
    key = "kafka:" + ",".join(f"{p}@{positions.get(p, 0)}" for p in sorted(partitions))
    tags = {"medallion/trigger": "kafka_backlog_sensor", "medallion/lag": str(sum(lag.values()))}
    return run_request_for(context, "kafka_backlog_sensor", key, tags)
