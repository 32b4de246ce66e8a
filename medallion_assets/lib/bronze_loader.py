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
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pyarrow as pa
from confluent_kafka import KafkaError
from pydantic import Field

from medallion_assets.lib import warehouse
from medallion_assets.lib.bronze_stream import BrokerWatch, PartitionReaders, PositionMirror, Publisher
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource

CONSUMER_NAME = "bronze_real_estate"
# the Kafka consumer group bronze reads as; its committed offsets mirror the warehouse's positions (PositionMirror)
GROUP_ID = f"medallion-{CONSUMER_NAME}"
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


# Only a number with an exponent, or 300+ digits in a row, can be beyond a double (a shorter mantissa without an
# exponent is below 1e300). Text that has neither (also inside strings: this is a cheap over-approximation)
# skips the per-number Python hooks.
_SUSPECT_NUMBER = re.compile(r"\d[eE]|\d{300}")
_PLAIN = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_object)
_CHECKING = json.JSONDecoder(
    parse_constant=_reject_constant, object_pairs_hook=_object, parse_float=_float, parse_int=_int
)


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
        if text.startswith("\ufeff"):  # what json.loads says; JSONDecoder.decode would say "Expecting value"
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        # numbers that could be out of a double's range need the checking hooks; any other text is parsed with
        # the C number parsers, which give the very same values
        decoder = _CHECKING if _SUSPECT_NUMBER.search(text) else _PLAIN
        parsed = decoder.decode(text)
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
    """Messages read since the last publish, split into rows and rejects.

    A row's raw_text is kept as the message's bytes (checked UTF-8): Arrow copies bytes as they are, while a
    str of Vietnamese text is encoded back to UTF-8 first (7x slower for these documents).
    """

    topic: str
    rows: dict[str, list] = field(default_factory=lambda: {f.name: [] for f in ROW_SCHEMA})
    rejects: dict[str, list] = field(default_factory=lambda: {f.name: [] for f in REJECT_SCHEMA})
    next_offsets: dict[int, int] = field(default_factory=dict)
    size: int = 0

    def add(self, message) -> None:
        key = message.key()
        key = key.decode("utf-8", errors="replace") if key is not None else None
        value = message.value()
        text, error = classify(value)
        partition, offset = message.partition(), message.offset()
        if error is None:
            rows = self.rows
            if key is None and text:
                key = json.loads(text).get("_id")
            headers = message.headers()
            op = dict(headers).get("op") if headers else None
            kind, ts = message.timestamp()
            rows["message_key"].append(key)
            rows["raw_text"].append(value)  # the UTF-8 bytes classify read: Arrow takes them as they are
            rows["op"].append(op.decode() if op is not None else "d" if text is None else "u")
            rows["kafka_topic"].append(self.topic)
            rows["kafka_partition"].append(partition)
            rows["kafka_offset"].append(offset)
            rows["kafka_timestamp"].append(ts if kind else None)
        else:
            rejects = self.rejects
            rejects["message_key"].append(key)
            rejects["raw_text"].append(text)
            rejects["error"].append(error)
            rejects["kafka_topic"].append(self.topic)
            rejects["kafka_partition"].append(partition)
            rejects["kafka_offset"].append(offset)
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
    read_wait_s: float = 0.0  # reading thread: waiting for the broker with nothing fetched
    publish_wait_s: float = 0.0  # reading thread: waiting for the publisher (one batch already queued, or the last)

    @property
    def lag(self) -> dict[int, int]:
        return {p: max(0, self.end_offsets.get(p, 0) - self.positions.get(p, 0)) for p in self.positions}


def load_topic(conn, kafka: KafkaResource, source: str, config: BronzeConfig, log=None) -> LoadReport:
    """Drain the topic from the stored positions into bronze, batch by batch.

    Batch N is published (Parquet, PUT, COPY, commit: lib/bronze_stream.Publisher) while batch N+1 is
    read; batches commit strictly in order, so the stored positions only ever move over whole batches.
    """
    partitions = kafka.partitions(create=True)
    positions = {p: 0 for p in partitions} | stored_positions(conn, kafka.topic)
    report = LoadReport(positions=dict(positions))
    read_to = dict(positions)  # next offset per partition of every message read, published or not
    taken = 0  # messages read into batches

    def publish_batch(batch: LoadBatch, workdir: Path) -> None:
        publish(conn, batch, source, workdir)
        report.rows += batch.row_count
        report.rejects += batch.reject_count
        report.batches += 1
        report.positions.update(batch.next_offsets)
        mirror.commit(report.positions)  # after the warehouse committed, never before
        if log:
            log.info(f"published batch {report.batches}: {batch.row_count} rows, {batch.reject_count} rejects")

    watch = BrokerWatch(kafka)
    mirror = PositionMirror(kafka, GROUP_ID, log)
    readers = PartitionReaders(kafka, GROUP_ID, positions, watch)
    try:
        with tempfile.TemporaryDirectory(prefix="bronze-") as tmp:
            publisher = Publisher(lambda batch: publish_batch(batch, Path(tmp)))
            try:
                batch = LoadBatch(kafka.topic)
                last_message = time.monotonic()
                while True:
                    publisher.check()
                    budget = config.batch_size - batch.size
                    if config.max_messages is not None:
                        budget = min(budget, config.max_messages - taken)
                    asked = time.monotonic()
                    messages = readers.read(budget, timeout=0.1) if budget > 0 else []
                    if not messages:
                        report.read_wait_s += time.monotonic() - asked
                    for message in messages:
                        error = message.error()
                        if error is not None:
                            if error.code() == KafkaError._PARTITION_EOF:
                                continue
                            raise MedallionError(
                                f"Kafka at {kafka.bootstrap_servers}: fetch from {kafka.topic} failed: {error.str()}"
                            )
                        batch.add(message)
                        taken += 1
                    if messages:
                        last_message = time.monotonic()
                    elif watch.all_down:
                        watch.confirm(readers.consumers[0])
                    report.end_offsets = readers.end_offsets()
                    caught_up = len(report.end_offsets) == len(partitions) and all(
                        {**read_to, **batch.next_offsets}.get(p, 0) >= report.end_offsets[p] for p in partitions
                    )
                    idle = time.monotonic() - last_message > config.idle_timeout_s
                    if batch.size and (batch.size >= config.batch_size or caught_up or idle or budget <= 0):
                        read_to.update(batch.next_offsets)
                        publisher.submit(batch)
                        batch = LoadBatch(kafka.topic)
                    if not batch.size and (caught_up or idle or budget <= 0):
                        publisher.finish()
                        report.publish_wait_s = publisher.waited_s
                        if not report.batches:  # a run that loaded nothing still repairs a stale or wiped mirror
                            mirror.commit(report.positions)
                        return report
            finally:
                publisher.abandon()  # a no-op after finish(); on a failure, nothing after the batch in progress
    finally:
        readers.close()
        mirror.close()
