"""Sensor that carries MongoDB changes to gold in one run, deciding from MongoDB and the Dagster instance alone.

Decision rule of `mongo_changes_sensor`, per tick (no warehouse request, so an idle pipeline never wakes it):
1. The cursor mirror: the CDC cursor the latest `data_ingestion` materialization recorded in its metadata
   (`cdc_cursor_state`). None (a new Dagster instance, another source or topic): request one run, which resumes
   from the warehouse's cursor (the only one runs use) and records the mirror.
2. MongoDB: the oldest change after the mirrored cursor (one change-stream event, or the next `_id` / watermark).
   None: skip. A mirror behind the warehouse (a run that died after saving part of its cursor) only names a change
   already shipped: the run it starts ships nothing twice, since it resumes from the warehouse's cursor.
3. The cost knob (MEDALLION_BATCH_WINDOW_S, lib/settings.py): at most one run per window; changes arriving inside
   an open window wait for its end and travel together.
"""

import time

import dagster as dg

from medallion_assets.defs.automation import RUN_TAGS, run_request_for, skip_for_outage
from medallion_assets.defs.ingestion.assets import CURSOR_STATE
from medallion_assets.lib.cdc import ChangeReader, Cursor, cursor_from_state
from medallion_assets.lib.errors import ServiceUnavailable
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.settings import BATCH_WINDOW_VARIABLE, batch_window_s

INGEST_SELECTION = dg.AssetSelection.assets("warehouse_schema", "data_ingestion", "bronze_real_estate")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=INGEST_SELECTION,
    tags=RUN_TAGS,
    description="Mongo -> Kafka -> bronze, with the bronze checks.",
)

# A change reaches gold (and the listing history) in the run that ships it; the layers after gold (ML, semantic,
# lakehouse, the pulse) follow on their own conditions. One run start instead of two or three.
CHANGE_SELECTION = INGEST_SELECTION | dg.AssetSelection.assets(
    "silver_real_estate",
    "data_quality_log",
    "gold_ml_features",
    "gold_market_analytics",
    "gold_price_trends",
    "gold_listing_history",
)

change_to_gold_job = dg.define_asset_job(
    "change_to_gold_job",
    selection=CHANGE_SELECTION,
    tags=RUN_TAGS,
    description="Mongo -> Kafka -> bronze -> silver -> gold and the listing history in one run, with their checks.",
)

SENSOR_NAME = "mongo_changes_sensor"
TAGS = {"medallion/trigger": SENSOR_NAME}


def mirrored_cursor(instance: dg.DagsterInstance, source_name: str, topic: str) -> tuple[Cursor | None, int]:
    """The CDC cursor the latest data_ingestion materialization recorded for this source and topic (None if it
    recorded none for them), and that materialization's storage id (0 when there is none)."""
    record = instance.fetch_materializations(dg.AssetKey("data_ingestion"), limit=1).records
    if not record:
        return None, 0
    metadata = record[0].asset_materialization.metadata if record[0].asset_materialization else {}
    state = metadata[CURSOR_STATE].value if CURSOR_STATE in metadata else None
    return cursor_from_state(state, source_name, topic), record[0].storage_id


def window_wait_s(instance: dg.DagsterInstance, window_s: int, now: float | None = None) -> float:
    """Seconds until the batch window allows another run: 0 when the sensor's latest run was created at least
    `window_s` ago (or never)."""
    if window_s <= 0:
        return 0.0
    records = instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/sensor_name": SENSOR_NAME}), limit=1)
    if not records:
        return 0.0
    elapsed = (now if now is not None else time.time()) - records[0].create_timestamp.timestamp()
    return max(0.0, window_s - elapsed)


@dg.sensor(
    job=change_to_gold_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one run from MongoDB to gold when MongoDB holds changes after the cursor the last "
    "ingestion recorded (asks MongoDB and the Dagster instance, never the warehouse); at most one run per "
    f"{BATCH_WINDOW_VARIABLE} seconds.",
)
def mongo_changes_sensor(context: dg.SensorEvaluationContext, mongo: MongoResource, kafka: KafkaResource):
    cursor, storage_id = mirrored_cursor(context.instance, mongo.source_name, kafka.topic)
    if cursor is None:  # nothing recorded here yet: one run resumes from the warehouse's cursor and records it
        pending = f"no-mirror:{mongo.source_name}:{kafka.topic}:{storage_id}"
    else:
        try:
            with mongo.get_collection() as collection:
                pending = ChangeReader(collection, batch_size=1).first_pending(cursor)
        except ServiceUnavailable as exc:  # an outage skips the tick; anything else fails it, visibly
            return skip_for_outage(context, exc)
        if pending is None:
            return dg.SkipReason("MongoDB has no change after the cursor of the latest ingestion")
    wait = window_wait_s(context.instance, batch_window_s())
    if wait > 0:
        return dg.SkipReason(
            f"changes wait for the batch window: next run in {wait:.0f} s ({BATCH_WINDOW_VARIABLE}={batch_window_s()})"
        )
    return run_request_for(context, SENSOR_NAME, f"mongo:{pending}", TAGS)
