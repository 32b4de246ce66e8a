"""Anomaly alerts (ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS) from the gold features.

The z-score alerts are one SQL statement (window functions, `sql/ml/zscore_candidates.sql`): the
formula runs where the data is, reads exactly like DESIGN.md, and uses the warehouse's own sample standard
deviation. The Isolation Forest needs the rows in Python anyway and writes its detections through a staged
Parquet file. Both land in a working table keyed by run and are MERGEd into ANOMALY_ALERTS: at most one open
alert per (listing, type), refreshed on a rerun; alerts not detected again are resolved (is_resolved,
resolved_at, resolution), never deleted. A listing that becomes anomalous again opens a new alert
(alert_id = MD5(property_id|type|detection time)), so each episode keeps its own history.
Note: with the sample standard deviation one value among n can be at most (n-1)/sqrt(n) deviations from
the mean, so a city needs at least 11 listings before any z > 3 is possible, and 19 for z > 4.
"""

import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg
import pyarrow as pa
from pydantic import Field

from medallion_assets.lib import outliers, warehouse
from medallion_assets.lib.ml_tables import now, read_gold, stage_frame, stamp

Z_SCORE_TYPES = ("PRICE_OUTLIER", "PRICE_PER_SQM_OUTLIER")


class AnomalyConfig(dg.Config):
    z_threshold: float = Field(default=3.0, gt=0, description="Alert when z = |x - city mean| / city stddev > this.")
    high_z_threshold: float = Field(default=4.0, gt=0, description="Severity HIGH when z > this, else MEDIUM.")
    min_city_listings: int = Field(
        default=5, ge=2, description="Cities with fewer values than this get no z-score alerts."
    )
    isolation_forest: bool = Field(default=True, description="Also run the multivariate Isolation Forest.")
    contamination: float = Field(
        default=0.01, gt=0, le=0.5, description="Share of gold listings the Isolation Forest flags."
    )
    isolation_n_estimators: int = Field(default=200, ge=10, description="Trees in the Isolation Forest.")
    isolation_high_score: float = Field(
        default=0.7, gt=0, le=1, description="Isolation Forest alerts with a score at least this are HIGH."
    )
    isolation_min_rows: int = Field(
        default=100, ge=10, description="Below this many gold rows the Isolation Forest does not run (nor resolve)."
    )
    random_state: int = Field(default=42, description="Seed of the Isolation Forest.")


ALERT_SCHEMA = pa.schema(
    [
        ("property_id", pa.string()),
        ("anomaly_type", pa.string()),
        ("anomaly_score", pa.float64()),
        ("expected_value", pa.float64()),
        ("actual_value", pa.float64()),
        ("description", pa.string()),
        ("severity", pa.string()),
        ("city", pa.string()),
    ]
)


def detect_anomalies(
    conn, config: AnomalyConfig, run_id: str | None = None, run_at: dt.datetime | None = None, log=None
) -> dict:
    """Detect, merge into ANOMALY_ALERTS and resolve what was not detected again. `conn` must have
    ANALYTICS_DB.ML_RESULTS as its current schema (MERGE and COPY need one on the embedded warehouse)."""
    run_id = run_id or uuid.uuid4().hex
    run_at = run_at or now()
    params = {
        "run_id": run_id,
        "run_at": stamp(run_at),
        "z_threshold": config.z_threshold,
        "high_z_threshold": config.high_z_threshold,
        "min_city_listings": config.min_city_listings,
    }
    evaluated = list(Z_SCORE_TYPES)
    isolation = {"ran": False}
    warehouse.execute(conn, "ml/clear_candidates", params)
    warehouse.execute(conn, "ml/zscore_candidates", params)
    if config.isolation_forest:
        gold = read_gold(conn)
        if len(gold) >= config.isolation_min_rows:
            started = time.monotonic()
            found = outliers.isolation_forest_outliers(
                gold,
                config.contamination,
                config.random_state,
                config.isolation_n_estimators,
                config.isolation_high_score,
            )
            isolation = {
                "ran": True,
                "rows": len(gold),
                "flagged": len(found),
                "seconds": round(time.monotonic() - started, 2),
            }
            if len(found):
                with tempfile.TemporaryDirectory(prefix="ml-") as tmp:
                    staged = stage_frame(conn, found, ALERT_SCHEMA, "alerts", Path(tmp))
                    warehouse.execute(conn, "ml/copy_candidates", params, names={"stage_file": staged})
            evaluated.append(outliers.ISOLATION_FOREST)
        elif log:
            log.info(
                f"Isolation Forest skipped: {len(gold)} gold rows < isolation_min_rows {config.isolation_min_rows}"
            )
    detected = {
        r["anomaly_type"]: int(r["detected"]) for r in warehouse.fetch_all(conn, "ml/run_candidate_counts", params)
    }
    # One transaction on Snowflake (warehouse.atomic). The embedded warehouse cannot MERGE inside one, so
    # there the statements run one by one; a crash before the resolve step is repaired by the next run,
    # which recomputes everything.
    with warehouse.atomic(conn):
        merged = warehouse.dml_counts(warehouse.execute(conn, "ml/merge_alerts", params))
        resolved = warehouse.dml_counts(
            warehouse.execute(conn, "ml/resolve_alerts", {**params, "anomaly_types": evaluated})
        )
        removed = warehouse.dml_counts(warehouse.execute(conn, "ml/resolve_removed", params))
        warehouse.execute(conn, "ml/clear_run_candidates", params)
    return {
        "run_id": run_id,
        "detected": detected,
        "opened": merged["inserted"],
        "refreshed": merged["updated"],
        "resolved": resolved["updated"] + removed["updated"],
        "evaluated_types": evaluated,
        "isolation_forest": isolation,
    }


def alert_summary(conn) -> dict:
    rows = warehouse.fetch_all(conn, "ml/alert_summary")
    by_type: dict[str, dict[str, int]] = {}
    for row in rows:
        if int(row["open_alerts"] or 0):
            by_type.setdefault(row["anomaly_type"], {})[row["severity"]] = int(row["open_alerts"])
    return {
        "open": sum(int(r["open_alerts"] or 0) for r in rows),
        "resolved": sum(int(r["resolved_alerts"] or 0) for r in rows),
        "open_by_type_and_severity": by_type,
    }
