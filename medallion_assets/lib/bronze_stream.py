"""Bronze's reading and publishing, run side by side (lib/bronze_loader.py drives them).

- `PartitionReaders`: one consumer per partition. The embedded broker serves the partitions of one
  fetch request one after another, each from its S3 log; separate consumers fetch them concurrently
  (3 partitions of 100,000 messages: 8.6 s with one consumer, 1.9 s with three).
- `Publisher`: a thread that publishes batches (Parquet, PUT, COPY, commit) strictly in order, one at
  a time, while the next batch is read. It stops at the first failure: no later batch is published
  after one that failed, so the positions in the warehouse never skip a message.
- `PositionMirror`: the positions the warehouse holds, committed as the consumer group's offsets after each
  warehouse commit, so kafka_backlog_sensor sees the backlog without waking the warehouse.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.kafka import KafkaResource

# large fetches: each fetch of the embedded broker reads from its S3 log
FETCH_SETTINGS = {
    "max.partition.fetch.bytes": 16 * 1024 * 1024,
    "fetch.max.bytes": 64 * 1024 * 1024,
}
PREFETCH_KBYTES = 262144  # what all partitions' consumers may hold fetched ahead of the loader, together


class BrokerWatch:
    """Notices, through the consumers' error callback, that every broker went away.

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


class PositionMirror:
    """Bronze's positions, mirrored as `group_id`'s committed offsets after each warehouse commit.

    The warehouse (KAFKA_OFFSETS) stays the only truth bronze loads from; this copy only tells
    kafka_backlog_sensor whether there is a backlog. A commit that fails (the broker went away just then) leaves
    the mirror behind, which costs at most one run that finds nothing new, so it is logged, never raised."""

    def __init__(self, kafka: KafkaResource, group_id: str, log=None):
        self.kafka, self.group_id, self.log = kafka, group_id, log
        self.consumer = None

    def commit(self, positions: dict[int, int]) -> bool:
        try:
            if self.consumer is None:
                self.consumer = self.kafka.consumer(self.group_id)
            self.kafka.commit_offsets(self.consumer, positions)
            return True
        except KafkaException as exc:
            if self.log:
                self.log.warning(
                    f"could not mirror bronze's positions to Kafka group {self.group_id} "
                    f"({exc.args[0].str() if exc.args else exc}); the warehouse holds them, the sensor may "
                    "request one run that finds nothing"
                )
            return False

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()
            self.consumer = None


class PartitionReaders:
    """One consumer per partition, each assigned explicitly at the position the warehouse holds."""

    def __init__(self, kafka: KafkaResource, group_id: str, positions: dict[int, int], watch: BrokerWatch):
        self.topic = kafka.topic
        self.partitions = sorted(positions)
        self.consumers = []
        prefetch = max(1024, PREFETCH_KBYTES // max(1, len(self.partitions)))
        try:
            for p in self.partitions:
                consumer = kafka.consumer(
                    group_id=group_id,
                    error_cb=watch.on_error,
                    **FETCH_SETTINGS,
                    **{"queued.max.messages.kbytes": prefetch},
                )
                self.consumers.append(consumer)
                consumer.assign([TopicPartition(self.topic, p, positions[p])])
        except BaseException:
            self.close()
            raise
        self._turn = 0

    def read(self, limit: int, timeout: float) -> list:
        """Up to `limit` messages the consumers have fetched already, from every partition in turn; when
        none has any, waits up to `timeout` on one of them (a different one each call)."""
        messages: list = []
        if limit <= 0 or not self.consumers:
            return messages
        count = len(self.consumers)
        start, self._turn = self._turn, (self._turn + 1) % count
        for i in range(count):
            if len(messages) >= limit:
                break
            consumer = self.consumers[(start + i) % count]
            messages += consumer.consume(num_messages=min(limit - len(messages), 10_000), timeout=0)
        if not messages:
            messages = self.consumers[start].consume(num_messages=min(limit, 10_000), timeout=timeout)
        return messages

    def end_offsets(self) -> dict[int, int]:
        """High watermarks the last fetch responses carried (unknown partitions are left out)."""
        ends = {}
        for p, consumer in zip(self.partitions, self.consumers):
            _low, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), cached=True)
            if high >= 0:
                ends[p] = high
        return ends

    def close(self) -> None:
        for consumer in self.consumers:
            consumer.close()


class Publisher:
    """Publishes submitted batches in order on its own thread; at most one waits behind the one in progress."""

    def __init__(self, publish: Callable[[object], None]):
        self._publish = publish
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._abandon = False
        self.error: BaseException | None = None
        self.waited_s = 0.0  # the reading thread's time blocked on this one (submit and finish)
        self._thread = threading.Thread(target=self._run, name="bronze-publisher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self.error is not None or self._abandon:
                continue  # after a failure, or when the reader gave up, nothing later is published
            try:
                self._publish(batch)
            except BaseException as exc:  # handed to the reading thread, which raises it
                self.error = exc

    def check(self) -> None:
        """Raise the publishing thread's failure in the caller's thread."""
        if self.error is not None:
            raise self.error

    def submit(self, batch) -> None:
        """Queue a batch behind the one in progress; waits while another one is already waiting."""
        started = time.monotonic()
        try:
            self._put(batch)
        finally:
            self.waited_s += time.monotonic() - started

    def _put(self, batch) -> None:
        while True:
            self.check()
            try:
                self._queue.put(batch, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Wait until every submitted batch is published; raise the first failure."""
        started = time.monotonic()
        self._stop()
        self.waited_s += time.monotonic() - started
        self.check()

    def abandon(self) -> None:
        """Publish nothing more than the batch in progress (its transaction completes or fails on its own)."""
        self._abandon = True
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
