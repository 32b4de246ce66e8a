"""Sensor that starts an ingestion + bronze run when MongoDB holds changes not shipped yet."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.automation import (
    RUN_TAGS,
    missing_after_setup,
    run_request_for,
    setup_has_run,
    skip_for_outage,
)
from medallion_assets.lib import warehouse
from medallion_assets.lib.cdc import ChangeReader, load_cursor
from medallion_assets.lib.errors import MissingObject, ServiceUnavailable
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource

INGEST_SELECTION = dg.AssetSelection.assets("warehouse_schema", "data_ingestion", "bronze_real_estate")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=INGEST_SELECTION,
    tags=RUN_TAGS,
    description="Mongo -> Kafka -> bronze, with the bronze checks.",
)

TAGS = {"medallion/trigger": "mongo_changes_sensor"}


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=5,
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
    except MissingObject as exc:  # a new deployment: ingest_job's warehouse_schema step creates the tables
        if setup_has_run(context):
            raise missing_after_setup(exc) from None
        return run_request_for(context, "mongo_changes_sensor", f"setup:{mongo.source_name}:{kafka.topic}", TAGS)
    except ServiceUnavailable as exc:
        return skip_for_outage(context, exc)
    try:
        with mongo.get_collection() as collection:
            pending = ChangeReader(collection, batch_size=1).first_pending(cursor)
    except ServiceUnavailable as exc:  # an outage skips the tick; anything else fails it, visibly
        return skip_for_outage(context, exc)
    if pending is None:
        return dg.SkipReason("MongoDB has no change after the stored cursor")
    return run_request_for(context, "mongo_changes_sensor", f"mongo:{pending}", TAGS)
