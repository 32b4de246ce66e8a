-- Anomaly alerts: at most one open alert (is_resolved = FALSE) per (property_id, anomaly_type).
-- A rerun refreshes the open alert (score, values, last_detected_at); an alert whose listing is no longer
-- anomalous is resolved (is_resolved, resolved_at, resolution), never deleted. A listing that becomes
-- anomalous again gets a new alert: alert_id = MD5(property_id|anomaly_type|detected_at of that run).
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS (
    alert_id VARCHAR,
    property_id VARCHAR,
    anomaly_type VARCHAR,
    anomaly_score FLOAT,
    expected_value FLOAT,
    actual_value FLOAT,
    description VARCHAR,
    severity VARCHAR,
    city VARCHAR,
    detected_at TIMESTAMP_NTZ,
    last_detected_at TIMESTAMP_NTZ,
    is_resolved BOOLEAN,
    resolved_at TIMESTAMP_NTZ,
    resolution VARCHAR
)
