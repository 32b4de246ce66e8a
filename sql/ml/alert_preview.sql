-- The strongest open alerts, for the asset's metadata.
SELECT a.property_id AS property_id,
       a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       ROUND(a.anomaly_score, 2) AS score,
       ROUND(a.expected_value, 0) AS expected_value,
       ROUND(a.actual_value, 0) AS actual_value,
       a.city AS city
FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
WHERE a.is_resolved = FALSE
ORDER BY a.anomaly_score DESC, a.property_id, a.anomaly_type
LIMIT 10
