"""The scikit-learn side of the ML layer, with no warehouse and no Dagster in it.

- `holdout_mask`: the evaluation split is a hash of the listing id, so a listing stays on the same side
  of the split as gold grows, and a champion trained last week has never seen today's held-out rows.
- `build_pipeline`: one pipeline from gold columns to a price in VND. Feature derivation (posted month)
  and the categorical encoding live inside it, so the saved artifact scores raw gold rows.
  `price_per_sqm`, `price_category` and `is_high_value` are never inputs: they are the target in disguise.
- `train_candidates`: fits every candidate on the same training rows and scores it on the same holdout.
- `model_version`: a content hash of the data snapshot, the winner's parameters and the code version.

scikit-learn is imported inside the functions that use it: the code location (and every run worker) loads
this module, and most runs (ingestion, bronze, silver, gold) never fit or load a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd

from medallion_assets.lib.errors import MedallionError

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.pipeline import Pipeline

# Gold columns the model reads (its input), and what it derives from them.
NUMERIC_INPUTS = ("area", "bedrooms", "bathrooms", "rooms_total", "latitude", "longitude")
CATEGORICAL_INPUTS = ("city", "district", "property_type")
DATE_INPUT = "posted_date"
INPUT_COLUMNS = (*NUMERIC_INPUTS, DATE_INPUT, *CATEGORICAL_INPUTS)
MODEL_FEATURES = (*NUMERIC_INPUTS, "posted_month", *CATEGORICAL_INPUTS)
LEAKY_COLUMNS = ("price", "price_per_sqm", "price_category", "is_high_value")

CANDIDATES = ("random_forest", "random_forest_log", "hist_gradient_boosting")
MODEL_TYPES = {
    "random_forest": "RandomForestRegressor",
    "random_forest_log": "RandomForestRegressor(log price)",
    "hist_gradient_boosting": "HistGradientBoostingRegressor(log price)",
}


def code_version() -> str:
    """This module's source hash and the scikit-learn version: a change to either is a new model version
    (a pickled pipeline is only guaranteed to load under the scikit-learn version that wrote it)."""
    import sklearn

    source = Path(__file__).read_bytes()
    return f"ml_model-{hashlib.sha256(source).hexdigest()[:12]}+sklearn-{sklearn.__version__}"


# --- data ----------------------------------------------------------------------------------------------


def gold_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Gold rows as the model expects them: lower-case names, floats for numbers (NaN when missing),
    plain strings (None when missing) for categories, dates as datetime64."""
    df = frame.rename(columns=str.lower).copy()
    for column in ("price", "price_per_sqm", *NUMERIC_INPUTS):
        if column in df:
            df[column] = pd.to_numeric(df[column], errors="coerce").astype("float64")
    for column in ("id", *CATEGORICAL_INPUTS):
        if column in df:
            df[column] = df[column].astype(object).where(df[column].notna(), None)
    if DATE_INPUT in df:
        df[DATE_INPUT] = pd.to_datetime(df[DATE_INPUT], errors="coerce")
    return df


def _bucket(ids: pd.Series, salt: str) -> np.ndarray:
    """A stable number in [0, 10000) per id (MD5 of salt|id): the same id always lands in the same place."""
    return np.fromiter(
        (int(hashlib.md5(f"{salt}|{i}".encode()).hexdigest()[:8], 16) % 10_000 for i in ids),
        dtype=np.int64,
        count=len(ids),
    )


def holdout_mask(ids: pd.Series, holdout_share: float) -> np.ndarray:
    """True for held-out listings: MD5('holdout'|id) falls in the first `holdout_share` of the hash space."""
    if not 0.0 < holdout_share < 1.0:
        raise MedallionError(f"holdout_share must be between 0 and 1, got {holdout_share}")
    return _bucket(ids, "holdout") < int(round(holdout_share * 10_000))


def training_sample(train: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """At most `max_rows` training rows: those with the smallest MD5('train'|id), so the sample is the same
    for the same data and changes little as data grows."""
    if len(train) <= max_rows:
        return train
    order = np.argsort(_bucket(train["id"], "train") * 10**9 + np.arange(len(train)), kind="stable")
    return train.iloc[np.sort(order[:max_rows])]


def snapshot_hash(frame: pd.DataFrame) -> str:
    """Content hash of the rows a model saw (id, target and every input), independent of row order."""
    columns = ["id", "price", *INPUT_COLUMNS]
    canonical = frame[columns].sort_values("id", kind="stable").copy()
    canonical[DATE_INPUT] = canonical[DATE_INPUT].dt.strftime("%Y-%m-%d")
    text = canonical.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def model_version(data_hash: str, candidate: str, parameters: dict, split: dict) -> str:
    """The version of a trained model: data snapshot + candidate and its parameters + split + code."""
    payload = json.dumps(
        {"data": data_hash, "candidate": candidate, "parameters": parameters, "split": split, "code": code_version()},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- the pipeline --------------------------------------------------------------------------------------


def derive_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Gold columns -> model features: numbers as floats, posted month as months since year 0, categories
    as strings. A module-level function, so a saved pipeline can be loaded again anywhere."""
    df = gold_frame(frame)
    out = pd.DataFrame(index=df.index)
    for column in NUMERIC_INPUTS:
        out[column] = df[column] if column in df else np.nan  # noqa: SIM401 (a DataFrame, not a dict)
    posted = df[DATE_INPUT] if DATE_INPUT in df else pd.Series(pd.NaT, index=df.index)
    out["posted_month"] = (posted.dt.year * 12 + posted.dt.month - 1).astype("float64")
    for column in CATEGORICAL_INPUTS:
        values = df[column] if column in df else pd.Series(None, index=df.index, dtype=object)
        out[column] = values.astype(object).where(values.notna(), np.nan)
    return out[list(MODEL_FEATURES)]


def _encoder() -> ColumnTransformer:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    categorical = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=-1,
        encoded_missing_value=-1,
        min_frequency=5,  # rare districts share one code; keeps every category within HGB's 255 bins
        max_categories=250,
    )
    return ColumnTransformer(
        [
            ("numeric", "passthrough", list(MODEL_FEATURES[: len(NUMERIC_INPUTS) + 1])),
            ("categorical", categorical, list(CATEGORICAL_INPUTS)),
        ],
        verbose_feature_names_out=False,
    )


def _log_target(regressor) -> TransformedTargetRegressor:
    from sklearn.compose import TransformedTargetRegressor

    return TransformedTargetRegressor(regressor=regressor, func=np.log, inverse_func=np.exp, check_inverse=False)


def build_pipeline(candidate: str, parameters: dict, random_state: int) -> Pipeline:
    """gold rows -> features -> encoding -> regressor (on log price except the seed-style random forest)."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    n_numeric = len(NUMERIC_INPUTS) + 1
    if candidate in ("random_forest", "random_forest_log"):
        regressor = RandomForestRegressor(random_state=random_state, n_jobs=-1, **parameters)
        if candidate == "random_forest_log":
            regressor = _log_target(regressor)
    elif candidate == "hist_gradient_boosting":
        regressor = _log_target(
            HistGradientBoostingRegressor(
                random_state=random_state,
                categorical_features=list(range(n_numeric, n_numeric + len(CATEGORICAL_INPUTS))),
                **parameters,
            )
        )
    else:
        raise MedallionError(f"unknown model candidate {candidate!r}; choose from {', '.join(CANDIDATES)}")
    return Pipeline(
        [
            ("features", FunctionTransformer(derive_features, validate=False)),
            ("encode", _encoder()),
            ("model", regressor),
        ]
    )


# --- evaluation ----------------------------------------------------------------------------------------


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Holdout metrics in VND (r2, mae, rmse), relative (mape, median_ape) and r2_log on log price.

    r2 in VND is dominated by a handful of extreme listings (a price typed 50x too high weighs more than
    thousands of ordinary ones), so r2_log is the one the R² floor uses; mae picks the champion."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.clip(np.asarray(predicted, dtype="float64"), 1.0, None)
    if len(actual) == 0:
        return {}
    error = predicted - actual
    ape = np.abs(error) / actual

    def r2(y, p):
        total = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - float(np.sum((y - p) ** 2)) / total if total > 0 else float("nan")

    return {
        "r2": r2(actual, predicted),
        "r2_log": r2(np.log(actual), np.log(predicted)),
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(ape)),
        "median_ape": float(np.median(ape)),
        "holdout_rows": int(len(actual)),
    }


@dataclass
class TrainedCandidate:
    candidate: str
    parameters: dict
    pipeline: Pipeline
    metrics: dict
    fit_seconds: float
    predictions: np.ndarray = field(repr=False)

    @property
    def model_type(self) -> str:
        return MODEL_TYPES[self.candidate]


def train_candidates(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    candidates: dict[str, dict],
    random_state: int,
    log=None,
) -> list[TrainedCandidate]:
    """Fit each candidate on `train` and score it on `holdout`; best first (lowest holdout MAE, then name)."""
    results = []
    for candidate, parameters in candidates.items():
        pipeline = build_pipeline(candidate, parameters, random_state)
        started = time.monotonic()
        pipeline.fit(train[list(INPUT_COLUMNS)], train["price"].to_numpy())
        seconds = time.monotonic() - started
        predicted = pipeline.predict(holdout[list(INPUT_COLUMNS)])
        metrics = regression_metrics(holdout["price"].to_numpy(), predicted)
        results.append(TrainedCandidate(candidate, parameters, pipeline, metrics, seconds, predicted))
        if log:
            log.info(
                f"{candidate}: fit {seconds:.1f}s on {len(train)} rows; holdout MAE {metrics['mae']:,.0f} VND, "
                f"r2_log {metrics['r2_log']:.3f}, r2 {metrics['r2']:.3f}, MAPE {metrics['mape']:.3f}"
            )
    return sorted(results, key=lambda r: (r.metrics["mae"], r.candidate))


def feature_importance(
    pipeline: Pipeline, holdout: pd.DataFrame, max_rows: int, repeats: int, random_state: int
) -> list[dict]:
    """Permutation importance of each input column on (a fixed sample of) the holdout, ranked 1..n.

    The score is the mean increase of the holdout MAE in VND when the column is shuffled."""
    from sklearn.inspection import permutation_importance

    sample = holdout
    if len(sample) > max_rows:
        sample = sample.iloc[np.sort(np.argsort(_bucket(sample["id"], "importance"), kind="stable")[:max_rows])]
    result = permutation_importance(
        pipeline,
        sample[list(INPUT_COLUMNS)],
        sample["price"].to_numpy(),
        scoring="neg_mean_absolute_error",
        n_repeats=repeats,
        random_state=random_state,
    )
    rows = [
        {"feature_name": name, "importance_score": float(mean), "importance_std": float(std)}
        for name, mean, std in zip(INPUT_COLUMNS, result.importances_mean, result.importances_std)
    ]
    rows.sort(key=lambda r: (-r["importance_score"], r["feature_name"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# --- artifacts -----------------------------------------------------------------------------------------


def save_artifact(path: Path, pipeline: Pipeline, info: dict) -> Path:
    """Write the fitted pipeline and what describes it (joblib), atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump({"pipeline": pipeline, "info": info}, tmp, compress=3)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_artifact(path: str | Path) -> tuple[Pipeline, dict]:
    path = Path(path)
    if not path.exists():
        raise MedallionError(f"model artifact {path} does not exist (was the model folder moved or cleaned?)")
    bundle = joblib.load(path)
    return bundle["pipeline"], bundle["info"]


def to_jsonable(value: Any) -> Any:
    """Metrics and parameters as plain JSON values (numpy scalars, NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    return value
