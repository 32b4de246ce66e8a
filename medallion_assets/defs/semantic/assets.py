"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC); see lib/semantic.py."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.semantic.views import refreshed, view_specs
from medallion_assets.lib.semantic import VIEWS, count_views, refresh_views


@dg.multi_asset(
    name="semantic_views",
    group_name="semantic",
    can_subset=False,
    specs=view_specs(VIEWS),
)
def semantic_views(context: dg.AssetExecutionContext, snowflake: SnowflakeResource):
    yield from refreshed(context, snowflake, VIEWS, refresh_views, count_views)
