"""What every view-refreshing multi-asset shares: one spec per view, and one result per view after a refresh."""

from collections.abc import Callable, Iterator, Mapping

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import metadata, tables, warehouse

# asset key -> (view name, upstream asset keys, description), as lib/semantic.VIEWS and lib/history.HISTORY_VIEWS
Views = Mapping[str, tuple[str, list, str]]


def view_specs(views: Views) -> list[dg.AssetSpec]:
    """A spec per view, with its table name and the columns its SQL declares (sql/semantic/v_*.sql, read by
    lib/tables.py; compared with the warehouse's in tests)."""
    return [
        dg.AssetSpec(
            key,
            deps=deps,
            kinds={"snowflake"},
            description=f"{view}: {description}",
            metadata={"dagster/table_name": view, "dagster/column_schema": tables.column_schema(view)},
        )
        for key, (view, deps, description) in views.items()
    ]


def refreshed(snowflake: SnowflakeResource, views: Views, refresh: Callable) -> Iterator[dg.MaterializeResult]:
    """Refresh the views (``refresh(conn)`` returns rows per key), then report each with its row count and columns."""
    with warehouse.connect(snowflake) as conn:
        rows = refresh(conn)
        described = {key: metadata.describe(conn, view) for key, (view, _, _) in views.items()}
    for key, (view, _, _) in views.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(rows[key]),
                "view": dg.MetadataValue.text(view),
                **described[key],
            },
        )
