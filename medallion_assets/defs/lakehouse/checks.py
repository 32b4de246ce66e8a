"""Lakehouse checks, two per published table (built from lib/lakehouse.PUBLISHED like the assets):

- `matches_warehouse`: the Iceberg table's current snapshot has as many rows and the same columns as its gold
  table in the warehouse (run right after a publication, that is the gold table it was published from);
- `snapshot_is_latest`: the table's newest snapshot is the one the last materialization recorded (nothing
  else wrote to the table, or rolled it back, since).
"""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import lakehouse, warehouse
from medallion_assets.lib.iceberg_catalog import LakehouseResource
from medallion_assets.lib.lakehouse import PublishedTable


def _warehouse_state(snowflake: SnowflakeResource, table: str) -> tuple[int, list[str]]:
    database, schema, name = table.split(".")
    with warehouse.connect(snowflake) as conn:
        rows = int(warehouse.fetch_all(conn, "common/row_count", names={"table": table})[0]["n"])
        columns = warehouse.fetch_all(conn, "common/columns", {"schema": schema, "table": name}, {"database": database})
    return rows, [c["name"].lower() for c in columns]


def _iceberg_state(lakehouse_resource: LakehouseResource, spec: PublishedTable) -> tuple:
    table = lakehouse.load(lakehouse_resource.catalog(), lakehouse_resource.namespace, spec)
    snapshot = table.current_snapshot()
    rows = sum(task.file.record_count for task in table.scan().plan_files()) if snapshot else 0
    return (snapshot.snapshot_id if snapshot else None), rows, [f.name for f in table.schema().fields]


def build_checks(spec: PublishedTable) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=spec.asset_key,
        name="matches_warehouse",
        additional_deps=[spec.gold_asset],
        description=f"The Iceberg table's current snapshot has the rows (count) and columns of {spec.warehouse_table}.",
    )
    def matches_warehouse(snowflake: SnowflakeResource, lakehouse: LakehouseResource) -> dg.AssetCheckResult:
        warehouse_rows, warehouse_columns = _warehouse_state(snowflake, spec.warehouse_table)
        snapshot_id, iceberg_rows, iceberg_columns = _iceberg_state(lakehouse, spec)
        missing = sorted(set(warehouse_columns) - set(iceberg_columns))
        extra = sorted(set(iceberg_columns) - set(warehouse_columns))
        return dg.AssetCheckResult(
            passed=warehouse_rows == iceberg_rows and not missing and not extra,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "snapshot_id": dg.MetadataValue.text(str(snapshot_id)),
                "iceberg_rows": dg.MetadataValue.int(iceberg_rows),
                "warehouse_rows": dg.MetadataValue.int(warehouse_rows),
                "columns_missing_in_iceberg": dg.MetadataValue.json(missing),
                "columns_only_in_iceberg": dg.MetadataValue.json(extra),
            },
        )

    @dg.asset_check(
        asset=spec.asset_key,
        name="snapshot_is_latest",
        description="The newest snapshot of the Iceberg table is the one its last materialization recorded.",
    )
    def snapshot_is_latest(context: dg.AssetCheckExecutionContext, lakehouse: LakehouseResource) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(dg.AssetKey(spec.asset_key))
        recorded_value = event.asset_materialization.metadata.get("snapshot_id") if event else None
        recorded = getattr(recorded_value, "value", None)
        snapshot_id, _, _ = _iceberg_state(lakehouse, spec)
        return dg.AssetCheckResult(
            passed=recorded is not None and recorded == str(snapshot_id),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "current_snapshot_id": dg.MetadataValue.text(str(snapshot_id)),
                "materialized_snapshot_id": dg.MetadataValue.text(str(recorded)),
            },
        )

    return [matches_warehouse, snapshot_is_latest]


def build_all_checks() -> list[dg.AssetChecksDefinition]:
    return [check for spec in lakehouse.PUBLISHED for check in build_checks(spec)]
