"""Lost change-stream history (MongoDB error 286): ingestion takes a new snapshot by itself and tombstones
what it no longer holds, also when the run doing it is killed halfway."""

from __future__ import annotations

import dagster as dg
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from medallion_assets.defs.bronze import assets as bronze_assets
from medallion_assets.defs.ingestion import assets as ingestion
from medallion_assets.defs.silver import assets as silver_assets
from medallion_assets.defs.source import assets as source
from medallion_assets.dev import seeding
from medallion_assets.lib import cdc, warehouse
from medallion_assets.lib.errors import MedallionError
from tests.helpers import mongo_ids, query

DEFS = [
    source.warehouse_schema,
    ingestion.data_ingestion,
    bronze_assets.bronze_real_estate,
    silver_assets.silver_real_estate,
]


def run(stack, **ingest_config) -> dg.ExecuteInProcessResult:
    config = {"data_ingestion": {"config": ingest_config}} if ingest_config else {}
    return dg.materialize(DEFS, resources=stack, run_config={"ops": config}, raise_on_error=False)


def silver_ids(stack) -> set[str]:
    return {
        r[0]
        for r in query(
            stack,
            "SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE kafka_topic = %(t)s",
            {"t": stack["kafka"].topic},
        )
    }


def tombstone_ids(stack) -> list[str]:
    sql = "SELECT id AS id FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(t)s AND op = 'd' ORDER BY id"
    return [r[0] for r in query(stack, sql, {"t": stack["kafka"].topic})]


def stored_cursor(stack) -> cdc.Cursor:
    with warehouse.connect(stack["snowflake"], schema="RAW_DB.LANDING") as conn:
        return cdc.load_cursor(conn, stack["mongo"].source_name, stack["kafka"].topic)


def test_lost_history_takes_a_new_snapshot_and_tombstones_what_was_deleted_meanwhile(stack, monkeypatch):
    with stack["mongo"].get_collection() as collection:
        seeding.insert(collection, 300, 11)
    assert run(stack).success
    assert silver_ids(stack) == mongo_ids(stack) and len(silver_ids(stack)) == 300
    stale = cdc._loads(stored_cursor(stack).resume_token)

    # while nothing runs: 7 deletions and 4 new listings, and then the server drops that history
    with stack["mongo"].get_collection() as collection:
        ids = [d["_id"] for d in collection.find({}, {"_id": 1})]
        deleted = sorted(str(i) for i in seeding.synthetic.delete_plan(ids, 7, 5))
        assert seeding.delete(collection, 7, random_seed=5) == 7
        seeding.insert(collection, 4, 12)
    real_watch = Collection.watch

    def watch(self, *args, **kwargs):
        if kwargs.get("resume_after") == stale:
            raise OperationFailure("Resume of change stream was not possible", code=286)
        return real_watch(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "watch", watch)

    # the run doing the new snapshot dies halfway (its third acknowledgement fails)
    real_acknowledge, calls = cdc.KafkaSender.acknowledge, []

    def acknowledge(self):
        calls.append(1)
        if len(calls) == 3:
            raise MedallionError("killed")
        real_acknowledge(self)

    monkeypatch.setattr(cdc.KafkaSender, "acknowledge", acknowledge)
    assert not run(stack, batch_size=50, acknowledge_every=100).success
    halfway = stored_cursor(stack)
    assert halfway.phase == "snapshot" and halfway.snapshot_last_id is not None
    assert "no longer holds the stored resume token" in halfway.resnapshot_reason
    assert tombstone_ids(stack) == []

    monkeypatch.setattr(cdc.KafkaSender, "acknowledge", real_acknowledge)
    result = run(stack, batch_size=50)
    assert result.success
    meta = result.asset_materializations_for_node("data_ingestion")[0].metadata
    assert "no longer holds the stored resume token (code 286" in meta["resnapshot_reason"].value
    assert meta["resnapshot_tombstones"].value == 7
    assert meta["cdc_phase"].value == "stream"
    assert tombstone_ids(stack) == deleted  # exactly the ids deleted while the history was lost
    assert silver_ids(stack) == mongo_ids(stack) and len(silver_ids(stack)) == 297
    after = stored_cursor(stack)
    assert after.phase == "stream" and after.resnapshot_reason is None

    # and the stream goes on from the new token: nothing more is sent
    again = run(stack)
    assert again.success
    assert "resnapshot_reason" not in again.asset_materializations_for_node("data_ingestion")[0].metadata
    assert tombstone_ids(stack) == deleted and silver_ids(stack) == mongo_ids(stack)
