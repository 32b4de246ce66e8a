"""`seeding.insert` on the real embedded MongoDB: numbering continues after deletes, never repeats."""

from __future__ import annotations

import datetime as dt
import json

from medallion_assets.dev import seeding, synthetic


def fingerprint(document: dict) -> str:
    """A document's content without what MongoDB or the clock adds (`_id`, `updated_at`)."""
    content = {k: v for k, v in document.items() if k not in ("_id", "updated_at")}
    return json.dumps(content, default=str, sort_keys=True, ensure_ascii=False)


def listing_numbers(documents: list[dict]) -> list[str]:
    return [d["Link"].rsplit("-pr", 1)[1] for d in documents if "Link" in d]


def test_insert_after_deletes_continues_after_the_highest_number_ever_generated(stack):
    with stack["mongo"].get_collection() as collection:
        assert seeding.insert(collection, 60, random_seed=5) == 60
        assert seeding.delete(collection, 20, random_seed=5) == 20
        # also withdraw the three newest listings, so the highest numbers are no longer in the collection
        newest = [d["_id"] for d in collection.find({}, {"_id": 1}).sort("_id", -1).limit(3)]
        assert collection.delete_many({"_id": {"$in": newest}}).deleted_count == 3
        remaining = list(collection.find())
        assert len(remaining) == 37

        assert seeding.insert(collection, 30, random_seed=5) == 30
        documents = list(collection.find())

    assert len(documents) == 67
    assert len({d["_id"] for d in documents}) == 67
    numbers = listing_numbers(documents)
    assert len(numbers) == len(set(numbers)) > 0
    fingerprints = [fingerprint(d) for d in documents]
    assert len(set(fingerprints)) == 67
    # exactly the 37 kept documents plus generator indices 60..89: nothing deleted came back
    expected_new = [fingerprint(d) for d in synthetic.generate_listings(30, random_seed=5, start_index=60)]
    assert sorted(fingerprints) == sorted([fingerprint(d) for d in remaining] + expected_new)
    ever_made = {fingerprint(d) for d in synthetic.generate_listings(60, random_seed=5)}
    assert not ever_made & set(expected_new)
    # the first fill is stamped over the past days (event times for the history); later inserts are stamped now
    first_fill = [d["updated_at"] for d in remaining]
    later = [d["updated_at"] for d in documents if fingerprint(d) in set(expected_new)]
    assert max(first_fill) - min(first_fill) > dt.timedelta(days=2)
    assert min(later) >= max(first_fill) and max(later) - min(later) < dt.timedelta(seconds=5)


def test_collection_seeded_before_the_state_record_continues_after_its_documents(stack):
    with stack["mongo"].get_collection() as collection:
        assert seeding.insert(collection, 12, random_seed=9) == 12
        # as if seeded by an older version: no record of the numbers handed out
        state = collection.database[seeding.SEEDING_STATE]
        assert state.delete_one({"_id": collection.name}).deleted_count == 1
        assert seeding.insert(collection, 8, random_seed=9) == 8
        documents = list(collection.find())
        assert state.find_one({"_id": collection.name})["next_index"] == 20

    assert len(documents) == 20
    expected = [fingerprint(d) for d in synthetic.generate_listings(20, random_seed=9)]
    assert sorted(fingerprint(d) for d in documents) == sorted(expected)
