"""A server killed in the middle of a step: one clear line, no partial batch, exact catch-up after.

Each test starts its own set of embedded servers (own ports, own MEDALLION_HOME), kills one of them with
SIGKILL at a chosen point inside a running step (the step's own progress triggers the kill, so the
moment is the same on a fast and a slow machine), asserts the step failed with a MedallionError whose
one-line message names the server, that what other readers see is a whole batch (bronze) or the table
before or after the step (silver, gold), then brings the server back and asserts that the next run
catches up exactly.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.bronze import assets as bronze_assets
from medallion_assets.defs.gold import assets as gold_assets
from medallion_assets.defs.ingestion import assets as ingestion
from medallion_assets.defs.silver import assets as silver_assets
from medallion_assets.defs.source import assets as source
from medallion_assets.dev import seeding, services
from medallion_assets.lib import bronze_loader, warehouse
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.settings import embedded_snowflake_args
from tests.helpers import mongo_ids, query, seed

pytestmark = pytest.mark.timeout(240)

INGEST = [source.warehouse_schema, ingestion.data_ingestion]
ALL = [*INGEST, bronze_assets.bronze_real_estate, silver_assets.silver_real_estate, gold_assets.gold_tables]
GOLD_TABLES = [table for _, table in gold_assets.GOLD_TABLES.values()]


class SmallFetchKafka(KafkaResource):
    """The production resource with fetches of a few KiB, so a topic of a few thousand messages takes many
    fetches, as a large topic does: without it the first fetch holds the whole test topic and a broker
    killed after it is never needed again."""

    def consumer(self, group_id: str, **overrides):
        small = {
            "message.max.bytes": 32768,
            "fetch.max.bytes": 32768,
            "max.partition.fetch.bytes": 16384,
            "queued.max.messages.kbytes": 64,
        }
        return super().consumer(group_id, **{**overrides, **small})


class Servers:
    def __init__(self, home: Path, ports: services.Ports):
        self.home, self.ports = home, ports

    def kill(self, name: str) -> None:
        pid = int((self.home / "run" / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while services._alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)

    def restart(self) -> None:
        services.up(self.ports, self.home)


@pytest.fixture
def servers(tmp_path):
    home = tmp_path / "medallion-home"
    ports = services.free_ports()
    services.up(ports, home)
    try:
        yield Servers(home, ports)
    finally:
        services.down(home)


@pytest.fixture
def stack(servers):
    args = embedded_snowflake_args(servers.ports.snowflake)
    resources = {
        "mongo": MongoResource(uri=f"mongodb://127.0.0.1:{servers.ports.mongo}", server_selection_timeout_ms=2000),
        "kafka": SmallFetchKafka(bootstrap_servers=f"127.0.0.1:{servers.ports.kafka}", timeout_s=3),
        "snowflake": SnowflakeResource(
            account=args.pop("account"),
            user=args.pop("user"),
            password=args.pop("password"),
            # fail within seconds when the warehouse is gone (the default retries for 30 s)
            additional_snowflake_connection_args={**args, "network_timeout": 4, "login_timeout": 4},
        ),
    }
    return resources


def materialize(stack, assets, config: dict | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources=stack, run_config={"ops": config or {}}, raise_on_error=False)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The user error of the one failed step: asserted to be a MedallionError with a one-line message."""
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1, [e.step_key for e in failures]
    error = failures[0].event_specific_data.error
    ours = ("MedallionError", "ServiceUnavailable")  # ServiceUnavailable is a MedallionError
    while error.cls_name not in ours and error.cause is not None:
        error = error.cause
    assert error.cls_name in ours, error.to_string()
    assert error.cause is None, error.to_string()  # no driver traceback hanging below it
    message = error.message.strip().split(": ", 1)[1]  # without the class name
    assert "\n" not in message, message
    return message


def bronze_positions(stack) -> tuple[list[tuple[int, int]], dict[int, int]]:
    topic = stack["kafka"].topic
    rows = query(
        stack,
        "SELECT kafka_partition AS p, kafka_offset AS o FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE "
        "WHERE kafka_topic = %(t)s ORDER BY 1, 2",
        {"t": topic},
    )
    with warehouse.connect(stack["snowflake"]) as conn:
        positions = bronze_loader.stored_positions(conn, topic)
    return [(int(p), int(o)) for p, o in rows], positions


def assert_whole_batches(rows: list[tuple[int, int]], positions: dict[int, int]) -> None:
    """Every partition's loaded offsets are exactly 0 .. its stored position - 1."""
    by_partition: dict[int, list[int]] = {}
    for p, o in rows:
        by_partition.setdefault(p, []).append(o)
    for p in set(by_partition) | set(positions):
        assert by_partition.get(p, []) == list(range(positions.get(p, 0))), p


def assert_caught_up(stack) -> None:
    """Bronze holds every topic message once; silver holds exactly the listings now in MongoDB."""
    rows, positions = bronze_positions(stack)
    ends = stack["kafka"].end_offsets(stack["kafka"].partitions())
    assert len(rows) == len(set(rows)) == sum(ends.values())
    assert positions == ends
    assert_whole_batches(rows, positions)
    silver = {r[0] for r in query(stack, "SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE")}
    assert silver == mongo_ids(stack)


def test_mongo_killed_during_ingestion(stack, servers, monkeypatch):
    # more documents than ingestion reads ahead of what it acknowledged (about 5,600 here: 500 acknowledged,
    # 1,100 queued as batches, 4,000 fetched as documents), so the kill lands in the middle of the snapshot
    assert seed(stack, 8000, random_seed=11) == 8000
    saves = []
    real_save = ingestion.save_cursor

    def save_then_kill(conn, source_name, topic, cursor):
        real_save(conn, source_name, topic, cursor)
        saves.append(cursor.documents_sent)
        if cursor.documents_sent >= 500 and len(saves) == 2:  # after the first acknowledged group
            servers.kill("mongo")

    monkeypatch.setattr(ingestion, "save_cursor", save_then_kill)
    config = {"data_ingestion": {"config": {"batch_size": 100, "acknowledge_every": 500}}}
    result = materialize(stack, INGEST, config)
    assert not result.success
    message = failure_message(result)
    assert f"MongoDB at mongodb://127.0.0.1:{servers.ports.mongo}" in message
    sent = query(stack, "SELECT MAX(documents_sent) AS n FROM RAW_DB.LANDING.INGESTION_STATE")[0][0]
    assert 500 <= sent < 8000  # the cursor stopped at an acknowledged group

    monkeypatch.undo()
    servers.restart()
    assert materialize(stack, ALL).success
    assert_caught_up(stack)


BRONZE_300 = {"bronze_real_estate": {"config": {"batch_size": 300}}}


def test_kafka_killed_during_bronze(stack, servers, monkeypatch):
    assert seed(stack, 3000, random_seed=11) == 3000
    assert materialize(stack, INGEST).success
    # two whole batches land first
    config = {"bronze_real_estate": {"config": {"batch_size": 300, "max_messages": 600}}}
    assert materialize(stack, [bronze_assets.bronze_real_estate], config).success
    # Kafka dies once the next load has read its positions, before its consumers fetch: bronze reads ahead of
    # its publisher (this small topic comes in one fetch per partition), so a kill after its first read could
    # come after every message was read, and rightly change nothing
    real_readers = bronze_loader.PartitionReaders

    def kill_then_read(*args, **kwargs):
        servers.kill("kafka")
        return real_readers(*args, **kwargs)

    monkeypatch.setattr(bronze_loader, "PartitionReaders", kill_then_read)
    started = time.monotonic()
    result = materialize(stack, [bronze_assets.bronze_real_estate], BRONZE_300)
    assert not result.success
    assert time.monotonic() - started < 60
    message = failure_message(result)
    assert f"Kafka at 127.0.0.1:{servers.ports.kafka}" in message
    rows, positions = bronze_positions(stack)
    assert len(rows) == 600
    assert_whole_batches(rows, positions)

    monkeypatch.undo()
    servers.restart()
    assert materialize(stack, ALL).success
    assert_caught_up(stack)


def test_warehouse_killed_while_bronze_publishes(stack, servers, monkeypatch):
    """The publisher thread's failure stops the load: the batches before it stay, nothing after it lands."""
    assert seed(stack, 3000, random_seed=11) == 3000
    assert materialize(stack, INGEST).success
    copies = []
    real_execute = warehouse.execute

    def execute(conn, name, *args, **kwargs):
        if name == "bronze/copy_rows":
            copies.append(name)
            if len(copies) == 3:  # while the reader is a batch or two ahead
                servers.kill("snowflake")
        return real_execute(conn, name, *args, **kwargs)

    monkeypatch.setattr(warehouse, "execute", execute)
    result = materialize(stack, [bronze_assets.bronze_real_estate], BRONZE_300)
    assert not result.success
    message = failure_message(result)
    assert f"Snowflake at 127.0.0.1:{servers.ports.snowflake}" in message
    assert "bronze/copy_rows" in message

    monkeypatch.undo()
    servers.restart()
    rows, positions = bronze_positions(stack)
    assert len(rows) == 600  # the two batches committed before the third's COPY
    assert_whole_batches(rows, positions)
    assert materialize(stack, ALL).success
    assert_caught_up(stack)


def snapshot(stack, table: str) -> list[tuple]:
    return sorted(query(stack, f"SELECT * FROM {table}"), key=repr)  # our own table names


def kill_warehouse_before(stack, servers, monkeypatch, statement: str) -> list[str]:
    """Kill the warehouse just as the step is about to send `statement`; returns the statements that ran."""
    ran = []
    real_execute = warehouse.execute

    def execute(conn, name, *args, **kwargs):
        if name == statement:
            servers.kill("snowflake")
        ran.append(name)
        return real_execute(conn, name, *args, **kwargs)

    monkeypatch.setattr(warehouse, "execute", execute)
    return ran


def changed_source(stack) -> None:
    """A first full run over 1,500 listings, then new, re-priced and deleted listings up to bronze."""
    assert seed(stack, 1500, random_seed=11) == 1500
    assert materialize(stack, ALL).success
    with stack["mongo"].get_collection() as collection:
        seeding.insert(collection, 300, random_seed=12)
        assert seeding.reprice(collection, 200, random_seed=12) == 200
        assert seeding.delete(collection, 100, random_seed=12) == 100
    assert materialize(stack, [*INGEST, bronze_assets.bronze_real_estate]).success


def test_warehouse_killed_during_silver(stack, servers, monkeypatch):
    changed_source(stack)
    before = snapshot(stack, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE")
    ran = kill_warehouse_before(stack, servers, monkeypatch, "silver/merge_silver")
    result = materialize(stack, [silver_assets.silver_real_estate])
    assert not result.success
    assert "silver/stage_batch" in ran
    message = failure_message(result)
    assert f"Snowflake at 127.0.0.1:{servers.ports.snowflake}" in message
    assert "silver/merge_silver" in message

    monkeypatch.undo()
    servers.restart()
    middle = snapshot(stack, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE")
    assert middle == before
    assert materialize(stack, [silver_assets.silver_real_estate, gold_assets.gold_tables]).success
    assert snapshot(stack, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE") != before
    assert_caught_up(stack)


def test_warehouse_killed_during_gold(stack, servers, monkeypatch):
    changed_source(stack)
    assert materialize(stack, [silver_assets.silver_real_estate]).success
    before = {table: snapshot(stack, table) for table in GOLD_TABLES}
    # features are merged and pruned; the warehouse dies as the market analytics are about to be merged
    kill_warehouse_before(stack, servers, monkeypatch, "gold/merge_market_analytics")
    result = materialize(stack, [gold_assets.gold_tables])
    assert not result.success
    message = failure_message(result)
    assert f"Snowflake at 127.0.0.1:{servers.ports.snowflake}" in message
    assert "gold/merge_market_analytics" in message

    monkeypatch.undo()
    servers.restart()
    middle = {table: snapshot(stack, table) for table in GOLD_TABLES}
    assert materialize(stack, [gold_assets.gold_tables]).success
    after = {table: snapshot(stack, table) for table in GOLD_TABLES}
    for table in GOLD_TABLES:
        assert middle[table] in (before[table], after[table]), table
        assert after[table] != before[table], table
    assert middle[gold_assets.FEATURES_TABLE] == after[gold_assets.FEATURES_TABLE]
    assert middle[gold_assets.MARKET_TABLE] == before[gold_assets.MARKET_TABLE]
    gold = {r[0] for r in query(stack, f"SELECT id AS id FROM {gold_assets.FEATURES_TABLE}")}
    trusted = query(
        stack,
        "SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE data_quality_score >= 0.6 AND price > 0",
    )
    assert gold == {r[0] for r in trusted}
    assert_caught_up(stack)
