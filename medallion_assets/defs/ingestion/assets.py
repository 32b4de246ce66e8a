"""Ingestion: MongoDB -> Kafka (change data capture, at-least-once; see lib/cdc.py for how)."""

import threading
import time
from typing import Literal

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field
from pymongo.errors import PyMongoError

from medallion_assets.defs.source.assets import SOURCE_ASSET_KEY
from medallion_assets.lib import warehouse
from medallion_assets.lib.cdc import (
    ChangeReader,
    HistoryLost,
    KafkaSender,
    cursor_state,
    live_ids,
    load_cursor,
    save_cursor,
)
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource, redact_uri
from medallion_assets.lib.prefetch import read_ahead

CURSOR_STATE = "cdc_cursor_state"  # metadata key of the mirrored cursor (read by defs/ingestion/sensors.py)


class IngestionConfig(dg.Config):
    batch_size: int = Field(default=100, description="Documents per MongoDB read batch and per producer hand-off.")
    acknowledge_every: int = Field(
        default=5000,
        description="Wait for the broker's acknowledgement, then save the cursor, after this many messages "
        "(and at the end). Larger groups make larger record batches, which brokers read back faster.",
    )
    cdc_mode: Literal["auto", "change_stream", "watermark"] = Field(
        default="auto", description="auto: change stream when the server has one, else the watermark field."
    )
    watermark_field: str = Field(default="updated_at", description="Field used by the watermark fallback.")
    flush_timeout_s: float = Field(default=60.0)


@dg.asset(
    name="data_ingestion",
    group_name="ingestion",
    deps=[SOURCE_ASSET_KEY, "warehouse_schema"],
    kinds={"mongodb", "kafka"},
    description="Ships new, changed and deleted listings from MongoDB to the Kafka topic (CDC, at-least-once, "
    "keyed by document id, deletes as tombstones).",
)
def data_ingestion(
    context: dg.AssetExecutionContext,
    config: IngestionConfig,
    mongo: MongoResource,
    kafka: KafkaResource,
    snowflake: SnowflakeResource,
) -> dg.MaterializeResult:
    if config.batch_size < 1 or config.acknowledge_every < 1:
        raise MedallionError(
            f"batch_size and acknowledge_every must be at least 1, got {config.batch_size}, {config.acknowledge_every}"
        )
    started = time.monotonic()
    # first: the producer connects and gets its idempotent producer id in the background while the topic,
    # MongoDB and the warehouse are set up (a cold producer's first acknowledgement took 0.5-1 s, a warm one's 0.04 s)
    producer = kafka.producer()
    kafka.partitions(create=True)
    conn_lock = threading.Lock()  # the reader thread asks for live ids (end of a new snapshot) on the same connection
    with mongo.get_collection() as collection, warehouse.connect(snowflake, schema="RAW_DB.LANDING") as conn:
        reader = ChangeReader(
            collection,
            config.batch_size,
            config.cdc_mode,
            config.watermark_field,
            live_ids=lambda: _locked(conn_lock, live_ids, conn, kafka.topic),
        )
        sender = KafkaSender(producer, kafka.topic, config.flush_timeout_s, server=kafka.bootstrap_servers)
        batches = resnapshots = 0
        try:
            cursor = load_cursor(conn, mongo.source_name, kafka.topic)
            if cursor is None:
                cursor = reader.initial_cursor()
                save_cursor(conn, mongo.source_name, kafka.topic, cursor)
            resnapshot_reason = cursor.resnapshot_reason  # a new snapshot that a killed run left unfinished
            while True:
                try:
                    cursor, count = _ship(
                        reader, cursor, sender, config, conn, mongo.source_name, kafka.topic, conn_lock
                    )
                    batches += count
                    break
                except HistoryLost as exc:
                    # as Debezium's `when_needed` snapshot mode: a new snapshot, then tombstones for what it lacks
                    if resnapshots:  # lost again right after a new snapshot: the oplog is too short to follow
                        raise MedallionError(f"{exc}, again after a new snapshot; enlarge the oplog") from None
                    resnapshots += 1
                    resnapshot_reason = str(exc)
                    context.log.warning(f"{resnapshot_reason}; taking a new snapshot of {mongo.source_name}")
                    sender.acknowledge()
                    cursor = reader.initial_cursor()
                    cursor.resnapshot_reason = resnapshot_reason
                    save_cursor(conn, mongo.source_name, kafka.topic, cursor)
        except PyMongoError as exc:
            # e.g. the server went away mid-read: the cursor stays at the last acknowledged group, so a
            # rerun once it is back re-sends at most that group
            detail = str(exc).splitlines()[0][:300] if str(exc) else ""
            raise MedallionError(
                f"MongoDB at {redact_uri(mongo.uri)} failed while reading {mongo.database}.{mongo.collection} "
                f"({type(exc).__name__}: {detail}); the cursor stays at the last acknowledged message, rerun "
                "once the server answers"
            ) from None
    elapsed = time.monotonic() - started
    kinds = ("snapshot", "insert", "update", "delete", "watermark", "resnapshot_tombstone")
    sent = sum(v for k, v in reader.stats.items() if k in kinds)
    context.log.info(f"sent {sent} messages in {batches} batches ({elapsed:.1f}s); cursor: {cursor.describe()}")
    return dg.MaterializeResult(
        metadata={
            "messages_sent": dg.MetadataValue.int(sent),
            "sent_by_kind": dg.MetadataValue.json(dict(reader.stats)),
            "batches": dg.MetadataValue.int(batches),
            "cursor": dg.MetadataValue.text(cursor.describe()),
            "cdc_phase": dg.MetadataValue.text(cursor.phase),
            # the cursor saved last, mirrored for mongo_changes_sensor (the warehouse's copy is the one runs use)
            CURSOR_STATE: dg.MetadataValue.json(cursor_state(mongo.source_name, kafka.topic, cursor)),
            "documents_sent_total": dg.MetadataValue.int(cursor.documents_sent),
            "kafka_topic": dg.MetadataValue.text(kafka.topic),
            "messages_per_second": dg.MetadataValue.float(round(sent / elapsed, 1) if elapsed else 0.0),
            **(
                {
                    "resnapshot_reason": dg.MetadataValue.text(resnapshot_reason),
                    "resnapshot_tombstones": dg.MetadataValue.int(reader.stats["resnapshot_tombstone"]),
                }
                if resnapshot_reason
                else {}
            ),
        }
    )


def _ship(reader, cursor, sender, config, conn, source_name: str, topic: str, conn_lock=None):
    """Send every batch from `cursor` on; save the cursor after each acknowledged group. (cursor, batches)

    A thread reads MongoDB up to about two groups ahead (lib/prefetch.py) while this one produces and waits for the
    broker's acknowledgement; the cursor saved is still only ever one whose messages the broker acknowledged."""
    batches, pending_cursor = 0, None
    depth = max(2, 2 * -(-config.acknowledge_every // config.batch_size))
    conn_lock = conn_lock or threading.Lock()
    with read_ahead(reader.batches(cursor), depth, name="mongodb-reader") as ahead:
        for batch in ahead:
            sender.send(batch.changes)
            pending_cursor = batch.cursor_after
            batches += 1
            if sender.unconfirmed >= config.acknowledge_every or not batch.changes:
                sender.acknowledge()
                with conn_lock:
                    save_cursor(conn, source_name, topic, pending_cursor)
                cursor, pending_cursor = pending_cursor, None
    if pending_cursor is not None:
        sender.acknowledge()
        with conn_lock:
            save_cursor(conn, source_name, topic, pending_cursor)
        cursor = pending_cursor
    return cursor, batches


def _locked(lock, function, *args):
    with lock:
        return function(*args)
