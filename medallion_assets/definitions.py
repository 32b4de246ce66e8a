"""The Dagster code location: every layer's assets and checks, the resources, jobs, sensors and schedules."""

import dagster as dg

from medallion_assets import automation, bronze, gold, ingestion, ml, semantic, silver, source
from medallion_assets.resources import build_resources


def with_freshness(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """Each layer's freshness policy (automation.FRESHNESS_BY_GROUP), so the UI flags stale tables."""
    return assets_def.map_asset_specs(
        lambda spec: spec.replace_attributes(freshness_policy=automation.freshness_for(spec))
    )


def follow_upstream(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The layer materializes by itself whenever its upstream changed (see automation.FOLLOW_UPSTREAM)."""
    return assets_def.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=automation.FOLLOW_UPSTREAM)
    )


defs = dg.Definitions(
    assets=[
        source.mongodb_listings,
        source.warehouse_schema,
        *[with_freshness(a) for a in (ingestion.data_ingestion, bronze.bronze_real_estate)],
        *[with_freshness(follow_upstream(a)) for a in (*silver.assets, *gold.assets, *semantic.assets)],
        # ML carries its own conditions: alerts and predictions follow gold, training is weekly or on demand
        *[with_freshness(a) for a in ml.assets],
    ],
    asset_checks=[
        *bronze.asset_checks, *silver.asset_checks, *gold.asset_checks, *ml.asset_checks, *semantic.asset_checks
    ],
    jobs=[*automation.jobs, *ml.jobs],
    sensors=automation.sensors,
    schedules=[*automation.schedules, *ml.schedules],
    resources=build_resources(),
    # Steps are I/O-bound calls to MongoDB, Kafka and the warehouse: running them in the run's own
    # process saves a Python start per step (sensor-driven freshness went from ~110 s to less).
    executor=dg.in_process_executor,
)
