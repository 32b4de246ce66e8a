"""Gold checks: the population is exactly the trusted silver listings, features and aggregates add up.

All blocking (severity ERROR): a failed one stops what follows its table in the same run and in automation
(the ML results, the views, the lakehouse publication), so nothing downstream is built from a gold table
that failed its checks."""

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.automation import check_after_its_asset
from medallion_assets.lib import settings, warehouse
from medallion_assets.lib.silver import ints


@dg.asset_check(
    blocking=True,
    automation_condition=check_after_its_asset("gold_ml_features"),
    asset="gold_ml_features",
    additional_deps=["silver_real_estate"],
    description="Every gold row comes from a silver listing with score >= MEDALLION_MIN_QUALITY_SCORE (default 0.6) "
    "and price > 0 (same price), and every such listing is in gold.",
)
def gold_from_trusted_silver(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    min_quality_score = settings.min_quality_score()
    with warehouse.connect(snowflake) as conn:
        row = ints(warehouse.fetch_one(conn, "gold/check_population", {"min_quality_score": min_quality_score}))
    problems = row["not_in_silver"] + row["not_qualifying"] + row["price_differs"]
    return dg.AssetCheckResult(
        passed=problems == 0 and row["gold_rows"] == row["population"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **{key: dg.MetadataValue.int(value) for key, value in row.items()},
            "min_quality_score": dg.MetadataValue.float(min_quality_score),
        },
    )


def _features_row(snowflake: SnowflakeResource) -> dict[str, int]:
    with warehouse.connect(snowflake) as conn:
        return ints(warehouse.fetch_one(conn, "gold/check_features"))


@dg.asset_check(
    asset="gold_ml_features",
    blocking=True,
    automation_condition=check_after_its_asset("gold_ml_features"),
    description="Listing ids are unique (and present) in the gold features.",
)
def gold_ids_unique(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    row = _features_row(snowflake)
    duplicates = row["gold_rows"] - row["distinct_ids"] - row["null_ids"]
    return dg.AssetCheckResult(
        passed=duplicates == 0 and row["null_ids"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "gold_rows": dg.MetadataValue.int(row["gold_rows"]),
            "duplicate_rows": dg.MetadataValue.int(duplicates),
            "null_ids": dg.MetadataValue.int(row["null_ids"]),
        },
    )


@dg.asset_check(
    blocking=True,
    automation_condition=check_after_its_asset("gold_ml_features"),
    asset="gold_ml_features",
    description="price_per_sqm = price / area (relative tolerance 1e-9), and every row has its price category, "
    "area category and is_high_value.",
)
def gold_features_consistent(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    row = _features_row(snowflake)
    keys = ("bad_price_per_sqm", "bad_price_category", "bad_area_category", "bad_high_value")
    return dg.AssetCheckResult(
        passed=all(row[key] == 0 for key in keys),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(row[key]) for key in ("gold_rows", *keys)},
    )


def _totals(snowflake: SnowflakeResource) -> dict[str, int]:
    with warehouse.connect(snowflake) as conn:
        return ints(warehouse.fetch_one(conn, "gold/check_totals"))


@dg.asset_check(
    blocking=True,
    automation_condition=check_after_its_asset("gold_market_analytics"),
    asset="gold_market_analytics",
    additional_deps=["gold_ml_features"],
    description="The listings counted per market group add up to the gold population.",
)
def market_counts_add_up(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    row = _totals(snowflake)
    return dg.AssetCheckResult(
        passed=row["market_listings"] == row["gold_rows"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(row[key]) for key in ("gold_rows", "market_listings")},
    )


@dg.asset_check(
    blocking=True,
    automation_condition=check_after_its_asset("gold_price_trends"),
    asset="gold_price_trends",
    additional_deps=["gold_ml_features"],
    description="The listings counted per (city, month) add up to the gold listings that have a posted date.",
)
def trend_counts_add_up(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    row = _totals(snowflake)
    return dg.AssetCheckResult(
        passed=row["trend_listings"] == row["dated_rows"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(row[key]) for key in ("dated_rows", "trend_listings")},
    )
