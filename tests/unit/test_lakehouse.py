"""The lakehouse's settings and the plain logic of lib/lakehouse.py, worked out by hand (no server)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from medallion_assets.defs.lakehouse.definitions import lakehouse as lakehouse_defs
from medallion_assets.lib import lakehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.iceberg_catalog import (
    VARIABLES,
    LakehouseResource,
    _redacted,
    lakehouse_enabled,
    lakehouse_resource,
)
from medallion_assets.lib.settings import SERVICE_VARIABLES


@pytest.fixture
def lake_env(clean_env):
    """No service variables; the embedded S3 store on port 41234."""
    clean_env.setenv("MEDALLION_S3_PORT", "41234")
    return clean_env


def test_local_default_is_the_embedded_lakehouse(lake_env, tmp_path):
    assert lakehouse_enabled()
    resource = lakehouse_resource()
    assert resource.catalog_uri == f"sqlite:///{tmp_path / 'home' / 'lakehouse' / 'catalog.db'}"
    assert resource.warehouse == "s3://medallion-lakehouse/"
    props = resource.catalog_properties()
    assert props["s3.endpoint"] == "http://127.0.0.1:41234" and props["py-io-impl"].endswith("PyArrowFileIO")


def test_production_without_a_catalog_leaves_the_group_out(lake_env):
    lake_env.setenv("MEDALLION_ENV", "production")
    assert not lakehouse_enabled()
    defs = lakehouse_defs()
    assert list(defs.assets or []) == [] and list(defs.asset_checks or []) == []


def test_a_catalog_without_a_warehouse_is_named(lake_env):
    lake_env.setenv("MEDALLION_ENV", "production")
    lake_env.setenv("MEDALLION_ICEBERG_CATALOG_URI", "postgresql+psycopg2://u:pw@db:5432/iceberg")
    assert lakehouse_enabled()
    with pytest.raises(MedallionError, match="MEDALLION_ICEBERG_CATALOG_URI is set, so MEDALLION_ICEBERG_WAREHOUSE"):
        lakehouse_resource()


def test_configured_catalog_reads_its_secrets_at_run_time(lake_env):
    lake_env.setenv("MEDALLION_ENV", "production")
    lake_env.setenv("MEDALLION_ICEBERG_CATALOG_URI", "https://catalog.example.com/api")
    lake_env.setenv("MEDALLION_ICEBERG_WAREHOUSE", "s3://acme-lake/gold")
    lake_env.setenv("MEDALLION_ICEBERG_CATALOG_TOKEN", "t0ken")
    lake_env.setenv("MEDALLION_ICEBERG_PROPERTIES", '{"s3.region": "eu-west-1"}')
    resource = lakehouse_resource()
    assert resource.warehouse == "s3://acme-lake/gold"
    resolved = resource.process_config_and_initialize()
    props = resolved.catalog_properties()
    assert props == {
        "uri": "https://catalog.example.com/api",
        "warehouse": "s3://acme-lake/gold",
        "s3.region": "eu-west-1",
        "token": "t0ken",
    }  # a REST catalog picks its own FileIO


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('["a"]', "must be a JSON object of strings"),
        ('{"a": 1}', "must be a JSON object of strings"),
    ],
)
def test_bad_properties_are_named(properties, message):
    resource = LakehouseResource(catalog_uri="sqlite://", warehouse="s3://b/", properties=properties)
    with pytest.raises(MedallionError, match=f"MEDALLION_ICEBERG_PROPERTIES {message}"):
        resource.catalog_properties()


def test_the_iceberg_variables_are_service_variables():
    assert set(VARIABLES) <= set(SERVICE_VARIABLES)


def test_passwords_are_left_out_of_messages():
    assert _redacted("postgresql+psycopg2://user:pw@db:5432/x") == "postgresql+psycopg2://***@db:5432/x"
    assert _redacted("https://catalog.example.com") == "https://catalog.example.com"


def test_a_catalog_driver_that_is_not_installed_is_a_setup_error_not_an_outage():
    from medallion_assets.lib.errors import ServiceUnavailable

    resource = LakehouseResource(catalog_uri="mysql+pymysql://user:pw@127.0.0.1:1/cat", warehouse="s3://b/")
    with pytest.raises(MedallionError, match="needs a Python package that is not installed .*pymysql") as info:
        resource.catalog()
    assert not isinstance(info.value, ServiceUnavailable)  # sensors would skip an outage quietly, tick after tick
    assert "pw" not in str(info.value)


def test_arrow_from_the_connector_becomes_iceberg_types():
    field_meta = {b"logicalType": b"FIXED"}
    table = pa.table(
        {
            "ID": pa.array(["a", None], pa.large_string()),
            "BEDROOMS": pa.array([3, None], pa.int8()),
            "PRICE": pa.array([1.5, None], pa.float32()),
            "AT": pa.array([dt.datetime(2026, 1, 2, 3, 4, 5, 678901), None], pa.timestamp("ns")),
            "DAY": pa.array([dt.date(2026, 1, 2), None], pa.date32()),
            "EMPTY_DAY": pa.array([dt.date(2026, 1, 3), None], pa.date64()),  # how an empty DATE column arrives
        }
    )
    table = table.replace_schema_metadata().cast(
        pa.schema([f.with_metadata(field_meta) for f in table.schema])  # driver metadata on each field
    )
    out = lakehouse.to_iceberg_arrow(table)
    assert out.schema == pa.schema(
        [
            ("id", pa.string()),
            ("bedrooms", pa.int64()),
            ("price", pa.float64()),
            ("at", pa.timestamp("us")),
            ("day", pa.date32()),
            ("empty_day", pa.date32()),
        ]
    )
    assert all(f.metadata is None for f in out.schema)
    assert out.to_pylist() == [
        {
            "id": "a",
            "bedrooms": 3,
            "price": 1.5,
            "at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901),
            "day": dt.date(2026, 1, 2),
            "empty_day": dt.date(2026, 1, 3),
        },
        {"id": None, "bedrooms": None, "price": None, "at": None, "day": None, "empty_day": None},
    ]


def test_one_declaration_per_table():
    assert [(t.asset_key, t.warehouse_table, t.partition_by) for t in lakehouse.PUBLISHED] == [
        ("lakehouse_gold_ml_features", "ANALYTICS_DB.DWH.GOLD_ML_FEATURES", (("city", "identity"),)),
        ("lakehouse_gold_market_analytics", "ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS", ()),
        ("lakehouse_gold_price_trends", "ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS", ()),
        ("lakehouse_gold_listing_history", "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY", ()),
        ("lakehouse_gold_market_pulse", "ANALYTICS_DB.DWH.GOLD_MARKET_PULSE", (("event_day", "identity"),)),
    ]
    assert lakehouse.published("lakehouse_gold_price_trends").name == "gold_price_trends"
    with pytest.raises(MedallionError, match="no lakehouse table 'gold_nope'; published are gold_ml_features, "):
        lakehouse.published("gold_nope")
    assert lakehouse._partition_name("city", "identity") == "city"
    assert lakehouse._partition_name("pulse_date", "day") == "pulse_date_day"
    assert lakehouse._partition_name("id", "bucket[16]") == "id_bucket_16"
    assert json.loads(json.dumps(lakehouse.TABLE_PROPERTIES))["write.parquet.compression-codec"] == "zstd"


def test_automation_publishes_after_gold_changed_and_only_once_its_blocking_checks_passed(lake_env):
    """Declarative automation over the real definitions: a gold table's lakehouse publication is requested after
    the table was materialized, and held while one of the table's blocking checks failed."""
    import dagster as dg

    from medallion_assets.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    features, market = dg.AssetKey("lakehouse_gold_ml_features"), dg.AssetKey("lakehouse_gold_market_analytics")
    cursor = None

    def tick() -> tuple[int, int]:
        nonlocal cursor
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=dg.AssetSelection.assets(features, market), cursor=cursor
        )
        cursor = result.cursor
        return result.get_num_requested(features), result.get_num_requested(market)

    def check(asset: str, name: str, passed: bool) -> None:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(asset), check_name=name, passed=passed, severity=dg.AssetCheckSeverity.ERROR
            )
        )

    assert tick() == (0, 0)  # gold never materialized
    for asset, checks in {
        "gold_ml_features": ["gold_from_trusted_silver", "gold_ids_unique", "gold_features_consistent"],
        "gold_market_analytics": ["market_counts_add_up"],
    }.items():
        instance.report_runless_asset_event(dg.AssetMaterialization(asset))
        for name in checks:
            check(asset, name, passed=name != "gold_ids_unique")
    assert tick() == (0, 1)  # market analytics passed its checks; the features failed one: held
    check("gold_ml_features", "gold_ids_unique", passed=True)
    assert tick() == (1, 0)  # the gate passed: published once
    assert tick() == (0, 0)


def test_pulse_publication_follows_any_updated_day_although_most_days_were_never_materialized(lake_env):
    """The pulse is daily-partitioned from MEDALLION_PULSE_START_DATE on, most days never materialized: its
    (unpartitioned) lakehouse publication is requested after a day was materialized, once, and again after the
    next day."""
    import dagster as dg

    from medallion_assets.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    pulse, history = dg.AssetKey("lakehouse_gold_market_pulse"), dg.AssetKey("lakehouse_gold_listing_history")
    cursor = None

    def tick() -> tuple[int, int]:
        nonlocal cursor
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=dg.AssetSelection.assets(pulse, history), cursor=cursor
        )
        cursor = result.cursor
        return result.get_num_requested(pulse), result.get_num_requested(history)

    assert tick() == (0, 0)
    instance.report_runless_asset_event(dg.AssetMaterialization("gold_market_pulse", partition="2026-11-27"))
    assert tick() == (1, 0)
    assert tick() == (0, 0)
    instance.report_runless_asset_event(dg.AssetMaterialization("gold_market_pulse", partition="2026-11-28"))
    assert tick() == (1, 0)
