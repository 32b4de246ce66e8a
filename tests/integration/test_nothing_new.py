"""`medallion pipeline` with nothing new writes nothing: no DDL, DML or view, no Iceberg snapshot, no model version,
one login; one new document still reaches gold in the next run; a wiped warehouse gets everything back.

The code location's own main job and pulse round (what `medallion pipeline` runs, dev/pulse_runs.py), executed in
process on one Dagster instance, against the session's MongoDB and Kafka (a fresh collection and topic), a
lakehouse catalog of the test's own, and a warehouse of this module's own whose request log records every login
and statement with its first word (dev/request_log.py).
"""

from __future__ import annotations

import json
import uuid

import dagster as dg
import pytest

from medallion_assets.definitions import defs
from medallion_assets.dev.pulse_runs import main_job, run_pulse
from medallion_assets.dev.request_log import read_log, verb
from medallion_assets.lib import tables, warehouse
from medallion_assets.lib.documents import document_key
from medallion_assets.lib.iceberg_catalog import LOCAL_BUCKET, LakehouseResource
from medallion_assets.lib.session import run_scoped
from tests.helpers import good, materialized, mongo_ids, seed, skip_reasons

pytestmark = pytest.mark.timeout(900)

WRITES = {"INSERT", "MERGE", "UPDATE", "DELETE", "COPY", "CREATE", "ALTER", "DROP", "TRUNCATE", "PUT"}
ICEBERG = ("gold_ml_features", "gold_market_analytics", "gold_price_trends", "gold_listing_history")
TRUSTED = "SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE WHERE data_quality_score >= 0.6 AND price > 0"


@pytest.fixture
def code(stack, snowflake_resource, services_home, tmp_path, monkeypatch):
    """The code location bound to the test's collection and topic, the module's warehouse (one session per run,
    as deployed) and a lakehouse catalog of the test's own; the module's warehouse starts empty."""
    monkeypatch.delenv("MEDALLION_BATCH_WINDOW_S", raising=False)
    wipe(snowflake_resource)
    s3 = json.loads((services_home / "services.json").read_text())["ports"]["s3"]
    props = {
        "s3.endpoint": f"http://127.0.0.1:{s3}",
        "s3.access-key-id": "local",
        "s3.secret-access-key": "local",
        "s3.region": "us-east-1",
    }
    lake = LakehouseResource(
        catalog_uri=f"sqlite:///{tmp_path / 'catalog.db'}",
        warehouse=f"s3://{LOCAL_BUCKET}/nothing-new-{uuid.uuid4().hex[:8]}/",
        properties=json.dumps(props),
    )
    resources = {**stack, "snowflake": run_scoped(snowflake_resource), "lakehouse": lake}
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        resources={**defs.resources, **resources},
        executor=dg.in_process_executor,
    )


def wipe(snowflake_resource) -> None:
    """Every table and view the project declares dropped (the embedded warehouse has no DROP DATABASE)."""
    with warehouse.connect(snowflake_resource) as conn:
        warehouse.apply_setup(conn)  # the databases and schemas exist, so that DROP ... IF EXISTS can name them
        for name, table in tables.all_declared().items():
            conn.cursor().execute(f"DROP {'VIEW' if table.kind == 'view' else 'TABLE'} IF EXISTS {name}")


def pipeline(code: dg.Definitions, instance, snowflake_resource, log) -> tuple[dg.ExecuteInProcessResult, list, list]:
    """The main run, then the pulse round; returns the run's result and the requests each of them sent."""
    before = len(read_log(log))
    result = main_job(code).execute_in_process(instance=instance, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    middle = len(read_log(log))
    outcome = run_pulse(code, instance, {}, snowflake=snowflake_resource)
    assert not outcome.failed
    logged = read_log(log)
    return result, logged[before:middle], logged[middle:]


def writes(requests: list) -> list[str]:
    return [text for _, kind, text in requests if kind == "query" and verb(text) in WRITES]


def logins(requests: list) -> int:
    return sum(1 for _, kind, _ in requests if kind == "login")


def rows(snowflake_resource, sql: str) -> list[tuple]:
    with warehouse.connect(snowflake_resource) as conn:
        return conn.cursor().execute(sql).fetchall()


def ids(snowflake_resource, sql: str) -> set[str]:
    return {r[0] for r in rows(snowflake_resource, sql)}


def snapshots(code: dg.Definitions) -> dict[str, list[int]]:
    catalog = code.resources["lakehouse"].catalog()
    return {name: [s.snapshot_id for s in catalog.load_table(f"medallion.{name}").snapshots()] for name in ICEBERG}


def assert_exact(code, snowflake_resource, stack) -> set[str]:
    """Bronze holds each message of the topic once, silver each source id, gold each trusted silver id; returns
    the source ids."""
    source = mongo_ids(stack)
    topic = stack["kafka"].topic
    bronze = rows(
        snowflake_resource,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT kafka_partition || ':' || kafka_offset) AS distinct_offsets "
        f"FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = '{topic}'",
    )[0]
    assert bronze[0] == bronze[1] and bronze[0] >= len(source)  # one row per message, never two
    assert ids(snowflake_resource, "SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE") == source
    trusted = ids(snowflake_resource, TRUSTED)
    assert ids(snowflake_resource, "SELECT id AS id FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES") == trusted
    assert ids(snowflake_resource, "SELECT id AS id FROM ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS") == trusted
    current = "SELECT id AS id FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY WHERE is_current"
    assert ids(snowflake_resource, current) == source
    return source


def test_nothing_new_writes_nothing_with_one_login_and_one_new_document_reaches_gold(
    code, stack, snowflake_resource, warehouse_requests
):
    instance = dg.DagsterInstance.ephemeral()
    assert seed(stack, 300, 11) == 300
    first, run_requests, _ = pipeline(code, instance, snowflake_resource, warehouse_requests)
    assert {"silver_real_estate", "gold_ml_features", "gold_listing_history", "model_registry"} <= materialized(first)
    assert logins(run_requests) == 1  # one session for the whole run
    assert_exact(code, snowflake_resource, stack)
    lake_before = snapshots(code)
    models = rows(snowflake_resource, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")[0][0]
    assert models == 1

    again, run_requests, pulse_requests = pipeline(code, instance, snowflake_resource, warehouse_requests)
    assert writes(run_requests) == []
    assert writes(pulse_requests) == []
    assert logins(run_requests) == 1
    assert [verb(text) for _, kind, text in run_requests if kind == "query"] != []  # it did ask (reads only)
    assert materialized(again) <= {"warehouse_schema", "data_ingestion", "bronze_real_estate"}
    reasons = skip_reasons(again)
    assert reasons["silver_real_estate"] == "unchanged: no bronze message above silver's high-water marks"
    assert snapshots(code) == lake_before  # no Iceberg snapshot
    assert rows(snowflake_resource, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")[0][0] == 1

    # the test can fail: a statement that writes shows in the log with its first word
    with warehouse.connect(snowflake_resource) as conn:
        conn.cursor().execute("-- a comment first\nCREATE SCHEMA IF NOT EXISTS ANALYTICS_DB.SEMANTIC").fetchall()
    assert writes(read_log(warehouse_requests)[-2:]) == ["CREATE SCHEMA IF NOT EXISTS ANALYTICS_DB.SEMANTIC"]

    with stack["mongo"].get_collection() as collection:
        inserted = collection.insert_one(good(4.2e9, city="Đà Nẵng", district="Hải Châu")).inserted_id
    new_id = document_key(inserted)
    third, _, _ = pipeline(code, instance, snowflake_resource, warehouse_requests)
    assert {"silver_real_estate", "gold_ml_features", "gold_listing_history"} <= materialized(third)
    source = assert_exact(code, snowflake_resource, stack)
    assert new_id in source and len(source) == 301
    assert new_id in ids(snowflake_resource, "SELECT id AS id FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES")
    history = rows(
        snowflake_resource,
        f"SELECT change_type AS change_type FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY WHERE id = '{new_id}'",
    )
    assert history == [("listed",)]
    after = snapshots(code)
    for name in ("gold_ml_features", "gold_listing_history"):  # the changed gold tables got one snapshot each
        assert after[name][: len(lake_before[name])] == lake_before[name]
        assert len(after[name]) == len(lake_before[name]) + 1
    assert "not retrained" in skip_reasons(third)["model_registry"]  # 1 row of 301 changed: below the share

    # nothing new again: the registry, which skipped on its own policy after gold's new version, does not hold
    # gold (or anything) back from skipping (defs/unchanged.py settled_downstream)
    fourth, run_requests, pulse_requests = pipeline(code, instance, snowflake_resource, warehouse_requests)
    assert writes(run_requests) == [] and writes(pulse_requests) == []
    assert materialized(fourth) <= {"warehouse_schema", "data_ingestion", "bronze_real_estate"}
    assert snapshots(code) == after
    assert rows(snowflake_resource, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")[0][0] == 1


def test_a_wiped_warehouse_gets_its_schema_and_every_row_back_although_the_instance_remembers(
    code, stack, snowflake_resource, warehouse_requests
):
    instance = dg.DagsterInstance.ephemeral()
    assert seed(stack, 300, 11) == 300  # a seed whose model clears the R² floor
    pipeline(code, instance, snowflake_resource, warehouse_requests)
    source = assert_exact(code, snowflake_resource, stack)
    assert len(source) == 300

    wipe(snowflake_resource)  # the warehouse loses every table and view; the Dagster instance remembers them

    result, run_requests, _ = pipeline(code, instance, snowflake_resource, warehouse_requests)
    schema = instance.get_latest_materialization_event(dg.AssetKey("warehouse_schema")).asset_materialization
    assert schema.metadata["statements"].value > 30  # re-created: the DDL's fingerprint alone did not skip it
    assert len(schema.metadata["missing_tables"].value) == len(
        [t for t in tables.all_declared().values() if t.kind == "table"]
    )
    assert "CREATE" in {verb(text) for _, kind, text in run_requests if kind == "query"}
    assert {"silver_real_estate", "gold_ml_features", "gold_listing_history"} <= materialized(result)
    assert assert_exact(code, snowflake_resource, stack) == source
    models = rows(snowflake_resource, "SELECT COUNT(*) AS n FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")[0][0]
    assert models == 1  # a model again, in the new registry
