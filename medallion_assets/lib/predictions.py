"""Price predictions: the held-out listings scored by the version trained last, all of gold by the champion."""

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from medallion_assets.lib import artifacts, ml_model, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.ml_tables import DEFAULT_MODEL_NAME, now, read_gold, registry_row, stage_frame, stamp

PREDICTION_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("predicted_price", pa.float64()),
        ("actual_price", pa.float64()),
        ("prediction_error", pa.float64()),
        ("prediction_error_pct", pa.float64()),
        ("model_version", pa.string()),
        ("model_type", pa.string()),
        ("features_used", pa.string()),
        ("prediction_set", pa.string()),
    ]
)


def _prediction_frame(rows: pd.DataFrame, predicted: np.ndarray, record: dict, prediction_set: str) -> pd.DataFrame:
    actual = rows["price"].to_numpy(dtype="float64")
    error = predicted - actual
    return pd.DataFrame(
        {
            "id": rows["id"].astype(str).to_numpy(),
            "predicted_price": predicted,
            "actual_price": actual,
            "prediction_error": error,
            "prediction_error_pct": 100.0 * error / actual,
            "model_version": record["model_version"],
            "model_type": record["model_type"],
            "features_used": json.dumps(list(ml_model.MODEL_FEATURES)),
            "prediction_set": prediction_set,
        }
    )


class NoTrainedModel(MedallionError):
    """The registry holds no version of the model yet (e.g. training skipped for too little data)."""


def write_predictions(
    conn, model_name: str = DEFAULT_MODEL_NAME, run_id: str | None = None, run_at: dt.datetime | None = None
) -> dict:
    """Held-out gold rows scored by the version trained last, whatever its status (a rejected version too, so
    its error is visible); every gold listing scored by the champion, when there is one (every version so far
    may have been rejected by the R² floor: then no current predictions)."""
    run_id, run_at = run_id or uuid.uuid4().hex, run_at or now()
    latest = registry_row(conn, "ml/registry_latest", {"model_name": model_name})
    champion = registry_row(conn, "ml/registry_champion", {"model_name": model_name})
    if not latest:
        raise NoTrainedModel(f"the registry has no trained {model_name!r} yet; materialize price_model first")
    gold = read_gold(conn)
    latest_pipeline, _ = artifacts.load(conn, latest)
    champion_pipeline = (
        None
        if not champion
        else latest_pipeline
        if champion["model_version"] == latest["model_version"]
        else artifacts.load(conn, champion)[0]
    )
    held = gold[ml_model.holdout_mask(gold["id"], float(latest["holdout_share"]))]
    frames = []
    with threadpool_limits(limits=1):  # see PriceModelConfig.n_threads
        if len(held):
            frames.append(
                _prediction_frame(held, latest_pipeline.predict(held[list(ml_model.INPUT_COLUMNS)]), latest, "holdout")
            )
        if len(gold) and champion_pipeline is not None:
            frames.append(
                _prediction_frame(
                    gold, champion_pipeline.predict(gold[list(ml_model.INPUT_COLUMNS)]), champion, "current"
                )
            )
    params = {"model_version": latest["model_version"], "run_id": run_id, "run_at": stamp(run_at)}
    with tempfile.TemporaryDirectory(prefix="ml-") as tmp:
        staged = (
            stage_frame(conn, pd.concat(frames, ignore_index=True), PREDICTION_SCHEMA, "predictions", Path(tmp))
            if frames
            else None
        )
        with warehouse.transaction(conn):
            warehouse.execute(conn, "ml/predictions_delete", params)
            if staged:
                warehouse.execute(conn, "ml/predictions_copy", params, names={"stage_file": staged})
    holdout_metrics = (
        ml_model.regression_metrics(frames[0]["actual_price"].to_numpy(), frames[0]["predicted_price"].to_numpy())
        if len(held)
        else {}
    )
    return {
        "holdout_version": latest["model_version"],
        "champion_version": champion["model_version"] if champion else None,
        "holdout_predictions": len(held),
        "current_predictions": len(gold) if champion else 0,
        "holdout_metrics": holdout_metrics,
    }
