"""Gold published as Apache Iceberg tables (namespace `medallion`), one snapshot per publication.

A published table is one declaration in `PUBLISHED`: the gold asset it follows, the warehouse table it copies
and how the Iceberg table is partitioned. Each publication

1. reads the whole gold table from the warehouse as Arrow (the connector's `fetch_arrow_all`), with
   lower-case column names and Iceberg's types (timestamps in microseconds, integers as 64-bit);
2. in one catalog commit: adds columns that gold gained and drops those it lost (`union_by_name`; earlier
   snapshots keep the schema they were written with), adds the declared partition fields when missing,
   and replaces every data file by the new ones (one OVERWRITE snapshot, so readers see the old table or
   the new one, never a mix or an empty table in between);
3. expires snapshots older than the retention (default 30 days; the current one never) and deletes the
   files only they referenced.

Time travel: `scan(snapshot_id=...)` reads an earlier publication with the schema it was written with.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyarrow as pa

from medallion_assets.lib import tables, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.gold import FEATURES_TABLE, MARKET_TABLE, TRENDS_TABLE
from medallion_assets.lib.history import HISTORY_TABLE
from medallion_assets.lib.pulse import PULSE_TABLE

DEFAULT_KEEP_DAYS = 30
TABLE_PROPERTIES = {
    "write.parquet.compression-codec": "zstd",
    # Old metadata.json files go with the commits that replaced them (the snapshots stay until expiry).
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "20",
}


@dataclass(frozen=True)
class PublishedTable:
    """One gold table in the lakehouse. `partition_by`: (column, transform) pairs, with pyiceberg's
    transform names: identity, year, month, day, hour, bucket[N], truncate[W]."""

    gold_asset: str
    warehouse_table: str
    partition_by: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The Iceberg table name in the namespace: the gold asset's name."""
        return self.gold_asset

    @property
    def asset_key(self) -> str:
        return f"lakehouse_{self.gold_asset}"

    def column_schema(self):
        """The Iceberg table's columns: the gold table's declared columns (lib/tables.py) with Iceberg's type
        names and the same descriptions, which the publication writes as the Iceberg fields' docs."""
        import dagster as dg

        return dg.TableSchema(
            columns=[
                dg.TableColumn(c.name, iceberg_type_name(c.type), description=c.description or None)
                for c in tables.declared(self.warehouse_table).columns
            ]
        )


# One line per published table. ml_features is partitioned by city (readers filter by city; a few dozen
# partitions); the aggregates are a few hundred rows, where partitions would only make tiny files. The history is
# read by listing (no partition helps that); the pulse by its event day (identity: a DATE is already the day, and
# the day transform needs the optional pyiceberg-core).
PUBLISHED = (
    PublishedTable("gold_ml_features", FEATURES_TABLE, (("city", "identity"),)),
    PublishedTable("gold_market_analytics", MARKET_TABLE),
    PublishedTable("gold_price_trends", TRENDS_TABLE),
    PublishedTable("gold_listing_history", HISTORY_TABLE),
    PublishedTable("gold_market_pulse", PULSE_TABLE, (("event_day", "identity"),)),
)


def published(name: str) -> PublishedTable:
    """The declaration of `name` (the gold asset's name, e.g. gold_ml_features)."""
    for table in PUBLISHED:
        if name in (table.name, table.asset_key):
            return table
    raise MedallionError(f"no lakehouse table {name!r}; published are {', '.join(t.name for t in PUBLISHED)}")


# The Iceberg type (as pyiceberg names it) a declared warehouse type is published as; see _iceberg_type.
_ICEBERG_TYPES = {
    "VARCHAR": "string",
    "FLOAT": "double",
    "INTEGER": "long",
    "BIGINT": "long",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP_NTZ": "timestamp",
    "TIMESTAMP_TZ": "timestamptz",
}


def iceberg_type_name(declared: str) -> str:
    """'FLOAT' -> 'double', 'NUMBER(3,1)' -> 'decimal(3, 1)', 'NUMBER(10,0)' -> 'long'."""
    base, _, params = declared.partition("(")
    if base == "NUMBER" and params:
        precision, _, scale = params.rstrip(")").partition(",")
        return "long" if int(scale or 0) == 0 and int(precision) <= 18 else f"decimal({precision}, {scale or 0})"
    if base not in _ICEBERG_TYPES:
        raise MedallionError(f"no Iceberg type for the declared warehouse type {declared!r}")
    return _ICEBERG_TYPES[base]


# --- reading gold --------------------------------------------------------------------------------------------


def _iceberg_type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC" if kind.tz else None)
    if pa.types.is_integer(kind):
        return pa.int64()
    if pa.types.is_decimal(kind) and kind.scale == 0 and kind.precision <= 18:
        return pa.int64()
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_floating(kind):
        return pa.float64()
    if pa.types.is_date(kind):  # the driver hands an empty DATE column over as date64[ms]; Iceberg's date is days
        return pa.date32()
    return kind


def to_iceberg_arrow(table: pa.Table, docs: dict[str, str] | None = None) -> pa.Table:
    """Lower-case column names, types Iceberg v2 holds, and as field metadata only each column's doc (its
    declared description: pyiceberg writes it as the Iceberg field's doc), none of the driver's."""
    docs = docs or {}

    def field(f: pa.Field) -> pa.Field:
        name = f.name.lower()
        metadata = {"doc": docs[name]} if docs.get(name) else None
        return pa.field(name, _iceberg_type(f.type), nullable=True, metadata=metadata)

    fields = [field(f) for f in table.schema]
    columns = [column.cast(field.type, safe=False) for column, field in zip(table.columns, fields)]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def read_gold(conn, table: str) -> pa.Table:
    """Every row of a warehouse table as Arrow (one SELECT: a consistent state of the table)."""
    cursor = warehouse.execute(conn, "lakehouse/read_table", names={"table": table})
    return to_iceberg_arrow(cursor.fetch_arrow_all(force_return_table=True), tables.declared(table).descriptions())


# --- publishing ----------------------------------------------------------------------------------------------


def _partition_name(column: str, transform: str) -> str:
    return column if transform == "identity" else re.sub(r"\W+", "_", f"{column}_{transform}").strip("_")


def _ensure_partitioning(txn, spec: PublishedTable) -> None:
    """Add the declared partition fields the table does not have yet (new data is written with them)."""
    from pyiceberg.transforms import parse_transform

    existing = {field.name for field in txn.table_metadata.spec().fields}
    wanted = [(c, t, _partition_name(c, t)) for c, t in spec.partition_by if _partition_name(c, t) not in existing]
    if wanted:
        with txn.update_spec() as update:
            for column, transform, name in wanted:
                update.add_field(column, parse_transform(transform), name)


def _evolve_schema(txn, data: pa.Table, spec: PublishedTable) -> None:
    """Columns gold gained are added, columns it lost are dropped (earlier snapshots keep theirs)."""
    current = {field.name for field in txn.table_metadata.schema().fields}
    gone = sorted(current - set(data.column_names))
    try:
        with txn.update_schema() as update:
            update.union_by_name(data.schema)
            for name in gone:
                update.delete_column(name)
    except (ValueError, TypeError) as exc:
        raise MedallionError(f"{spec.warehouse_table} cannot be published as {spec.name}: {exc}") from None


def publish(catalog, namespace: str, spec: PublishedTable, data: pa.Table, properties: dict[str, str]):
    """Replace the Iceberg table's content by `data` in one snapshot; returns the refreshed table."""
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    identifier = (namespace, spec.name)
    table = catalog.create_table_if_not_exists(identifier, schema=data.schema, properties=TABLE_PROPERTIES)
    current_files = [task.file for task in table.scan().plan_files()] if table.current_snapshot() else []
    with table.transaction() as txn:
        _evolve_schema(txn, data, spec)
        _ensure_partitioning(txn, spec)
        # One OVERWRITE snapshot that deletes every current data file and adds the new ones (Transaction.overwrite
        # would commit a DELETE snapshot and an APPEND snapshot: an empty table visible by snapshot id).
        with txn.update_snapshot(snapshot_properties=properties).overwrite() as overwrite:
            for data_file in current_files:
                overwrite.delete_data_file(data_file)
            if data.num_rows:
                for data_file in _dataframe_to_data_files(
                    table_metadata=txn.table_metadata, write_uuid=overwrite.commit_uuid, df=data, io=table.io
                ):
                    overwrite.append_data_file(data_file)
    return table.refresh()


def snapshot_summary(table) -> dict:
    """What a materialization records about the table's current snapshot."""
    snapshot = table.current_snapshot()
    summary = snapshot.summary if snapshot else None
    props = summary.additional_properties if summary else {}
    return {
        "snapshot_id": snapshot.snapshot_id if snapshot else None,
        "rows": int(props.get("total-records", 0)),
        "data_files": int(props.get("total-data-files", 0)),
        "files_size_bytes": int(props.get("total-files-size", 0)),
        "location": table.location(),
        "schema": [(f.name, str(f.field_type), f.doc) for f in table.schema().fields],
        "partition_spec": [
            f"{f.transform}({table.schema().find_column_name(f.source_id)})" for f in table.spec().fields
        ],
    }


def expire_snapshots(table, keep_days: float, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """Expire snapshots older than `keep_days` (never the current one) and delete the files only they
    referenced (manifest lists, manifests, data files). Returns (expired ids, files deleted)."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff_ms = (now - dt.timedelta(days=keep_days)).timestamp() * 1000
    current = table.current_snapshot()
    current_id = current.snapshot_id if current else None
    expired = [s for s in table.snapshots() if s.timestamp_ms < cutoff_ms and s.snapshot_id != current_id]
    if not expired:
        return [], 0
    kept = [s for s in table.snapshots() if s not in expired]
    doomed = _reachable_files(table, expired) - _reachable_files(table, kept)
    table.maintenance.expire_snapshots().by_ids([s.snapshot_id for s in expired]).commit()
    for path in sorted(doomed):
        _delete(table.io, path)
    return [s.snapshot_id for s in expired], len(doomed)


def _delete(io, path: str) -> None:
    """Delete one file. pyarrow's S3 file system, after deleting the last file under a prefix, writes an empty
    `prefix/` marker object; a store that refuses such keys (the embedded localbucket) fails that second
    request although the file is gone, so the outcome is judged by whether the file still exists."""
    try:
        io.delete(path)
    except OSError:
        if io.new_input(path).exists():
            raise


def _reachable_files(table, snapshots) -> set[str]:
    files: set[str] = set()
    for snapshot in snapshots:
        files.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(table.io):
            files.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                files.add(entry.data_file.file_path)
    return files


def utc_text(timestamp_ms: int) -> str:
    return dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- reading the lakehouse -----------------------------------------------------------------------------------


def load(catalog, namespace: str, spec: PublishedTable):
    from pyiceberg.exceptions import NoSuchTableError

    try:
        return catalog.load_table((namespace, spec.name))
    except NoSuchTableError:
        raise MedallionError(f"{namespace}.{spec.name} is not published yet: materialize {spec.asset_key}") from None


def scan(table, snapshot_id: int | None = None, limit: int | None = None) -> pa.Table:
    """The table (or an earlier snapshot of it, with that snapshot's schema) as Arrow."""
    if snapshot_id is not None and table.snapshot_by_id(snapshot_id) is None:
        known = ", ".join(str(s.snapshot_id) for s in table.snapshots()) or "none"
        name = ".".join(table.name())
        raise MedallionError(f"{name} has no snapshot {snapshot_id} (expired or never made); snapshots: {known}")
    return table.scan(snapshot_id=snapshot_id, limit=limit).to_arrow()
