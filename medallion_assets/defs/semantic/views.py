"""What every view-refreshing multi-asset shares: one spec per view, and one result per view after a refresh."""

from collections.abc import Callable, Iterator, Mapping

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.unchanged import recorded_version, skipped_unchanged, unchanged_inputs
from medallion_assets.lib import metadata, tables, unchanged_state, warehouse

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
            skippable=True,  # definition and upstream unchanged: nothing sent, no materialization
        )
        for key, (view, deps, description) in views.items()
    ]


def refreshed(
    context: dg.AssetExecutionContext, snowflake: SnowflakeResource, views: Views, refresh: Callable, count: Callable
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    """Re-create the views (``refresh(conn)``) only when their SQL changed since they were last created (its
    fingerprint is their data version) or one is missing (one read); report each with its row count
    (``count(conn)``) and columns. With their SQL and their upstream unchanged nothing is sent at all."""
    definition = unchanged_state.views_fingerprint(f"{tables.VIEW_FOLDER}/{key}" for key in views)
    same_sql = all(recorded_version(context, key) == definition for key in views)
    reasons = [unchanged_inputs(context, key) for key in views] if same_sql else []
    if same_sql and all(reasons):
        for key in views:
            yield skipped_unchanged(key, f"{reasons[0]}; the views' SQL is as last created")
        return
    with warehouse.connect(snowflake) as conn:
        missing = unchanged_state.missing_views(conn, (view for view, _, _ in views.values())) if same_sql else []
        created = not same_sql or bool(missing)
        rows = refresh(conn) if created else count(conn)
        described = {key: metadata.describe(conn, view) for key, (view, _, _) in views.items()}
    for key, (view, _, _) in views.items():
        yield dg.MaterializeResult(
            asset_key=key,
            data_version=dg.DataVersion(definition),
            metadata={
                "created": dg.MetadataValue.bool(created),
                "dagster/row_count": dg.MetadataValue.int(rows[key]),
                "view": dg.MetadataValue.text(view),
                **described[key],
            },
        )
