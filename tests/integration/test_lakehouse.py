"""The lakehouse: gold published as Apache Iceberg tables on the embedded S3 (the session's localbucket), with a
SQLite catalog of the test's own, against a warehouse of this module's own (fakesnow server).

Each published table is read back through pyiceberg and compared with the warehouse table read through the
driver's row path (not the Arrow path that publishing uses), value by value.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from types import SimpleNamespace

import boto3
import dagster as dg
import pytest

from medallion_assets import cli
from medallion_assets.defs.gold import assets as gold_assets
from medallion_assets.defs.gold import checks as gold_checks
from medallion_assets.defs.lakehouse.assets import build_asset, publish_table
from medallion_assets.defs.lakehouse.checks import build_checks
from medallion_assets.lib import lakehouse, silver, tables
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.gold import FEATURES_TABLE, MARKET_TABLE, TRENDS_TABLE
from medallion_assets.lib.iceberg_catalog import LOCAL_BUCKET, LakehouseResource
from tests.helpers import add_bronze, good, insert_aggregates, insert_features, insert_rows

GOLD = [FEATURES_TABLE, MARKET_TABLE, TRENDS_TABLE]
SORT = {
    FEATURES_TABLE: ("id",),
    MARKET_TABLE: ("city", "district", "property_type"),
    TRENDS_TABLE: ("city", "year_month"),
}


@pytest.fixture
def conn(module_conn):
    for table in [*GOLD, "RAW_DB.LANDING.BRONZE_REAL_ESTATE", "STAGING_DB.CLEANED.SILVER_REAL_ESTATE"]:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    for table in ("STAGING_DB.CLEANED.SILVER_WATERMARK", "STAGING_DB.CLEANED.SILVER_BATCH"):
        module_conn.cursor().execute(f"DELETE FROM {table}")
    return module_conn


@pytest.fixture
def s3_port(services_home) -> int:
    return json.loads((services_home / "services.json").read_text())["ports"]["s3"]


@pytest.fixture
def lake(s3_port, tmp_path) -> LakehouseResource:
    """The embedded lakehouse's settings, with a catalog and a warehouse prefix of this test's own."""
    props = {
        "s3.endpoint": f"http://127.0.0.1:{s3_port}",
        "s3.access-key-id": "local",
        "s3.secret-access-key": "local",
        "s3.region": "us-east-1",
    }
    return LakehouseResource(
        catalog_uri=f"sqlite:///{tmp_path / 'catalog.db'}",
        warehouse=f"s3://{LOCAL_BUCKET}/test-{uuid.uuid4().hex[:8]}/",
        properties=json.dumps(props),
    )


def s3_keys(s3_port: int, prefix: str) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{s3_port}",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        region_name="us-east-1",
    )
    keys, token = [], None
    while True:
        page = client.list_objects_v2(
            Bucket=LOCAL_BUCKET, Prefix=prefix, **({"ContinuationToken": token} if token else {})
        )
        keys += [item["Key"] for item in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return sorted(keys)
        token = page["NextContinuationToken"]


def warehouse_rows(conn, table: str) -> list[dict]:
    cursor = conn.cursor().execute(f"SELECT * FROM {table}")
    columns = [c[0].lower() for c in cursor.description]
    return sort_rows([dict(zip(columns, row)) for row in cursor.fetchall()], table)


def sort_rows(rows: list[dict], table: str) -> list[dict]:
    return sorted(rows, key=lambda r: tuple((r[k] is None, r[k] or "") for k in SORT[table]))


def iceberg_rows(lake: LakehouseResource, table: str, snapshot_id: int | None = None) -> list[dict]:
    spec = next(s for s in lakehouse.PUBLISHED if s.warehouse_table == table)
    loaded = lakehouse.load(lake.catalog(), lake.namespace, spec)
    return sort_rows(lakehouse.scan(loaded, snapshot_id).to_pylist(), table)


def publish(snowflake_resource, lake, table: str) -> dict:
    spec = next(s for s in lakehouse.PUBLISHED if s.warehouse_table == table)
    metadata = publish_table(spec, snowflake_resource, lake, "test-run", 30)
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def test_each_published_table_equals_its_warehouse_table_and_lives_on_s3(conn, snowflake_resource, lake, s3_port):
    insert_features(conn, 3000)
    insert_aggregates(conn)
    for table in GOLD:
        meta = publish(snowflake_resource, lake, table)
        expected = warehouse_rows(conn, table)
        assert len(expected) == {FEATURES_TABLE: 3000, MARKET_TABLE: 80, TRENDS_TABLE: 60}[table]
        got = iceberg_rows(lake, table)
        assert got == expected, table
        loaded = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published(table.split(".")[-1].lower()))
        assert meta["snapshot_id"] == str(loaded.current_snapshot().snapshot_id)
        assert meta["dagster/row_count"] == meta["warehouse_rows"] == len(expected)
        assert [c.name for c in meta["dagster/column_schema"].columns] == list(expected[0])
        assert meta["location"] == f"{lake.warehouse}medallion/{table.split('.')[-1].lower()}"
    features = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published("gold_ml_features"))
    assert [str(f.transform) for f in features.spec().fields] == ["identity"]
    # NULL stays NULL (not 1970 or ''), '' stays '' and microseconds survive
    row = next(r for r in iceberg_rows(lake, FEATURES_TABLE) if r["id"] == "L000000")
    assert (row["area"], row["price_per_sqm"], row["bedrooms"], row["posted_date"], row["is_high_value"]) == (
        None, None, None, None, None,
    )  # fmt: skip
    assert row["district"] == "" and row["city"] == "Hà Nội"
    assert next(r for r in iceberg_rows(lake, FEATURES_TABLE) if r["id"] == "L000003")["processed_at"] == dt.datetime(
        2026, 11, 30, 12, 0, 0, 3003
    )

    # the files are on the embedded S3: data (one folder per city partition, NULL city too) and metadata
    prefix = lake.warehouse.removeprefix(f"s3://{LOCAL_BUCKET}/")
    keys = s3_keys(s3_port, prefix)
    features_data = [k for k in keys if k.startswith(f"{prefix}medallion/gold_ml_features/data/")]
    assert len({k.split("/")[-2] for k in features_data}) == 5 and all(k.endswith(".parquet") for k in features_data)
    assert any("city=null" in k for k in features_data)
    for name in ("gold_ml_features", "gold_market_analytics", "gold_price_trends"):
        assert any(k.startswith(f"{prefix}medallion/{name}/metadata/") and k.endswith(".metadata.json") for k in keys)
        assert any(k.startswith(f"{prefix}medallion/{name}/data/") for k in keys)


def test_time_travel_and_an_added_column_keep_every_snapshot_readable(conn, snowflake_resource, lake):
    insert_features(conn, 500)
    first = publish(snowflake_resource, lake, FEATURES_TABLE)
    v1 = warehouse_rows(conn, FEATURES_TABLE)

    # changed data: a repricing, deletions, new rows
    conn.cursor().execute(f"UPDATE {FEATURES_TABLE} SET price = 123.0 WHERE id = 'L000001'")
    conn.cursor().execute(f"DELETE FROM {FEATURES_TABLE} WHERE id IN ('L000002', 'L000003')")
    insert_features(conn, 10, seed=2, start=500)
    second = publish(snowflake_resource, lake, FEATURES_TABLE)
    v2 = warehouse_rows(conn, FEATURES_TABLE)
    assert len(v2) == 508 and first["snapshot_id"] != second["snapshot_id"]
    assert iceberg_rows(lake, FEATURES_TABLE, int(first["snapshot_id"])) == v1
    assert iceberg_rows(lake, FEATURES_TABLE) == v2

    # a column added to gold appears on the next publication; the earlier snapshots keep their schema
    conn.cursor().execute(f"ALTER TABLE {FEATURES_TABLE} ADD COLUMN listing_note VARCHAR")
    try:
        conn.cursor().execute(f"UPDATE {FEATURES_TABLE} SET listing_note = 'hot' WHERE id = 'L000001'")
        third = publish(snowflake_resource, lake, FEATURES_TABLE)
        v3 = warehouse_rows(conn, FEATURES_TABLE)
    finally:
        conn.cursor().execute(f"ALTER TABLE {FEATURES_TABLE} DROP COLUMN listing_note")
    assert [c.name for c in third["dagster/column_schema"].columns][-1] == "listing_note"
    current = iceberg_rows(lake, FEATURES_TABLE)
    assert current == v3 and next(r for r in current if r["id"] == "L000001")["listing_note"] == "hot"
    assert iceberg_rows(lake, FEATURES_TABLE, int(first["snapshot_id"])) == v1
    assert iceberg_rows(lake, FEATURES_TABLE, int(second["snapshot_id"])) == v2
    assert "listing_note" not in iceberg_rows(lake, FEATURES_TABLE, int(second["snapshot_id"]))[0]

    # one snapshot per publication, each an overwrite of the one before
    table = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published("gold_ml_features"))
    snapshots = table.snapshots()
    assert [str(s.snapshot_id) for s in snapshots] == [
        first["snapshot_id"],
        second["snapshot_id"],
        third["snapshot_id"],
    ]
    assert [s.summary.operation.value for s in snapshots] == ["append", "overwrite", "overwrite"]
    assert [s.parent_snapshot_id for s in snapshots[1:]] == [snapshots[0].snapshot_id, snapshots[1].snapshot_id]


def test_expiry_drops_old_snapshots_and_the_files_only_they_used(conn, snowflake_resource, lake, s3_port):
    insert_features(conn, 50)
    first = publish(snowflake_resource, lake, FEATURES_TABLE)
    prefix = lake.warehouse.removeprefix(f"s3://{LOCAL_BUCKET}/") + "medallion/gold_ml_features/data/"
    first_files = s3_keys(s3_port, prefix)
    conn.cursor().execute(f"UPDATE {FEATURES_TABLE} SET price = price + 1")
    second = publish(snowflake_resource, lake, FEATURES_TABLE)
    assert set(first_files) < set(s3_keys(s3_port, prefix))  # the first version's files stay while it is kept

    table = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published("gold_ml_features"))
    assert lakehouse.expire_snapshots(table, keep_days=30) == ([], 0)  # both younger than 30 days
    expired, deleted = lakehouse.expire_snapshots(table, keep_days=0)
    assert expired == [int(first["snapshot_id"])] and deleted == len(first_files) + 2  # + manifest list, manifest
    assert set(s3_keys(s3_port, prefix)).isdisjoint(first_files)
    table = table.refresh()
    assert [s.snapshot_id for s in table.snapshots()] == [int(second["snapshot_id"])]
    with pytest.raises(MedallionError, match=f"has no snapshot {first['snapshot_id']} .expired or never made"):
        lakehouse.scan(table, int(first["snapshot_id"]))
    assert iceberg_rows(lake, FEATURES_TABLE) == warehouse_rows(conn, FEATURES_TABLE)


# the three tables gold_tables writes (the history and the pulse have assets of their own, tested elsewhere)
GOLD_PUBLISHED = [s for s in lakehouse.PUBLISHED if dg.AssetKey(s.gold_asset) in gold_assets.gold_tables.keys]
LAKEHOUSE = [build_asset(spec) for spec in GOLD_PUBLISHED]
LAKEHOUSE_CHECKS = [check for spec in GOLD_PUBLISHED for check in build_checks(spec)]
GOLD_DEFS = [
    gold_assets.gold_tables,
    gold_checks.gold_from_trusted_silver,
    gold_checks.gold_ids_unique,
    gold_checks.gold_features_consistent,
    gold_checks.market_counts_add_up,
    gold_checks.trend_counts_add_up,
]


def test_a_failed_gold_check_leaves_the_iceberg_table_on_its_previous_snapshot(
    conn, snowflake_resource, lake, monkeypatch
):
    resources = {"snowflake": snowflake_resource, "lakehouse": lake}
    add_bronze(conn, [(f"ok-{i}", good((i + 1) * 1e9)) for i in range(10)])
    silver.refresh_silver(conn, "lakehouse-1")
    result = dg.materialize([*GOLD_DEFS, *LAKEHOUSE, *LAKEHOUSE_CHECKS], resources=resources)
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert result.success and all(e.passed for e in evaluations.values())
    assert {k for k in evaluations if k[0].startswith("lakehouse_")} == {
        (f"lakehouse_{name}", check)
        for name in ("gold_ml_features", "gold_market_analytics", "gold_price_trends")
        for check in ("matches_warehouse", "snapshot_is_latest")
    }
    before = iceberg_rows(lake, FEATURES_TABLE)
    assert len(before) == 10 and before == warehouse_rows(conn, FEATURES_TABLE)
    table = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published("gold_ml_features"))
    snapshot_before = table.current_snapshot().snapshot_id

    # gold changes (a repricing, a listing scoring 0.8), and its trusted-silver check, asked for score 1.0, fails
    add_bronze(conn, [("ok-0", good(1.25e9)), ("weak", {k: v for k, v in good(3e9).items() if k != "bedrooms"})])
    silver.refresh_silver(conn, "lakehouse-2")
    # (a check that disagrees with gold: the bar is one setting, so the fault is planted in the check's module)
    with monkeypatch.context() as patched:
        patched.setattr(gold_checks, "settings", SimpleNamespace(min_quality_score=lambda: 1.0))
        result = dg.materialize([*GOLD_DEFS, *LAKEHOUSE, *LAKEHOUSE_CHECKS], resources=resources, raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["gold_from_trusted_silver"].passed is False
    published = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "gold_ml_features" in published and "lakehouse_gold_ml_features" not in published
    assert len(warehouse_rows(conn, FEATURES_TABLE)) == 11
    assert table.refresh().current_snapshot().snapshot_id == snapshot_before
    assert iceberg_rows(lake, FEATURES_TABLE) == before

    # the gate passes again: the publication catches up
    result = dg.materialize([*GOLD_DEFS, *LAKEHOUSE, *LAKEHOUSE_CHECKS], resources=resources)
    assert result.success
    assert iceberg_rows(lake, FEATURES_TABLE) == warehouse_rows(conn, FEATURES_TABLE)
    assert table.refresh().current_snapshot().snapshot_id != snapshot_before


def test_medallion_lakehouse_show_reads_the_current_or_an_earlier_snapshot(
    conn, snowflake_resource, services_home, warehouse_port, tmp_path, capsys
):
    from medallion_assets.lib.iceberg_catalog import embedded_lakehouse
    from tests.helpers import medallion, private_env

    env = private_env(services_home, warehouse_port, tmp_path)  # the CLI's MEDALLION_HOME: its own catalog
    lake = embedded_lakehouse(home=tmp_path / "home")
    row = {
        "city": "Hà Nội",
        "year_month": "2025-01",
        "avg_price": 1.5e9,
        "avg_price_per_sqm": None,
        "listing_count": 2,
        "updated_at": dt.datetime(2026, 11, 30, 1, 2, 3),
    }
    insert_rows(conn, TRENDS_TABLE, [row])
    first = publish(snowflake_resource, lake, TRENDS_TABLE)
    conn.cursor().execute(f"UPDATE {TRENDS_TABLE} SET avg_price = 2.5e9, city = ''")
    second = publish(snowflake_resource, lake, TRENDS_TABLE)

    # the declared columns in their order; those the row leaves out are NULL, printed empty (text mode: \r\n read
    # as \n)
    columns = [c.name for c in tables.declared(TRENDS_TABLE).columns]

    def csv(**cells: str) -> str:
        return ",".join(columns) + "\n" + ",".join(cells.get(c, "") for c in columns) + "\n"

    cells = {"year_month": "2025-01", "listing_count": "2", "updated_at": "2026-11-30T01:02:03"}
    done = medallion(env, "lakehouse", "show", "gold_price_trends", "--format", "csv")
    assert (done.returncode, done.stdout) == (0, csv(city='""', avg_price="2500000000.0", **cells))
    done = medallion(
        env, "lakehouse", "show", "gold_price_trends", "--snapshot", first["snapshot_id"], "--format", "csv"
    )
    assert (done.returncode, done.stdout) == (0, csv(city="Hà Nội", avg_price="1500000000.0", **cells))
    done = medallion(env, "lakehouse", "snapshots", "gold_price_trends", "--format", "csv")
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0] == "snapshot_id,parent_id,committed_at,operation,rows,schema_id,state"
    assert [line.split(",")[:2] + line.split(",")[3:] for line in lines[1:]] == [
        [first["snapshot_id"], "", "append", "1", "0", ""],
        [second["snapshot_id"], first["snapshot_id"], "overwrite", "1", "0", "current"],
    ]
    assert cli.main(["lakehouse", "show", "gold_nope"]) == 1
    assert "no lakehouse table 'gold_nope'; published are gold_ml_features" in capsys.readouterr().err


def test_the_asset_honours_keep_snapshot_days(conn, snowflake_resource, lake):
    """keep_snapshot_days (run config of each lakehouse asset): by default (30 days) a publication expires nothing
    younger; set to 0 it expires every snapshot but the one it just made."""
    resources = {"snowflake": snowflake_resource, "lakehouse": lake}
    trends = next(a for a in LAKEHOUSE if a.key == dg.AssetKey("lakehouse_gold_price_trends"))
    add_bronze(conn, [(f"keep-{i}", good((i + 1) * 1e9)) for i in range(5)])
    silver.refresh_silver(conn, "keep-1")

    def publish_trends(**config) -> dict:
        run_config = {"ops": {"lakehouse_gold_price_trends": {"config": config}}} if config else None
        result = dg.materialize(
            [gold_assets.gold_tables, trends], resources=resources, selection=[trends.key], run_config=run_config
        )
        (event,) = result.get_asset_materialization_events()
        return {
            k: v.value for k, v in event.materialization.metadata.items() if k in ("snapshots_expired", "files_deleted")
        }

    assert dg.materialize([gold_assets.gold_tables], resources=resources).success
    assert publish_trends() == {"snapshots_expired": 0, "files_deleted": 0}
    assert publish_trends() == {"snapshots_expired": 0, "files_deleted": 0}  # two snapshots, both kept
    table = lakehouse.load(lake.catalog(), lake.namespace, lakehouse.published("gold_price_trends"))
    assert len(table.snapshots()) == 2
    expired = publish_trends(keep_snapshot_days=0)
    assert expired["snapshots_expired"] == 2 and expired["files_deleted"] > 0
    table = table.refresh()
    assert [s.snapshot_id for s in table.snapshots()] == [table.current_snapshot().snapshot_id]
