"""Silver checks: the blocking quality gate in front of gold, unique ids, reconciliation with bronze."""

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.automation import check_after_its_asset
from medallion_assets.defs.source.assets import SOURCE_ASSET_KEY
from medallion_assets.lib import settings, warehouse
from medallion_assets.lib.cdc import document_key
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.silver import DEFAULT_PASS_SHARE, ints, quality_summary


class QualityCheckConfig(dg.Config):
    pass_share: float = Field(
        default=DEFAULT_PASS_SHARE,
        ge=0.0,
        le=1.0,
        description="The check fails (and blocks gold) when the share of good listings is below this (default 0.8).",
    )


@dg.asset_check(
    asset="silver_real_estate",
    blocking=True,
    automation_condition=check_after_its_asset("silver_real_estate"),
    description="Blocking: enough silver listings reach the quality bar (MEDALLION_MIN_QUALITY_SCORE, default 0.6, "
    "the bar gold uses) (share >= pass_share); otherwise gold is not refreshed and keeps its last good state.",
)
def silver_quality_share(config: QualityCheckConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    min_quality_score = settings.min_quality_score()
    with warehouse.connect(snowflake) as conn:
        summary = quality_summary(conn, min_quality_score)
    share = summary["passing_share"]
    passed = share is None or share >= config.pass_share  # an empty silver has nothing to distrust
    top_rules = {rule: n for rule, n in summary["failed_rules"].items() if n}
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{summary['passing_rows']} of {summary['silver_rows']} listings score >= {min_quality_score}"
            + (f" ({share:.1%}; required {config.pass_share:.0%})" if share is not None else "")
        ),
        metadata={
            "passing_share": dg.MetadataValue.float(round(share, 4) if share is not None else 1.0),
            "passing_rows": dg.MetadataValue.int(summary["passing_rows"]),
            "silver_rows": dg.MetadataValue.int(summary["silver_rows"]),
            "min_quality_score": dg.MetadataValue.float(min_quality_score),
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


@dg.asset_check(
    asset="silver_real_estate",
    additional_deps=[SOURCE_ASSET_KEY],
    description="Reconciliation with the source: silver holds exactly the listing ids MongoDB holds now. Catches "
    "changes a change stream lost without an error (the embedded MongoDB drops old events silently); a warning, "
    "since changes on their way through Kafka also differ for a while.",
)
def silver_matches_source(
    mongo: MongoResource, kafka: KafkaResource, snowflake: SnowflakeResource
) -> dg.AssetCheckResult:
    with mongo.get_collection() as collection:
        source_ids = {document_key(d["_id"]) for d in collection.find({}, {"_id": 1})}
    with warehouse.connect(snowflake) as conn:
        silver_ids = {r["id"] for r in warehouse.fetch_all(conn, "silver/ids", {"kafka_topic": kafka.topic})}
    missing, extra = sorted(source_ids - silver_ids), sorted(silver_ids - source_ids)
    return dg.AssetCheckResult(
        passed=not missing and not extra,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(missing)} source ids missing from silver, {len(extra)} silver ids no longer in the source",
        metadata={
            "source_ids": dg.MetadataValue.int(len(source_ids)),
            "silver_ids": dg.MetadataValue.int(len(silver_ids)),
            "missing_from_silver": dg.MetadataValue.int(len(missing)),
            "not_in_source": dg.MetadataValue.int(len(extra)),
            "missing_examples": dg.MetadataValue.json(missing[:10]),
            "not_in_source_examples": dg.MetadataValue.json(extra[:10]),
        },
    )
