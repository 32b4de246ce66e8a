"""Gold: trusted silver listings -> ML features, market analytics, price trends (lib/gold.py has the how)."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.unchanged import kept_or_new_version, skipped_unchanged, unchanged_inputs
from medallion_assets.lib import charts, settings, unchanged_state, warehouse
from medallion_assets.lib.gold import FEATURES_TABLE, GOLD_TABLES, MARKET_TABLE, TRENDS_TABLE, refresh_gold
from medallion_assets.lib.metadata import md_table
from medallion_assets.lib.tables import column_schema

CHART_CITIES = 15  # the chart on gold_market_analytics shows the cities with the most listings


_COLUMNS = {
    "gold_ml_features": column_schema(FEATURES_TABLE),
    "gold_market_analytics": column_schema(MARKET_TABLE),
    "gold_price_trends": column_schema(TRENDS_TABLE),
}

_SPEC_DESCRIPTIONS = {
    "gold_ml_features": f"{FEATURES_TABLE}: one row per trusted listing with price_per_sqm, rooms_total, "
    "price quartile category (Budget/Standard/Premium/Luxury), area category and is_high_value.",
    "gold_market_analytics": f"{MARKET_TABLE}: per (city, district, property_type): average, median, min and max "
    "price, average price per m², listings, average area and bedrooms.",
    "gold_price_trends": f"{TRENDS_TABLE}: per (city, YYYY-MM of posted_date): average price, average price per "
    "m², listings.",
}


GOLD_TABLES_KEYS = ("gold_ml_features", "gold_market_analytics", "gold_price_trends")


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
            skippable=True,  # silver did not change: no MERGE, no materialization (defs/unchanged.py)
        )
        for key, (_, table) in GOLD_TABLES.items()
    ],
)
def gold_tables(context: dg.AssetExecutionContext, snowflake: SnowflakeResource):
    min_quality_score = settings.min_quality_score()  # MEDALLION_MIN_QUALITY_SCORE, as the quality checks read it
    # skipped when silver, the quality bar and gold's SQL are as gold last read them (defs/unchanged.py)
    sql = unchanged_state.folder_fingerprint("gold")
    reason = unchanged_inputs(context, "gold_ml_features")
    recorded = context.instance.get_latest_materialization_event(dg.AssetKey("gold_ml_features"))
    built = recorded.asset_materialization.metadata if recorded and recorded.asset_materialization else {}
    same = [getattr(built.get(k), "value", None) for k in ("min_quality_score", "sql")] == [min_quality_score, sql]
    if reason and same:
        context.log.info(f"gold: skipped, {reason}")
        for key in GOLD_TABLES_KEYS:
            yield skipped_unchanged(key, reason)
        return
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        result = refresh_gold(conn, min_quality_score)
        categories = warehouse.fetch_all(conn, "gold/category_counts")
        market_preview = warehouse.fetch_all(conn, "gold/preview_market")
        trends_preview = warehouse.fetch_all(conn, "gold/preview_trends")
        by_city = warehouse.fetch_all(conn, "gold/chart_price_per_sqm_by_city", {"limit": CHART_CITIES})
    elapsed = time.monotonic() - started
    tables = result["tables"]
    context.log.info(
        f"gold: population {result['population']}, "
        + ", ".join(f"{t} +{c['inserted']} ~{c['updated']} -{c['deleted']}" for t, c in tables.items())
        + f" ({elapsed:.1f}s)"
    )

    def changed(table: str) -> bool:
        return any(tables[table][kind] for kind in ("inserted", "updated", "deleted"))

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
        data_version=kept_or_new_version(context, "gold_ml_features", changed("ml_features")),
        metadata={
            **changes("ml_features"),
            "min_quality_score": dg.MetadataValue.float(min_quality_score),
            "sql": dg.MetadataValue.text(sql),  # the fingerprint of sql/gold/ it ran
            "price_quartiles": dg.MetadataValue.json({q: result[q] for q in ("p25", "p50", "p75")}),
            "price_categories": dg.MetadataValue.json(by_dimension.get("price_category", {})),
            "area_categories": dg.MetadataValue.json(by_dimension.get("area_category", {})),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="gold_market_analytics",
        data_version=kept_or_new_version(context, "gold_market_analytics", changed("market_analytics")),
        metadata={
            **changes("market_analytics"),
            "largest_groups": dg.MetadataValue.md(md_table(market_preview)),
            "price_per_sqm_by_city": dg.MetadataValue.md(
                charts.markdown_image(charts.price_per_sqm_by_city(by_city), "Median price per m² by city")
                if by_city
                else "_(no listing with a price per m²)_"
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="gold_price_trends",
        data_version=kept_or_new_version(context, "gold_price_trends", changed("price_trends")),
        metadata={**changes("price_trends"), "latest_months": dg.MetadataValue.md(md_table(trends_preview))},
    )
