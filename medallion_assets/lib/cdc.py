"""Change data capture from MongoDB to Kafka messages: the reading, the cursor and the sending.

The way Debezium and Airbyte read MongoDB: a first snapshot pages through the
collection by ``_id``; after it, inserts, updates and deletes follow from a
change stream resumed from a stored token. On a server without change streams
a watermark field (``updated_at`` by default) is the weaker fallback: it sees
new and changed documents but no deletes.

Every message is keyed by the document id, so all versions of a listing stay in one partition in order; a delete
is a tombstone (no value); a change-stream event's time is the message timestamp (mongo.event_time_ms). The cursor
lives in the warehouse (RAW_DB.LANDING.INGESTION_STATE) and moves only after the broker acknowledged every message
sent so far: a crash re-sends at most one group of `acknowledge_every` messages (at-least-once into Kafka; bronze
keeps one row per message, and silver keeps the latest version per id, so a re-sent batch changes no listing).
"""

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import bson
from bson import json_util
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from medallion_assets.lib import mongo, warehouse
from medallion_assets.lib.documents import document_json, document_key
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.prefetch import documents_ahead

CHANGE_STREAM_HISTORY_LOST = 286
OP_BY_EVENT = {"insert": "c", "update": "u", "replace": "u", "delete": "d"}


class HistoryLost(MedallionError):
    """The change stream no longer holds the stored resume token: only a new snapshot can catch up."""


# --- the stored cursor --------------------------------------------------------------


@dataclass
class Cursor:
    """Where the next run resumes; saved only after the broker acknowledged a batch."""

    phase: Literal["snapshot", "stream", "watermark"]
    snapshot_last_id: str | None = None  # extended JSON of the last _id shipped by the snapshot
    resume_token: str | None = None  # change-stream token (extended JSON)
    watermark_value: str | None = None  # watermark mode: extended JSON [value, last _id at that value]
    documents_sent: int = 0
    # set while a snapshot taken again runs (why); its end tombstones ids MongoDB no longer has
    resnapshot_reason: str | None = None

    def describe(self) -> str:
        def show(text):
            return json_util.dumps(_loads(text)) if text else "(start)"

        if self.phase == "snapshot":
            return f"snapshot after _id {show(self.snapshot_last_id)}"
        if self.phase == "stream":
            return f"change stream after token {show(self.resume_token)}"
        return f"watermark {show(self.watermark_value)}"


def load_cursor(conn, source_name: str, topic: str) -> Cursor | None:
    row = warehouse.fetch_one(conn, "ingestion/read_state", {"source_name": source_name, "kafka_topic": topic})
    return Cursor(**{k: v for k, v in row.items()}) if row else None


def cursor_state(source_name: str, topic: str, cursor: Cursor) -> dict:
    """The cursor as data_ingestion's materialization records it: the mirror mongo_changes_sensor reads instead
    of the warehouse (the warehouse's copy stays the one runs resume from)."""
    return {"source_name": source_name, "kafka_topic": topic, **cursor.__dict__}


def cursor_from_state(state, source_name: str, topic: str) -> Cursor | None:
    """The cursor a recorded `cursor_state` holds, or None when it is missing or for another source or topic."""
    if not isinstance(state, dict) or (state.get("source_name"), state.get("kafka_topic")) != (source_name, topic):
        return None
    return Cursor(**{k: v for k, v in state.items() if k in Cursor.__dataclass_fields__})


def live_ids(conn, topic: str) -> set[str]:
    return {r["id"] for r in warehouse.fetch_all(conn, "ingestion/live_ids", {"kafka_topic": topic})}


def save_cursor(conn, source_name: str, topic: str, cursor: Cursor) -> None:
    warehouse.execute(
        conn,
        "ingestion/save_state",
        {"source_name": source_name, "kafka_topic": topic, **cursor.__dict__},
    )


# --- reading changes from MongoDB ------------------------------------------------------


@dataclass
class Change:
    key: str
    value: bytes | None  # None = tombstone
    op: str  # r snapshot read, c insert, u update, d delete
    event_time_ms: int | None = None  # when it happened at the source (change stream), sent as the message time


@dataclass
class Batch:
    changes: list[Change]
    cursor_after: Cursor
    skipped: int = 0


def _dumps(value) -> str:
    """Cursor values as base64 BSON: keeps their exact type (ObjectId, datetime, token) and holds no
    '$' (the embedded warehouse mistakes '$name' inside string literals for a session variable)."""
    return base64.b64encode(bson.encode({"v": value})).decode()


def _loads(text: str):
    return bson.decode(base64.b64decode(text))["v"]


@dataclass
class ChangeReader:
    """Turns the collection's history since a cursor into batches of Kafka messages."""

    collection: Collection
    batch_size: int
    cdc_mode: Literal["auto", "change_stream", "watermark"] = "auto"
    watermark_field: str = "updated_at"
    # ids the warehouse holds as live (message keys); read at the end of a snapshot taken again
    live_ids: Callable[[], set[str]] | None = None
    stats: Counter = field(default_factory=Counter)

    def initial_cursor(self) -> Cursor:
        """Before the first snapshot: remember where the change log stands now, so nothing
        written while the snapshot runs is missed."""
        if self.cdc_mode != "watermark":
            try:
                with self.collection.watch(max_await_time_ms=50) as stream:
                    stream.try_next()
                    return Cursor(phase="snapshot", resume_token=_dumps(stream.resume_token))
            except OperationFailure as exc:
                if self.cdc_mode == "change_stream":
                    raise MedallionError(
                        f"the MongoDB server offers no change stream ({exc.details.get('errmsg', exc)}); "
                        "set cdc_mode to 'watermark' or 'auto'"
                    ) from None
        newest = self.collection.find_one(
            {self.watermark_field: {"$exists": True}}, sort=[(self.watermark_field, -1), ("_id", -1)]
        )
        mark = [newest[self.watermark_field], newest["_id"]] if newest else None
        return Cursor(phase="snapshot", watermark_value=_dumps(mark) if mark else None)

    def batches(self, cursor: Cursor) -> Iterator[Batch]:
        if cursor.phase == "snapshot":
            last = cursor
            for batch in self._snapshot(cursor):
                last = batch.cursor_after
                yield batch
            cursor = self._after_snapshot(last)  # the last batch's count, not the count before the snapshot
            if last.resnapshot_reason:
                # until the cursor leaves the snapshot, a crash re-sends these (a tombstone twice is harmless)
                yield Batch(self._vanished(), cursor)
            yield Batch([], cursor)  # the phase change itself is worth saving
        if cursor.phase == "stream":
            yield from self._stream(cursor)
        elif cursor.phase == "watermark":
            yield from self._watermark(cursor)

    def _after_snapshot(self, cursor: Cursor) -> Cursor:
        if cursor.resume_token is not None:
            return Cursor(phase="stream", resume_token=cursor.resume_token, documents_sent=cursor.documents_sent)
        return Cursor(phase="watermark", watermark_value=cursor.watermark_value, documents_sent=cursor.documents_sent)

    def _vanished(self) -> list[Change]:
        """Tombstones for ids the warehouse holds as live that the source no longer has: deleted while
        the change history was lost, their delete events will never come."""
        known = self.live_ids() if self.live_ids else set()
        present = {document_key(d["_id"]) for d in self.collection.find({}, {"_id": 1})}
        gone = sorted(known - present)
        self.stats["resnapshot_tombstone"] += len(gone)
        return [Change(key, None, "d") for key in gone]

    def _snapshot(self, cursor: Cursor) -> Iterator[Batch]:
        query = {"_id": {"$gt": _loads(cursor.snapshot_last_id)}} if cursor.snapshot_last_id else {}
        documents = self.collection.find(query).sort("_id", 1).batch_size(max(self.batch_size, 1000))
        chunk: list[dict] = []
        sent = cursor.documents_sent
        with documents_ahead(documents) as documents:  # MongoDB answers the next getMore while these are encoded
            for document in documents:
                chunk.append(document)
                if len(chunk) == self.batch_size:
                    sent += len(chunk)
                    yield self._snapshot_batch(chunk, cursor, sent)
                    chunk = []
        if chunk:
            sent += len(chunk)
            yield self._snapshot_batch(chunk, cursor, sent)

    def _snapshot_batch(self, chunk: list[dict], cursor: Cursor, sent: int) -> Batch:
        changes = [Change(document_key(d["_id"]), document_json(d), "r") for d in chunk]
        self.stats["snapshot"] += len(changes)
        after = Cursor(
            phase="snapshot",
            snapshot_last_id=_dumps(chunk[-1]["_id"]),
            resume_token=cursor.resume_token,
            watermark_value=cursor.watermark_value,
            documents_sent=sent,
            resnapshot_reason=cursor.resnapshot_reason,
        )
        return Batch(changes, after)

    def _stream(self, cursor: Cursor) -> Iterator[Batch]:
        token = _loads(cursor.resume_token)
        sent = cursor.documents_sent
        try:
            with self.collection.watch(
                full_document="updateLookup", resume_after=token, max_await_time_ms=200
            ) as stream:
                changes: list[Change] = []
                skipped = 0
                while True:
                    event = stream.try_next()
                    if event is not None:
                        change = self._event_change(event)
                        if change is None:
                            skipped += 1
                        else:
                            changes.append(change)
                    full = len(changes) + skipped >= self.batch_size
                    if (event is None or full) and (changes or skipped):
                        sent += len(changes)
                        yield Batch(
                            changes,
                            Cursor(phase="stream", resume_token=_dumps(stream.resume_token), documents_sent=sent),
                            skipped,
                        )
                        changes, skipped = [], 0
                    if event is None:
                        return
        except OperationFailure as exc:
            if exc.code == CHANGE_STREAM_HISTORY_LOST:
                raise HistoryLost(
                    "the MongoDB change stream no longer holds the stored resume token "
                    f"(code {exc.code}, oplog rolled over: {exc.details.get('errmsg', exc) if exc.details else exc})"
                ) from None
            raise

    def _event_change(self, event: dict) -> Change | None:
        op = OP_BY_EVENT.get(event.get("operationType"))
        if op is None:
            self.stats["ignored_event"] += 1
            return None
        document_id = event["documentKey"]["_id"]
        if op == "d":
            self.stats["delete"] += 1
            return Change(document_key(document_id), None, "d", mongo.event_time_ms(event))
        document = event.get("fullDocument")
        if document is None:  # deleted before the lookup; its delete event follows
            self.stats["gone_before_lookup"] += 1
            return None
        document = {**document, "_id": document_id}  # fullDocument._id can come back mangled
        self.stats["insert" if op == "c" else "update"] += 1
        return Change(document_key(document_id), document_json(document), op, mongo.event_time_ms(event))

    def _watermark(self, cursor: Cursor) -> Iterator[Batch]:
        mark = _loads(cursor.watermark_value) if cursor.watermark_value else None
        query = {self.watermark_field: {"$gte": mark[0]}} if mark else {self.watermark_field: {"$exists": True}}
        documents = self.collection.find(query).sort([(self.watermark_field, 1), ("_id", 1)])
        sent = cursor.documents_sent
        chunk: list[dict] = []
        with documents_ahead(documents.batch_size(max(self.batch_size, 1000))) as documents:
            for document in documents:
                if mark and (document[self.watermark_field], document["_id"]) <= (mark[0], mark[1]):
                    continue  # shipped already (servers may compare the field at coarser precision)
                chunk.append(document)
                if len(chunk) == self.batch_size:
                    sent += len(chunk)
                    yield self._watermark_batch(chunk, sent)
                    chunk = []
        if chunk:
            sent += len(chunk)
            yield self._watermark_batch(chunk, sent)

    def _watermark_batch(self, chunk: list[dict], sent: int) -> Batch:
        last = chunk[-1]
        self.stats["watermark"] += len(chunk)
        changes = [Change(document_key(d["_id"]), document_json(d), "u") for d in chunk]
        return Batch(
            changes,
            Cursor("watermark", watermark_value=_dumps([last[self.watermark_field], last["_id"]]), documents_sent=sent),
        )

    def first_pending(self, cursor: Cursor | None) -> str | None:
        """A stable name for the oldest change not shipped yet, or None when the topic is current.

        Sensors use it as a run key: until a run ships that change, every tick names the same
        change, so the same changes never start two runs. Reads one change at most.
        """
        if cursor is None:
            first = self.collection.find_one({}, {"_id": 1}, sort=[("_id", 1)])
            return f"initial:{document_key(first['_id'])}" if first else None
        if cursor.phase == "snapshot":
            query = {"_id": {"$gt": _loads(cursor.snapshot_last_id)}} if cursor.snapshot_last_id else {}
            nxt = self.collection.find_one(query, {"_id": 1}, sort=[("_id", 1)])
            return f"snapshot:{document_key(nxt['_id'])}" if nxt else f"snapshot-end:{cursor.snapshot_last_id}"
        if cursor.phase == "stream":
            try:
                with self.collection.watch(resume_after=_loads(cursor.resume_token), max_await_time_ms=50) as stream:
                    event = stream.try_next()
                    return f"stream:{json_util.dumps(event['_id'])}" if event is not None else None
            except OperationFailure as exc:  # a run must take the new snapshot (see HistoryLost)
                if exc.code == CHANGE_STREAM_HISTORY_LOST:
                    return f"history-lost:{cursor.resume_token}"
                raise
        mark = _loads(cursor.watermark_value) if cursor.watermark_value else None
        query = {self.watermark_field: {"$gte": mark[0]}} if mark else {self.watermark_field: {"$exists": True}}
        for document in self.collection.find(query).sort([(self.watermark_field, 1), ("_id", 1)]).limit(1000):
            if not mark or (document[self.watermark_field], document["_id"]) > (mark[0], mark[1]):
                return f"watermark:{document[self.watermark_field].isoformat()}:{document_key(document['_id'])}"
        return None


# --- shipping to Kafka --------------------------------------------------------------------


class KafkaSender:
    """Queues messages on an idempotent producer and confirms them in groups.

    `acknowledge` returns only when the broker confirmed every queued message; the
    caller saves its cursor after that, never before.
    """

    def __init__(self, producer, topic: str, flush_timeout_s: float, server: str = "the broker"):
        self.producer, self.topic, self.flush_timeout_s = producer, topic, flush_timeout_s
        self.server = server  # bootstrap servers, named in errors
        self.unconfirmed = 0
        self.failures: list[str] = []

    def _on_delivery(self, err, _msg) -> None:
        if err is not None:
            self.failures.append(err.str())

    def send(self, changes: list[Change]) -> None:
        for change in changes:
            while True:
                try:
                    self.producer.produce(
                        self.topic,
                        key=change.key.encode(),
                        value=change.value,
                        headers=[("op", change.op.encode())],
                        on_delivery=self._on_delivery,
                        **({"timestamp": change.event_time_ms} if change.event_time_ms is not None else {}),
                    )
                    break
                except BufferError:  # local queue full: let deliveries drain
                    self.producer.poll(0.1)
        self.producer.poll(0)
        self.unconfirmed += len(changes)

    def acknowledge(self) -> None:
        remaining = self.producer.flush(self.flush_timeout_s)
        if remaining:
            raise MedallionError(
                f"Kafka at {self.server} did not acknowledge {remaining} messages to {self.topic} within "
                f"{self.flush_timeout_s}s; the cursor stays at the last acknowledged message, rerun once it answers"
            )
        if self.failures:
            raise MedallionError(
                f"Kafka at {self.server} rejected {len(self.failures)} messages to {self.topic}, "
                f"e.g. {self.failures[0]}; the cursor stays at the last acknowledged message"
            )
        self.unconfirmed = 0
