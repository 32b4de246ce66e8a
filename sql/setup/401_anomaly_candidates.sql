-- Working table of anomaly_alerts: one run's detections (z-score rows from SQL, Isolation Forest rows
-- from a staged Parquet file) before they are merged into ANOMALY_ALERTS; rows are keyed by run_id.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES (
    run_id VARCHAR,
    property_id VARCHAR,
    anomaly_type VARCHAR,
    anomaly_score FLOAT,
    expected_value FLOAT,
    actual_value FLOAT,
    description VARCHAR,
    severity VARCHAR,
    city VARCHAR,
    created_at TIMESTAMP_NTZ
)
