"""The embedded broker under concurrent producers, and the S3 semantics it relies on.

tansu keeps producer ids and partition offsets in S3 objects updated by write-if-unchanged
(If-Match). localbucket ignored If-Match, so producers started together overwrote each other's
registration and failed with UnknownProducerId ("Local: Message timed out" after retries);
dev/s3_server.py makes the stand-in refuse a stale If-Match with 412, as S3 does.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from confluent_kafka import TopicPartition

PRODUCERS = 6
MESSAGES = 40


def _s3(services_home, method: str, key: str, body: bytes = b"", **headers) -> tuple[int, str]:
    port = json.loads((services_home / "services.json").read_text())["ports"]["s3"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/tansu/medallion-test/{key}", data=body or None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("ETag", "")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_s3_put_honours_if_match_like_s3(services_home):
    status, first = _s3(services_home, "PUT", "object.json", b'{"v": 1}')
    assert status == 200 and first
    assert _s3(services_home, "PUT", "object.json", b'{"v": 2}', **{"If-Match": first})[0] == 200
    # the object moved on: a writer that read version 1 is refused instead of overwriting version 2
    assert _s3(services_home, "PUT", "object.json", b'{"v": 3}', **{"If-Match": first})[0] == 412
    assert _s3(services_home, "PUT", "absent.json", b"{}", **{"If-Match": first})[0] == 404
    assert _s3(services_home, "PUT", "object.json", b"{}", **{"If-None-Match": "*"})[0] == 412
    status, etag = _s3(services_home, "GET", "object.json")
    assert status == 200 and etag != first  # still version 2


def test_producers_started_together_all_deliver_every_message_once(stack):
    kafka = stack["kafka"]
    partitions = kafka.partitions(create=True)
    failures: list[str] = []
    start = threading.Barrier(PRODUCERS)

    def produce(n: int) -> None:
        producer = kafka.producer(**{"linger.ms": 5})
        start.wait()
        for i in range(MESSAGES):
            producer.produce(
                kafka.topic,
                key=f"{n}-{i}",
                value=f"{n}-{i}".encode(),
                on_delivery=lambda err, _msg: err and failures.append(err.str()),
            )
            producer.poll(0)
        if producer.flush(kafka.timeout_s * 3):
            failures.append("messages left undelivered")

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(PRODUCERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    consumer = kafka.consumer("medallion-test-broker")
    consumer.assign([TopicPartition(kafka.topic, p, 0) for p in partitions])
    seen: dict[int, list[tuple[int, str]]] = {p: [] for p in partitions}
    try:
        while sum(map(len, seen.values())) < PRODUCERS * MESSAGES:
            batch = consumer.consume(num_messages=500, timeout=kafka.timeout_s)
            if not batch:
                break
            for message in batch:
                assert message.error() is None, message.error()
                seen[message.partition()].append((message.offset(), message.value().decode()))
    finally:
        consumer.close()
    values = sorted(v for rows in seen.values() for _, v in rows)
    assert values == sorted(f"{n}-{i}" for n in range(PRODUCERS) for i in range(MESSAGES))
    for rows in seen.values():  # every offset given once, none skipped
        assert [offset for offset, _ in rows] == list(range(len(rows)))
