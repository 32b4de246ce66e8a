"""An idle pipeline costs nothing: the sensors ask MongoDB, Kafka and the Dagster instance, never the warehouse.

Against the session's MongoDB and Kafka (a fresh collection and topic) and a warehouse of this module's own
whose request log counts every login and statement (dev/request_log.py). Runs are the code location's own
`change_to_gold_job` and `bronze_job`, executed in process on the Dagster instance the sensors read.
"""

from __future__ import annotations

import dagster as dg
import pytest

from medallion_assets.definitions import defs
from medallion_assets.defs.bronze.sensors import kafka_backlog_sensor
from medallion_assets.defs.gold.pulse_sensor import market_pulse_sensor
from medallion_assets.defs.ingestion.sensors import mongo_changes_sensor
from medallion_assets.dev.request_log import read_log
from medallion_assets.lib import warehouse
from tests.helpers import mongo_ids, seed

SILVER_GOLD = ("silver_real_estate", "data_quality_log", "gold_ml_features", "gold_listing_history")


@pytest.fixture
def counted(stack, snowflake_resource, monkeypatch):
    """The test's collection and topic, the module's own warehouse, every source change at once."""
    monkeypatch.delenv("MEDALLION_BATCH_WINDOW_S", raising=False)
    with warehouse.connect(snowflake_resource) as conn:
        warehouse.apply_setup(conn)
        for table in (
            "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
            "RAW_DB.LANDING.KAFKA_OFFSETS",
            "RAW_DB.LANDING.INGESTION_STATE",
            "STAGING_DB.CLEANED.SILVER_REAL_ESTATE",
            "STAGING_DB.CLEANED.SILVER_WATERMARK",
            "ANALYTICS_DB.DWH.GOLD_ML_FEATURES",
            "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY",
        ):
            conn.cursor().execute(f"DELETE FROM {table}")
    return {**stack, "snowflake": snowflake_resource}


def location(resources: dict) -> dg.Definitions:
    """The code location's assets, checks, jobs and sensors, bound to the test's resources."""
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        sensors=defs.sensors,
        resources={**defs.resources, **resources},
        executor=dg.in_process_executor,
    )


def tick(sensor, resources, instance, cursor=None):
    context = dg.build_sensor_context(resources=resources, cursor=cursor, instance=instance)
    return sensor(context), context.cursor


def execute(code: dg.Definitions, request: dg.RunRequest, job_name: str, instance, sensor_name: str):
    """What the daemon does with a run request: the job's run, tagged with the sensor and the run key."""
    tags = {**request.tags, "dagster/sensor_name": sensor_name, "dagster/run_key": request.run_key}
    result = code.resolve_job_def(job_name).execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def count(resources, sql: str) -> int:
    with warehouse.connect(resources["snowflake"]) as conn:
        return conn.cursor().execute(sql).fetchone()[0]


def ids(resources, table: str) -> set[str]:
    with warehouse.connect(resources["snowflake"]) as conn:
        return {r[0] for r in conn.cursor().execute(f"SELECT id AS id FROM {table}").fetchall()}


def bronze_count(resources) -> int:
    topic = resources["kafka"].topic
    return count(
        resources, f"SELECT COUNT(*) AS n FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = '{topic}'"
    )


def catch_up(code, resources, instance) -> dg.RunRequest:
    request, _ = tick(mongo_changes_sensor, resources, instance)
    assert isinstance(request, dg.RunRequest), request
    execute(code, request, "change_to_gold_job", instance, "mongo_changes_sensor")
    return request


GOLD_POPULATION = (
    "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE data_quality_score >= 0.6 AND price > 0"
)


def automation_requests(code, instance, cursor):
    result = dg.evaluate_automation_conditions(defs=code, instance=instance, cursor=cursor)
    requested = sorted(
        r.key.to_user_string() if isinstance(r.key, dg.AssetKey) else f"check {r.key.name}"
        for r in result.results
        if r.true_subset.size
    )
    return requested, result.cursor


def test_idle_ticks_send_nothing_to_the_warehouse(counted, warehouse_requests):
    instance = dg.DagsterInstance.ephemeral()
    code = location(counted)
    seed(counted, 40)
    catch_up(code, counted, instance)
    _, automation_cursor = automation_requests(code, instance, None)  # ML, semantic, lakehouse follow gold once
    _, automation_cursor = automation_requests(code, instance, automation_cursor)

    _, pulse_cursor = tick(market_pulse_sensor, counted, instance)  # its first tick plans once, in the warehouse

    before = len(read_log(warehouse_requests))
    mongo_cursor = kafka_cursor = None
    for _ in range(5):
        result, mongo_cursor = tick(mongo_changes_sensor, counted, instance, mongo_cursor)
        assert isinstance(result, dg.SkipReason) and "no change" in result.skip_message, result
        result, kafka_cursor = tick(kafka_backlog_sensor, counted, instance, kafka_cursor)
        assert isinstance(result, dg.SkipReason) and "loaded every message" in result.skip_message, result
        requested, automation_cursor = automation_requests(code, instance, automation_cursor)
        assert requested == []
        result, pulse_cursor = tick(market_pulse_sensor, counted, instance, pulse_cursor)
        assert isinstance(result, dg.SkipReason) and "no history materialization" in result.skip_message, result
    assert read_log(warehouse_requests)[before:] == []

    # the test can fail: a tick that asks the warehouse shows in the log
    with warehouse.connect(counted["snowflake"]) as conn:
        conn.cursor().execute("SELECT 1 AS one").fetchall()
    logged = read_log(warehouse_requests)[before:]
    assert logged[0][1] == "login" and ("query", "SELECT 1 AS one") in [(kind, text) for _, kind, text in logged]


def test_one_change_reaches_gold_in_one_run_and_the_automation_does_not_repeat_it(counted):
    instance = dg.DagsterInstance.ephemeral()
    code = location(counted)
    seed(counted, 30)
    catch_up(code, counted, instance)
    _, automation_cursor = automation_requests(code, instance, None)
    _, automation_cursor = automation_requests(code, instance, automation_cursor)
    population = count(counted, GOLD_POPULATION)  # gold's rows: silver's with a price and a quality score >= 0.6
    assert 25 <= population <= 30
    assert count(counted, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES") == population

    runs_before = len(instance.get_run_records())
    seed(counted, 1, random_seed=99)  # one new listing
    request, _ = tick(mongo_changes_sensor, counted, instance)
    assert request.run_key.startswith("mongo:stream:")
    result = execute(code, request, "change_to_gold_job", instance, "mongo_changes_sensor")
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert set(SILVER_GOLD) | {"data_ingestion", "bronze_real_estate"} <= materialized
    assert len(instance.get_run_records()) == runs_before + 1
    assert bronze_count(counted) == 31
    assert ids(counted, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == mongo_ids(counted)
    assert count(counted, GOLD_POPULATION) == population + 1  # the new listing has a price and a full score
    assert ids(counted, "ANALYTICS_DB.DWH.GOLD_ML_FEATURES") <= mongo_ids(counted)
    assert count(counted, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES") == population + 1
    assert count(counted, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY") == 31

    # the automation takes the layers after gold, never silver or gold again
    requested, automation_cursor = automation_requests(code, instance, automation_cursor)
    assert not set(requested) & (set(SILVER_GOLD) | {"bronze_real_estate", "gold_market_analytics"}), requested
    assert "anomaly_alerts" in requested  # the ML layer follows gold on its own condition
    assert automation_requests(code, instance, automation_cursor)[0] == []
    assert isinstance(tick(mongo_changes_sensor, counted, instance)[0], dg.SkipReason)
    assert isinstance(tick(kafka_backlog_sensor, counted, instance)[0], dg.SkipReason)


def test_a_stale_or_wiped_mirror_costs_a_run_and_loses_or_doubles_nothing(counted, monkeypatch):
    code = location(counted)
    seed(counted, 25)
    catch_up(code, counted, dg.DagsterInstance.ephemeral())
    assert bronze_count(counted) == 25

    # Kafka mirror wiped: bronze's consumer group as a deleted one answers (no committed offsets). The embedded
    # broker does not implement DeleteGroups, so the group is a new name, for the loader and the sensor alike.
    monkeypatch.setattr("medallion_assets.lib.bronze_loader.GROUP_ID", "medallion-bronze-wiped")
    monkeypatch.setattr("medallion_assets.defs.bronze.sensors.GROUP_ID", "medallion-bronze-wiped")
    assert counted["kafka"].committed_offsets("medallion-bronze-wiped", [0, 1, 2]) == {}
    instance = dg.DagsterInstance.ephemeral()  # and the Dagster instance is new: no cursor mirror either
    backlog, _ = tick(kafka_backlog_sensor, counted, instance)
    assert isinstance(backlog, dg.RunRequest) and backlog.tags["medallion/lag"] == "25"
    execute(code, backlog, "bronze_job", instance, "kafka_backlog_sensor")
    assert bronze_count(counted) == 25  # the warehouse's positions: nothing loaded twice
    assert sum(counted["kafka"].committed_offsets("medallion-bronze-wiped", [0, 1, 2]).values()) == 25  # repaired
    assert isinstance(tick(kafka_backlog_sensor, counted, instance)[0], dg.SkipReason)

    seed(counted, 5, random_seed=11)
    request, _ = tick(mongo_changes_sensor, counted, instance)
    assert request.run_key.startswith("mongo:no-mirror:")
    execute(code, request, "change_to_gold_job", instance, "mongo_changes_sensor")
    assert bronze_count(counted) == 30
    assert ids(counted, "STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == mongo_ids(counted)
    assert count(counted, "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == 30

    # a stale cursor mirror: another instance's run shipped 3 more, this instance still holds the older cursor
    seed(counted, 3, random_seed=12)
    catch_up(code, counted, dg.DagsterInstance.ephemeral())
    assert bronze_count(counted) == 33
    stale, _ = tick(mongo_changes_sensor, counted, instance)
    assert isinstance(stale, dg.RunRequest)  # names a change shipped already: one run that finds nothing
    execute(code, stale, "change_to_gold_job", instance, "mongo_changes_sensor")
    assert bronze_count(counted) == 33
    assert ids(counted, "RAW_DB.LANDING.BRONZE_REAL_ESTATE") == mongo_ids(counted)
    assert count(counted, "SELECT COUNT(*) AS n FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == 33
    assert isinstance(tick(mongo_changes_sensor, counted, instance)[0], dg.SkipReason)


def test_the_batch_window_starts_at_most_one_run_per_window(counted, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    code = location(counted)
    seed(counted, 10)
    monkeypatch.setenv("MEDALLION_BATCH_WINDOW_S", "600")
    catch_up(code, counted, instance)  # the first change after a quiet window starts a run at once
    seed(counted, 2, random_seed=3)
    waiting, _ = tick(mongo_changes_sensor, counted, instance)
    assert isinstance(waiting, dg.SkipReason), waiting
    assert (
        "batch window: next run in" in waiting.skip_message and "MEDALLION_BATCH_WINDOW_S=600" in waiting.skip_message
    )
    monkeypatch.setenv("MEDALLION_BATCH_WINDOW_S", "0")
    assert isinstance(tick(mongo_changes_sensor, counted, instance)[0], dg.RunRequest)
    monkeypatch.setenv("MEDALLION_BATCH_WINDOW_S", "ten")
    with pytest.raises(Exception, match="MEDALLION_BATCH_WINDOW_S must be a whole number of seconds"):
        tick(mongo_changes_sensor, counted, instance)
