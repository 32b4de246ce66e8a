"""Sensor that starts a bronze run when the topic holds messages bronze has not loaded, asking Kafka alone.

Decision rule of `kafka_backlog_sensor`, per tick (no warehouse request): bronze's positions are read from the
mirror, the offsets bronze's consumer group committed after each warehouse commit (lib/bronze_stream.PositionMirror),
and the topic's ends from a fetch response's watermarks (right on every broker, unlike ListOffsets). A partition
the group has no offset for (a new or deleted group) counts from 0: that costs one run that finds nothing new
(bronze loads from the warehouse's positions, the only truth) and repairs the mirror; it never loads a row twice.
"""

import dagster as dg

from medallion_assets.defs.automation import RUN_TAGS, run_request_for, skip_for_outage
from medallion_assets.lib.bronze_loader import GROUP_ID
from medallion_assets.lib.errors import ServiceUnavailable
from medallion_assets.lib.kafka import KafkaResource

BRONZE_SELECTION = dg.AssetSelection.assets("bronze_real_estate")

# Jobs whose runs load bronze (change_to_gold_job and ingest_job: ingestion + bronze and more; bronze_job); while one
# is queued or running it will load the backlog, so a second bronze run would only wait for the pool and make what
# follows wait for it.
LOADING_JOBS = ("change_to_gold_job", "ingest_job", "bronze_job")
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
    description="Requests a bronze run when the topic holds messages past the offsets bronze's consumer group "
    "committed (a mirror of the warehouse's positions; asks Kafka, never the warehouse).",
)
def kafka_backlog_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource):
    try:
        partitions = kafka.partitions()
        if not partitions:
            return dg.SkipReason(f"topic {kafka.topic} does not exist yet")
        positions = kafka.committed_offsets(GROUP_ID, partitions)
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
    # the ends too: a run that loaded the backlog but could not update the mirror must not hide later messages
    key = "kafka:" + ",".join(f"{p}@{positions.get(p, 0)}-{ends[p]}" for p in sorted(partitions))
    tags = {"medallion/trigger": "kafka_backlog_sensor", "medallion/lag": str(sum(lag.values()))}
    return run_request_for(context, "kafka_backlog_sensor", key, tags)
