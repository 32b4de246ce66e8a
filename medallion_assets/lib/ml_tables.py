"""What the ML modules share: the ML_RESULTS tables, timestamps bound into SQL, reading gold, staging frames."""

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from medallion_assets.lib import ml_model, warehouse
from medallion_assets.lib.errors import MedallionError

SCHEMA = "ANALYTICS_DB.ML_RESULTS"
STAGE = f"{SCHEMA}.ML_STAGE"
GOLD_TABLE = "ANALYTICS_DB.DWH.GOLD_ML_FEATURES"
GOLD_ASSET = "gold_ml_features"  # the asset that holds GOLD_TABLE, upstream of every ML asset
ALERTS_TABLE = f"{SCHEMA}.ANOMALY_ALERTS"
PREDICTIONS_TABLE = f"{SCHEMA}.PRICE_PREDICTIONS"
REGISTRY_TABLE = f"{SCHEMA}.MODEL_REGISTRY"
IMPORTANCE_TABLE = f"{SCHEMA}.FEATURE_IMPORTANCE"
DEFAULT_MODEL_NAME = "price_model"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stamp(moment: dt.datetime) -> str:
    """A timestamp as the text bound into SQL (and into alert ids)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def executemany(conn, name: str, rows: list[dict]) -> None:
    if not rows:
        return
    try:
        conn.cursor().executemany(warehouse.load_sql(name), rows)
    except Exception as exc:
        raise MedallionError(f"SQL sql/{name}.sql failed: {getattr(exc, 'msg', exc)}") from exc


def stage_frame(conn, frame: pd.DataFrame, schema: pa.Schema, prefix: str, workdir: Path) -> str:
    """Write `frame` as Parquet and PUT it to the ML stage; returns the staged file name."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    return warehouse.stage_parquet(conn, table, STAGE, workdir, prefix)


def read_gold(conn) -> pd.DataFrame:
    """GOLD_ML_FEATURES rows with a price, as `ml_model.gold_frame` types them."""
    cursor = warehouse.execute(conn, "ml/gold_features")
    frame = cursor.fetch_pandas_all()
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame(columns=[c[0] for c in cursor.description])
    return ml_model.gold_frame(frame)


def check_name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise MedallionError(f"{what} {value!r} may only hold letters, digits, '_', '.' and '-'")
    return value


def registry_row(conn, name: str, params: dict) -> dict:
    row = warehouse.fetch_one(conn, name, params)
    return row or {}
