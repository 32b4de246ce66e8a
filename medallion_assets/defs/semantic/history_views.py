"""Semantic views over the listing history (ANALYTICS_DB.SEMANTIC): repricings and days on market."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.semantic.views import refreshed, view_specs
from medallion_assets.lib import history
from medallion_assets.lib.metadata import column_schema

# The columns each view's SQL (sql/semantic/v_*.sql) produces, in order (tests/integration/test_table_schemas.py).
_COLUMNS = {
    "v_price_changes": column_schema(
        [
            ("id", "VARCHAR", "listing id"),
            ("version", "INTEGER", "the listing's version that changed the price"),
            ("changed_at", "TIMESTAMP_NTZ", "event time of the repricing (UTC)"),
            ("old_price", "FLOAT", "VND"),
            ("new_price", "FLOAT", "VND"),
            ("price_change", "FLOAT", "new_price - old_price, VND"),
            ("price_change_pct", "FLOAT", "100 × price_change / old_price"),
            ("city", "VARCHAR", ""),
            ("district", "VARCHAR", ""),
            ("property_type", "VARCHAR", ""),
            ("area", "FLOAT", "m²"),
            ("event_time_source", "VARCHAR", "updated_at, kafka_timestamp or ingested_at"),
        ]
    ),
    "v_days_on_market": column_schema(
        [
            ("id", "VARCHAR", "listing id"),
            ("city", "VARCHAR", "of the last version"),
            ("district", "VARCHAR", "of the last version"),
            ("property_type", "VARCHAR", "of the last version"),
            ("first_listed_at", "TIMESTAMP_NTZ", "valid_from of version 1"),
            ("delisted_at", "TIMESTAMP_NTZ", "when the last version is a delisting; NULL while active"),
            ("is_active", "BOOLEAN", "the listing has a current version"),
            ("days_on_market", "FLOAT", "days its versions were live (an active one up to now), 2 decimals"),
            ("price_changes", "INTEGER", "repricings"),
            ("first_price", "FLOAT", "VND, version 1"),
            ("last_price", "FLOAT", "VND, the last version (the last known price when delisted)"),
            ("total_change_pct", "FLOAT", "100 × (last_price - first_price) / first_price"),
        ]
    ),
}


@dg.multi_asset(
    name="history_views",
    group_name="semantic",
    can_subset=False,
    specs=view_specs(history.HISTORY_VIEWS, _COLUMNS),
)
def history_views(snowflake: SnowflakeResource):
    yield from refreshed(snowflake, history.HISTORY_VIEWS, history.refresh_views)
