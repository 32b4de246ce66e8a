"""Mongo -> Kafka -> bronze against the real embedded servers: counts, versions, crashes, poison."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from medallion_assets.defs.bronze import assets as bronze_assets
from medallion_assets.defs.bronze import checks as bronze_checks
from medallion_assets.defs.ingestion import assets as ingestion
from medallion_assets.defs.source import assets as source
from medallion_assets.dev import seeding
from medallion_assets.lib import warehouse
from tests.helpers import ingest, mongo_ids, query, seed

BRONZE_CHECKS = [
    bronze_checks.bronze_offsets_unique,
    bronze_checks.bronze_offsets_contiguous,
    bronze_checks.bronze_covers_source,
    bronze_checks.bronze_reject_rate,
]


def bronze_rows(stack) -> list[tuple]:
    """(id, op, partition, offset, raw price fields) of this test's topic."""
    return query(
        stack,
        "SELECT id AS id, op AS op, kafka_partition AS p, kafka_offset AS o, raw_data:price::VARCHAR AS price, "
        'raw_data:"Mức giá"::VARCHAR AS gia FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(t)s '
        "ORDER BY kafka_partition, kafka_offset",
        {"t": stack["kafka"].topic},
    )


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}


def test_seed_ingest_bronze_exactly_n_then_rerun_adds_none_then_n_more(stack):
    assert seed(stack, 1500) == 1500
    result = ingest(stack, *BRONZE_CHECKS)
    assert result.success
    rows = bronze_rows(stack)
    assert len(rows) == 1500
    assert {r[0] for r in rows} == mongo_ids(stack)
    assert {r[1] for r in rows} == {"r"}  # all from the snapshot
    assert check_results(result) == {
        "bronze_offsets_unique": True,
        "bronze_offsets_contiguous": True,
        "bronze_covers_source": True,
        "bronze_reject_rate": True,
    }
    ingest_meta = result.asset_materializations_for_node("data_ingestion")[0].metadata
    assert ingest_meta["messages_sent"].value == 1500
    assert ingest_meta["cdc_phase"].value == "stream"

    rerun = ingest(stack)
    assert rerun.success
    assert len(bronze_rows(stack)) == 1500
    assert rerun.asset_materializations_for_node("bronze_real_estate")[0].metadata["rows_loaded"].value == 0

    assert seed(stack, 250) == 250
    assert ingest(stack).success
    rows = bronze_rows(stack)
    assert len(rows) == 1750
    assert [r[1] for r in rows].count("c") == 250  # new documents came from the change stream
    assert {r[0] for r in rows} == mongo_ids(stack)


def test_repriced_and_deleted_documents_arrive_as_new_versions_and_tombstones(stack):
    seed(stack, 300)
    assert ingest(stack).success
    with stack["mongo"].get_collection() as collection:
        assert seeding.reprice(collection, 5, random_seed=3) == 5
        deleted_ids = {
            str(i) for i in seeding.synthetic.delete_plan([d["_id"] for d in collection.find({}, {"_id": 1})], 4, 3)
        }
        assert seeding.delete(collection, 4, random_seed=3) == 4
    assert ingest(stack).success
    rows = bronze_rows(stack)
    assert len(rows) == 300 + 5 + 4
    updates = [r for r in rows if r[1] == "u"]
    deletes = [r for r in rows if r[1] == "d"]
    assert len(updates) == 5 and len(deletes) == 4
    assert {r[0] for r in deletes} == deleted_ids
    assert all(r[4] is None and r[5] is None for r in deletes)  # tombstones carry no document
    by_id = {}
    for r in rows:
        by_id.setdefault(r[0], []).append(r)
    for update in updates:
        versions = by_id[update[0]]
        first, last = versions[0], versions[-1]
        assert last[3] > first[3]  # the new version is later in the same partition
        assert (first[4], first[5]) != (last[4], last[5]), versions  # and carries a different price
    # A date reads the same from the change stream as from the snapshot (nx-27017 handed it out as {"$date": ...})
    dates = query(
        stack,
        "SELECT id AS id, op AS op, raw_data:posted_date::VARCHAR AS posted FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE "
        "WHERE kafka_topic = %(t)s AND raw_data:posted_date IS NOT NULL ORDER BY kafka_partition, kafka_offset",
        {"t": stack["kafka"].topic},
    )
    posted = {}
    for doc_id, op, value in dates:
        posted.setdefault(doc_id, {})[op] = value
    repriced = [versions for versions in posted.values() if "u" in versions]
    assert repriced, "no structured listing among the repriced ones"
    for versions in repriced:
        assert versions["u"] == versions["r"] and not versions["u"].startswith("{"), versions


def test_killed_bronze_load_loses_nothing_and_doubles_nothing(stack, tmp_path):
    seed(stack, 6000)
    # ship everything to Kafka first, without bronze
    result = dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack)
    assert result.success
    env = {**os.environ, "MONGO_COLLECTION": stack["mongo"].collection, "KAFKA_TOPIC": stack["kafka"].topic}
    # The loader kills itself with SIGKILL inside the third batch's transaction, right after its COPY: the
    # rows are in the warehouse's open transaction, neither committed nor rolled back by the client.
    # (Polling the row count from outside and killing at >= 1000 raced the loader: on a fast machine
    # all twelve batches landed between two polls.)
    script = (
        "import os, signal\n"
        "from medallion_assets.lib import bronze_loader, warehouse\n"
        "from medallion_assets.defs.resources import build_resources\n"
        "real_execute, copies = warehouse.execute, []\n"
        "def execute(conn, name, *args, **kwargs):\n"
        "    cursor = real_execute(conn, name, *args, **kwargs)\n"
        "    if name == 'bronze/copy_rows':\n"
        "        copies.append(name)\n"
        "        if len(copies) == 3:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return cursor\n"
        "warehouse.execute = execute\n"
        "r = build_resources()\n"
        "with warehouse.connect(r['snowflake'], schema='RAW_DB.LANDING') as conn:\n"
        "    bronze_loader.load_topic(conn, r['kafka'], 'test', bronze_loader.BronzeConfig(batch_size=500))\n"
    )
    loader = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
    assert loader.returncode == -signal.SIGKILL
    assert len(bronze_rows(stack)) == 1000  # two whole batches; the third died with its transaction

    assert ingest(stack, *BRONZE_CHECKS).success
    rows = bronze_rows(stack)
    assert len(rows) == 6000
    assert len({(r[2], r[3]) for r in rows}) == 6000
    assert {r[0] for r in rows} == mongo_ids(stack)


def test_killed_ingestion_rerun_reaches_every_document(stack):
    seed(stack, 3000)
    env = {**os.environ, "MONGO_COLLECTION": stack["mongo"].collection, "KAFKA_TOPIC": stack["kafka"].topic}
    script = (
        "import dagster as dg\n"
        "from medallion_assets.defs.ingestion import assets as ingestion\n"
        "from medallion_assets.defs.source import assets as source\n"
        "from medallion_assets.defs.resources import build_resources\n"
        "dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=build_resources(),\n"
        "    run_config={'ops': {'data_ingestion': {'config': {'batch_size': 50, 'acknowledge_every': 100}}}})\n"
    )
    shipper = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sent = query(
            stack,
            "SELECT MAX(documents_sent) AS n FROM RAW_DB.LANDING.INGESTION_STATE WHERE kafka_topic = %(t)s",
            {"t": stack["kafka"].topic},
        )
        if sent and sent[0][0] and sent[0][0] >= 500:
            break
        time.sleep(0.02)
    shipper.send_signal(signal.SIGKILL)
    shipper.wait()
    assert ingest(stack, *BRONZE_CHECKS).success
    rows = bronze_rows(stack)
    ids = [r[0] for r in rows]
    assert set(ids) == mongo_ids(stack)
    assert len(ids) - len(set(ids)) <= 100  # at most one unacknowledged group is sent again


def test_poison_messages_land_in_rejects_with_reason_and_position(stack):
    stack["kafka"].partitions(create=True)
    producer = stack["kafka"].producer()
    poison = [b"not json at all", b"[1, 2, 3]", b"\xff\xfe broken", b'"just a string"', b'{"ok": NaN}']
    good = [json.dumps({"_id": f"doc{i}", "price": i}).encode() for i in range(5)]
    for i, value in enumerate(good + poison):
        producer.produce(stack["kafka"].topic, key=f"k{i}".encode(), value=value, partition=0)
    producer.flush(10)
    result = ingest(
        stack,
        bronze_checks.bronze_reject_rate,
        bronze_checks.bronze_offsets_contiguous,
        config={"data_ingestion": {"config": {}}},
    )
    assert result.success
    rejects = query(
        stack,
        "SELECT kafka_partition AS p, kafka_offset AS o, message_key AS k, raw_text AS t, error AS e "
        "FROM RAW_DB.LANDING.BRONZE_REJECTS WHERE kafka_topic = %(t)s ORDER BY kafka_offset",
        {"t": stack["kafka"].topic},
    )
    assert [(r[0], r[1], r[2]) for r in rejects] == [
        (0, 5, "k5"),
        (0, 6, "k6"),
        (0, 7, "k7"),
        (0, 8, "k8"),
        (0, 9, "k9"),
    ]
    assert rejects[0][3] == "not json at all" and rejects[0][4].startswith("not JSON")
    assert rejects[1][4] == "JSON list, not an object"
    assert rejects[2][4].startswith("not UTF-8 text")
    assert rejects[3][4] == "JSON str, not an object"
    assert "NaN" in rejects[4][4]
    assert len(bronze_rows(stack)) == 5
    checks = check_results(result)
    assert checks == {"bronze_reject_rate": False, "bronze_offsets_contiguous": True}  # 5 of 10 rejected


def test_duplicate_key_message_lands_in_rejects_and_its_neighbours_load(stack):
    # PARSE_JSON on Snowflake refuses a duplicate key (Python's json keeps the last): left in the batch, the
    # message would fail the COPY of all its neighbours on every run
    stack["kafka"].partitions(create=True)
    producer = stack["kafka"].producer()
    values = [
        b'{"_id": "a", "price": 1}',
        b'{"_id": "b", "price": 1, "area": 50, "price": 2}',
        b'{"_id": "c", "loc": {"city": "X", "city": "Y"}}',
        b'{"_id": "d", "price": 1e999}',
        b'{"_id": "e", "price": 3}',
    ]
    for i, value in enumerate(values):
        producer.produce(stack["kafka"].topic, key=f"k{i}".encode(), value=value, partition=1)
    producer.flush(10)
    assert ingest(stack, bronze_checks.bronze_offsets_contiguous).success
    rejects = query(
        stack,
        "SELECT kafka_partition AS p, kafka_offset AS o, message_key AS k, raw_text AS t, error AS e "
        "FROM RAW_DB.LANDING.BRONZE_REJECTS WHERE kafka_topic = %(t)s ORDER BY kafka_offset",
        {"t": stack["kafka"].topic},
    )
    assert rejects == [
        (1, 1, "k1", values[1].decode(), 'duplicate key "price" in a JSON object'),
        (1, 2, "k2", values[2].decode(), 'duplicate key "city" in a JSON object'),
        (1, 3, "k3", values[3].decode(), "number 1e999 is out of range for a double"),
    ]
    assert [(r[0], r[2], r[3], r[4]) for r in bronze_rows(stack)] == [("k0", 1, 0, "1"), ("k4", 1, 4, "3")]
    positions = query(
        stack,
        "SELECT kafka_partition AS p, next_offset AS n FROM RAW_DB.LANDING.KAFKA_OFFSETS WHERE kafka_topic = %(t)s "
        "AND kafka_partition = 1",
        {"t": stack["kafka"].topic},
    )
    assert positions == [(1, 5)]


def test_duplicate_and_gap_are_caught_by_the_checks(stack):
    seed(stack, 200)
    assert ingest(stack).success
    topic = stack["kafka"].topic
    with warehouse.connect(stack["snowflake"]) as conn:
        conn.cursor().execute(
            "INSERT INTO RAW_DB.LANDING.BRONZE_REAL_ESTATE (id, op, kafka_topic, kafka_partition, kafka_offset) "
            "SELECT id, op, kafka_topic, kafka_partition, kafka_offset FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE "
            "WHERE kafka_topic = %(t)s AND kafka_partition = 0 AND kafka_offset = 3",
            {"t": topic},
        )
        conn.cursor().execute(
            "DELETE FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(t)s AND kafka_partition = 1 "
            "AND kafka_offset = 5",
            {"t": topic},
        )
    result = dg.materialize(
        [bronze_assets.bronze_real_estate, *BRONZE_CHECKS],
        selection=dg.AssetSelection.checks(*BRONZE_CHECKS),
        resources=stack,
        raise_on_error=False,
    )
    assert check_results(result) == {
        "bronze_offsets_unique": False,
        "bronze_offsets_contiguous": False,
        "bronze_covers_source": False,  # the deleted row's document is no longer in bronze
        "bronze_reject_rate": True,
    }
    with warehouse.connect(stack["snowflake"]) as conn:  # the session's warehouse is shared: no doubled message stays
        conn.cursor().execute(
            "DELETE FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(t)s AND ingested_at IS NULL",
            {"t": topic},
        )


def test_clear_errors_for_bad_settings_and_unreachable_services(stack, monkeypatch):
    from medallion_assets.defs.resources import KafkaResource, MongoResource, build_resources
    from medallion_assets.lib.errors import MedallionError

    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    with pytest.raises(MedallionError, match="MEDALLION_EMBEDDED=kafka,mongo"):  # a mix only when spelled out
        build_resources()
    monkeypatch.setenv("MEDALLION_EMBEDDED", "mongo,kafka")
    with pytest.raises(MedallionError, match="SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH"):
        build_resources()
    monkeypatch.delenv("SNOWFLAKE_ACCOUNT")
    monkeypatch.setenv("MEDALLION_EMBEDDED", "mongo,snowflake")

    with pytest.raises(MedallionError, match="KAFKA_SECURITY_PROTOCOL must be one of"):
        KafkaResource(bootstrap_servers="x:1", security_protocol="BOGUS").client_config()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(MedallionError, match="KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD"):
        build_resources()

    unreachable = MongoResource(uri="mongodb://user:s3cret@127.0.0.1:1", server_selection_timeout_ms=300)
    with (
        pytest.raises(MedallionError, match=r"MongoDB at mongodb://127.0.0.1:1 is unreachable") as info,
        unreachable.get_collection(),
    ):
        pass
    assert "s3cret" not in str(info.value)
    with (
        pytest.raises(MedallionError, match="MONGO_URI must start with"),
        MongoResource(uri="http://nope").get_collection(),
    ):
        pass
    with pytest.raises(MedallionError, match="Kafka at 127.0.0.1:1 is unreachable"):
        KafkaResource(bootstrap_servers="127.0.0.1:1", timeout_s=1).partitions()

    result = dg.materialize(
        [source.warehouse_schema, ingestion.data_ingestion],
        resources={**stack, "mongo": unreachable},
        raise_on_error=False,
    )
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "MongoDB at mongodb://127.0.0.1:1 is unreachable" in str(failure.event_specific_data.error)


def test_busy_port_and_dead_server_are_clear_errors(services_home, tmp_path):
    import socket

    from medallion_assets.dev import services
    from medallion_assets.lib.errors import MedallionError

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        ports = services.Ports(
            mongo=busy, s3=services.free_port(), kafka=services.free_port(), snowflake=services.free_port()
        )
        with pytest.raises(MedallionError, match=rf"127.0.0.1:{busy} is already in use.*mongo.log"):
            services.up(ports, tmp_path)


def test_watermark_mode_ships_new_and_changed_documents_but_cannot_see_deletes(stack):
    seed(stack, 200)
    config = {"data_ingestion": {"config": {"cdc_mode": "watermark"}}}
    assert ingest(stack, config=config).success
    assert len(bronze_rows(stack)) == 200
    # a later second: the stand-in compares dates at whole seconds, the loader breaks ties by _id
    time.sleep(1.1)
    with stack["mongo"].get_collection() as collection:
        assert seeding.reprice(collection, 3, random_seed=5) == 3
        assert seeding.delete(collection, 2, random_seed=5) == 2
    seed(stack, 5)
    result = ingest(stack, config=config)
    assert result.success
    assert result.asset_materializations_for_node("data_ingestion")[0].metadata["cdc_phase"].value == "watermark"
    rows = bronze_rows(stack)
    assert len(rows) == 200 + 3 + 5
    assert not [r for r in rows if r[1] == "d"]  # the weaker mode: deletes are invisible
    assert ingest(stack, config=config).success and len(bronze_rows(stack)) == 208  # and nothing twice
