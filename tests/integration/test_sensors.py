"""Sensors over several cursor states, against the real embedded servers."""

from __future__ import annotations

import dagster as dg

from medallion_assets.defs.bronze.sensors import kafka_backlog_sensor
from medallion_assets.defs.ingestion import assets as ingestion
from medallion_assets.defs.ingestion.sensors import mongo_changes_sensor
from medallion_assets.defs.source import assets as source
from medallion_assets.dev import seeding
from tests.integration.test_ingestion_bronze import run, seed


def tick(sensor, stack, cursor=None):
    context = dg.build_sensor_context(resources=stack, cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def test_mongo_sensor_requests_one_run_per_unshipped_change(stack):
    result, cursor = tick(mongo_changes_sensor, stack)
    assert isinstance(result, dg.SkipReason)  # empty source, nothing ever shipped

    seed(stack, 20)
    first, cursor = tick(mongo_changes_sensor, stack)
    assert isinstance(first, dg.RunRequest) and first.run_key.startswith("mongo:initial:")
    again, cursor = tick(mongo_changes_sensor, stack, cursor)
    assert again.run_key == first.run_key == cursor  # same changes, same key: Dagster starts one run

    assert run(stack).success  # the requested run ships everything
    idle, _ = tick(mongo_changes_sensor, stack, cursor)
    assert isinstance(idle, dg.SkipReason)

    seed(stack, 3)
    change, cursor = tick(mongo_changes_sensor, stack, cursor)
    assert change.run_key.startswith("mongo:stream:") and change.run_key != first.run_key
    assert tick(mongo_changes_sensor, stack, cursor)[0].run_key == change.run_key
    with stack["mongo"].get_collection() as collection:
        seeding.delete(collection, 1)
    assert tick(mongo_changes_sensor, stack, cursor)[0].run_key == change.run_key  # oldest change names it
    assert run(stack).success
    assert isinstance(tick(mongo_changes_sensor, stack, cursor)[0], dg.SkipReason)


def test_kafka_sensor_requests_bronze_for_unloaded_messages(stack):
    result, _ = tick(kafka_backlog_sensor, stack)
    assert isinstance(result, dg.SkipReason) and "does not exist" in result.skip_message

    seed(stack, 30)
    assert dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack).success
    backlog, cursor = tick(kafka_backlog_sensor, stack)
    assert backlog.run_key == "kafka:0@0,1@0,2@0"
    assert backlog.tags["medallion/lag"] == "30"
    assert tick(kafka_backlog_sensor, stack, cursor)[0].run_key == backlog.run_key

    assert run(stack).success
    assert isinstance(tick(kafka_backlog_sensor, stack, cursor)[0], dg.SkipReason)

    seed(stack, 4)
    assert dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack).success
    more, _ = tick(kafka_backlog_sensor, stack, cursor)
    assert more.run_key != backlog.run_key and more.tags["medallion/lag"] == "4"


def test_sensor_skips_with_reason_when_a_service_is_down(stack):
    from medallion_assets.defs.resources import MongoResource

    broken = {**stack, "mongo": MongoResource(uri="mongodb://127.0.0.1:1", server_selection_timeout_ms=200)}
    result, _ = tick(mongo_changes_sensor, broken)
    assert isinstance(result, dg.SkipReason) and "unreachable" in result.skip_message
