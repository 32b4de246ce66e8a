"""Semantic views over the listing history (ANALYTICS_DB.SEMANTIC): repricings and days on market."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.semantic.views import refreshed, view_specs
from medallion_assets.lib import history


@dg.multi_asset(
    name="history_views",
    group_name="semantic",
    can_subset=False,
    specs=view_specs(history.HISTORY_VIEWS),
)
def history_views(context: dg.AssetExecutionContext, snowflake: SnowflakeResource):
    yield from refreshed(context, snowflake, history.HISTORY_VIEWS, history.refresh_views, history.count_views)
