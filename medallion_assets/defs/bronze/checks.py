"""Bronze checks: each Kafka position loaded once, without gaps, covering the source, few rejects."""

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.automation import check_after_its_asset
from medallion_assets.defs.source.assets import SOURCE_ASSET_KEY
from medallion_assets.lib import warehouse
from medallion_assets.lib.bronze_loader import stored_positions
from medallion_assets.lib.cdc import document_key
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource


@dg.asset_check(
    asset="bronze_real_estate",
    blocking=True,
    automation_condition=check_after_its_asset("bronze_real_estate"),
    description="No (partition, offset) is loaded twice.",
)
def bronze_offsets_unique(kafka: KafkaResource, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        duplicates = warehouse.fetch_all(conn, "bronze/duplicate_offsets", {"kafka_topic": kafka.topic})
    return dg.AssetCheckResult(
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "duplicated_offsets": dg.MetadataValue.int(len(duplicates)),
            "examples": dg.MetadataValue.json([{k: int(v) for k, v in d.items()} for d in duplicates[:10]]),
        },
    )


@dg.asset_check(
    asset="bronze_real_estate",
    description="Per partition, the offsets in bronze and rejects run without a gap from the start of the topic to "
    "the stored position, and the stored position is not past the end of the topic.",
)
def bronze_offsets_contiguous(kafka: KafkaResource, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        ranges = {
            int(r["kafka_partition"]): r
            for r in warehouse.fetch_all(conn, "bronze/offset_ranges", {"kafka_topic": kafka.topic})
        }
        positions = stored_positions(conn, kafka.topic)
    partitions = kafka.partitions()
    ends = kafka.end_offsets(partitions) if partitions else {}
    table, problems = [], []
    for p in sorted(set(partitions) | set(ranges) | set(positions)):
        r = ranges.get(p)
        loaded = int(r["messages"]) if r else 0
        low = int(r["min_offset"]) if r else None
        high = int(r["max_offset"]) if r else None
        position, end = positions.get(p, 0), ends.get(p)
        if r and (high - low + 1 != loaded):
            problems.append(f"partition {p}: {high - low + 1 - loaded} offsets missing between {low} and {high}")
        if r and low != 0:
            problems.append(f"partition {p}: starts at offset {low}, not 0")
        if (high + 1 if r else 0) != position:
            problems.append(f"partition {p}: stored position {position} but last loaded offset {high}")
        if end is not None and position > end:
            problems.append(f"partition {p}: stored position {position} is past the topic end {end}")
        table.append(f"| {p} | {loaded} | {low} | {high} | {position} | {end} | {max(0, (end or 0) - position)} |")
    header = "| partition | messages | first | last | position | topic end | lag |\n|---|---|---|---|---|---|---|\n"
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partitions": dg.MetadataValue.md(header + "\n".join(table)),
            "problems": dg.MetadataValue.json(problems),
        },
    )


@dg.asset_check(
    asset="bronze_real_estate",
    additional_deps=[SOURCE_ASSET_KEY],
    description="Every document now in MongoDB has reached bronze (run after a full ingestion).",
)
def bronze_covers_source(
    mongo: MongoResource, kafka: KafkaResource, snowflake: SnowflakeResource
) -> dg.AssetCheckResult:
    with mongo.get_collection() as collection:
        source_ids = {document_key(d["_id"]) for d in collection.find({}, {"_id": 1})}
    with warehouse.connect(snowflake) as conn:
        bronze_ids = {r["id"] for r in warehouse.fetch_all(conn, "bronze/distinct_ids", {"kafka_topic": kafka.topic})}
    missing = sorted(source_ids - bronze_ids)
    return dg.AssetCheckResult(
        passed=not missing,
        metadata={
            "mongo_documents": dg.MetadataValue.int(len(source_ids)),
            "bronze_distinct_ids": dg.MetadataValue.int(len(bronze_ids)),
            "missing_from_bronze": dg.MetadataValue.int(len(missing)),
            "missing_examples": dg.MetadataValue.json(missing[:10]),
        },
    )


class RejectRateConfig(dg.Config):
    max_reject_rate: float = Field(default=0.01, description="Highest share of messages that may be rejected.")


@dg.asset_check(asset="bronze_real_estate", description="Rejected messages stay below a configurable share.")
def bronze_reject_rate(
    config: RejectRateConfig, kafka: KafkaResource, snowflake: SnowflakeResource
) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake) as conn:
        totals = warehouse.fetch_one(conn, "bronze/counts", {"kafka_topic": kafka.topic})
    rows, rejects = int(totals["bronze_rows"]), int(totals["rejected_rows"])
    rate = rejects / (rows + rejects) if rows + rejects else 0.0
    return dg.AssetCheckResult(
        passed=rate <= config.max_reject_rate,
        metadata={
            "reject_rate": dg.MetadataValue.float(round(rate, 6)),
            "max_reject_rate": dg.MetadataValue.float(config.max_reject_rate),
            "rejected": dg.MetadataValue.int(rejects),
            "loaded": dg.MetadataValue.int(rows),
        },
    )


asset_checks = [bronze_offsets_unique, bronze_offsets_contiguous, bronze_covers_source, bronze_reject_rate]
