"""Gold: silver listings that can be trusted -> ML features, market analytics, price trends (ANALYTICS_DB.DWH).

Why MERGE with change detection plus a DELETE, rather than a full replace: a rerun over unchanged silver
must change nothing (not even processed_at / updated_at), and a listing that leaves the population (its
score fell, its price went, it was deleted) must leave gold. The price quartiles are computed in the same
statement as the categories that use them, so no number is ever formatted into SQL.

The three tables refresh in one step, features first (the aggregates are built from them). Each
statement is idempotent and the step can be rerun at any point. On Snowflake the whole refresh is one
transaction (warehouse.atomic); the embedded warehouse cannot run MERGE inside one, so there the statements
run one by one. Gold sits behind the blocking `silver_quality_share`
check: when too few silver listings are good enough, gold keeps its last state.
"""

from medallion_assets.lib import settings, warehouse
from medallion_assets.lib.silver import ints

FEATURES_TABLE = "ANALYTICS_DB.DWH.GOLD_ML_FEATURES"
MARKET_TABLE = "ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS"
TRENDS_TABLE = "ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS"
GOLD_TABLES = {
    "gold_ml_features": ("ml_features", FEATURES_TABLE),
    "gold_market_analytics": ("market_analytics", MARKET_TABLE),
    "gold_price_trends": ("price_trends", TRENDS_TABLE),
}


def population_stats(conn, min_quality_score: float) -> dict:
    """Size of the gold population and its price quartiles (None when empty)."""
    row = warehouse.fetch_one(conn, "gold/quartiles", {"min_quality_score": min_quality_score})
    return {
        "population": int(row["population"] or 0),
        **{q: (float(row[q]) if row[q] is not None else None) for q in ("p25", "p50", "p75")},
    }


def refresh_gold(conn, min_quality_score: float | None = None) -> dict:
    """Bring the three gold tables in line with silver (the population: score >= min_quality_score, by default
    settings.min_quality_score()); returns per table inserted/updated/deleted and rows, and the quartiles."""
    if min_quality_score is None:
        min_quality_score = settings.min_quality_score()
    params = {"min_quality_score": min_quality_score}
    warehouse.execute(conn, "gold/use_schema")
    changes = {}
    with warehouse.atomic(conn):
        for table in ("ml_features", "market_analytics", "price_trends"):
            merged = warehouse.dml_counts(warehouse.execute(conn, f"gold/merge_{table}", params))
            deleted = warehouse.execute(conn, f"gold/delete_{table}", params).rowcount or 0
            changes[table] = {"inserted": merged["inserted"], "updated": merged["updated"], "deleted": int(deleted)}
    rows = ints(warehouse.fetch_one(conn, "gold/counts"))
    for table in changes:
        changes[table]["rows"] = rows[f"{table}_rows"]
    return {"tables": changes, **population_stats(conn, min_quality_score)}
