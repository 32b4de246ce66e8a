"""Silver: bronze messages -> one typed, scored row per listing (STAGING_DB.CLEANED).

Why incremental: bronze only grows (one row per Kafka message), so silver keeps a high-water mark per
bronze partition beside its table (SILVER_WATERMARK) and reads only the messages above it. Why MERGE on
the latest version per id: a listing arrives many times (snapshot, updates, re-sends after a crash, a
delete), and the result must not depend on how often or in which batches it came. The watermark moves
only after the merge, so a crash re-reads a range the merge absorbs: at-least-once in, exactly one row out.

Parsing (both document shapes, Vietnamese number and date formats) and the quality score live in
``sql/silver/stage_batch.sql`` so they run where the data is; it fills a work table (SILVER_BATCH) that
``merge_silver.sql`` merges. The blocking check `silver_quality_share` stops gold when too few listings
reach the quality bar.
"""

from medallion_assets.lib import settings, warehouse

SILVER_TABLE = "STAGING_DB.CLEANED.SILVER_REAL_ESTATE"
QUALITY_LOG_TABLE = "STAGING_DB.CLEANED.DATA_QUALITY_LOG"
SCORES = ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0")
RULES = ("price_missing", "area_missing", "location_missing", "bedrooms_missing", "city_missing")
DEFAULT_PASS_SHARE = 0.8


def ints(row: dict) -> dict[str, int]:
    """Counts as ints; COUNT_IF over no rows is NULL on the embedded warehouse (0 on Snowflake)."""
    return {key: int(value or 0) for key, value in row.items()}


def quality_summary(conn, min_quality_score: float | None = None) -> dict:
    """Silver as a whole: rows, rows at or above the bar (default: settings.min_quality_score()), listings per
    score and per failed rule."""
    if min_quality_score is None:
        min_quality_score = settings.min_quality_score()
    row = ints(warehouse.fetch_one(conn, "silver/quality_summary", {"min_quality_score": min_quality_score}))
    total = row["silver_rows"]
    passing = row["passing_rows"]
    return {
        "silver_rows": total,
        "passing_rows": passing,
        "passing_share": passing / total if total else None,
        "score_distribution": {score: row[f"score_{score.replace('.', '_')}"] for score in SCORES},
        "failed_rules": dict(sorted(((rule, row[rule]) for rule in RULES), key=lambda kv: (-kv[1], kv[0]))),
    }


def refresh_silver(conn, run_id: str, full_refresh: bool = False) -> dict:
    """Merge the bronze messages above silver's high-water marks into silver; log the run.

    Returns the run's counts (rows_in, ids_in, tombstones_in, rows_inserted, rows_updated, rows_upserted,
    rows_deleted) and the quality summary of silver afterwards.
    """
    if full_refresh:  # e.g. after a parsing rule changed: forget the marks, rebuild from all of bronze
        with warehouse.transaction(conn):
            warehouse.execute(conn, "silver/reset_watermark")
            warehouse.execute(conn, "silver/clear_silver")
    with warehouse.transaction(conn):
        warehouse.execute(conn, "silver/register_partitions")
        warehouse.execute(conn, "silver/mark_pending")
    batch = ints(warehouse.fetch_one(conn, "silver/batch_stats"))
    warehouse.execute(conn, "silver/clear_batch")  # leftovers of a run that died mid-way
    warehouse.execute(conn, "silver/stage_batch")
    warehouse.execute(conn, "silver/use_schema")
    # On Snowflake the merge and the moving of the marks are one transaction (warehouse.atomic). The embedded
    # warehouse cannot run MERGE inside one, so there the merge runs on its own: a crash before the marks
    # move re-reads the same range next time, which changes nothing.
    with warehouse.atomic(conn):
        merged = warehouse.dml_counts(warehouse.execute(conn, "silver/merge_silver"))
        summary = quality_summary(conn)
        counts = {
            **batch,
            "rows_inserted": merged["inserted"],
            "rows_updated": merged["updated"],
            "rows_upserted": merged["inserted"] + merged["updated"],
            "rows_deleted": merged["deleted"],
        }
        log_row = {
            "run_id": run_id,
            **counts,
            "silver_rows": summary["silver_rows"],
            **{f"score_{s.replace('.', '_')}": n for s, n in summary["score_distribution"].items()},
            **summary["failed_rules"],
        }
        with warehouse.transaction(conn):
            warehouse.execute(conn, "silver/advance_watermark")
            warehouse.execute(conn, "silver/log_run", log_row)
            warehouse.execute(conn, "silver/clear_batch")
    return {**counts, **summary}
