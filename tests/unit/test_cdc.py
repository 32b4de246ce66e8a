"""Change data capture without MongoDB or Kafka (lib/cdc.py): message keys and values, the stored cursor,
the snapshot reader over an in-memory collection and the sender over a recording producer."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import bson
import pytest
from bson import ObjectId
from bson.decimal128 import Decimal128

from medallion_assets.lib import mongo
from medallion_assets.lib.cdc import (
    Batch,
    Change,
    ChangeReader,
    Cursor,
    KafkaSender,
    _dumps,
    _loads,
    document_json,
    document_key,
)
from medallion_assets.lib.errors import MedallionError

OID = ObjectId("65a1b2c3d4e5f60718293a4b")


# --- keys and values ----------------------------------------------------------------------------------


def test_document_key_for_each_kind_of_id():
    assert document_key(OID) == "65a1b2c3d4e5f60718293a4b"
    assert document_key("listing-7") == "listing-7"
    assert document_key(42) == "~num:42"
    assert document_key(4.5) == "~num:4.5"
    assert document_key(True) == "~bool:true"
    # compound ids: JSON with sorted keys, so the same id always gives the same key
    assert document_key({"b": 1, "a": "x"}) == '~doc:{"a": "x", "b": 1}'
    assert document_key({"a": "x", "b": 1}) == '~doc:{"a": "x", "b": 1}'
    assert document_key({"src": OID, "n": 2}) == '~doc:{"n": 2, "src": "65a1b2c3d4e5f60718293a4b"}'
    assert document_key(dt.datetime(2024, 1, 2)) == "~date:2024-01-02T00:00:00"
    assert document_key("~num:42") == "~str:~num:42"  # a string that looks like a tagged key stays apart


def test_distinct_mongodb_ids_get_distinct_keys_and_equal_ones_the_same():
    # MongoDB keeps each of these as a document of its own (they differ in type), so each needs its own key:
    # one key for two of them would fold two listings into one silver row
    distinct = [42, "42", 4.5, "4.5", True, "true", 1, {"a": 1}, '{"a": 1}', "~num:42", dt.datetime(2024, 1, 2)]
    keys = [document_key(i) for i in distinct]
    assert len(set(keys)) == len(distinct), keys
    # numbers equal in value are one _id in MongoDB (a duplicate-key error): one key
    assert document_key(42) == document_key(42.0) == document_key(bson.Int64(42)) == document_key(Decimal128("42"))
    assert document_key(4.5) == document_key(Decimal128("4.5"))


def test_document_json_exact_bytes():
    document = {
        "_id": OID,
        "when": dt.datetime(2024, 1, 2, 3, 4, 5),
        "aware": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 2),
        "price": Decimal128("1234.50"),
        "exact": Decimal("0.10"),
        "blob": b"\x00\x01\xff",
        "name": "Hà Nội",
        "ref": uuid.UUID(int=1),
        "nested": {"oid": OID, "list": [1, None, True]},
    }
    expected = (
        '{"_id": "65a1b2c3d4e5f60718293a4b", "when": "2024-01-02T03:04:05", '
        '"aware": "2024-01-02T03:04:05+00:00", "day": "2024-01-02", "price": "1234.50", "exact": "0.10", '
        '"blob": "AAH/", "name": "Hà Nội", "ref": "00000000-0000-0000-0000-000000000001", '
        '"nested": {"oid": "65a1b2c3d4e5f60718293a4b", "list": [1, null, true]}}'
    )
    assert document_json(document) == expected.encode("utf-8")
    assert document["_id"] is OID  # the caller's document is not changed


def test_document_json_id_matches_the_key_for_every_kind_of_id():
    assert document_json({"_id": 42, "a": 1}) == b'{"_id": "~num:42", "a": 1}'
    assert document_json({"a": 1, "_id": "s"}) == b'{"a": 1, "_id": "s"}'  # _id keeps its place
    assert document_json({"_id": {"y": 2, "x": 1}}) == b'{"_id": "~doc:{\\"x\\": 1, \\"y\\": 2}"}'


def test_document_json_refuses_nan():
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        document_json({"_id": 1, "price": float("nan")})


# --- the cursor ---------------------------------------------------------------------------------------


def test_cursor_encoding_round_trip_keeps_types_and_holds_no_dollar():
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 123000)
    for value in (OID, when, [when, OID], {"_data": "8265A1B2C3000000012B"}, 17, "text"):
        text = _dumps(value)
        assert "$" not in text
        assert _loads(text) == value
        assert type(_loads(text)) is type(value)
    mark = _loads(_dumps([when, OID]))
    assert type(mark[0]) is dt.datetime and type(mark[1]) is ObjectId
    # exact text for one value, so a change of encoding shows here (stored cursors would not load)
    # BSON {"v": ObjectId}: int32 length 20 = 4 + type 1 + "v\0" 2 + 12 bytes + terminator 1 -> "FAAAAA..."
    assert _dumps(OID) == "FAAAAAd2AGWhssPU5fYHGCk6SwA="


def test_cursor_encoding_keeps_bson_precision_only():
    # BSON datetimes hold milliseconds and no zone: microseconds are cut, an aware time comes back as naive UTC
    assert _loads(_dumps(dt.datetime(2024, 1, 2, 3, 4, 5, 123456))) == dt.datetime(2024, 1, 2, 3, 4, 5, 123000)
    aware = dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert _loads(_dumps(aware)) == dt.datetime(2024, 1, 2, 3, 0)


def test_cursor_describe():
    assert Cursor("snapshot").describe() == "snapshot after _id (start)"
    assert Cursor("snapshot", snapshot_last_id=_dumps(OID)).describe() == (
        'snapshot after _id {"$oid": "65a1b2c3d4e5f60718293a4b"}'
    )
    assert Cursor("snapshot", snapshot_last_id=_dumps(12)).describe() == "snapshot after _id 12"
    assert Cursor("stream").describe() == "change stream after token (start)"
    assert Cursor("stream", resume_token=_dumps({"_data": "82AB"})).describe() == (
        'change stream after token {"_data": "82AB"}'
    )
    mark = _dumps([dt.datetime(2024, 1, 2, 3, 4, 5, 123000), OID])
    assert Cursor("watermark", watermark_value=mark).describe() == (
        'watermark [{"$date": "2024-01-02T03:04:05.123Z"}, {"$oid": "65a1b2c3d4e5f60718293a4b"}]'
    )
    assert Cursor("watermark").describe() == "watermark (start)"


# --- reading: a collection in memory ------------------------------------------------------------------


def _matches(document: dict, query: dict) -> bool:
    for name, condition in query.items():
        ops = condition if isinstance(condition, dict) else {"$eq": condition}
        for op, operand in ops.items():
            present = name in document
            value = document.get(name)
            if op == "$exists":
                ok = present == operand
            elif not present:
                ok = False
            elif op == "$gt":
                ok = value > operand
            elif op == "$gte":
                ok = value >= operand
            elif op == "$eq":
                ok = value == operand
            else:
                raise AssertionError(f"the fake collection does not know {op}")
            if not ok:
                return False
    return True


def _order(documents: list[dict], keys) -> list[dict]:
    if isinstance(keys, str):
        keys = [(keys, 1)]
    for name, direction in reversed(list(keys)):
        documents = sorted(documents, key=lambda d, n=name: d[n], reverse=direction < 0)
    return documents


class FakeCursor:
    def __init__(self, documents: list[dict]):
        self.documents = documents

    def sort(self, keys, direction=None):
        self.documents = _order(self.documents, [(keys, direction)] if direction is not None else keys)
        return self

    def batch_size(self, _size):
        return self

    def limit(self, n):
        self.documents = self.documents[:n]
        return self

    def __iter__(self):
        return iter(list(self.documents))


class FakeCollection:
    """find / find_one over a list, for the queries ChangeReader sends; no change streams."""

    def __init__(self, documents: list[dict]):
        self.documents = documents
        self.queries: list[dict] = []

    def find(self, query=None, projection=None):
        self.queries.append(query or {})
        return FakeCursor([d for d in self.documents if _matches(d, query or {})])

    def find_one(self, query=None, projection=None, sort=None):
        found = [d for d in self.documents if _matches(d, query or {})]
        found = _order(found, sort) if sort else found
        return found[0] if found else None

    def watch(self, *args, **kwargs):
        raise AssertionError("watermark mode must not open a change stream")


def listings(n: int) -> list[dict]:
    base = dt.datetime(2024, 5, 1)
    return [
        {
            "_id": ObjectId(f"{i + 1:024x}"),
            "title": f"flat {i + 1}",
            "updated_at": base + dt.timedelta(minutes=i),
        }
        for i in range(n)
    ]


def test_snapshot_batches_are_exactly_batch_size_and_the_cursor_follows_the_last_id():
    documents = listings(7)
    reader = ChangeReader(FakeCollection(list(reversed(documents))), batch_size=3, cdc_mode="watermark")
    start = reader.initial_cursor()
    assert start == Cursor("snapshot", watermark_value=_dumps([documents[6]["updated_at"], documents[6]["_id"]]))
    batches = list(reader.batches(start))
    # 7 documents: 3 + 3 + 1, then the phase change (no changes), then nothing newer in watermark mode
    assert [len(b.changes) for b in batches] == [3, 3, 1, 0]
    shipped = [c for b in batches for c in b.changes]
    assert [c.key for c in shipped] == [f"{i:024x}" for i in range(1, 8)]  # in _id order
    assert {c.op for c in shipped} == {"r"}
    assert shipped[0].value == (
        b'{"_id": "000000000000000000000001", "title": "flat 1", "updated_at": "2024-05-01T00:00:00"}'
    )
    for batch, last, sent in zip(batches[:3], (documents[2], documents[5], documents[6]), (3, 6, 7)):
        assert batch.cursor_after.phase == "snapshot"
        assert _loads(batch.cursor_after.snapshot_last_id) == last["_id"]
        assert batch.cursor_after.watermark_value == start.watermark_value  # carried to the watermark phase
        assert batch.cursor_after.documents_sent == sent
        assert batch.skipped == 0
    # the phase change keeps the count of documents sent (it fell back to 0 before a fix in cdc.py)
    assert batches[3].cursor_after == Cursor("watermark", watermark_value=start.watermark_value, documents_sent=7)
    assert reader.stats["snapshot"] == 7


def test_snapshot_resumes_after_the_stored_id():
    documents = listings(7)
    collection = FakeCollection(documents)
    reader = ChangeReader(collection, batch_size=3, cdc_mode="watermark")
    first = next(reader.batches(reader.initial_cursor()))
    rest = list(ChangeReader(collection, batch_size=3, cdc_mode="watermark").batches(first.cursor_after))
    assert [c.key for b in rest for c in b.changes] == [f"{i:024x}" for i in range(4, 8)]
    assert [len(b.changes) for b in rest] == [3, 1, 0]
    assert rest[1].cursor_after.documents_sent == 7
    assert rest[2].cursor_after.documents_sent == 7
    assert collection.queries[1] == {"_id": {"$gt": documents[2]["_id"]}}


def test_exact_multiple_of_batch_size_has_no_empty_snapshot_batch():
    reader = ChangeReader(FakeCollection(listings(6)), batch_size=3, cdc_mode="watermark")
    batches = list(reader.batches(reader.initial_cursor()))
    assert [len(b.changes) for b in batches] == [3, 3, 0]
    assert batches[-1].cursor_after.phase == "watermark"
    assert batches[-1].cursor_after.documents_sent == 6


def test_snapshot_without_a_watermark_then_ships_every_watermarked_document_again():
    # a cursor that never recorded where the watermark stood (no initial_cursor) has nothing to compare
    # with, so the watermark phase re-sends every document that has the field: at-least-once, not lost
    documents = listings(3)
    reader = ChangeReader(FakeCollection(documents), batch_size=2, cdc_mode="watermark")
    batches = list(reader.batches(Cursor("snapshot")))
    assert [(len(b.changes), b.cursor_after.phase, b.cursor_after.documents_sent) for b in batches] == [
        (2, "snapshot", 2),
        (1, "snapshot", 3),
        (0, "watermark", 3),
        (2, "watermark", 5),
        (1, "watermark", 6),
    ]
    assert [c.op for c in batches[3].changes] == ["u", "u"]


def test_watermark_mode_from_the_initial_cursor_ships_only_later_changes():
    documents = listings(4)
    collection = FakeCollection(documents)
    reader = ChangeReader(collection, batch_size=10, cdc_mode="watermark")
    cursor = reader.initial_cursor()
    assert _loads(cursor.watermark_value) == [documents[-1]["updated_at"], documents[-1]["_id"]]
    batches = list(reader.batches(cursor))
    assert [len(b.changes) for b in batches] == [4, 0]
    after = batches[-1].cursor_after
    assert after.phase == "watermark" and after.documents_sent == 4
    assert after.watermark_value == cursor.watermark_value
    # listing 2 changes after the snapshot: the next run ships it, once, as an update
    documents[1] = {**documents[1], "title": "flat 2, renovated", "updated_at": dt.datetime(2024, 5, 2)}
    later = list(ChangeReader(collection, batch_size=10, cdc_mode="watermark").batches(after))
    assert len(later) == 1
    assert [(c.key, c.op) for c in later[0].changes] == [(f"{2:024x}", "u")]
    assert later[0].cursor_after.documents_sent == 5
    assert _loads(later[0].cursor_after.watermark_value) == [dt.datetime(2024, 5, 2), documents[1]["_id"]]
    assert list(ChangeReader(collection, batch_size=10, cdc_mode="watermark").batches(later[0].cursor_after)) == []


def test_first_pending_in_snapshot_phase():
    documents = listings(4)
    reader = ChangeReader(FakeCollection(documents), batch_size=3, cdc_mode="watermark")
    assert reader.first_pending(None) == f"initial:{1:024x}"
    assert reader.first_pending(Cursor("snapshot")) == f"snapshot:{1:024x}"
    after_two = Cursor("snapshot", snapshot_last_id=_dumps(documents[1]["_id"]))
    assert reader.first_pending(after_two) == f"snapshot:{3:024x}"
    done = Cursor("snapshot", snapshot_last_id=_dumps(documents[3]["_id"]))
    assert reader.first_pending(done) == f"snapshot-end:{done.snapshot_last_id}"
    assert ChangeReader(FakeCollection([]), batch_size=3).first_pending(None) is None


def test_first_pending_after_lost_history_asks_for_a_run():
    """The stored token is gone from the server (error 286): the sensor must still request the run that takes
    the new snapshot, under a key that stays the same until that run moved the cursor."""
    from pymongo.errors import OperationFailure

    class HistoryGone(FakeCollection):
        def watch(self, *args, **kwargs):
            raise OperationFailure("resume point may no longer be in the oplog", code=286)

    stream = Cursor("stream", resume_token=_dumps({"_data": "8263A1"}))
    reader = ChangeReader(HistoryGone(listings(2)), batch_size=3)
    assert reader.first_pending(stream) == f"history-lost:{stream.resume_token}"

    class Broken(FakeCollection):
        def watch(self, *args, **kwargs):
            raise OperationFailure("not authorized", code=13)

    with pytest.raises(OperationFailure):
        ChangeReader(Broken([]), batch_size=3).first_pending(stream)


# --- sending: a producer that records -----------------------------------------------------------------


class FakeError:
    def __init__(self, text: str):
        self.text = text

    def str(self) -> str:
        return self.text


class FakeProducer:
    """Records produce/poll/flush. Deliveries are reported on poll/flush; `reject` maps a key to a broker
    error, `buffer_full` makes that many produce calls raise BufferError first, `unflushed` is what
    flush reports as still in the queue."""

    def __init__(self, reject=None, buffer_full=0, unflushed=0):
        self.reject = reject or {}
        self.buffer_full = buffer_full
        self.unflushed = unflushed
        self.produced: list[dict] = []
        self.calls: list[tuple] = []
        self._pending: list[tuple] = []

    def produce(self, topic, key=None, value=None, headers=None, on_delivery=None):
        self.calls.append(("produce", key))
        if self.buffer_full:
            self.buffer_full -= 1
            raise BufferError("Local: Queue full")
        self.produced.append({"topic": topic, "key": key, "value": value, "headers": headers})
        self._pending.append((key, on_delivery))

    def _deliver(self):
        pending, self._pending = self._pending, []
        for key, callback in pending:
            error = self.reject.get(key)
            callback(FakeError(error) if error else None, None)

    def poll(self, timeout):
        self.calls.append(("poll", timeout))
        self._deliver()
        return 0

    def flush(self, timeout):
        self.calls.append(("flush", timeout))
        self._deliver()
        return self.unflushed


CHANGES = [
    Change("a", b'{"_id": "a"}', "r"),
    Change("b", None, "d"),
    Change("c", b'{"_id": "c"}', "u"),
]


def test_send_queues_every_change_and_acknowledge_clears_unconfirmed():
    producer = FakeProducer()
    sender = KafkaSender(producer, "listings", flush_timeout_s=5.0)
    sender.send(CHANGES)
    assert producer.produced == [
        {"topic": "listings", "key": b"a", "value": b'{"_id": "a"}', "headers": [("op", b"r")]},
        {"topic": "listings", "key": b"b", "value": None, "headers": [("op", b"d")]},
        {"topic": "listings", "key": b"c", "value": b'{"_id": "c"}', "headers": [("op", b"u")]},
    ]
    assert producer.calls[-1] == ("poll", 0)
    assert sender.unconfirmed == 3  # queued is not confirmed
    sender.send(CHANGES[:1])
    assert sender.unconfirmed == 4
    sender.acknowledge()
    assert producer.calls[-1] == ("flush", 5.0)
    assert sender.unconfirmed == 0
    assert sender.failures == []


def test_send_waits_out_a_full_local_queue():
    producer = FakeProducer(buffer_full=2)
    sender = KafkaSender(producer, "listings", flush_timeout_s=5.0)
    sender.send(CHANGES)
    assert producer.calls == [
        ("produce", b"a"),
        ("poll", 0.1),
        ("produce", b"a"),
        ("poll", 0.1),
        ("produce", b"a"),
        ("produce", b"b"),
        ("produce", b"c"),
        ("poll", 0),
    ]
    assert [m["key"] for m in producer.produced] == [b"a", b"b", b"c"]  # each sent once
    assert sender.unconfirmed == 3


def test_acknowledge_raises_when_the_broker_rejected_a_message():
    producer = FakeProducer(reject={b"b": "Broker: Message size too large"})
    sender = KafkaSender(producer, "listings", flush_timeout_s=5.0, server="127.0.0.1:9092")
    sender.send(CHANGES)
    with pytest.raises(MedallionError) as excinfo:
        sender.acknowledge()
    assert str(excinfo.value) == (
        "Kafka at 127.0.0.1:9092 rejected 1 messages to listings, e.g. Broker: Message size too large; "
        "the cursor stays at the last acknowledged message"
    )
    assert sender.unconfirmed == 3
    assert sender.failures == ["Broker: Message size too large"]


def test_acknowledge_raises_when_the_broker_did_not_confirm_in_time():
    producer = FakeProducer(unflushed=2)
    sender = KafkaSender(producer, "listings", flush_timeout_s=2.5, server="127.0.0.1:9092")
    sender.send(CHANGES)
    with pytest.raises(MedallionError) as excinfo:
        sender.acknowledge()
    assert str(excinfo.value) == (
        "Kafka at 127.0.0.1:9092 did not acknowledge 2 messages to listings within 2.5s; "
        "the cursor stays at the last acknowledged message, rerun once it answers"
    )
    assert sender.unconfirmed == 3


def test_reader_and_sender_together_ship_every_document_once():
    documents = listings(5)
    producer = FakeProducer()
    sender = KafkaSender(producer, "listings", flush_timeout_s=1.0)
    saved: list[Cursor] = []
    reader = ChangeReader(FakeCollection(documents), batch_size=2, cdc_mode="watermark")
    for batch in reader.batches(reader.initial_cursor()):
        assert isinstance(batch, Batch)
        sender.send(batch.changes)
        sender.acknowledge()
        saved.append(batch.cursor_after)
    assert [m["key"] for m in producer.produced] == [f"{i:024x}".encode() for i in range(1, 6)]
    assert [c.documents_sent for c in saved] == [2, 4, 5, 5]
    assert [c.phase for c in saved] == ["snapshot", "snapshot", "snapshot", "watermark"]


# --- event time: the change stream's time travels as the Kafka message timestamp -------------------------


def test_event_time_is_the_wall_time_else_the_cluster_time_in_epoch_milliseconds():
    wall = dt.datetime(2026, 11, 20, 10, 0, 0, 295000)  # naive = UTC, as pymongo returns dates
    assert mongo.event_time_ms({"wallTime": wall, "clusterTime": bson.Timestamp(1, 1)}) == 1_795_168_800_295
    # nx-27017 gives clusterTime as a date; MongoDB as a Timestamp of whole seconds
    assert mongo.event_time_ms({"clusterTime": wall}) == 1_795_168_800_295
    assert mongo.event_time_ms({"clusterTime": bson.Timestamp(1_795_168_800, 7)}) == 1_795_168_800_000
    assert mongo.event_time_ms({"clusterTime": wall.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))}) == (
        1_795_168_800_295 - 7 * 3600 * 1000
    )
    assert mongo.event_time_ms({}) is None


class TimedProducer(FakeProducer):
    def produce(self, topic, key=None, value=None, headers=None, on_delivery=None, **kwargs):
        super().produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
        self.produced[-1].update(kwargs)


def test_send_gives_a_change_with_an_event_time_that_message_timestamp():
    producer = TimedProducer()
    KafkaSender(producer, "listings", flush_timeout_s=5.0).send(
        [Change("a", b"{}", "u", 1_795_168_800_295), Change("b", None, "d")]
    )
    assert [(m["key"], m.get("timestamp")) for m in producer.produced] == [(b"a", 1_795_168_800_295), (b"b", None)]
