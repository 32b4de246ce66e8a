"""Gold: silver listings that can be trusted -> ML features, market analytics, price trends (ANALYTICS_DB.DWH).

Why MERGE with change detection plus a DELETE, rather than a full replace: a rerun over unchanged silver
must change nothing (not even processed_at / updated_at), and a listing that leaves the population (its
score fell, its price went, it was deleted) must leave gold. The price quartiles are computed in the same
statement as the categories that use them, so no number is ever formatted into SQL.

The three tables refresh in one step, features first (the aggregates are built from them). Each
statement is idempotent and the step can be rerun at any point; they are not one transaction because the
embedded warehouse cannot run MERGE inside one. Gold sits behind the blocking `silver_quality_share`
check: when too few silver listings are good enough, gold keeps its last state.
"""

import time

import dagster as dg
from pydantic import Field

from medallion_assets import warehouse
from medallion_assets.resources import SnowflakeResource
from medallion_assets.metadata import column_schema, md_table
from medallion_assets.silver import DEFAULT_MIN_QUALITY_SCORE, ints

FEATURES_TABLE = "ANALYTICS_DB.DWH.GOLD_ML_FEATURES"
MARKET_TABLE = "ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS"
TRENDS_TABLE = "ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS"
GOLD_TABLES = {
    "gold_ml_features": ("ml_features", FEATURES_TABLE),
    "gold_market_analytics": ("market_analytics", MARKET_TABLE),
    "gold_price_trends": ("price_trends", TRENDS_TABLE),
}


# --- the work, on a plain connection (tests call these directly) ---------------------------------


def population_stats(conn, min_quality_score: float = DEFAULT_MIN_QUALITY_SCORE) -> dict:
    """Size of the gold population and its price quartiles (None when empty)."""
    row = warehouse.fetch_one(conn, "gold/quartiles", {"min_quality_score": min_quality_score})
    return {
        "population": int(row["population"] or 0),
        **{q: (float(row[q]) if row[q] is not None else None) for q in ("p25", "p50", "p75")},
    }


def refresh_gold(conn, min_quality_score: float = DEFAULT_MIN_QUALITY_SCORE) -> dict:
    """Bring the three gold tables in line with silver; returns per table inserted/updated/deleted and rows."""
    params = {"min_quality_score": min_quality_score}
    warehouse.execute(conn, "gold/use_schema")
    changes = {}
    for table in ("ml_features", "market_analytics", "price_trends"):
        merged = warehouse.dml_counts(warehouse.execute(conn, f"gold/merge_{table}", params))
        deleted = warehouse.execute(conn, f"gold/delete_{table}", params).rowcount or 0
        changes[table] = {"inserted": merged["inserted"], "updated": merged["updated"], "deleted": int(deleted)}
    rows = ints(warehouse.fetch_one(conn, "gold/counts"))
    for table in changes:
        changes[table]["rows"] = rows[f"{table}_rows"]
    return {"tables": changes, **population_stats(conn, min_quality_score)}


# --- the assets -----------------------------------------------------------------------------------


class GoldConfig(dg.Config):
    min_quality_score: float = Field(
        default=DEFAULT_MIN_QUALITY_SCORE,
        ge=0.0,
        le=1.0,
        description="Silver listings with data_quality_score at least this (and a price > 0) make the gold "
        "population (default 0.6, as in the seed).",
    )


_COLUMNS = {
    "gold_ml_features": column_schema([
        ("id", "VARCHAR", ""), ("property_type", "VARCHAR", ""), ("price", "FLOAT", "VND"),
        ("price_per_sqm", "FLOAT", "price / area; NULL without a positive area"), ("area", "FLOAT", "m²"),
        ("bedrooms", "INTEGER", ""), ("bathrooms", "INTEGER", ""),
        ("rooms_total", "INTEGER", "bedrooms + bathrooms, missing as 0"), ("city", "VARCHAR", ""),
        ("district", "VARCHAR", ""), ("latitude", "FLOAT", ""), ("longitude", "FLOAT", ""),
        ("posted_date", "DATE", ""), ("is_high_value", "BOOLEAN", "price > P75"),
        ("price_category", "VARCHAR", "Budget <= P25 < Standard <= P50 < Premium <= P75 < Luxury"),
        ("area_category", "VARCHAR", "< 50 Small, < 100 Medium, < 200 Large, else Very Large; Unknown"),
        ("processed_at", "TIMESTAMP_NTZ", "when the row last changed"),
    ]),
    "gold_market_analytics": column_schema([
        ("city", "VARCHAR", "'Unknown' when missing"), ("district", "VARCHAR", "'Unknown' when missing"),
        ("property_type", "VARCHAR", "'Unknown' when missing"), ("avg_price", "FLOAT", ""),
        ("median_price", "FLOAT", ""), ("min_price", "FLOAT", ""), ("max_price", "FLOAT", ""),
        ("avg_price_per_sqm", "FLOAT", ""), ("total_listings", "INTEGER", ""), ("avg_area", "FLOAT", ""),
        ("avg_bedrooms", "FLOAT", ""), ("updated_at", "TIMESTAMP_NTZ", "when the row last changed"),
    ]),
    "gold_price_trends": column_schema([
        ("city", "VARCHAR", "'Unknown' when missing"), ("year_month", "VARCHAR", "YYYY-MM of posted_date"),
        ("avg_price", "FLOAT", ""), ("avg_price_per_sqm", "FLOAT", ""), ("listing_count", "INTEGER", ""),
        ("updated_at", "TIMESTAMP_NTZ", "when the row last changed"),
    ]),
}

_SPEC_DESCRIPTIONS = {
    "gold_ml_features": f"{FEATURES_TABLE}: one row per trusted listing with price_per_sqm, rooms_total, "
    "price quartile category (Budget/Standard/Premium/Luxury), area category and is_high_value.",
    "gold_market_analytics": f"{MARKET_TABLE}: per (city, district, property_type): average, median, min and max "
    "price, average price per m², listings, average area and bedrooms.",
    "gold_price_trends": f"{TRENDS_TABLE}: per (city, YYYY-MM of posted_date): average price, average price per "
    "m², listings.",
}


@dg.multi_asset(
    name="gold_tables",
    group_name="gold",
    can_subset=False,
    pool="gold_writer",
    specs=[
        dg.AssetSpec(
            key,
            deps=["silver_real_estate"] if key == "gold_ml_features" else ["gold_ml_features"],
            kinds={"snowflake"},
            description=_SPEC_DESCRIPTIONS[key],
            metadata={"dagster/table_name": table, "dagster/column_schema": _COLUMNS[key]},
        )
        for key, (_, table) in GOLD_TABLES.items()
    ],
)
def gold_tables(context: dg.AssetExecutionContext, config: GoldConfig, snowflake: SnowflakeResource):
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        result = refresh_gold(conn, config.min_quality_score)
        categories = warehouse.fetch_all(conn, "gold/category_counts")
        market_preview = warehouse.fetch_all(conn, "gold/preview_market")
        trends_preview = warehouse.fetch_all(conn, "gold/preview_trends")
    elapsed = time.monotonic() - started
    tables = result["tables"]
    context.log.info(
        f"gold: population {result['population']}, "
        + ", ".join(f"{t} +{c['inserted']} ~{c['updated']} -{c['deleted']}" for t, c in tables.items())
        + f" ({elapsed:.1f}s)"
    )

    def changes(table: str) -> dict:
        counts = tables[table]
        return {
            "dagster/row_count": dg.MetadataValue.int(counts["rows"]),
            "rows_inserted": dg.MetadataValue.int(counts["inserted"]),
            "rows_updated": dg.MetadataValue.int(counts["updated"]),
            "rows_deleted": dg.MetadataValue.int(counts["deleted"]),
        }

    by_dimension: dict[str, dict[str, int]] = {}
    for row in categories:
        by_dimension.setdefault(row["dimension"], {})[row["category"]] = int(row["listings"])
    yield dg.MaterializeResult(
        asset_key="gold_ml_features",
        metadata={
            **changes("ml_features"),
            "min_quality_score": dg.MetadataValue.float(config.min_quality_score),
            "price_quartiles": dg.MetadataValue.json({q: result[q] for q in ("p25", "p50", "p75")}),
            "price_categories": dg.MetadataValue.json(by_dimension.get("price_category", {})),
            "area_categories": dg.MetadataValue.json(by_dimension.get("area_category", {})),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="gold_market_analytics",
        metadata={**changes("market_analytics"), "largest_groups": dg.MetadataValue.md(md_table(market_preview))},
    )
    yield dg.MaterializeResult(
        asset_key="gold_price_trends",
        metadata={**changes("price_trends"), "latest_months": dg.MetadataValue.md(md_table(trends_preview))},
    )


# --- checks -----------------------------------------------------------------------------------------


@dg.asset_check(
    asset="gold_ml_features",
    additional_deps=["silver_real_estate"],
    description="Every gold row comes from a silver listing with score >= min_quality_score and price > 0 "
    "(same price), and every such listing is in gold.",
)
def gold_from_trusted_silver(config: GoldConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        row = ints(warehouse.fetch_one(conn, "gold/check_population", {"min_quality_score": config.min_quality_score}))
    problems = row["not_in_silver"] + row["not_qualifying"] + row["price_differs"]
    return dg.AssetCheckResult(
        passed=problems == 0 and row["gold_rows"] == row["population"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **{key: dg.MetadataValue.int(value) for key, value in row.items()},
            "min_quality_score": dg.MetadataValue.float(config.min_quality_score),
        },
    )


def _features_row(snowflake: SnowflakeResource) -> dict[str, int]:
    with warehouse.connect(snowflake) as conn:
        return ints(warehouse.fetch_one(conn, "gold/check_features"))


@dg.asset_check(asset="gold_ml_features", description="Listing ids are unique (and present) in the gold features.")
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


assets = [gold_tables]
asset_checks = [
    gold_from_trusted_silver,
    gold_ids_unique,
    gold_features_consistent,
    market_counts_add_up,
    trend_counts_add_up,
]
