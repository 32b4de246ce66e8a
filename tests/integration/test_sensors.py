"""Sensors over several cursor states, against the real embedded servers."""

from __future__ import annotations

import dagster as dg
import pytest

from medallion_assets.defs.bronze.sensors import kafka_backlog_sensor
from medallion_assets.defs.ingestion import assets as ingestion
from medallion_assets.defs.ingestion.sensors import mongo_changes_sensor
from medallion_assets.defs.source import assets as source
from medallion_assets.dev import seeding
from medallion_assets.lib.errors import ServiceUnavailable
from tests.helpers import ingest, seed

INSTANCE = dg.DagsterInstance.ephemeral()


def run(stack, instance=INSTANCE) -> dg.ExecuteInProcessResult:
    """Ingestion + bronze on the instance the sensors read (data_ingestion's materialization mirrors the cursor)."""
    return ingest(stack, instance=instance)


def tick(sensor, stack, cursor=None, instance=INSTANCE):
    # as the daemon does: the run-scoped warehouse resource is opened and closed around the tick
    with dg.build_sensor_context(resources=stack, cursor=cursor, instance=instance) as context:
        result = sensor(context)
        return result, context.cursor


BY_SENSOR = {"dagster/sensor_name": "mongo_changes_sensor"}


def test_a_failed_run_is_retried_by_the_next_tick_under_a_new_key(stack):
    from dagster._core.test_utils import create_run_for_test

    instance = dg.DagsterInstance.ephemeral()
    assert run(stack, instance).success  # the cursor mirror, before any document
    seed(stack, 5)
    first, cursor = tick(mongo_changes_sensor, stack, instance=instance)
    assert tick(mongo_changes_sensor, stack, cursor, instance)[0].run_key == first.run_key  # not started yet
    create_run_for_test(
        instance, status=dg.DagsterRunStatus.FAILURE, tags={"dagster/run_key": first.run_key, **BY_SENSOR}
    )
    retry, cursor = tick(mongo_changes_sensor, stack, cursor, instance)
    assert retry.run_key == f"{first.run_key}#2"
    create_run_for_test(
        instance, status=dg.DagsterRunStatus.STARTED, tags={"dagster/run_key": retry.run_key, **BY_SENSOR}
    )
    assert tick(mongo_changes_sensor, stack, cursor, instance)[0].run_key == retry.run_key  # in flight: same key


def test_mongo_sensor_requests_one_run_per_unshipped_change(stack):
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = tick(mongo_changes_sensor, stack, instance=instance)
    assert result.run_key == f"mongo:no-mirror:{stack['mongo'].source_name}:{stack['kafka'].topic}:0"
    assert run(stack, instance).success  # nothing to ship; records the cursor (the empty snapshot is done)
    seed(stack, 20)
    first, cursor = tick(mongo_changes_sensor, stack, instance=instance)
    assert isinstance(first, dg.RunRequest) and first.run_key.startswith("mongo:stream:")
    again, cursor = tick(mongo_changes_sensor, stack, cursor, instance)
    assert again.run_key == first.run_key == cursor  # same changes, same key: Dagster starts one run

    assert run(stack, instance).success  # the requested run ships everything
    idle, _ = tick(mongo_changes_sensor, stack, cursor, instance)
    assert isinstance(idle, dg.SkipReason)

    seed(stack, 3)
    change, cursor = tick(mongo_changes_sensor, stack, cursor, instance)
    assert change.run_key.startswith("mongo:stream:") and change.run_key != first.run_key
    assert tick(mongo_changes_sensor, stack, cursor, instance)[0].run_key == change.run_key
    with stack["mongo"].get_collection() as collection:
        seeding.delete(collection, 1)
    assert tick(mongo_changes_sensor, stack, cursor, instance)[0].run_key == change.run_key  # oldest change names it
    assert run(stack, instance).success
    assert isinstance(tick(mongo_changes_sensor, stack, cursor, instance)[0], dg.SkipReason)


def test_kafka_sensor_requests_bronze_for_unloaded_messages(stack):
    result, _ = tick(kafka_backlog_sensor, stack)
    assert isinstance(result, dg.SkipReason) and "does not exist" in result.skip_message

    seed(stack, 30)
    assert dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack).success
    backlog, cursor = tick(kafka_backlog_sensor, stack)
    assert backlog.run_key.startswith("kafka:0@0-") and ",1@0-" in backlog.run_key and ",2@0-" in backlog.run_key
    assert backlog.tags["medallion/lag"] == "30"
    assert tick(kafka_backlog_sensor, stack, cursor)[0].run_key == backlog.run_key

    assert ingest(stack).success
    assert isinstance(tick(kafka_backlog_sensor, stack, cursor)[0], dg.SkipReason)

    seed(stack, 4)
    assert dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack).success
    more, _ = tick(kafka_backlog_sensor, stack, cursor)
    assert more.run_key != backlog.run_key and more.tags["medallion/lag"] == "4"


def test_kafka_sensor_waits_while_a_run_that_loads_bronze_is_queued_or_running(stack):
    """A change_to_gold_job or ingest_job (ingestion + bronze, ...) or bronze_job run in flight loads the backlog
    itself: no second bronze run; once it ended (whatever its outcome) the backlog is requested again."""
    from dagster._core.test_utils import create_run_for_test

    instance = dg.DagsterInstance.ephemeral()
    seed(stack, 6)
    assert dg.materialize([source.warehouse_schema, ingestion.data_ingestion], resources=stack).success
    for job_name, status in (
        ("change_to_gold_job", dg.DagsterRunStatus.NOT_STARTED),
        ("ingest_job", dg.DagsterRunStatus.STARTED),
        ("bronze_job", dg.DagsterRunStatus.STARTING),
    ):
        run_in_flight = create_run_for_test(instance, job_name=job_name, status=status)
        result, _ = tick(kafka_backlog_sensor, stack, instance=instance)
        assert isinstance(result, dg.SkipReason), result
        assert f"run {run_in_flight.run_id} of {job_name}" in result.skip_message
        assert "6 messages wait" in result.skip_message
        instance.report_run_failed(run_in_flight)
    requested, _ = tick(kafka_backlog_sensor, stack, instance=instance)
    assert isinstance(requested, dg.RunRequest) and requested.tags["medallion/lag"] == "6"


def unreachable(service: str, stack: dict):
    """A resource pointing at a port nobody listens on (failing fast), and what the skip must say. (The sensors ask
    no warehouse: tests/integration/test_idle_sensors.py counts its requests.)"""
    from medallion_assets.defs.resources import KafkaResource, MongoResource
    from medallion_assets.dev.services import free_port

    port = free_port()
    if service == "mongo":
        resource = MongoResource(
            uri=f"mongodb://user:s3cret@127.0.0.1:{port}",
            server_selection_timeout_ms=200,
            database=stack["mongo"].database,  # the source the cursor mirror is for
            collection=stack["mongo"].collection,
        )
        return resource, f"MongoDB at mongodb://127.0.0.1:{port} is unreachable (ServerSelectionTimeoutError)"
    return KafkaResource(bootstrap_servers=f"127.0.0.1:{port}", timeout_s=1), f"Kafka at 127.0.0.1:{port} is "


@pytest.mark.parametrize(
    ("sensor", "service"),
    [
        (mongo_changes_sensor, "mongo"),
        (kafka_backlog_sensor, "kafka"),
    ],
)
def test_sensor_skips_naming_the_server_it_cannot_reach(stack, sensor, service):
    instance = dg.DagsterInstance.ephemeral()
    assert run(stack, instance).success  # the cursor mirror: the Mongo sensor asks MongoDB once it has one
    broken, says = unreachable(service, stack)
    result, cursor = tick(sensor, {**stack, service: broken}, cursor="before", instance=instance)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message.startswith("could not look for changes: " + says), result.skip_message
    assert "s3cret" not in result.skip_message and "\n" not in result.skip_message
    assert cursor == "before"  # an outage requests nothing and leaves the cursor alone
    # the outage is told apart by its type, raised where the client connects, not by its wording
    with pytest.raises(ServiceUnavailable) as info:
        connect(service, broken)
    assert info.value.service == {"mongo": "MongoDB", "kafka": "Kafka"}[service]
    assert str(info.value) in result.skip_message


def connect(service: str, resource) -> None:
    if service == "mongo":
        with resource.get_collection():
            pass
    else:
        resource.partitions()


@pytest.mark.parametrize(
    ("sensor", "module", "function"),
    [
        (mongo_changes_sensor, "medallion_assets.defs.ingestion.sensors", "mirrored_cursor"),
        (mongo_changes_sensor, "medallion_assets.lib.cdc.ChangeReader", "first_pending"),
        (kafka_backlog_sensor, "medallion_assets.lib.kafka.KafkaResource", "committed_offsets"),
        (kafka_backlog_sensor, "medallion_assets.lib.kafka.KafkaResource", "end_offsets"),
    ],
)
def test_sensor_tick_fails_on_anything_but_an_outage(stack, monkeypatch, sensor, module, function):
    """A bug (or a MedallionError that is not an outage) fails the tick, so the UI shows it; it is never a skip."""
    instance = dg.DagsterInstance.ephemeral()
    assert run(stack, instance).success

    def broken(*args, **kwargs):
        raise KeyError("kafka_partition")

    monkeypatch.setattr(f"{module}.{function}", broken)
    with pytest.raises(KeyError, match="kafka_partition"):
        tick(sensor, stack, instance=instance)
