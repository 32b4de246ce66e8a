"""Bronze's publisher thread and partition readers (lib/bronze_stream.py), without Kafka or a warehouse."""

from __future__ import annotations

import threading

import pytest

from medallion_assets.lib.bronze_stream import PartitionReaders, Publisher


def test_publisher_publishes_every_batch_in_order():
    published = []
    publisher = Publisher(published.append)
    for batch in range(1, 6):
        publisher.submit(batch)
    publisher.finish()
    assert published == [1, 2, 3, 4, 5]


def test_publisher_stops_at_the_first_failure_and_the_reader_gets_it():
    published = []

    def publish(batch):
        if batch == 2:
            raise RuntimeError("COPY of batch 2 failed")
        published.append(batch)

    publisher = Publisher(publish)
    with pytest.raises(RuntimeError, match="COPY of batch 2 failed"):
        for batch in range(1, 6):
            publisher.submit(batch)
        publisher.finish()
    publisher.abandon()
    assert published == [1]  # nothing after the failed batch, so the stored positions skip no message


def test_abandon_publishes_nothing_after_the_batch_in_progress():
    started, release, published = threading.Event(), threading.Event(), []

    def publish(batch):
        started.set()
        release.wait(5)
        published.append(batch)

    publisher = Publisher(publish)
    publisher.submit(1)
    started.wait(5)
    publisher.submit(2)  # queued behind batch 1
    threading.Timer(0.2, release.set).start()
    publisher.abandon()  # the reader failed: batch 1 completes, batch 2 is dropped
    assert published == [1]


def test_submit_waits_while_a_batch_is_already_queued():
    release, published = threading.Event(), []

    def publish(batch):
        release.wait(5)
        published.append(batch)

    publisher = Publisher(publish)
    publisher.submit(1)  # taken by the thread, blocked in publish
    publisher.submit(2)  # queued
    waiter = threading.Thread(target=publisher.submit, args=(3,))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # a third batch waits: reading stays at most one batch ahead
    release.set()
    waiter.join(5)
    publisher.finish()
    assert published == [1, 2, 3]
    assert publisher.waited_s > 0


class FakeConsumer:
    def __init__(self, queued):
        self.queued, self.waits = list(queued), []

    def consume(self, num_messages, timeout):
        if timeout:
            self.waits.append(timeout)
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken


def readers(*queues) -> PartitionReaders:
    r = PartitionReaders.__new__(PartitionReaders)  # no broker: the consumers are fakes
    r.topic, r.partitions, r.consumers, r._turn = "t", list(range(len(queues))), [FakeConsumer(q) for q in queues], 0
    return r


def test_readers_take_what_every_partition_has_fetched_up_to_the_limit():
    r = readers(["a1", "a2"], ["b1"], ["c1", "c2", "c3"])
    assert r.read(10, timeout=0.1) == ["a1", "a2", "b1", "c1", "c2", "c3"]
    r = readers(["a1", "a2"], ["b1"], ["c1", "c2", "c3"])
    assert r.read(4, timeout=0.1) == ["a1", "a2", "b1", "c1"]
    assert r.read(4, timeout=0.1) == ["c2", "c3"]  # the next call starts at the next partition
    assert all(not c.waits for c in r.consumers)  # nothing waited while something was fetched


def test_readers_wait_on_one_partition_only_when_none_has_anything():
    r = readers([], [], [])
    assert r.read(10, timeout=0.1) == []
    assert [c.waits for c in r.consumers] == [[0.1], [], []]
    assert r.read(10, timeout=0.1) == []
    assert [c.waits for c in r.consumers] == [[0.1], [0.1], []]
    assert r.read(0, timeout=0.1) == []
