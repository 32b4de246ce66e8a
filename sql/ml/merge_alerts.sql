-- One run's detections -> ANOMALY_ALERTS: an open alert of the same (property_id, anomaly_type) is refreshed,
-- anything else opens a new alert whose id is MD5(property_id|anomaly_type|run_at), run_at being this run's
-- detection time (so a listing that becomes anomalous again after a resolution gets a new alert).
MERGE INTO ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS t
USING (
    SELECT c.property_id AS property_id,
           c.anomaly_type AS anomaly_type,
           c.anomaly_score AS anomaly_score,
           c.expected_value AS expected_value,
           c.actual_value AS actual_value,
           c.description AS description,
           c.severity AS severity,
           c.city AS city
    FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES c
    WHERE c.run_id = %(run_id)s
) s
ON t.property_id = s.property_id
   AND t.anomaly_type = s.anomaly_type
   AND t.is_resolved = FALSE
WHEN MATCHED THEN UPDATE SET
    anomaly_score = s.anomaly_score,
    expected_value = s.expected_value,
    actual_value = s.actual_value,
    description = s.description,
    severity = s.severity,
    city = s.city,
    last_detected_at = %(run_at)s::TIMESTAMP_NTZ
WHEN NOT MATCHED THEN INSERT
    (alert_id, property_id, anomaly_type, anomaly_score, expected_value, actual_value, description, severity,
     city, detected_at, last_detected_at, is_resolved, resolved_at, resolution)
VALUES
    (MD5(s.property_id || '|' || s.anomaly_type || '|' || %(run_at)s), s.property_id, s.anomaly_type,
     s.anomaly_score, s.expected_value, s.actual_value, s.description, s.severity, s.city,
     %(run_at)s::TIMESTAMP_NTZ, %(run_at)s::TIMESTAMP_NTZ, FALSE, NULL, NULL)
