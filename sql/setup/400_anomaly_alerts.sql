-- Anomaly alerts: at most one open alert (is_resolved = FALSE) per (property_id, anomaly_type).
-- A rerun refreshes the open alert (score, values, last_detected_at); an alert whose listing is no longer
-- anomalous is resolved (is_resolved, resolved_at, resolution), never deleted. A listing that becomes
-- anomalous again gets a new alert: alert_id = MD5(property_id|anomaly_type|detected_at of that run).
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS (
    alert_id VARCHAR COMMENT 'MD5(property_id|anomaly_type|detected_at)',
    property_id VARCHAR COMMENT 'gold listing id',
    anomaly_type VARCHAR COMMENT 'PRICE_OUTLIER, PRICE_PER_SQM_OUTLIER or ISOLATION_FOREST',
    anomaly_score FLOAT COMMENT 'z, or the Isolation Forest score (0-1]',
    expected_value FLOAT COMMENT 'city mean, or the peers'' expected price',
    actual_value FLOAT COMMENT 'the listing''s value (price or price per m²)',
    description VARCHAR COMMENT 'the alert''s explanation',
    severity VARCHAR COMMENT 'HIGH or MEDIUM',
    city VARCHAR COMMENT 'the listing''s city',
    detected_at TIMESTAMP_NTZ COMMENT 'first detection of this episode',
    last_detected_at TIMESTAMP_NTZ COMMENT 'the latest run that still found it',
    is_resolved BOOLEAN COMMENT 'the listing is no longer anomalous (or gone)',
    resolved_at TIMESTAMP_NTZ COMMENT 'when it was resolved',
    resolution VARCHAR COMMENT 'NO_LONGER_ANOMALOUS or LISTING_REMOVED'
)
