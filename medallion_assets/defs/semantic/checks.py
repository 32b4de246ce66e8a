"""Semantic checks: each view answers a query and shows exactly the rows its SQL should show.

The views are live (not materialized), so a gold row added or removed shows in them at once; what these
checks catch is a view that is gone or cannot be expanded, a view that was replaced by something that no
longer follows its gold table (a different definition, a snapshot table under the view's name), and joins
that drop or repeat rows (an open alert whose listing left gold, a listing id twice in silver or gold).
"""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.semantic import VIEWS
from medallion_assets.lib.silver import ints


def _compare(snowflake: SnowflakeResource, key: str, expected_sql: str, expected: str) -> dg.AssetCheckResult:
    """The view's row count against `expected` (a column of sql/<expected_sql>.sql, with more diagnostics)."""
    view = VIEWS[key][0]
    view_name = view.rsplit(".", 1)[-1]
    with warehouse.connect(snowflake) as conn:
        source = ints(warehouse.fetch_one(conn, expected_sql))
        try:
            view_rows = ints(warehouse.fetch_all(conn, "semantic/check_view_rows", names={"view": view})[0])
        except MedallionError as exc:
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"{view_name} cannot be queried ({exc}); re-materialize the semantic views",
                metadata={
                    "view_queryable": dg.MetadataValue.bool(False),
                    **{name: dg.MetadataValue.int(value) for name, value in source.items()},
                },
            )
    shown, wanted = view_rows["view_rows"], source[expected]
    return dg.AssetCheckResult(
        passed=shown == wanted,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{view_name} shows {shown} rows; {expected} = {wanted}",
        metadata={
            "view_queryable": dg.MetadataValue.bool(True),
            "view_rows": dg.MetadataValue.int(shown),
            **{name: dg.MetadataValue.int(value) for name, value in source.items()},
            "difference": dg.MetadataValue.int(shown - wanted),
        },
    )


@dg.asset_check(
    asset="v_property_listings",
    description="V_PROPERTY_LISTINGS can be queried and shows one row per GOLD_ML_FEATURES row "
    "(gold LEFT JOIN silver: a listing id twice in silver would repeat the listing).",
)
def v_property_listings_matches_gold(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _compare(snowflake, "v_property_listings", "semantic/check_property_listings", "gold_rows")


@dg.asset_check(
    asset="v_market_summary",
    description="V_MARKET_SUMMARY can be queried and shows one row per GOLD_MARKET_ANALYTICS row.",
)
def v_market_summary_matches_gold(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _compare(snowflake, "v_market_summary", "semantic/check_market_summary", "gold_rows")


@dg.asset_check(
    asset="v_price_trends",
    description="V_PRICE_TRENDS can be queried and shows one row per GOLD_PRICE_TRENDS row.",
)
def v_price_trends_matches_gold(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _compare(snowflake, "v_price_trends", "semantic/check_price_trends", "gold_rows")


@dg.asset_check(
    asset="v_active_anomalies",
    description="V_ACTIVE_ANOMALIES can be queried and shows each open alert (ANOMALY_ALERTS, NOT is_resolved) "
    "exactly once: an open alert whose listing left gold is hidden by its join, one whose listing id is in "
    "gold twice is repeated.",
)
def v_active_anomalies_matches_open_alerts(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _compare(snowflake, "v_active_anomalies", "semantic/check_active_anomalies", "open_alerts")
