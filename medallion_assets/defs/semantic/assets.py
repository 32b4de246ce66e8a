"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC); see lib/semantic.py."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import metadata, warehouse
from medallion_assets.lib.semantic import VIEWS, refresh_views


@dg.multi_asset(
    name="semantic_views",
    group_name="semantic",
    can_subset=False,
    specs=[
        dg.AssetSpec(
            key,
            deps=deps,
            kinds={"snowflake"},
            description=f"{view}: {description}",
            metadata={"dagster/table_name": view},
        )
        for key, (view, deps, description) in VIEWS.items()
    ],
)
def semantic_views(snowflake: SnowflakeResource):
    with warehouse.connect(snowflake) as conn:
        rows = refresh_views(conn)
        described = {key: metadata.describe(conn, view) for key, (view, _, _) in VIEWS.items()}
    for key, (view, _, _) in VIEWS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(rows[key]),
                "view": dg.MetadataValue.text(view),
                **described[key],
            },
        )
