"""Retraining the price model: on demand (retrain_job) or every Monday at 03:00."""

import dagster as dg

from medallion_assets.defs.automation import RUN_TAGS

TRAINING_SELECTION = dg.AssetSelection.assets(
    "price_model", "model_registry", "feature_importance", "price_predictions"
)

retrain_job = dg.define_asset_job(
    "retrain_job",
    selection=TRAINING_SELECTION,
    tags=RUN_TAGS,
    description="Retrain the price model (candidates, registry, importance) and refresh predictions; launch it "
    "on demand from the UI, or let weekly_retrain_schedule run it.",
)

weekly_retrain_schedule = dg.ScheduleDefinition(
    name="weekly_retrain_schedule",
    job=retrain_job,
    cron_schedule="0 3 * * 1",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Retrains the price model every Monday at 03:00.",
)
