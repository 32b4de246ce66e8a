"""The price model: candidates trained on gold, the registry and feature importance, with their checks."""

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.automation import check_after_its_asset
from medallion_assets.defs.unchanged import kept_or_new_version, retrain_not_due, skipped_unchanged
from medallion_assets.lib import charts, ml_model, settings, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.metadata import md_table, skipped_check, skipped_observation
from medallion_assets.lib.ml_tables import (
    DEFAULT_MODEL_NAME,
    GOLD_ASSET,
    IMPORTANCE_TABLE,
    REGISTRY_TABLE,
    SCHEMA,
    registry_row,
)
from medallion_assets.lib.registry import (
    R2_METRICS,
    ModelNameConfig,
    PriceModelConfig,
    TooLittleData,
    below_floor,
    train_price_model,
)
from medallion_assets.lib.tables import column_schema

_IMPORTANCE_COLUMNS = column_schema(IMPORTANCE_TABLE)
_REGISTRY_COLUMNS = column_schema(REGISTRY_TABLE)


@dg.multi_asset(
    name="price_model",
    group_name="ml",
    can_subset=False,
    pool="ml_training",
    specs=[
        dg.AssetSpec(
            "price_model",
            deps=[GOLD_ASSET],
            kinds={"scikitlearn", "snowflake"},
            skippable=True,
            description="Price model trained on gold: a random forest (as the seed) and gradient boosting on log "
            "price compared on the same id-hash holdout; the lower holdout MAE is registered and saved (joblib, on the "
            "warehouse's ML stage, its SHA-256 in the registry) "
            "and becomes champion only when it beats the current champion on that holdout and reaches the R² "
            "floor (below it: rejected). Skipped, with the reason, when gold is too small to train on.",
        ),
        dg.AssetSpec(
            "model_registry",
            deps=[GOLD_ASSET],
            kinds={"snowflake"},
            skippable=True,
            description=f"{REGISTRY_TABLE}: one row per model version with metrics, parameters, status "
            "(champion/challenger/rejected/archived) and artifact location; exactly one champion.",
            metadata={"dagster/table_name": REGISTRY_TABLE, "dagster/column_schema": _REGISTRY_COLUMNS},
        ),
        dg.AssetSpec(
            "feature_importance",
            deps=[GOLD_ASSET],
            kinds={"snowflake"},
            skippable=True,
            description=f"{IMPORTANCE_TABLE}: permutation importance (holdout MAE increase when shuffled) of "
            "each input of the model version just trained, ranked 1..n.",
            metadata={"dagster/table_name": IMPORTANCE_TABLE, "dagster/column_schema": _IMPORTANCE_COLUMNS},
        ),
    ],
)
def price_model(context: dg.AssetExecutionContext, config: PriceModelConfig, snowflake: SnowflakeResource):
    reason = retrain_not_due(context, GOLD_ASSET, settings.retrain_change_share())
    if reason:  # the retraining policy (defs/unchanged.py): the champion stays, no new version
        for key in ("model_registry", "feature_importance"):
            yield skipped_unchanged(key, reason)
        # the model as it was (same data version): price_predictions still scores gold's new listings with it
        yield dg.MaterializeResult(
            asset_key="price_model",
            data_version=kept_or_new_version(context, "price_model", changed=False),
            metadata={"retrained": dg.MetadataValue.bool(False), "reason": dg.MetadataValue.text(reason)},
        )
        return
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        try:
            report = train_price_model(conn, config, log=context.log)
        except TooLittleData as exc:
            # Nothing trained: no materialization (downstream price_predictions and these assets' checks are
            # skipped by Dagster); an observation on each asset says why, in the UI and in `medallion pipeline`.
            context.log.warning(f"price model not trained: {exc}")
            for key in ("price_model", "model_registry", "feature_importance"):
                yield skipped_observation(
                    key, f"not trained: {exc}", min_training_rows=dg.MetadataValue.int(config.min_training_rows)
                )
            return
        registry = warehouse.fetch_all(conn, "ml/registry_preview", {"model_name": report.model_name})
        statuses = warehouse.fetch_one(conn, "ml/check_registry_status", {"model_name": report.model_name})
    metrics = ml_model.to_jsonable(report.metrics)
    comparison = [
        {
            "candidate": name,
            "mae": m["mae"],
            "r2_log": m["r2_log"],
            "r2": m["r2"],
            "mape": m["mape"],
            "fit_seconds": m["fit_seconds"],
        }
        for name, m in report.candidates.items()
    ]
    if report.champion_metrics:
        comparison.append(
            {
                "candidate": f"champion {report.champion_before}",
                "mae": report.champion_metrics["mae"],
                "r2_log": report.champion_metrics["r2_log"],
                "r2": report.champion_metrics["r2"],
                "mape": report.champion_metrics["mape"],
                "fit_seconds": None,
            }
        )
    yield dg.MaterializeResult(
        asset_key="price_model",
        metadata={
            "model_version": dg.MetadataValue.text(report.model_version),
            "model_type": dg.MetadataValue.text(report.model_type),
            "status": dg.MetadataValue.text(report.status),
            "decision": dg.MetadataValue.text(report.decision),
            "r2_floor": dg.MetadataValue.text(f"{report.r2_floor['metric']} >= {report.r2_floor['min_r2']}"),
            "newly_registered": dg.MetadataValue.bool(report.newly_registered),
            "metrics": dg.MetadataValue.json(metrics),
            "holdout_r2_log": dg.MetadataValue.float(round(metrics["r2_log"], 6)),
            "holdout_r2": dg.MetadataValue.float(round(metrics["r2"], 6)),
            "holdout_mae": dg.MetadataValue.float(round(metrics["mae"], 2)),
            "holdout_mape": dg.MetadataValue.float(round(metrics["mape"], 6)),
            "candidates": dg.MetadataValue.md(md_table(comparison)),
            "predicted_vs_actual": dg.MetadataValue.md(
                charts.markdown_image(
                    charts.predicted_vs_actual(report.holdout_actual, report.holdout_predicted),
                    f"Holdout predicted vs actual price of {report.model_version}",
                )
            ),
            "feature_importance": dg.MetadataValue.md(
                charts.markdown_image(
                    charts.feature_importance(report.importance),
                    f"Permutation feature importance of {report.model_version}",
                )
            ),
            "training_rows": dg.MetadataValue.int(report.training_rows),
            "holdout_rows": dg.MetadataValue.int(report.holdout_rows),
            "gold_rows": dg.MetadataValue.int(report.gold_rows),
            "training_sampled": dg.MetadataValue.bool(report.sampled),
            "max_training_rows": dg.MetadataValue.int(config.max_training_rows),
            "artifact": dg.MetadataValue.text(report.artifact_location),
            "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="model_registry",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(int(statuses.get("versions") or 0)),
            "champions": dg.MetadataValue.int(int(statuses.get("champions") or 0)),
            "challengers": dg.MetadataValue.int(int(statuses.get("challengers") or 0)),
            "archived": dg.MetadataValue.int(int(statuses.get("archived") or 0)),
            "rejected": dg.MetadataValue.int(int(statuses.get("rejected") or 0)),
            "latest_version": dg.MetadataValue.text(report.model_version),
            "latest_status": dg.MetadataValue.text(report.status),
            "versions": dg.MetadataValue.md(md_table(registry)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="feature_importance",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(report.importance)),
            "model_version": dg.MetadataValue.text(report.model_version),
            "ranking": dg.MetadataValue.md(
                md_table(
                    [
                        {
                            "rank": r["rank"],
                            "feature": r["feature_name"],
                            "mae_increase_vnd": r["importance_score"],
                            "std": r["importance_std"],
                        }
                        for r in report.importance
                    ]
                )
            ),
        },
    )


class R2FloorConfig(dg.Config):
    model_name: str = Field(default=DEFAULT_MODEL_NAME)
    min_r2: float | None = Field(
        default=None,
        le=1.0,
        description="Lowest acceptable holdout R² of the model version trained last. None: the floor it was trained "
        "against (price_model's min_r2, default 0.6), as recorded in the registry.",
    )
    metric: str | None = Field(
        default=None,
        description="r2_log: R² on log price (robust to a few extreme prices). r2: R² in VND. None: the metric it "
        "was trained against (price_model's r2_metric, default r2_log).",
    )


DEFAULT_FLOOR = {"metric": PriceModelConfig().r2_metric, "min_r2": PriceModelConfig().min_r2}


@dg.asset_check(
    asset="price_model",
    blocking=True,
    automation_condition=check_after_its_asset("price_model"),
    description="The model version trained last reaches a holdout R² floor (on log price by default, the floor "
    "it was trained against) and was not rejected; below it, predictions are not refreshed.",
)
def price_model_r2_floor(config: R2FloorConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        latest = registry_row(conn, "ml/registry_latest", {"model_name": config.model_name})
    if not latest:
        return skipped_check(f"no trained {config.model_name!r} in the registry (training was skipped or never ran)")
    floor = {
        "metric": config.metric or latest.get("floor_metric") or DEFAULT_FLOOR["metric"],
        "min_r2": (
            config.min_r2
            if config.min_r2 is not None
            else float(latest["floor_min_r2"])
            if latest.get("floor_min_r2") is not None
            else DEFAULT_FLOOR["min_r2"]
        ),
    }
    if floor["metric"] not in R2_METRICS:
        raise MedallionError(f"metric must be one of {', '.join(R2_METRICS)}, got {floor['metric']!r}")
    value = latest.get(floor["metric"])
    rejected = latest.get("status") == "rejected"
    shown = f"{float(value):.4f}" if value is not None else "missing"
    return dg.AssetCheckResult(
        passed=not rejected and not below_floor(latest, floor),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{latest['model_version']} ({latest.get('status')}): holdout {floor['metric']} {shown} vs floor "
        f"{floor['min_r2']}" + ("; rejected at training, never champion" if rejected else ""),
        metadata={
            "model_version": dg.MetadataValue.text(str(latest.get("model_version", ""))),
            "status": dg.MetadataValue.text(str(latest.get("status", ""))),
            "metric": dg.MetadataValue.text(floor["metric"]),
            "min_r2": dg.MetadataValue.float(floor["min_r2"]),
            **{
                name: dg.MetadataValue.float(round(float(latest[name]), 6))
                for name in R2_METRICS
                if latest.get(name) is not None
            },
        },
    )


@dg.asset_check(
    asset="model_registry",
    description="The registry holds exactly one champion for the model name, and no version twice.",
)
def model_registry_one_champion(config: ModelNameConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        row = {
            k: int(v or 0)
            for k, v in warehouse.fetch_one(conn, "ml/check_registry_status", {"model_name": config.model_name}).items()
        }
    metadata = {key: dg.MetadataValue.int(value) for key, value in row.items()}
    if row["versions"] == 0:
        return skipped_check(f"no {config.model_name!r} registered yet (training was skipped or never ran)", **metadata)
    description = f"{row['champions']} champion(s) among {row['versions']} version(s)"
    if row["champions"] == 0 and row["rejected"] == row["versions"]:
        description = f"no champion: all {row['versions']} version(s) were rejected by the R² floor"
    return dg.AssetCheckResult(
        passed=row["champions"] == 1 and row["versions"] == row["distinct_versions"],
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )
