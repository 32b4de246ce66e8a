"""`medallion status`'s Tables, Freshness per layer and Sensors and schedules sections, read from a Dagster instance
whose materializations (with their timestamps) and sensor/schedule states the test writes itself: each value is
what docs/operating.md says it is (daily tables warn after 6 h and fail after 24 h, the price model and its
registry weekly: warn after 7 days, fail after 8; a layer shows its worst asset; never materialized is UNKNOWN;
a sensor shows the state the instance records, else its default)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from medallion_assets.definitions import defs
from medallion_assets.dev import status

NOW = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC).timestamp()
HOUR = 3600.0
DAY = 24 * HOUR
GRAPH = defs.resolve_asset_graph()
MATERIALIZABLE = [GRAPH.get(k) for k in GRAPH.toposorted_asset_keys if GRAPH.get(k).is_materializable]
LAYER_SIZES = {"source": 1, "ingestion": 1, "bronze": 1, "silver": 2, "gold": 5, "ml": 5, "lakehouse": 5, "semantic": 6}


def materialized(instance, asset: str, at: float, rows: int | None = None, partition: str | None = None) -> None:
    """A materialization of `asset` stored with the timestamp `at` (epoch seconds), as a run would store it."""
    metadata = {} if rows is None else {"dagster/row_count": rows}
    event = DagsterEvent(
        DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="__ASSET_JOB",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key=asset, metadata=metadata, partition=partition)
        ),
    )
    instance.store_event(
        EventLogEntry(error_info=None, level="debug", user_message="", run_id="", timestamp=at, dagster_event=event)
    )


def report(instance) -> status.Report:
    result = status.Report()
    status.dagster_rows(result, instance, defs, NOW)
    return result


def test_the_layers_are_the_groups_of_the_graph_with_their_sizes():
    sizes: dict[str, int] = {}
    for node in MATERIALIZABLE:
        sizes[node.group_name] = sizes.get(node.group_name, 0) + 1
    assert sizes == LAYER_SIZES


def test_freshness_per_layer_is_its_worst_asset_by_age_of_the_last_materialization():
    with dg.instance_for_test() as instance:
        # Never materialized: every layer with a policy is UNKNOWN and names all its assets; `source` (the
        # warehouse setup, no policy) is never stale.
        never = {row[0]: row[1:] for row in report(instance).freshness}
        assert never["source"] == ("PASS", "1 assets")
        assert never["silver"] == ("UNKNOWN", "2 assets; UNKNOWN: data_quality_log, silver_real_estate")

        for node in MATERIALIZABLE:  # everything one hour ago
            materialized(instance, node.key.to_user_string(), NOW - HOUR, partition=None)
        assert report(instance).freshness == [(layer, "PASS", f"{n} assets") for layer, n in LAYER_SIZES.items()]

        materialized(instance, "data_ingestion", NOW - 6 * HOUR)  # exactly at the warn window: still PASS
        materialized(instance, "bronze_real_estate", NOW - 6 * HOUR - 1)  # one second past it: WARN
        materialized(instance, "silver_real_estate", NOW - 24 * HOUR - 1)  # past the fail window: FAIL
        materialized(instance, "data_quality_log", NOW - 7 * HOUR)  # WARN, but the layer shows its worst
        materialized(instance, "gold_ml_features", NOW - 23 * HOUR)
        materialized(instance, "gold_price_trends", NOW - 20 * HOUR)
        materialized(instance, "price_model", NOW - 7 * DAY + 60)  # weekly: 6 days 23:59 old is PASS
        materialized(instance, "model_registry", NOW - 7 * DAY - 60)  # ... 7 days 00:01 is WARN
        materialized(instance, "v_market_summary", NOW - 8 * DAY - 1)  # a daily view 8 days old: FAIL
        materialized(instance, "feature_importance", NOW - 8 * DAY - 1)  # weekly, past 8 days: FAIL

        rows = report(instance).freshness
    assert rows == [
        ("source", "PASS", "1 assets"),
        ("ingestion", "PASS", "1 assets"),
        ("bronze", "WARN", "1 assets; WARN: bronze_real_estate"),
        ("silver", "FAIL", "2 assets; FAIL: silver_real_estate"),
        ("gold", "WARN", "5 assets; WARN: gold_ml_features, gold_price_trends"),
        ("ml", "FAIL", "5 assets; FAIL: feature_importance"),
        ("lakehouse", "PASS", "5 assets"),
        ("semantic", "FAIL", "6 assets; FAIL: v_market_summary"),
    ]


def test_tables_show_the_latest_materialization_time_and_its_row_count():
    with dg.instance_for_test() as instance:
        materialized(instance, "silver_real_estate", NOW - 2 * DAY, rows=5)
        materialized(instance, "silver_real_estate", NOW - 90.5, rows=1234)
        materialized(instance, "gold_market_pulse", NOW - 3 * HOUR, rows=9, partition="2026-12-01")
        materialized(instance, "bronze_real_estate", NOW - HOUR)  # no row count in its metadata
        tables = {row[0]: row[1:] for row in report(instance).tables}
    assert tables["silver_real_estate"] == (
        "STAGING_DB.CLEANED.SILVER_REAL_ESTATE",
        "silver",
        "2026-12-03 11:58:29 UTC",
        1234,
    )
    assert tables["gold_market_pulse"] == ("ANALYTICS_DB.DWH.GOLD_MARKET_PULSE", "gold", "2026-12-03 09:00:00 UTC", 9)
    assert tables["bronze_real_estate"] == (
        "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
        "bronze",
        "2026-12-03 11:00:00 UTC",
        None,
    )
    assert tables["gold_ml_features"] == ("ANALYTICS_DB.DWH.GOLD_ML_FEATURES", "gold", "never", None)
    assert len(tables) == 18


SENSORS = ["kafka_backlog_sensor", "market_pulse_sensor", "medallion_automation", "mongo_changes_sensor"]
SCHEDULES = ["nightly_reconciliation", "observe_source_schedule", "weekly_retrain_schedule"]


@pytest.fixture(scope="module")
def workspace():
    """The code location loaded in this process on a test instance, as the UI and the daemon see it."""
    from dagster._core.test_utils import in_process_test_workspace
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    with dg.instance_for_test() as instance:
        origin = LoadableTargetOrigin(module_name="medallion_assets.definitions", attribute="defs")
        with in_process_test_workspace(instance, origin) as context:
            (entry,) = context.get_code_location_entries().values()
            (repository,) = entry.code_location.get_repositories().values()
            yield instance, repository


def test_sensors_and_schedules_show_the_state_the_instance_records(workspace):
    instance, repository = workspace
    expected = [(name, "sensor", "RUNNING") for name in SENSORS] + [(n, "schedule", "RUNNING") for n in SCHEDULES]
    assert report(instance).automation == expected  # nothing recorded: each one's default, RUNNING

    pulse = repository.get_sensor("market_pulse_sensor")
    instance.stop_sensor(pulse.get_remote_origin_id(), pulse.selector_id, pulse)
    nightly = repository.get_schedule("nightly_reconciliation")
    instance.stop_schedule(nightly.get_remote_origin_id(), nightly.selector_id, nightly)
    stopped = {("market_pulse_sensor", "sensor"), ("nightly_reconciliation", "schedule")}
    assert report(instance).automation == [
        (name, kind, "STOPPED" if (name, kind) in stopped else state) for name, kind, state in expected
    ]

    instance.start_sensor(pulse)  # started again in the UI: the instance records RUNNING
    states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
    assert states == {"market_pulse_sensor": "RUNNING", "nightly_reconciliation": "STOPPED"}
    assert report(instance).automation == [
        (name, kind, "STOPPED" if name == "nightly_reconciliation" else state) for name, kind, state in expected
    ]


def test_stale_lists_unevaluated_gates_and_a_layer_behind_its_upstream_for_more_than_ten_minutes():
    """operating.md: Stale lists every materialization whose blocking checks were not evaluated, and every asset
    that follows its upstream but is older than an upstream materialization made more than 10 minutes ago."""
    silver, bronze = dg.AssetKey("silver_real_estate"), dg.AssetKey("bronze_real_estate")
    assert status.FOLLOW_GRACE_S == 600
    gates = [
        ("bronze_real_estate", "blocking check bronze_offsets_unique never ran"),
        ("silver_real_estate", "blocking check silver_quality_share never ran"),
    ]
    with dg.instance_for_test() as instance:
        materialized(instance, "silver_real_estate", NOW - 2 * HOUR)
        materialized(instance, "bronze_real_estate", NOW - 9 * 60)  # newer than silver, within the grace
        assert status.stale_rows(instance, GRAPH, {silver}, NOW) == gates
        materialized(instance, "bronze_real_estate", NOW - 11 * 60)  # newer than silver, for 11 minutes now
        assert status.stale_rows(instance, GRAPH, {silver}, NOW) == [
            *gates,
            (
                "silver_real_estate",
                "older than bronze_real_estate (2026-12-03 11:49:00 UTC); last materialized 2026-12-03 10:00:00 UTC",
            ),
        ]
        for check in ("bronze_offsets_unique", "silver_quality_share"):  # the gates pass: only the lag is left
            asset = bronze if check.startswith("bronze") else silver
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=asset, check_name=check, passed=True))
        assert [row[0] for row in status.stale_rows(instance, GRAPH, {silver}, NOW)] == ["silver_real_estate"]
        assert not status.Report(stale=status.stale_rows(instance, GRAPH, {silver}, NOW)).ok  # exit 3


def test_status_with_every_embedded_server_down_says_so_starts_none_and_exits_3(clean_env, tmp_path, capsys):
    """operating.md: `medallion status` reads only, it never starts a server; a service that does not answer
    makes it exit 3."""
    from medallion_assets import cli
    from medallion_assets.dev import services

    ports = {name: services.free_port() for name in ("mongo", "s3", "kafka", "snowflake")}
    for name, port in ports.items():
        clean_env.setenv(f"MEDALLION_{name.upper()}_PORT", str(port))
    assert cli.main(["status"]) == 3
    out = capsys.readouterr().out
    rows = [line.split()[:2] for line in out.split("Services\n", 1)[1].split("\n\n", 1)[0].splitlines()[2:-1]]
    assert rows == [["mongo", "down"], ["s3", "down"], ["kafka", "down"], ["snowflake", "down"]]
    assert not (tmp_path / "home").exists()  # no server state, pid file or log was made
    assert [services.answers(name, services.Ports(**ports)) for name in ports] == [False] * 4
