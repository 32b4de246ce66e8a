"""The Dagster code location: every layer's assets and checks, the resources, the jobs."""

from __future__ import annotations

import dagster as dg

from medallion_assets import bronze, ingestion, source
from medallion_assets.resources import build_resources

INGEST_SELECTION = dg.AssetSelection.assets("warehouse_schema", "data_ingestion", "bronze_real_estate")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=INGEST_SELECTION,
    description="Mongo -> Kafka -> bronze, with the bronze checks.",
)

observe_source_job = dg.define_asset_job(
    "observe_source_job",
    selection=dg.AssetSelection.assets(ingestion.SOURCE_ASSET_KEY),
    description="Observe the MongoDB collection (document count as its data version).",
)

defs = dg.Definitions(
    assets=[source.mongodb_listings, source.warehouse_schema, ingestion.data_ingestion, bronze.bronze_real_estate],
    asset_checks=[*bronze.asset_checks],
    jobs=[ingest_job, observe_source_job],
    resources=build_resources(),
)
