"""The broker's bare consume rate (benchmarks.stages kafka_consume): bronze's own limit."""

from __future__ import annotations

import time


def _bare_consume(kafka, partitions: list[int], total: int, settings: dict) -> tuple[int, int]:
    """Read `partitions` from offset 0 until `total` messages arrived (or 30 s pass without one): (messages, bytes)."""
    from confluent_kafka import TopicPartition

    consumer = kafka.consumer(group_id="bench-bare-consume", **settings)
    consumer.assign([TopicPartition(kafka.topic, p, 0) for p in partitions])
    read = payload = 0
    last = time.monotonic()
    while read < total and time.monotonic() - last < 30:
        for message in consumer.consume(num_messages=10_000, timeout=0.5):
            last = time.monotonic()
            if message.error() is None:
                read += 1
                payload += len(message.value() or b"")
    consumer.close()
    return read, payload


def bare_consume(kafka) -> dict:
    """The broker's bare consume rate, bronze's own limit: confluent-kafka consumers reading the whole topic
    from offset 0 with bronze's fetch settings, and nothing else (no classify, no Parquet, no warehouse).
    Headline: one consumer per partition on threads of their own, as bronze reads; `one_consumer_seconds`:
    one consumer assigned every partition (what bronze did before)."""
    from concurrent.futures import ThreadPoolExecutor

    from medallion_assets.lib.bronze_stream import FETCH_SETTINGS, PREFETCH_KBYTES

    partitions = kafka.partitions()
    ends = kafka.end_offsets(partitions)
    per_partition = {**FETCH_SETTINGS, "queued.max.messages.kbytes": PREFETCH_KBYTES // len(partitions)}
    started = time.perf_counter()
    with ThreadPoolExecutor(len(partitions)) as pool:
        results = list(pool.map(lambda p: _bare_consume(kafka, [p], ends[p], per_partition), partitions))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    one_read, _ = _bare_consume(
        kafka, partitions, sum(ends.values()), {**FETCH_SETTINGS, "queued.max.messages.kbytes": PREFETCH_KBYTES}
    )
    one_seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": sum(r for r, _ in results),
        "megabytes": round(sum(b for _, b in results) / 2**20, 1),
        "partitions": len(partitions),
        "one_consumer_seconds": one_seconds,
        "one_consumer_rows": one_read,
    }
