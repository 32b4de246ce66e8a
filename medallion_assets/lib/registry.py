"""The price model's training, registry and champion/challenger promotion.

Candidates (a random forest as the seed trains it, gradient boosting on log price) are fitted
on the same rows and scored on the same holdout (a hash of the listing id, stable as gold grows); the one
with the lowest holdout MAE is registered. It becomes champion only when it beats the current champion
re-scored on today's holdout; otherwise it stays a challenger. A candidate below the R² floor (min_r2 on
r2_metric) is registered as rejected and never becomes champion. A champion that cannot be re-scored fails
the training (nothing is registered, it stays champion); too little gold skips it (TooLittleData). The
version is a content hash of the gold snapshot, the parameters and the code, so the same data and parameters
never register twice.

"""

import datetime as dt
import json
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd
from pydantic import Field
from threadpoolctl import threadpool_limits

from medallion_assets.lib import artifacts, ml_model, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.ml_tables import (
    DEFAULT_MODEL_NAME,
    GOLD_TABLE,
    check_name,
    executemany,
    now,
    read_gold,
    registry_row,
    stamp,
)

R2_METRICS = ("r2_log", "r2")


class TooLittleData(MedallionError):
    """Gold holds too few rows to train on: training is skipped (not failed) and says why."""


def below_floor(metrics: dict, floor: dict) -> bool:
    value = metrics.get(floor["metric"])
    return value is None or not math.isfinite(float(value)) or float(value) < floor["min_r2"]


class PriceModelConfig(dg.Config):
    model_name: str = Field(default=DEFAULT_MODEL_NAME, description="Registry name of the model.")
    candidates: list[str] = Field(
        default=["random_forest", "hist_gradient_boosting"],
        description="Models fitted and compared on the same holdout: random_forest (on price, as the seed), "
        "random_forest_log and hist_gradient_boosting (on log price). The lowest holdout MAE wins.",
    )
    holdout_share: float = Field(default=0.2, gt=0, lt=1, description="Share of listings held out (by id hash).")
    max_training_rows: int = Field(
        default=200_000, ge=10, description="Train on at most this many rows (a stable id-hash sample)."
    )
    min_training_rows: int = Field(
        default=30, ge=5, description="Below this many training rows (or with no held-out row) training is skipped."
    )
    min_r2: float = Field(
        default=0.6,
        le=1.0,
        description="R² floor on the holdout: a model below it is registered as rejected and never becomes champion.",
    )
    r2_metric: str = Field(
        default="r2_log",
        description="The R² the floor applies to: r2_log (R² on log price, robust to extreme prices) or r2 (VND).",
    )
    random_state: int = Field(default=42, description="Seed of every estimator and of permutation importance.")
    rf_n_estimators: int = Field(default=100, ge=1)
    rf_min_samples_leaf: int = Field(default=3, ge=1)
    rf_max_features: float = Field(default=0.5, gt=0, le=1)
    rf_max_depth: int | None = Field(default=None, ge=1)
    hgb_max_iter: int = Field(default=300, ge=1)
    hgb_learning_rate: float = Field(default=0.1, gt=0)
    hgb_max_leaf_nodes: int = Field(default=31, ge=2)
    hgb_l2_regularization: float = Field(default=0.0, ge=0)
    importance_max_rows: int = Field(default=5000, ge=10, description="Holdout rows used for permutation importance.")
    importance_repeats: int = Field(default=5, ge=1)
    n_threads: int | None = Field(
        default=1,
        ge=1,
        description="Cap on OpenMP/BLAS threads while training (gradient boosting, permutation "
        "importance); None: the libraries' default. Does not change the model. Default 1: measured on a shared "
        "2-CPU machine, two spinning OpenMP threads fitted 75k rows in 20.6 s against 1.3 s with one.",
    )

    def candidate_parameters(self) -> dict[str, dict]:
        forest = {
            "n_estimators": self.rf_n_estimators,
            "min_samples_leaf": self.rf_min_samples_leaf,
            "max_features": self.rf_max_features,
            "max_depth": self.rf_max_depth,
        }
        boosting = {
            "max_iter": self.hgb_max_iter,
            "learning_rate": self.hgb_learning_rate,
            "max_leaf_nodes": self.hgb_max_leaf_nodes,
            "l2_regularization": self.hgb_l2_regularization,
        }
        by_name = {"random_forest": forest, "random_forest_log": forest, "hist_gradient_boosting": boosting}
        unknown = [name for name in self.candidates if name not in by_name]
        if unknown or not self.candidates:
            raise MedallionError(f"candidates must name at least one of {', '.join(by_name)}; got {self.candidates}")
        return {name: dict(by_name[name]) for name in dict.fromkeys(self.candidates)}

    def r2_floor(self) -> dict:
        if self.r2_metric not in R2_METRICS:
            raise MedallionError(f"r2_metric must be one of {', '.join(R2_METRICS)}, got {self.r2_metric!r}")
        return {"metric": self.r2_metric, "min_r2": self.min_r2}


class ModelNameConfig(dg.Config):
    model_name: str = Field(default=DEFAULT_MODEL_NAME, description="Registry name of the model.")


def load_champion(conn, model_name: str = DEFAULT_MODEL_NAME):
    """The champion's fitted pipeline: gold-shaped rows (a DataFrame with GOLD_ML_FEATURES columns) in,
    prices in VND out."""
    champion = registry_row(conn, "ml/registry_champion", {"model_name": model_name})
    if not champion:
        raise MedallionError(f"the registry has no champion for {model_name!r}; materialize price_model first")
    pipeline, _info = artifacts.load(conn, champion)
    return pipeline


def _rescore(conn, record: dict, holdout: pd.DataFrame) -> dict:
    """Metrics of the champion on today's holdout. A champion that cannot be re-scored (lost or unreadable
    artifact, a pipeline that no longer predicts) fails the training: promoting a model over a champion
    nobody could compare it with would be a guess, so nothing is registered and the champion stays."""
    try:
        pipeline, _info = artifacts.load(conn, record)
        predicted = pipeline.predict(holdout[list(ml_model.INPUT_COLUMNS)])
    except Exception as exc:
        raise MedallionError(
            f"champion {record['model_version']} of {record['model_name']!r} could not be re-scored on today's "
            f"holdout ({type(exc).__name__}: {exc}); nothing was registered and it stays champion: restore its "
            f"artifact {record['artifact_location']} or archive it in the registry"
        ) from exc
    return ml_model.regression_metrics(holdout["price"].to_numpy(), predicted)


@dataclass
class TrainingReport:
    model_name: str
    model_version: str
    model_type: str
    candidate: str
    status: str
    decision: str
    newly_registered: bool
    metrics: dict
    candidates: dict
    champion_before: str | None
    champion_metrics: dict | None
    training_rows: int
    holdout_rows: int
    gold_rows: int
    sampled: bool
    artifact_location: str
    importance: list[dict]
    seconds: float
    r2_floor: dict = field(default_factory=dict)
    pipeline: object = field(default=None, repr=False)
    # The holdout's actual prices and the registered candidate's predictions of them (VND), for the UI's chart.
    holdout_actual: object = field(default=None, repr=False)
    holdout_predicted: object = field(default=None, repr=False)


def train_price_model(conn, config: PriceModelConfig, run_at: dt.datetime | None = None, log=None) -> TrainingReport:
    """Train the candidates, register the best, promote it if it beats the champion, record importance."""
    started = time.monotonic()
    run_at = run_at or now()
    model_name = check_name(config.model_name, "model_name")
    gold = read_gold(conn)
    held = ml_model.holdout_mask(gold["id"], config.holdout_share)
    holdout = gold[held]
    available = gold[~held]
    train = ml_model.training_sample(available, config.max_training_rows)
    floor = config.r2_floor()
    if len(train) < config.min_training_rows or holdout.empty:
        raise TooLittleData(
            f"{GOLD_TABLE} holds {len(gold)} rows with a price: {len(train)} to train on and {len(holdout)} held out; "
            f"at least {config.min_training_rows} training rows and one held-out row are needed"
        )
    snapshot = ml_model.snapshot_hash(pd.concat([train, holdout]))
    limits = threadpool_limits(limits=config.n_threads) if config.n_threads else nullcontext()
    with limits:
        ranked = ml_model.train_candidates(train, holdout, config.candidate_parameters(), config.random_state, log=log)
        best = ranked[0]
        split = {
            "holdout_share": config.holdout_share,
            "max_training_rows": config.max_training_rows,
            "random_state": config.random_state,
        }
        version = ml_model.model_version(snapshot, best.candidate, best.parameters, split)
        existing = registry_row(conn, "ml/registry_get", {"model_name": model_name, "model_version": version})
        champion = registry_row(conn, "ml/registry_champion", {"model_name": model_name})
        champion_metrics = None
        if champion and champion["model_version"] != version:
            champion_metrics = _rescore(conn, champion, holdout)
        importance = ml_model.feature_importance(
            best.pipeline, holdout, config.importance_max_rows, config.importance_repeats, config.random_state
        )

    if existing:
        status, decision = existing["status"], "already registered: same data, parameters and code"
    elif below_floor(best.metrics, floor):
        stays = f"champion {champion['model_version']} stays" if champion else "there is no champion"
        status, decision = (
            "rejected",
            f"holdout {floor['metric']} {float(best.metrics.get(floor['metric'], math.nan)):.4f} is below the floor "
            f"{floor['min_r2']}; {stays}",
        )
    elif not champion:
        status, decision = "champion", "first model of this name"
    elif best.metrics["mae"] < champion_metrics["mae"]:
        status, decision = (
            "champion",
            (
                f"holdout MAE {best.metrics['mae']:,.0f} < champion {champion['model_version']} "
                f"{champion_metrics['mae']:,.0f} VND"
            ),
        )
    else:
        status, decision = (
            "challenger",
            (
                f"holdout MAE {best.metrics['mae']:,.0f} >= champion {champion['model_version']} "
                f"{champion_metrics['mae']:,.0f} VND"
            ),
        )

    candidates = {
        r.candidate: {**r.metrics, "fit_seconds": round(r.fit_seconds, 2), "model_type": r.model_type} for r in ranked
    }
    parameters = {
        "candidate": best.candidate,
        "estimator": best.model_type,
        "estimator_parameters": best.parameters,
        "target": "price" if best.candidate == "random_forest" else "log(price)",
        "inputs": list(ml_model.INPUT_COLUMNS),
        "features": list(ml_model.MODEL_FEATURES),
        **split,
        "selection_metric": "holdout mae (VND), lowest wins",
        "r2_floor": floor,
    }
    metrics = {
        **best.metrics,
        "training_rows": len(train),
        "gold_rows": len(gold),
        "training_sampled": len(train) < len(available),
        "fit_seconds": round(best.fit_seconds, 2),
        "candidates": candidates,
        "champion_comparison": {
            "champion_version": champion.get("model_version") if champion else None,
            "champion_mae_on_this_holdout": champion_metrics["mae"] if champion_metrics else None,
            "champion_r2_log_on_this_holdout": champion_metrics["r2_log"] if champion_metrics else None,
            "decision": decision,
        },
    }
    info = {
        "model_name": model_name,
        "model_version": version,
        "candidate": best.candidate,
        "model_type": best.model_type,
        "metrics": ml_model.to_jsonable(best.metrics),
        "parameters": ml_model.to_jsonable(parameters),
        "code_version": ml_model.code_version(),
        "trained_at": stamp(run_at),
    }
    if existing and existing.get("artifact_sha256") and artifacts.on_stage(conn, existing["artifact_location"]):
        stored = {k: existing[k] for k in ("artifact_location", "artifact_sha256")}  # verified whenever loaded
    else:  # new, lost from the stage, or registered before artifacts moved to the stage (lib/artifacts.py)
        stored = artifacts.store(conn, best.pipeline, info, model_name, version)

    record = {
        "model_id": f"{model_name}-{version}",
        "model_name": model_name,
        "model_version": version,
        "model_type": best.model_type,
        "run_at": stamp(run_at),
        "metrics": json.dumps(ml_model.to_jsonable(metrics), sort_keys=True),
        "parameters": json.dumps(ml_model.to_jsonable(parameters), sort_keys=True),
        "status": status,
        **stored,
        "code_version": ml_model.code_version(),
        "data_snapshot": snapshot,
        "training_rows": len(train),
        "holdout_rows": len(holdout),
    }
    importance_rows = [
        {**row, "model_version": version, "method": "permutation (holdout MAE increase, VND)", "run_at": stamp(run_at)}
        for row in importance
    ]
    with warehouse.transaction(conn):
        if existing:
            warehouse.execute(conn, "ml/registry_touch", record)
        else:
            if status == "champion":
                warehouse.execute(conn, "ml/registry_archive_champion", record)
            warehouse.execute(conn, "ml/registry_insert", record)
        warehouse.execute(conn, "ml/importance_delete", record)
        executemany(conn, "ml/importance_insert", importance_rows)
    report = TrainingReport(
        model_name=model_name,
        model_version=version,
        model_type=best.model_type,
        candidate=best.candidate,
        status=status,
        decision=decision,
        newly_registered=not existing,
        metrics=best.metrics,
        candidates=candidates,
        champion_before=champion.get("model_version") if champion else None,
        champion_metrics=champion_metrics,
        training_rows=len(train),
        holdout_rows=len(holdout),
        gold_rows=len(gold),
        sampled=len(train) < len(available),
        artifact_location=stored["artifact_location"],
        importance=importance,
        seconds=time.monotonic() - started,
        r2_floor=floor,
        pipeline=best.pipeline,
        holdout_actual=holdout["price"].to_numpy(),
        holdout_predicted=best.predictions,
    )
    if log:
        log.info(f"{model_name} {version} ({best.candidate}): {status}; {decision}")
    return report
