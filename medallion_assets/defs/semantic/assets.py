"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC); see lib/semantic.py."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.semantic.views import refreshed, view_specs
from medallion_assets.lib.metadata import column_schema
from medallion_assets.lib.semantic import VIEWS, refresh_views

# The columns each view's SQL (sql/semantic/v_*.sql) produces, in order; tests/integration/test_table_schemas.py
# compares them with what the warehouse reports.
_COLUMNS = {
    "v_property_listings": column_schema(
        [
            ("id", "VARCHAR", "gold listing id"),
            ("property_type", "VARCHAR", ""),
            ("price", "FLOAT", "VND"),
            ("price_per_sqm", "FLOAT", "price / area; NULL without a positive area"),
            ("area", "FLOAT", "m²"),
            ("bedrooms", "INTEGER", ""),
            ("bathrooms", "INTEGER", ""),
            ("rooms_total", "INTEGER", "bedrooms + bathrooms, missing as 0"),
            ("city", "VARCHAR", ""),
            ("district", "VARCHAR", ""),
            ("location", "VARCHAR", "street address, from silver"),
            ("latitude", "FLOAT", ""),
            ("longitude", "FLOAT", ""),
            ("description", "VARCHAR", "from silver (crawled listings: the title)"),
            ("posted_date", "DATE", ""),
            ("price_category", "VARCHAR", "Budget, Standard, Premium or Luxury (price quartiles)"),
            ("area_category", "VARCHAR", "Small, Medium, Large, Very Large or Unknown"),
            ("is_high_value", "BOOLEAN", "price > P75"),
            ("data_quality_score", "NUMBER(3,1)", "from silver, 0.0-1.0"),
            ("source_shape", "VARCHAR", "from silver: structured or crawled"),
            ("processed_at", "TIMESTAMP_NTZ", "when the gold row last changed"),
        ]
    ),
    "v_market_summary": column_schema(
        [
            ("city", "VARCHAR", "'Unknown' when missing"),
            ("district", "VARCHAR", "'Unknown' when missing"),
            ("property_type", "VARCHAR", "'Unknown' when missing"),
            ("total_listings", "INTEGER", ""),
            ("avg_price", "FLOAT", "VND"),
            ("median_price", "FLOAT", "VND"),
            ("min_price", "FLOAT", "VND"),
            ("max_price", "FLOAT", "VND"),
            ("avg_price_per_sqm", "FLOAT", "VND per m²"),
            ("avg_area", "FLOAT", "m²"),
            ("avg_bedrooms", "FLOAT", ""),
            ("share_of_city_listings", "FLOAT", "total_listings / the city's listings (0-1]"),
            ("updated_at", "TIMESTAMP_NTZ", "when the gold row last changed"),
        ]
    ),
    "v_price_trends": column_schema(
        [
            ("city", "VARCHAR", "'Unknown' when missing"),
            ("year_month", "VARCHAR", "YYYY-MM of posted_date"),
            ("listing_count", "INTEGER", ""),
            ("avg_price", "FLOAT", "VND"),
            ("avg_price_per_sqm", "FLOAT", "VND per m²"),
            ("previous_avg_price", "FLOAT", "avg_price of the city's previous month with listings; NULL for the first"),
            ("avg_price_change", "FLOAT", "avg_price / previous_avg_price - 1; NULL for the first month"),
            ("updated_at", "TIMESTAMP_NTZ", "when the gold row last changed"),
        ]
    ),
    "v_active_anomalies": column_schema(
        [
            ("alert_id", "VARCHAR", "MD5(property_id|anomaly_type|detected_at)"),
            ("property_id", "VARCHAR", "gold listing id"),
            ("anomaly_type", "VARCHAR", "PRICE_OUTLIER, PRICE_PER_SQM_OUTLIER or ISOLATION_FOREST"),
            ("severity", "VARCHAR", "HIGH or MEDIUM"),
            ("anomaly_score", "FLOAT", "z, or the Isolation Forest score (0-1]"),
            ("expected_value", "FLOAT", "city mean, or the peers' expected price"),
            ("actual_value", "FLOAT", ""),
            ("description", "VARCHAR", "the alert's explanation"),
            ("city", "VARCHAR", "the listing's, from gold"),
            ("district", "VARCHAR", "from gold"),
            ("property_type", "VARCHAR", "from gold"),
            ("price", "FLOAT", "the listing's current price (VND), from gold"),
            ("area", "FLOAT", "m², from gold"),
            ("price_per_sqm", "FLOAT", "from gold"),
            ("detected_at", "TIMESTAMP_NTZ", "first detection of this episode"),
            ("last_detected_at", "TIMESTAMP_NTZ", ""),
        ]
    ),
}


@dg.multi_asset(
    name="semantic_views",
    group_name="semantic",
    can_subset=False,
    specs=view_specs(VIEWS, _COLUMNS),
)
def semantic_views(snowflake: SnowflakeResource):
    yield from refreshed(snowflake, VIEWS, refresh_views)
