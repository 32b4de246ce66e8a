"""Price predictions from the registered models, with the check that every held-out listing is scored."""

import dagster as dg
import pandas as pd
from dagster_snowflake import SnowflakeResource

from medallion_assets.defs.unchanged import skipped_unchanged, unchanged_inputs
from medallion_assets.lib import ml_model, warehouse
from medallion_assets.lib.metadata import md_table, skipped_check, skipped_observation
from medallion_assets.lib.ml_tables import GOLD_ASSET, PREDICTIONS_TABLE, SCHEMA, check_name, registry_row
from medallion_assets.lib.predictions import NoTrainedModel, write_predictions
from medallion_assets.lib.registry import ModelNameConfig
from medallion_assets.lib.tables import column_schema

_PREDICTION_COLUMNS = column_schema(PREDICTIONS_TABLE)


@dg.asset(
    name="price_predictions",
    group_name="ml",
    deps=["price_model", GOLD_ASSET],
    kinds={"snowflake"},
    description=f"{PREDICTIONS_TABLE}: the held-out gold listings scored by the model version trained last "
    "(prediction_set 'holdout'; a rejected version too, so its error is visible), and every current gold "
    "listing scored by the champion ('current'). Runs after training and whenever gold changes; skipped, "
    "with the reason, while no model is trained.",
    output_required=False,
    metadata={"dagster/table_name": PREDICTIONS_TABLE, "dagster/column_schema": _PREDICTION_COLUMNS},
)
def price_predictions(context: dg.AssetExecutionContext, config: ModelNameConfig, snowflake: SnowflakeResource):
    reason = unchanged_inputs(context)
    if reason:  # the same model on the same gold: the same predictions
        yield skipped_unchanged("price_predictions", reason)
        return
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        try:
            result = write_predictions(conn, check_name(config.model_name, "model_name"), run_id=context.run.run_id)
        except NoTrainedModel as exc:  # no materialization (its check is skipped); the reason in its Events
            context.log.warning(f"no predictions: {exc}")
            yield skipped_observation("price_predictions", f"no predictions: {exc}")
            return
        summary = warehouse.fetch_all(conn, "ml/predictions_summary")
        preview = warehouse.fetch_all(conn, "ml/predictions_preview", {"model_version": result["holdout_version"]})
    total = sum(int(r["predictions"]) for r in summary)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(total),
            "holdout_version": dg.MetadataValue.text(result["holdout_version"]),
            "champion_version": dg.MetadataValue.text(result["champion_version"] or "none: every version rejected"),
            "holdout_predictions": dg.MetadataValue.int(result["holdout_predictions"]),
            "current_predictions": dg.MetadataValue.int(result["current_predictions"]),
            "holdout_metrics": dg.MetadataValue.json(ml_model.to_jsonable(result["holdout_metrics"])),
            "by_set_and_version": dg.MetadataValue.md(md_table(summary)),
            "largest_holdout_errors": dg.MetadataValue.md(md_table(preview)),
        }
    )


@dg.asset_check(
    asset="price_predictions",
    description="Exactly one held-out prediction per held-out gold listing for the model version trained last.",
)
def price_predictions_cover_holdout(config: ModelNameConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        latest = registry_row(conn, "ml/registry_latest", {"model_name": config.model_name})
        if not latest:
            return skipped_check(f"no trained {config.model_name!r} yet, so nothing to predict with")
        gold_ids = pd.Series([r["id"] for r in warehouse.fetch_all(conn, "ml/gold_ids")], dtype=object)
        predicted = [
            r["id"]
            for r in warehouse.fetch_all(
                conn, "ml/check_holdout_predictions", {"model_version": latest["model_version"]}
            )
        ]
    expected = (
        set(gold_ids[ml_model.holdout_mask(gold_ids, float(latest["holdout_share"]))]) if len(gold_ids) else set()
    )
    seen = set(predicted)
    missing, unexpected = expected - seen, seen - expected
    duplicates = len(predicted) - len(seen)
    return dg.AssetCheckResult(
        passed=not missing and not unexpected and not duplicates,
        metadata={
            "model_version": dg.MetadataValue.text(latest["model_version"]),
            "held_out_listings": dg.MetadataValue.int(len(expected)),
            "predictions": dg.MetadataValue.int(len(predicted)),
            "missing": dg.MetadataValue.int(len(missing)),
            "unexpected": dg.MetadataValue.int(len(unexpected)),
            "duplicates": dg.MetadataValue.int(duplicates),
            "missing_examples": dg.MetadataValue.json(sorted(missing)[:10]),
        },
    )
