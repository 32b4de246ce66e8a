"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC).

Why views and why assets: the names and columns people build on stay put while the gold tables under them
change, and declaring each view as an asset puts it in the lineage graph, so the UI shows which dashboard
inputs a bad silver batch would touch. Views hold no data, so re-creating them is cheap and idempotent
(CREATE OR REPLACE VIEW). V_ACTIVE_ANOMALIES reads the ML layer's ANOMALY_ALERTS.
"""

import dagster as dg

from medallion_assets import metadata, warehouse
from medallion_assets.resources import SnowflakeResource
from medallion_assets.silver import ints

VIEWS = {
    "v_property_listings": (
        "ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS",
        ["gold_ml_features", "silver_real_estate"],
        "Trusted listings with their features, address, title and quality score.",
    ),
    "v_market_summary": (
        "ANALYTICS_DB.SEMANTIC.V_MARKET_SUMMARY",
        ["gold_market_analytics"],
        "Prices per city, district and property type, with each group's share of its city.",
    ),
    "v_price_trends": (
        "ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS",
        ["gold_price_trends"],
        "Average price per city and month, with the change against the previous month.",
    ),
    "v_active_anomalies": (
        "ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES",
        ["anomaly_alerts", "gold_ml_features"],
        "Open anomaly alerts (z-score and Isolation Forest) with the listing each one points at.",
    ),
}


def refresh_views(conn) -> dict[str, int]:
    """(Re)create the views; returns the rows each one shows now."""
    for key in VIEWS:
        warehouse.execute(conn, f"semantic/{key}")
    return ints(warehouse.fetch_one(conn, "semantic/counts"))


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


assets = [semantic_views]
asset_checks: list = []
