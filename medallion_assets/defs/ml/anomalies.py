"""Anomaly alerts: z-score and Isolation Forest outliers in gold, with their checks (lib/anomalies.py)."""

import time

import dagster as dg
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from medallion_assets.defs.unchanged import skipped_unchanged, unchanged_inputs
from medallion_assets.lib import charts, warehouse
from medallion_assets.lib.anomalies import AnomalyConfig, alert_summary, detect_anomalies
from medallion_assets.lib.metadata import md_table, skipped_check
from medallion_assets.lib.ml_tables import ALERTS_TABLE, GOLD_ASSET, SCHEMA
from medallion_assets.lib.tables import column_schema

Z_BIN_WIDTH, Z_MAX_BIN = 0.25, 40  # the z-score chart: bins of 0.25, everything at z >= 10 in the last one


@dg.asset(
    name="anomaly_alerts",
    group_name="ml",
    deps=[GOLD_ASSET],
    kinds={"scikitlearn", "snowflake"},
    pool="ml_anomaly_alerts",
    output_required=False,  # not re-scored when gold did not change (defs/unchanged.py)
    description=f"{ALERTS_TABLE}: z-score price and price-per-m² outliers per city (z > 3, HIGH when z > 4) and "
    "multivariate Isolation Forest outliers; one open alert per (listing, type), refreshed on rerun, resolved "
    "(not deleted) when the listing is no longer anomalous. Runs whenever gold changes.",
    metadata={
        "dagster/table_name": ALERTS_TABLE,
        "dagster/column_schema": column_schema(ALERTS_TABLE),
    },
)
def anomaly_alerts(context: dg.AssetExecutionContext, config: AnomalyConfig, snowflake: SnowflakeResource):
    reason = unchanged_inputs(context)
    if reason:  # gold as it was when the alerts were last scored: re-scoring would find the same
        yield skipped_unchanged("anomaly_alerts", reason)
        return
    started = time.monotonic()
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        result = detect_anomalies(conn, config, run_id=context.run.run_id, log=context.log)
        summary = alert_summary(conn)
        preview = warehouse.fetch_all(conn, "ml/alert_preview")
        rate = warehouse.fetch_one(conn, "ml/check_anomaly_rate")
        z_bins = warehouse.fetch_all(
            conn,
            "ml/zscore_histogram",
            {"bin_width": Z_BIN_WIDTH, "max_bin": Z_MAX_BIN, "min_city_listings": config.min_city_listings},
        )
    elapsed = time.monotonic() - started
    gold_rows = int(rate["gold_rows"] or 0)
    context.log.info(
        f"anomalies: detected {result['detected']}, opened {result['opened']}, refreshed {result['refreshed']}, "
        f"resolved {result['resolved']} ({elapsed:.1f}s)"
    )
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(summary["open"] + summary["resolved"]),
            "open_alerts": dg.MetadataValue.int(summary["open"]),
            "resolved_alerts": dg.MetadataValue.int(summary["resolved"]),
            "open_by_type_and_severity": dg.MetadataValue.json(summary["open_by_type_and_severity"]),
            "detected_this_run": dg.MetadataValue.json(result["detected"]),
            "opened": dg.MetadataValue.int(result["opened"]),
            "refreshed": dg.MetadataValue.int(result["refreshed"]),
            "resolved": dg.MetadataValue.int(result["resolved"]),
            "flagged_listing_rate": dg.MetadataValue.float(
                round(int(rate["flagged_listings"] or 0) / gold_rows, 6) if gold_rows else 0.0
            ),
            "gold_rows": dg.MetadataValue.int(gold_rows),
            "isolation_forest": dg.MetadataValue.json(result["isolation_forest"]),
            "strongest_open_alerts": dg.MetadataValue.md(md_table(preview)),
            "zscore_distribution": dg.MetadataValue.md(
                charts.markdown_image(
                    charts.zscore_histogram(z_bins, Z_BIN_WIDTH, config.z_threshold, config.high_z_threshold),
                    f"Per-city z-scores with the alert threshold {config.z_threshold:g}",
                )
            ),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
        }
    )


class AnomalyRateConfig(dg.Config):
    min_rate: float = Field(default=0.0, ge=0, le=1, description="The flagged share must be above this.")
    max_rate: float = Field(default=0.05, ge=0, le=1, description="The flagged share must be at most this.")
    min_gold_rows: int = Field(
        default=100,
        ge=0,
        description="Below this many gold listings the share says little (one alert among 10 is 10%; the "
        "Isolation Forest needs 100 rows): the check passes as skipped.",
    )


@dg.asset_check(
    asset="anomaly_alerts",
    description="The share of gold listings with an open alert lies in (min_rate, max_rate]: none at all hints at "
    "a broken detector, too many at broken data or thresholds.",
)
def anomaly_rate_within_bounds(config: AnomalyRateConfig, snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        row = warehouse.fetch_one(conn, "ml/check_anomaly_rate")
    flagged, gold_rows = int(row["flagged_listings"] or 0), int(row["gold_rows"] or 0)
    rate = flagged / gold_rows if gold_rows else 0.0
    metadata = {
        "flagged_rate": dg.MetadataValue.float(round(rate, 6)),
        "flagged_listings": dg.MetadataValue.int(flagged),
        "gold_rows": dg.MetadataValue.int(gold_rows),
        "min_rate": dg.MetadataValue.float(config.min_rate),
        "max_rate": dg.MetadataValue.float(config.max_rate),
    }
    if gold_rows < config.min_gold_rows:
        return skipped_check(
            f"only {gold_rows} gold listings (fewer than min_gold_rows {config.min_gold_rows}); "
            f"{flagged} have an open alert",
            **metadata,
        )
    return dg.AssetCheckResult(
        passed=config.min_rate < rate <= config.max_rate,
        description=f"{flagged} of {gold_rows} gold listings have an open alert ({rate:.2%})",
        metadata=metadata,
    )


@dg.asset_check(
    asset="anomaly_alerts",
    additional_deps=[GOLD_ASSET],
    description="Every open alert points to a listing in gold, and no (listing, type) has two open alerts.",
)
def anomaly_alerts_reference_gold(snowflake: SnowflakeResource) -> dg.AssetCheckResult:
    with warehouse.connect(snowflake, schema=SCHEMA) as conn:
        row = {k: int(v or 0) for k, v in warehouse.fetch_one(conn, "ml/check_alert_integrity").items()}
    return dg.AssetCheckResult(
        passed=row["orphan_alerts"] == 0 and row["duplicated_open_pairs"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.int(value) for key, value in row.items()},
    )
