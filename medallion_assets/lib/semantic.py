"""Semantic layer: the views analysts and dashboards query (ANALYTICS_DB.SEMANTIC).

Why views and why assets: the names and columns people build on stay put while the gold tables under them
change, and declaring each view as an asset puts it in the lineage graph, so the UI shows which dashboard
inputs a bad silver batch would touch. Views hold no data, so re-creating them is cheap and idempotent
(CREATE OR REPLACE VIEW), and sent only when a view's SQL changed or it is missing (defs/semantic/views.py).
V_ACTIVE_ANOMALIES reads the ML layer's ANOMALY_ALERTS.
"""

from medallion_assets.lib import warehouse
from medallion_assets.lib.silver import ints

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
    return count_views(conn)


def count_views(conn) -> dict[str, int]:
    """The rows each view shows now."""
    return ints(warehouse.fetch_one(conn, "semantic/counts"))
