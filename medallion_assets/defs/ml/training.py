"""The price model: candidates trained on gold, the registry and feature importance, with their checks."""

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.lib import ml_model, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.metadata import column_schema, md_table
from medallion_assets.lib.ml_tables import DEFAULT_MODEL_NAME, IMPORTANCE_TABLE, REGISTRY_TABLE, SCHEMA, registry_row
from medallion_assets.lib.registry import ModelNameConfig, PriceModelConfig, train_price_model

GOLD_ASSET = "gold_ml_features"

_IMPORTANCE_COLUMNS = column_schema(
    [
        ("model_version", "VARCHAR", ""),
        ("feature_name", "VARCHAR", ""),
        ("importance_score", "FLOAT", "holdout MAE increase (VND) when shuffled"),
        ("importance_std", "FLOAT", ""),
        ("rank", "INTEGER", "1 = most important"),
        ("method", "VARCHAR", ""),
        ("created_at", "TIMESTAMP_NTZ", ""),
    ]
)
_REGISTRY_COLUMNS = column_schema(
    [
        ("model_id", "VARCHAR", "<model_name>-<model_version>"),
        ("model_name", "VARCHAR", ""),
        ("model_version", "VARCHAR", "hash of data snapshot, parameters, code version"),
        ("model_type", "VARCHAR", ""),
        ("training_date", "TIMESTAMP_NTZ", ""),
        ("metrics", "VARIANT", "holdout r2, r2_log, mae, rmse, mape, candidates, ..."),
        ("parameters", "VARIANT", ""),
        ("status", "VARCHAR", "champion, challenger or archived"),
        ("artifact_location", "VARCHAR", "the joblib file of the fitted pipeline"),
        ("code_version", "VARCHAR", ""),
        ("data_snapshot", "VARCHAR", ""),
        ("training_rows", "INTEGER", ""),
        ("holdout_rows", "INTEGER", ""),
        ("last_trained_at", "TIMESTAMP_NTZ", ""),
        ("status_changed_at", "TIMESTAMP_NTZ", ""),
        ("created_at", "TIMESTAMP_NTZ", ""),
    ]
)


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
            description="Price model trained on gold: a random forest (as the seed) and gradient boosting on log "
            "price compared on the same id-hash holdout; the lower holdout MAE is registered and saved (joblib) "
            "and becomes champion only when it beats the current champion on that holdout.",
        ),
        dg.AssetSpec(
            "model_registry",
            deps=[GOLD_ASSET],
            kinds={"snowflake"},
            description=f"{REGISTRY_TABLE}: one row per model version with metrics, parameters, status "
            "(champion/challenger/archived) and artifact location; exactly one champion.",
            metadata={"dagster/table_name": REGISTRY_TABLE, "dagster/column_schema": _REGISTRY_COLUMNS},
        ),
        dg.AssetSpec(
            "feature_importance",
            deps=[GOLD_ASSET],
            kinds={"snowflake"},
            description=f"{IMPORTANCE_TABLE}: permutation importance (holdout MAE increase when shuffled) of "
            "each input of the model version just trained, ranked 1..n.",
            metadata={"dagster/table_name": IMPORTANCE_TABLE, "dagster/column_schema": _IMPORTANCE_COLUMNS},
        ),
    ],
)
def price_model(context: dg.AssetExecutionContext, config: PriceModelConfig, snowflake: SnowflakeResource):
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        report = train_price_model(conn, config, log=context.log)
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
            "newly_registered": dg.MetadataValue.bool(report.newly_registered),
            "metrics": dg.MetadataValue.json(metrics),
            "holdout_r2_log": dg.MetadataValue.float(round(metrics["r2_log"], 6)),
            "holdout_r2": dg.MetadataValue.float(round(metrics["r2"], 6)),
            "holdout_mae": dg.MetadataValue.float(round(metrics["mae"], 2)),
            "holdout_mape": dg.MetadataValue.float(round(metrics["mape"], 6)),
            "candidates": dg.MetadataValue.md(md_table(comparison)),
            "training_rows": dg.MetadataValue.int(report.training_rows),
            "holdout_rows": dg.MetadataValue.int(report.holdout_rows),
            "gold_rows": dg.MetadataValue.int(report.gold_rows),
            "training_sampled": dg.MetadataValue.bool(report.sampled),
            "max_training_rows": dg.MetadataValue.int(config.max_training_rows),
            "artifact": dg.MetadataValue.path(report.artifact_location),
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
    min_r2: float = Field(
        default=0.6, le=1.0, description="Lowest acceptable holdout R² of the model version trained last."
    )
    metric: str = Field(
        default="r2_log",
        description="r2_log: R² on log price (default; robust to a few extreme prices). r2: R² in VND.",
    )


@dg.asset_check(
    asset="price_model",
    blocking=True,
    description="The model version trained last reaches a holdout R² floor (on log price by default); below "
    "it, predictions are not refreshed.",
)
def price_model_r2_floor(config: R2FloorConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        latest = registry_row(conn, "ml/registry_latest", {"model_name": config.model_name})
    if config.metric not in ("r2_log", "r2"):
        raise MedallionError(f"metric must be r2_log or r2, got {config.metric!r}")
    value = latest.get(config.metric) if latest else None
    passed = value is not None and float(value) >= config.min_r2
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"holdout {config.metric} {float(value):.4f} vs floor {config.min_r2}"
            if value is not None
            else f"no trained {config.model_name!r} in the registry"
        ),
        metadata={
            "model_version": dg.MetadataValue.text(str(latest.get("model_version", ""))),
            "min_r2": dg.MetadataValue.float(config.min_r2),
            **{
                name: dg.MetadataValue.float(round(float(latest[name]), 6))
                for name in ("r2_log", "r2")
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
    return dg.AssetCheckResult(
        passed=row["champions"] == 1 and row["versions"] == row["distinct_versions"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(value) for key, value in row.items()},
    )
