"""Bronze: Kafka topic -> RAW_DB.LANDING.BRONZE_REAL_ESTATE, exactly once per message.

Positions live in the warehouse (KAFKA_OFFSETS), not in the broker: partitions
are assigned explicitly from the stored offsets, and each batch is published in
one transaction that holds its rows, its rejects and its new positions. A run
that dies at any point leaves either the whole batch or none of it, and the
next run starts where the last committed batch ended.

Batches travel as Parquet files: PUT to a stage, then COPY INTO with a
transformation (PARSE_JSON into the VARIANT column) - the bulk path on both
Snowflake and the embedded warehouse. Messages that are not a JSON object, or
that PARSE_JSON would refuse or read differently than Python (duplicate keys,
numbers beyond a double), go to BRONZE_REJECTS with the raw text and the
reason: one such message inside a COPY would fail its whole batch, every run.
"""

import json
import math
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pyarrow as pa
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from pydantic import Field

from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource

CONSUMER_NAME = "bronze_real_estate"
STAGE = "RAW_DB.LANDING.BRONZE_STAGE"

ROW_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("raw_text", pa.string()),
        ("op", pa.string()),
        ("kafka_topic", pa.string()),
        ("kafka_partition", pa.int32()),
        ("kafka_offset", pa.int64()),
        ("kafka_timestamp", pa.int64()),  # epoch ms; copy_rows.sql converts with TO_TIMESTAMP_NTZ(.., 3)
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("raw_text", pa.string()),
        ("error", pa.string()),
        ("kafka_topic", pa.string()),
        ("kafka_partition", pa.int32()),
        ("kafka_offset", pa.int64()),
    ]
)


class _Refused(ValueError):
    """JSON that Python reads but Snowflake's PARSE_JSON refuses or reads as another value."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _object(pairs: list[tuple[str, object]]) -> dict:
    """Every JSON object, at any depth: PARSE_JSON refuses a duplicate key, json.loads keeps the last."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {json.dumps(key, ensure_ascii=False)} in a JSON object")
            seen.add(key)
    return obj


def _float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):  # 1e999: Python reads infinity, which no listing value is
        raise _Refused(f"number {text[:40]} is out of range for a double")
    return value


def _int(text: str) -> int:
    if len(text) > 309 and float(text) in (math.inf, -math.inf):  # 10**309 and up: no double holds it
        raise _Refused(f"number {text[:40]}... ({len(text)} digits) is out of range for a double")
    return int(text)


def _unpaired_surrogate(value) -> str | None:
    """An escaped lone surrogate ("\\ud800") decodes to a str that is not Unicode text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"\\u{ord(value[exc.start]):04x}"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _unpaired_surrogate(key) or _unpaired_surrogate(item)
        if found:
            return found
    return None


def classify(value: bytes | None) -> tuple[str | None, str | None]:
    """(raw_text, error) for a message value; a tombstone (None) is valid with no text.

    Valid means: a JSON object that Snowflake's PARSE_JSON reads as the same value Python does,
    so that one message can never fail the COPY of the whole batch around it.
    """
    if value is None:
        return None, None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return value.decode("utf-8", errors="replace"), f"not UTF-8 text: {exc.reason} at byte {exc.start}"
    try:
        parsed = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_object, parse_float=_float, parse_int=_int
        )
    except _Refused as exc:
        return text, str(exc)
    except (json.JSONDecodeError, ValueError) as exc:
        return text, f"not JSON: {exc}"
    except RecursionError:
        return text, "not JSON: nested too deeply"
    if not isinstance(parsed, dict):
        return text, f"JSON {type(parsed).__name__}, not an object"
    if ("\\ud" in text or "\\uD" in text) and (surrogate := _unpaired_surrogate(parsed)):
        return text, f"string with an unpaired surrogate {surrogate}, not Unicode text"
    return text, None


@dataclass
class LoadBatch:
    """Messages read since the last publish, split into rows and rejects."""

    topic: str
    rows: dict[str, list] = field(default_factory=lambda: {f.name: [] for f in ROW_SCHEMA})
    rejects: dict[str, list] = field(default_factory=lambda: {f.name: [] for f in REJECT_SCHEMA})
    next_offsets: dict[int, int] = field(default_factory=dict)
    size: int = 0

    def add(self, message) -> None:
        key = message.key().decode("utf-8", errors="replace") if message.key() is not None else None
        text, error = classify(message.value())
        partition, offset = message.partition(), message.offset()
        if error is None:
            headers = dict(message.headers() or [])
            op = headers.get("op", b"d" if text is None else b"u").decode()
            kind, ts = message.timestamp()
            for column, value in (
                ("message_key", key if key is not None else json.loads(text).get("_id") if text else None),
                ("raw_text", text),
                ("op", op),
                ("kafka_topic", self.topic),
                ("kafka_partition", partition),
                ("kafka_offset", offset),
                ("kafka_timestamp", ts if kind else None),
            ):
                self.rows[column].append(value)
        else:
            for column, value in (
                ("message_key", key),
                ("raw_text", text),
                ("error", error),
                ("kafka_topic", self.topic),
                ("kafka_partition", partition),
                ("kafka_offset", offset),
            ):
                self.rejects[column].append(value)
        self.next_offsets[partition] = offset + 1
        self.size += 1

    @property
    def row_count(self) -> int:
        return len(self.rows["kafka_offset"])

    @property
    def reject_count(self) -> int:
        return len(self.rejects["kafka_offset"])


def publish(conn, batch: LoadBatch, source: str, workdir: Path) -> str:
    """Stage the batch as Parquet and publish rows, rejects and positions in one transaction."""
    load_id = uuid.uuid4().hex
    files = {}
    for kind, columns, schema in (("rows", batch.rows, ROW_SCHEMA), ("rejects", batch.rejects, REJECT_SCHEMA)):
        if columns["kafka_offset"]:
            files[kind] = warehouse.stage_parquet(conn, pa.table(columns, schema=schema), STAGE, workdir, kind)
    params = {"load_id": load_id, "source": source}
    with warehouse.transaction(conn):
        if "rows" in files:
            warehouse.execute(conn, "bronze/copy_rows", params, names={"stage_file": files["rows"]})
        if "rejects" in files:
            warehouse.execute(conn, "bronze/copy_rejects", params, names={"stage_file": files["rejects"]})
        for partition, next_offset in sorted(batch.next_offsets.items()):
            warehouse.execute(
                conn,
                "bronze/record_offset",
                {
                    "consumer_name": CONSUMER_NAME,
                    "kafka_topic": batch.topic,
                    "kafka_partition": partition,
                    "next_offset": next_offset,
                    "load_id": load_id,
                },
            )
    return load_id


def stored_positions(conn, topic: str) -> dict[int, int]:
    rows = warehouse.fetch_all(conn, "bronze/read_offsets", {"consumer_name": CONSUMER_NAME, "kafka_topic": topic})
    return {int(r["kafka_partition"]): int(r["next_offset"]) for r in rows}


class BronzeConfig(dg.Config):
    batch_size: int = Field(default=50_000, description="Messages per Parquet file and transaction.")
    idle_timeout_s: float = Field(
        default=3.0, description="Stop when no message arrives for this long and the end offsets are unknown."
    )
    max_messages: int | None = Field(default=None, description="Stop after this many messages (None: drain).")


@dataclass
class LoadReport:
    rows: int = 0
    rejects: int = 0
    batches: int = 0
    positions: dict[int, int] = field(default_factory=dict)
    end_offsets: dict[int, int] = field(default_factory=dict)

    @property
    def lag(self) -> dict[int, int]:
        return {p: max(0, self.end_offsets.get(p, 0) - self.positions.get(p, 0)) for p in self.positions}


class BrokerWatch:
    """Notices, through the consumer's error callback, that every broker went away.

    The client keeps reconnecting by itself and `consume` just returns nothing, so without this a load
    whose broker died would stop at the idle timeout and report success with part of the topic.
    """

    def __init__(self, kafka: KafkaResource):
        self.kafka = kafka
        self.all_down: str | None = None

    def on_error(self, error) -> None:
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            self.all_down = error.str()

    def confirm(self, consumer) -> None:
        """Raise when no broker answers within the resource's timeout; a broker that is back clears the flag."""
        try:
            consumer.list_topics(self.kafka.topic, timeout=self.kafka.timeout_s)
        except KafkaException:
            raise MedallionError(
                f"Kafka at {self.kafka.bootstrap_servers} stopped answering while loading {self.kafka.topic} "
                f"into bronze ({self.all_down}); the batch in progress was not published, rerun once it answers"
            ) from None
        self.all_down = None


def load_topic(conn, kafka: KafkaResource, source: str, config: BronzeConfig, log=None) -> LoadReport:
    """Drain the topic from the stored positions into bronze, batch by batch."""
    partitions = kafka.partitions(create=True)
    positions = {p: 0 for p in partitions} | stored_positions(conn, kafka.topic)
    report = LoadReport(positions=dict(positions))
    watch = BrokerWatch(kafka)
    consumer = kafka.consumer(
        group_id=f"medallion-{CONSUMER_NAME}",
        error_cb=watch.on_error,
        **{
            # large fetches: each fetch of the embedded broker reads from its S3 log
            "queued.max.messages.kbytes": 262144,
            "max.partition.fetch.bytes": 16 * 1024 * 1024,
            "fetch.max.bytes": 64 * 1024 * 1024,
        },
    )
    consumer.assign([TopicPartition(kafka.topic, p, positions[p]) for p in partitions])
    try:
        with tempfile.TemporaryDirectory(prefix="bronze-") as tmp:
            batch = LoadBatch(kafka.topic)
            last_message = time.monotonic()
            while True:
                budget = config.batch_size - batch.size
                if config.max_messages is not None:
                    budget = min(budget, config.max_messages - report.rows - report.rejects - batch.size)
                messages = consumer.consume(num_messages=min(budget, 10_000), timeout=0.5) if budget > 0 else []
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            continue
                        raise MedallionError(
                            f"Kafka at {kafka.bootstrap_servers}: fetch from {kafka.topic} failed: {error.str()}"
                        )
                    batch.add(message)
                if messages:
                    last_message = time.monotonic()
                elif watch.all_down:
                    watch.confirm(consumer)
                report.end_offsets = _cached_ends(consumer, kafka.topic, partitions)
                caught_up = len(report.end_offsets) == len(partitions) and all(
                    {**report.positions, **batch.next_offsets}.get(p, 0) >= report.end_offsets[p] for p in partitions
                )
                idle = time.monotonic() - last_message > config.idle_timeout_s
                if batch.size and (batch.size >= config.batch_size or caught_up or idle or budget <= 0):
                    publish(conn, batch, source, Path(tmp))
                    report.rows += batch.row_count
                    report.rejects += batch.reject_count
                    report.batches += 1
                    report.positions.update(batch.next_offsets)
                    if log:
                        log.info(
                            f"published batch {report.batches}: {batch.row_count} rows, {batch.reject_count} rejects"
                        )
                    batch = LoadBatch(kafka.topic)
                if not batch.size and (caught_up or idle or budget <= 0):
                    return report
    finally:
        consumer.close()


def _cached_ends(consumer, topic: str, partitions: list[int]) -> dict[int, int]:
    """High watermarks the last fetch responses carried (unknown partitions are left out)."""
    ends = {}
    for p in partitions:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True)
        if high >= 0:
            ends[p] = high
    return ends
