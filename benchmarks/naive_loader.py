"""The naive bronze loader the benchmark compares against: row-at-a-time INSERTs sent with
`executemany` in batches of 100 (what seed 000 does), into a table shaped like bronze.

It reads a sample of the same Kafka messages bronze loaded (untimed), then times only the
inserts; the full-size time is extrapolated from the sample's rate.
"""

from __future__ import annotations

import time

from confluent_kafka import TopicPartition

from medallion_assets.lib import warehouse

TABLE = "RAW_DB.LANDING.BENCH_NAIVE_BRONZE"
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id VARCHAR, raw_data VARIANT, op VARCHAR, ingested_at TIMESTAMP_NTZ, source VARCHAR,
    kafka_topic VARCHAR, kafka_partition INTEGER, kafka_offset BIGINT
)"""
# The plain INSERT ... VALUES a loader writes first: the connector sends each executemany call of 100 rows
# as one multi-row INSERT with the values inlined (client-side binding). (PARSE_JSON is not allowed in a
# VALUES list, and INSERT ... SELECT cannot go through executemany's rewrite, so the JSON text goes in as is.)
INSERT = (
    f"INSERT INTO {TABLE} (id, raw_data, op, ingested_at, source, kafka_topic, kafka_partition, kafka_offset) "
    "VALUES (%(id)s, %(raw)s, %(op)s, CURRENT_TIMESTAMP(), %(source)s, %(topic)s, %(partition)s, %(offset)s)"
)
BATCH = 100


def sample_messages(kafka, count: int) -> list[dict]:
    """The first `count` messages of the topic (all partitions from offset 0), as insert parameters."""
    partitions = kafka.partitions()
    consumer = kafka.consumer(group_id="medallion-bench-naive")
    consumer.assign([TopicPartition(kafka.topic, p, 0) for p in partitions])
    rows: list[dict] = []
    idle_since = time.monotonic()
    try:
        while len(rows) < count and time.monotonic() - idle_since < 5:
            messages = consumer.consume(num_messages=min(count - len(rows), 5000), timeout=0.5)
            for message in messages:
                if message.error() is not None or message.value() is None:
                    continue
                headers = dict(message.headers() or [])
                rows.append(
                    {
                        "id": message.key().decode(),
                        "raw": message.value().decode(),
                        "op": headers.get("op", b"u").decode(),
                        "source": "bench-naive",
                        "topic": kafka.topic,
                        "partition": message.partition(),
                        "offset": message.offset(),
                    }
                )
            if messages:
                idle_since = time.monotonic()
    finally:
        consumer.close()
    return rows[:count]


def run_naive(resources: dict, sample: int) -> dict:
    rows = sample_messages(resources["kafka"], sample)
    with warehouse.connect(resources["snowflake"], schema="RAW_DB.LANDING") as conn:
        cursor = conn.cursor()
        cursor.execute(CREATE)
        cursor.execute(f"DELETE FROM {TABLE}")
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            cursor.executemany(INSERT, rows[start : start + BATCH])
        seconds = time.perf_counter() - started
        loaded = cursor.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0]
        cursor.execute(f"DROP TABLE {TABLE}")
    return {"seconds": seconds, "rows": len(rows), "loaded": int(loaded), "batch": BATCH}
