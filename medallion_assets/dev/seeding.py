"""Writing source documents into MongoDB: synthetic listings, reprices, deletes, JSON Lines files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from pymongo import ReturnDocument
from pymongo.collection import Collection

from medallion_assets.dev import synthetic
from medallion_assets.lib.errors import MedallionError

INSERT_CHUNK = 1000
# A collection next to the source with one document per seeded collection: {_id: name, next_index: n}.
SEEDING_STATE = "medallion_seeding"
# Called with the number of documents just written (dev/progress.Progress.advance fits).
OnProgress = Callable[[int], None]


def _nothing(_count: int) -> None:
    pass


def insert(collection: Collection, count: int, random_seed: int = 42, on_progress: OnProgress = _nothing) -> int:
    """Append `count` synthetic listings, numbered after the highest number ever generated in `collection`.

    The first fill of a collection spreads `updated_at` over the past days (synthetic.UPDATED_SPREAD_DAYS), so
    the listing history and the daily market pulse of a fresh pipeline cover several days; later inserts are
    new listings, stamped now: a past stamp below what the watermark fallback of ingestion already shipped
    would hide them from it.
    """
    if count < 0:
        raise ValueError("count must be non-negative")
    start = _reserve_indices(collection, count)
    spread = synthetic.UPDATED_SPREAD_DAYS if start == 0 else 0
    documents = synthetic.generate_listings(count, random_seed=random_seed, start_index=start, spread_days=spread)
    inserted = 0
    while chunk := list(islice(documents, INSERT_CHUNK)):
        written = len(collection.insert_many(chunk, ordered=True).inserted_ids)
        inserted += written
        on_progress(written)
    return inserted


def _reserve_indices(collection: Collection, count: int) -> int:
    """Reserve generator indices [start, start + count) for `collection` and return start.

    Why not the document count: after deletes it falls below numbers already used, and the generator
    would make those listings again. Why a state record: only crawled documents carry their index (in
    the Link's pr number); structured ones carry none, and deleting the newest loses it anyway. A
    collection seeded before the record existed starts after the highest index its Links show, and
    never below its count (what the numbering used to be).
    """
    state = collection.database[SEEDING_STATE]
    if state.find_one({"_id": collection.name}) is None:
        crawled = collection.find({"Link": {"$exists": True}}, {"Link": 1})
        highest = max((i for i in (synthetic.link_index(d.get("Link")) for d in crawled) if i is not None), default=-1)
        floor = max(collection.count_documents({}), highest + 1)
        state.update_one({"_id": collection.name}, {"$setOnInsert": {"next_index": floor}}, upsert=True)
    before = state.find_one_and_update(
        {"_id": collection.name}, {"$inc": {"next_index": count}}, return_document=ReturnDocument.BEFORE
    )
    return before["next_index"]


def _all_ids(collection: Collection) -> list:
    return [d["_id"] for d in collection.find({}, {"_id": 1})]


def reprice(collection: Collection, count: int, random_seed: int = 42, on_progress: OnProgress = _nothing) -> int:
    """Give `count` existing listings a new price, as a re-posted listing would, stamped now (after the version
    it changes: seeded documents are stamped at most now)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    changed = 0
    for document_id, factor in synthetic.reprice_plan(_all_ids(collection), count, random_seed):
        document = collection.find_one({"_id": document_id})
        if document is not None:
            # A re-posted listing replaces the whole document. (nx-27017 also ignores `$set` on
            # non-ASCII keys such as "Mức giá", so a replace is the portable way here.)
            new_fields = synthetic.reprice_document(document, factor, now=now)["$set"]
            changed += collection.replace_one({"_id": document_id}, {**document, **new_fields}).modified_count
        on_progress(1)
    return changed


def delete(collection: Collection, count: int, random_seed: int = 42, on_progress: OnProgress = _nothing) -> int:
    """Delete `count` existing listings, as withdrawn listings would be."""
    ids = synthetic.delete_plan(_all_ids(collection), count, random_seed)
    deleted = 0
    for start in range(0, len(ids), INSERT_CHUNK):
        chunk = ids[start : start + INSERT_CHUNK]
        deleted += collection.delete_many({"_id": {"$in": chunk}}).deleted_count
        on_progress(len(chunk))
    return deleted


def load_file(
    collection: Collection, path: str, on_progress: OnProgress = _nothing, on_total: Callable[[int], None] = _nothing
) -> tuple[int, list[tuple[int, str]]]:
    """Load a JSON Lines file as it is; returns (documents loaded, [(line, reason)] of bad lines)."""
    if not Path(path).is_file():
        raise MedallionError(f"no such file: {path}")
    documents, errors = synthetic.read_jsonl(path)
    on_total(len(documents))
    loaded = 0
    for start in range(0, len(documents), INSERT_CHUNK):
        written = len(collection.insert_many(documents[start : start + INSERT_CHUNK], ordered=True).inserted_ids)
        loaded += written
        on_progress(written)
    return loaded, errors
