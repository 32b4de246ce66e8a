"""Lakehouse: each gold table published as an Apache Iceberg table (namespace `medallion`), one snapshot per
materialization; lib/lakehouse.py has the how, lib/iceberg_catalog.py the where.

The assets are built from lib/lakehouse.PUBLISHED (one declaration per table) and loaded by definitions.py,
only when the lakehouse is enabled (always locally; in production when a catalog is configured).
"""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.unchanged import skipped_unchanged, unchanged_inputs
from medallion_assets.lib import lakehouse, warehouse
from medallion_assets.lib.iceberg_catalog import LakehouseResource
from medallion_assets.lib.lakehouse import DEFAULT_KEEP_DAYS, PublishedTable


class LakehouseConfig(dg.Config):
    keep_snapshot_days: float = Field(
        default=DEFAULT_KEEP_DAYS,
        ge=0,
        description="Snapshots older than this many days are expired after each publication, with the files only "
        "they referenced (the current snapshot always stays). Default 30.",
    )


def materialization_metadata(summary: dict, warehouse_rows: int, expired: list[int], deleted: int) -> dict:
    return {
        "dagster/row_count": dg.MetadataValue.int(summary["rows"]),
        "snapshot_id": dg.MetadataValue.text(str(summary["snapshot_id"])),
        "iceberg_table": dg.MetadataValue.text(summary["table"]),
        "location": dg.MetadataValue.path(summary["location"]),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind, description=doc) for name, kind, doc in summary["schema"]]
        ),
        "partition_spec": dg.MetadataValue.text(", ".join(summary["partition_spec"]) or "unpartitioned"),
        "data_files": dg.MetadataValue.int(summary["data_files"]),
        "files_size_bytes": dg.MetadataValue.int(summary["files_size_bytes"]),
        "warehouse_rows": dg.MetadataValue.int(warehouse_rows),
        "snapshots_expired": dg.MetadataValue.int(len(expired)),
        "files_deleted": dg.MetadataValue.int(deleted),
    }


def publish_table(
    spec: PublishedTable, snowflake: SnowflakeResource, lakehouse_resource: LakehouseResource, run_id: str, keep_days
) -> dict:
    """Read the gold table, publish it as one snapshot, expire old snapshots; the materialization's metadata."""
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        data = lakehouse.read_gold(conn, spec.warehouse_table)
    read_s = time.monotonic() - started
    catalog = lakehouse_resource.catalog()
    properties = {"medallion.run-id": run_id, "medallion.source-table": spec.warehouse_table}
    table = lakehouse.publish(catalog, lakehouse_resource.namespace, spec, data, properties)
    expired, deleted = lakehouse.expire_snapshots(table, keep_days)
    table = table.refresh()
    summary = {**lakehouse.snapshot_summary(table), "table": f"{lakehouse_resource.namespace}.{spec.name}"}
    metadata = materialization_metadata(summary, data.num_rows, expired, deleted)
    metadata["read_seconds"] = dg.MetadataValue.float(round(read_s, 2))
    metadata["seconds"] = dg.MetadataValue.float(round(time.monotonic() - started, 2))
    return metadata


def build_asset(spec: PublishedTable) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.asset_key,
        group_name="lakehouse",
        deps=[spec.gold_asset],
        kinds={"iceberg", "s3"},
        description=f"{spec.warehouse_table} as the Apache Iceberg table medallion.{spec.name}: replaced in one "
        "snapshot per materialization, earlier snapshots readable by id until they expire"
        + (f"; partitioned by {', '.join(f'{t}({c})' for c, t in spec.partition_by)}" if spec.partition_by else "")
        + ".",
        metadata={
            "iceberg/table": f"medallion.{spec.name}",
            "source_table": spec.warehouse_table,
            "dagster/column_schema": spec.column_schema(),
        },
        output_required=False,  # no snapshot when the gold table did not change (defs/unchanged.py)
    )
    def _publish(
        context: dg.AssetExecutionContext,
        config: LakehouseConfig,
        snowflake: SnowflakeResource,
        lakehouse: LakehouseResource,
    ):
        reason = unchanged_inputs(context)
        if reason:
            context.log.info(f"{spec.name}: no new snapshot, {reason}")
            yield skipped_unchanged(spec.asset_key, reason)
            return
        metadata = publish_table(spec, snowflake, lakehouse, context.run.run_id, config.keep_snapshot_days)
        context.log.info(
            f"{spec.name}: snapshot {metadata['snapshot_id'].value}, {metadata['dagster/row_count'].value} rows "
            f"({metadata['seconds'].value}s)"
        )
        yield dg.MaterializeResult(metadata=metadata)

    return _publish


def build_assets() -> list[dg.AssetsDefinition]:
    return [build_asset(spec) for spec in lakehouse.PUBLISHED]
