"""Listing-history checks (blocking: the views and the market pulse read the history): one current version per
listing silver holds and none for a deleted one, versions that neither overlap nor leave a gap, and the current
price equal to silver's. One query (sql/gold/check_history.sql) gives the counts all three read."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.automation import check_after_its_asset
from medallion_assets.lib import warehouse
from medallion_assets.lib.silver import ints


def _counts(snowflake: SnowflakeResource) -> dict[str, int]:
    with warehouse.connect(snowflake) as conn:
        return ints(warehouse.fetch_one(conn, "gold/check_history"))


def _result(row: dict[str, int], problems: tuple[str, ...], context: tuple[str, ...]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=all(row[key] == 0 for key in problems),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(row[key]) for key in (*context, *problems)},
    )


@dg.asset_check(
    asset="gold_listing_history",
    additional_deps=["silver_real_estate"],
    blocking=True,
    automation_condition=check_after_its_asset("gold_listing_history"),
    description="Exactly one current version per listing silver holds, and none for a listing silver does not "
    "hold (delisted or deleted).",
)
def history_one_current_per_listing(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _result(
        _counts(snowflake),
        ("silver_without_current", "several_current_listings", "current_not_in_silver"),
        ("silver_listings", "history_listings"),
    )


@dg.asset_check(
    asset="gold_listing_history",
    blocking=True,
    automation_condition=check_after_its_asset("gold_listing_history"),
    description="Per listing, versions are numbered 1..n and each one's valid_to is the next one's valid_from: no "
    "overlap, no gap, no interval ending before it starts, and only the last version open (valid_to NULL).",
)
def history_versions_contiguous(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _result(
        _counts(snowflake),
        ("misnumbered_versions", "gap_or_overlap_versions", "last_closed_versions", "negative_interval_versions"),
        ("history_rows", "history_listings"),
    )


@dg.asset_check(
    asset="gold_listing_history",
    additional_deps=["silver_real_estate"],
    blocking=True,
    automation_condition=check_after_its_asset("gold_listing_history"),
    description="The current version's price equals silver's price of the listing.",
)
def history_current_price_matches_silver(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    return _result(_counts(snowflake), ("price_differs_listings",), ("silver_listings",))
