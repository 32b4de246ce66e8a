"""The Dagster code location: every layer's assets and checks, the resources, jobs, sensors and schedules."""

import dagster as dg

from medallion_assets import automation, bronze, ingestion, source
from medallion_assets.resources import build_resources

defs = dg.Definitions(
    assets=[source.mongodb_listings, source.warehouse_schema, ingestion.data_ingestion, bronze.bronze_real_estate],
    asset_checks=[*bronze.asset_checks],
    jobs=automation.jobs,
    sensors=automation.sensors,
    schedules=automation.schedules,
    resources=build_resources(),
)
