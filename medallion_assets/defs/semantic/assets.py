"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC); see lib/semantic.py."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.semantic.views import refreshed, view_specs
from medallion_assets.lib.semantic import VIEWS, refresh_views


@dg.multi_asset(
    name="semantic_views",
    group_name="semantic",
    can_subset=False,
    specs=view_specs(VIEWS),
)
def semantic_views(snowflake: SnowflakeResource):
    yield from refreshed(snowflake, VIEWS, refresh_views)
