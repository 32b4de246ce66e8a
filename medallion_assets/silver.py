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

import time

import dagster as dg
from pydantic import Field

from medallion_assets import warehouse
from medallion_assets.metadata import column_schema, describe, md_table
from medallion_assets.resources import SnowflakeResource

SILVER_TABLE = "STAGING_DB.CLEANED.SILVER_REAL_ESTATE"
QUALITY_LOG_TABLE = "STAGING_DB.CLEANED.DATA_QUALITY_LOG"
SCORES = ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0")
RULES = ("price_missing", "area_missing", "location_missing", "bedrooms_missing", "city_missing")
DEFAULT_MIN_QUALITY_SCORE = 0.6
DEFAULT_PASS_SHARE = 0.8


# --- the work, on a plain connection (tests call these directly) ---------------------------------


def ints(row: dict) -> dict[str, int]:
    """Counts as ints; COUNT_IF over no rows is NULL on the embedded warehouse (0 on Snowflake)."""
    return {key: int(value or 0) for key, value in row.items()}


def quality_summary(conn, min_quality_score: float = DEFAULT_MIN_QUALITY_SCORE) -> dict:
    """Silver as a whole: rows, rows at or above the bar, listings per score and per failed rule."""
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
    # The embedded warehouse cannot run MERGE inside an explicit transaction, so it runs on its own;
    # a crash before the marks move re-reads the same range next time, which changes nothing.
    warehouse.execute(conn, "silver/use_schema")
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


# --- the asset ------------------------------------------------------------------------------------


SILVER_COLUMNS = column_schema([
    ("id", "VARCHAR", "Mongo _id, one row per listing"),
    ("property_type", "VARCHAR", "structured: as given; crawled: from the Link slug (Căn hộ, Nhà, Đất, Biệt thự, "
     "else Khác)"),
    ("price", "FLOAT", "VND; '3,5 tỷ' = 3.5e9, '850 triệu' = 8.5e8, 'N triệu/m²' × area; 'Thỏa thuận' = NULL"),
    ("area", "FLOAT", "m²; '1.234,5 m²' = 1234.5"),
    ("bedrooms", "INTEGER", "'3 phòng' = 3"),
    ("bathrooms", "INTEGER", ""),
    ("location", "VARCHAR", "street address (crawled: the whole Địa chỉ)"),
    ("city", "VARCHAR", "crawled: the last comma part of Địa chỉ"),
    ("district", "VARCHAR", ""),
    ("latitude", "FLOAT", ""),
    ("longitude", "FLOAT", ""),
    ("description", "VARCHAR", "crawled: the title"),
    ("posted_date", "DATE", "ISO or dd/mm/yyyy in the source"),
    ("data_quality_score", "NUMBER(3,1)", "0.2 each: price > 0, area > 0, location, bedrooms, city"),
    ("quality_issues", "VARCHAR", "failed rules, comma-separated, e.g. price_missing,bedrooms_missing"),
    ("source_shape", "VARCHAR", "structured or crawled"),
    ("record_hash", "VARCHAR", "MD5 of the source document"),
    ("kafka_topic", "VARCHAR", ""),
    ("kafka_partition", "INTEGER", ""),
    ("kafka_offset", "BIGINT", "the bronze message that last changed the row"),
    ("processed_at", "TIMESTAMP_NTZ", "when the row last changed"),
])


class SilverConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Forget silver's high-water marks and rebuild it from all of bronze (after a parsing rule "
        "changed). Default False: only bronze messages not yet processed are read.",
    )


@dg.multi_asset(
    name="silver_real_estate",
    group_name="silver",
    can_subset=False,
    pool="silver_writer",  # one writer at a time: the run's work table and marks are shared
    specs=[
        dg.AssetSpec(
            "silver_real_estate",
            deps=["bronze_real_estate"],
            kinds={"snowflake"},
            description=f"{SILVER_TABLE}: one row per listing id (latest version wins, deletes removed), both "
            "source shapes parsed to typed columns, data_quality_score 0.0-1.0 and the failed rules.",
            metadata={"dagster/table_name": SILVER_TABLE, "dagster/column_schema": SILVER_COLUMNS},
        ),
        dg.AssetSpec(
            "data_quality_log",
            deps=["bronze_real_estate"],
            kinds={"snowflake"},
            description=f"{QUALITY_LOG_TABLE}: one row per silver run: rows in, inserted, updated, deleted, "
            "listings per quality score and per failed rule.",
            metadata={"dagster/table_name": QUALITY_LOG_TABLE},
        ),
    ],
)
def silver_real_estate(context: dg.AssetExecutionContext, config: SilverConfig, snowflake: SnowflakeResource):
    started = time.monotonic()
    with warehouse.connect(snowflake) as conn:
        result = refresh_silver(conn, context.run.run_id, full_refresh=config.full_refresh)
        preview = warehouse.fetch_all(conn, "silver/preview")
        marks = warehouse.fetch_all(conn, "silver/watermarks")
        quality_log = describe(conn, QUALITY_LOG_TABLE)
    elapsed = time.monotonic() - started
    context.log.info(
        f"silver: {result['rows_in']} bronze rows in, {result['rows_inserted']} inserted, "
        f"{result['rows_updated']} updated, {result['rows_deleted']} deleted ({elapsed:.1f}s)"
    )
    yield dg.MaterializeResult(
        asset_key="silver_real_estate",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result["silver_rows"]),
            "rows_in": dg.MetadataValue.int(result["rows_in"]),
            "ids_in": dg.MetadataValue.int(result["ids_in"]),
            "tombstones_in": dg.MetadataValue.int(result["tombstones_in"]),
            "rows_inserted": dg.MetadataValue.int(result["rows_inserted"]),
            "rows_updated": dg.MetadataValue.int(result["rows_updated"]),
            "rows_deleted": dg.MetadataValue.int(result["rows_deleted"]),
            "score_distribution": dg.MetadataValue.json(result["score_distribution"]),
            "failed_rules": dg.MetadataValue.json(result["failed_rules"]),
            "high_water_marks": dg.MetadataValue.json(
                {f"{m['kafka_topic']}/{m['kafka_partition']}": int(m["processed_offset"]) for m in marks}
            ),
            "preview": dg.MetadataValue.md(md_table(preview)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="data_quality_log",
        metadata={
            "run_id": dg.MetadataValue.text(context.run.run_id),
            "rows_in": dg.MetadataValue.int(result["rows_in"]),
            "rows_upserted": dg.MetadataValue.int(result["rows_upserted"]),
            "rows_deleted": dg.MetadataValue.int(result["rows_deleted"]),
            "score_distribution": dg.MetadataValue.json(result["score_distribution"]),
            **quality_log,
        },
    )


# --- checks -----------------------------------------------------------------------------------------


class QualityCheckConfig(dg.Config):
    min_quality_score: float = Field(
        default=DEFAULT_MIN_QUALITY_SCORE,
        ge=0.0,
        le=1.0,
        description="A listing counts as good when its data_quality_score is at least this (default 0.6, "
        "the bar gold uses).",
    )
    pass_share: float = Field(
        default=DEFAULT_PASS_SHARE,
        ge=0.0,
        le=1.0,
        description="The check fails (and blocks gold) when the share of good listings is below this "
        "(default 0.8).",
    )


@dg.asset_check(
    asset="silver_real_estate",
    blocking=True,
    description="Blocking: enough silver listings reach min_quality_score (share >= pass_share); otherwise gold "
    "is not refreshed and keeps its last good state.",
)
def silver_quality_share(config: QualityCheckConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        summary = quality_summary(conn, config.min_quality_score)
    share = summary["passing_share"]
    passed = share is None or share >= config.pass_share  # an empty silver has nothing to distrust
    top_rules = {rule: n for rule, n in summary["failed_rules"].items() if n}
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{summary['passing_rows']} of {summary['silver_rows']} listings score >= {config.min_quality_score}"
            + (f" ({share:.1%}; required {config.pass_share:.0%})" if share is not None else "")
        ),
        metadata={
            "passing_share": dg.MetadataValue.float(round(share, 4) if share is not None else 1.0),
            "passing_rows": dg.MetadataValue.int(summary["passing_rows"]),
            "silver_rows": dg.MetadataValue.int(summary["silver_rows"]),
            "min_quality_score": dg.MetadataValue.float(config.min_quality_score),
            "pass_share_threshold": dg.MetadataValue.float(config.pass_share),
            "score_distribution": dg.MetadataValue.json(summary["score_distribution"]),
            "top_failed_rules": dg.MetadataValue.json(dict(list(top_rules.items())[:3])),
        },
    )


@dg.asset_check(asset="silver_real_estate", description="Listing ids are unique (and present) in silver.")
def silver_ids_unique(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        row = ints(warehouse.fetch_one(conn, "silver/check_ids_unique"))
    duplicates = row["silver_rows"] - row["distinct_ids"] - row["null_ids"]
    return dg.AssetCheckResult(
        passed=duplicates == 0 and row["null_ids"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "silver_rows": dg.MetadataValue.int(row["silver_rows"]),
            "duplicate_rows": dg.MetadataValue.int(duplicates),
            "null_ids": dg.MetadataValue.int(row["null_ids"]),
        },
    )


@dg.asset_check(
    asset="silver_real_estate",
    additional_deps=["bronze_real_estate"],
    description="Reconciliation: up to silver's high-water marks, silver ids = the bronze ids whose latest "
    "version is a document, not a delete.",
)
def silver_reconciles_with_bronze(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        row = ints(warehouse.fetch_one(conn, "silver/check_reconcile"))
    return dg.AssetCheckResult(
        passed=row["missing_in_silver"] == 0 and row["unexpected_in_silver"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(value) for key, value in row.items()},
    )


assets = [silver_real_estate]
asset_checks = [silver_quality_share, silver_ids_unique, silver_reconciles_with_bronze]
